import type { Scheduler, TimerHandle, TimerPurpose } from '../../flow-engine/model';
import { mainThreadStalls, MAX_STRETCH, type StallClock } from '../../runtime/stall-clock';

/** What the scheduler reads of the main thread's stall clock (D65); tests pass their own. */
export type StallSource = Pick<StallClock, 'hold' | 'release' | 'stalledMs'>;

/**
 * When a task timeout armed at `armedAt` for `at` fires, given the main thread's stalls since it was armed
 * (D107, D65's rule): the time it was stalled is added, up to `MAX_STRETCH` times the span it was armed for
 * in all, so a callback that never comes still times out on a saturated machine. A timeout armed when already
 * due (an execution resumed after its deadline passed) fires at `at`, as before.
 */
export function stretchedDue(at: number, armedAt: number, stalledMs: number): number {
  const mostCredit = (MAX_STRETCH - 1) * Math.max(0, at - armedAt);
  return at + Math.min(Math.max(0, stalledMs), mostCredit);
}

/**
 * Timers on real time, read through an injectable clock: a timer re-checks the clock at least every
 * `maxSleepMs`, so a test that moves the clock forward sees due timers fire within that interval.
 *
 * A Task's `Timeout` gives time to work done inside the local cloud — the task's function, and whoever calls
 * ReportTaskSucceeded (a payment provider's webhook reaches the gateway, a function, this emulator). On
 * CloudFlow those run elsewhere and answer however busy the region is; locally they all wait for this
 * process's main thread. So a `task-timeout` does not count the time that thread was stalled, and fires one
 * turn of the event loop late, so a callback that reached this thread during a stall is read first (Node runs
 * expired timers before it polls for I/O). `Wait` states and the flow's `Timeout` stay on the wall clock: a
 * user's `Seconds: 60` means a minute.
 *
 * Persisted deadlines: an execution keeps its task's nominal deadline (`timeoutAt`, start + Timeout) in its
 * document; the stall credit is this process's own measurement and is not stored. A timer re-armed after a
 * restart credits only the stalls since, bounded by `MAX_STRETCH` times the time left then — never more than
 * `MAX_STRETCH` times the whole Timeout after the task started — and one already due fires at once.
 */
export class RealtimeScheduler implements Scheduler {
  constructor(
    private readonly clock: () => number,
    private readonly maxSleepMs = 1000,
    private readonly stalls: StallSource = mainThreadStalls,
  ) {}

  schedule(at: number, fn: () => void, purpose: TimerPurpose = 'wake'): TimerHandle {
    const stretched = purpose === 'task-timeout';
    const armedAt = this.clock();
    let stalledAtArm = 0;
    if (stretched) {
      this.stalls.hold();
      stalledAtArm = this.stalls.stalledMs();
    }
    let timer: NodeJS.Timeout | undefined;
    let immediate: NodeJS.Immediate | undefined;
    let settled = false;
    const settle = () => {
      if (settled) return;
      settled = true;
      if (stretched) this.stalls.release();
    };
    const dueAt = () => (stretched ? stretchedDue(at, armedAt, this.stalls.stalledMs() - stalledAtArm) : at);
    const check = () => {
      if (settled) return;
      const wait = dueAt() - this.clock();
      if (wait > 0) {
        timer = setTimeout(check, Math.min(wait, this.maxSleepMs));
        return;
      }
      settle();
      if (!stretched) return fn();
      timer = undefined;
      immediate = setImmediate(fn);
    };
    // Never synchronously: the engine arms timers right after a step.
    timer = setTimeout(check, Math.max(0, Math.min(at - armedAt, this.maxSleepMs)));
    return {
      cancel: () => {
        settle();
        if (timer) clearTimeout(timer);
        if (immediate) clearImmediate(immediate);
      },
    };
  }
}
