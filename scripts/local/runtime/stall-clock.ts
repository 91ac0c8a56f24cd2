/**
 * The local cloud's one stall rule (D65, D107, D111): a timeout given to work done inside the local cloud does
 * not count the time this process's main thread was stalled.
 *
 * On FC a function's timeout counts its own time, and on CloudFlow a Task's `Timeout` waits for a callback that
 * FC and a provider's servers send however busy the region is. Locally the gateway, every emulator, the FC API
 * and the FnF engine run on this process's main thread, on a machine shared with everything else. When that
 * thread falls behind — a burst keeps it busy, or other processes take the CPUs — every call a function makes to
 * an emulator, and the delivery of every answer, waits for it, and a fixed wall-clock timeout turns "the laptop is
 * busy" into a `FunctionTimeout` or a `TaskTimedOut` that the cloud never gives (a 100-order checkout at load ~20
 * saw product services time out after their 5 s while their own work took milliseconds, D65; the order saga's
 * 30-s payment callback ran out at load ~25, D107).
 *
 * Used by `Instance.call` (every invocation and initializer) and by the FnF emulator's `RealtimeScheduler` (a
 * Task's `Timeout`); `test/unit/stall-clock.test.ts` is the rule's one set of tests, on a clock the test drives.
 */

/**
 * The time and timers the rule runs on: the process's own (`processTime`), or one a test drives. Timer callbacks
 * take one argument so that a caller on a hot path passes an object instead of making a closure per call (D101).
 */
export interface TimeSource {
  now(): number;
  setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): TimerRef;
  clearTimeout(timer: TimerRef): void;
  setImmediate<A>(callback: (arg: A) => void, arg: A): TimerRef;
  clearImmediate(immediate: TimerRef): void;
}

/** A timer as a `TimeSource` returns it: Node's can be unref'd, a test's need not be. */
export interface TimerRef {
  unref?(): unknown;
}

/**
 * Node's clock and timers. The globals are looked up at each call, not captured, so jest's fake timers (installed
 * after this module loads) drive them too.
 */
export const processTime: TimeSource = {
  now: () => performance.now(),
  setTimeout: (callback, ms, arg) => setTimeout(callback, ms, arg),
  clearTimeout: (timer) => clearTimeout(timer as NodeJS.Timeout),
  setImmediate: (callback, arg) => setImmediate(callback, arg),
  clearImmediate: (immediate) => clearImmediate(immediate as NodeJS.Immediate),
};

/**
 * How long the main thread has been unable to run what was ready. The measure: a timer that should fire every
 * `periodMs` notes how late it ran; lateness beyond `toleranceMs` is stalled time. It runs only while someone
 * holds it (a timeout pending), and never keeps the process alive. A stall is seen only from the sampler's
 * next due time on, less the tolerance: each stall is under-counted by at most `periodMs + toleranceMs`.
 */
export class StallClock {
  private stalled = 0;
  private holders = 0;
  private timer: TimerRef | undefined;
  private due = 0;

  constructor(
    private readonly periodMs = 50,
    private readonly toleranceMs = 20,
    readonly time: TimeSource = processTime,
  ) {}

  /** Start measuring (if not already) until the matching `release`. */
  hold(): void {
    if (this.holders++ === 0) this.schedule();
  }

  release(): void {
    if (--this.holders > 0) return;
    this.holders = 0;
    this.settle();
    if (this.timer) this.time.clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Milliseconds stalled since measuring began, including a stall going on now (the timer that would have
   * noticed it may be waiting behind the very callback asking).
   */
  stalledMs(): number {
    if (!this.timer) return this.stalled;
    return this.stalled + Math.max(0, this.time.now() - this.due - this.toleranceMs);
  }

  /** Arm the next sample (the sampler's own; public for its module-level callback). */
  schedule(): void {
    this.due = this.time.now() + this.periodMs;
    this.timer = this.time.setTimeout(sample, this.periodMs, this);
    this.timer.unref?.();
  }

  /** Count the lateness of the sample now due (the sampler's own). */
  settle(): void {
    if (this.timer) this.stalled += Math.max(0, this.time.now() - this.due - this.toleranceMs);
  }
}

function sample(clock: StallClock): void {
  clock.settle();
  clock.schedule();
}

/** What the rule reads of a stall clock; a test may tell the stalls instead of measuring them. */
export type StallSource = Pick<StallClock, 'hold' | 'release' | 'stalledMs'>;

/** The main thread's stall clock, shared by every instance of the local cloud's runtime and the FnF emulator. */
export const mainThreadStalls = new StallClock();

/** The longest a timeout is stretched, as a multiple of itself: a stuck function or a callback that never comes still ends on a saturated machine. */
export const MAX_STRETCH = 10;

/**
 * When a timeout armed at `armedAt` for `due` fires, given the stalls measured since it was armed: `due` plus
 * those stalls, at most `MAX_STRETCH` times the span it was armed for in all. One armed when already due (a flow
 * execution resumed after its persisted deadline) fires at `due`, stalls or not.
 *
 * The deadline is absolute: a timer that runs late because the stall covered its due time is not owed that
 * lateness again — the sampler has already counted it (D111).
 */
export function stretchedDue(due: number, armedAt: number, stalledMs: number): number {
  const mostCredit = (MAX_STRETCH - 1) * Math.max(0, due - armedAt);
  return due + Math.min(Math.max(0, stalledMs), mostCredit);
}

/** Where a stall-aware timeout reads its time and stalls, and how often it looks at the clock. */
export interface StallTimeoutOptions {
  /** The clock `timeoutMs` counts on, and the timers (default: Node's). */
  time: TimeSource;
  /** The stalls not to count (default: the main thread's). */
  stalls: StallSource;
  /**
   * Look at `time.now()` at least this often (default: only when due). For a clock that can move without its
   * timers — the FnF emulator's, which tests move forward to run out callback timeouts.
   */
  maxSleepMs: number;
}

const MAIN_THREAD: StallTimeoutOptions = { time: processTime, stalls: mainThreadStalls, maxSleepMs: Infinity };

/**
 * A timeout that does not count the main thread's stalls: `onTimeout` runs once `timeoutMs` of time has passed
 * in which the main thread was not stalled (`stretchedDue`: at most `MAX_STRETCH × timeoutMs` in all), and one
 * turn of the event loop after its timer, so an answer that already reached this thread is read first (Node runs
 * expired timers before it polls for I/O — the trap D31 found in the BFF's deadline). `cancel()` stops it, also
 * in that last turn. A quiet machine times out exactly at `timeoutMs`.
 *
 * One is armed per invocation, on the path every request takes (D101): its timers call module functions with it
 * as their argument instead of closures made per call.
 */
export class StallAwareTimeout {
  readonly armedAt: number;
  readonly due: number;
  readonly stalledAtStart: number;
  timer: TimerRef | undefined;
  immediate: TimerRef | undefined;
  private done = false;

  constructor(
    timeoutMs: number,
    readonly onTimeout: () => void,
    readonly options: StallTimeoutOptions = MAIN_THREAD,
  ) {
    options.stalls.hold();
    this.stalledAtStart = options.stalls.stalledMs();
    this.armedAt = options.time.now();
    this.due = this.armedAt + timeoutMs;
    // Never synchronously, even when already due: callers arm it and go on with their turn.
    this.timer = options.time.setTimeout(checkTimeout, Math.max(0, Math.min(timeoutMs, options.maxSleepMs)), this);
  }

  /** When it fires if the main thread stalls no more. */
  dueNow(): number {
    return stretchedDue(this.due, this.armedAt, this.options.stalls.stalledMs() - this.stalledAtStart);
  }

  cancel(): void {
    if (this.timer) this.options.time.clearTimeout(this.timer);
    if (this.immediate) this.options.time.clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.finish();
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.options.stalls.release();
  }
}

/** The timer ran: wait on for the stalls since it was armed, or time out in the next turn. */
function checkTimeout(timeout: StallAwareTimeout): void {
  const { time, maxSleepMs } = timeout.options;
  const wait = timeout.dueNow() - time.now();
  // Within a millisecond is due: Node's timers count whole milliseconds, and may run a fraction early.
  if (wait >= 1) {
    timeout.timer = time.setTimeout(checkTimeout, Math.min(wait, maxSleepMs), timeout);
    return;
  }
  timeout.timer = undefined;
  timeout.immediate = time.setImmediate(fireTimeout, timeout);
}

function fireTimeout(timeout: StallAwareTimeout): void {
  timeout.immediate = undefined;
  timeout.finish();
  timeout.onTimeout();
}
