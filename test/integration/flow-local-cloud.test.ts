import FnF from '@alicloud/fnf-2019-03-15';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { loadSpec } from '../../scripts/local/spec/load';
import { SpecErrors } from '../../scripts/local/spec/errors';
import { eventually } from '../helpers/eventually';
import { flowFixtureApp } from '../helpers/flow-app';
import { tempDir } from '../helpers/temp';

/**
 * A CloudFlow flow from s.yaml (`component: flow`) in the local cloud: deployed at start, reached with
 * the real SDK at the FnF endpoint, its tasks run by the local functions exactly as FC runs them, and a
 * function reporting its own callback through the WorkflowClient adapter from a bundle with no
 * node_modules around it (test/fixtures/apps/flows).
 */
type Endpoints = { accountId: string; region: string; credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string }; fnf: { endpoint: string; flows: string[] } };

describe('flows in the local cloud', () => {
  const dir = tempDir('fx-flows-');
  const ledgers = join(dir.path, 'ledgers');
  let cloud: LocalCloud;
  let fnf: FnF;
  const ledger = (orderId: string) => (existsSync(join(ledgers, `${orderId}.ledger`)) ? readFileSync(join(ledgers, `${orderId}.ledger`), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]) : []);
  const describeExecution = (name: string) => fnf.describeExecution({ FlowName: 'fx-order-flow', ExecutionName: name });
  const history = async (name: string) => (await fnf.getExecutionHistory({ FlowName: 'fx-order-flow', ExecutionName: name, Limit: 1000 })).Events;

  beforeAll(async () => {
    const app = flowFixtureApp(dir.path);
    cloud = await startLocalCloud({ root: app, port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: { FX_LEDGER_DIR: ledgers } });
    mkdirSync(ledgers, { recursive: true });
    const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as Endpoints;
    fnf = new FnF({ endpoint: endpoints.fnf.endpoint, ...endpoints.credentials });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('deploys s.yaml\'s flow at start, with its variables rendered, and lists the FnF endpoint', async () => {
    const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as Endpoints;
    expect(endpoints).toMatchObject({ accountId: LOCAL_ACCOUNT_ID, region: 'cn-hangzhou', fnf: { endpoint: cloud.fnf.endpoint, flows: ['fx-order-flow'] } });
    const flow = await fnf.describeFlow({ Name: 'fx-order-flow' });
    expect(flow).toMatchObject({ Name: 'fx-order-flow', Description: 'reserve, pause, then wait for the payment callback', RoleArn: `acs:ram::${LOCAL_ACCOUNT_ID}:role/fx-flow-role`, Type: 'FDL' });
    const definition = JSON.parse(flow.Definition) as { States: { Parameters?: { resourceArn: string } }[] };
    expect(definition.States[0]!.Parameters!.resourceArn).toBe(`acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/fx-flow-step/LATEST`);
  });

  it('runs an execution through the real functions: retries a Transient error, waits, and takes the callback the function reports itself', async () => {
    await fnf.startExecution({ FlowName: 'fx-order-flow', ExecutionName: 'order-self', Input: JSON.stringify({ orderId: 'self-1', mode: 'self', pause: 1, failTimes: 1 }) });
    const done = await eventually(
      async () => {
        const e = await describeExecution('order-self');
        expect(e.Status).toBe('Succeeded');
        return e;
      },
      { timeoutMs: 30000, intervalMs: 200 },
    );
    expect(JSON.parse(done.Output!)).toEqual({ orderId: 'self-1', payment: { paid: true, by: 'function' } });
    expect(ledger('self-1')).toEqual(['reserve', 'reserve', 'pay']);

    const events = await history('order-self');
    const reserveFailed = events.find((e) => e.Type === 'TaskFailed');
    expect(JSON.parse(reserveFailed!.EventDetail)).toEqual({ Error: 'Transient', Cause: 'reserve failed on call 1' });
    const reserved = events.find((e) => e.Type === 'TaskSucceeded' && e.StepName === 'Reserve');
    // The function got exactly Parameters.body as its event, as FC delivers it.
    expect(JSON.parse(reserved!.EventDetail)).toEqual({ Output: { Body: { step: 'reserve', orderId: 'self-1', call: 2, event: { step: 'reserve', input: { orderId: 'self-1', mode: 'self', pause: 1, failTimes: 1 } } } } });
    // The function reported before its own invocation returned: the task ended at once, with no TaskSubmitted.
    expect(events.filter((e) => e.StepName === 'Charge' && e.Type.startsWith('Task')).map((e) => e.Type)).toEqual(['TaskScheduled', 'TaskStarted', 'TaskSucceeded']);
    expect(events.at(-1)!.Type).toBe('ExecutionSucceeded');
    const invocations = cloud.runtime.recent({ functionName: 'fx-flow-step', limit: 10 });
    expect(invocations.map((r) => r.source)).toContain('flow:fx-order-flow/order-self/Reserve');
  });

  it('fails into the Catch when the function reports a declined payment', async () => {
    await fnf.startExecution({ FlowName: 'fx-order-flow', ExecutionName: 'order-declined', Input: JSON.stringify({ orderId: 'declined-1', mode: 'decline', pause: 0 }) });
    await eventually(async () => expect((await describeExecution('order-declined')).Status).toBe('Failed'), { timeoutMs: 30000, intervalMs: 200 });
    const events = await history('order-declined');
    expect(events.filter((e) => e.Type === 'StepEntered').map((e) => e.StepName)).toEqual(['Reserve', 'Pause', 'Charge', 'Declined']);
    expect(JSON.parse(events.at(-1)!.EventDetail)).toEqual({ Error: 'OrderFailed', Cause: 'payment declined' });
  });

  it('waits for a callback a shell reports with the SDK, and shows the execution in the console', async () => {
    await fnf.startExecution({ FlowName: 'fx-order-flow', ExecutionName: 'order-later', Input: JSON.stringify({ orderId: 'later-1', mode: 'later', pause: 0 }) });
    const submitted = await eventually(
      async () => {
        const event = (await history('order-later')).find((e) => e.Type === 'TaskScheduled' && e.StepName === 'Charge');
        if (!event) throw new Error('Charge is not scheduled yet');
        return event;
      },
      { timeoutMs: 30000, intervalMs: 200 },
    );
    const token = (JSON.parse(submitted.EventDetail) as { TaskToken: string }).TaskToken;
    await eventually(async () => expect((await history('order-later')).map((e) => e.Type)).toContain('TaskSubmitted'), { timeoutMs: 30000, intervalMs: 100 });
    await fnf.reportTaskSucceeded({ TaskToken: token, Output: JSON.stringify({ paid: true, by: 'shell' }) });
    await eventually(async () => expect((await describeExecution('order-later')).Status).toBe('Succeeded'), { timeoutMs: 10000 });

    const list = (await (await fetch(`${cloud.url}/_local/api/executions?flow=fx-order-flow`)).json()) as { name: string; status: string }[];
    expect(list.map((e) => e.name)).toEqual(expect.arrayContaining(['order-later', 'order-self', 'order-declined']));
    const one = (await (await fetch(`${cloud.url}/_local/api/executions/fx-order-flow/order-later`)).json()) as { status: string; output: unknown; events: { type: string; stepName: string }[] };
    expect(one).toMatchObject({ status: 'Succeeded', output: { orderId: 'later-1', payment: { paid: true, by: 'shell' } } });
    expect(one.events.filter((e) => e.type === 'StepEntered').map((e) => e.stepName)).toEqual(['Reserve', 'Pause', 'Charge']);
    const page = await (await fetch(`${cloud.url}/_local/`)).text();
    expect(page).toContain('Flow executions');
  });

  it('bundles the callback function with the FnF SDK inside, runnable with no node_modules near it', () => {
    const bundle = join(cloud.spec.baseDir, 'dist', 'pay', 'index.js');
    const text = readFileSync(bundle, 'utf8');
    expect(text).toContain('ReportTaskSucceeded');
    for (let folder = join(bundle, '..'); folder !== '/'; folder = join(folder, '..')) expect(existsSync(join(folder, 'node_modules'))).toBe(false);
  });
});

describe('s.yaml flows the local cloud refuses', () => {
  const dir = tempDir('fx-flows-bad-');
  afterAll(() => dir.cleanup());

  function load(edit: (flow: Record<string, unknown>, yamlText: string) => string, sEdit: (s: string) => string = (s) => s): string[] {
    const app = flowFixtureApp(join(dir.path, `case-${Math.random().toString(36).slice(2)}`));
    const file = join(app, 'flows', 'order-flow.yaml');
    const text = readFileSync(file, 'utf8');
    writeFileSync(file, edit(YAML.parse(text) as Record<string, unknown>, text));
    writeFileSync(join(app, 's.yaml'), sEdit(readFileSync(join(app, 's.yaml'), 'utf8')));
    try {
      loadSpec(join(app, 's.yaml'), {});
    } catch (err) {
      if (err instanceof SpecErrors) return err.errors.map((e) => e.message.split('\n')[0]!);
      throw err;
    }
    return [];
  }

  it('accepts the fixture as it is', () => {
    expect(load((_f, text) => text)).toEqual([]);
  });

  it('names the state and the field of an unsupported definition, and a task naming an undeclared function', () => {
    const errors = load((_f, text) => text.replace('    Timeout: 120\n', '    Timeout: 120\n    HeartbeatSeconds: 30\n').replace('functions/fx-flow-pay', 'functions/fx-flow-ghost'));
    expect(errors).toEqual([
      's.yaml resources.order-flow.props.definition: state "Charge" (States[2].HeartbeatSeconds): HeartbeatSeconds is not supported: CloudFlow Tasks have no heartbeat; use Timeout',
      's.yaml resources.order-flow.props.definition: state "Charge" (States[2].Parameters.resourceArn): function fx-flow-ghost is not declared in s.yaml',
    ]);
  });

  it('refuses unknown flow props, Express mode and another region', () => {
    const errors = load(
      (_f, text) => text,
      (s) => s.replace('      name: fx-order-flow\n', '      name: fx-order-flow\n      executionMode: Express\n      schedule: x\n').replace("      region: ${vars.region}\n      name", '      region: cn-shanghai\n      name'),
    );
    expect(errors).toEqual([
      's.yaml resources.order-flow.props.schedule: unknown key, not supported by the local cloud',
      's.yaml resources.order-flow.props.region: cn-shanghai is not the region of the functions (cn-hangzhou)',
      's.yaml resources.order-flow.props.executionMode: "Express" is not emulated',
    ]);
  });

  it('refuses a flow name that is not the definition\'s Name, as CreateFlow does', () => {
    expect(load((_f, text) => text, (s) => s.replace('      name: fx-order-flow\n', '      name: fx-other-flow\n'))).toEqual([
      's.yaml resources.order-flow.props.definition.Name: "fx-order-flow" must equal the flow name "fx-other-flow" (CreateFlow refuses a mismatch)',
    ]);
  });
});
