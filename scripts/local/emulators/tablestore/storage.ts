/**
 * The emulator's SQLite storage (better-sqlite3): one file under DATA_DIR (or `:memory:` for unit tests), WAL with
 * `synchronous = NORMAL`, so a write is on disk in the WAL before its request is answered and a killed process
 * loses nothing it acknowledged (a power loss may lose the last commits). Every request runs in one IMMEDIATE
 * transaction (`transaction`), so a write and its stream record commit together.
 *
 * - `ots_tables`: one row per table, its metadata as JSON (`TableMeta`); ids are never reused.
 * - `ots_rows`: one row per TableStore row, keyed by (table id, order-preserving key encoding — `keys.ts`), the
 *   columns with all their kept versions as JSON (`table.ts`).
 * - `ots_stream`: stream records in commit order, the PlainBuffer record GetStreamRecord returns;
 *   `ots_stream_trims` remembers up to where each stream was trimmed (expired), so an iterator older than that
 *   is answered OTSTrimmedDataAccess instead of silently skipping records.
 * - `ots_search_indexes`: the schema of each search index (the documents are derived from the rows).
 * - `ots_sequences`: the last value handed out per AUTO_INCREMENT column.
 */
import type Database from 'better-sqlite3';
import { SqliteConnection } from '../../sqlite-connection';
import { decodeColumns, encodeColumns, type CellVersion, type StoredRow, type TableHandle, type TableMeta } from './table';
import { decodeKey } from './keys';

export interface StreamRow {
  seq: number;
  action: number;
  record: Buffer;
  at: number;
}

export interface SearchIndexRow {
  tableId: number;
  name: string;
  /** The `IndexSchema` message as the request sent it (protobuf bytes). */
  schema: Buffer;
  createdAt: number;
  ttlSeconds: number;
}

interface RowRecord {
  pk: Buffer;
  columns: string;
  written: number;
}

export class Storage {
  private readonly conn: SqliteConnection;
  readonly db: Database.Database;
  /**
   * Table metadata by `instance/name`, read once: this process is the only writer of the file, and every
   * change of a table goes through `insertTable`/`updateTable`/`dropTable`, which keep the cache current.
   */
  private readonly tableCache = new Map<string, TableHandle>();
  /** How many transactions and savepoints are open (names the next savepoint). */
  private depth = 0;
  /**
   * By table id, a bound no older than the oldest cell timestamp and write time of any row the table holds:
   * lowered by every write, and set by the sweep's walk of the whole table to what it left. Absent (unknown)
   * for a table found on opening until a walk; known (no rows yet) for a table this storage created (D153). The
   * sweep skips a table whose bound has not expired (D86).
   */
  private readonly oldestWrites = new Map<number, number>();

  /** @param path a file, or `:memory:` (a private database for one emulator in a unit test). */
  constructor(path: string) {
    this.conn = new SqliteConnection(path);
    this.db = this.conn.db;
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS ots_tables (id INTEGER PRIMARY KEY AUTOINCREMENT, instance TEXT NOT NULL, name TEXT NOT NULL, meta TEXT NOT NULL, UNIQUE (instance, name));
      CREATE TABLE IF NOT EXISTS ots_rows (tid INTEGER NOT NULL, pk BLOB NOT NULL, columns TEXT NOT NULL, written INTEGER NOT NULL, PRIMARY KEY (tid, pk)) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS ots_stream (seq INTEGER PRIMARY KEY AUTOINCREMENT, stream_id TEXT NOT NULL, action INTEGER NOT NULL, record BLOB NOT NULL, at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS ots_stream_by_id ON ots_stream (stream_id, seq);
      CREATE TABLE IF NOT EXISTS ots_stream_trims (stream_id TEXT PRIMARY KEY, upto INTEGER NOT NULL);
      CREATE TABLE IF NOT EXISTS ots_search_indexes (tid INTEGER NOT NULL, name TEXT NOT NULL, schema BLOB NOT NULL, created INTEGER NOT NULL, ttl INTEGER NOT NULL, PRIMARY KEY (tid, name));
      CREATE TABLE IF NOT EXISTS ots_sequences (tid INTEGER NOT NULL, col TEXT NOT NULL, last TEXT NOT NULL, PRIMARY KEY (tid, col));
    `);
  }

  /**
   * Set while a batch row is written without a savepoint (`withoutSavepoint`): how many write statements it ran.
   */
  private unguardedWrites: number | undefined;

  private stmt(sql: string): Database.Statement {
    const statement = this.conn.stmt(sql);
    if (this.unguardedWrites !== undefined && !statement.reader && ++this.unguardedWrites > 1) {
      throw new Error(`a batch row written without a savepoint ran a second write statement (${sql})`);
    }
    return statement;
  }

  /**
   * Run `work` in one IMMEDIATE transaction, or in a savepoint when already in one (a batch row): on an error
   * everything `work` wrote is rolled back and no cached trace of it is left. Statements are prepared once
   * (better-sqlite3's `db.transaction()` builds a wrapper per call, which shows in 200-row batches).
   */
  transaction<T>(work: () => T): T {
    const outer = !this.db.inTransaction;
    const savepoint = `s${this.depth}`;
    this.stmt(outer ? 'BEGIN IMMEDIATE' : `SAVEPOINT ${savepoint}`).run();
    this.depth++;
    try {
      const result = work();
      this.stmt(outer ? 'COMMIT' : `RELEASE ${savepoint}`).run();
      return result;
    } catch (err) {
      if (outer) {
        if (this.db.inTransaction) this.stmt('ROLLBACK').run();
      } else {
        this.stmt(`ROLLBACK TO ${savepoint}`).run();
        this.stmt(`RELEASE ${savepoint}`).run();
      }
      this.tableCache.clear();
      throw err;
    } finally {
      this.depth--;
    }
  }

  /**
   * Run one row of a batch without a savepoint of its own — for a write that is a single SQL statement and its
   * writer's last step (`mutations.ts` `writesOneStatement`): a statement is atomic, so a row refused before it
   * left nothing behind and nothing can fail after it. A savepoint and its release per row were ~10 % of a
   * 200-row BatchWriteRow's CPU (D94). Guarded, as a mistake here would leave half a row behind: a second write
   * statement, or an error thrown after the write, is an internal error that fails the whole request (rolled back
   * by the request's transaction) rather than answering the row as refused.
   */
  withoutSavepoint<T>(work: () => T): T {
    if (!this.db.inTransaction || this.unguardedWrites !== undefined) throw new Error('withoutSavepoint runs one batch row inside a request transaction');
    this.unguardedWrites = 0;
    try {
      return work();
    } catch (err) {
      if (this.unguardedWrites > 0) throw new Error(`a batch row failed after its write: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
      throw err;
    } finally {
      this.unguardedWrites = undefined;
    }
  }

  close(): void {
    this.conn.close();
  }

  // ---- tables ----

  tables(instance: string): TableHandle[] {
    const rows = this.stmt('SELECT id, instance, meta FROM ots_tables WHERE instance = ? ORDER BY name').all(instance) as { id: number; instance: string; meta: string }[];
    return rows.map((r) => ({ id: r.id, instance: r.instance, meta: JSON.parse(r.meta) as TableMeta }));
  }

  table(instance: string, name: string): TableHandle | undefined {
    const key = `${instance}/${name}`;
    const cached = this.tableCache.get(key);
    if (cached) return cached;
    const row = this.stmt('SELECT id, instance, meta FROM ots_tables WHERE instance = ? AND name = ?').get(instance, name) as { id: number; instance: string; meta: string } | undefined;
    const table = row ? { id: row.id, instance: row.instance, meta: JSON.parse(row.meta) as TableMeta } : undefined;
    // Only hits are kept: a miss inside a transaction that rolls back must not be remembered.
    if (table) this.tableCache.set(key, table);
    return table;
  }

  insertTable(instance: string, meta: TableMeta): TableHandle {
    const id = Number(this.stmt('INSERT INTO ots_tables (instance, name, meta) VALUES (?, ?, ?)').run(instance, meta.name, JSON.stringify(meta)).lastInsertRowid);
    this.tableCache.delete(`${instance}/${meta.name}`);
    // A new table holds no rows (ids are never reused), so its bound is known from the start and every write
    // lowers it: the sweep need not walk a table this storage created until its first rows can expire (D153).
    // Without this, the first sweep after a start walked all of a table filled since, e.g. `telemetry` in an
    // ingest run — ~7 % of the TableStore thread in the iot bench.
    this.oldestWrites.set(id, Number.POSITIVE_INFINITY);
    return { id, instance, meta };
  }

  updateTable(table: TableHandle): void {
    this.stmt('UPDATE ots_tables SET meta = ? WHERE id = ?').run(JSON.stringify(table.meta), table.id);
    this.tableCache.delete(`${table.instance}/${table.meta.name}`);
  }

  dropTable(table: TableHandle): void {
    this.tableCache.delete(`${table.instance}/${table.meta.name}`);
    this.oldestWrites.delete(table.id);
    this.stmt('DELETE FROM ots_rows WHERE tid = ?').run(table.id);
    this.stmt('DELETE FROM ots_search_indexes WHERE tid = ?').run(table.id);
    this.stmt('DELETE FROM ots_sequences WHERE tid = ?').run(table.id);
    this.stmt('DELETE FROM ots_tables WHERE id = ?').run(table.id);
  }

  // ---- rows ----

  private load(table: TableHandle, record: RowRecord): StoredRow & { key: Buffer } {
    return { key: record.pk, primaryKey: decodeKey(record.pk, table.meta.primaryKey), columns: decodeColumns(record.columns), writtenAt: record.written };
  }

  getRow(table: TableHandle, key: Buffer): (StoredRow & { key: Buffer }) | undefined {
    const record = this.stmt('SELECT pk, columns, written FROM ots_rows WHERE tid = ? AND pk = ?').get(table.id, key) as RowRecord | undefined;
    return record && this.load(table, record);
  }

  putRow(table: TableHandle, key: Buffer, columns: ReadonlyMap<string, CellVersion[]>, writtenAt: number): void {
    this.stmt('INSERT OR REPLACE INTO ots_rows (tid, pk, columns, written) VALUES (?, ?, ?, ?)').run(table.id, key, encodeColumns(columns), writtenAt);
    const known = this.oldestWrites.get(table.id);
    if (known === undefined) return;
    let oldest = writtenAt;
    for (const versions of columns.values()) for (const version of versions) if (version.timestamp < oldest) oldest = version.timestamp;
    // A write rolled back later leaves the bound lower than needed: still a bound.
    if (oldest < known) this.oldestWrites.set(table.id, oldest);
  }

  /** No row of the table has a cell timestamp or write time older than this; undefined: not known (sweep.ts). */
  oldestWrite(table: TableHandle): number | undefined {
    return this.oldestWrites.get(table.id);
  }

  /**
   * For the sweep's walk of a whole table: `begin` before its first chunk (writes from then on lower the bound),
   * `keep` for each row it leaves, `forget` when the walk did not finish (the bound is unknown again).
   */
  readonly oldestWalk = {
    begin: (table: TableHandle) => void this.oldestWrites.set(table.id, Number.POSITIVE_INFINITY),
    keep: (table: TableHandle, oldest: number) => {
      if (oldest < (this.oldestWrites.get(table.id) ?? Number.NEGATIVE_INFINITY)) this.oldestWrites.set(table.id, oldest);
    },
    forget: (table: TableHandle) => void this.oldestWrites.delete(table.id),
  };

  deleteRow(table: TableHandle, key: Buffer): void {
    this.stmt('DELETE FROM ots_rows WHERE tid = ? AND pk = ?').run(table.id, key);
  }

  /** Stored rows with `low <= key < high` (FORWARD) or `high >= key > low` read downwards (BACKWARD). */
  *scan(table: TableHandle, low: Buffer, high: Buffer, backward: boolean): Generator<StoredRow & { key: Buffer }> {
    const sql = backward
      ? 'SELECT pk, columns, written FROM ots_rows WHERE tid = ? AND pk <= ? AND pk > ? ORDER BY pk DESC'
      : 'SELECT pk, columns, written FROM ots_rows WHERE tid = ? AND pk >= ? AND pk < ? ORDER BY pk ASC';
    const args = backward ? [table.id, high, low] : [table.id, low, high];
    for (const record of this.stmt(sql).iterate(...args) as IterableIterator<RowRecord>) yield this.load(table, record);
  }

  /** Every stored row of a table, in key order (search indexes are built from it). */
  *allRows(table: TableHandle): Generator<StoredRow & { key: Buffer }> {
    for (const record of this.stmt('SELECT pk, columns, written FROM ots_rows WHERE tid = ? ORDER BY pk').iterate(table.id) as IterableIterator<RowRecord>) yield this.load(table, record);
  }

  countRows(table: TableHandle): number {
    return (this.stmt('SELECT count(*) AS n FROM ots_rows WHERE tid = ?').get(table.id) as { n: number }).n;
  }

  /**
   * Physically removes the expired rows among the first `limit` rows after `after` (key order):
   * `oldestUnlessExpired` judges a row by its stored columns (JSON) and write time, answering undefined for an
   * expired row and otherwise the row's oldest timestamp (for the walk's bound). Answers the last key looked at,
   * none when the table ended.
   */
  sweepChunk(table: TableHandle, after: Buffer | undefined, limit: number, oldestUnlessExpired: (columns: string, writtenAt: number) => number | undefined): { lastKey?: Buffer; removed: number } {
    const rows = (
      after
        ? this.stmt('SELECT pk, columns, written FROM ots_rows WHERE tid = ? AND pk > ? ORDER BY pk LIMIT ?').all(table.id, after, limit)
        : this.stmt('SELECT pk, columns, written FROM ots_rows WHERE tid = ? ORDER BY pk LIMIT ?').all(table.id, limit)
    ) as RowRecord[];
    let removed = 0;
    for (const row of rows) {
      const oldest = oldestUnlessExpired(row.columns, row.written);
      if (oldest !== undefined) {
        this.oldestWalk.keep(table, oldest);
        continue;
      }
      this.deleteRow(table, row.pk);
      removed++;
    }
    return { ...(rows.length === limit ? { lastKey: rows[rows.length - 1]!.pk } : {}), removed };
  }

  /** The next AUTO_INCREMENT value of a column: strictly increasing, never reused. */
  nextSequence(table: TableHandle, column: string, atLeast: bigint): bigint {
    const last = this.stmt('SELECT last FROM ots_sequences WHERE tid = ? AND col = ?').get(table.id, column) as { last: string } | undefined;
    const next = last && BigInt(last.last) >= atLeast ? BigInt(last.last) + 1n : atLeast;
    this.stmt('INSERT INTO ots_sequences (tid, col, last) VALUES (?, ?, ?) ON CONFLICT(tid, col) DO UPDATE SET last = excluded.last').run(table.id, column, next.toString());
    return next;
  }

  // ---- stream ----

  appendStream(streamId: string, action: number, record: Buffer, at: number): number {
    return Number(this.stmt('INSERT INTO ots_stream (stream_id, action, record, at) VALUES (?, ?, ?, ?)').run(streamId, action, record, at).lastInsertRowid);
  }

  /** Records of a stream after `afterSeq`, oldest first. */
  readStream(streamId: string, afterSeq: number, limit: number): StreamRow[] {
    return this.stmt('SELECT seq, action, record, at FROM ots_stream WHERE stream_id = ? AND seq > ? ORDER BY seq LIMIT ?').all(streamId, afterSeq, limit) as StreamRow[];
  }

  /** Up to which sequence number a stream was trimmed: positions before it are gone (0: nothing trimmed). */
  streamTrimmedUpTo(streamId: string): number {
    return (this.stmt('SELECT upto FROM ots_stream_trims WHERE stream_id = ?').get(streamId) as { upto: number } | undefined)?.upto ?? 0;
  }

  /** Drops records written before `before` (ms) from one stream; returns how many. */
  trimStream(streamId: string, before: number): number {
    const last = (this.stmt('SELECT max(seq) AS upto FROM ots_stream WHERE stream_id = ? AND at < ?').get(streamId, before) as { upto: number | null }).upto;
    if (last === null) return 0;
    this.stmt('INSERT INTO ots_stream_trims (stream_id, upto) VALUES (?, ?) ON CONFLICT(stream_id) DO UPDATE SET upto = excluded.upto').run(streamId, last);
    return this.stmt('DELETE FROM ots_stream WHERE stream_id = ? AND seq <= ?').run(streamId, last).changes;
  }

  /** Drops every record of streams no table has any more (a table deleted, a stream disabled). */
  dropStreamsExcept(live: readonly string[]): void {
    const kept = new Set(live);
    const ids = (this.stmt('SELECT DISTINCT stream_id FROM ots_stream').all() as { stream_id: string }[]).map((r) => r.stream_id);
    for (const id of ids) if (!kept.has(id)) this.stmt('DELETE FROM ots_stream WHERE stream_id = ?').run(id);
  }

  // ---- search indexes ----

  searchIndexes(table: TableHandle): SearchIndexRow[] {
    const rows = this.stmt('SELECT tid, name, schema, created, ttl FROM ots_search_indexes WHERE tid = ? ORDER BY name').all(table.id) as { tid: number; name: string; schema: Buffer; created: number; ttl: number }[];
    return rows.map((r) => ({ tableId: r.tid, name: r.name, schema: r.schema, createdAt: r.created, ttlSeconds: r.ttl }));
  }

  insertSearchIndex(row: SearchIndexRow): void {
    this.stmt('INSERT INTO ots_search_indexes (tid, name, schema, created, ttl) VALUES (?, ?, ?, ?, ?)').run(row.tableId, row.name, row.schema, row.createdAt, row.ttlSeconds);
  }

  updateSearchIndexTtl(tableId: number, name: string, ttlSeconds: number): void {
    this.stmt('UPDATE ots_search_indexes SET ttl = ? WHERE tid = ? AND name = ?').run(ttlSeconds, tableId, name);
  }

  deleteSearchIndex(tableId: number, name: string): void {
    this.stmt('DELETE FROM ots_search_indexes WHERE tid = ? AND name = ?').run(tableId, name);
  }
}
