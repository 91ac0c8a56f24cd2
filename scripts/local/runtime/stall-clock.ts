/**
 * How long the local cloud's main thread has been unable to run what was ready (D65).
 *
 * On FC a function's timeout counts its own time: the gateway, TableStore, OSS, MNS and the other functions
 * run on a region's machines and answer in milliseconds however busy the region is. Locally all of them run
 * on this process's main thread, on a machine shared with everything else. When that thread falls behind —
 * a burst keeps it busy, or other processes take the CPUs — every call a function makes to an emulator, and
 * the delivery of its answer, waits for it, and a fixed wall-clock timeout turns "the laptop is busy" into a
 * `FunctionTimeout` (a 100-order checkout at load average ~20 saw product services time out after their 5 s
 * while their own work took milliseconds; the checkout then answered 503). FC never gives that error.
 *
 * The measure: a timer that should fire every `periodMs` and notes how late it ran. Lateness beyond
 * `toleranceMs` is time the main thread was stalled. It runs only while someone holds it (an invocation in
 * flight), and never keeps the process alive.
 */
export class StallClock {
  private stalled = 0;
  private holders = 0;
  private timer: NodeJS.Timeout | undefined;
  private due = 0;

  constructor(
    private readonly periodMs = 50,
    private readonly toleranceMs = 20,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Start measuring (if not already) until the matching `release`. */
  hold(): void {
    if (this.holders++ === 0) this.schedule();
  }

  release(): void {
    if (--this.holders > 0) return;
    this.holders = 0;
    this.settle();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Milliseconds stalled since measuring began, including a stall going on now (the timer that would have
   * noticed it may be waiting behind the very callback asking).
   */
  stalledMs(): number {
    if (!this.timer) return this.stalled;
    return this.stalled + Math.max(0, this.now() - this.due - this.toleranceMs);
  }

  private schedule(): void {
    this.due = this.now() + this.periodMs;
    this.timer = setTimeout(() => {
      this.settle();
      this.schedule();
    }, this.periodMs);
    this.timer.unref();
  }

  private settle(): void {
    if (this.timer) this.stalled += Math.max(0, this.now() - this.due - this.toleranceMs);
  }
}

/** The main thread's stall clock, shared by every instance of the local cloud's runtime. */
export const mainThreadStalls = new StallClock();

/** The longest a timeout is stretched, as a multiple of itself: a stuck function still stops on a saturated machine. */
export const MAX_STRETCH = 10;

/**
 * A timeout that does not count the main thread's stalls (see StallClock): `onTimeout` runs once `timeoutMs`
 * of time has passed that the main thread was not stalled (at most `MAX_STRETCH × timeoutMs` in all), and
 * one turn of the event loop later, so an answer that already reached this thread is read first (Node runs
 * expired timers before it polls for I/O); `cancel()` stops it. One is armed per invocation, on the path every
 * request takes (D101), so its timers call module functions with it as their argument instead of closures made
 * per call.
 */
export class StallAwareTimeout {
  readonly stalledAtStart: number;
  readonly latest: number;
  credited = 0;
  timer: NodeJS.Timeout | undefined;
  immediate: NodeJS.Immediate | undefined;
  private done = false;

  constructor(
    timeoutMs: number,
    readonly onTimeout: () => void,
    readonly clock: StallClock = mainThreadStalls,
  ) {
    clock.hold();
    this.stalledAtStart = clock.stalledMs();
    this.latest = Date.now() + timeoutMs * MAX_STRETCH;
    this.timer = setTimeout(checkTimeout, timeoutMs, this);
  }

  cancel(): void {
    if (this.timer) clearTimeout(this.timer);
    if (this.immediate) clearImmediate(this.immediate);
    this.timer = undefined;
    this.immediate = undefined;
    this.finish();
  }

  finish(): void {
    if (this.done) return;
    this.done = true;
    this.clock.release();
  }
}

/** The timer ran: wait longer by the stalls not yet credited, or time out in the next turn. */
function checkTimeout(timeout: StallAwareTimeout): void {
  const stalled = timeout.clock.stalledMs() - timeout.stalledAtStart;
  const owed = Math.min(stalled - timeout.credited, timeout.latest - Date.now());
  if (owed >= 1) {
    timeout.credited += owed;
    timeout.timer = setTimeout(checkTimeout, owed, timeout);
    return;
  }
  timeout.timer = undefined;
  timeout.immediate = setImmediate(fireTimeout, timeout);
}

function fireTimeout(timeout: StallAwareTimeout): void {
  timeout.immediate = undefined;
  timeout.finish();
  timeout.onTimeout();
}
