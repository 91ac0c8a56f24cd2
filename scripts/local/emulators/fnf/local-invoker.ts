import { taskResultFromFc, type TaskResult } from '../../flow-engine/fc-task';
import type { Scheduler, TaskInvoker, TaskRequest, TimerHandle } from '../../flow-engine/model';
import type { AsyncInvoker } from '../../runtime/async-invoker';
import type { FunctionRuntime } from '../../runtime/runtime';

/**
 * Tasks invoke the local cloud's functions the way CloudFlow invokes FC: a `Sync` task is one
 * synchronous invocation through the runtime (the same path as FC's InvokeFunction API), an `Async` task
 * is queued on the persistent async invoker (FC's retries and destinations apply). The runtime's record
 * becomes the task's result by FC's rules (fc-task.ts).
 */
export class LocalTaskInvoker implements TaskInvoker {
  private runtime?: FunctionRuntime;
  private asyncInvoker?: AsyncInvoker;

  connect(runtime: FunctionRuntime, asyncInvoker: AsyncInvoker): void {
    this.runtime = runtime;
    this.asyncInvoker = asyncInvoker;
  }

  async invoke(request: TaskRequest): Promise<TaskResult> {
    const runtime = this.runtime;
    if (!runtime || !this.asyncInvoker) return { ok: false, error: 'FC.ServiceUnavailable', cause: 'the local cloud is not ready' };
    const fn = runtime.find(request.functionName);
    if (!fn || fn.name !== request.functionName) return { ok: false, error: 'FC.FunctionNotFound', cause: `function ${request.functionName} does not exist` };
    const source = `flow:${request.flowName}/${request.executionName}/${request.stateName}`;
    if (request.invocationType === 'Async') {
      this.asyncInvoker.enqueue(fn.name, request.payload, source);
      return { ok: true, payload: Buffer.alloc(0) };
    }
    return taskResultFromFc(await runtime.invoke(fn.name, request.payload, { source }));
  }
}

/**
 * Timers on real time, read through an injectable clock: a timer re-checks the clock at least every
 * `maxSleepMs`, so a test that moves the clock forward sees due timers fire within that interval.
 */
export class RealtimeScheduler implements Scheduler {
  constructor(
    private readonly clock: () => number,
    private readonly maxSleepMs = 1000,
  ) {}

  schedule(at: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout | undefined;
    let cancelled = false;
    const check = () => {
      if (cancelled) return;
      const wait = at - this.clock();
      if (wait <= 0) return fn();
      timer = setTimeout(check, Math.min(wait, this.maxSleepMs));
    };
    // Never synchronously: the engine arms timers right after a step.
    timer = setTimeout(check, Math.max(0, Math.min(at - this.clock(), this.maxSleepMs)));
    return {
      cancel: () => {
        cancelled = true;
        if (timer) clearTimeout(timer);
      },
    };
  }
}
