import { loadSpec } from '../spec/load';
import { FlowEngine } from './engine';
import { taskResultFromFc, type TaskResult } from './fc-task';
import { MemoryExecutionStore } from './memory-store';
import type { ExecutionDoc, ExecutionStore, HistoryEvent, TaskInvoker, TaskRequest } from './model';
import { VirtualClock } from './virtual-time';

/**
 * A flow on virtual time with mocked tasks: the same engine the local cloud runs, its FC invocations
 * answered by in-process handlers instead of functions, its clock moved by the test. For saga tests
 * ("decline → release → failed", "payment timeout → status check", retries with backoff) in milliseconds.
 *
 * Handlers get what the function would get (the Task's `Parameters.body`, parsed) and answer like an FC
 * handler: a returned value becomes `$Output.Body`; a thrown error fails the task with the error's `name`
 * (FC's `errorType`), exactly as the local cloud maps a real function's error; `new FcPlatformError(
 * 'ResourceThrottled')` stands for an FC-side failure (`FC.ResourceThrottled`).
 *
 * @example
 * const bed = createFlowTestbed({
 *   definition: loadFlowFromSpec('s.yaml', 'fcsuite-dev-order-saga'),
 *   tasks: {
 *     'fcsuite-dev-reserve-inventory': (event) => ({ reserved: true }),
 *     'fcsuite-dev-charge-payment': () => undefined,          // WaitForCustomCallback: answer later
 *   },
 * });
 * const name = await bed.start({ orderId: 'o-1' });
 * const [charge] = bed.waitingTasks(name);                     // the callback the flow waits for
 * await bed.reportFailed(charge.token, 'PaymentDeclined', 'card declined');
 * await bed.advance(60_000);                                   // let retries and waits run
 * expect(bed.execution(name).status).toBe('Failed');
 * expect(bed.stateTrail(name)).toEqual(['ReserveInventory', 'ChargePayment', 'ReleaseInventory', 'OrderFailed']);
 */
export type TaskHandler = (event: unknown, context: TaskCallContext) => unknown;

export interface TaskCallContext {
  flowName: string;
  executionName: string;
  stateName: string;
  functionName: string;
  retryCount: number;
  invocationType: 'Sync' | 'Async';
  /** Set for WaitForCustomCallback tasks (the flow usually passes it in the body too). */
  taskToken?: string;
}

export interface TaskCall extends TaskCallContext {
  /** The event as the function received it (parsed JSON, or the raw text). */
  event: unknown;
  at: number;
  result: TaskResult;
}

/** An error on FC's side (not the function's): the task fails with `FC.<code>`. */
export class FcPlatformError extends Error {
  constructor(readonly code: string) {
    super(`FC answered ${code}`);
    this.name = 'FcPlatformError';
  }
}

export interface FlowTestbedOptions {
  /** The flow definition: an object or YAML/JSON text (e.g. from loadFlowFromSpec). */
  definition: string | object;
  /** A handler per function name (the name in each Task's resourceArn). */
  tasks: Record<string, TaskHandler>;
  /** Virtual time at the start (default 2026-11-25T12:00:00Z). */
  startTime?: number;
  /** Reuse a store (and clock) to simulate a restart; see FlowTestbed.restart(). */
  store?: ExecutionStore;
  clock?: VirtualClock;
  /**
   * True while task handlers wait for I/O outside the engine (e.g. table requests to an emulator): settle()
   * keeps waiting then, instead of taking a handler that made no progress for 20 ms as one waiting on purpose.
   */
  busy?: () => boolean;
}

/**
 * A flow's definition as s.yaml deploys it: the `flow` resource named `flowName` (its `props.name`),
 * variables rendered (`${vars.*}`, `${config('AccountID')}`…) and checked like `npm start` checks it.
 * @example loadFlowFromSpec(join(REPO_ROOT, 's.yaml'), 'fcsuite-dev-order-saga')
 */
export function loadFlowFromSpec(specFile: string, flowName: string, env: NodeJS.ProcessEnv = {}): string {
  const spec = loadSpec(specFile, env);
  const flow = spec.flows.find((f) => f.name === flowName || f.resource === flowName);
  if (!flow) throw new Error(`${specFile} has no flow ${flowName} (flows: ${spec.flows.map((f) => f.name).join(', ') || 'none'})`);
  return flow.definition;
}

export function createFlowTestbed(options: FlowTestbedOptions): FlowTestbed {
  return new FlowTestbed(options);
}

let tokenCounter = 0;

export class FlowTestbed {
  readonly clock: VirtualClock;
  readonly store: ExecutionStore;
  readonly engine: FlowEngine;
  readonly flowName: string;
  /** Every task invocation, in order. */
  readonly calls: TaskCall[] = [];
  private finished = 0;
  /** Unexpected failures inside engine steps; settle() throws the first. */
  private readonly errors: unknown[] = [];
  private names = 0;

  constructor(private readonly options: FlowTestbedOptions) {
    this.clock = options.clock ?? new VirtualClock(options.startTime);
    this.store = options.store ?? new MemoryExecutionStore();
    const invoker: TaskInvoker = { invoke: (request) => this.invoke(request) };
    this.engine = new FlowEngine({
      store: this.store,
      invoker,
      clock: this.clock,
      scheduler: this.clock,
      ids: {
        executionName: () => `exec-${++this.names}`,
        taskToken: () => `t${++tokenCounter}`,
        uuid: () => `00000000-0000-4000-8000-${String(++tokenCounter).padStart(12, '0')}`,
      },
      compile: {
        resolveFunction: (arn) => {
          const name = /:functions\/([^/]+)/.exec(arn)?.[1] ?? arn;
          return options.tasks[name] ? { functionName: name } : { error: `no task handler for function "${name}" (give one in tasks)` };
        },
      },
      onError: (err) => this.errors.push(err),
    });
    const flow = this.engine.compile(options.definition);
    this.flowName = flow.name;
    this.engine.putFlow({ name: flow.name, definition: typeof options.definition === 'string' ? options.definition : JSON.stringify(options.definition) });
  }

  private async invoke(request: TaskRequest): Promise<TaskResult> {
    const handler = this.options.tasks[request.functionName]!;
    const text = request.payload.toString('utf8');
    let event: unknown = text;
    try {
      event = text === '' ? undefined : JSON.parse(text);
    } catch {
      // the function gets the raw text
    }
    const context: TaskCallContext = {
      flowName: request.flowName,
      executionName: request.executionName,
      stateName: request.stateName,
      functionName: request.functionName,
      retryCount: request.retryCount,
      invocationType: request.invocationType,
      ...(request.taskToken ? { taskToken: request.taskToken } : {}),
    };
    const at = this.clock.now();
    let result: TaskResult;
    try {
      const value = await handler(event, context);
      result = { ok: true, payload: encodeResult(value) };
    } catch (err) {
      if (err instanceof FcPlatformError) result = { ok: false, error: `FC.${err.code}`, cause: err.message };
      else {
        const e = err instanceof Error ? err : new Error(String(err));
        result = taskResultFromFc({ status: 'failed', payload: Buffer.alloc(0), error: { errorType: e.name || 'Error', errorMessage: e.message } });
      }
    }
    this.calls.push({ ...context, event, at, result });
    this.finished++;
    return result;
  }

  /** Start an execution and run it until it waits (for time, or a callback). Returns its name. */
  async start(input: object = {}, name?: string): Promise<string> {
    const { doc } = this.engine.startExecution(this.flowName, name, input);
    await this.settle();
    return doc.name;
  }

  /**
   * Let in-flight task handlers finish and the engine take their results. A handler that makes no
   * progress for 20 ms of real time, and has no I/O in flight (`busy`), is taken to wait on purpose (e.g. to
   * run into a Task Timeout): settle returns and leaves it pending.
   */
  async settle(): Promise<void> {
    let lastFinished = -1;
    for (let round = 0; round < 100_000; round++) {
      await Promise.race([this.engine.whenIdle(), new Promise((resolve) => setTimeout(resolve, 20))]);
      await new Promise((resolve) => setImmediate(resolve));
      if (this.errors.length > 0) throw this.errors.shift();
      if (this.engine.pendingInvocations === 0) return;
      if (this.finished === lastFinished && !this.options.busy?.()) return;
      lastFinished = this.finished;
    }
  }

  /** Move virtual time forward by `ms`, running every wait, retry and timeout that falls due, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.clock.now() + ms;
    await this.settle();
    for (let next = this.clock.nextAt(); next !== undefined && next <= target; next = this.clock.nextAt()) {
      this.clock.runNext();
      await this.settle();
    }
    this.clock.set(target);
  }

  /** Advance until the execution ends or nothing is left to wait for but a callback (max `limitMs`). */
  async runToEnd(name: string, limitMs = 7 * 24 * 3600_000): Promise<ExecutionDoc> {
    const limit = this.clock.now() + limitMs;
    await this.settle();
    while (this.execution(name).status === 'Running') {
      const next = this.clock.nextAt();
      if (next === undefined || next > limit) break;
      this.clock.runNext();
      await this.settle();
    }
    return this.execution(name);
  }

  execution(name: string): ExecutionDoc {
    return this.engine.describeExecution(this.flowName, name);
  }

  history(name: string): HistoryEvent[] {
    return this.engine.history(this.flowName, name);
  }

  /** The states the execution entered, in order (one per StepEntered event). */
  stateTrail(name: string): string[] {
    return this.history(name)
      .filter((e) => e.type === 'StepEntered')
      .map((e) => e.stepName);
  }

  /** WaitForCustomCallback tasks waiting for a report, with the event their function received. */
  waitingTasks(name?: string): { token: string; executionName: string; stateName: string; event: unknown }[] {
    const docs = name ? [this.execution(name)] : this.store.runningExecutions();
    const out: { token: string; executionName: string; stateName: string; event: unknown }[] = [];
    for (const doc of docs) {
      for (const scope of Object.values(doc.scopes)) {
        const active = scope.active;
        if (!active?.token || doc.tokens[active.token] !== 'waiting') continue;
        const call = [...this.calls].reverse().find((c) => c.taskToken === active.token);
        out.push({ token: active.token, executionName: doc.name, stateName: active.state, event: call?.event });
      }
    }
    return out;
  }

  async reportSucceeded(token: string, output: unknown): Promise<void> {
    this.engine.reportTaskSucceeded(token, output);
    await this.settle();
  }

  async reportFailed(token: string, error: string, cause = ''): Promise<void> {
    this.engine.reportTaskFailed(token, error, cause);
    await this.settle();
  }

  /**
   * Simulate a crash and restart: this engine stops acting, a new one over the same store and clock
   * recovers every running execution (in-flight invocations are made again).
   */
  async restart(tasks: Record<string, TaskHandler> = this.options.tasks): Promise<FlowTestbed> {
    this.engine.close();
    const next = new FlowTestbed({ ...this.options, tasks, store: this.store, clock: this.clock });
    next.calls.push(...this.calls);
    next.engine.recover();
    await next.settle();
    return next;
  }
}

/** FC's result encoding (the runtime's): Buffer as is, string as UTF-8, nothing as empty, else JSON. */
function encodeResult(value: unknown): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (value === undefined || value === null) return Buffer.alloc(0);
  if (typeof value === 'string') return Buffer.from(value, 'utf8');
  return Buffer.from(JSON.stringify(value), 'utf8');
}
