import { availableParallelism } from 'node:os';

/** While the gate holds background work back, how often it looks again whether interactive work still waits. */
const RECHECK_MS = 250;

/**
 * How many background invocations run at once while interactive work is under way (D143): one per CPU. A niced
 * thread yields its CPU, but not what its invocation asks of the threads every invocation shares — the main
 * thread (gateway, OSS, MNS, FnF, FC API) and the TableStore thread serve requests in arrival order, so four ETL
 * batches writing 100 rows each sit in front of a page's reads. Bounding them bounds that too. Never zero: a
 * backlog always drains, only slower while pages are being served.
 */
export function defaultBackgroundSlots(cpus: number = availableParallelism()): number {
  return Math.max(1, Math.floor(cpus));
}

/** `LOCAL_BACKGROUND_SLOTS` (0: no bound), else one per CPU; anything else is refused by name. */
export function backgroundSlots(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_BACKGROUND_SLOTS;
  if (raw === undefined || raw === '') return defaultBackgroundSlots();
  const slots = Number(raw);
  if (!Number.isInteger(slots) || slots < 0) throw new Error(`LOCAL_BACKGROUND_SLOTS must be a whole number ≥ 0 (0: no bound), got ${raw}`);
  return slots;
}

/**
 * Admission of background invocations (D143): any number run while nothing interactive is under way; while
 * something is (`interactiveUnderWay`: a request someone waits on is running and not parked, or waits in a line),
 * at most `slots`. Those held back wait in arrival order, before any function's line — the time does not count
 * toward their timeout, as a line's wait does not — and go as soon as a background invocation ends or the
 * interactive work is over (looked at again every 250 ms while any wait, since that ends without telling).
 */
export class BackgroundGate {
  private running = 0;
  private readonly held: (() => void)[] = [];
  private recheck: NodeJS.Timeout | undefined;

  constructor(
    private readonly slots: number,
    private readonly interactiveUnderWay: () => boolean,
  ) {}

  /** Background invocations held back now. */
  get waiting(): number {
    return this.held.length;
  }

  /** Resolves when the background invocation may run; call `leave` once it has ended. */
  enter(): Promise<void> | undefined {
    if (this.held.length === 0 && this.mayRun()) {
      this.running++;
      return undefined;
    }
    return new Promise((resolve) => {
      this.held.push(resolve);
      this.lookAgainLater();
    });
  }

  leave(): void {
    this.running--;
    this.admit();
  }

  /** Something interactive ended: the held may go now (cheap when nothing is held: on every request's path). */
  interactiveEnded(): void {
    if (this.held.length > 0) this.admit();
  }

  private mayRun(): boolean {
    return this.slots === 0 || this.running < this.slots || !this.interactiveUnderWay();
  }

  private admit(): void {
    while (this.held.length > 0 && this.mayRun()) {
      this.running++;
      this.held.shift()!();
    }
    if (this.held.length > 0) this.lookAgainLater();
  }

  private lookAgainLater(): void {
    this.recheck ??= setTimeout(() => {
      this.recheck = undefined;
      this.admit();
    }, RECHECK_MS).unref();
  }

  /** Let everything held go (the runtime is closing: their pools answer ShuttingDown). */
  close(): void {
    if (this.recheck) clearTimeout(this.recheck);
    this.recheck = undefined;
    for (const resolve of this.held.splice(0)) {
      this.running++;
      resolve();
    }
  }
}
