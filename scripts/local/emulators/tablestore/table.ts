/**
 * A table as the emulator holds it: its metadata (schema, TTL, max versions, stream), the stored form of a row
 * (every kept version of every column, with its timestamp), and the live view of a row at an instant (TTL
 * applied). Rows are kept in SQLite by `storage.ts`; this module is the meaning of what is stored.
 */
import { invalidPk } from './errors';
import type { PkType } from './keys';
import type { SecondaryIndexMeta } from './secondary';
import type { CellValue, PkBound, PkCell } from './values';

export type DefinedColumnType = 'INTEGER' | 'DOUBLE' | 'BOOLEAN' | 'STRING' | 'BINARY';

export interface StreamSettings {
  /** Identifies this enabling of the stream (a new id after it is disabled and enabled again). */
  streamId: string;
  /** Hours a record is kept (TableStore: 1–168). */
  expirationHours: number;
  /** When the stream was enabled (ms). */
  enabledAt: number;
}

export interface TableMeta {
  name: string;
  primaryKey: { name: string; type: PkType; autoIncrement?: boolean }[];
  definedColumns: { name: string; type: DefinedColumnType }[];
  /** Seconds; -1 keeps data forever. */
  ttlSeconds: number;
  maxVersions: number;
  /** TableStore's max version offset (`deviation_cell_version_in_sec`), default 86 400 s. */
  deviationSeconds: number;
  allowUpdate: boolean;
  reserved: { read: number; write: number; lastIncreaseTime: number; lastDecreaseTime?: number };
  stream?: StreamSettings;
  createdAt: number;
  /** A data table's secondary indexes (each also a table of its own, `indexOf` this one). */
  secondaryIndexes?: SecondaryIndexMeta[];
  /** Set on an index table: the data table it indexes (index tables are read-only). */
  indexOf?: string;
}

/** A table and its storage id (a recreated table gets a new id, so no old row can reappear). */
export interface TableHandle {
  id: number;
  instance: string;
  meta: TableMeta;
}

/** TableStore's naming rule for tables and columns: letters, digits and `_`, not starting with a digit, ≤ 255 bytes. */
export const NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;

export interface CellVersion {
  timestamp: number;
  value: CellValue;
}

/** The stored row: every kept version of each column, newest first. */
export interface StoredRow {
  primaryKey: PkCell[];
  columns: Map<string, CellVersion[]>;
  /** When the row was last written (ms): a row without columns expires by it. */
  writtenAt: number;
}

export interface LiveCell {
  name: string;
  value: CellValue;
  timestamp: number;
}

/** A row as seen at one instant: live versions only, columns by name, versions newest first. */
export interface LiveRow {
  primaryKey: PkCell[];
  cells: LiveCell[];
}

export function ttlMs(meta: TableMeta): number | undefined {
  return meta.ttlSeconds > 0 ? meta.ttlSeconds * 1000 : undefined;
}

/** The live view of a stored row at `now`, or undefined when it does not exist or everything in it expired. */
export function liveRow(meta: TableMeta, row: StoredRow | undefined, now: number): LiveRow | undefined {
  if (!row) return undefined;
  const ttl = ttlMs(meta);
  const cells: LiveCell[] = [];
  const names = [...row.columns.keys()].sort(compareNames);
  for (const name of names) {
    // Versions beyond max_versions (left by lowering it with UpdateTable) are gone at once, like expired ones.
    for (const version of row.columns.get(name)!.slice(0, meta.maxVersions)) {
      if (ttl !== undefined && version.timestamp + ttl <= now) continue;
      cells.push({ name, value: version.value, timestamp: version.timestamp });
    }
  }
  if (cells.length === 0 && (row.columns.size > 0 || (ttl !== undefined && row.writtenAt + ttl <= now))) return undefined;
  return { primaryKey: row.primaryKey, cells };
}

/**
 * Whether a stored row (its columns as `encodeColumns` wrote them) is gone at `now` — exactly when `liveRow`
 * answers undefined — read from the JSON alone, without decoding values: the sweep asks it of every row.
 */
export function storedRowExpired(meta: TableMeta, columns: string, writtenAt: number, now: number): boolean {
  return storedRowOldest(meta, columns, writtenAt, now) === undefined;
}

/**
 * The same judgement in one parse, for the sweep: undefined when the row is gone at `now`, otherwise the oldest
 * of its write time and every stored cell timestamp (the walk's bound on what the table holds, D86).
 */
export function storedRowOldest(meta: TableMeta, columns: string, writtenAt: number, now: number): number | undefined {
  const ttl = ttlMs(meta);
  const parsed = JSON.parse(columns) as Record<string, [number, ...unknown[]][]>;
  let hasColumns = false;
  let live = false;
  let oldest = writtenAt;
  for (const versions of Object.values(parsed)) {
    hasColumns = true;
    const kept = Math.min(versions.length, meta.maxVersions);
    for (let i = 0; i < versions.length; i++) {
      const timestamp = versions[i]![0];
      if (timestamp < oldest) oldest = timestamp;
      if (i < kept && (ttl === undefined || timestamp + ttl > now)) live = true;
    }
  }
  const expired = ttl !== undefined && !live && (hasColumns || writtenAt + ttl <= now);
  return expired ? undefined : oldest;
}

/** The newest live value of each column (what conditions, filters and the search index look at). */
export function latestCells(row: LiveRow): LiveCell[] {
  const out: LiveCell[] = [];
  for (const cell of row.cells) if (out[out.length - 1]?.name !== cell.name) out.push(cell);
  return out;
}

/** Column names compare byte-wise, as TableStore returns columns. */
export function compareNames(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Check a request's primary key against the schema: every column, in order, of the right type. */
export function checkKey(meta: TableMeta, key: readonly { name: string; value: PkBound }[], options: { bounds?: boolean; autoIncrement?: boolean } = {}): void {
  const schema = meta.primaryKey;
  if (key.length !== schema.length) throw invalidPk(`Validate PK size fail. Input: ${key.length}, Meta: ${schema.length}.`);
  key.forEach((cell, i) => {
    const column = schema[i]!;
    if (cell.name !== column.name) throw invalidPk(`Validate PK name fail. Input: ${cell.name}, Meta: ${column.name}.`);
    const type = cell.value.type;
    if ((type === 'INF_MIN' || type === 'INF_MAX') && options.bounds) return;
    if (type === 'AUTO_INCREMENT' && options.autoIncrement && column.autoIncrement) return;
    if (type !== column.type) throw invalidPk(`Validate PK type fail. Input: ${WIRE_TYPES[type]}, Meta: ${WIRE_TYPES[column.type]}.`);
  });
}

/** PlainBuffer's names of key value types, which TableStore's OTSInvalidPK messages use. */
const WIRE_TYPES: Record<PkBound['type'], string> = { INTEGER: 'VT_INTEGER', STRING: 'VT_STRING', BINARY: 'VT_BLOB', INF_MIN: 'VT_INF_MIN', INF_MAX: 'VT_INF_MAX', AUTO_INCREMENT: 'VT_AUTO_INCREMENT' };

// ---- the stored form of a row's columns (JSON, so a row can be read with any SQLite tool) ----

type StoredValue = ['i', string] | ['d', number] | ['b', boolean] | ['s', string] | ['x', string];

function loadValue(stored: StoredValue): CellValue {
  switch (stored[0]) {
    case 'i':
      return { type: 'INTEGER', value: BigInt(stored[1]) };
    case 'd':
      return { type: 'DOUBLE', value: stored[1] };
    case 'b':
      return { type: 'BOOLEAN', value: stored[1] };
    case 's':
      return { type: 'STRING', value: stored[1] };
    case 'x':
      return { type: 'BINARY', value: Buffer.from(stored[1], 'base64') };
  }
}

/** One stored value as JSON array elements: `"d",1.5`, `"i","42"`… (the `StoredValue` form, without brackets). */
function storedJson(value: CellValue): string {
  switch (value.type) {
    case 'INTEGER':
      return `"i","${value.value.toString()}"`;
    case 'DOUBLE':
      return `"d",${JSON.stringify(value.value)}`;
    case 'BOOLEAN':
      return `"b",${String(value.value)}`;
    case 'STRING':
      return `"s",${JSON.stringify(value.value)}`;
    case 'BINARY':
      return `"x","${value.value.toString('base64')}"`;
  }
}

/**
 * `{column: [[timestamp, type, value], …newest first]}` — written as text directly (every row of every write
 * goes through here; building the arrays for JSON.stringify cost more than the SQLite insert).
 */
export function encodeColumns(columns: ReadonlyMap<string, CellVersion[]>): string {
  let json = '{';
  for (const [name, versions] of columns) {
    if (json.length > 1) json += ',';
    json += `${JSON.stringify(name)}:[`;
    for (let i = 0; i < versions.length; i++) json += `${i > 0 ? ',' : ''}[${versions[i]!.timestamp},${storedJson(versions[i]!.value)}]`;
    json += ']';
  }
  return `${json}}`;
}

export function decodeColumns(text: string): Map<string, CellVersion[]> {
  const parsed = JSON.parse(text) as Record<string, [number, ...StoredValue][]>;
  const columns = new Map<string, CellVersion[]>();
  for (const [name, versions] of Object.entries(parsed)) {
    columns.set(
      name,
      versions.map(([timestamp, ...value]) => ({ timestamp, value: loadValue(value as StoredValue) })),
    );
  }
  return columns;
}

/** Bytes a value counts for in size limits (TableStore counts names and values). */
export function valueSize(value: CellValue): number {
  if (value.type === 'STRING') return Buffer.byteLength(value.value);
  if (value.type === 'BINARY') return value.value.length;
  if (value.type === 'BOOLEAN') return 1;
  return 8;
}
