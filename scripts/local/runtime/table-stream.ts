import { encodeTableStreamEvent, type TableChangeColumn, type TableChangeRecord } from '../../../functions/_shared/contracts/table-stream';
import type { AttrValue } from '../../../functions/_shared/ports/table';
import { getFlag, setFlag, type ControlDb } from '../control-db';
import { crashPoint } from '../crash-point';
import type { StreamClient, StreamRecord } from '../emulators/tablestore/stream-client';
import type { CellValue } from '../emulators/tablestore/values';
import type { OnBehalfAccess } from '../ram/on-behalf';
import type { FunctionSpec, TablestoreTriggerSpec } from '../spec/model';
import type { FunctionRuntime } from './runtime';

/**
 * FC `tablestore` triggers, reading the local TableStore's stream through its Stream API (ListStream,
 * DescribeStream, GetShardIterator, GetStreamRecord) — the same API a user's own stream reader calls.
 *
 * Semantics kept from FC (https://www.alibabacloud.com/help/en/functioncompute/fc/tablestore-triggers):
 * - each trigger reads its table's stream in order and invokes its function with a CBOR `Sync-v1` event
 *   holding a batch of records (at most 100);
 * - a failed invocation is retried with the same batch (backoff doubling to 30 s) until it succeeds — the
 *   stream does not move past a failing record, like FC retrying until the stream data expires;
 * - delivery is at-least-once: the shard iterator after a batch is saved in the control database only once the
 *   batch was delivered, so a crash in between delivers the batch again after a restart;
 * - records older than the stream's expiration time are gone (OTSTrimmedDataAccess): the trigger goes on from
 *   the oldest record still kept, as FC does.
 * Not kept: FC's per-partition parallelism (the emulator's stream has one shard, read by one reader).
 */
interface Reader {
  fn: FunctionSpec;
  trigger: TablestoreTriggerSpec;
  cursorKey: string;
  /** Where the next batch starts, as the stream's own iterator; undefined until the stream is found. */
  iterator: string | undefined;
  retryAt: number;
  failures: number;
  /** Why the trigger is not reading, for the console (no stream on the table, the last error). */
  problem?: string;
  /** The refusal of its role now in force (said once, not at every retry: D152). */
  refused?: string;
  /** The stream it reads, once found: a wake-up for other streams does not make it read. */
  streamId?: string;
  /** Woken by a write to its stream since its last read. */
  due: boolean;
  /** When it reads even without a wake-up (the fallback poll). */
  pollAt: number;
}

export interface TableStreamOptions {
  /** A Stream API client for an instance. */
  client(instance: string): StreamClient;
  /** Fallback polling when no change notification arrives (default 1 s). */
  pollMs?: number;
  retryBaseMs?: number;
  /** Warnings worth a line in the terminal (expired records skipped). */
  onWarning?: (message: string) => void;
  /** Holds each trigger's invocations to its `invocationRole` (D152). */
  onBehalf?: OnBehalfAccess;
}

const BATCH = 100;
const STREAM_READ_FAILED = 'reading the stream failed';
const MAX_BACKOFF_MS = 30000;
/**
 * A wake-up reads this long after the write, so the writes of a few milliseconds (a saga step's event, the
 * next step's) go out in one read and one invocation instead of one each (docs/decisions.md D54).
 */
const WAKE_DELAY_MS = 5;

function plain(value: CellValue): AttrValue {
  if (value.type !== 'INTEGER') return value.value;
  const n = Number(value.value);
  // Integers beyond 2^53 travel as bigint in CBOR; the event schema keeps them exact.
  return (Number.isSafeInteger(n) ? n : value.value) as AttrValue;
}

const COLUMN_TYPES: Record<StreamRecord['columns'][number]['type'], TableChangeColumn['type']> = { PUT: 'Put', DELETE_ONE_VERSION: 'DeleteOneVersion', DELETE_ALL_VERSION: 'DeleteAllVersions' };
const RECORD_TYPES: Record<StreamRecord['action'], TableChangeRecord['type']> = { PUT_ROW: 'PutRow', UPDATE_ROW: 'UpdateRow', DELETE_ROW: 'DeleteRow' };

/** A stream record in the trigger event's terms; its time is its newest cell's (a deletion's: when it is read). */
export function changeOf(record: StreamRecord, now: number): Omit<TableChangeRecord, 'seq' | 'table'> {
  const times = record.columns.flatMap((c) => (c.timestamp !== undefined ? [c.timestamp] : []));
  return {
    type: RECORD_TYPES[record.action],
    primaryKey: Object.fromEntries(record.primaryKey.map((c) => [c.name, plain(c.value) as string | number | Uint8Array])),
    columns: record.columns.map((c) => ({ type: COLUMN_TYPES[c.type], name: c.name, ...(c.value ? { value: plain(c.value) } : {}), timestamp: c.timestamp ?? now })),
    timestamp: times.length > 0 ? Math.max(...times) : now,
  };
}

export class TableStreamTriggers {
  private readonly readers: Reader[] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = 0;
  private running: Promise<void> | undefined;
  private again = false;
  private closed = false;
  /** Reads begin with `start()`; a wake-up before it only marks streams due (start reads every stream anyway). */
  private started = false;

  constructor(
    functions: FunctionSpec[],
    private readonly runtime: FunctionRuntime,
    private readonly db: ControlDb,
    private readonly options: TableStreamOptions,
  ) {
    for (const fn of functions) {
      for (const trigger of fn.triggers) {
        if (trigger.type !== 'tablestore') continue;
        const cursorKey = `tablestore-trigger:${fn.name}:${trigger.name}`;
        const saved = getFlag(db, cursorKey);
        // Cursors of the former SQLite change log were numbers: they mean nothing to the Stream API.
        this.readers.push({ fn, trigger, cursorKey, iterator: saved && !/^\d+$/.test(saved) ? saved : undefined, retryAt: 0, failures: 0, due: true, pollAt: 0 });
      }
    }
  }

  start(): void {
    this.started = true;
    this.schedule(0);
  }

  /**
   * Something was written to these streams (all, without ids): their triggers read soon instead of at the
   * next poll; a trigger of another table stays idle.
   */
  wake(streamIds?: ReadonlySet<string>): void {
    for (const reader of this.readers) if (!streamIds || !reader.streamId || streamIds.has(reader.streamId)) reader.due = true;
    if (!this.started) return;
    if (this.running) this.again = true;
    // A read already set to start within the delay takes these writes too.
    else if (!this.timer || this.timerAt > Date.now() + WAKE_DELAY_MS) this.schedule(WAKE_DELAY_MS);
  }

  /**
   * The stream's server is back after an outage (the emulator's thread was restarted, D95): readers that were
   * backing off because reading the stream failed read at once, from their saved position, instead of waiting
   * out a pause that grew while it was down. A reader whose function failed keeps its pause.
   */
  resume(): void {
    for (const reader of this.readers) {
      if (!reader.problem?.startsWith(STREAM_READ_FAILED)) continue;
      reader.retryAt = 0;
      reader.due = true;
    }
    this.wake();
  }

  private schedule(ms: number): void {
    if (this.closed) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = Date.now() + ms;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.deliverDue().finally(() => {
        this.running = undefined;
        const again = this.again;
        this.again = false;
        this.schedule(again ? WAKE_DELAY_MS : this.nextDelay());
      });
    }, ms);
    this.timer.unref();
  }

  private nextDelay(): number {
    const now = Date.now();
    const waits = this.readers.map((r) => Math.max(0, (r.failures > 0 ? Math.max(r.retryAt, now) : r.pollAt) - now));
    return Math.min(this.options.pollMs ?? 1000, ...waits);
  }

  /** Readers woken for their stream, or whose poll or retry time has come. */
  private async deliverDue(): Promise<void> {
    const now = Date.now();
    await Promise.all(this.readers.filter((r) => r.due || now >= r.pollAt || (r.failures > 0 && now >= r.retryAt)).map((reader) => this.deliver(reader)));
  }

  /** Delivers what is due once, for every trigger; exported for tests that drive the stream by hand. */
  async pump(): Promise<void> {
    await Promise.all(this.readers.map((reader) => this.deliver(reader)));
  }

  private async openIterator(reader: Reader): Promise<string | undefined> {
    const client = this.options.client(reader.trigger.instance);
    const { streams } = await client.listStream({ tableName: reader.trigger.table });
    const stream = streams[0];
    if (!stream) {
      reader.problem = `table ${reader.trigger.table} has no stream enabled`;
      return undefined;
    }
    reader.streamId = stream.streamId;
    const { shards } = await client.describeStream({ streamId: stream.streamId });
    const shard = shards[0];
    if (!shard) return undefined;
    return (await client.getShardIterator({ streamId: stream.streamId, shardId: shard.shardId })).shardIterator;
  }

  private async deliver(reader: Reader): Promise<void> {
    if (Date.now() < reader.retryAt) return;
    // Cleared before reading: a write during the read wakes it again.
    reader.due = false;
    reader.pollAt = Date.now() + (this.options.pollMs ?? 1000);
    const client = this.options.client(reader.trigger.instance);
    for (;;) {
      if (this.closed) return;
      try {
        reader.iterator ??= await this.openIterator(reader);
        if (!reader.iterator) return;
        const { records, nextShardIterator } = await client.getStreamRecord({ shardIterator: reader.iterator, limit: BATCH });
        reader.problem = undefined;
        if (records.length > 0) {
          // TableStore invokes with the trigger's role; refused, the batch stays and is retried like a failed
          // invocation (FC: "retries until the log data in Tablestore expires"), the reason on the console (D152).
          const denial = this.options.onBehalf?.trigger(reader.fn, reader.trigger);
          if (denial) {
            // Said once per run of refusals, not at every retry of the same batch.
            const problem = `AccessDenied: ${denial.message}`;
            if (reader.refused !== problem) this.options.onBehalf!.refuse(denial, `TableStore trigger ${reader.trigger.name} of ${reader.fn.name}`, `Stream records of ${reader.trigger.table} were not delivered and are retried until they expire: ${reader.fn.name} did not run`);
            reader.refused = problem;
            this.backOff(reader, problem);
            return;
          }
          reader.refused = undefined;
          const now = Date.now();
          const event = encodeTableStreamEvent(records.map((r) => changeOf(r, now)));
          const record = await this.runtime.invoke(reader.fn.name, event, { source: `tablestore:${reader.trigger.name}`, retryCount: reader.failures });
          if (record.status !== 'succeeded') {
            this.backOff(reader, `the function failed: ${record.error?.errorMessage ?? record.status}`);
            return;
          }
        }
        reader.failures = 0;
        if (records.length > 0) crashPoint('table-stream:before-cursor', reader.fn.name);
        if (nextShardIterator && nextShardIterator !== reader.iterator) {
          reader.iterator = nextShardIterator;
          setFlag(this.db, reader.cursorKey, nextShardIterator);
        }
        if (records.length < BATCH) return;
      } catch (err) {
        const code = String((err as { message?: string }).message ?? err);
        if (code.includes('OTSTrimmedDataAccess')) {
          // The records after our position expired (or the stream was re-created): go on from what is kept.
          this.options.onWarning?.(`tablestore trigger ${reader.trigger.name} of ${reader.fn.resource}: records of ${reader.trigger.table} expired before they were delivered; continuing from the oldest record kept`);
          reader.iterator = undefined;
          continue;
        }
        this.backOff(reader, `${STREAM_READ_FAILED}: ${code}`);
        return;
      }
    }
  }

  private backOff(reader: Reader, problem: string): void {
    reader.failures++;
    reader.problem = problem;
    reader.retryAt = Date.now() + Math.min(MAX_BACKOFF_MS, (this.options.retryBaseMs ?? 500) * 2 ** (reader.failures - 1));
  }

  /** For the console: where each trigger is and whether it is backing off. */
  status(): { function: string; trigger: string; table: string; failures: number; problem?: string }[] {
    return this.readers.map((r) => ({ function: r.fn.name, trigger: r.trigger.name, table: r.trigger.table, failures: r.failures, ...(r.problem ? { problem: r.problem } : {}) }));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }
}
