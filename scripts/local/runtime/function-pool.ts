import { traceMark } from '../trace';
import type { FunctionSpec } from '../spec/model';
import { failedOutcome, Instance, LoadError, type InstanceOutcome, type InvokeInput, type ParkRule, type PoolInstance } from './instance';
import { CANCELED_BY_CLIENT, type ClientConnection } from './client-connection';
import type { InstancePids } from './instance-pids';
import { ProcessInstance, runsAsProcess } from './process-instance';
import type { InvocationClass } from './priority';
import type { FunctionContext, InvocationIds } from './protocol';

export interface PoolOptions {
  env: Record<string, string>;
  /** Instances of this function at once when s.yaml's reservedConcurrency is not lower (capacity.ts). */
  maxInstances: number;
  /** Instances of this function at once counting those parked on I/O (capacity.ts `ceiling`, D40). */
  maxWithParked: number;
  /** The instance budget all functions share. */
  budget: InstanceBudget;
  /** Retire instances idle this long. */
  idleMs: number;
  /** Resolves when the function's bundle can be loaded (it may still be building at start-up). */
  /** Resolves when the bundle can be loaded; `demanded`: a request waits for this instance (not a prewarm). */
  codeReady: (demanded: boolean) => Promise<void>;
  onLog: (fn: FunctionSpec, instanceId: string, text: string, invocationId: number | null) => void;
  /** The request id of a lifecycle hook call (preStop has no request of its own). */
  hookIds: () => InvocationIds;
  /** The FC context every invocation of the function shares (an instance gets it once, when it starts). */
  functionContext: (fn: FunctionSpec) => FunctionContext;
  /** The nice value of instances serving background work (`priority.ts`, D143); 0: they run as the others. */
  backgroundNice: number;
  /** Where process instances are recorded, for a start after a crash to reap them (D151). */
  instancePids?: InstancePids;
}

export interface PoolOutcome extends InstanceOutcome {
  instanceId: string;
  coldStart: boolean;
  /** Milliseconds the request waited in line for an instance (0 when one was free or could start). */
  waitMs: number;
  throttled?: boolean;
}

/** The request's client went away while it waited in line (D168): it leaves the line and never runs. */
class CanceledByClientError extends Error {
  constructor() {
    super(CANCELED_BY_CLIENT.errorMessage);
    this.name = CANCELED_BY_CLIENT.errorType;
  }
}

/** The local cloud is stopping: requests still arriving get 503 (and are not worth logging as errors). */
export class ShuttingDownError extends Error {
  readonly status = 503;
  constructor(fn: string) {
    super(`function ${fn} is shutting down`);
    this.name = 'ShuttingDown';
  }
}

export class ThrottledError extends Error {
  constructor(fn: string, limit: number) {
    super(`Reserved concurrency (${limit}) of function ${fn} exceeded`);
    this.name = 'ResourceThrottled';
  }
}

/** How long an extra instance must have been idle before another function may take its room. */
export const EVICTABLE_AFTER_IDLE_MS = 1000;

/**
 * An instance is parked (D40) once it has served its request this long with its thread's event loop running
 * callbacks less than this share of the time: a long poll or a slow backend, not a computation. A second is
 * far beyond a request's own work here (a few ms), and short enough that a line behind long polls moves.
 * Parked on a timer (D125) when a call of its own was open at most half of that time: an order page's long poll
 * sleeps 200 ms between looks at the order, each look a few ms.
 */
export const PARKED: ParkRule = { afterMs: 1000, maxUtilization: 0.1, maxCallShare: 0.5 };
/** While a line waits at a cap, how often the pool looks again whether instances have parked. */
const PARKED_RECHECK_MS = 250;

/** What the budget needs of a function's pool (FunctionPool; fakes in unit tests). */
export interface BudgetedPool {
  readonly size: number;
  readonly startingCount: number;
  /** Idle instances whose room another function may take (`evict` retires one without waking anyone). */
  idleInstances(): readonly { lastUsedAt: number; evict(): void }[];
  /** Instances parked on I/O (PARKED): they count toward `parkedCeiling`, not toward `extra` while the CPUs have room. */
  parkedCount(): number;
  /** Of those, the ones parked on a timer (D125): never toward `extra`, however busy the CPUs. */
  parkedOnTimersCount(): number;
  /** Is an interactive request waiting in its line (D143)? Such pools are asked first when room frees. */
  waitsForInteractive?(): boolean;
  onSlotFree(): void;
}

/**
 * Room for instances beyond each function's first, shared by all functions (capacity.ts, D30). Every
 * function may always run one instance — so a caller waiting on its callee can never block itself, and
 * the instances prewarmed at start-up never compete with a burst — and at most `extra` more run in total.
 * When they are all taken, an extra instance of another function that has been idle for a second is
 * retired to make room (the longest idle first); otherwise the function waits here and is asked again, in
 * order, when one frees.
 *
 * Instances parked on I/O do not count against `extra` while the CPUs have room (D40): they use no CPU, which
 * is what the room protects. Those parked on a timer do not count however busy the CPUs are (D125): they wait
 * on nothing the machine computes. `parkedCeiling` bounds the extra instances counting parked ones (by default
 * it equals `extra`: parked instances then change nothing).
 */
export class InstanceBudget {
  private readonly pools = new Set<BudgetedPool>();
  private waiting: BudgetedPool[] = [];

  constructor(
    readonly extra: number,
    private readonly now: () => number = Date.now,
    private readonly parked: { parkedCeiling: number; cpuHasRoom: () => boolean } = { parkedCeiling: extra, cpuHasRoom: () => false },
  ) {}

  /** May instances parked on I/O be left out of the CPU-based caps now? (CpuRoom) */
  cpuHasRoom(): boolean {
    return this.parked.cpuHasRoom();
  }

  register(pool: BudgetedPool): void {
    this.pools.add(pool);
  }

  /** Instances running or starting, of all functions. */
  get instances(): number {
    let n = 0;
    for (const pool of this.pools) n += pool.size + pool.startingCount;
    return n;
  }

  /** Instances beyond each function's first. */
  get extraInUse(): number {
    let n = 0;
    for (const pool of this.pools) n += Math.max(0, pool.size + pool.startingCount - 1);
    return n;
  }

  /** Could parked instances make room (D40)? Then a function waiting for room must look again by itself. */
  belowParkedCeiling(): boolean {
    return this.extraInUse < this.parked.parkedCeiling;
  }

  /** Extra instances not parked (on a timer only, or on anything: `parkedOn`) once `starter` has started one more. */
  private extraUsingCpuWithOneMore(starter: BudgetedPool, parkedOn: 'timer' | 'any'): number {
    let n = 0;
    for (const pool of this.pools) {
      const parked = parkedOn === 'timer' ? pool.parkedOnTimersCount() : pool.parkedCount();
      n += Math.max(0, pool.size + pool.startingCount - parked + (pool === starter ? 1 : 0) - 1);
    }
    return n;
  }

  /** May `pool` start one more instance now? (Its first always; false: call `wait`.) */
  take(pool: BudgetedPool): boolean {
    if (pool.size + pool.startingCount === 0) return true;
    const inUse = this.extraInUse;
    if (inUse < this.extra) return true;
    if (inUse < this.parked.parkedCeiling) {
      if (this.extraUsingCpuWithOneMore(pool, 'timer') <= this.extra) return true;
      if (this.extraUsingCpuWithOneMore(pool, 'any') <= this.extra && this.cpuHasRoom()) return true;
    }
    return this.evictIdle(pool);
  }

  /**
   * An instance retired, died or failed to start: the functions waiting for room are asked again, in order —
   * those with an interactive request in line first (D143).
   */
  freed(): void {
    const waiting = this.waiting.splice(0);
    for (const pool of waiting) if (pool.waitsForInteractive?.()) pool.onSlotFree();
    for (const pool of waiting) if (!pool.waitsForInteractive?.()) pool.onSlotFree();
  }

  /** `pool` has a line that needs a new instance: ask it again (`onSlotFree`) when room frees. */
  wait(pool: BudgetedPool): void {
    if (!this.waiting.includes(pool)) this.waiting.push(pool);
  }

  /**
   * Only an instance idle for a while is worth retiring: one that served a request a moment ago will likely
   * serve the next, and starting another in its place costs a cold start to gain nothing.
   */
  private evictIdle(forPool: BudgetedPool): boolean {
    const idleSince = this.now() - EVICTABLE_AFTER_IDLE_MS;
    const victim = [...this.pools]
      .filter((p) => p !== forPool && p.size > 1)
      .flatMap((p) => p.idleInstances())
      .filter((instance) => instance.lastUsedAt <= idleSince)
      .sort((a, b) => a.lastUsedAt - b.lastUsedAt)[0];
    if (!victim) return false;
    // Its room passes straight to `forPool`: nobody else is woken for it.
    victim.evict();
    return true;
  }
}

interface Waiter {
  serve: (instance: PoolInstance) => void;
  fail: (err: Error) => void;
  queuedAt: number;
  serving: InvocationClass;
  /** For a background request: how many interactive ones went ahead of it in line (D143). */
  passed: number;
}

/**
 * How many interactive requests may go ahead of one background request in a function's line (D143): enough that
 * a page's calls do not wait behind a backlog of events, bounded so that an event is never starved by a function
 * that both serves pages and takes events. A count, not a time: the order does not depend on the machine's speed.
 */
export const MAX_PASSES = 16;

/** Bounds of the wait before a line makes its function start another instance (`FunctionPool.scaleOutDelay`). */
const SCALE_OUT_DELAY_MS = { min: 10, max: 200 };

/**
 * How long a line waits for a prewarmed instance that is running its initializer before it starts another
 * instance. At start-up a request for a function whose instance was still in its initializer (the product
 * page's: one table read, 30–150 ms) started a second instance — a cold start, on a start that had not written
 * its source maps yet an on-demand build too, on the first page's path (D97). Bounded, not "until it is done":
 * an initializer that calls its own function, or one that calls it back, would otherwise wait for itself.
 */
const INITIALIZER_WAIT_MS = 500;

/**
 * The instances of one function. FC 3.0 built-in runtimes serve one request per instance, so concurrency
 * means more instances. A request takes a free instance (warm); otherwise it joins the function's line,
 * and the line is served in arrival order by whichever instance is free first: one that finishes its
 * request, or a new one. A line that is still there after about one typical invocation of the function
 * makes the pool start another instance, one at a time, up to the function's cap and the shared budget
 * (D30): a cold start costs ~50–100 ms of CPU, so on a small machine a burst is served faster by instances
 * finishing their 2-ms requests than by starting one instance per request. Concurrent requests above
 * s.yaml's `reservedConcurrency` are throttled (429) as on FC. The cap protects the CPU, so instances parked
 * on I/O do not count against it while the CPUs have room, and those parked on a timer (a long poll between
 * its looks) not at all, up to `maxWithParked` (D40, D125).
 */
export class FunctionPool implements BudgetedPool {
  private instances: PoolInstance[] = [];
  private starting = 0;
  /** Prewarmed instances running their initializer: started, not serving yet. */
  private readonly initializing = new Set<PoolInstance>();
  private readonly startingInstances = new Set<Promise<PoolInstance>>();
  /** Requests accepted and not finished (running or waiting): what reservedConcurrency limits. */
  private inFlight = 0;
  /** Instances running their preStop hook on the way out. */
  private readonly retiring = new Set<Promise<void>>();
  private readonly waiters: Waiter[] = [];
  private dispatching = false;
  /**
   * Set while a prewarm waits for its bundle as a prewarm does (its build stage, D43): a request joining the line
   * calls it, so that wait becomes a request's — the bundle is built now (D171). Without it the request waited
   * behind the prewarm for the whole background stage (no second instance starts beside one starting).
   */
  private demandCode: (() => void) | undefined;
  /** Typical invocation time of this function (moving average, ms); undefined before its first one. */
  private typicalMs: number | undefined;
  private scaleOutTimer: NodeJS.Timeout | undefined;
  private readonly reaper: NodeJS.Timeout;
  private closed = false;

  constructor(
    private fn: FunctionSpec,
    private readonly options: PoolOptions,
  ) {
    options.budget.register(this);
    this.reaper = setInterval(() => this.reapIdle(), Math.min(options.idleMs, 30000));
    this.reaper.unref();
  }

  get spec(): FunctionSpec {
    return this.fn;
  }

  get size(): number {
    return this.instances.length;
  }

  get startingCount(): number {
    return this.starting + this.initializing.size;
  }

  get busy(): number {
    return this.instances.filter((i) => i.busy).length;
  }

  /** The OS thread ids of this function's instances (Linux; for per-thread CPU accounting in benchmarks). */
  osThreadIds(): number[] {
    return this.instances.flatMap((i) => (i.osThreadId === undefined ? [] : [i.osThreadId]));
  }

  /** Requests waiting in line for an instance. */
  get queued(): number {
    return this.waiters.length;
  }

  private get cap(): number {
    return Math.min(this.fn.reservedConcurrency ?? Number.POSITIVE_INFINITY, this.options.maxInstances);
  }

  /** Instances serving a request that wait on I/O or a timer (PARKED). */
  parkedCount(): number {
    const now = Date.now();
    return this.instances.filter((i) => i.parkedOn(PARKED, now) !== undefined).length;
  }

  /** Instances serving a request that wait on a timer, not on a call (PARKED, D125). */
  parkedOnTimersCount(): number {
    const now = Date.now();
    return this.instances.filter((i) => i.parkedOn(PARKED, now) === 'timer').length;
  }

  /**
   * May the line start one more instance? Below the cap, yes; at the cap, when the function is below its
   * ceiling and its instances not parked on a timer stay below the cap (D125), or those not parked at all do
   * while the CPUs have room (D40) — otherwise the pool looks again in a moment, since instances may park or
   * the CPUs calm down meanwhile.
   */
  private mayStartAnother(): boolean {
    const n = this.instances.length;
    if (n < this.cap) return true;
    if (n >= Math.min(this.fn.reservedConcurrency ?? Number.POSITIVE_INFINITY, this.options.maxWithParked)) return false;
    if (n - this.parkedOnTimersCount() < this.cap) return true;
    const parked = this.parkedCount();
    if (parked > 0 && n - parked < this.cap && this.options.budget.cpuHasRoom()) return true;
    this.lookAgainIn(PARKED_RECHECK_MS);
    return false;
  }

  private lookAgainIn(ms: number): void {
    this.scaleOutTimer ??= setTimeout(() => {
      this.scaleOutTimer = undefined;
      this.dispatch();
    }, ms).unref();
  }

  /**
   * Run one invocation on a warm or new instance. `timeoutMs` is the function's timeout left for the handler:
   * its clock starts once the instance is ready, as on FC, where starting an instance (and the initializer,
   * with its own timeout) does not count against the invocation's timeout — nor does waiting in line here.
   */
  async invoke(
    input: InvokeInput,
    ids: InvocationIds,
    timeoutMs: number,
    onAssigned: (instanceId: string) => void = () => undefined,
    serving: InvocationClass = 'interactive',
    client?: ClientConnection,
  ): Promise<PoolOutcome> {
    if (this.closed) throw new ShuttingDownError(this.fn.name);
    const reserved = this.fn.reservedConcurrency;
    if (reserved !== undefined && this.inFlight >= reserved) throw new ThrottledError(this.fn.name, reserved);
    this.inFlight++;
    try {
      const queuedAt = Date.now();
      let acquired: Awaited<ReturnType<FunctionPool['acquire']>>;
      try {
        acquired = await this.acquire(serving, client);
      } catch (err) {
        if (err instanceof ShuttingDownError) throw err;
        if (err instanceof CanceledByClientError) return { ...failedOutcome({ ...CANCELED_BY_CLIENT }), instanceId: '-', coldStart: false, waitMs: Date.now() - queuedAt };
        // The instance this request started could not start (the bundle throws while loading, the handler is
        // missing): on FC that request fails with the error; the local cloud must not fail with it.
        const loaded = err instanceof LoadError;
        const error = loaded ? err.body : { errorType: (err as Error).name || 'Error', errorMessage: (err as Error).message };
        return { ...failedOutcome(error, 'crashed'), ...(loaded ? { atLoad: true as const } : {}), instanceId: '-', coldStart: true, waitMs: Date.now() - queuedAt };
      }
      const { instance, coldStart, waitMs } = acquired;
      const assignedAt = Date.now();
      onAssigned(instance.id);
      try {
        const init = this.fn.initializer ? await this.initialize(instance, ids) : undefined;
        if (init && !init.ok) {
          const error = { errorType: 'InitializationError', errorMessage: init.error?.errorMessage ?? 'initializer failed', ...(init.error?.stackTrace ? { stackTrace: init.error.stackTrace } : {}) };
          return { ...init, error, instanceId: instance.id, coldStart, waitMs };
        }
        const outcome = (await instance.invoke(input, ids, Math.max(1, timeoutMs))) as PoolOutcome;
        outcome.instanceId = instance.id;
        outcome.coldStart = coldStart;
        outcome.waitMs = waitMs;
        return outcome;
      } finally {
        this.release(instance, assignedAt);
      }
    } finally {
      this.inFlight--;
    }
  }

  /**
   * Ends the instance serving a request now (StopAsyncTask, D159): as a timeout ends it, so its request answers
   * at once with the instance's death and the pool replaces it. Answers whether such an instance was found.
   */
  stopInstance(instanceId: string): boolean {
    const instance = this.instances.find((i) => i.id === instanceId);
    if (!instance) return false;
    void instance.terminate();
    return true;
  }

  /**
   * Warm one instance ahead of the first request (used at start-up). Requests arriving meanwhile wait for
   * this instance instead of starting a second one next to it.
   */
  async prewarm(): Promise<void> {
    if (this.closed || this.instances.length > 0 || this.starting > 0 || this.initializing.size > 0) return;
    if (!this.options.budget.take(this)) return;
    traceMark(`warming ${this.fn.resource}`);
    await this.spawn(true).catch(() => undefined);
    traceMark(`warm ${this.fn.resource}`);
  }

  private async acquire(serving: InvocationClass, client?: ClientConnection): Promise<{ instance: PoolInstance; coldStart: boolean; waitMs: number }> {
    // A request never passes those already in line (except an interactive one passing background ones, below).
    const idle = this.waiters.length === 0 ? this.takeIdle(serving) : undefined;
    if (idle) return { instance: idle, coldStart: isFirstUse(idle), waitMs: 0 };
    // Its client left before it could even join the line (D168).
    if (client?.gone) throw new CanceledByClientError();
    const queuedAt = Date.now();
    let unwatch: (() => void) | undefined;
    const instance = await new Promise<PoolInstance>((serve, fail) => {
      const waiter: Waiter = { serve, fail, queuedAt, serving, passed: 0 };
      // A client that goes away takes its request out of the line: on FC its invocation is canceled (D168).
      unwatch = client?.watch(() => {
        const at = this.waiters.indexOf(waiter);
        if (at < 0) return;
        this.waiters.splice(at, 1);
        fail(new CanceledByClientError());
      });
      this.joinLine(waiter);
      this.demandCode?.();
      this.dispatch();
    }).finally(() => unwatch?.());
    return { instance, coldStart: isFirstUse(instance), waitMs: Date.now() - queuedAt };
  }

  /**
   * Background requests join at the end; an interactive one goes ahead of the background requests at the end of
   * the line, except those it may no longer pass (`MAX_PASSES`), behind every interactive one (D143).
   */
  private joinLine(waiter: Waiter): void {
    if (waiter.serving === 'background') {
      this.waiters.push(waiter);
      return;
    }
    let at = this.waiters.length;
    while (at > 0 && this.waiters[at - 1]!.serving === 'background' && this.waiters[at - 1]!.passed < MAX_PASSES) at--;
    for (let i = at; i < this.waiters.length; i++) this.waiters[i]!.passed++;
    this.waiters.splice(at, 0, waiter);
  }

  /**
   * Is interactive work under way here (D143's background gate)? An interactive request waiting in line, or one
   * being served and not parked (a long poll asleep, or a BFF waiting on its services, is not using the CPU itself).
   */
  interactiveUnderWay(): boolean {
    for (const waiter of this.waiters) if (waiter.serving === 'interactive') return true;
    const now = Date.now();
    for (const instance of this.instances) if (instance.serving === 'interactive' && instance.parkedOn(PARKED, now) === undefined) return true;
    return false;
  }

  /** An interactive request waits in this function's line (InstanceBudget asks such pools first). */
  waitsForInteractive(): boolean {
    return this.waiters.length > 0 && this.waiters[0]!.serving === 'interactive';
  }

  /** Serve the line with free instances; start one more while there is a line and the caps allow. */
  private dispatch(): void {
    // Retiring an instance frees a budget slot, which can call back into this pool: one pass at a time.
    if (this.dispatching || this.closed) return;
    this.dispatching = true;
    try {
      // Looked for before a list is made: dispatch runs after every request, and an instance seldom dies (D126).
      if (this.instances.some(isDeadAndIdle)) for (const dead of this.instances.filter(isDeadAndIdle)) this.retire(dead);
      while (this.waiters.length > 0) {
        const idle = this.takeIdle(this.waiters[0]!.serving);
        if (!idle) break;
        this.waiters.shift()!.serve(idle);
      }
      if (this.waiters.length === 0 || this.starting > 0 || !this.mayStartAnother()) return;
      const waited = Date.now() - this.waiters[0]!.queuedAt;
      const delay = this.scaleOutDelay();
      if (this.instances.length > 0 && waited < delay) {
        // A busy instance will probably be free before a new one could start: look again then.
        this.lookAgainIn(delay - waited);
        return;
      }
      if (this.initializing.size > 0 && waited < INITIALIZER_WAIT_MS) {
        // A prewarmed instance running its initializer will serve sooner than a new one would start (D97).
        this.lookAgainIn(INITIALIZER_WAIT_MS - waited);
        return;
      }
      if (this.options.budget.take(this)) void this.spawn(false).catch(() => undefined);
      else {
        this.options.budget.wait(this);
        // Room also appears when instances of any function park on I/O, which frees nothing: look again then.
        if (this.options.budget.belowParkedCeiling()) this.lookAgainIn(PARKED_RECHECK_MS);
      }
    } finally {
      this.dispatching = false;
    }
  }

  /**
   * How long the head of the line waits before another instance starts: about one typical invocation of
   * this function (bounded to 10–200 ms), since by then a busy instance has usually finished; no wait before
   * the function's first invocation has been timed (nothing to go by, so it scales out as FC would).
   */
  private scaleOutDelay(): number {
    if (this.typicalMs === undefined) return 0;
    return Math.min(SCALE_OUT_DELAY_MS.max, Math.max(SCALE_OUT_DELAY_MS.min, this.typicalMs));
  }

  /**
   * Runs the initializer hook once per instance (a failed one retires the instance: the next request starts
   * another). Every request the instance takes meanwhile — a custom runtime's instance takes several — waits for it.
   */
  private initialize(instance: PoolInstance, ids: InvocationIds): Promise<InstanceOutcome | undefined> {
    const hook = this.fn.initializer;
    if (!hook) return Promise.resolve(undefined);
    instance.initialization ??= instance.call({ type: 'initialize', ids }, hook.timeout * 1000, `Function initialization timed out after ${hook.timeout} seconds`).then((init) => {
      if (!init.ok) void instance.terminate();
      return init;
    });
    return instance.initialization;
  }

  /** Called by the budget when a slot is free and this pool asked for one. */
  onSlotFree(): void {
    this.dispatch();
  }

  /**
   * A free instance for a request of class `serving`, one already of its kind first (D143): a background request
   * prefers an instance that has yielded the CPU before, an interactive one an instance that has not. An instance
   * that takes background work yields for good (an unprivileged process cannot lower a thread's nice value again);
   * an interactive request takes a yielded one only when no other is free, which happens only to a function that
   * serves both kinds.
   */
  private takeIdle(serving: InvocationClass): PoolInstance | undefined {
    const wantYielded = serving === 'background';
    let idle: PoolInstance | undefined;
    for (const i of this.instances) {
      if (!i.hasRoom || i.stale || !i.alive) continue;
      idle ??= i;
      if (i.yielded === wantYielded) {
        idle = i;
        break;
      }
    }
    if (!idle) return undefined;
    idle.assign(serving);
    if (wantYielded && this.options.backgroundNice > 0) idle.yieldCpu(this.options.backgroundNice);
    return idle;
  }

  /** Idle instances another function may take the room of (InstanceBudget). */
  idleInstances(): { lastUsedAt: number; evict(): void }[] {
    // Retired without waking anyone: the function that evicts it takes over its room at once.
    return this.instances.filter((i) => !i.busy && i.alive).map((i) => ({ lastUsedAt: i.lastUsedAt, evict: () => this.retire(i, false) }));
  }

  /**
   * Start an instance on a slot already taken from the budget; once ready it is free and serves the line.
   * If it cannot start (the bundle throws while loading, the handler is missing), the first request in line
   * gets that error, as the request that caused the cold start would on FC.
   */
  private async spawn(warm: boolean): Promise<void> {
    this.starting++;
    let started: Promise<PoolInstance> | undefined;
    let instance: PoolInstance;
    try {
      await (warm ? this.prewarmCode() : this.options.codeReady(true));
      if (this.closed) throw new ShuttingDownError(this.fn.name);
      started = this.startInstance();
      this.startingInstances.add(started);
      instance = await started;
    } catch (err) {
      this.starting--;
      if (started) this.startingInstances.delete(started);
      this.options.budget.freed();
      this.waiters.shift()?.fail(err as Error);
      this.dispatch();
      throw err;
    }
    this.starting--;
    this.startingInstances.delete(started);
    if (this.closed) {
      // close() ran while this thread was starting: it must not outlive the pool.
      await instance.terminate();
      return;
    }
    instance.logSink = (text, id) => this.options.onLog(this.fn, instance.id, text, id);
    instance.warmed = warm;
    // As on FC, a prewarmed instance runs its initializer when it starts, so the first request does not wait for it.
    if (warm) {
      this.initializing.add(instance);
      await this.initialize(instance, this.options.hookIds()).catch(() => undefined);
      this.initializing.delete(instance);
      if (this.closed) {
        await instance.terminate();
        return;
      }
    }
    this.instances.push(instance);
    this.dispatch();
  }

  /** A prewarm's bundle: when its stage builds it, or at once (as a request's) once a request waits for the instance. */
  private async prewarmCode(): Promise<void> {
    const demanded = new Promise<void>((resolve) => (this.demandCode = resolve)).then(() => this.options.codeReady(true));
    if (this.waiters.length > 0) this.demandCode?.();
    try {
      await Promise.race([this.options.codeReady(false), demanded]);
    } finally {
      this.demandCode = undefined;
    }
  }

  /** A custom runtime's instance is its server's process (D123), a Python one its bootstrap's (D131); a nodejs one, a worker thread. */
  private startInstance(): Promise<PoolInstance> {
    const context = this.options.functionContext(this.fn);
    if (!runsAsProcess(this.fn)) return Instance.start(this.fn, this.options.env, context);
    return ProcessInstance.start(this.fn, this.options.env, context, (instanceId, text) => this.options.onLog(this.fn, instanceId, text, null), this.options.instancePids);
  }

  private release(instance: PoolInstance, startedAt: number): void {
    instance.release();
    instance.invocations++;
    const took = instance.lastUsedAt - startedAt;
    this.typicalMs = this.typicalMs === undefined ? took : 0.8 * this.typicalMs + 0.2 * took;
    // A stale instance still serving other requests (instanceConcurrency) goes after the last of them.
    if (!instance.alive || (instance.stale && !instance.busy)) this.retire(instance);
    this.dispatch();
  }

  private retire(instance: PoolInstance, wakeOthers = true): void {
    if (!this.instances.includes(instance)) return;
    this.instances = this.instances.filter((i) => i !== instance);
    if (wakeOthers) this.options.budget.freed();
    if (!instance.alive) return;
    const retiring = (async () => {
      if (this.fn.preStop) {
        await instance.call({ type: 'preStop', ids: this.options.hookIds() }, this.fn.preStop.timeout * 1000, 'preStop timed out');
      }
      await instance.terminate();
    })().finally(() => this.retiring.delete(retiring));
    this.retiring.add(retiring);
  }

  /** New code or settings: idle instances go now, busy ones after their current request. */
  reload(fn: FunctionSpec = this.fn): void {
    this.fn = fn;
    for (const instance of [...this.instances]) {
      instance.stale = true;
      if (!instance.busy) this.retire(instance);
    }
    this.dispatch();
  }

  private reapIdle(): void {
    const cutoff = Date.now() - this.options.idleMs;
    for (const instance of [...this.instances]) if (!instance.busy && instance.lastUsedAt < cutoff) this.retire(instance);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.reaper);
    if (this.scaleOutTimer) clearTimeout(this.scaleOutTimer);
    for (const waiter of this.waiters.splice(0)) waiter.fail(new ShuttingDownError(this.fn.name));
    // Threads still starting terminate themselves in spawn(); wait for them so none outlives close().
    await Promise.allSettled([...this.startingInstances, ...this.retiring]);
    await Promise.all([...this.instances, ...this.initializing].map((i) => i.terminate()));
    this.instances = [];
  }
}

function isDeadAndIdle(instance: PoolInstance): boolean {
  return !instance.alive && !instance.busy;
}

/** An instance's first request is a cold start unless the instance was started ahead of traffic. */
function isFirstUse(instance: PoolInstance): boolean {
  return instance.invocations === 0 && !instance.warmed;
}
