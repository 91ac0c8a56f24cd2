import { createHash, randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { availableParallelism } from 'node:os';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { credentialEnv, functionCredentials, type FunctionCredentials } from '../ram/function-credentials';
import type { AppSpec, FunctionSpec } from '../spec/model';
import { instanceCaps, type InstanceCaps } from './capacity';
import type { InstancePids } from './instance-pids';
import type { ClientConnection } from './client-connection';
import { CpuRoom } from './cpu-room';
import { FunctionPool, InstanceBudget, ThrottledError, type PoolOutcome } from './function-pool';
import type { HttpTriggerReply, HttpTriggerRequest } from './http-trigger-event';
import { servingClassOf, type InvokeInput } from './instance';
import { instanceAtPort } from './caller-ports';
import { backgroundNice, classOfSource, type InvocationClass } from './priority';
import { BackgroundGate, backgroundSlots } from './background-gate';
import type { FunctionContext, FunctionErrorBody } from './protocol';

/** One finished invocation, as the console, `npm run invoke` and the FC API emulator see it. */
export interface InvocationRecord {
  requestId: string;
  functionName: string;
  resource: string;
  /** What caused it: `http`, `invoke-api`, `async`, `timer:<name>`, `oss:<name>`, `tablestore:<name>`, `cli`. */
  source: string;
  startedAt: number;
  durationMs: number;
  status: 'succeeded' | 'failed' | 'timeout' | 'throttled';
  payload: Buffer;
  /** FC's function error body when status is not succeeded. */
  error?: FunctionErrorBody;
  /** `x-fc-error-type`: UnhandledInvocationError for function errors, ResourceThrottled for 429. */
  errorType?: 'UnhandledInvocationError' | 'ResourceThrottled';
  /** The error was thrown while the function's code was imported, before its handler ran (D149). */
  atLoad?: true;
  logs: string;
  heapMb: number;
  coldStart: boolean;
  /** Milliseconds the request waited in line for an instance (the instance caps were reached). */
  waitMs: number;
  instanceId: string;
  retryCount: number;
}

export interface InvokeOptions {
  source: string;
  requestId?: string;
  retryCount?: number;
  /** Who waits on it (D143): given by the caller (the async invoker: background), else the caller's or the source's. */
  priority?: InvocationClass;
  /**
   * The remote port of the connection the request came on (the gateway, the FC API): a call from an instance
   * belongs to that instance's call tree and takes the class of the request it serves (`caller-ports.ts`).
   */
  callerPort?: number;
  /** The client waiting for the answer of a synchronous call: if it goes away while the request waits in line, the request is dropped (D168). */
  client?: ClientConnection;
}

/** A fault a developer (or a test) injects into one function: added latency and/or failures. */
export interface Fault {
  delayMs?: number;
  /** Fail with this message (errorType `InjectedFault`). */
  error?: string;
  /** Apply to this many invocations, then clear; unlimited when absent. */
  times?: number;
}

export interface RuntimeOptions {
  /** Environment of each instance (FC system variables, s.yaml variables, emulator endpoints). */
  envFor(fn: FunctionSpec): Record<string, string>;
  /**
   * Resolves when a function's bundle can be loaded; default: at once (bundles already built). `demanded`: a
   * request is waiting for the instance (a cold start), not a prewarm.
   */
  codeReady?: (fn: FunctionSpec, demanded: boolean) => Promise<void>;
  /** Instances per function and in total; default from the CPU count (capacity.ts). */
  instanceCaps?: Partial<InstanceCaps>;
  /** Nice value of instances serving background work (D143); default `LOCAL_BACKGROUND_NICE`, else 10; 0: off. */
  backgroundNice?: number;
  /** Background invocations at once while interactive work is under way (D143); default `LOCAL_BACKGROUND_SLOTS`, else one per CPU; 0: no bound. */
  backgroundSlots?: number;
  idleMs?: number;
  /** Called for every log line, e.g. to print it. */
  onLog?: (fn: FunctionSpec, text: string, requestId: string | undefined) => void;
  historySize?: number;
  /** Where process instances are recorded (`<DATA_DIR>/instances`), so a start after a crash can reap them (D151). */
  instancePids?: InstancePids;
}

/**
 * Runs the functions of an AppSpec with FC 3.0 semantics and records every invocation.
 * Emits `invocation` (InvocationRecord) after each one.
 */
export class FunctionRuntime extends EventEmitter {
  private readonly pools = new Map<string, FunctionPool>();
  private readonly byResource = new Map<string, string>();
  private readonly faults = new Map<string, Fault>();
  /** The last `historySize` invocations, oldest first from `historyNext` (a ring: no array shifting per invocation). */
  private readonly history: InvocationRecord[] = [];
  private historyNext = 0;
  /** Log lines of in-flight invocations, keyed by instance message id via requestId. */
  private readonly liveLogs = new Map<string, string[]>();
  private readonly instanceRequest = new Map<string, string>();
  /** Requests StopAsyncTask asked to stop (D159): ended when they reach an instance, or at once if they have one. */
  private readonly stopRequests = new Set<string>();
  readonly caps: InstanceCaps;
  readonly backgroundNice: number;
  private readonly budget: InstanceBudget;
  private readonly backgroundGate: BackgroundGate;
  /** Invocations running now, and when the last one ended (for `whenIdle`). */
  private active = 0;
  private lastActiveAt = 0;

  constructor(
    private spec: AppSpec,
    private readonly options: RuntimeOptions,
  ) {
    super();
    this.caps = instanceCaps(options.instanceCaps);
    this.backgroundNice = options.backgroundNice ?? backgroundNice();
    // Parked instances of one function may fill its ceiling even when the extra room is taken (D40).
    const cpu = new CpuRoom();
    this.budget = new InstanceBudget(this.caps.extra, Date.now, { parkedCeiling: this.caps.extra + this.caps.ceiling - this.caps.perFunction, cpuHasRoom: () => cpu.hasRoom() });
    for (const fn of spec.functions) this.addPool(fn);
    this.backgroundGate = new BackgroundGate(options.backgroundSlots ?? backgroundSlots(), () => this.interactiveUnderWay());
  }

  /** Is any function serving (or holding in line) interactive work that uses the CPU? (D143) */
  private interactiveUnderWay(): boolean {
    for (const pool of this.pools.values()) if (pool.interactiveUnderWay()) return true;
    return false;
  }

  private addPool(fn: FunctionSpec): void {
    this.byResource.set(fn.resource, fn.name);
    this.pools.set(
      fn.name,
      new FunctionPool(fn, {
        // The credential variables come from the same answer as context.credentials, so the two cannot disagree.
        env: { ...this.options.envFor(fn), ...credentialEnv(this.credentialsOf(fn)) },
        maxInstances: this.caps.perFunction,
        maxWithParked: this.caps.ceiling,
        budget: this.budget,
        idleMs: this.options.idleMs ?? 10 * 60_000,
        codeReady: (demanded) => this.options.codeReady?.(fn, demanded) ?? Promise.resolve(),
        hookIds: () => ({ requestId: `hook-${randomUUID()}`, retryCount: 0 }),
        functionContext: (f) => this.functionContext(f),
        backgroundNice: this.backgroundNice,
        ...(this.options.instancePids ? { instancePids: this.options.instancePids } : {}),
        onLog: (f, instanceId, text) => {
          const requestId = this.instanceRequest.get(instanceId);
          if (requestId) this.liveLogs.get(requestId)?.push(text);
          this.options.onLog?.(f, text, requestId);
        },
      }),
    );
  }

  /** The app's region (s.yaml's `vars.region`). */
  get region(): string {
    return this.spec.region;
  }

  get functions(): FunctionSpec[] {
    return [...this.pools.values()].map((p) => p.spec);
  }

  /** Find a function by FC name or by s.yaml resource key. */
  find(nameOrResource: string): FunctionSpec | undefined {
    const name = this.pools.has(nameOrResource) ? nameOrResource : this.byResource.get(nameOrResource);
    return name ? this.pools.get(name)?.spec : undefined;
  }

  /** `parked`: busy instances waiting on I/O, which the CPU-based caps leave out (D40). */
  poolStats(): { name: string; resource: string; instances: number; busy: number; parked: number; queued: number }[] {
    return [...this.pools.values()].map((p) => ({ name: p.spec.name, resource: p.spec.resource, instances: p.size, busy: p.busy, parked: p.parkedCount(), queued: p.queued }));
  }

  /** Each running instance's OS thread id by function resource (Linux only): where a benchmark finds its CPU time. */
  instanceThreads(): { resource: string; osThreadId: number }[] {
    return [...this.pools.values()].flatMap((p) => p.osThreadIds().map((osThreadId) => ({ resource: p.spec.resource, osThreadId })));
  }

  /** Instances running or starting now, of all functions (one per function plus `caps.extra`, more when parked on I/O: D40). */
  get instancesInUse(): number {
    return this.budget.instances;
  }

  setFault(nameOrResource: string, fault: Fault | undefined): void {
    const fn = this.require(nameOrResource);
    if (fault) this.faults.set(fn.name, fault);
    else this.faults.delete(fn.name);
  }

  /** Recent invocations, newest first. */
  recent(filter: { functionName?: string; limit?: number } = {}): InvocationRecord[] {
    const ordered = [...this.history.slice(this.historyNext), ...this.history.slice(0, this.historyNext)];
    const list = filter.functionName ? ordered.filter((r) => r.functionName === filter.functionName || r.resource === filter.functionName) : ordered;
    return list.slice(-(filter.limit ?? 100)).reverse();
  }

  private remember(record: InvocationRecord): void {
    const size = this.options.historySize ?? 1000;
    if (this.history.length < size) {
      this.history.push(record);
      return;
    }
    this.history[this.historyNext] = record;
    this.historyNext = (this.historyNext + 1) % size;
  }

  private require(nameOrResource: string): FunctionSpec {
    const fn = this.find(nameOrResource);
    if (!fn) throw new FunctionNotFoundError(nameOrResource);
    return fn;
  }

  /** The FC context fields every invocation of `fn` shares; each instance gets them once, when it starts. */
  functionContext(fn: FunctionSpec): FunctionContext {
    return {
      credentials: this.credentialsOf(fn),
      function: { name: fn.name, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout },
      service: { logProject: 'local-cloud', logStore: 'function-logs', qualifier: 'LATEST' },
      region: this.spec.region,
      accountId: LOCAL_ACCOUNT_ID,
    };
  }

  /**
   * FC hands a function its role's STS credentials: here the role's local key, which the emulators hold to the
   * role's policies (D144); a role the templates do not declare keeps the account's own key (its policies live in
   * the account alone); a function without a role gets none (D157).
   */
  private credentialsOf(fn: FunctionSpec): FunctionCredentials {
    return functionCredentials(fn, this.spec);
  }

  /** Invoke synchronously: resolves when the function finished, failed or was stopped. */
  async invoke(nameOrResource: string, event: Buffer, options: InvokeOptions): Promise<InvocationRecord> {
    return (await this.run(this.require(nameOrResource), { event }, options)).record;
  }

  /**
   * Invoke an HTTP-triggered function with an HTTP request: the instance builds FC's HTTP trigger event of it and
   * maps the answer to `reply` (absent when the answer is not `{statusCode, …}`: FC then sends the payload with
   * 200). Everything else is `invoke`'s: the record, the history, the `invocation` event (D49).
   */
  async invokeHttp(nameOrResource: string, request: HttpTriggerRequest, options: InvokeOptions): Promise<{ record: InvocationRecord; reply?: HttpTriggerReply }> {
    return this.run(this.require(nameOrResource), { http: request }, options);
  }

  private async run(fn: FunctionSpec, input: InvokeInput, options: InvokeOptions): Promise<{ record: InvocationRecord; reply?: HttpTriggerReply }> {
    const pool = this.pools.get(fn.name)!;
    const serving = classOf(options);
    // Background work waits here while interactive work is under way and its slots are taken (D143): before its
    // clock starts, as a wait in the function's line does not count toward its timeout either.
    // Awaited only when held: a background request let through joins its line in the order it arrived.
    const held = serving === 'background' ? this.backgroundGate.enter() : undefined;
    if (held) await held;
    const requestId = options.requestId ?? newRequestId();
    const retryCount = options.retryCount ?? 0;
    const startedAt = Date.now();
    const deadline = startedAt + fn.timeout * 1000;
    const logs: string[] = [];
    this.liveLogs.set(requestId, logs);
    const base = { requestId, functionName: fn.name, resource: fn.resource, source: options.source, startedAt, retryCount };
    let record: InvocationRecord;
    let reply: HttpTriggerReply | undefined;
    this.active++;
    try {
      const injected = this.faults.has(fn.name) ? await this.applyFault(fn, deadline) : undefined;
      if (injected) {
        // FC's error body, as a failing function answers it (an empty body reached FC API callers without a message).
        record = { ...base, ...injected, durationMs: Date.now() - startedAt, payload: Buffer.from(JSON.stringify(injected.error ?? {})), logs: '', heapMb: 0, coldStart: false, waitMs: 0, instanceId: '-' };
      } else {
        const assigned = (instanceId: string) => {
          this.instanceRequest.set(instanceId, requestId);
          if (this.stopRequests.has(requestId)) pool.stopInstance(instanceId);
        };
        const outcome = await pool.invoke(input, { requestId, retryCount }, deadline - Date.now(), assigned, serving, options.client);
        this.instanceRequest.delete(outcome.instanceId);
        reply = outcome.reply;
        record = outcome.ok ? succeededRecord(base, outcome) : failedRecord(base, this.stopRequests.has(requestId) ? stoppedOutcome(outcome) : outcome);
      }
    } catch (err) {
      if (!(err instanceof ThrottledError)) throw err;
      const error = { errorType: 'ResourceThrottled', errorMessage: err.message };
      record = { ...base, durationMs: Date.now() - startedAt, status: 'throttled', payload: Buffer.from(JSON.stringify(error)), error, errorType: 'ResourceThrottled', logs: '', heapMb: 0, coldStart: false, waitMs: 0, instanceId: '-' };
    } finally {
      this.stopRequests.delete(requestId);
      this.liveLogs.delete(requestId);
      this.active--;
      this.lastActiveAt = Date.now();
      if (serving === 'background') this.backgroundGate.leave();
      else this.backgroundGate.interactiveEnded();
    }
    record.logs = logs.join('');
    this.remember(record);
    this.emit('invocation', record);
    return reply ? { record, reply } : { record };
  }

  /**
   * Stop a request of `functionName` (StopAsyncTask, D159): the instance serving it is ended, as FC ends a stopped
   * task's instance; a request still waiting for an instance is ended as soon as it gets one. The request then
   * answers a failure `AsyncTaskStopped`. Answers whether the request was running on an instance now.
   */
  stop(functionName: string, requestId: string): boolean {
    const pool = this.pools.get(functionName);
    if (!pool) return false;
    this.stopRequests.add(requestId);
    for (const [instanceId, id] of this.instanceRequest) if (id === requestId) return pool.stopInstance(instanceId);
    return false;
  }

  /** Injected latency counts toward the function's timeout, like a slow handler would. */
  private async applyFault(fn: FunctionSpec, deadline: number): Promise<Pick<InvocationRecord, 'status' | 'error' | 'errorType'> | undefined> {
    const fault = this.faults.get(fn.name);
    if (!fault) return undefined;
    if (fault.times !== undefined) {
      if (fault.times <= 1) this.faults.delete(fn.name);
      else fault.times--;
    }
    if (fault.delayMs) {
      const wait = Math.min(fault.delayMs, deadline - Date.now());
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
      if (fault.delayMs >= fn.timeout * 1000) {
        return { status: 'timeout', error: { errorType: 'FunctionTimeout', errorMessage: `Function timed out after ${fn.timeout} seconds` }, errorType: 'UnhandledInvocationError' };
      }
    }
    if (fault.error) return { status: 'failed', error: { errorType: 'InjectedFault', errorMessage: fault.error }, errorType: 'UnhandledInvocationError' };
    return undefined;
  }

  /**
   * Resolves once no invocation has run for `quietMs` (or after `maxWaitMs` at the latest): background work
   * at start-up (warming the functions nobody asked for yet, bundling them) waits for the first requests to
   * be served instead of competing with them for the CPU.
   */
  whenIdle(quietMs: number, maxWaitMs: number): Promise<void> {
    const calledAt = Date.now();
    const giveUpAt = calledAt + maxWaitMs;
    return new Promise((resolve) => {
      const check = () => {
        // Quiet since the call at least: a request just let in may not have reached a function yet.
        const quietFor = Date.now() - Math.max(this.lastActiveAt, calledAt);
        if ((this.active === 0 && quietFor >= quietMs) || Date.now() >= giveUpAt) return resolve();
        setTimeout(check, this.active === 0 ? Math.max(10, quietMs - quietFor) : quietMs).unref();
      };
      check();
    });
  }

  /**
   * Start one instance of each function in the background so first requests are warm; one start per CPU at a
   * time (`concurrency`). `beforeEach` is awaited before each start: background warming at start-up passes
   * `whenIdle`, so the functions nobody has asked for yet start between requests, not during them (D61).
   */
  async prewarm(names: string[] = [...this.pools.keys()], options: PrewarmOptions = {}): Promise<void> {
    const { concurrency = availableParallelism(), beforeEach } = options;
    const queue = [...names];
    const worker = async () => {
      for (let name = queue.shift(); name; name = queue.shift()) {
        await beforeEach?.();
        await this.pools.get(name)?.prewarm().catch(() => undefined);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
  }

  /** New bundle for these functions: their instances are replaced on next use. */
  reload(names: string[]): void {
    for (const name of names) this.pools.get(this.find(name)?.name ?? '')?.reload();
  }

  async close(): Promise<void> {
    this.backgroundGate.close();
    await Promise.all([...this.pools.values()].map((p) => p.close()));
  }
}

export interface PrewarmOptions {
  /** Instances started at once (default: one per CPU). */
  concurrency?: number;
  /** Awaited before each instance starts. */
  beforeEach?: () => Promise<unknown>;
}

/** The class of the request the instance that opened the connection from `port` serves now, if an instance did (D143). */
export function callerClass(port: number | undefined): InvocationClass | undefined {
  return servingClassOf(instanceAtPort(port));
}

/** Who waits on an invocation (D143): as its caller said, else as the instance that called serves, else by its source. */
export function classOf(options: InvokeOptions): InvocationClass {
  return options.priority ?? callerClass(options.callerPort) ?? classOfSource(options.source);
}

type RecordBase = Pick<InvocationRecord, 'requestId' | 'functionName' | 'resource' | 'source' | 'startedAt' | 'retryCount'>;

/** Where a succeeded record keeps its outcome: not enumerable, so not in its keys, JSON or spreads. */
const OUTCOME = Symbol('outcome');

/**
 * `payload` of a succeeded record: an own, enumerable getter, as a literal's `get payload()` would be, but one getter
 * for every record. A literal made a new getter per invocation, and V8 gave each record a dictionary of its own
 * (map transitions cannot be shared across different getters), built slowly on the main thread (D126). A WeakMap
 * from record to outcome was measured slower than the literal (~2 µs per set with the history's records alive).
 */
const payloadOfOutcome: PropertyDescriptor = {
  get(this: InvocationRecord & { [OUTCOME]: PoolOutcome }): Buffer {
    return this[OUTCOME].payload;
  },
  enumerable: true,
  configurable: true,
};

/**
 * The record of an invocation that succeeded. Written out field by field, not spread from `base` (D101); the fields in
 * the order they always had. The payload is read through: an HTTP answer's JSON is made only when someone reads it (D63).
 */
function succeededRecord(base: RecordBase, outcome: PoolOutcome): InvocationRecord {
  const record = {
    requestId: base.requestId,
    functionName: base.functionName,
    resource: base.resource,
    source: base.source,
    startedAt: base.startedAt,
    retryCount: base.retryCount,
    durationMs: Date.now() - base.startedAt,
    status: 'succeeded',
  } as InvocationRecord;
  Object.defineProperty(record, OUTCOME, { value: outcome, configurable: true });
  Object.defineProperty(record, 'payload', payloadOfOutcome);
  record.logs = '';
  record.heapMb = outcome.heapMb;
  record.coldStart = outcome.coldStart;
  record.waitMs = outcome.waitMs;
  record.instanceId = outcome.instanceId;
  return record;
}

/**
 * The record of an invocation that failed or timed out: FC's error body is its payload — unless the function
 * answered with a body of its own (a custom runtime's server reporting a failure, D123).
 */
function failedRecord(base: RecordBase, outcome: PoolOutcome): InvocationRecord {
  return {
    ...base,
    durationMs: Date.now() - base.startedAt,
    status: outcome.fatal === 'timeout' ? 'timeout' : 'failed',
    payload: outcome.payload.length > 0 ? outcome.payload : Buffer.from(JSON.stringify(outcome.error)),
    error: outcome.error!,
    errorType: 'UnhandledInvocationError',
    ...(outcome.atLoad ? { atLoad: true as const } : {}),
    logs: '',
    heapMb: outcome.heapMb,
    coldStart: outcome.coldStart,
    waitMs: outcome.waitMs,
    instanceId: outcome.instanceId,
  };
}

/** A stopped request's outcome: the instance's death reported as the stop it was (D159). */
function stoppedOutcome(outcome: PoolOutcome): PoolOutcome {
  return { ...outcome, payload: Buffer.alloc(0), error: { errorType: 'AsyncTaskStopped', errorMessage: 'the invocation was stopped (StopAsyncTask)' } };
}

export class FunctionNotFoundError extends Error {
  constructor(name: string) {
    super(`Function ${name} not found`);
    this.name = 'FunctionNotFound';
  }
}

/** FC request ids look like `1-6747f2a1-1a2b3c4d-5e6f7a8b9c0d`: the second, then 20 random hex digits. */
export function newRequestId(): string {
  // A UUID's first group and its last (12 digits) are random throughout (the version digits sit in between).
  const uuid = randomUUID();
  return `1-${Math.floor(Date.now() / 1000).toString(16)}-${uuid.slice(0, 8)}-${uuid.slice(24)}`;
}

/**
 * A request id in FC's shape that is the same every time for one `identity`: an event a source may hand over
 * twice (an MNS push or an OSS event sent again after a crash, D146/D151) becomes one async event.
 */
export function stableRequestId(identity: string): string {
  const hash = createHash('sha256').update(identity).digest('hex');
  return `1-${hash.slice(0, 8)}-${hash.slice(8, 16)}-${hash.slice(16, 28)}`;
}
