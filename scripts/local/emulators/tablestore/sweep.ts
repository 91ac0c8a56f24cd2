/**
 * Removing what expired from storage: rows whose cells all outlived the table's TTL, and stream records older
 * than the stream's expiration time. Reads already hide both, so this only reclaims space — TableStore, too,
 * deletes expired data in the background.
 *
 * The sweep walks a table in key order a chunk at a time (`SWEEP_CHUNK_ROWS`, each chunk its own transaction),
 * and the timer runs one chunk per turn of the event loop: a table of a million telemetry rows would otherwise
 * hold the local cloud's main thread — the gateway and every emulator — for seconds each minute. A row is judged
 * from its stored JSON alone (`storedRowOldest`), without decoding its key or values.
 *
 * A table is walked only when something in it can have expired (D86): storage keeps a bound on the oldest cell
 * timestamp and write time of the rows each table holds (lowered by every write, set by each whole walk), and a
 * table whose bound is younger than its TTL is skipped — a table that only grows, like `telemetry` during an
 * ingest run, is then not read at all until its first rows can expire. The bound is kept in memory: the first
 * sweep after a start walks every table with a TTL that was there when the storage opened; a table created since
 * starts with a known bound (it held nothing), so it is not walked at all until its oldest write can expire (D153).
 */
import type { Storage } from './storage';
import { storedRowOldest, ttlMs } from './table';

/** Rows looked at per transaction (a few milliseconds of work). */
export const SWEEP_CHUNK_ROWS = 2000;

/** The sweep's steps: one chunk of one table, or the trimming of one stream, per step. */
export function* sweepSteps(storage: Storage, instances: readonly string[], now: number): Generator<void> {
  const streams: string[] = [];
  for (const instance of instances) {
    for (const table of storage.tables(instance)) {
      const ttl = ttlMs(table.meta);
      const oldest = storage.oldestWrite(table);
      // Nothing the table holds is older than `oldest`: if that has not expired, no row has (D86).
      if (ttl !== undefined && !(oldest !== undefined && oldest + ttl > now)) {
        storage.oldestWalk.begin(table);
        let walked = false;
        try {
          let after: Buffer | undefined;
          for (;;) {
            const chunk = storage.transaction(() => storage.sweepChunk(table, after, SWEEP_CHUNK_ROWS, (columns, writtenAt) => storedRowOldest(table.meta, columns, writtenAt, now)));
            yield;
            if (!chunk.lastKey) break;
            after = chunk.lastKey;
          }
          walked = true;
        } finally {
          // A walk cut short (a failed chunk, the sweeper stopped) saw only part of the table.
          if (!walked) storage.oldestWalk.forget(table);
        }
      }
      const stream = table.meta.stream;
      if (stream) {
        streams.push(stream.streamId);
        storage.transaction(() => storage.trimStream(stream.streamId, now - stream.expirationHours * 3_600_000));
        yield;
      }
    }
  }
  storage.transaction(() => storage.dropStreamsExcept(streams));
}

/** The whole sweep at once (tests, and `emulator.sweep()`). */
export function sweepNow(storage: Storage, instances: readonly string[], now: number): void {
  for (const step of sweepSteps(storage, instances, now)) void step;
}

/**
 * Runs sweeps in the background, one step per `setImmediate`, so requests are served between steps. A sweep
 * that is still running when the next one is due is left to finish (the next starts after it).
 */
export class BackgroundSweeper {
  private running: Generator<void> | undefined;
  private pending: NodeJS.Immediate | undefined;
  private stopped = false;

  constructor(private readonly start: () => Generator<void>) {}

  /** Starts a sweep unless one is running. */
  kick(): void {
    if (this.stopped || this.running) return;
    this.running = this.start();
    this.step();
  }

  private step(): void {
    this.pending = undefined;
    if (this.stopped || !this.running) return;
    let done: boolean;
    try {
      done = this.running.next().done === true;
    } catch (err) {
      // A failed chunk rolled back; the next sweep tries again. Said where a person sees it.
      process.emitWarning(`TableStore emulator: sweeping expired data failed: ${(err as Error).message}`);
      done = true;
    }
    if (done) this.running = undefined;
    else this.pending = setImmediate(() => this.step());
  }

  stop(): void {
    this.stopped = true;
    if (this.pending) clearImmediate(this.pending);
    this.running = undefined;
  }
}
