import type BetterSqlite3 from 'better-sqlite3';
import { SqliteConnection } from './sqlite-connection';
import { ConditionFailedError, ValidationError } from '../errors';
import type { TableChangeColumn, TableChangeRecord } from '../contracts/table-stream';
import { systemClock, type Clock } from '../ports/clock';
import {
  BATCH_GET_LIMIT,
  BATCH_WRITE_LIMIT,
  type Attributes,
  type AttrValue,
  type BatchWriteOp,
  type BatchWriteResult,
  type ColumnCondition,
  type PkValue,
  type PrimaryKey,
  type RangePage,
  type RangeQuery,
  type Row,
  type RowUpdate,
  type Table,
  type TableSchema,
  type WriteCondition,
} from '../ports/table';
import { encodeBound, encodePk } from './pk-codec';
import { checkAttributes, checkRange, checkUpdate, checkWriteCondition, isInteger } from './table-rules';

/**
 * The Table port on SQLite (better-sqlite3, WAL), for the local cloud. TableStore semantics are listed in
 * `ports/table.ts`; this adapter keeps them with:
 * - one `WITHOUT ROWID` table per logical table keyed by an order-preserving PK encoding (`pk-codec.ts`);
 * - cells stored as JSON `{column: [type, value, writtenAtMs]}`, so TTL expires each cell by its write time;
 * - every write in an IMMEDIATE transaction, condition checked inside it, so conditional writes and
 *   increments are atomic across connections (function instances are threads with their own connection);
 * - for tables with `stream: true`, a change record appended in the same transaction (`readChanges`).
 *
 * Values: strings, booleans, safe integers (INTEGER), other numbers (DOUBLE), Uint8Array (BINARY, read back as
 * Buffer). Comparing values of different types: EQ is false, NE is true, ordering comparisons are false
 * (INTEGER and DOUBLE compare as numbers). Requests are checked by `table-rules.ts`, as TableStore would.
 */
type CellType = 's' | 'i' | 'd' | 'b' | 'x';
type Cell = [CellType, string | number | boolean, number];
type Cells = Record<string, Cell>;

const RANGE_PAGE_ROWS = 5000;

function toCell(value: AttrValue, now: number): Cell {
  if (typeof value === 'string') return ['s', value, now];
  if (typeof value === 'boolean') return ['b', value, now];
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new ValidationError('numbers must be finite');
    return [isInteger(value) ? 'i' : 'd', value, now];
  }
  if (value instanceof Uint8Array) return ['x', Buffer.from(value).toString('base64'), now];
  throw new ValidationError(`unsupported attribute value ${String(value)}`);
}

function fromCell(cell: Cell): AttrValue {
  return cell[0] === 'x' ? Buffer.from(String(cell[1]), 'base64') : (cell[1] as AttrValue);
}

/** The key as JSON, columns in schema order (callers may list them in any order). */
function encodePkJson(schema: TableSchema, pk: PrimaryKey): string {
  return JSON.stringify(schema.primaryKey.map((c): [string, PkValue] => [c.name, pk[c.name]!]).map(([k, v]) => [k, v instanceof Uint8Array ? { b64: Buffer.from(v).toString('base64') } : v]));
}

function decodePkJson(text: string): PrimaryKey {
  const out: Record<string, string | number | Buffer> = {};
  for (const [k, v] of JSON.parse(text) as [string, string | number | { b64: string }][]) out[k] = typeof v === 'object' ? Buffer.from(v.b64, 'base64') : v;
  return out;
}

function compare(a: AttrValue, b: AttrValue): number | undefined {
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  if (typeof a === 'boolean' && typeof b === 'boolean') return Number(a) - Number(b);
  if (a instanceof Uint8Array && b instanceof Uint8Array) return Buffer.compare(Buffer.from(a), Buffer.from(b));
  return undefined;
}

/** TableStore's SingleColumnCondition / CompositeColumnValueCondition against a row's live attributes. */
export function columnConditionHolds(condition: ColumnCondition, attributes: Attributes | undefined): boolean {
  if ('and' in condition) return condition.and.every((c) => columnConditionHolds(c, attributes));
  if ('or' in condition) return condition.or.some((c) => columnConditionHolds(c, attributes));
  if ('not' in condition) return !columnConditionHolds(condition.not, attributes);
  const actual = attributes?.[condition.column];
  if (actual === undefined) return condition.passIfMissing ?? true;
  const order = compare(actual, condition.value);
  if (order === undefined) return condition.op === 'NE';
  switch (condition.op) {
    case 'EQ':
      return order === 0;
    case 'NE':
      return order !== 0;
    case 'GT':
      return order > 0;
    case 'GE':
      return order >= 0;
    case 'LT':
      return order < 0;
    default:
      return order <= 0;
  }
}

interface StoredRow {
  pk: Buffer;
  pkjson: string;
  cells: string;
  written: number;
}

export class SqliteTable implements Table {
  private readonly db: BetterSqlite3.Database;
  private readonly schemas = new Map<string, TableSchema>();
  private readonly connection: SqliteConnection;

  /**
   * @param openDatabase `require('better-sqlite3')`, passed in so the cloud bundle never loads it.
   * @example new SqliteTable(require('better-sqlite3'), '.data/tables.sqlite', ALL_TABLES)
   */
  constructor(
    openDatabase: new (path: string) => BetterSqlite3.Database,
    path: string,
    schemas: readonly TableSchema[],
    private readonly clock: Clock = systemClock,
  ) {
    this.connection = new SqliteConnection(openDatabase, path);
    this.db = this.connection.db;
    this.db.exec(`CREATE TABLE IF NOT EXISTS _stream (seq INTEGER PRIMARY KEY AUTOINCREMENT, tbl TEXT NOT NULL, type TEXT NOT NULL, pk TEXT NOT NULL, columns TEXT NOT NULL, ts INTEGER NOT NULL)`);
    for (const schema of schemas) {
      this.schemas.set(schema.name, schema);
      this.db.exec(`CREATE TABLE IF NOT EXISTS "t_${schema.name}" (pk BLOB PRIMARY KEY, pkjson TEXT NOT NULL, cells TEXT NOT NULL, written INTEGER NOT NULL) WITHOUT ROWID`);
    }
  }

  close(): void {
    this.db.close();
  }

  private schema(table: string): TableSchema {
    const schema = this.schemas.get(table);
    if (!schema) throw new ValidationError(`table ${table} does not exist`, [{ path: 'table', message: `unknown table ${table}` }]);
    return schema;
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    return this.connection.stmt(sql);
  }

  /** Live attributes of a stored row (expired cells removed), or undefined when the whole row expired. */
  private live(schema: TableSchema, row: StoredRow | undefined): Attributes | undefined {
    if (!row) return undefined;
    const cells = JSON.parse(row.cells) as Cells;
    const ttl = schema.ttlSeconds !== undefined && schema.ttlSeconds > 0 ? schema.ttlSeconds * 1000 : undefined;
    const now = this.clock.now();
    const attributes: Attributes = {};
    for (const [name, cell] of Object.entries(cells)) {
      if (ttl !== undefined && cell[2] + ttl <= now) continue;
      attributes[name] = fromCell(cell);
    }
    if (ttl !== undefined && Object.keys(attributes).length === 0 && row.written + ttl <= now) return undefined;
    return attributes;
  }

  private read(table: string, pk: Buffer): StoredRow | undefined {
    return this.stmt(`SELECT pk, pkjson, cells, written FROM "t_${table}" WHERE pk = ?`).get(pk) as StoredRow | undefined;
  }

  private checkCondition(table: string, attributes: Attributes | undefined, condition: WriteCondition | undefined): void {
    const existence = condition?.row ?? 'IGNORE';
    if (existence === 'EXPECT_EXIST' && !attributes) throw new ConditionFailedError(`row does not exist in ${table}`);
    if (existence === 'EXPECT_NOT_EXIST' && attributes) throw new ConditionFailedError(`row already exists in ${table}`);
    if (condition?.columns && !columnConditionHolds(condition.columns, attributes)) throw new ConditionFailedError(`column condition failed on ${table}`);
  }

  /** The projected attributes, or undefined when a projection leaves none (TableStore then returns no row). */
  private project(attributes: Attributes, columns: string[] | undefined): Attributes | undefined {
    if (!columns || columns.length === 0) return attributes;
    const projected = Object.fromEntries(Object.entries(attributes).filter(([k]) => columns.includes(k)));
    return Object.keys(projected).length > 0 ? projected : undefined;
  }

  /** Shape checks of one write, before any data is read (a batch checks every row first). */
  private checkWrite(op: BatchWriteOp): void {
    const schema = this.schema(op.table);
    encodePk(schema.primaryKey, op.primaryKey, op.table);
    if (op.type === 'PUT') checkAttributes(schema, op.attributes);
    if (op.type === 'UPDATE') checkUpdate(schema, op.update);
    checkWriteCondition(schema, op.condition, op.type === 'PUT' ? 'put' : op.type === 'UPDATE' ? 'update' : 'delete');
  }

  private record(schema: TableSchema, type: TableChangeRecord['type'], pk: PrimaryKey, columns: TableChangeColumn[], now: number): void {
    if (!schema.stream) return;
    this.stmt('INSERT INTO _stream (tbl, type, pk, columns, ts) VALUES (?, ?, ?, ?, ?)').run(schema.name, type, encodePkJson(schema, pk), JSON.stringify(columns, bufferReplacer), now);
  }

  // ---- single-row operations (each one transaction) ----

  private putNow(table: string, primaryKey: PrimaryKey, attributes: Attributes, condition?: WriteCondition): void {
    const schema = this.schema(table);
    const pk = encodePk(schema.primaryKey, primaryKey, table);
    const now = this.clock.now();
    const existing = this.live(schema, this.read(table, pk));
    this.checkCondition(table, existing, condition);
    const cells: Cells = {};
    for (const [name, value] of Object.entries(attributes)) cells[name] = toCell(value, now);
    this.stmt(`INSERT OR REPLACE INTO "t_${table}" (pk, pkjson, cells, written) VALUES (?, ?, ?, ?)`).run(pk, encodePkJson(schema, primaryKey), JSON.stringify(cells), now);
    this.record(schema, 'PutRow', primaryKey, Object.entries(attributes).map(([name, value]) => ({ type: 'Put', name, value, timestamp: now })), now);
  }

  private updateNow(table: string, primaryKey: PrimaryKey, update: RowUpdate, condition?: WriteCondition, returnColumns?: string[]): Attributes {
    const schema = this.schema(table);
    const pk = encodePk(schema.primaryKey, primaryKey, table);
    const now = this.clock.now();
    const stored = this.read(table, pk);
    const existing = this.live(schema, stored);
    this.checkCondition(table, existing, condition);
    const cells: Cells = existing ? Object.fromEntries(Object.entries(JSON.parse(stored!.cells) as Cells).filter(([k]) => k in existing)) : {};
    const changes: TableChangeColumn[] = [];
    const modified = new Set<string>();
    for (const [name, value] of Object.entries(update.put ?? {})) {
      modified.add(name);
      cells[name] = toCell(value, now);
      changes.push({ type: 'Put', name, value, timestamp: now });
    }
    for (const name of update.delete ?? []) {
      delete cells[name];
      changes.push({ type: 'DeleteAllVersions', name, timestamp: now });
    }
    for (const [name, delta] of Object.entries(update.increment ?? {})) {
      if (!Number.isSafeInteger(delta)) throw new ValidationError(`increment of ${name} must be an integer`, [{ path: `increment.${name}`, message: 'not an integer' }]);
      const current = cells[name];
      if (current && current[0] !== 'i') throw new ValidationError(`column ${name} is not an INTEGER and cannot be incremented`, [{ path: `increment.${name}`, message: 'not an integer column' }]);
      const value = (current ? Number(current[1]) : 0) + delta;
      if (!Number.isSafeInteger(value)) throw new ValidationError(`increment of ${name} leaves the safe integer range`, [{ path: `increment.${name}`, message: 'overflow' }]);
      cells[name] = ['i', value, now];
      modified.add(name);
      changes.push({ type: 'Put', name, value, timestamp: now });
    }
    this.stmt(`INSERT OR REPLACE INTO "t_${table}" (pk, pkjson, cells, written) VALUES (?, ?, ?, ?)`).run(pk, encodePkJson(schema, primaryKey), JSON.stringify(cells), now);
    this.record(schema, 'UpdateRow', primaryKey, changes, now);
    // Like TableStore's RT_AFTER_MODIFY: the new values of the named columns this update put or incremented.
    const after: Attributes = {};
    for (const name of returnColumns ?? []) if (cells[name] && modified.has(name)) after[name] = fromCell(cells[name]);
    return after;
  }

  private deleteNow(table: string, primaryKey: PrimaryKey, condition?: WriteCondition): void {
    const schema = this.schema(table);
    const pk = encodePk(schema.primaryKey, primaryKey, table);
    const existing = this.live(schema, this.read(table, pk));
    this.checkCondition(table, existing, condition);
    this.stmt(`DELETE FROM "t_${table}" WHERE pk = ?`).run(pk);
    if (existing) this.record(schema, 'DeleteRow', primaryKey, [], this.clock.now());
  }

  async getRow(table: string, primaryKey: PrimaryKey, options: { columns?: string[] } = {}): Promise<Row | undefined> {
    const schema = this.schema(table);
    const live = this.live(schema, this.read(table, encodePk(schema.primaryKey, primaryKey, table)));
    const attributes = live && this.project(live, options.columns);
    return attributes ? { primaryKey: { ...primaryKey }, attributes } : undefined;
  }

  async putRow(table: string, primaryKey: PrimaryKey, attributes: Attributes, options: { condition?: WriteCondition } = {}): Promise<void> {
    this.checkWrite({ type: 'PUT', table, primaryKey, attributes, ...(options.condition ? { condition: options.condition } : {}) });
    this.db.transaction(() => this.putNow(table, primaryKey, attributes, options.condition)).immediate();
  }

  async updateRow(table: string, primaryKey: PrimaryKey, update: RowUpdate, options: { condition?: WriteCondition; returnColumns?: string[] } = {}): Promise<Attributes> {
    this.checkWrite({ type: 'UPDATE', table, primaryKey, update, ...(options.condition ? { condition: options.condition } : {}) });
    return this.db.transaction(() => this.updateNow(table, primaryKey, update, options.condition, options.returnColumns)).immediate();
  }

  async deleteRow(table: string, primaryKey: PrimaryKey, options: { condition?: WriteCondition } = {}): Promise<void> {
    this.checkWrite({ type: 'DELETE', table, primaryKey, ...(options.condition ? { condition: options.condition } : {}) });
    this.db.transaction(() => this.deleteNow(table, primaryKey, options.condition)).immediate();
  }

  async getRange(table: string, query: RangeQuery): Promise<RangePage> {
    const schema = this.schema(table);
    checkRange(schema, query);
    const start = encodeBound(schema.primaryKey, query.start, table);
    const end = encodeBound(schema.primaryKey, query.end, table);
    const backward = query.direction === 'BACKWARD';
    const limit = Math.min(query.limit ?? RANGE_PAGE_ROWS, RANGE_PAGE_ROWS);
    const sql = backward
      ? `SELECT pk, pkjson, cells, written FROM "t_${table}" WHERE pk <= ? AND pk > ? ORDER BY pk DESC`
      : `SELECT pk, pkjson, cells, written FROM "t_${table}" WHERE pk >= ? AND pk < ? ORDER BY pk ASC`;
    const rows: Row[] = [];
    let next: PrimaryKey | undefined;
    for (const stored of this.db.prepare(sql).iterate(start, end) as IterableIterator<StoredRow>) {
      const attributes = this.live(schema, stored);
      if (!attributes) continue;
      if (query.filter && !columnConditionHolds(query.filter, attributes)) continue;
      const projected = this.project(attributes, query.columns);
      if (!projected) continue;
      if (rows.length === limit) {
        next = decodePkJson(stored.pkjson);
        break;
      }
      rows.push({ primaryKey: decodePkJson(stored.pkjson), attributes: projected });
    }
    return { rows, ...(next ? { nextStartPrimaryKey: next } : {}) };
  }

  async batchGetRow(table: string, primaryKeys: PrimaryKey[], options: { columns?: string[] } = {}): Promise<(Row | undefined)[]> {
    if (primaryKeys.length > BATCH_GET_LIMIT) throw new ValidationError(`batchGetRow takes at most ${BATCH_GET_LIMIT} keys (got ${primaryKeys.length})`);
    return Promise.all(primaryKeys.map((pk) => this.getRow(table, pk, options)));
  }

  async batchWriteRow(ops: BatchWriteOp[]): Promise<BatchWriteResult[]> {
    if (ops.length > BATCH_WRITE_LIMIT) throw new ValidationError(`batchWriteRow takes at most ${BATCH_WRITE_LIMIT} rows (got ${ops.length})`, [{ path: 'rows', message: `more than ${BATCH_WRITE_LIMIT}` }]);
    for (const op of ops) this.checkWrite(op);
    const seen = new Set<string>();
    for (const op of ops) {
      const key = `${op.table}\u0000${encodePk(this.schema(op.table).primaryKey, op.primaryKey, op.table).toString('hex')}`;
      if (seen.has(key)) throw new ValidationError(`batchWriteRow has the same primary key twice in ${op.table}`, [{ path: 'rows', message: 'duplicate primary key' }]);
      seen.add(key);
    }
    // One transaction for the batch (one fsync); each row runs in its own savepoint so a failed
    // condition undoes that row only, as TableStore reports per-row results.
    return this.db
      .transaction(() =>
        ops.map((op): BatchWriteResult => {
          try {
            this.db.transaction(() => {
              if (op.type === 'PUT') this.putNow(op.table, op.primaryKey, op.attributes, op.condition);
              else if (op.type === 'UPDATE') this.updateNow(op.table, op.primaryKey, op.update, op.condition);
              else this.deleteNow(op.table, op.primaryKey, op.condition);
            })();
            return { ok: true };
          } catch (err) {
            if (err instanceof ConditionFailedError) return { ok: false, code: 'OTSConditionCheckFail', message: err.message };
            if (err instanceof ValidationError) return { ok: false, code: 'OTSParameterInvalid', message: err.message };
            throw err;
          }
        }),
      )
      .immediate();
  }

  // ---- local-cloud only: change stream and TTL sweeping ----

  /** Change records after `afterSeq`, oldest first. */
  readChanges(afterSeq: number, limit = 100): TableChangeRecord[] {
    const rows = this.stmt('SELECT seq, tbl, type, pk, columns, ts FROM _stream WHERE seq > ? ORDER BY seq LIMIT ?').all(afterSeq, limit) as {
      seq: number;
      tbl: string;
      type: TableChangeRecord['type'];
      pk: string;
      columns: string;
      ts: number;
    }[];
    return rows.map((r) => ({ seq: r.seq, table: r.tbl, type: r.type, primaryKey: decodePkJson(r.pk), columns: JSON.parse(r.columns, bufferReviver) as TableChangeColumn[], timestamp: r.ts }));
  }

  /** Forget change records up to `seq` (delivered). */
  trimChanges(uptoSeq: number): void {
    this.stmt('DELETE FROM _stream WHERE seq <= ?').run(uptoSeq);
  }

  /** Physically delete rows whose cells have all expired (reads already hide them). */
  sweepExpired(): number {
    let removed = 0;
    for (const schema of this.schemas.values()) {
      if (!schema.ttlSeconds || schema.ttlSeconds <= 0) continue;
      const doomed: Buffer[] = [];
      for (const row of this.db.prepare(`SELECT pk, pkjson, cells, written FROM "t_${schema.name}"`).iterate() as IterableIterator<StoredRow>) {
        if (!this.live(schema, row)) doomed.push(row.pk);
      }
      const del = this.db.prepare(`DELETE FROM "t_${schema.name}" WHERE pk = ?`);
      this.db.transaction(() => doomed.forEach((pk) => (removed += del.run(pk).changes)))();
    }
    return removed;
  }
}

function bufferReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer' && Array.isArray((value as { data?: unknown }).data)) {
    return { b64: Buffer.from((value as { data: number[] }).data).toString('base64') };
  }
  return value;
}

function bufferReviver(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && typeof (value as { b64?: unknown }).b64 === 'string' && Object.keys(value).length === 1) return Buffer.from((value as { b64: string }).b64, 'base64');
  return value;
}
