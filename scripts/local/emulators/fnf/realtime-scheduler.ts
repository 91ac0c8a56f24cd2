import type { Scheduler, TimerHandle, TimerPurpose } from '../../flow-engine/model';
import { mainThreadStalls, processTime, StallAwareTimeout, type StallSource, type StallTimeoutOptions } from '../../runtime/stall-clock';

/**
 * Timers on real time, read through an injectable clock: a timer re-checks the clock at least every
 * `maxSleepMs`, so a test that moves the clock forward sees due timers fire within that interval.
 *
 * A Task's `Timeout` (`task-timeout`) gives time to work done inside the local cloud — the task's function, and
 * whoever calls ReportTaskSucceeded (a payment provider's webhook reaches the gateway, a function, this emulator).
 * On CloudFlow those run elsewhere and answer however busy the region is; locally they all wait for this
 * process's main thread. So it is a `StallAwareTimeout` (D65's rule, D107, one implementation since D111): it
 * does not count the main thread's stalls, at most `MAX_STRETCH` times its span, and fires one turn late.
 * `Wait` states and the flow's `Timeout` stay on the wall clock: a user's `Seconds: 60` means a minute.
 *
 * Persisted deadlines: an execution keeps its task's nominal deadline (`timeoutAt`, start + Timeout) in its
 * document; the stall credit is this process's own measurement and is not stored. A timer re-armed after a
 * restart credits only the stalls since, bounded by `MAX_STRETCH` times the time left then — never more than
 * `MAX_STRETCH` times the whole Timeout after the task started — and one already due fires at once.
 */
export class RealtimeScheduler implements Scheduler {
  private readonly taskTimeouts: StallTimeoutOptions;

  constructor(
    private readonly clock: () => number,
    private readonly maxSleepMs = 1000,
    stalls: StallSource = mainThreadStalls,
  ) {
    this.taskTimeouts = { time: { ...processTime, now: clock }, stalls, maxSleepMs };
  }

  schedule(at: number, fn: () => void, purpose: TimerPurpose = 'wake'): TimerHandle {
    if (purpose === 'task-timeout') return new StallAwareTimeout(at - this.clock(), fn, this.taskTimeouts);
    return this.onWallClock(at, fn);
  }

  private onWallClock(at: number, fn: () => void): TimerHandle {
    let timer: NodeJS.Timeout | undefined;
    const check = () => {
      const wait = at - this.clock();
      if (wait > 0) timer = setTimeout(check, Math.min(wait, this.maxSleepMs));
      else fn();
    };
    // Never synchronously: the engine arms timers right after a step.
    timer = setTimeout(check, Math.max(0, Math.min(at - this.clock(), this.maxSleepMs)));
    return { cancel: () => clearTimeout(timer) };
  }
}
