/**
 * How the local cloud paces restarts of the TableStore emulator's thread after it died (D95). A death after a
 * quiet spell is restarted at once; deaths that follow each other quickly wait longer each time; and after
 * `maxQuickDeaths` deaths within `windowMs` the local cloud gives up, because a thread that dies as soon as it
 * starts (a bug hit by a request every client retries, a broken data file) would otherwise spin a core and
 * flood the terminal for nothing.
 */
export interface RestartPolicy {
  /** Deaths within `windowMs` after which the thread is not started again. */
  maxQuickDeaths: number;
  windowMs: number;
  /** The pause before the second quick restart; it doubles with each one after. */
  pauseBaseMs: number;
}

export const DEFAULT_RESTART_POLICY: RestartPolicy = { maxQuickDeaths: 5, windowMs: 60_000, pauseBaseMs: 250 };

export class RestartBudget {
  private deaths: number[] = [];

  constructor(private readonly policy: RestartPolicy) {}

  /** Records a death at `now`: how long to wait before starting the thread again, or undefined to give up. */
  afterDeath(now: number): number | undefined {
    this.deaths = this.deaths.filter((at) => now - at < this.policy.windowMs);
    this.deaths.push(now);
    const quick = this.deaths.length;
    if (quick >= this.policy.maxQuickDeaths) return undefined;
    return quick === 1 ? 0 : this.policy.pauseBaseMs * 2 ** (quick - 2);
  }

  /** Deaths counted within the window, the last one included. */
  get quickDeaths(): number {
    return this.deaths.length;
  }
}
