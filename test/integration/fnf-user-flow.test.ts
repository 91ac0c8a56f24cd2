import FnF from '@alicloud/fnf-2019-03-15';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { FnfEmulator } from '../../scripts/local/emulators/fnf';
import { eventually } from '../helpers/eventually';
import { startWorkerFnf } from '../helpers/fnf-worker';
import { tempDir } from '../helpers/temp';

/**
 * A user's own flow, not the order saga: `test/fixtures/flows/user-everything.yaml` uses every state type
 * (Pass, Choice with each condition form, Wait with Seconds.$, Parallel with a Succeed branch, Map with
 * MaxConcurrency, a Task whose Retry backs off and whose Catch builds the next input, a WaitForCustomCallback
 * Task, Succeed, Fail) and the constructors. It is created with CreateFlow through `@alicloud/fnf-2019-03-15`
 * and driven only through the SDK, as a user's script would, and each answer is the one CloudFlow's docs give.
 */
type ApiError = Error & { code: string; data?: { Message: string } };

const DEFINITION = readFileSync(join(__dirname, '..', 'fixtures', 'flows', 'user-everything.yaml'), 'utf8');
const FLOW = 'user-everything';

describe("a user's own flow through the FnF SDK", () => {
  const dir = tempDir('fnf-user-flow-');
  let fnf: FnfEmulator;
  let client: FnF;

  beforeAll(async () => {
    ({ fnf } = await startWorkerFnf(dir.path));
    client = new FnF({ endpoint: fnf.endpoint, ...LOCAL_CREDENTIALS });
    await client.createFlow({ Name: FLOW, Definition: DEFINITION, Description: 'mine', Type: 'FDL' });
  });
  afterAll(async () => {
    await fnf?.close();
    dir.cleanup();
  });

  const history = async (name: string) => (await client.getExecutionHistory({ FlowName: FLOW, ExecutionName: name, Limit: 1000 })).Events;
  const detail = (event: { EventDetail: string }) => JSON.parse(event.EventDetail) as Record<string, unknown>;
  const ended = (name: string) =>
    eventually(
      async () => {
        const execution = await client.describeExecution({ FlowName: FLOW, ExecutionName: name });
        expect(execution.Status).not.toBe('Running');
        return execution;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  /** The Pay task's token once the execution waits for it. */
  const waitingToken = (name: string) =>
    eventually(
      async () => {
        const scheduled = (await history(name)).find((e) => e.Type === 'TaskScheduled' && e.StepName === 'Pay');
        expect(scheduled).toBeDefined();
        return detail(scheduled!).TaskToken as string;
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );

  it('runs every state type to the output CloudFlow documents, with the retries and the callback in its history', async () => {
    const input = { order: { amount: 150, currency: 'CNY', vip: false, tags: [] }, wait: 1, items: [{ n: 1 }, { n: 2 }, { n: 3 }] };
    await client.startExecution({ FlowName: FLOW, ExecutionName: 'all-states', Input: JSON.stringify(input) });
    const token = await waitingToken('all-states');
    // A report whose Output is no JSON object is refused and the task keeps waiting (states' outputs are objects).
    const scalar = await client.reportTaskSucceeded({ TaskToken: token, Output: '"paid"' }).catch((err: ApiError) => err);
    expect([(scalar as ApiError).code, (scalar as ApiError).data?.Message]).toEqual(['InvalidArgument', 'Output must be a JSON object']);
    await client.reportTaskSucceeded({ TaskToken: token, Output: JSON.stringify({ paid: true }) });

    const execution = await ended('all-states');
    expect(execution.Status).toBe('Succeeded');
    expect(JSON.parse(execution.Output!)).toEqual({
      doubled: [{ n: 2 }, { n: 4 }, { n: 6 }],
      flaky: { Code: 'Flaky', Detail: 'asked to fail' },
      paid: { paid: true },
    });
    const events = await history('all-states');
    const entered = events.filter((e) => e.Type === 'StepEntered').map((e) => e.StepName);
    expect(entered).toEqual(['Init', 'Route', 'Big', 'Sleep', 'Fan', 'CallWorker', 'Early', 'Each', 'Double', 'Double', 'Double', 'Flaky', 'Pay', 'Done']);
    // The Pass constructors and the Parallel's {Branch0, Branch1}: a Succeed ends only its branch, with its input.
    expect(detail(events.find((e) => e.Type === 'StepSucceeded' && e.StepName === 'Init')!).Output).toEqual({ order: input.order, wait: 1, greeting: 'hello', execution: 'all-states' });
    expect(detail(events.find((e) => e.Type === 'StepSucceeded' && e.StepName === 'Fan')!).Output).toEqual({ fan: { Branch0: { worked: 'big' }, Branch1: { path: 'big', wait: 1 } } });
    // Retry: two retries after 1 s and min(1 × 3, 2) = 2 s, then the Catch.
    const retries = events.filter((e) => e.Type === 'StepFailed' && e.StepName === 'Flaky').map((e) => detail(e).RetryIntervalSeconds);
    expect(retries).toEqual([1, 2, undefined]);
    const flakyStarts = events.filter((e) => e.Type === 'StepStarted' && e.StepName === 'Flaky').map((e) => Date.parse(e.Time));
    expect(flakyStarts[1]! - flakyStarts[0]!).toBeGreaterThanOrEqual(1000);
    expect(flakyStarts[2]! - flakyStarts[1]!).toBeGreaterThanOrEqual(2000);
    // The Wait took its Seconds.$.
    const sleep = events.filter((e) => e.StepName === 'Sleep').map((e) => Date.parse(e.Time));
    expect(sleep.at(-1)! - sleep[0]!).toBeGreaterThanOrEqual(1000);
    expect(events.filter((e) => e.StepName === 'Pay' && e.Type.startsWith('Task')).map((e) => e.Type)).toEqual(['TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded']);
  });

  it('takes each Choice branch by its condition form, and ends in the Fail state with its Code and Detail', async () => {
    const start = (name: string, order: object) => client.startExecution({ FlowName: FLOW, ExecutionName: name, Input: JSON.stringify({ order, wait: 0, items: [] }) });
    await start('route-gift', { amount: 5, currency: 'CNY', vip: false, tags: ['gift'] });
    await start('route-vip', { amount: 5, currency: 'USD', vip: true, tags: [] });
    await start('route-small', { amount: 5, currency: 'CNY', vip: false, tags: [] });
    await start('route-fail', { kind: 'fail' });
    const routeOf = async (name: string) => (await history(name)).filter((e) => e.Type === 'StepEntered').map((e) => e.StepName)[2];
    await waitingToken('route-gift');
    await waitingToken('route-vip');
    await waitingToken('route-small');
    expect([await routeOf('route-gift'), await routeOf('route-vip'), await routeOf('route-small')]).toEqual(['Gift', 'Big', 'Small']);

    const failed = await ended('route-fail');
    expect(failed.Status).toBe('Failed');
    expect(detail((await history('route-fail')).at(-1)!)).toEqual({ Error: 'UserFailure', Cause: 'the order failed' });

    // A declined payment reported by the user's webhook is caught and ends in the same Fail state.
    await client.reportTaskFailed({ TaskToken: await waitingToken('route-gift'), Error: 'Declined', Cause: 'card 0002' });
    expect((await ended('route-gift')).Status).toBe('Failed');
    // StopExecution ends one that waits; its token is spent.
    const token = await waitingToken('route-small');
    expect((await client.stopExecution({ FlowName: FLOW, ExecutionName: 'route-small', Error: 'Cancelled', Cause: 'by the user' })).Status).toBe('Stopped');
    const spent = await client.reportTaskSucceeded({ TaskToken: token, Output: '{}' }).catch((err: ApiError) => err);
    expect((spent as ApiError).code).toBe('TaskAlreadyCompleted');
    await client.stopExecution({ FlowName: FLOW, ExecutionName: 'route-vip' });

    // ListExecutions pages through every one exactly once.
    const seen: string[] = [];
    let next: string | undefined;
    do {
      const page = await client.listExecutions({ FlowName: FLOW, Limit: 2, ...(next ? { NextToken: next } : {}) });
      seen.push(...page.Executions.map((e) => e.Name));
      next = page.NextToken;
    } while (next);
    expect(new Set(seen).size).toBe(seen.length);
    expect(seen).toEqual(expect.arrayContaining(['route-fail', 'route-gift', 'route-small', 'route-vip']));
  });
});
