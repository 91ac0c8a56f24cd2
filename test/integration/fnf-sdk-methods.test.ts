/**
 * Every public method of the installed `@alicloud/fnf-2019-03-15` (a pop-core RPC client), as a user's code calls
 * it with its defaults (`new FnF({ endpoint, accessKeyId, accessKeySecret, securityToken })`), against the local
 * CloudFlow — plus the 2019-03-15 actions the package has no method for, through its `request`. Each row does
 * what CloudFlow does, or gets CloudFlow's JSON error (`Code`, `Message`, `RequestId`, `HostId`, HTTP status)
 * naming what is not emulated: never a wrong success or a hang. A method a later package adds fails the
 * completeness check until it has a row. Deeper behaviour (paging, long polls, idempotency): fnf-api.test.ts.
 */
import FnF from '@alicloud/fnf-2019-03-15';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { FnfEmulator } from '../../scripts/local/emulators/fnf';
import { eventually } from '../helpers/eventually';
import { startWorkerFnf, workerFlowDefinition } from '../helpers/fnf-worker';
import { rowExpectations, rowOutcome, type RowExpected, type SdkMethodRow } from '../helpers/row-outcome';
import { tempDir } from '../helpers/temp';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;
type ApiError = Error & { code?: string; entry?: { response?: { statusCode: number } }; data?: { Code: string; Message: string; RequestId: string; HostId: string } };

const definition = workerFlowDefinition;

interface Env {
  client: FnF;
  /** A flow name no other row uses, created with the definition above. */
  flow(label: string, mode?: 'RequestComplete' | 'WaitForCustomCallback'): Promise<string>;
  name(label: string): string;
  /** The task token of the execution's waiting task, once the task has been invoked. */
  tokenOf(executionName: string): Promise<string>;
}

type Expected = RowExpected<Env>;
type Row = SdkMethodRow<Env>;

const { ok, refused } = rowExpectations<Env>();
/** What the local CloudFlow answers for an action of the API it does not emulate. */
const notEmulated = (action: string, why: RegExp): Expected => refused(400, 'ActionNotSupported', new RegExp(`'${action}' is not emulated by the local CloudFlow: ${why.source}`));

function must(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}; got ${JSON.stringify(got)}`);
}

const finished = (env: Env, flowName: string, executionName: string) =>
  eventually(async () => {
    const doc = await env.client.describeExecution({ FlowName: flowName, ExecutionName: executionName });
    if (doc.Status === 'Running') throw new Error(`${executionName} still running`);
    return doc;
  });

const ROWS: Row[] = [
  // ---- flows ----
  {
    method: 'createFlow',
    call: async (e) => {
      const name = e.name('cf');
      const created = await e.client.createFlow({ Name: name, Definition: definition(name), Description: 'd', Type: 'FDL', RoleArn: 'acs:ram::1000000000000001:role/fnf' });
      const again = await e.client.createFlow({ Name: name, Definition: definition(name), Description: 'd', Type: 'FDL' }).catch((err: ApiError) => err);
      return { created, again, name };
    },
    expected: ok((r) =>
      must(r.created.Name === r.name && r.created.Type === 'FDL' && r.created.ExecutionMode === 'Standard' && /\S/.test(r.created.Id) && r.again.code === 'FlowAlreadyExists', 'the flow; a second create FlowAlreadyExists', r),
    ),
  },
  {
    method: 'createFlow (an Express flow)',
    call: (e) => e.client.createFlow({ Name: 'x-express', Definition: definition('x-express'), Description: '', Type: 'FDL', ExecutionMode: 'Express' } as Loose),
    expected: refused(400, 'InvalidArgument', /ExecutionMode Express is not emulated/),
  },
  {
    method: 'createFlow (external storage)',
    call: (e) => e.client.createFlow({ Name: 'x-storage', Definition: definition('x-storage'), Description: '', Type: 'FDL', ExternalStorageLocation: 'oss://b/p' } as Loose),
    expected: refused(400, 'InvalidArgument', /ExternalStorageLocation is not emulated/),
  },
  {
    method: 'describeFlow',
    call: async (e) => e.client.describeFlow({ Name: await e.flow('df') }),
    expected: ok((r) => must(r.Definition.includes('Type: StateMachine') && /^\d{4}-/.test(r.CreatedTime) && /\S/.test(r.RequestId), 'the flow with its definition', r)),
  },
  { method: 'describeFlow (a missing flow)', call: (e) => e.client.describeFlow({ Name: 'no-such-flow' }), expected: refused(404, 'FlowNotExists', /no-such-flow/) },
  {
    method: 'updateFlow',
    call: async (e) => {
      const name = await e.flow('uf');
      await e.client.updateFlow({ Name: name, Description: 'changed' });
      return e.client.describeFlow({ Name: name });
    },
    expected: ok((r) => must(r.Description === 'changed' && r.Definition.includes('Type: StateMachine'), 'only the description changed', r)),
  },
  {
    method: 'deleteFlow',
    call: async (e) => {
      const name = await e.flow('xf');
      await e.client.deleteFlow({ Name: name });
      return e.client.describeFlow({ Name: name }).catch((err: ApiError) => err);
    },
    expected: ok((r) => must(r.code === 'FlowNotExists', 'gone', r.code)),
  },
  {
    method: 'listFlows',
    call: async (e) => {
      await e.flow('lf');
      const first = await e.client.listFlows({ Limit: 1 });
      return { first, second: await e.client.listFlows({ Limit: 1, NextToken: first.NextToken }) };
    },
    expected: ok((r) => must(r.first.Flows.length === 1 && Boolean(r.first.NextToken) && r.second.Flows.length === 1 && r.second.Flows[0].Name !== r.first.Flows[0].Name, 'pages of one', r)),
  },

  // ---- executions ----
  {
    method: 'startExecution',
    call: async (e) => {
      const flow = await e.flow('se');
      const started = await e.client.startExecution({ FlowName: flow, ExecutionName: 'run-1', Input: '{"n":1}' });
      return { started, done: await finished(e, flow, 'run-1') };
    },
    expected: ok((r) => must(r.started.Name === 'run-1' && r.done.Status === 'Succeeded' && r.done.Output === JSON.stringify({ Body: { done: { n: 1 } } }), 'runs the task and succeeds', r)),
  },
  {
    method: 'startExecution (no ExecutionName: CloudFlow names it)',
    call: async (e) => {
      const flow = await e.flow('sn');
      // Generated names are UUIDs; most start with a digit, which a name the caller gives may not.
      const started = [];
      for (let i = 0; i < 8; i++) started.push(await e.client.startExecution({ FlowName: flow, Input: '{}' }));
      return { started, described: await e.client.describeExecution({ FlowName: flow, ExecutionName: started[0]!.Name }) };
    },
    expected: ok((r) => must(r.started.every((x: Loose) => /^[0-9a-f-]{36}$/.test(x.Name)) && r.described.Name === r.started[0].Name, 'eight executions, each with a generated name', r.started.map((x: Loose) => x.Name))),
  },
  { method: 'startExecution (a name CloudFlow does not allow)', call: async (e) => e.client.startExecution({ FlowName: await e.flow('sb'), ExecutionName: 'a b/c' }), expected: refused(400, 'InvalidArgument', /ExecutionName "a b\/c"/) },
  { method: 'startExecution (input that is not JSON)', call: async (e) => e.client.startExecution({ FlowName: await e.flow('sj'), Input: 'not json' }), expected: refused(400, 'InvalidArgument', /Input must be JSON/) },
  { method: 'startExecution (a missing flow)', call: (e) => e.client.startExecution({ FlowName: 'no-such-flow' }), expected: refused(404, 'FlowNotExists', /no-such-flow/) },
  {
    method: 'startExecution (a flow version or alias)',
    call: async (e) => e.client.startExecution({ FlowName: await e.flow('sq'), Qualifier: 'v1' } as Loose),
    expected: refused(400, 'InvalidArgument', /Qualifier: flow versions and aliases are not emulated/),
  },
  {
    method: 'describeExecution',
    call: async (e) => {
      const flow = await e.flow('de');
      await e.client.startExecution({ FlowName: flow, ExecutionName: 'd', Input: '{}' });
      return e.client.describeExecution({ FlowName: flow, ExecutionName: 'd', WaitTimeSeconds: 5 });
    },
    expected: ok((r) => must(r.Status === 'Succeeded' && r.FlowDefinition.includes('StateMachine') && r.Input === '{}' && /^\d{4}-/.test(r.StoppedTime), 'the ended execution (long-polled)', r)),
  },
  { method: 'describeExecution (a missing execution)', call: async (e) => e.client.describeExecution({ FlowName: await e.flow('dm'), ExecutionName: 'nope' }), expected: refused(404, 'ExecutionNotExists', /nope/) },
  {
    method: 'stopExecution',
    call: async (e) => {
      const flow = await e.flow('st', 'WaitForCustomCallback');
      await e.client.startExecution({ FlowName: flow, ExecutionName: 's' });
      await e.tokenOf('s');
      const stopped = await e.client.stopExecution({ FlowName: flow, ExecutionName: 's', Error: 'Cancelled', Cause: 'by hand' });
      return { stopped, again: await e.client.stopExecution({ FlowName: flow, ExecutionName: 's' }).catch((err: ApiError) => err) };
    },
    expected: ok((r) => must(r.stopped.Status === 'Stopped' && r.again.code === 'ExecutionAlreadyCompleted', 'Stopped; stopping again ExecutionAlreadyCompleted', r)),
  },
  {
    method: 'listExecutions',
    call: async (e) => {
      const flow = await e.flow('le');
      for (const n of ['a', 'b']) await e.client.startExecution({ FlowName: flow, ExecutionName: n });
      await finished(e, flow, 'a');
      await finished(e, flow, 'b');
      return e.client.listExecutions({ FlowName: flow, Status: 'Succeeded', Limit: 10 });
    },
    expected: ok((r) => must(JSON.stringify(r.Executions.map((x: Loose) => x.Name)) === '["b","a"]', 'newest first, filtered by status', r)),
  },
  { method: 'listExecutions (a status CloudFlow does not have)', call: async (e) => e.client.listExecutions({ FlowName: await e.flow('ls'), Status: 'Done' as Loose }), expected: refused(400, 'InvalidArgument', /Status must be one of/) },
  {
    method: 'getExecutionHistory',
    call: async (e) => {
      const flow = await e.flow('gh');
      await e.client.startExecution({ FlowName: flow, ExecutionName: 'h' });
      await finished(e, flow, 'h');
      return e.client.getExecutionHistory({ FlowName: flow, ExecutionName: 'h' });
    },
    expected: ok((r) => must(r.Events[0].Type === 'ExecutionStarted' && r.Events.at(-1).Type === 'ExecutionSucceeded' && r.Events.every((x: Loose, i: number) => x.EventId === i + 1), 'every event in order', r.Events)),
  },

  // ---- task callbacks ----
  {
    method: 'reportTaskSucceeded',
    call: async (e) => {
      const flow = await e.flow('rs', 'WaitForCustomCallback');
      await e.client.startExecution({ FlowName: flow, ExecutionName: 'cb' });
      const token = await e.tokenOf('cb');
      const reported = await e.client.reportTaskSucceeded({ TaskToken: token, Output: '{"paid":true}' });
      return { reported, done: await finished(e, flow, 'cb'), twice: await e.client.reportTaskSucceeded({ TaskToken: token, Output: '{}' }).catch((err: ApiError) => err) };
    },
    expected: ok((r) => must(typeof r.reported.EventId === 'number' && r.done.Status === 'Succeeded' && r.done.Output === '{"paid":true}' && r.twice.code === 'TaskAlreadyCompleted', 'resumes the task once', r)),
  },
  {
    method: 'reportTaskFailed',
    call: async (e) => {
      const flow = await e.flow('rf', 'WaitForCustomCallback');
      await e.client.startExecution({ FlowName: flow, ExecutionName: 'cb' });
      await e.client.reportTaskFailed({ TaskToken: await e.tokenOf('cb'), Error: 'Declined', Cause: 'card' });
      return finished(e, flow, 'cb');
    },
    expected: ok((r) => must(r.Status === 'Failed', 'fails the execution', r)),
  },
  { method: 'reportTaskFailed (a token never handed out)', call: (e) => e.client.reportTaskFailed({ TaskToken: 'forged', Error: 'X' }), expected: refused(400, 'InvalidArgument', /token/i) },

  // ---- schedules: not emulated (s.yaml timers are FC timer triggers) ----
  { method: 'createSchedule', call: (e) => e.client.createSchedule({ FlowName: 'f', ScheduleName: 's', CronExpression: '0 * * * * *' }), expected: notEmulated('CreateSchedule', /flow schedules are not emulated/) },
  { method: 'describeSchedule', call: (e) => e.client.describeSchedule({ FlowName: 'f', ScheduleName: 's' }), expected: notEmulated('DescribeSchedule', /flow schedules are not emulated/) },
  { method: 'listSchedules', call: (e) => e.client.listSchedules({ FlowName: 'f' }), expected: notEmulated('ListSchedules', /flow schedules are not emulated/) },
  { method: 'updateSchedule', call: (e) => e.client.updateSchedule({ FlowName: 'f', ScheduleName: 's', Enable: false }), expected: notEmulated('UpdateSchedule', /flow schedules are not emulated/) },
  { method: 'deleteSchedule', call: (e) => e.client.deleteSchedule({ FlowName: 'f', ScheduleName: 's' }), expected: notEmulated('DeleteSchedule', /flow schedules are not emulated/) },

  // ---- 2019-03-15 actions the package has no method for, through its request() ----
  { method: 'StartSyncExecution (request)', call: (e) => e.client.request('StartSyncExecution', { FlowName: 'f' }, { method: 'POST' }), expected: notEmulated('StartSyncExecution', /Express flows are not emulated/) },
  { method: 'DescribeRegions (request)', call: (e) => e.client.request('DescribeRegions', {}), expected: notEmulated('DescribeRegions', /the local cloud has one region/) },
  {
    method: 'an action the API does not have (request)',
    call: (e) => e.client.request('LaunchRocket', {}),
    expected: refused(404, 'InvalidAction.NotFound', /LaunchRocket/),
  },
];

/** pop-core's own machinery: sends no request of its own, or is every row's transport. */
const LOCAL_ONLY: Record<string, string> = {
  request: 'the transport every other method uses (and the rows for actions without a method)',
  _buildParams: 'builds the signed parameters every row sends',
};

describe('@alicloud/fnf-2019-03-15, every method, against the local CloudFlow', () => {
  const dir = tempDir('fnf-methods-');
  let fnf: FnfEmulator;
  let seq = 0;
  let env: Env;

  beforeAll(async () => {
    const worker = await startWorkerFnf(dir.path);
    fnf = worker.fnf;
    const client = new FnF({ endpoint: fnf.endpoint, ...LOCAL_CREDENTIALS });
    const name = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
    env = {
      client,
      name,
      flow: async (label, mode = 'RequestComplete') => {
        const flow = name(label);
        await client.createFlow({ Name: flow, Definition: definition(flow, mode), Description: label, Type: 'FDL' });
        return flow;
      },
      tokenOf: worker.tokenOf,
    };
  });
  afterAll(async () => {
    await fnf?.close();
    dir.cleanup();
  });

  it.each(ROWS.map((row) => [row.method, row] as const))('%s', async (_method, row) => {
    const { result, error } = await rowOutcome<ApiError>(row.method, () => row.call(env));
    const expected = row.expected;
    if (expected.kind === 'ok') {
      if (error) throw new Error(`${row.method} failed: ${error.code ?? ''} ${error.message}`);
      await expected.check?.(result, env);
      return;
    }
    expect(error).toBeDefined();
    expect({ code: error?.code, status: error?.entry?.response?.statusCode }).toEqual({ code: expected.code, status: expected.status });
    expect(error?.data?.Message).toMatch(expected.names);
    expect(error?.data).toMatchObject({ Code: expected.code, RequestId: expect.stringMatching(/^[0-9A-F-]{36}$/), HostId: expect.stringMatching(/\S/) });
  });

  it('has a row (or a reason it sends nothing) for every public method of the installed client', () => {
    const methods = new Set<string>();
    for (let proto = FnF.prototype as object; proto && proto !== Object.prototype; proto = Object.getPrototypeOf(proto) as object) {
      for (const m of Object.getOwnPropertyNames(proto)) if (m !== 'constructor') methods.add(m);
    }
    const covered = new Set([...ROWS.map((row) => row.method.split(' ')[0]!), ...Object.keys(LOCAL_ONLY)]);
    expect([...methods].filter((m) => !covered.has(m)).sort()).toEqual([]);
  });
});
