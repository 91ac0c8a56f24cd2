import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileFlow, FlowDefinitionError, formatProblem, SUPPORTED_FIELDS } from '../../scripts/local/flow-engine/definition';
import { parseFunctionArn, resolveLocalFunction } from '../../scripts/local/flow-engine/fc-task';

/**
 * Loading a CloudFlow definition: what the engine runs is accepted, anything else is refused when the
 * flow loads — every problem at once, each naming the state and the field.
 */
const task = (name: string, extra: Record<string, unknown> = {}) => ({
  Type: 'Task',
  Name: name,
  Action: 'FC:InvokeFunction',
  TaskMode: 'RequestComplete',
  Parameters: { resourceArn: 'acs:fc:cn-hangzhou:1000000000000001:functions/reserve/LATEST', invocationType: 'Sync', 'body.$': '$Input' },
  End: true,
  ...extra,
});
const flow = (states: unknown[], extra: Record<string, unknown> = {}) => ({ Type: 'StateMachine', Name: 'f', SpecVersion: 'v1', StartAt: (states[0] as { Name: string }).Name, States: states, ...extra });

function problems(definition: unknown): string[] {
  try {
    compileFlow(definition);
  } catch (err) {
    if (err instanceof FlowDefinitionError) return err.problems.map(formatProblem);
    throw err;
  }
  return [];
}

describe('flow definitions', () => {
  it('accept every state type with the fields CloudFlow documents', () => {
    const definition = flow(
      [
        task('Reserve', {
          End: undefined,
          Next: 'Route',
          Timeout: '30',
          InputConstructor: { 'orderId.$': '$Input.orderId' },
          OutputConstructor: { 'reservation.$': '$Output.Body', fixed: 1 },
          Retry: [{ Errors: ['FC.ResourceThrottled', 'FnF.TaskTimeout'], Description: 'transient', MaxAttempts: 3, IntervalSeconds: 1, BackoffRate: 2, MaxBackoffSeconds: 10 }],
          Catch: [{ Errors: ['FnF.ALL'], Description: 'all', Next: 'Failed', OutputConstructor: { 'error.$': '$Context.Current.Error' } }],
        }),
        { Type: 'Choice', Name: 'Route', Branches: [{ Condition: '$Input.reservation.ok == true', Next: 'Both' }], Default: 'Failed' },
        {
          Type: 'Parallel',
          Name: 'Both',
          Branches: [
            { StartAt: 'P', States: [{ Type: 'Pass', Name: 'P', End: true }] },
            { StartAt: 'W', States: [{ Type: 'Wait', Name: 'W', 'Seconds.$': '$Input.delay', End: true }] },
          ],
          Retry: [{ Errors: ['FnF.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }],
          Next: 'Each',
        },
        { Type: 'Map', Name: 'Each', ItemsPath: '$Input.items', MaxConcuccency: 4, Processor: { StartAt: 'Done', States: [{ Type: 'Succeed', Name: 'Done' }] }, Next: 'Pause' },
        { Type: 'Wait', Name: 'Pause', Seconds: 300, Next: 'End' },
        { Type: 'Succeed', Name: 'End', Description: 'done' },
        { Type: 'Fail', Name: 'Failed', Code: 'OrderFailed', Detail: 'compensated', End: true },
      ],
      { Timeout: 3600, Description: 'all states' },
    );
    const compiled = compileFlow(definition);
    expect([...compiled.root.states.keys()]).toEqual(['Reserve', 'Route', 'Both', 'Each', 'Pause', 'End', 'Failed']);
    expect([...compiled.lists.keys()].sort()).toEqual(['', 'Both#0', 'Both#1', 'Each#map']);
    expect(compiled.timeoutSeconds).toBe(3600);
    const reserve = compiled.root.states.get('Reserve')!;
    expect(reserve).toMatchObject({ type: 'Task', functionName: 'reserve', timeoutSeconds: 30, invocationType: 'Sync' });
    expect(compiled.root.states.get('Each')).toMatchObject({ maxConcurrency: 4 });
  });

  it('take YAML text as CreateFlow receives it', () => {
    const compiled = compileFlow('Type: StateMachine\nName: y\nSpecVersion: v1\nStartAt: A\nStates:\n  - Type: Pass\n    Name: A\n    End: true\n');
    expect(compiled.name).toBe('y');
  });

  it('refuse fields and features the engine does not implement, naming the state and the field', () => {
    const found = problems(
      flow([
        task('Http', { Action: 'HTTP:Request', Next: 'Sys', End: undefined }),
        task('Sys', { TaskMode: 'WaitForSystemCallback', HeartbeatSeconds: 30, Next: 'Later', End: undefined, Parameters: { resourceArn: 'acs:fc:::functions/x', invocationType: 'Sync', headers: {} } }),
        { Type: 'Wait', Name: 'Later', Timestamp: '2026-01-01T00:00:00Z', Next: 'Dist' },
        { Type: 'Map', Name: 'Dist', ItemsPath: '$Input.x', ItemReader: {}, Processor: { StartAt: 'Q', States: [{ Type: 'Pass', Name: 'Q', End: true }] }, End: true },
        { Type: 'Pass', Name: 'Odd', Comment: 'x', ResultPath: '$.x', End: true },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'state "Http" (States[0].Action): Action "HTTP:Request" is not emulated: the local engine runs FC:InvokeFunction tasks only',
        'state "Sys" (States[1].HeartbeatSeconds): HeartbeatSeconds is not supported: CloudFlow Tasks have no heartbeat; use Timeout',
        expect.stringMatching(/^state "Sys" \(States\[1\]\.TaskMode\): WaitForSystemCallback is not emulated/),
        expect.stringMatching(/^state "Sys" \(States\[1\]\.Parameters\.headers\): parameter headers of FC:InvokeFunction is not supported/),
        expect.stringMatching(/^state "Later" \(States\[2\]\.Timestamp\): Timestamp is not supported: CloudFlow Wait states take Seconds or Seconds\.\$ only/),
        expect.stringMatching(/^state "Later" \(States\[2\]\.Seconds\): give Seconds/),
        expect.stringMatching(/^state "Dist" \(States\[3\]\.ItemReader\): ItemReader is not supported: distributed Map/),
        expect.stringMatching(/^state "Odd" \(States\[4\]\.Comment\): Comment is not supported: .*Description/),
        expect.stringMatching(/^state "Odd" \(States\[4\]\.ResultPath\): ResultPath is not supported: .*OutputConstructor/),
      ]),
    );
  });

  it('point a field of another flow language (Amazon States Language, older CloudFlow docs) at the CloudFlow field that does it', () => {
    const processor = { StartAt: 'Q', States: [{ Type: 'Pass', Name: 'Q', End: true }] };
    const found = problems(
      flow([
        { Type: 'Wait', Name: 'W1', SecondsPath: '$.wait', Next: 'W2' },
        { Type: 'Wait', Name: 'W2', TimestampPath: '$.until', Next: 'W3' },
        { Type: 'Wait', Name: 'W3', UntilDateTime: '2026-11-28T05:00:00Z', Next: 'M1' },
        { Type: 'Map', Name: 'M1', ItemsPath: '$Input.x', ItemProcessor: processor, Next: 'M2' },
        { Type: 'Map', Name: 'M2', ItemsPath: '$Input.x', Iterator: processor, ItemConcurrency: 3, Next: 'P' },
        { Type: 'Pass', Name: 'P', Result: { a: 1 }, InputPath: '$.y', Parameters: { b: 2 }, Next: 'C' },
        { Type: 'Choice', Name: 'C', Choices: [{ Variable: '$.a', StringEquals: 'x', Next: 'T' }], Default: 'T' },
        task('T', { TimeoutSeconds: 5, Retry: [{ ErrorEquals: ['States.ALL'], MaxAttempts: 1, IntervalSeconds: 1 }], Next: 'F', End: undefined }),
        { Type: 'Fail', Name: 'F', Error: 'E', Cause: 'C' },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'state "W1" (States[0].SecondsPath): SecondsPath is not supported: it is Amazon States Language; CloudFlow writes Seconds.$: $Input.<field>',
        'state "W2" (States[1].TimestampPath): TimestampPath is not supported: CloudFlow Wait states take Seconds or Seconds.$ only (no absolute time)',
        expect.stringMatching(/^state "W3" \(States\[2\]\.UntilDateTime\): UntilDateTime is not supported: .*no longer document it/),
        'state "M1" (States[3].ItemProcessor): ItemProcessor is not supported: it is Amazon States Language; CloudFlow names the iteration sub-flow Processor',
        'state "M2" (States[4].Iterator): Iterator is not supported: it is Amazon States Language; CloudFlow names the iteration sub-flow Processor',
        expect.stringMatching(/^state "M2" \(States\[4\]\.ItemConcurrency\): ItemConcurrency is not supported: CloudFlow caps a Map with MaxConcurrency/),
        expect.stringMatching(/^state "P" \(States\[5\]\.Result\): Result is not supported: .*OutputConstructor/),
        expect.stringMatching(/^state "P" \(States\[5\]\.InputPath\): InputPath is not supported: .*InputConstructor/),
        expect.stringMatching(/^state "P" \(States\[5\]\.Parameters\): Parameters is not supported: only Task states take Parameters/),
        expect.stringMatching(/^state "C" \(States\[6\]\.Choices\): Choices is not supported: .*Branches/),
        expect.stringMatching(/^state "T" \(States\[7\]\.TimeoutSeconds\): TimeoutSeconds is not supported: .*Timeout/),
        expect.stringMatching(/^state "T" \(States\[7\]\.Retry\[0\]\.ErrorEquals\): ErrorEquals is not supported: .*Errors/),
        expect.stringMatching(/^state "F" \(States\[8\]\.Error\): Error is not supported: .*Code/),
        expect.stringMatching(/^state "F" \(States\[8\]\.Cause\): Cause is not supported: .*Detail/),
      ]),
    );
  });

  it('refuse classic FDL, other spec versions and unknown state types', () => {
    expect(problems({ version: 'v1', type: 'flow', steps: [] })).toEqual([expect.stringMatching(/classic FDL .* is not supported/)]);
    expect(problems(flow([{ Type: 'Pass', Name: 'A', End: true }], { SpecVersion: 'v2', Comment: 'c' }))).toEqual(
      expect.arrayContaining(['SpecVersion: must be v1 (got "v2")', expect.stringMatching(/^Comment: Comment is not supported: .*Description/)]),
    );
    expect(problems(flow([{ Type: 'Activity', Name: 'A', End: true }]))).toEqual([expect.stringMatching(/state type "Activity" is not supported/)]);
  });

  it('check transitions: targets in the same States list, Next or End, unique names, StartAt', () => {
    const found = problems(
      flow([
        { Type: 'Pass', Name: 'A', Next: 'Nowhere' },
        { Type: 'Pass', Name: 'B' },
        { Type: 'Pass', Name: 'C', Next: 'A', End: true },
        { Type: 'Pass', Name: 'A', End: true },
        { Type: 'Parallel', Name: 'P', Branches: [{ StartAt: 'X', States: [{ Type: 'Pass', Name: 'X', Next: 'B' }] }], End: true },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'state "A" (States[0].Next): "Nowhere" is not a state of the same States list',
        'state "B" (States[1].Next): needs Next, or End: true',
        'state "C" (States[2].Next): give either Next or End: true, not both',
        'state "A" (States[3].Name): another state in the same States list has this name',
        'state "X" (States[4].Branches[0].States[0].Next): "B" is not a state of the same States list',
      ]),
    );
    expect(problems({ ...flow([{ Type: 'Pass', Name: 'A', End: true }]), StartAt: 'Z' })).toEqual(['StartAt: must name a state of this States list (got "Z")']);
    // A Choice without Default is told once that it needs one (it was also told that "" is no state).
    expect(problems(flow([{ Type: 'Choice', Name: 'C', Branches: [{ Condition: '$Input.a > 1', Next: 'T' }] }, { Type: 'Pass', Name: 'T', End: true }]))).toEqual([
      'state "C" (States[0].Default): is required: the state to go to when no condition holds',
    ]);
  });

  it('refuse error names the engine never raises, and malformed retry and catch rules', () => {
    const found = problems(
      flow([
        task('T', {
          Retry: [{ Errors: ['FnF.Timeout'], MaxAttempts: 2 }, { Errors: [], MaxAttempts: -1, IntervalSeconds: 1, BackoffRate: 0.5, Jitter: 'FULL' }],
          Catch: [{ Errors: ['FnF.ALL'] }],
        }),
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^state "T" \(States\[0\]\.Retry\[0\]\.Errors\): FnF\.Timeout is not an error the local engine raises \(it raises FnF\.ALL, FnF\.TaskTimeout, FnF\.RuntimeError\)/),
        'state "T" (States[0].Retry[0].IntervalSeconds): is required',
        expect.stringMatching(/Retry\[1\]\.Errors\): must be a non-empty list/),
        expect.stringMatching(/Retry\[1\]\.MaxAttempts\): must be an integer in 0\.\.1000/),
        'state "T" (States[0].Retry[1].BackoffRate): must be a number >= 1',
        expect.stringMatching(/Retry\[1\]\.Jitter\): field Jitter is not supported in a Retry rule/),
        'state "T" (States[0].Catch[0].Next): must name the state to go to',
      ]),
    );
  });

  it('refuse bad expressions and $Output outside an output constructor', () => {
    const found = problems(
      flow([
        task('T', {
          InputConstructor: { 'a.$': '$Output.Body' },
          Parameters: { resourceArn: 'acs:fc:::functions/x', invocationType: 'Sync', 'body.$': '$Input.a ==' },
          End: undefined,
          Next: 'C',
        }),
        { Type: 'Choice', Name: 'C', Branches: [{ Condition: 'status == 1', Next: 'T' }], Default: 'T' },
      ]),
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'state "T" (States[0].InputConstructor): $Output cannot be used here (available: $Input, $Context)',
        'state "T" (States[0].Parameters.body.$): unexpected end of expression at position 11 of `$Input.a ==`',
        expect.stringMatching(/^state "C" \(States\[1\]\.Branches\[0\]\.Condition\): unknown name "status"/),
      ]),
    );
  });

  it('enforce CloudFlow limits: Wait 1..300 s, Task Timeout, Map concurrency 1..40, Parallel 1..50 branches', () => {
    const found = problems(
      flow([
        { Type: 'Wait', Name: 'W', Seconds: 301, Next: 'T' },
        task('T', { Timeout: 604801, Next: 'M', End: undefined }),
        { Type: 'Map', Name: 'M', ItemsPath: '$Input.x', MaxConcurrency: 41, Processor: { StartAt: 'Q', States: [{ Type: 'Pass', Name: 'Q', End: true }] }, Next: 'P' },
        { Type: 'Parallel', Name: 'P', Branches: [], End: true },
      ]),
    );
    expect(found).toEqual([
      'state "W" (States[0].Seconds): must be an integer in 1..300 (CloudFlow standard mode) (got 301)',
      'state "T" (States[1].Timeout): must be an integer in 0..604800 (got 604801)',
      'state "M" (States[2].MaxConcurrency): must be an integer in 1..40 (got 41)',
      'state "P" (States[3].Branches): must be a list of 1..50 branches',
    ]);
  });
});

describe('function ARNs in Tasks', () => {
  const local = { region: 'cn-hangzhou', accountId: '1000000000000001', hasFunction: (n: string) => n === 'reserve' };

  it('resolve FC 3.0 ARNs of declared functions in the local region and account', () => {
    expect(resolveLocalFunction('acs:fc:cn-hangzhou:1000000000000001:functions/reserve', local)).toEqual({ functionName: 'reserve' });
    expect(resolveLocalFunction('acs:fc:::functions/reserve/LATEST', local)).toEqual({ functionName: 'reserve' });
  });

  it('refuse what would not reach a local function, saying why', () => {
    expect(resolveLocalFunction('acs:fc:cn-shanghai::functions/reserve', local)).toEqual({ error: "region cn-shanghai is not the local cloud's region cn-hangzhou" });
    expect(resolveLocalFunction('acs:fc::123:functions/reserve', local)).toEqual({ error: expect.stringMatching(/^account 123 is not the local account/) });
    expect(resolveLocalFunction('acs:fc:::functions/reserve/prod', local)).toEqual({ error: 'qualifier prod: only LATEST exists locally' });
    expect(resolveLocalFunction('acs:fc:::functions/other', local)).toEqual({ error: 'function other is not declared in s.yaml' });
    expect(parseFunctionArn('acs:fc:::services/svc.LATEST/functions/reserve')).toEqual({ error: expect.stringMatching(/FC 2\.0 service ARN/) });
    expect(parseFunctionArn('reserve')).toEqual({ error: expect.stringMatching(/is not a function ARN/) });
  });
});

describe('docs/fidelity.md, CloudFlow flows', () => {
  it('lists every field the engine implements, per state type, and nothing it does not', () => {
    const doc = readFileSync(join(__dirname, '..', '..', 'docs', 'fidelity.md'), 'utf8');
    const section = doc.slice(doc.indexOf('### CloudFlow flows'), doc.indexOf('### Not emulated yet'));
    const row = (where: string) => {
      const line = section.split('\n').find((l) => l.startsWith(`| ${where} |`));
      return line ? [...line.split('|')[2]!.matchAll(/`([^`]+)`/g)].map((m) => m[1]) : undefined;
    };
    const expected: Record<string, string[]> = {
      flow: SUPPORTED_FIELDS.flow,
      ...Object.fromEntries(Object.entries(SUPPORTED_FIELDS.states).map(([type, fields]) => [`\`${type}\``, fields])),
      'Task `Parameters`': SUPPORTED_FIELDS.taskParameters,
      '`Retry` rule': SUPPORTED_FIELDS.retry,
      '`Catch` rule': SUPPORTED_FIELDS.catch,
    };
    for (const [where, fields] of Object.entries(expected)) expect({ where, fields: row(where) }).toEqual({ where, fields });
  });
});
