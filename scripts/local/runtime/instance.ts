import type { EventLoopUtilization } from 'node:perf_hooks';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import type { FunctionSpec } from '../spec/model';
import { callMsSoFar } from './call-clock';
import { answerPayload, plainAnswerReply, type HttpTriggerReply, type HttpTriggerRequest, type PlainTriggerAnswer } from './http-trigger-event';
import { httpInvocation, isAnswered, type FromInstance, type FunctionContext, type FunctionErrorBody, type HttpInvocation, type InstanceBoot, type InvocationIds, type StandbyTakeover, type ToInstance } from './protocol';
import { standbyCount, takeStandbyInstance } from './standby-instances';

/** What an invocation carries: event bytes, or an HTTP request the instance makes FC's HTTP trigger event of. */
export type InvokeInput = { event: Buffer } | { http: HttpTriggerRequest };
import { mainThreadStalls, processTime, StallAwareTimeout, type StallTimeoutOptions } from './stall-clock';
import { callerPorts } from './caller-ports';
import { yieldThreads, YieldedThreadStalls, type InvocationClass } from './priority';
import { CODE_CACHE_DIR, instanceWorkerScript } from './worker-file';
import { bundleFileOf, instanceExecArgv } from './worker-script';

export { instanceExecArgv } from './worker-script';

export interface InstanceOutcome {
  ok: boolean;
  payload: Buffer;
  /** For an HTTP trigger's invocation: the HTTP response the answer maps to (absent: send `payload` with 200). */
  reply?: HttpTriggerReply;
  error?: FunctionErrorBody;
  /** Why the instance failed beyond a thrown error: it must not serve again. */
  fatal?: 'timeout' | 'out-of-memory' | 'crashed';
  /** The function's code threw while it was imported, before any handler or hook of it ran (D149). */
  atLoad?: true;
  heapMb: number;
}

/**
 * The function's code threw while the instance imported it (its top level, a module it requires, a handler it does
 * not export): FC's error body, stack included, for the request that started the instance.
 */
export class LoadError extends Error {
  constructor(readonly body: FunctionErrorBody) {
    super(body.errorMessage);
    this.name = body.errorType;
  }
}

/** An invocation that ended without the function's answer (no heap figure: it was not the handler's run). */
export function failedOutcome(error: FunctionErrorBody, fatal?: InstanceOutcome['fatal']): InstanceOutcome {
  return { ok: false, payload: Buffer.alloc(0), error, ...(fatal ? { fatal } : {}), heapMb: 0 };
}

/** A parked instance waits on calls it made (the local cloud's own work) or on a timer (nothing at all). */
export type ParkedOn = 'calls' | 'timer';

/** When a busy instance counts as parked (the pool's policy: `function-pool.ts` PARKED). */
export interface ParkRule {
  /** Serving its request at least this long, with its event loop running callbacks below this share of it. */
  afterMs: number;
  maxUtilization: number;
  /** Parked on a timer when a call of its own was open for at most this share of that time (D125). */
  maxCallShare: number;
}

/**
 * What a function's pool needs of one instance: a worker thread running a nodejs handler (`Instance`, one request
 * at a time) or a custom runtime's server process (`ProcessInstance`, up to `instanceConcurrency` at once, D123).
 */
export interface PoolInstance {
  readonly id: string;
  readonly fn: FunctionSpec;
  /** Serving at least one request. */
  readonly busy: boolean;
  /** May take one more request now. */
  readonly hasRoom: boolean;
  readonly alive: boolean;
  stale: boolean;
  lastUsedAt: number;
  invocations: number;
  warmed: boolean;
  /** The initializer hook's run (once per instance; requests arriving meanwhile wait for it). */
  initialization: Promise<InstanceOutcome> | undefined;
  readonly osThreadId: number | undefined;
  logSink: LogSink;
  /** The class of the request it serves now (D143); undefined while idle. */
  readonly serving: InvocationClass | undefined;
  /** Its threads run at the background nice value (D143): raised once, never lowered, so it stays a background instance. */
  readonly yielded: boolean;
  /** Raise its threads' nice value to `nice` (once; a no-op where the OS refuses). */
  yieldCpu(nice: number): void;
  assign(serving?: InvocationClass, now?: number): void;
  release(now?: number): void;
  /** What the instance's current request waits on, if it is parked (`ParkRule`, D40/D125); undefined: not parked. */
  parkedOn(rule: ParkRule, now?: number): ParkedOn | undefined;
  /** A lifecycle hook. */
  call(message: { type: 'initialize' | 'preStop'; ids: InvocationIds }, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome>;
  invoke(input: InvokeInput, ids: InvocationIds, timeoutMs: number): Promise<InstanceOutcome>;
  terminate(): Promise<void>;
}
type LogSink = (text: string, invocationId: number | null) => void;

/** Node options of the local cloud's command line that worker threads refused, learnt at the first instance. */
const refusedByWorkers = new Set<string>();

/**
 * `new Worker` with the given `execArgv` minus what worker threads refuse: V8 options and process-wide ones
 * (`--max-semi-space-size=32`, `--stack-size=…`, `--no-memory-reducer`) are accepted on node's command line but
 * throw ERR_WORKER_INVALID_EXEC_ARGV when a worker inherits them — which made every instance fail when a
 * developer tried a V8 flag on the local cloud. They still apply to the main thread; instances start without
 * them (FC's runtime takes no node options from the user either), and the local cloud says so once.
 */
export function startWorkerWithoutRefusedFlags(script: string, options: WorkerOptions & { execArgv: string[] }): Worker {
  const withoutRefused = (argv: string[]) => argv.filter((arg, i) => !refusedByWorkers.has(arg) && !(refusedByWorkers.has(argv[i - 1]!) && !arg.startsWith('-')));
  try {
    return new Worker(script, { ...options, execArgv: withoutRefused(options.execArgv) });
  } catch (err) {
    const listed = (err as { code?: string }).code === 'ERR_WORKER_INVALID_EXEC_ARGV' ? /flags: (.*)$/.exec((err as Error).message)?.[1] : undefined;
    if (!listed) throw err;
    for (const flag of listed.split(', ')) refusedByWorkers.add(flag);
    process.stderr.write(`local cloud: worker threads refuse the node options ${listed}; function instances start without them (they apply to the local cloud's own thread)\n`);
    return new Worker(script, { ...options, execArgv: withoutRefused(options.execArgv) });
  }
}

/**
 * The outcome of an HTTP invocation answered in the plain form (D63): the reply is the answer's mapping, and the
 * payload — its JSON, which only the console and the history read, never the gateway — is made on first read.
 * A class, not a literal with a getter: a literal makes a new getter per invocation, and V8 then gives every
 * outcome a dictionary of its own, built slowly on the main thread (D126).
 */
export class AnsweredOutcome implements InstanceOutcome {
  readonly ok = true;
  readonly reply: HttpTriggerReply;
  private json: Buffer | undefined;

  constructor(
    private readonly answer: PlainTriggerAnswer,
    readonly heapMb: number,
  ) {
    this.reply = plainAnswerReply(answer);
  }

  get payload(): Buffer {
    return (this.json ??= answerPayload(this.answer));
  }
}

/** A standby thread for `fn`'s bundle and memory size, if the launcher started one (D87). */
function standbyFor(fn: FunctionSpec, execArgv: string[]): Worker | undefined {
  if (standbyCount() === 0) return undefined;
  let bundleFile: string;
  try {
    bundleFile = bundleFileOf(fn.codeDir, fn.handler);
  } catch {
    return undefined;
  }
  return takeStandbyInstance(bundleFile, fn.memorySize, execArgv);
}

let nextInstanceNumber = 1;
/** Worker-thread instances alive, by number: whose call a request from an instance's port is (D143). */
const liveInstances = new Map<number, Instance>();

/** The class of the request the instance with this number serves now; undefined: no such instance, or idle. */
export function servingClassOf(instanceNumber: number | undefined): InvocationClass | undefined {
  return instanceNumber === undefined ? undefined : liveInstances.get(instanceNumber)?.serving;
}
let nextMessageId = 1;

/**
 * One function instance = one worker thread with its own module registry, environment and heap cap
 * (`memorySize` → V8 old-space limit). Timeouts terminate the thread, so a stuck or CPU-bound handler
 * really stops, as it does on FC.
 */
export class Instance implements PoolInstance {
  /** Its number in the caller-port table (`caller-ports.ts`) and in `liveInstances`. */
  readonly number = nextInstanceNumber++;
  readonly id = `inst-${this.number}`;
  busy = false;
  serving: InvocationClass | undefined;
  yielded = false;
  /** The timeout rule of its invocations: the main thread's stalls, and once yielded its own thread's waits (D143). */
  private timeouts: StallTimeoutOptions | undefined;
  stale = false;
  lastUsedAt = Date.now();
  invocations = 0;
  /** Started ahead of traffic (prewarm): its first request is not a cold start. */
  warmed = false;
  initialization: Promise<InstanceOutcome> | undefined;
  /** The worker's OS thread id on Linux (its CPU time is in `/proc/self/task/<id>/stat`), once ready. */
  osThreadId: number | undefined;
  private readonly worker: Worker;
  /** When the request it serves now was handed to it, and its thread's event-loop use and call time until then. */
  private assignment: { at: number; elu: EventLoopUtilization; callMs: number } | undefined;
  /** The thread's call clock (`call-clock.ts`), once ready. */
  private calls: SharedArrayBuffer | undefined;
  private readonly pending = new Map<number, (outcome: InstanceOutcome) => void>();
  private dead = false;
  private deathReason: FunctionErrorBody | undefined;
  logSink: LogSink = () => undefined;

  private constructor(readonly fn: FunctionSpec, env: Record<string, string>, context: FunctionContext) {
    const boot: InstanceBoot = { codeDir: fn.codeDir, handler: fn.handler, initializer: fn.initializer?.handler, preStop: fn.preStop?.handler, functionName: fn.name, codeCacheDir: CODE_CACHE_DIR, context, callerPorts: callerPorts(), instanceNumber: this.number };
    liveInstances.set(this.number, this);
    const execArgv = instanceExecArgv();
    // A thread the launcher started for this bundle before the local cloud was up (D87) becomes this instance.
    const standby = standbyFor(fn, execArgv);
    if (standby) standby.postMessage({ type: 'boot', boot, env } satisfies StandbyTakeover);
    this.worker =
      standby ??
      startWorkerWithoutRefusedFlags(instanceWorkerScript(), {
        eval: true,
        workerData: boot,
        env,
        execArgv,
        resourceLimits: { maxOldGenerationSizeMb: fn.memorySize },
        stdout: false,
        stderr: false,
      });
    this.worker.on('message', (message: FromInstance) => this.onMessage(message));
    this.worker.on('error', (err: Error & { code?: string }) => {
      const oom = err.code === 'ERR_WORKER_OUT_OF_MEMORY';
      this.die(oom ? 'out-of-memory' : 'crashed', {
        errorType: oom ? 'OutOfMemory' : err.name,
        errorMessage: oom ? `Function exceeded its memory limit of ${fn.memorySize} MB` : `Process exited unexpectedly: ${err.message}`,
      });
    });
    this.worker.on('exit', () => this.die('crashed', this.deathReason ?? { errorType: 'Crashed', errorMessage: 'Process exited unexpectedly before completing request' }));
  }

  /** Start an instance and wait until its bundle is loaded and the handler export exists. */
  static start(fn: FunctionSpec, env: Record<string, string>, context: FunctionContext): Promise<Instance> {
    const instance = new Instance(fn, env, context);
    return new Promise((resolve, reject) => {
      instance.bootWaiter = (error) => (error ? reject(new LoadError(error)) : resolve(instance));
    });
  }

  private bootWaiter: ((error?: FunctionErrorBody) => void) | undefined;

  get alive(): boolean {
    return !this.dead;
  }

  /** One request at a time, as FC's built-in runtimes serve. */
  get hasRoom(): boolean {
    return !this.busy;
  }

  /** The instance takes a request (it is busy until `release`). */
  assign(serving: InvocationClass = 'interactive', now: number = Date.now()): void {
    this.busy = true;
    this.serving = serving;
    this.assignment = { at: now, elu: this.worker.performance.eventLoopUtilization(), callMs: this.calls ? callMsSoFar(this.calls, now) : 0 };
  }

  release(now: number = Date.now()): void {
    this.busy = false;
    this.serving = undefined;
    this.assignment = undefined;
    this.lastUsedAt = now;
  }

  /**
   * Parked: serving a request for at least `afterMs` with its thread's event loop idle nearly all that time
   * (share of it running callbacks below `maxUtilization`) — it waits on I/O or a timer (a long poll, a slow
   * backend), not on a CPU. A handler computing is never parked: a synchronous loop keeps the share at 1.
   * On a timer when a call of its own was open for at most `maxCallShare` of that time, else on calls (D125); a
   * thread without a call clock is taken to wait on calls.
   */
  parkedOn(rule: ParkRule, now: number = Date.now()): ParkedOn | undefined {
    if (!this.busy || !this.assignment || this.dead) return undefined;
    const served = now - this.assignment.at;
    if (served < rule.afterMs) return undefined;
    if (this.worker.performance.eventLoopUtilization(this.assignment.elu).utilization >= rule.maxUtilization) return undefined;
    const callShare = this.calls ? (callMsSoFar(this.calls, now) - this.assignment.callMs) / served : 1;
    return callShare <= rule.maxCallShare ? 'timer' : 'calls';
  }

  yieldCpu(nice: number): void {
    if (this.yielded || this.osThreadId === undefined) return;
    this.yielded = true;
    if (!yieldThreads([this.osThreadId], nice)) return;
    this.timeouts = { time: processTime, stalls: new YieldedThreadStalls(mainThreadStalls, this.osThreadId), maxSleepMs: Infinity };
  }

  private onMessage(message: FromInstance): void {
    if (isAnswered(message)) {
      // An HTTP answer in the plain form (protocol.ts `AnsweredInvocation`).
      const [id, heapMb, answer] = message;
      const settle = this.pending.get(id);
      this.pending.delete(id);
      settle?.(new AnsweredOutcome(answer, heapMb));
    } else if (message.type === 'ready') {
      this.osThreadId = message.osThreadId;
      this.calls = message.calls;
      this.bootWaiter?.();
      this.bootWaiter = undefined;
    } else if (message.type === 'boot-error') {
      this.bootWaiter?.(message.error);
      this.bootWaiter = undefined;
      void this.terminate();
    } else if (message.type === 'standing-by') {
      // a standby thread taken before it had compiled its bundle: nothing to do
    } else if (message.type === 'log') {
      this.logSink(message.text, message.id);
    } else {
      const settle = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (!settle) return;
      if (!message.ok) return settle({ ok: false, payload: Buffer.alloc(0), error: message.error, heapMb: message.heapMb });
      // A view of the transferred buffer (Buffer.from(Uint8Array) would copy it).
      const payload = Buffer.from(message.payload.buffer, message.payload.byteOffset, message.payload.byteLength);
      settle(message.reply ? { ok: true, payload, reply: message.reply, heapMb: message.heapMb } : { ok: true, payload, heapMb: message.heapMb });
    }
  }

  private die(fatal: NonNullable<InstanceOutcome['fatal']>, error: FunctionErrorBody): void {
    if (this.dead) return;
    this.dead = true;
    liveInstances.delete(this.number);
    this.deathReason = error;
    this.bootWaiter?.(error);
    this.bootWaiter = undefined;
    for (const settle of this.pending.values()) settle(failedOutcome(error, fatal));
    this.pending.clear();
  }

  /** A lifecycle hook: send it and wait for its result, at most `timeoutMs` (then the thread is terminated). */
  call(message: { type: 'initialize' | 'preStop'; ids: InvocationIds }, timeoutMs: number, timeoutMessage: string): Promise<InstanceOutcome> {
    const id = nextMessageId++;
    return this.send(id, { type: message.type, id, ids: message.ids }, timeoutMs, timeoutMessage);
  }

  /**
   * Send one message and wait for its result, at most `timeoutMs` (then the thread is terminated). Callers write the
   * message out whole: a `{ ...message, id }` here, on every request's path, left each message to V8's slow path (D126).
   */
  private send(id: number, message: ToInstance | HttpInvocation, timeoutMs: number, timeoutMessage: string, transfer?: ArrayBuffer[]): Promise<InstanceOutcome> {
    if (this.dead) return Promise.resolve(failedOutcome(this.deathReason ?? { errorType: 'InstanceStopped', errorMessage: 'the instance was stopped before the request reached it' }, 'crashed'));
    return new Promise((resolve) => {
      // The timeout counts the function's time, not the time the local cloud's own thread was stalled (D65), nor,
      // for a yielded instance, the time its thread waited for a CPU the local cloud gave to a page (D143).
      const timeout = new StallAwareTimeout(
        timeoutMs,
        () => {
          if (!this.pending.delete(id)) return;
          const error = { errorType: 'FunctionTimeout', errorMessage: timeoutMessage };
          this.deathReason = error;
          resolve(failedOutcome(error, 'timeout'));
          void this.terminate();
        },
        this.timeouts,
      );
      this.pending.set(id, (outcome) => {
        timeout.cancel();
        resolve(outcome);
      });
      if (transfer) this.worker.postMessage(message, transfer);
      else this.worker.postMessage(message);
    });
  }

  invoke(input: InvokeInput, ids: InvocationIds, timeoutMs: number): Promise<InstanceOutcome> {
    const timeoutMessage = `Function timed out after ${this.fn.timeout} seconds`;
    const id = nextMessageId++;
    if ('http' in input) return this.send(id, httpInvocation(id, ids, input.http), timeoutMs, timeoutMessage);
    // Copy: the event buffer is transferred to the worker and must not be shared with the caller.
    const bytes = new Uint8Array(input.event.byteLength);
    bytes.set(input.event);
    return this.send(id, { type: 'invoke', id, event: bytes, ids }, timeoutMs, timeoutMessage, [bytes.buffer]);
  }

  async terminate(): Promise<void> {
    // What it was still running ends with it: a caller (an initializer cut short by close()) must not wait for
    // an answer that cannot come, nor its timeout timer keep the process alive.
    this.die('crashed', this.deathReason ?? { errorType: 'InstanceStopped', errorMessage: 'the instance was stopped before it answered' });
    await this.worker.terminate();
  }
}
