/**
 * Table port: the subset of TableStore's wide-column model the suite uses.
 *
 * Semantics follow TableStore (https://www.alibabacloud.com/help/en/tablestore/developer-reference/):
 * - rows are ordered by their primary key (columns compared in declaration order; strings and binaries
 *   byte-wise, integers as signed 64-bit);
 * - `putRow` replaces the whole row, `updateRow` creates the row when it is missing (unless the condition
 *   says EXPECT_EXIST) and changes only the named columns;
 * - conditions combine a row-existence expectation with a column condition; a failed condition throws
 *   `ConditionFailedError` and changes nothing;
 * - `getRange` is start-inclusive, end-exclusive; BACKWARD scans go from the higher `start` down to `end`;
 * - TTL expires each cell by its write time; a row whose cells have all expired is gone;
 * - `batchWriteRow` takes at most 200 rows; each row succeeds or fails on its own (partial failure is normal).
 * - with a `columns` projection, a row that has none of those columns reads as missing (TableStore returns no row);
 * - requests TableStore refuses are refused by the adapter with a `ValidationError` (`adapters/table-rules.ts`):
 *   column names are letters, digits and `_` (not starting with a digit) and never a primary key column's name;
 *   the attribute name `timestamp` is reserved (the SDK reads it as the cell version); an update changes at least
 *   one column and names each once; `deleteRow` takes IGNORE or EXPECT_EXIST; a range starts below its end
 *   (above it, BACKWARD) and `limit` is at least 1; numbers are finite.
 *
 * Adapter: `TableStoreTable` (the `tablestore` SDK), in the cloud and against the local cloud's TableStore
 * emulator alike. The contract suite (`test/contract/table.contract.ts`) runs it against the emulator; unit
 * tests of `core.ts` modules get the same adapter on an in-process emulator (`test/helpers/memory-table.ts`).
 */

export type PkColumnType = 'STRING' | 'INTEGER' | 'BINARY';

export interface PkColumn {
  readonly name: string;
  readonly type: PkColumnType;
}

export interface TableSchema {
  readonly name: string;
  /** Primary key columns in order; the first is TableStore's partition key. */
  readonly primaryKey: readonly PkColumn[];
  /** Time to live in seconds; omit (or -1) to keep data forever. */
  readonly ttlSeconds?: number;
  /** TableStore Stream is on: writes become change records that fire `tablestore` triggers. */
  readonly stream?: boolean;
}

/** INTEGER primary key values are JS numbers and must be safe integers. */
export type PkValue = string | number | Uint8Array;
export type PrimaryKey = Readonly<Record<string, PkValue>>;

/** Attribute values. Safe integers are stored as INTEGER, other numbers (also 2 ** 60) as DOUBLE. */
export type AttrValue = string | number | boolean | Uint8Array;
export type Attributes = Record<string, AttrValue>;

export interface Row {
  primaryKey: PrimaryKey;
  attributes: Attributes;
}

/** Open range bounds, like TableStore's INF_MIN / INF_MAX. */
export const INF_MIN = Symbol.for('table.INF_MIN');
export const INF_MAX = Symbol.for('table.INF_MAX');
export type RangeBoundValue = PkValue | typeof INF_MIN | typeof INF_MAX;
/** A bound names every primary key column, in schema order. */
export type RangeBound = Readonly<Record<string, RangeBoundValue>>;

export type RowExistence = 'IGNORE' | 'EXPECT_EXIST' | 'EXPECT_NOT_EXIST';
export type Comparator = 'EQ' | 'NE' | 'GT' | 'GE' | 'LT' | 'LE';

export type ColumnCondition =
  | {
      column: string;
      op: Comparator;
      value: AttrValue;
      /** TableStore's `passIfMissing`: a row without the column passes. Default true, as in TableStore. */
      passIfMissing?: boolean;
    }
  | { and: ColumnCondition[] }
  | { or: ColumnCondition[] }
  | { not: ColumnCondition };

export interface WriteCondition {
  row?: RowExistence;
  columns?: ColumnCondition;
}

export interface RowUpdate {
  put?: Attributes;
  delete?: string[];
  /** Atomic increments of INTEGER columns; a missing column counts from 0. */
  increment?: Record<string, number>;
}

export interface RangeQuery {
  start: RangeBound;
  end: RangeBound;
  direction?: 'FORWARD' | 'BACKWARD';
  /** At most this many rows in this page (TableStore also stops at 5 000 rows or 4 MB). */
  limit?: number;
  columns?: string[];
  /**
   * Rows that do not match are skipped (they still count toward the scan, not toward `limit`). The filter sees
   * every column of the row, also those `columns` leaves out.
   */
  filter?: ColumnCondition;
}

export interface RangePage {
  rows: Row[];
  /** Present when more rows may follow: pass it as the next query's `start`. */
  nextStartPrimaryKey?: PrimaryKey;
}

export type BatchWriteOp =
  | { type: 'PUT'; table: string; primaryKey: PrimaryKey; attributes: Attributes; condition?: WriteCondition }
  | { type: 'UPDATE'; table: string; primaryKey: PrimaryKey; update: RowUpdate; condition?: WriteCondition }
  | { type: 'DELETE'; table: string; primaryKey: PrimaryKey; condition?: WriteCondition };

export type BatchWriteResult = { ok: true } | { ok: false; code: string; message: string };

export const BATCH_WRITE_LIMIT = 200;
export const BATCH_GET_LIMIT = 100;

export interface Table {
  getRow(table: string, primaryKey: PrimaryKey, options?: { columns?: string[] }): Promise<Row | undefined>;
  putRow(table: string, primaryKey: PrimaryKey, attributes: Attributes, options?: { condition?: WriteCondition }): Promise<void>;
  /**
   * Returns the values of `returnColumns` after the update (how callers read an incremented counter): like
   * TableStore's RT_AFTER_MODIFY, only columns this update put or incremented are returned.
   */
  updateRow(
    table: string,
    primaryKey: PrimaryKey,
    update: RowUpdate,
    options?: { condition?: WriteCondition; returnColumns?: string[] },
  ): Promise<Attributes>;
  deleteRow(table: string, primaryKey: PrimaryKey, options?: { condition?: WriteCondition }): Promise<void>;
  getRange(table: string, query: RangeQuery): Promise<RangePage>;
  /** At most `BATCH_GET_LIMIT` keys of one table; results in the order of `primaryKeys`. */
  batchGetRow(table: string, primaryKeys: PrimaryKey[], options?: { columns?: string[] }): Promise<(Row | undefined)[]>;
  /** At most `BATCH_WRITE_LIMIT` rows and no primary key twice; results in the order of `ops`. */
  batchWriteRow(ops: BatchWriteOp[]): Promise<BatchWriteResult[]>;
}
