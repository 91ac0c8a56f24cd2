/**
 * The FnF emulator with one in-process function, `worker`, behind its tasks: it answers `{done: <input>}`, fails
 * with the input's `fail` as error name, or holds until the test releases it when the input says `wait`.
 */
import { startFnfEmulator, type FnfEmulator } from '../../scripts/local/emulators/fnf';
import type { TaskRequest } from '../../scripts/local/flow-engine/model';
import { eventually } from './eventually';

export const workerArn = (fn: string) => `acs:fc:cn-hangzhou:1000000000000001:functions/${fn}`;

/** A one-task flow calling `worker` with `{input, token}`; the task waits for a callback in WaitForCustomCallback. */
export const workerFlowDefinition = (name: string, mode: 'RequestComplete' | 'WaitForCustomCallback' = 'RequestComplete') =>
  [
    'Type: StateMachine',
    `Name: ${name}`,
    'SpecVersion: v1',
    'StartAt: Work',
    'States:',
    '  - Type: Task',
    '    Name: Work',
    '    Action: FC:InvokeFunction',
    `    TaskMode: ${mode}`,
    '    Parameters:',
    `      resourceArn: ${workerArn('worker')}`,
    '      invocationType: Sync',
    '      body:',
    '        input.$: $Input',
    '        token.$: $Context.Current.TaskToken',
    '    End: true',
    '',
  ].join('\n');

export interface WorkerFnf {
  fnf: FnfEmulator;
  /** Every task invocation, in order. */
  calls: TaskRequest[];
  /** Releases of held (`wait: true`) invocations, by execution name. */
  hold: Map<string, () => void>;
  /** The task token of the execution's latest invocation, once it has been invoked. */
  tokenOf(executionName: string): Promise<string>;
}

export async function startWorkerFnf(dataDir: string): Promise<WorkerFnf> {
  const calls: TaskRequest[] = [];
  const hold = new Map<string, () => void>();
  const fnf = await startFnfEmulator({
    dataDir,
    port: 0,
    region: 'cn-hangzhou',
    functionNames: () => ['worker'],
    maxLongPollMs: 5000,
    invoker: {
      invoke: async (request) => {
        calls.push(request);
        const event = JSON.parse(request.payload.toString()) as { input: { wait?: boolean; fail?: string } };
        if (event.input.wait) await new Promise<void>((resolve) => hold.set(request.executionName, resolve));
        if (event.input.fail) return { ok: false, error: event.input.fail, cause: 'asked to fail' };
        return { ok: true, payload: Buffer.from(JSON.stringify({ done: event.input })) };
      },
    },
  });
  fnf.connect();
  const tokenOf = (executionName: string) =>
    eventually(() => {
      const token = [...calls].reverse().find((c) => c.executionName === executionName)?.taskToken;
      if (!token) throw new Error(`no task token for ${executionName} yet`);
      return token;
    });
  return { fnf, calls, hold, tokenOf };
}
