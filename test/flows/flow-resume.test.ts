import { join } from 'node:path';
import { SqliteExecutionStore } from '../../scripts/local/emulators/fnf/sqlite-store';
import { createFlowTestbed, loadFlowFromSpec, type FlowTestbed, type TaskHandler } from '../../scripts/local/flow-engine/testbed';
import { VirtualClock } from '../../scripts/local/flow-engine/virtual-time';
import { flowFixtureApp } from '../helpers/flow-app';
import { tempDir } from '../helpers/temp';

/**
 * Restart and resume: a new engine over the same store picks every running execution up where its last
 * saved step left it. Waits, retries and callback timeouts keep their deadlines; a task whose invocation
 * was in flight is invoked again (at-least-once). Run over the SQLite store (a real reopen of the file)
 * and the in-memory one.
 */
const arn = (fn: string) => `acs:fc:cn-hangzhou:1000000000000001:functions/${fn}`;
const definition = {
  Type: 'StateMachine',
  Name: 'resume',
  SpecVersion: 'v1',
  StartAt: 'Reserve',
  States: [
    { Type: 'Task', Name: 'Reserve', Action: 'FC:InvokeFunction', Parameters: { resourceArn: arn('reserve'), invocationType: 'Sync', 'body.$': '$Input' }, Retry: [{ Errors: ['Transient'], MaxAttempts: 2, IntervalSeconds: 30 }], Next: 'Pause' },
    { Type: 'Wait', Name: 'Pause', Seconds: 120, Next: 'Charge' },
    {
      Type: 'Task',
      Name: 'Charge',
      Action: 'FC:InvokeFunction',
      TaskMode: 'WaitForCustomCallback',
      Timeout: 600,
      Parameters: { resourceArn: arn('charge'), invocationType: 'Sync', body: { 'token.$': '$Context.Current.TaskToken' } },
      OutputConstructor: { 'paid.$': '$Output.paid' },
      End: true,
    },
  ],
};

const stores = {
  sqlite: (dir: string) => new SqliteExecutionStore(join(dir, 'fnf.sqlite')),
  memory: undefined,
};

describe.each(Object.keys(stores) as (keyof typeof stores)[])('resuming after a restart (%s store)', (kind) => {
  const dir = tempDir('flow-resume-');
  afterAll(() => dir.cleanup());
  let n = 0;

  /** A test bed whose restart reopens the store the way a new process would. */
  function bed(tasks: Record<string, TaskHandler>): { bed: FlowTestbed; restart: (tasks: Record<string, TaskHandler>) => Promise<FlowTestbed> } {
    const folder = join(dir.path, `run-${++n}`);
    const clock = new VirtualClock();
    const open = () => (kind === 'sqlite' ? stores.sqlite(folder) : undefined);
    const first = createFlowTestbed({ definition, tasks, clock, ...(open() ? { store: open()! } : {}) });
    return {
      bed: first,
      restart: async (next) => {
        first.engine.close();
        if (first.store instanceof SqliteExecutionStore) first.store.close();
        const reopened = kind === 'sqlite' ? open()! : first.store;
        const second = createFlowTestbed({ definition, tasks: next, clock, store: reopened });
        second.engine.recover();
        await second.settle();
        return second;
      },
    };
  }

  it('keeps a Wait deadline: the wait ends at its original time, not a full wait after the restart', async () => {
    const { bed: before, restart } = bed({ reserve: () => ({}), charge: () => ({}) });
    const name = await before.start({});
    await before.advance(100_000);
    expect(before.stateTrail(name)).toEqual(['Reserve', 'Pause']);
    const after = await restart({ reserve: () => ({}), charge: () => ({}) });
    await after.advance(19_999);
    expect(after.stateTrail(name)).toEqual(['Reserve', 'Pause']);
    await after.advance(1);
    expect(after.stateTrail(name)).toEqual(['Reserve', 'Pause', 'Charge']);
  });

  it('keeps a retry deadline and the retry count', async () => {
    const { bed: before, restart } = bed({ reserve: () => { const e = new Error('busy'); e.name = 'Transient'; throw e; }, charge: () => ({}) });
    const name = await before.start({});
    await before.advance(10_000);
    const calls: number[] = [];
    const after = await restart({ reserve: (_e, ctx) => (calls.push(ctx.retryCount), {}), charge: () => ({}) });
    await after.advance(19_999);
    expect(calls).toEqual([]);
    await after.advance(1);
    expect(calls).toEqual([1]);
    expect(after.stateTrail(name)).toEqual(['Reserve', 'Pause']);
  });

  it('keeps a waiting callback: the token still works after the restart, and its timeout keeps its deadline', async () => {
    const { bed: before, restart } = bed({ reserve: () => ({}), charge: () => ({ accepted: true }) });
    const paid = await before.start({}, 'paid');
    const late = await before.start({}, 'late');
    await before.advance(120_000 + 300_000);
    const tokens = Object.fromEntries(before.waitingTasks().map((w) => [w.executionName, w.token]));
    expect(Object.keys(tokens).sort()).toEqual(['late', 'paid']);
    const after = await restart({ reserve: () => ({}), charge: () => ({}) });
    await after.reportSucceeded(tokens.paid!, { paid: true });
    expect(after.execution(paid)).toMatchObject({ status: 'Succeeded', output: { paid: true } });
    await after.advance(299_999);
    expect(after.execution(late).status).toBe('Running');
    await after.advance(1);
    expect(after.execution(late)).toMatchObject({ status: 'Failed', error: { code: 'FnF.TaskTimeout' } });
  });

  it('invokes a task again when its invocation was in flight (at-least-once) and records that in the history', async () => {
    const { bed: before, restart } = bed({ reserve: () => new Promise(() => undefined), charge: () => ({}) });
    const name = await before.start({ orderId: 'o-1' });
    expect(before.calls).toEqual([]);
    const seen: unknown[] = [];
    const after = await restart({ reserve: (event) => (seen.push(event), { ok: true }), charge: () => ({}) });
    expect(seen).toEqual([{ orderId: 'o-1' }]);
    expect(after.stateTrail(name)).toEqual(['Reserve', 'Pause']);
    const resumed = after.history(name).filter((e) => e.type === 'TaskStarted' && e.detail.Resumed);
    expect(resumed).toHaveLength(1);
    // Event ids continue where the first run stopped: one history, no gaps or repeats.
    const ids = after.history(name).map((e) => e.eventId);
    expect(ids).toEqual(ids.map((_id, i) => i + 1));
  });
});

describe('the test bed', () => {
  it('loads a flow from s.yaml as the local cloud deploys it, and restarts on the same store', async () => {
    const dir = tempDir('testbed-spec-');
    try {
      const definition = loadFlowFromSpec(join(flowFixtureApp(dir.path), 's.yaml'), 'fx-order-flow');
      const tasks: Record<string, TaskHandler> = { 'fx-flow-step': (e) => e, 'fx-flow-pay': () => ({ accepted: true }) };
      const bed = createFlowTestbed({ definition, tasks });
      const name = await bed.start({ orderId: 'o-1', mode: 'later', pause: 3 });
      await bed.advance(3_000);
      const [charge] = bed.waitingTasks(name);
      expect(charge).toMatchObject({ stateName: 'Charge', event: { orderId: 'o-1', mode: 'later', token: charge!.token } });
      const after = await bed.restart();
      await after.reportFailed(charge!.token, 'PaymentDeclined', 'card declined');
      expect(after.stateTrail(name)).toEqual(['Reserve', 'Pause', 'Charge', 'Declined']);
      expect(after.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'OrderFailed', detail: 'payment declined' } });
    } finally {
      dir.cleanup();
    }
  });
});

describe('resuming an execution whose flow no longer runs', () => {
  it('ends it as Failed with FnF.RuntimeError saying why, instead of leaving it hanging', async () => {
    const clock = new VirtualClock();
    const before = createFlowTestbed({ definition, tasks: { reserve: () => ({}), charge: () => ({}) }, clock });
    const name = await before.start({});
    before.engine.close();
    // The function Charge calls is gone from "s.yaml": the stored definition no longer compiles.
    const after = createFlowTestbed({ definition: { ...definition, States: definition.States.slice(0, 1).map((s) => ({ ...s, Next: undefined, End: true })) }, tasks: { reserve: () => ({}) }, clock, store: before.store });
    after.engine.recover();
    expect(after.execution(name)).toMatchObject({ status: 'Failed', error: { code: 'FnF.RuntimeError', detail: expect.stringContaining('no task handler for function "charge"') } });
  });
});
