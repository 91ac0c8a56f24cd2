import { availableParallelism } from 'node:os';

/** A share measured over less than this is mostly noise: the last one stands until then. */
const MIN_WINDOW_MS = 100;
/** A window longer than this would average a burst that just began with the quiet before it. */
const MAX_WINDOW_MS = 1000;

/**
 * Do the CPUs have room for one more instance? (D40.) Parked instances (waiting on I/O) do not count
 * against the CPU-based caps, but starting another instance is only worth it while the machine is not busy:
 * in a burst, a BFF waits on its services, which compute — more BFF instances would only add cold starts.
 * The measure is the CPU time of this whole process (every instance thread, the gateway, the emulators)
 * over the last moment, as a share of the machine's CPUs.
 */
export class CpuRoom {
  private last: { at: number; usedUs: number };
  private share = 1;

  constructor(
    /** Below this share of all CPUs used by the process, there is room. */
    private readonly maxShare = 0.5,
    private readonly cpus: number = availableParallelism(),
    private readonly now: () => number = Date.now,
    private readonly cpuUsedUs: () => number = processCpuUs,
  ) {
    this.last = { at: now(), usedUs: cpuUsedUs() };
  }

  /** Measured at most once per 100 ms; after a long quiet, the first call says no and starts a fresh window. */
  hasRoom(): boolean {
    const at = this.now();
    const elapsed = at - this.last.at;
    if (elapsed >= MIN_WINDOW_MS) {
      const usedUs = this.cpuUsedUs();
      this.share = elapsed > MAX_WINDOW_MS ? 1 : (usedUs - this.last.usedUs) / 1000 / elapsed / Math.max(1, this.cpus);
      this.last = { at, usedUs };
    }
    return this.share < this.maxShare;
  }
}

function processCpuUs(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}
