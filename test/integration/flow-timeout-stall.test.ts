import { createHmac, randomUUID } from 'node:crypto';
import { Worker } from 'node:worker_threads';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startFnfEmulator, type FnfEmulator } from '../../scripts/local/emulators/fnf';
import { rpcStringToSign } from '../../scripts/local/emulators/fnf/rpc-signature';
import type { TaskRequest } from '../../scripts/local/flow-engine/model';
import { eventually } from '../helpers/eventually';
import { workerFlowDefinition } from '../helpers/fnf-worker';
import { tempDir } from '../helpers/temp';

/**
 * A Task's `Timeout` counts time in which the local cloud could run, not the time its main thread — where the
 * FnF emulator, FC's API and every other emulator run — was stalled (docs/decisions.md D107, the rule of D65).
 * Under load the order saga's payment callback (Timeout 30 s) ran out while the whole local cloud, the
 * payment sandbox's delayed callback included, was starved of CPU; on CloudFlow the callback would have come.
 *
 * The stall is made, not hoped for: right after the task's function returned, the test blocks its own thread
 * (the local cloud's main thread) for 2.5 × the task's 1-s timeout, while a worker thread — a payment provider
 * elsewhere — sends ReportTaskSucceeded over HTTP 200 ms into it. No timing is asserted.
 */
const TIMEOUT_S = 1;

/** Block this thread for `ms`, as a busy main thread (or a machine whose CPUs are taken) does. */
const blockMainThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/** Sends a GET to the URL it is given after `delayMs`, on its own thread (unaffected by the main thread's block). */
const CALLER_CODE = `
const { parentPort } = require('node:worker_threads');
parentPort.on('message', ({ url, delayMs }) => setTimeout(() => fetch(url).then((res) => res.text()).then((body) => parentPort.postMessage(body), (err) => parentPort.postMessage(String(err))), delayMs));
`;

/** ReportTaskSucceeded as a plain signed RPC URL (signature 1.0), ready for another thread to send. */
function reportUrl(endpoint: string, token: string, output: object): string {
  const params: Record<string, string> = {
    Action: 'ReportTaskSucceeded',
    Version: '2019-03-15',
    Format: 'JSON',
    TaskToken: token,
    Output: JSON.stringify(output),
    Timestamp: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
    SignatureMethod: 'HMAC-SHA1',
    SignatureVersion: '1.0',
    SignatureNonce: randomUUID(),
    AccessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    SecurityToken: LOCAL_CREDENTIALS.securityToken,
  };
  params.Signature = createHmac('sha1', `${LOCAL_CREDENTIALS.accessKeySecret}&`).update(rpcStringToSign('GET', params)).digest('base64');
  return `${endpoint}/?${new URLSearchParams(params)}`;
}

describe('a task timeout does not count the local cloud stalling', () => {
  const dir = tempDir('flow-stall-');
  const flowName = 'stall-callback';
  let fnf: FnfEmulator;
  let caller: Worker;
  const calls: TaskRequest[] = [];
  /** What each execution's task does once invoked, by execution name. */
  const onInvoked = new Map<string, (request: TaskRequest) => void>();

  beforeAll(async () => {
    fnf = await startFnfEmulator({
      dataDir: dir.path,
      port: 0,
      region: 'cn-hangzhou',
      functionNames: () => ['worker'],
      invoker: {
        invoke: async (request) => {
          calls.push(request);
          // The task's function answers at once; what happens next (a stall, a callback) runs in the next turn.
          setImmediate(() => onInvoked.get(request.executionName)?.(request));
          return { ok: true, payload: Buffer.from('{}') };
        },
      },
    });
    fnf.connect();
    const definition = workerFlowDefinition(flowName, 'WaitForCustomCallback').replace('    End: true', `    Timeout: ${TIMEOUT_S}\n    End: true`);
    fnf.engine.putFlow({ name: flowName, definition });
    caller = new Worker(CALLER_CODE, { eval: true });
    caller.unref();
  });
  afterAll(async () => {
    await caller?.terminate();
    await fnf?.close();
    dir.cleanup();
  });

  /** The execution's status once it is no longer running. */
  const finished = (name: string) =>
    eventually(() => {
      const status = fnf.engine.describeExecution(flowName, name).status;
      if (status === 'Running') throw new Error(`${name} is still running`);
      return status;
    });

  it('a callback sent while the main thread was stalled past the timeout completes the task', async () => {
    const name = `paid-${randomUUID()}`;
    const answered = new Promise<string>((resolve) => caller.once('message', resolve));
    onInvoked.set(name, (request) => {
      caller.postMessage({ url: reportUrl(fnf.endpoint, request.taskToken!, { paid: true }), delayMs: 200 });
      blockMainThread(TIMEOUT_S * 1000 * 2.5);
    });
    fnf.engine.startExecution(flowName, name, { orderId: name });
    const status = await finished(name);
    // The provider's call was answered (not TaskAlreadyCompleted / a token no longer waiting) and completed the task.
    expect({ status, answer: JSON.parse(await answered) as object }).toEqual({ status: 'Succeeded', answer: { RequestId: expect.any(String), EventId: expect.any(Number) } });
    expect(fnf.engine.history(flowName, name).map((e) => e.type)).not.toContain('TaskTimedOut');
    expect(fnf.engine.describeExecution(flowName, name).output).toEqual({ paid: true });
  });

  it('a callback that never comes still times out the task, stall or not', async () => {
    const name = `unpaid-${randomUUID()}`;
    onInvoked.set(name, () => blockMainThread(TIMEOUT_S * 1000 * 2.5));
    fnf.engine.startExecution(flowName, name, { orderId: name });
    const status = await finished(name);
    expect(status).toBe('Failed');
    const timedOut = fnf.engine.history(flowName, name).find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.detail).toMatchObject({ Error: 'FnF.TaskTimeout' });
  });
});
