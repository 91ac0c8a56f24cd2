/** Clock and id ports: injected so cores are deterministic under test. */
export interface Clock {
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

/** A clock tests move by hand. */
export class ManualClock implements Clock {
  constructor(private time = Date.UTC(2026, 10, 25, 12, 0, 0)) {}
  now(): number {
    return this.time;
  }
  advance(ms: number): void {
    this.time += ms;
  }
}

/** Waiting, injected so cores that poll or back off run on a test's clock instead of sleeping. */
export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** A Sleep for unit tests: advances the ManualClock instead of waiting. */
export function manualSleep(clock: ManualClock): Sleep {
  return async (ms) => {
    clock.advance(ms);
    await Promise.resolve();
  };
}
