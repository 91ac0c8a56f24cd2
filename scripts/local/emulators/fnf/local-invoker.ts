import { crashPoint } from '../../crash-point';
import { taskResultFromFc, type TaskResult } from '../../flow-engine/fc-task';
import type { TaskInvoker, TaskRequest } from '../../flow-engine/model';
import type { OnBehalfAccess } from '../../ram/on-behalf';
import type { AsyncInvoker } from '../../runtime/async-invoker';
import type { FunctionRuntime } from '../../runtime/runtime';

/**
 * Tasks invoke the local cloud's functions the way CloudFlow invokes FC: a `Sync` task is one
 * synchronous invocation through the runtime (the same path as FC's InvokeFunction API), an `Async` task
 * is queued on the persistent async invoker (FC's retries and destinations apply). The runtime's record
 * becomes the task's result by FC's rules (fc-task.ts). CloudFlow calls FC with the flow's role: a role that may
 * not invoke the function fails the task with FC's own error code, `FC.AccessDenied` (D152), before it runs.
 */
export class LocalTaskInvoker implements TaskInvoker {
  private runtime?: FunctionRuntime;
  private asyncInvoker?: AsyncInvoker;
  private onBehalf?: OnBehalfAccess;

  connect(runtime: FunctionRuntime, asyncInvoker: AsyncInvoker, onBehalf?: OnBehalfAccess): void {
    this.runtime = runtime;
    this.asyncInvoker = asyncInvoker;
    this.onBehalf = onBehalf;
  }

  async invoke(request: TaskRequest): Promise<TaskResult> {
    const runtime = this.runtime;
    if (!runtime || !this.asyncInvoker) return { ok: false, error: 'FC.ServiceUnavailable', cause: 'the local cloud is not ready' };
    const fn = runtime.find(request.functionName);
    if (!fn || fn.name !== request.functionName) return { ok: false, error: 'FC.FunctionNotFound', cause: `function ${request.functionName} does not exist` };
    const qualifier = /:functions\/[^/]+\/([^/]+)$/.exec(request.resourceArn)?.[1];
    const denial = this.onBehalf?.flowTask(request.roleArn, fn.name, qualifier);
    if (denial) {
      const refusal = this.onBehalf!.refuse(denial, `flow ${request.flowName}`, `Task ${request.stateName} of execution ${request.executionName} failed with FC.AccessDenied: ${fn.name} did not run`);
      return { ok: false, error: 'FC.AccessDenied', cause: refusal.message };
    }
    const source = `flow:${request.flowName}/${request.executionName}/${request.stateName}`;
    if (request.invocationType === 'Async') {
      // A flow's steps are interactive (a shopper watches the saga, D143), its async tasks too.
      this.asyncInvoker.enqueue(fn.name, request.payload, source, undefined, 'interactive');
      return { ok: true, payload: Buffer.alloc(0) };
    }
    const record = await runtime.invoke(fn.name, request.payload, { source });
    crashPoint('flow-task:returned', request.stateName);
    return taskResultFromFc(record);
  }
}
