import { FlowApiError } from '../../scripts/local/flow-engine/errors';
import { createFlowTestbed, FcPlatformError, type TaskHandler } from '../../scripts/local/flow-engine/testbed';

/**
 * Conformance of the flow engine with CloudFlow's spec, state type by state type, on virtual time with
 * mocked tasks (the test bed). Histories are asserted with CloudFlow's event type names.
 */
const arn = (fn: string) => `acs:fc:cn-hangzhou:1000000000000001:functions/${fn}`;
const task = (name: string, fn: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Name: name,
  Action: 'FC:InvokeFunction',
  TaskMode: 'RequestComplete',
  Parameters: { resourceArn: arn(fn), invocationType: 'Sync', 'body.$': '$Input' },
  ...extra,
});
const flow = (states: Record<string, unknown>[], extra: Record<string, unknown> = {}) => ({
  Type: 'StateMachine',
  Name: 'conformance',
  SpecVersion: 'v1',
  StartAt: states[0]!.Name,
  States: states,
  ...extra,
});
const fail = (name: string, message = 'boom'): never => {
  const err = new Error(message);
  err.name = name;
  throw err;
};
const types = (bed: ReturnType<typeof createFlowTestbed>, name: string) => bed.history(name).map((e) => `${e.type}${e.stepName ? ` ${e.stepName}` : ''}`);

describe('Pass, Succeed and constructors', () => {
  it('pass the input through by default; InputConstructor and OutputConstructor reshape it', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        { Type: 'Pass', Name: 'Keep', Next: 'Shape' },
        {
          Type: 'Pass',
          Name: 'Shape',
          InputConstructor: { 'order.$': '$Input.orderId', fixed: 'x' },
          OutputConstructor: { 'id.$': '$Input.order', 'original.$': '$Context.Execution.Input.orderId', 'me.$': '$Context.Current.Name', 'echo.$': '$Output.fixed' },
          Next: 'Done',
        },
        { Type: 'Succeed', Name: 'Done' },
      ]),
      tasks: {},
    });
    const name = await bed.start({ orderId: 'o-1' });
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { id: 'o-1', original: 'o-1', me: 'Shape', echo: 'x' } });
    expect(types(bed, name)).toEqual([
      'ExecutionStarted',
      'StepEntered Keep',
      'StepStarted Keep',
      'StepSucceeded Keep',
      'StepExited Keep',
      'StepEntered Shape',
      'StepStarted Shape',
      'StepSucceeded Shape',
      'StepExited Shape',
      'StepEntered Done',
      'StepStarted Done',
      'StepSucceeded Done',
      'StepExited Done',
      'ExecutionSucceeded',
    ]);
  });

  it('refuse an execution input that is not a JSON object, and an execution name CloudFlow would refuse', async () => {
    const bed = createFlowTestbed({ definition: flow([{ Type: 'Pass', Name: 'A', End: true }]), tasks: {} });
    expect(() => bed.engine.startExecution(bed.flowName, 'ok', [1])).toThrow(new FlowApiError('InvalidArgument', 'Input must be a JSON object'));
    expect(() => bed.engine.startExecution(bed.flowName, '9starts-with-digit', {})).toThrow(/ExecutionName "9starts-with-digit" must be/);
    expect(() => bed.engine.startExecution(bed.flowName, 'big', { x: 'y'.repeat(70_000) })).toThrow(expect.objectContaining({ code: 'EntityTooLarge' }));
  });

  it('is idempotent by execution name: a running name answers that execution, an ended one is refused', async () => {
    const bed = createFlowTestbed({ definition: flow([{ Type: 'Wait', Name: 'W', Seconds: 10, End: true }]), tasks: {} });
    const first = bed.engine.startExecution(bed.flowName, 'order-1', { a: 1 });
    const again = bed.engine.startExecution(bed.flowName, 'order-1', { a: 2 });
    expect([first.started, again.started, again.doc.input]).toEqual([true, false, { a: 1 }]);
    await bed.advance(10_000);
    expect(bed.execution('order-1').status).toBe('Succeeded');
    expect(() => bed.engine.startExecution(bed.flowName, 'order-1', {})).toThrow(new FlowApiError('ExecutionAlreadyExists', `Execution order-1 for flow ${bed.flowName} already exists.`));
  });
});

describe('Task (FC:InvokeFunction)', () => {
  it('sends Parameters.body as the function event and gives its result as $Output.Body', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        task('Reserve', 'reserve', {
          Parameters: { resourceArn: arn('reserve'), invocationType: 'Sync', body: { 'orderId.$': '$Input.orderId', kind: 'reserve' } },
          OutputConstructor: { 'reservation.$': '$Output.Body', 'orderId.$': '$Input.orderId' },
          Next: 'Raw',
        }),
        task('Raw', 'text', { Parameters: { resourceArn: arn('text'), invocationType: 'Sync', body: 'plain text' }, Next: 'NoBody' }),
        task('NoBody', 'text', { Parameters: { resourceArn: arn('text'), invocationType: 'Sync' }, End: true }),
      ]),
      tasks: { reserve: (event) => ({ reserved: true, got: event }), text: (event) => (event === undefined ? 'nothing' : `got ${String(event)}`) },
    });
    const name = await bed.start({ orderId: 'o-7' });
    expect(bed.calls.map((c) => [c.stateName, c.event])).toEqual([
      ['Reserve', { orderId: 'o-7', kind: 'reserve' }],
      ['Raw', 'plain text'],
      ['NoBody', undefined],
    ]);
    expect(bed.history(name).find((e) => e.type === 'StepSucceeded' && e.stepName === 'Reserve')!.detail.Output).toEqual({
      reservation: { reserved: true, got: { orderId: 'o-7', kind: 'reserve' } },
      orderId: 'o-7',
    });
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { Body: 'nothing' } });
    expect(types(bed, name).filter((t) => t.startsWith('Task'))).toEqual([
      'TaskScheduled Reserve',
      'TaskStarted Reserve',
      'TaskSucceeded Reserve',
      'TaskScheduled Raw',
      'TaskStarted Raw',
      'TaskSucceeded Raw',
      'TaskScheduled NoBody',
      'TaskStarted NoBody',
      'TaskSucceeded NoBody',
    ]);
  });

  it('fails with the error type the function throws, as FC reports it, and FC-side errors as FC.<Code>', async () => {
    const bed = createFlowTestbed({
      definition: flow([task('Charge', 'charge', { End: true })]),
      tasks: { charge: (event) => ((event as { fc?: boolean }).fc ? (() => { throw new FcPlatformError('ResourceThrottled'); })() : fail('PaymentDeclined', 'card declined')) },
    });
    const declined = await bed.start({});
    expect(bed.execution(declined)).toMatchObject({ status: 'Failed', error: { code: 'PaymentDeclined', detail: 'card declined' } });
    expect(bed.history(declined).slice(-4).map((e) => [e.type, e.detail])).toEqual([
      ['TaskFailed', { Error: 'PaymentDeclined', Cause: 'card declined' }],
      ['StepFailed', { Error: 'PaymentDeclined', Cause: 'card declined' }],
      ['StepExited', {}],
      ['ExecutionFailed', { Error: 'PaymentDeclined', Cause: 'card declined' }],
    ]);
    const throttled = await bed.start({ fc: true });
    expect(bed.execution(throttled).error).toMatchObject({ code: 'FC.ResourceThrottled' });
  });

  it('retries with IntervalSeconds × BackoffRate^n capped by MaxBackoffSeconds, then catches', async () => {
    let attempts = 0;
    const bed = createFlowTestbed({
      definition: flow([
        task('Flaky', 'flaky', {
          Retry: [{ Errors: ['Transient'], MaxAttempts: 4, IntervalSeconds: 2, BackoffRate: 3, MaxBackoffSeconds: 10 }],
          Catch: [{ Errors: ['Transient'], Next: 'Recover' }],
          Next: 'Done',
        }),
        { Type: 'Pass', Name: 'Recover', OutputConstructor: { recovered: true, 'retries.$': '$Context.Current.RetryCount' }, End: true },
        { Type: 'Succeed', Name: 'Done' },
      ]),
      tasks: { flaky: (_e, ctx) => ((attempts++, fail('Transient', `attempt ${ctx.retryCount}`))) },
    });
    const name = await bed.start({ orderId: 'o-1' });
    await bed.advance(60_000);
    const calls = bed.calls.map((c) => (c.at - bed.calls[0]!.at) / 1000);
    expect(calls).toEqual([0, 2, 8, 18, 28]); // waits 2, 6, 10 (18 capped), 10
    expect(bed.calls.map((c) => c.retryCount)).toEqual([0, 1, 2, 3, 4]);
    expect(bed.history(name).filter((e) => e.type === 'StepFailed').map((e) => e.detail)).toEqual([
      { Error: 'Transient', Cause: 'attempt 0', RetryCount: 1, RetryIntervalSeconds: 2 },
      { Error: 'Transient', Cause: 'attempt 1', RetryCount: 2, RetryIntervalSeconds: 6 },
      { Error: 'Transient', Cause: 'attempt 2', RetryCount: 3, RetryIntervalSeconds: 10 },
      { Error: 'Transient', Cause: 'attempt 3', RetryCount: 4, RetryIntervalSeconds: 10 },
      { Error: 'Transient', Cause: 'attempt 4', CaughtBy: 'Recover' },
    ]);
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { recovered: true, retries: 0 } });
    expect(attempts).toBe(5);
  });

  it('uses only the first Retry rule that matches, keeps the interval constant without BackoffRate, and matches FnF.ALL', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        task('T', 'f', {
          Retry: [
            { Errors: ['Specific'], MaxAttempts: 1, IntervalSeconds: 5 },
            { Errors: ['FnF.ALL'], MaxAttempts: 3, IntervalSeconds: 1 },
          ],
          End: true,
        }),
      ]),
      tasks: { f: (e) => fail((e as { error: string }).error) },
    });
    const specific = await bed.start({ error: 'Specific' });
    await bed.advance(60_000);
    // "Specific" is matched by the first rule only: one retry, never the FnF.ALL rule's three.
    expect(bed.calls.filter((c) => c.executionName === specific).map((c) => c.retryCount)).toEqual([0, 1]);
    const other = await bed.start({ error: 'Other' });
    await bed.advance(60_000);
    const times = bed.calls.filter((c) => c.executionName === other).map((c) => c.at);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual([1000, 1000, 1000]);
    expect(bed.execution(other).status).toBe('Failed');
  });

  it('catches with the first matching rule, in order, with the error in $Context.Current.Error; without a constructor the next state gets the input', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        task('T', 'f', {
          Catch: [
            { Errors: ['Declined'], Next: 'OnDeclined', OutputConstructor: { 'code.$': '$Context.Current.Error.Code', 'detail.$': '$Context.Current.Error.Detail', 'orderId.$': '$Input.orderId' } },
            { Errors: ['FnF.ALL'], Next: 'OnAny' },
            { Errors: ['Declined'], Next: 'Never' },
          ],
          End: true,
        }),
        { Type: 'Pass', Name: 'OnDeclined', End: true },
        { Type: 'Pass', Name: 'OnAny', End: true },
        { Type: 'Pass', Name: 'Never', End: true },
      ]),
      tasks: { f: (e) => fail((e as { error: string }).error, 'why') },
    });
    const declined = await bed.start({ orderId: 'o-1', error: 'Declined' });
    expect(bed.stateTrail(declined)).toEqual(['T', 'OnDeclined']);
    expect(bed.execution(declined).output).toEqual({ code: 'Declined', detail: 'why', orderId: 'o-1' });
    const other = await bed.start({ orderId: 'o-2', error: 'Other' });
    expect(bed.stateTrail(other)).toEqual(['T', 'OnAny']);
    expect(bed.execution(other).output).toEqual({ orderId: 'o-2', error: 'Other' });
  });

  it('times out with FnF.TaskTimeout, which Retry and Catch match; the late result is ignored', async () => {
    const releases: (() => void)[] = [];
    const bed = createFlowTestbed({
      definition: flow([
        task('Slow', 'slow', { Timeout: 30, Retry: [{ Errors: ['FnF.TaskTimeout'], MaxAttempts: 1, IntervalSeconds: 1 }], Catch: [{ Errors: ['FnF.TaskTimeout'], Next: 'TimedOut' }], End: true }),
        { Type: 'Pass', Name: 'TimedOut', End: true },
      ]),
      tasks: { slow: () => new Promise<unknown>((resolve) => releases.push(() => resolve({ late: true }))) },
    });
    const name = bed.engine.startExecution(bed.flowName, 'slow-1', {}).doc.name;
    await bed.advance(30_000);
    await bed.advance(31_000);
    releases.forEach((release) => release());
    await bed.settle();
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded' });
    expect(bed.stateTrail(name)).toEqual(['Slow', 'TimedOut']);
    expect(types(bed, name).filter((t) => t.startsWith('TaskTimedOut') || t.startsWith('TaskSucceeded'))).toEqual(['TaskTimedOut Slow', 'TaskTimedOut Slow']);
  });
});

describe('Task with TaskMode WaitForCustomCallback', () => {
  const callbackFlow = (extra: Record<string, unknown> = {}) =>
    flow([
      task('Charge', 'charge', {
        TaskMode: 'WaitForCustomCallback',
        Parameters: { resourceArn: arn('charge'), invocationType: 'Sync', body: { 'orderId.$': '$Input.orderId', 'token.$': '$Context.Current.TaskToken' } },
        OutputConstructor: { 'payment.$': '$Output', 'orderId.$': '$Input.orderId' },
        Catch: [{ Errors: ['PaymentDeclined'], Next: 'Declined' }],
        End: true,
        ...extra,
      }),
      { Type: 'Pass', Name: 'Declined', End: true },
    ]);

  it('passes the task token, waits for ReportTaskSucceeded and takes its output as $Output', async () => {
    const bed = createFlowTestbed({ definition: callbackFlow(), tasks: { charge: () => ({ accepted: true }) } });
    const name = await bed.start({ orderId: 'o-1' });
    const [waiting] = bed.waitingTasks(name);
    expect(waiting).toMatchObject({ stateName: 'Charge', event: { orderId: 'o-1', token: waiting!.token } });
    expect(bed.execution(name).status).toBe('Running');
    await bed.reportSucceeded(waiting!.token, { paid: true, txId: 't-1' });
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { payment: { paid: true, txId: 't-1' }, orderId: 'o-1' } });
    expect(types(bed, name).filter((t) => t.startsWith('Task'))).toEqual(['TaskScheduled Charge', 'TaskStarted Charge', 'TaskSubmitted Charge', 'TaskSucceeded Charge']);
    expect(() => bed.engine.reportTaskSucceeded(waiting!.token, {})).toThrow(new FlowApiError('TaskAlreadyCompleted', `Task ${waiting!.token} has already completed.`));
    expect(() => bed.engine.reportTaskFailed('not-a-token', 'X')).toThrow(new FlowApiError('InvalidArgument', 'TaskToken is invalid: no task was given this token'));
  });

  it('refuses a reported Output that is not a JSON object, and the task keeps waiting', async () => {
    const bed = createFlowTestbed({ definition: callbackFlow(), tasks: { charge: () => ({ accepted: true }) } });
    const name = await bed.start({ orderId: 'o-5' });
    const token = bed.waitingTasks(name)[0]!.token;
    for (const output of [5, 'paid', [1], null]) {
      expect(() => bed.engine.reportTaskSucceeded(token, output)).toThrow(new FlowApiError('InvalidArgument', 'Output must be a JSON object'));
    }
    expect(bed.execution(name).status).toBe('Running');
    await bed.reportSucceeded(token, { paid: true });
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { payment: { paid: true } } });
  });

  it('fails with the reported error, which Catch matches', async () => {
    const bed = createFlowTestbed({ definition: callbackFlow(), tasks: { charge: () => undefined } });
    const name = await bed.start({ orderId: 'o-2' });
    await bed.reportFailed(bed.waitingTasks(name)[0]!.token, 'PaymentDeclined', 'card 0002');
    expect(bed.stateTrail(name)).toEqual(['Charge', 'Declined']);
    expect(bed.history(name).find((e) => e.type === 'TaskFailed')!.detail).toEqual({ Error: 'PaymentDeclined', Cause: 'card 0002' });
  });

  it('accepts a report that arrives before the invocation returns', async () => {
    let finish: () => void = () => undefined;
    const bed = createFlowTestbed({ definition: callbackFlow(), tasks: { charge: () => new Promise((resolve) => (finish = () => resolve({ accepted: true }))) } });
    const name = bed.engine.startExecution(bed.flowName, 'early', { orderId: 'o-3' }).doc.name;
    await new Promise((resolve) => setImmediate(resolve));
    const token = bed.waitingTasks(name)[0]!.token;
    bed.engine.reportTaskSucceeded(token, { paid: true });
    finish();
    await bed.settle();
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { payment: { paid: true } } });
  });

  it('times out waiting, mints a new token for the retry, and the old token is spent', async () => {
    const bed = createFlowTestbed({ definition: callbackFlow({ Timeout: 60, Retry: [{ Errors: ['FnF.TaskTimeout'], MaxAttempts: 1, IntervalSeconds: 5 }] }), tasks: { charge: () => ({}) } });
    const name = await bed.start({ orderId: 'o-4' });
    const first = bed.waitingTasks(name)[0]!.token;
    await bed.advance(65_000);
    const second = bed.waitingTasks(name)[0]!.token;
    expect(second).not.toBe(first);
    expect(() => bed.engine.reportTaskSucceeded(first, {})).toThrow(expect.objectContaining({ code: 'TaskAlreadyCompleted' }));
    await bed.advance(60_000);
    expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'FnF.TaskTimeout' } });
  });

  it('fails the task when the invocation itself fails', async () => {
    const bed = createFlowTestbed({ definition: callbackFlow(), tasks: { charge: () => fail('GatewayDown') } });
    const name = await bed.start({ orderId: 'o-5' });
    expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'GatewayDown' } });
    expect(bed.waitingTasks(name)).toEqual([]);
  });
});

describe('Choice', () => {
  const choiceFlow = flow([
    {
      Type: 'Choice',
      Name: 'Route',
      Branches: [
        { Condition: '$Input.status == "paid" && $Input.amount > 100', Next: 'Big' },
        { Condition: '$Input.status == `paid`', Next: 'Small' },
        { Condition: '"vip" in $Input.tags', Next: 'Vip' },
      ],
      Default: 'Other',
    },
    { Type: 'Pass', Name: 'Big', End: true },
    { Type: 'Pass', Name: 'Small', End: true },
    { Type: 'Pass', Name: 'Vip', End: true },
    { Type: 'Pass', Name: 'Other', End: true },
  ]);

  it('takes the first branch whose condition holds, else Default, and passes its input on', async () => {
    const bed = createFlowTestbed({ definition: choiceFlow, tasks: {} });
    const cases: [object, string][] = [
      [{ status: 'paid', amount: 500, tags: [] }, 'Big'],
      [{ status: 'paid', amount: 5, tags: ['vip'] }, 'Small'],
      [{ status: 'new', amount: 5, tags: ['vip'] }, 'Vip'],
      [{ status: 'new', amount: 5, tags: [] }, 'Other'],
    ];
    for (const [input, expected] of cases) {
      const name = await bed.start(input);
      expect(bed.stateTrail(name)).toEqual(['Route', expected]);
      expect(bed.execution(name).output).toEqual(input);
    }
  });

  it('fails with FnF.RuntimeError when a condition cannot be evaluated', async () => {
    const bed = createFlowTestbed({ definition: choiceFlow, tasks: {} });
    const name = await bed.start({ status: 'paid', amount: 'lots', tags: [] });
    expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: expect.stringContaining('compares two numbers or two strings') } });
  });
});

describe('Wait', () => {
  it('waits Seconds or Seconds.$ of virtual time, then passes its input on', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        { Type: 'Wait', Name: 'Fixed', Seconds: 300, Next: 'Dynamic' },
        { Type: 'Wait', Name: 'Dynamic', 'Seconds.$': '$Input.delay', End: true },
      ]),
      tasks: {},
    });
    const name = await bed.start({ delay: 7 });
    await bed.advance(299_999);
    expect(bed.stateTrail(name)).toEqual(['Fixed']);
    await bed.advance(1);
    expect(bed.stateTrail(name)).toEqual(['Fixed', 'Dynamic']);
    await bed.advance(7_000);
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { delay: 7 }, stoppedAt: bed.execution(name).startedAt + 307_000 });
    const bad = await bed.start({ delay: 301 });
    await bed.advance(300_000);
    expect(bed.execution(bad)).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: 'Seconds.$ gave 301; a Wait lasts 0..300 seconds' } });
  });

  it('fails with FnF.RuntimeError when Seconds.$ gives a fraction or a string: CloudFlow types Seconds as int', async () => {
    const bed = createFlowTestbed({ definition: flow([{ Type: 'Wait', Name: 'Dynamic', 'Seconds.$': '$Input.delay', End: true }]), tasks: {} });
    for (const delay of [1.5, '2']) {
      const name = await bed.start({ delay });
      await bed.advance(3_000);
      expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: `Seconds.$ gave ${JSON.stringify(delay)}; a Wait lasts 0..300 seconds` } });
    }
  });
});

describe('Parallel', () => {
  it('runs the branches together and outputs {Branch0, Branch1, …}; Succeed ends only its branch', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        {
          Type: 'Parallel',
          Name: 'Fan',
          Branches: [
            { StartAt: 'A', States: [task('A', 'a', { End: true })] },
            { StartAt: 'Quit', States: [{ Type: 'Succeed', Name: 'Quit', OutputConstructor: { quit: true } }, { Type: 'Pass', Name: 'Unreached', End: true }] },
            { StartAt: 'W', States: [{ Type: 'Wait', Name: 'W', Seconds: 3, End: true }] },
          ],
          OutputConstructor: { 'a.$': '$Output.Branch0.Body', 'quit.$': '$Output.Branch1.quit', 'w.$': '$Output.Branch2' },
          Next: 'After',
        },
        { Type: 'Pass', Name: 'After', End: true },
      ]),
      tasks: { a: () => 'from a' },
    });
    const name = await bed.start({ x: 1 });
    await bed.advance(3_000);
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { a: 'from a', quit: true, w: { x: 1 } } });
    expect(bed.stateTrail(name)).not.toContain('Unreached');
    expect(types(bed, name).filter((t) => t.startsWith('Branch'))).toEqual(['BranchEntered Fan', 'BranchEntered Fan', 'BranchEntered Fan', 'BranchExited Fan', 'BranchExited Fan', 'BranchExited Fan']);
  });

  it('fails when a branch fails (a Fail state or a task error), stops the other branches, and its Catch matches the branch error', async () => {
    const slow: TaskHandler = () => new Promise((resolve) => setTimeout(() => resolve('late'), 5));
    const bed = createFlowTestbed({
      definition: flow([
        {
          Type: 'Parallel',
          Name: 'Fan',
          Branches: [
            { StartAt: 'Slow', States: [task('Slow', 'slow', { Next: 'AfterSlow' }), task('AfterSlow', 'slow', { End: true })] },
            { StartAt: 'Check', States: [{ Type: 'Choice', Name: 'Check', Branches: [{ Condition: '$Input.ok', Next: 'Fine' }], Default: 'Boom' }, { Type: 'Pass', Name: 'Fine', End: true }, { Type: 'Fail', Name: 'Boom', Code: 'OutOfStock', Detail: 'sku x' }] },
            { StartAt: 'Long', States: [{ Type: 'Wait', Name: 'Long', Seconds: 60, Next: 'AfterLong' }, { Type: 'Pass', Name: 'AfterLong', End: true }] },
          ],
          Catch: [{ Errors: ['OutOfStock'], Next: 'Compensate', OutputConstructor: { 'code.$': '$Context.Current.Error.Code' } }],
          End: true,
        },
        { Type: 'Pass', Name: 'Compensate', End: true },
      ]),
      tasks: { slow },
    });
    const name = await bed.start({ ok: false });
    await bed.advance(120_000);
    expect(bed.execution(name)).toMatchObject({ status: 'Succeeded', output: { code: 'OutOfStock' } });
    const trail = bed.stateTrail(name);
    expect(trail).toContain('Compensate');
    expect(trail).not.toContain('AfterSlow');
    expect(trail).not.toContain('AfterLong');
    expect(bed.calls.map((c) => c.stateName)).toEqual(['Slow']);
    expect(bed.history(name).find((e) => e.type === 'StepFailed' && e.stepName === 'Fan')!.detail).toEqual({ Error: 'OutOfStock', Cause: 'sku x', CaughtBy: 'Compensate' });
  });

  it('an uncaught branch error fails the execution; Retry runs every branch again', async () => {
    let runs = 0;
    const bed = createFlowTestbed({
      definition: flow([
        {
          Type: 'Parallel',
          Name: 'Fan',
          Branches: [{ StartAt: 'A', States: [task('A', 'a', { End: true })] }, { StartAt: 'B', States: [task('B', 'b', { End: true })] }],
          Retry: [{ Errors: ['Flaky'], MaxAttempts: 1, IntervalSeconds: 2 }],
          End: true,
        },
      ]),
      tasks: { a: () => ({ run: ++runs }), b: () => fail('Flaky', 'b broke') },
    });
    const name = await bed.start({});
    await bed.advance(10_000);
    expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'Flaky', detail: 'b broke' } });
    expect(bed.calls.map((c) => `${c.stateName}@${c.retryCount}`).sort()).toEqual(['A@0', 'A@0', 'B@0', 'B@0']);
    expect(runs).toBe(2);
  });
});

describe('Map', () => {
  it('runs the processor for each item with at most MaxConcurrency at once and outputs {Items} in item order', async () => {
    let running = 0;
    let peak = 0;
    const bed = createFlowTestbed({
      definition: flow([
        {
          Type: 'Map',
          Name: 'Each',
          ItemsPath: '$Input.skus',
          MaxConcurrency: 2,
          Processor: { StartAt: 'Reserve', States: [task('Reserve', 'reserve', { End: true })] },
          OutputConstructor: { 'reserved.$': '$Output.Items' },
          End: true,
        },
      ]),
      tasks: {
        reserve: async (sku) => {
          running++;
          peak = Math.max(peak, running);
          await new Promise((resolve) => setTimeout(resolve, (sku as string).length));
          running--;
          return `ok ${String(sku)}`;
        },
      },
    });
    const name = await bed.start({ skus: ['aaaaa', 'b', 'ccc', 'd', 'eeeeeee'] });
    await bed.settle();
    expect(peak).toBe(2);
    expect(bed.execution(name).output).toEqual({ reserved: ['ok aaaaa', 'ok b', 'ok ccc', 'ok d', 'ok eeeeeee'].map((Body) => ({ Body })) });
    expect(types(bed, name).filter((t) => t.startsWith('Iteration')).length).toBe(10);
  });

  it('outputs {Items: []} for an empty array and fails with FnF.RuntimeError when ItemsPath is no array', async () => {
    const bed = createFlowTestbed({
      definition: flow([{ Type: 'Map', Name: 'Each', ItemsPath: '$Input.items', Processor: { StartAt: 'P', States: [{ Type: 'Pass', Name: 'P', End: true }] }, End: true }]),
      tasks: {},
    });
    expect(bed.execution(await bed.start({ items: [] })).output).toEqual({ Items: [] });
    expect(bed.execution(await bed.start({ items: 'x' }))).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: 'ItemsPath gave string, not an array' } });
  });

  it('fails when an item fails, starts no further items, and its Catch matches the item error', async () => {
    const bed = createFlowTestbed({
      definition: flow([
        {
          Type: 'Map',
          Name: 'Each',
          ItemsPath: '$Input.items',
          MaxConcuccency: 1,
          Processor: { StartAt: 'Check', States: [task('Check', 'check', { End: true })] },
          Catch: [{ Errors: ['BadItem'], Next: 'Handle' }],
          End: true,
        },
        { Type: 'Pass', Name: 'Handle', End: true },
      ]),
      tasks: { check: (item) => (item === 2 ? fail('BadItem', 'two') : item) },
    });
    const name = await bed.start({ items: [1, 2, 3, 4] });
    expect(bed.stateTrail(name)).toEqual(['Each', 'Check', 'Check', 'Handle']);
    expect(bed.calls.map((c) => c.event)).toEqual([1, 2]);
  });
});

describe('Fail', () => {
  it('ends the execution as Failed with its Code and Detail', async () => {
    const bed = createFlowTestbed({ definition: flow([{ Type: 'Pass', Name: 'A', Next: 'Stop' }, { Type: 'Fail', Name: 'Stop', Code: 'OrderFailed', Detail: 'saga compensated' }]), tasks: {} });
    const name = await bed.start({});
    expect(bed.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'OrderFailed', detail: 'saga compensated' } });
    expect(bed.history(name).at(-1)).toMatchObject({ type: 'ExecutionFailed', detail: { Error: 'OrderFailed', Cause: 'saga compensated' } });
  });
});

describe('executions', () => {
  it('time out as TimedOut after the flow Timeout', async () => {
    const bed = createFlowTestbed({ definition: flow([{ Type: 'Wait', Name: 'W', Seconds: 120, End: true }], { Timeout: 60 }), tasks: {} });
    const name = await bed.start({});
    await bed.advance(60_000);
    expect(bed.execution(name)).toMatchObject({ status: 'TimedOut', error: { code: 'FnF.Timeout' } });
    expect(bed.history(name).at(-1)!.type).toBe('ExecutionTimedOut');
  });

  it('stop on StopExecution: a waiting callback can no longer be reported, a stopped one cannot be stopped again', async () => {
    const bed = createFlowTestbed({
      definition: flow([task('Charge', 'charge', { TaskMode: 'WaitForCustomCallback', End: true })]),
      tasks: { charge: () => ({}) },
    });
    const name = await bed.start({});
    const token = bed.waitingTasks(name)[0]!.token;
    bed.engine.stopExecution(bed.flowName, name, 'Cancelled', 'by the user');
    expect(bed.execution(name)).toMatchObject({ status: 'Stopped', error: { code: 'Cancelled', detail: 'by the user' } });
    expect(bed.history(name).at(-1)).toMatchObject({ type: 'ExecutionStopped', detail: { Error: 'Cancelled', Cause: 'by the user' } });
    expect(() => bed.engine.reportTaskSucceeded(token, {})).toThrow(expect.objectContaining({ code: 'TaskAlreadyCompleted' }));
    expect(() => bed.engine.stopExecution(bed.flowName, name)).toThrow(expect.objectContaining({ code: 'ExecutionAlreadyCompleted' }));
    expect(() => bed.engine.stopExecution(bed.flowName, 'nope')).toThrow(expect.objectContaining({ code: 'ExecutionNotExists' }));
    expect(() => bed.engine.describeExecution('no-flow', name)).toThrow(expect.objectContaining({ code: 'FlowNotExists' }));
  });

  it('fail with FnF.RuntimeError for a loop with no Task or Wait, and for a state output over 64 KiB', async () => {
    const loop = createFlowTestbed({
      definition: flow([{ Type: 'Choice', Name: 'Again', Branches: [{ Condition: 'true', Next: 'Again' }], Default: 'Again' }]),
      tasks: {},
    });
    expect(loop.execution(await loop.start({}))).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: expect.stringContaining('the flow loops') } });
    const big = createFlowTestbed({ definition: flow([task('Big', 'big', { End: true })]), tasks: { big: () => ({ blob: 'x'.repeat(70_000) }) } });
    expect(big.execution(await big.start({}))).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: expect.stringMatching(/^the state output is \d+ bytes; CloudFlow allows 65536/) } });
  });
});
