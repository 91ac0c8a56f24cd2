import FnF from '@alicloud/fnf-2019-03-15';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { eventually } from '../helpers/eventually';
import { flowFixtureApp } from '../helpers/flow-app';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/**
 * A real crash: the local cloud is killed with SIGKILL while one execution waits for a payment
 * callback, one sits in a Wait and one waits to retry a failed step. Started again on the same data
 * folder, every execution finishes — the callback token still works, the wait and the retry keep their
 * deadlines — and no step's side effect (a ledger line) happens more often than the flow asked for.
 */
describe('flows survive a killed local cloud', () => {
  const dir = tempDir('fx-flow-kill-');
  const ledgers = join(dir.path, 'ledgers');
  const dataDir = join(dir.path, 'data');
  let app: string;
  let running: LocalCloudProcess | undefined;

  beforeAll(() => {
    app = flowFixtureApp(dir.path);
    mkdirSync(ledgers, { recursive: true });
  });
  afterAll(async () => {
    await running?.kill();
    dir.cleanup();
  });

  const ledger = (orderId: string) => (existsSync(join(ledgers, `${orderId}.ledger`)) ? readFileSync(join(ledgers, `${orderId}.ledger`), 'utf8').trim().split('\n').map((l) => l.split(' ')[0]) : []);
  const client = (cloud: LocalCloudProcess) => new FnF({ endpoint: cloud.fnf, ...LOCAL_CREDENTIALS });
  const types = async (fnf: FnF, name: string) => (await fnf.getExecutionHistory({ FlowName: 'fx-order-flow', ExecutionName: name, Limit: 1000 })).Events.map((e) => `${e.Type} ${e.StepName}`);

  it('resumes callbacks, waits and retries after SIGKILL, with no step run twice', async () => {
    running = await startLocalCloudProcess({ root: app, dataDir, env: { FX_LEDGER_DIR: ledgers } });
    let fnf = client(running);
    const start = (name: string, input: object) => fnf.startExecution({ FlowName: 'fx-order-flow', ExecutionName: name, Input: JSON.stringify(input) });
    await start('kill-callback', { orderId: 'kill-callback', mode: 'later', pause: 0 });
    await start('kill-wait', { orderId: 'kill-wait', mode: 'self', pause: 8 });
    await start('kill-retry', { orderId: 'kill-retry', mode: 'self', pause: 0, failTimes: 1 });

    // Each execution reaches the point where it waits: for the callback, for the Wait, for the retry.
    let token = '';
    await eventually(
      async () => {
        const callback = await fnf.getExecutionHistory({ FlowName: 'fx-order-flow', ExecutionName: 'kill-callback', Limit: 1000 });
        expect(callback.Events.map((e) => e.Type)).toContain('TaskSubmitted');
        token = (JSON.parse(callback.Events.find((e) => e.Type === 'TaskScheduled' && e.StepName === 'Charge')!.EventDetail) as { TaskToken: string }).TaskToken;
        expect(await types(fnf, 'kill-wait')).toContain('StepStarted Pause');
        expect(await types(fnf, 'kill-retry')).toContain('StepFailed Reserve');
      },
      { timeoutMs: 30000, intervalMs: 100 },
    );
    await running.kill('SIGKILL');
    const killedAt = Date.now();

    running = await startLocalCloudProcess({ root: app, dataDir, env: { FX_LEDGER_DIR: ledgers } });
    fnf = client(running);
    await fnf.reportTaskSucceeded({ TaskToken: token, Output: JSON.stringify({ paid: true, by: 'shell after restart' }) });
    const finished = async (name: string) =>
      eventually(
        async () => {
          const e = await fnf.describeExecution({ FlowName: 'fx-order-flow', ExecutionName: name });
          expect(e.Status).toBe('Succeeded');
          return e;
        },
        { timeoutMs: 40000, intervalMs: 200 },
      );
    expect(JSON.parse((await finished('kill-callback')).Output!)).toEqual({ orderId: 'kill-callback', payment: { paid: true, by: 'shell after restart' } });
    const waited = await finished('kill-wait');
    expect(JSON.parse(waited.Output!)).toEqual({ orderId: 'kill-wait', payment: { paid: true, by: 'function' } });
    await finished('kill-retry');

    // The wait kept its deadline: it ended 8 s after it began, not 8 s after the restart.
    const waitEvents = (await fnf.getExecutionHistory({ FlowName: 'fx-order-flow', ExecutionName: 'kill-wait', Limit: 1000 })).Events;
    const pauseStarted = Date.parse(waitEvents.find((e) => e.Type === 'StepStarted' && e.StepName === 'Pause')!.Time);
    const pauseEnded = Date.parse(waitEvents.find((e) => e.Type === 'StepSucceeded' && e.StepName === 'Pause')!.Time);
    expect(pauseEnded - pauseStarted).toBeGreaterThanOrEqual(8000);
    expect(pauseEnded).toBeGreaterThanOrEqual(killedAt);

    expect(ledger('kill-callback')).toEqual(['reserve', 'pay']);
    expect(ledger('kill-wait')).toEqual(['reserve', 'pay']);
    expect(ledger('kill-retry')).toEqual(['reserve', 'reserve', 'pay']);
    // One history per execution across both processes: event ids run on without gaps.
    for (const name of ['kill-callback', 'kill-wait', 'kill-retry']) {
      const ids = (await fnf.getExecutionHistory({ FlowName: 'fx-order-flow', ExecutionName: name, Limit: 1000 })).Events.map((e) => e.EventId);
      expect(ids).toEqual(ids.map((_id, i) => i + 1));
    }
  });
});
