/**
 * The fake's data: tables held in memory, rows kept sorted by primary key, one version per cell with its
 * timestamp (ms). Expired cells (TTL) are hidden on read and dropped on write; nothing is swept in the background.
 */
import { invalidPk, objectNotExist, parameterInvalid } from './errors';
import type { CellValue, PkBound, PkCell, PkValue } from './values';
import { compareKeyToBound, compareKeys } from './values';

export interface FakeTableSchema {
  name: string;
  primaryKey: readonly { name: string; type: 'STRING' | 'INTEGER' | 'BINARY' }[];
  /** Seconds; undefined or -1 keeps data forever. */
  ttlSeconds?: number;
  /** TableStore's max version offset (`deviation_cell_version_in_sec`), default 86 400 s. */
  maxTimeDeviationSeconds?: number;
}

export interface StoredCell {
  value: CellValue;
  timestamp: number;
}

export interface StoredRow {
  primaryKey: PkCell[];
  cells: Map<string, StoredCell>;
  /** When the row was last written (ms): a row without cells expires by it. */
  writtenAt: number;
}

/** A stored row as seen at one instant: only live cells. */
export interface LiveRow {
  primaryKey: PkCell[];
  cells: { name: string; value: CellValue; timestamp: number }[];
}

/** TableStore's naming rule for tables and columns: letters, digits and `_`, not starting with a digit, ≤ 255 bytes. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export class FakeTable {
  /** Sorted by primary key. Exposed for inspection (e.g. a Search handler scanning a table). */
  readonly rows: StoredRow[] = [];

  constructor(readonly schema: FakeTableSchema) {}

  get ttlMs(): number | undefined {
    const ttl = this.schema.ttlSeconds;
    return ttl !== undefined && ttl > 0 ? ttl * 1000 : undefined;
  }

  /** Check a request's primary key against the schema: every column, in order, of the right type. */
  checkKey(key: readonly { name: string; value: PkBound }[], options: { bounds?: boolean } = {}): void {
    const schema = this.schema.primaryKey;
    if (key.length !== schema.length) throw invalidPk();
    key.forEach((cell, i) => {
      const column = schema[i]!;
      if (cell.name !== column.name) throw invalidPk();
      const type = cell.value.type;
      if ((type === 'INF_MIN' || type === 'INF_MAX') && options.bounds) return;
      if (type !== column.type) throw invalidPk();
    });
  }

  private search(key: readonly PkCell[]): { index: number; found: boolean } {
    let lo = 0;
    let hi = this.rows.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const order = compareKeys(this.rows[mid]!.primaryKey, key);
      if (order === 0) return { index: mid, found: true };
      if (order < 0) lo = mid + 1;
      else hi = mid;
    }
    return { index: lo, found: false };
  }

  find(key: readonly PkCell[]): StoredRow | undefined {
    const { index, found } = this.search(key);
    return found ? this.rows[index] : undefined;
  }

  /** Live view of a row at `now`, or undefined when it does not exist or every cell expired. */
  live(row: StoredRow | undefined, now: number): LiveRow | undefined {
    if (!row) return undefined;
    const ttl = this.ttlMs;
    const cells = [...row.cells.entries()]
      .filter(([, c]) => ttl === undefined || c.timestamp + ttl > now)
      .map(([name, c]) => ({ name, value: c.value, timestamp: c.timestamp }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    if (cells.length === 0 && (row.cells.size > 0 || (ttl !== undefined && row.writtenAt + ttl <= now))) return undefined;
    return { primaryKey: row.primaryKey, cells };
  }

  get(key: readonly PkCell[], now: number): LiveRow | undefined {
    return this.live(this.find(key), now);
  }

  /** Replace (or create) the row's cells. */
  write(key: readonly PkCell[], cells: Map<string, StoredCell>, now: number): void {
    const { index, found } = this.search(key);
    const row: StoredRow = { primaryKey: key.map((c) => ({ ...c })), cells, writtenAt: now };
    if (found) this.rows[index] = row;
    else this.rows.splice(index, 0, row);
  }

  remove(key: readonly PkCell[]): void {
    const { index, found } = this.search(key);
    if (found) this.rows.splice(index, 1);
  }

  /** Stored rows in [start, end) FORWARD, or (end, start] BACKWARD, in scan order. */
  *scan(start: readonly PkBound[], end: readonly PkBound[], backward: boolean): Generator<StoredRow> {
    if (!backward) {
      for (const row of this.rows) {
        if (compareKeyToBound(row.primaryKey, start) < 0) continue;
        if (compareKeyToBound(row.primaryKey, end) >= 0) return;
        yield row;
      }
      return;
    }
    for (let i = this.rows.length - 1; i >= 0; i--) {
      const row = this.rows[i]!;
      if (compareKeyToBound(row.primaryKey, start) > 0) continue;
      if (compareKeyToBound(row.primaryKey, end) <= 0) return;
      yield row;
    }
  }
}

/** The instance's tables. */
export class FakeStore {
  private readonly tables = new Map<string, FakeTable>();

  createTable(schema: FakeTableSchema): FakeTable {
    if (!NAME_PATTERN.test(schema.name)) throw parameterInvalid(`Invalid table name: '${schema.name}'.`);
    const table = new FakeTable(schema);
    this.tables.set(schema.name, table);
    return table;
  }

  /** The table, or OTSObjectNotExist as TableStore answers for an unknown table. */
  table(name: string): FakeTable {
    const table = this.tables.get(name);
    if (!table) throw objectNotExist(name);
    return table;
  }

  tableNames(): string[] {
    return [...this.tables.keys()];
  }
}

export type { PkValue };
