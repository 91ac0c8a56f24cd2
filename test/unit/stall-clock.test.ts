import { MAX_STRETCH, StallAwareTimeout, StallClock } from '../../scripts/local/runtime/stall-clock';

/**
 * An invocation's timeout counts the function's time, not the main thread's stalls (D65); one is armed per
 * invocation (D101). Fake timers move Date.now and the timers; the stall clock reads the same fake time.
 */
describe('StallAwareTimeout', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  const clockOnFakeTime = () => new StallClock(50, 20, () => Date.now());

  it('fires once its time has passed, one turn after the timer (an answer already here is read first)', () => {
    const clock = clockOnFakeTime();
    const fired = jest.fn();
    new StallAwareTimeout(1000, fired, clock);
    jest.advanceTimersByTime(999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    // The timer ran; the timeout itself waits for the next turn (setImmediate).
    expect(fired).not.toHaveBeenCalled();
    jest.runOnlyPendingTimers();
    expect(fired).toHaveBeenCalledTimes(1);
    jest.advanceTimersByTime(10_000);
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('never fires once cancelled, even in the turn between its timer and the timeout, and stops measuring stalls', () => {
    const clock = clockOnFakeTime();
    const fired = jest.fn();
    const timeout = new StallAwareTimeout(1000, fired, clock);
    jest.advanceTimersByTime(1000);
    timeout.cancel();
    jest.runAllTimers();
    expect(fired).not.toHaveBeenCalled();
    // Nothing holds the clock any more: no timer of its own is left running.
    expect(jest.getTimerCount()).toBe(0);
    const early = jest.fn();
    new StallAwareTimeout(1000, early, clock).cancel();
    jest.runAllTimers();
    expect(early).not.toHaveBeenCalled();
  });

  it('does not count the time the main thread was stalled', () => {
    const clock = clockOnFakeTime();
    const fired = jest.fn();
    new StallAwareTimeout(1000, fired, clock);
    jest.advanceTimersByTime(300);
    // The thread is stuck for 500 ms: the clock's own timer runs 500 ms late (480 beyond its tolerance).
    jest.setSystemTime(Date.now() + 500);
    jest.advanceTimersByTime(0);
    jest.advanceTimersByTime(700 - 500);
    jest.runOnlyPendingTimers();
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(480);
    jest.runOnlyPendingTimers();
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it(`stretches a timeout to at most ${MAX_STRETCH} times itself however long the stalls`, () => {
    let stalled = 0;
    const clock = { hold: () => undefined, release: () => undefined, stalledMs: () => stalled } as unknown as StallClock;
    const fired = jest.fn();
    const start = Date.now();
    new StallAwareTimeout(100, fired, clock);
    // Every check finds another long stall.
    while (!fired.mock.calls.length && Date.now() - start < 100 * MAX_STRETCH * 2) {
      stalled += 1000;
      jest.advanceTimersByTime(10);
    }
    expect(fired).toHaveBeenCalledTimes(1);
    expect(Date.now() - start).toBeLessThanOrEqual(100 * MAX_STRETCH + 10);
    expect(Date.now() - start).toBeGreaterThanOrEqual(100 * MAX_STRETCH);
  });
});
