import { MAX_STRETCH, StallAwareTimeout, StallClock, stretchedDue, type StallTimeoutOptions } from '../../scripts/local/runtime/stall-clock';
import { ManualTime } from '../helpers/manual-time';

/**
 * The one stall rule (D65, D107, D111), used by every invocation's timeout and by a flow Task's `Timeout`: a
 * timeout counts the time in which the main thread could run, not its stalls, at most MAX_STRETCH times itself,
 * and fires one turn after its timer. Driven on a clock the test moves, where a stall is real: time passes,
 * nothing runs, and the timers that came due run late. The stalls are measured by a real StallClock on it (a
 * 50-ms sampler that tolerates 20 ms), so each stall is seen less up to 70 ms.
 */
const PERIOD = 50;
const TOLERANCE = 20;
/** The most of one stall the sampler does not see. */
const UNSEEN = PERIOD + TOLERANCE;

function world(maxSleepMs = Infinity) {
  const time = new ManualTime();
  const stalls = new StallClock(PERIOD, TOLERANCE, time);
  const options: StallTimeoutOptions = { time, stalls, maxSleepMs };
  /** Arm a timeout; `firedAt` is when it fired, `times` how often. */
  const arm = (timeoutMs: number, with_: Partial<StallTimeoutOptions> = {}) => {
    const seen = { firedAt: undefined as number | undefined, times: 0 };
    const timeout = new StallAwareTimeout(
      timeoutMs,
      () => {
        seen.firedAt = time.now();
        seen.times++;
      },
      { ...options, ...with_ },
    );
    return Object.assign(seen, { timeout });
  };
  return { time, stalls, arm };
}

describe('the stall rule (StallAwareTimeout on a StallClock)', () => {
  it('on a quiet machine fires at its time, once, and leaves nothing running', () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    time.advance(999);
    expect(timeout.times).toBe(0);
    time.advance(1);
    expect(timeout.firedAt).toBe(1000);
    time.advance(10_000);
    expect(timeout.times).toBe(1);
    // The sampler stopped with the last timeout that held it.
    expect(time.pendingCount()).toBe(0);
  });

  it('does not count a stall: it fires once it has had its time in which the thread could run', () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    time.advance(300);
    time.stall(500);
    time.advance(5_000);
    expect(timeout.firedAt).toBeGreaterThanOrEqual(1000 + 500 - UNSEEN);
    expect(timeout.firedAt).toBeLessThanOrEqual(1000 + 500);
  });

  it('counts a stall that covers its due time once: its own timer running late is not owed again (D111)', () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    time.advance(500);
    // Blocked from 500 to 2500: the timer due at 1000 runs at 2500, when 500 ms of its time are left.
    time.stall(2000);
    expect(timeout.times).toBe(0);
    time.advance(5_000);
    expect(timeout.firedAt).toBeGreaterThanOrEqual(1000 + 2000 - UNSEEN);
    expect(timeout.firedAt).toBeLessThanOrEqual(1000 + 2000);
  });

  it('adds up several stalls, before and across its due time', () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    time.advance(200);
    time.stall(300);
    time.advance(200);
    time.stall(400);
    time.advance(5_000);
    expect(timeout.firedAt).toBeGreaterThanOrEqual(1000 + 700 - 2 * UNSEEN);
    expect(timeout.firedAt).toBeLessThanOrEqual(1000 + 700);
  });

  it(`stretches at most to ${MAX_STRETCH} times itself however long the stalls (a stuck function still stops)`, () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    // Every 2 s, a 2-s stall: without the bound it would still owe ~1 s at 10 s, and ever after.
    while (timeout.times === 0 && time.now() < 1000 * MAX_STRETCH * 2) time.stall(2000);
    expect(timeout.firedAt).toBe(1000 * MAX_STRETCH);
  });

  it(`under back-to-back stalls still gives more than its time (each stall is seen less up to ${UNSEEN} ms)`, () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    // An event loop that runs each turn 200 ms late (D65 measured 150–250 ms under load).
    while (timeout.times === 0 && time.now() < 1000 * MAX_STRETCH * 2) time.stall(200);
    expect(timeout.firedAt).toBeGreaterThanOrEqual((1000 * 200) / UNSEEN);
  });

  it('fires one turn after its timer: an answer that arrived while the thread was stalled is read first', () => {
    const { time, arm } = world();
    // Past its stretch: the stall is longer than MAX_STRETCH × the timeout, so its timer finds it due.
    const answered = arm(100);
    time.deliver(() => answered.timeout.cancel());
    const unanswered = arm(100);
    time.stall(100 * MAX_STRETCH + 500);
    expect(answered.times).toBe(0);
    expect(unanswered.firedAt).toBe(100 * MAX_STRETCH + 500);
    time.advance(10_000);
    expect(answered.times).toBe(0);
    expect(time.pendingCount()).toBe(0);
  });

  it('never fires once cancelled, and stops holding the sampler', () => {
    const { time, arm } = world();
    const timeout = arm(1000);
    time.advance(500);
    timeout.timeout.cancel();
    timeout.timeout.cancel();
    time.advance(10_000);
    expect(timeout.times).toBe(0);
    expect(time.pendingCount()).toBe(0);
  });

  it('armed when already due (a flow execution resumed past its persisted deadline), fires in the next turn, stalls or not', () => {
    const { time, arm } = world();
    const timeout = arm(-5_000);
    expect(timeout.times).toBe(0);
    time.stall(3_000);
    expect(timeout.firedAt).toBe(3_000);
  });

  it('with maxSleepMs, sees a clock moved forward without its timers (the FnF emulator under test) within that time', () => {
    const { time, arm } = world();
    let moved = 0;
    const timeout = arm(30_000, { time: Object.assign(Object.create(time) as ManualTime, { now: () => time.now() + moved }), maxSleepMs: 1000 });
    moved = 30_000;
    time.advance(1000);
    expect(timeout.times).toBe(1);
  });
});

describe('stretchedDue (the deadline, also for timers re-armed after a restart)', () => {
  it('adds the stalls since the timer was armed', () => {
    expect(stretchedDue(31_000, 1_000, 0)).toBe(31_000);
    expect(stretchedDue(31_000, 1_000, 2_500)).toBe(33_500);
  });

  it(`stretches at most to ${MAX_STRETCH} times the span it was armed for (a callback that never comes still times out)`, () => {
    expect(stretchedDue(31_000, 1_000, 10_000_000)).toBe(1_000 + MAX_STRETCH * 30_000);
  });

  it('fires a timer re-armed after its persisted deadline at that deadline, stalls or not', () => {
    expect(stretchedDue(5_000, 9_000, 0)).toBe(5_000);
    expect(stretchedDue(5_000, 9_000, 3_000)).toBe(5_000);
  });

  it('gives a timer re-armed after a restart at most MAX_STRETCH times the time left, never more than the whole Timeout allowed', () => {
    // Armed at 0 for 30 s; the local cloud restarted at 20 s and re-armed it: 10 s left.
    const due = stretchedDue(30_000, 20_000, 10_000_000);
    expect(due).toBe(20_000 + MAX_STRETCH * 10_000);
    expect(due).toBeLessThanOrEqual(MAX_STRETCH * 30_000);
  });
});
