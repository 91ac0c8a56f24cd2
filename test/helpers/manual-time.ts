import type { TimeSource, TimerRef } from '../../scripts/local/runtime/stall-clock';

interface Pending {
  at: number;
  order: number;
  callback: (arg: never) => void;
  arg: unknown;
  cancelled: boolean;
  /** A test's timers keep nothing alive: there is nothing to unref. */
  unref?(): void;
}

/**
 * Time and timers that a test drives, with Node's event-loop order: each turn runs the timers that are due (in
 * the order they came due), then the I/O that is ready (`deliver`), then the immediates queued before it. Unlike
 * jest's fake timers it can stall: time passes and nothing runs, then the timers that came due meanwhile run
 * late, as after a blocked main thread.
 */
export class ManualTime implements TimeSource {
  private t = 0;
  private order = 0;
  private timers: Pending[] = [];
  private immediates: Pending[] = [];
  private io: (() => void)[] = [];

  now(): number {
    return this.t;
  }

  setTimeout<A>(callback: (arg: A) => void, ms: number, arg: A): TimerRef {
    // Node runs a timer no sooner than 1 ms, and never in the turn that armed it.
    return this.push(this.timers, this.t + Math.max(1, ms), callback, arg);
  }

  clearTimeout(timer: TimerRef): void {
    (timer as Pending).cancelled = true;
  }

  setImmediate<A>(callback: (arg: A) => void, arg: A): TimerRef {
    return this.push(this.immediates, this.t, callback, arg);
  }

  clearImmediate(immediate: TimerRef): void {
    (immediate as Pending).cancelled = true;
  }

  /** I/O that has arrived (an answer on a socket): it runs in the next turn's poll, after that turn's timers. */
  deliver(callback: () => void): void {
    this.io.push(callback);
  }

  /** `ms` pass with the thread free: every timer runs at its time. */
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      this.turn();
      if (this.immediates.length || this.io.length) continue;
      const next = this.nextTimerAt();
      if (next === undefined || next > end) break;
      this.t = next;
    }
    this.t = end;
  }

  /** The thread is blocked for `ms`: nothing runs; then one turn, in which the timers that came due run late. */
  stall(ms: number): void {
    this.t += ms;
    this.turn();
  }

  /** Timers and immediates still pending (cancelled ones are not). */
  pendingCount(): number {
    return [...this.timers, ...this.immediates].filter((p) => !p.cancelled).length;
  }

  private push<A>(queue: Pending[], at: number, callback: (arg: A) => void, arg: A): Pending {
    const pending: Pending = { at, order: this.order++, callback: callback as (arg: never) => void, arg, cancelled: false };
    queue.push(pending);
    return pending;
  }

  private nextTimerAt(): number | undefined {
    const live = this.timers.filter((p) => !p.cancelled);
    return live.length ? Math.min(...live.map((p) => p.at)) : undefined;
  }

  /** One event-loop turn: the due timers (not those they arm), the ready I/O, then the queued immediates. */
  private turn(): void {
    const due = this.timers.filter((p) => p.at <= this.t).sort((a, b) => a.at - b.at || a.order - b.order);
    this.timers = this.timers.filter((p) => p.at > this.t);
    for (const p of due) if (!p.cancelled) p.callback(p.arg as never);
    for (const callback of this.io.splice(0)) callback();
    const immediates = this.immediates.splice(0);
    for (const p of immediates) if (!p.cancelled) p.callback(p.arg as never);
  }
}
