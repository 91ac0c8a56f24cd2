import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import { encodeTableStreamEvent, type TableChangeRecord } from '../../../functions/_shared/contracts/table-stream';
import { getFlag, setFlag, type ControlDb } from '../control-db';
import type { FunctionSpec, TablestoreTriggerSpec } from '../spec/model';
import type { FunctionRuntime } from './runtime';

/**
 * FC `tablestore` triggers on the local TableStore (the SQLite table adapter's change log).
 *
 * Semantics kept from FC (https://www.alibabacloud.com/help/en/functioncompute/fc/tablestore-triggers):
 * - each trigger reads the table's stream in order and invokes its function with a CBOR `Sync-v1` event
 *   holding a batch of records;
 * - a failed invocation is retried with the same batch (backoff doubling to 30 s) until it succeeds — the
 *   stream does not move past a failing record, like FC retrying until the stream data expires;
 * - delivery is at-least-once: a crash between the invocation and the saved cursor delivers the batch again.
 * Not kept: FC's per-partition parallelism (one ordered reader per trigger here) and stream expiry (local
 * change records are kept until every trigger on the table has read them).
 */
export interface ChangeLog {
  readChanges(afterSeq: number, limit?: number): TableChangeRecord[];
  trimChanges(uptoSeq: number): void;
}

interface Reader {
  fn: FunctionSpec;
  trigger: TablestoreTriggerSpec;
  cursorKey: string;
  cursor: number;
  retryAt: number;
  failures: number;
}

const BATCH = 100;
const MAX_BACKOFF_MS = 30000;

export class TableStreamTriggers {
  private readonly readers: Reader[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private closed = false;
  private woken = false;

  constructor(
    functions: FunctionSpec[],
    private readonly log: ChangeLog,
    private readonly runtime: FunctionRuntime,
    private readonly db: ControlDb,
    private readonly options: { pollMs?: number; retryBaseMs?: number } = {},
  ) {
    for (const fn of functions) {
      for (const trigger of fn.triggers) {
        if (trigger.type !== 'tablestore') continue;
        const cursorKey = `tablestore-trigger:${fn.name}:${trigger.name}`;
        this.readers.push({ fn, trigger, cursorKey, cursor: Number(getFlag(db, cursorKey) ?? 0), retryAt: 0, failures: 0 });
      }
    }
  }

  start(): void {
    this.tick();
  }

  private readonly tick = (): void => {
    if (this.closed) return;
    this.woken = false;
    this.running = this.pump().finally(() => {
      this.running = undefined;
      if (this.closed) return;
      // A write seen while this pass ran may have come after its last read: look again at once.
      this.timer = setTimeout(this.tick, this.woken ? 0 : (this.options.pollMs ?? 50));
      this.timer.unref();
    });
  };

  /**
   * Something was written to the tables (the local cloud watches the database's write-ahead log): read the
   * stream now instead of at the next poll, so a row reaches its trigger in a few milliseconds (issue 12
   * part 4: the poll alone added ~25–50 ms to every hop through a stream). Polling stays as the fallback.
   */
  wake(): void {
    if (this.closed) return;
    if (this.running) {
      this.woken = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.tick();
  }

  /** Delivers what is due once; exported for tests that drive the stream by hand. */
  async pump(): Promise<void> {
    await Promise.all(this.readers.map((reader) => this.deliver(reader)));
    this.trim();
  }

  private async deliver(reader: Reader): Promise<void> {
    if (Date.now() < reader.retryAt) return;
    for (;;) {
      const changes = this.log.readChanges(reader.cursor, BATCH);
      if (changes.length === 0) return;
      const mine = changes.filter((c) => c.table === reader.trigger.table);
      const last = changes[changes.length - 1]!.seq;
      if (mine.length > 0) {
        const record = await this.runtime.invoke(reader.fn.name, encodeTableStreamEvent(mine), { source: `tablestore:${reader.trigger.name}`, retryCount: reader.failures });
        if (record.status !== 'succeeded') {
          reader.failures++;
          reader.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, (this.options.retryBaseMs ?? 500) * 2 ** (reader.failures - 1));
          return;
        }
      }
      reader.failures = 0;
      reader.cursor = last;
      setFlag(this.db, reader.cursorKey, String(last));
      if (this.closed) return;
    }
  }

  /** Records every trigger has passed are deleted; with no triggers nothing reads the log, so all of it goes. */
  private trim(): void {
    const upto = this.readers.length === 0 ? Number.MAX_SAFE_INTEGER : Math.min(...this.readers.map((r) => r.cursor));
    if (upto > 0) this.log.trimChanges(upto);
  }

  /** For the console: where each trigger is and whether it is backing off. */
  status(): { function: string; trigger: string; table: string; cursor: number; failures: number }[] {
    return this.readers.map((r) => ({ function: r.fn.name, trigger: r.trigger.name, table: r.trigger.table, cursor: r.cursor, failures: r.failures }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}

/**
 * Wakes the stream triggers whenever the tables' SQLite database is written. Functions write from their own
 * threads through the SQLite adapter, so the write-ahead log is where every write shows first; its folder is
 * watched (not the file), so a log the database recreates is still seen. Returns the way to stop watching.
 */
export function wakeOnTableWrites(triggers: TableStreamTriggers, databaseFile: string): () => void {
  const wal = `${basename(databaseFile)}-wal`;
  try {
    const watcher = watch(dirname(databaseFile), { persistent: false }, (_event, file) => {
      if (file === wal) triggers.wake();
    });
    // A watch that fails later (the folder removed) leaves the poll, as if it had never started.
    watcher.on('error', () => watcher.close());
    return () => watcher.close();
  } catch {
    return () => undefined;
  }
}
