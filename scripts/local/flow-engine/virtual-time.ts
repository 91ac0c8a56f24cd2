import type { Clock, Scheduler, TimerHandle } from './model';

/**
 * Time that moves only when told to: a Clock and a Scheduler in one. Tests advance it instead of
 * sleeping, so a flow with a 300 s Wait or a 10-minute callback timeout runs in milliseconds.
 */
export class VirtualClock implements Clock, Scheduler {
  private timers: { at: number; seq: number; fn: () => void }[] = [];
  private seq = 0;

  constructor(private time = Date.UTC(2026, 10, 25, 12, 0, 0)) {}

  now(): number {
    return this.time;
  }

  schedule(at: number, fn: () => void): TimerHandle {
    const timer = { at, seq: this.seq++, fn };
    this.timers.push(timer);
    return { cancel: () => (this.timers = this.timers.filter((t) => t !== timer)) };
  }

  /** When the earliest pending timer is due, if any. */
  nextAt(): number | undefined {
    return this.timers.reduce<number | undefined>((min, t) => (min === undefined || t.at < min ? t.at : min), undefined);
  }

  /** Move to the earliest timer's time (never backwards) and run it. */
  runNext(): boolean {
    const next = [...this.timers].sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
    if (!next) return false;
    this.timers = this.timers.filter((t) => t !== next);
    this.time = Math.max(this.time, next.at);
    next.fn();
    return true;
  }

  /** Jump to `time` without running timers (callers run the due ones with runNext). */
  set(time: number): void {
    this.time = Math.max(this.time, time);
  }

  get pending(): number {
    return this.timers.length;
  }
}
