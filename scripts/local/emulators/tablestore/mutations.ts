/**
 * Row writes with TableStore's rules, shared by PutRow/UpdateRow/DeleteRow and BatchWriteRow: request validation
 * (OTSParameterInvalid), the condition check (OTSConditionCheckFail, nothing changed), then the change — with
 * its kept versions trimmed to the table's max versions and, when the table has a stream, its stream record in
 * the same transaction. https://www.alibabacloud.com/help/en/tablestore/developer-reference/putrow (UpdateRow,
 * DeleteRow alike).
 */
import { conditionCheckFail, notEmulated, parameterInvalid } from './errors';
import { conditionHolds, ROW_EXISTENCE, type WriteCondition } from './conditions';
import { encodeKey } from './keys';
import { writeRows, type RequestRow, type WriteCell } from './plain-buffer';
import { checkDefinedTypes, maintainIndexes } from './secondary';
import type { Storage } from './storage';
import { checkKey, liveRow, NAME_PATTERN, valueSize, type CellVersion, type LiveRow, type TableHandle, type TableMeta } from './table';
import type { PkCell, PkValue } from './values';

export type WriteType = 'PUT' | 'UPDATE' | 'DELETE';

export interface WriteContext {
  storage: Storage;
  table: TableHandle;
  now: number;
  /** Told about every row written (search indexes refresh it) and every stream record appended. */
  changed(table: TableHandle, key: Buffer, streamId: string | undefined): void;
}

export interface WriteResult {
  /** The row's key as stored (an AUTO_INCREMENT column filled in). */
  primaryKey: PkCell[];
  /** The row after the write (undefined after a delete). */
  after: LiveRow | undefined;
  /** Columns this write put or incremented. */
  modified: Set<string>;
}

/** TableStore's limits (https://www.alibabacloud.com/help/en/tablestore/product-overview/limits-on-widecolumn-model). */
export const LIMITS = {
  pkValueBytes: 1024,
  attributeValueBytes: 2 * 1024 * 1024,
  columnsPerWrite: 1024,
  rowWriteBytes: 4 * 1024 * 1024,
} as const;

/** Stream record action types (tablestore.proto `ActionType`). */
export const ACTION = { PUT_ROW: 1, UPDATE_ROW: 2, DELETE_ROW: 3 } as const;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
/** Cell timestamps are milliseconds in [0, INT64_MAX / 1000). */
const MAX_TIMESTAMP = Number(INT64_MAX / 1000n);

/**
 * The row's primary key checked against the schema, with an AUTO_INCREMENT column (PutRow only) replaced by
 * the next value of its sequence.
 */
export function rowKey(context: Pick<WriteContext, 'storage' | 'table' | 'now'>, row: RequestRow, options: { autoIncrement?: boolean } = {}): PkCell[] {
  const { table } = context;
  if (row.primaryKey.some((c) => c.value.type === 'INF_MIN' || c.value.type === 'INF_MAX')) throw parameterInvalid('INF_MIN and INF_MAX can only be used in range bounds.');
  const wantsAuto = row.primaryKey.some((c) => c.value.type === 'AUTO_INCREMENT');
  if (wantsAuto && !options.autoIncrement) throw parameterInvalid('PKAutoIncr can only be used in PutRow (and the PUT rows of BatchWriteRow).');
  checkKey(table.meta, row.primaryKey, { autoIncrement: options.autoIncrement ?? false });
  for (const { name, value } of row.primaryKey) {
    const size = value.type === 'STRING' ? Buffer.byteLength(value.value) : value.type === 'BINARY' ? value.value.length : 0;
    if (size > LIMITS.pkValueBytes) throw parameterInvalid(`The length of primary key column: '${name}' exceeds the MaxLength:${LIMITS.pkValueBytes} with CurrentLength:${size}.`);
  }
  // A complete key is the request's own (checked above): no copy of it per row.
  if (!wantsAuto) return row.primaryKey as PkCell[];
  return row.primaryKey.map((c) => {
    if (c.value.type !== 'AUTO_INCREMENT') return { name: c.name, value: c.value as PkValue };
    // Increasing values, like TableStore's (which are not consecutive either): at least the clock in µs.
    const next = context.storage.nextSequence(table, c.name, BigInt(context.now) * 1000n);
    return { name: c.name, value: { type: 'INTEGER', value: next } };
  });
}

/**
 * The encoded key of a request row that names a complete key (no AUTO_INCREMENT, no INF bound), encoded once per
 * row: a batch checks its keys for duplicates before writing, and the writer needs the same bytes (D94). Only
 * for a key `checkKey` accepted.
 */
const encodedKeys = new WeakMap<RequestRow, Buffer>();
export function encodedRowKey(row: RequestRow): Buffer {
  let bytes = encodedKeys.get(row);
  if (!bytes) {
    bytes = encodeKey(row.primaryKey as PkCell[]);
    encodedKeys.set(row, bytes);
  }
  return bytes;
}

/** The key's bytes as stored: the row's own unless an AUTO_INCREMENT column was filled in. */
function storedKey(row: RequestRow, key: PkCell[]): Buffer {
  return key === row.primaryKey ? encodedRowKey(row) : encodeKey(key);
}

/** The data size a write counts against the 4 MB limits: key, column names and values. */
export function writeSize(row: RequestRow): number {
  const key = row.primaryKey.reduce((n, c) => n + Buffer.byteLength(c.name) + (c.value.type === 'STRING' || c.value.type === 'BINARY' || c.value.type === 'INTEGER' ? valueSize(c.value) : 8), 0);
  return key + row.cells.reduce((n, c) => n + Buffer.byteLength(c.name) + (c.value ? valueSize(c.value) : 0), 0);
}

function checkColumns(context: WriteContext, row: RequestRow, operation: 'PutRow' | 'UpdateRow'): void {
  const { meta } = context.table;
  if (row.cells.length > LIMITS.columnsPerWrite) throw parameterInvalid(`The number of attribute columns exceeds the limit, limit count:${LIMITS.columnsPerWrite}, column count:${row.cells.length}.`);
  const size = writeSize(row);
  if (size > LIMITS.rowWriteBytes) throw parameterInvalid(`The total data size of ${operation} request exceeds the limit, limit size:${LIMITS.rowWriteBytes}, data size:${size}.`);
  const pkNames = primaryKeyNames(meta);
  // Names written so far, with the versions each was written in (a plain set while no cell names a version).
  const names = new Set<string>();
  let versionsSeen: Map<string, Set<number | undefined>> | undefined;
  const deviation = meta.deviationSeconds * 1000;
  const ttl = meta.ttlSeconds > 0 ? meta.ttlSeconds * 1000 : undefined;
  for (const cell of row.cells) {
    if (!NAME_PATTERN.test(cell.name)) throw parameterInvalid(`Invalid column name: '${cell.name}'.`);
    if (pkNames.has(cell.name)) throw parameterInvalid(`Duplicated attribute column name with primary key column:${cell.name}.`);
    // One column may be written in several versions at once, never twice in the same one.
    if (cell.timestamp === undefined && !versionsSeen) {
      if (names.has(cell.name)) throw parameterInvalid(`Duplicated attribute column name: ${cell.name}.`);
      names.add(cell.name);
    } else {
      versionsSeen ??= new Map([...names].map((name) => [name, new Set<number | undefined>([undefined])]));
      const versions = versionsSeen.get(cell.name) ?? new Set();
      if (versions.has(cell.timestamp) || (cell.timestamp === undefined && versions.size > 0) || versions.has(undefined)) throw parameterInvalid(`Duplicated attribute column name: ${cell.name}.`);
      versions.add(cell.timestamp);
      versionsSeen.set(cell.name, versions);
    }
    const v = cell.value;
    if (v?.type === 'DOUBLE' && !Number.isFinite(v.value)) throw parameterInvalid(Number.isNaN(v.value) ? "NaN can't be set to double value." : "Infinity can't be set to double value.");
    const bytes = v?.type === 'STRING' ? Buffer.byteLength(v.value) : v?.type === 'BINARY' ? v.value.length : 0;
    if (bytes > LIMITS.attributeValueBytes) throw parameterInvalid(`The length of attribute column: '${cell.name}' exceeded the MaxLength:${LIMITS.attributeValueBytes} with CurrentLength:${bytes}.`);
    if (cell.timestamp !== undefined && cell.op !== 'DELETE_ONE_VERSION') {
      if (cell.timestamp < 0 || cell.timestamp >= MAX_TIMESTAMP) throw parameterInvalid(`Invalid cell timestamp: ${cell.timestamp}. Expect: [0, ${MAX_TIMESTAMP}).`);
      // Valid versions: [now - min(deviation, ttl), now + deviation).
      const oldest = context.now - Math.min(deviation, ttl ?? deviation);
      if (cell.timestamp < oldest || cell.timestamp >= context.now + deviation) throw parameterInvalid(`Invalid timestamp. Cell:${cell.name}.`);
    }
  }
  if (meta.secondaryIndexes) checkDefinedTypes(meta, row.cells);
}

const pkNamesByMeta = new WeakMap<TableMeta, Set<string>>();
function primaryKeyNames(meta: TableMeta): Set<string> {
  let names = pkNamesByMeta.get(meta);
  if (!names) {
    names = new Set(meta.primaryKey.map((c) => c.name));
    pkNamesByMeta.set(meta, names);
  }
  return names;
}

function check(condition: WriteCondition, existing: LiveRow | undefined): void {
  if (!conditionHolds(condition, existing)) throw conditionCheckFail();
}

/** Versions newest first, at most `max` of them. */
function trimmed(versions: CellVersion[], max: number): CellVersion[] {
  return versions.sort((a, b) => b.timestamp - a.timestamp).slice(0, max);
}

function addVersion(columns: Map<string, CellVersion[]>, name: string, version: CellVersion, max: number): void {
  const existing = columns.get(name);
  // The usual case (a column written once, in a new row or a PutRow): nothing to merge or trim.
  if (!existing) return void columns.set(name, max > 0 ? [version] : []);
  const kept = existing.filter((v) => v.timestamp !== version.timestamp);
  columns.set(name, trimmed([...kept, version], max));
}

/** Appends the stream record of a change when the table has a stream; returns its stream id. */
function record(context: WriteContext, action: number, key: readonly PkCell[], cells: readonly WriteCell[] | (() => WriteCell[]), deleteMarker = false): string | undefined {
  const stream = context.table.meta.stream;
  if (!stream) return undefined;
  context.storage.appendStream(stream.streamId, action, writeRows([{ primaryKey: key, cells: typeof cells === 'function' ? cells() : cells, deleteMarker }]), context.now);
  return stream.streamId;
}

function existingRow(context: WriteContext, keyBytes: Buffer): { row: LiveRow | undefined; columns: Map<string, CellVersion[]> } {
  const stored = context.storage.getRow(context.table, keyBytes);
  const row = liveRow(context.table.meta, stored, context.now);
  return { row, columns: row ? new Map(stored!.columns) : new Map() };
}

/** PutRow: replace the whole row (every column and every version of the old one). */
export function putRow(context: WriteContext, row: RequestRow, condition: WriteCondition): WriteResult {
  const autoIncrement = row.primaryKey.some((c) => c.value.type === 'AUTO_INCREMENT');
  if (autoIncrement && (condition.rowExistence !== ROW_EXISTENCE.IGNORE || condition.columnCondition)) {
    throw parameterInvalid(`Can't set condition when modify row with pk auto increment.`);
  }
  if (row.deleteMarker) throw parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  for (const cell of row.cells) {
    if (cell.op !== 'PUT') throw parameterInvalid(`OpType cannot be given for column name:${cell.name} in PutRow.`);
    if (!cell.value) throw parameterInvalid('Invalid request of put row: find cells without values.');
  }
  checkColumns(context, row, 'PutRow');
  const key = rowKey(context, row, { autoIncrement: true });
  const keyBytes = storedKey(row, key);
  // PutRow replaces the row: what was there matters only to a condition and to the table's indexes.
  const indexed = context.table.meta.secondaryIndexes !== undefined;
  const before = indexed || condition.rowExistence !== ROW_EXISTENCE.IGNORE || condition.columnCondition ? liveRow(context.table.meta, context.storage.getRow(context.table, keyBytes), context.now) : undefined;
  if (condition.rowExistence !== ROW_EXISTENCE.IGNORE || condition.columnCondition) check(condition, before);
  const { maxVersions } = context.table.meta;
  const columns = new Map<string, CellVersion[]>();
  for (const cell of row.cells) addVersion(columns, cell.name, { timestamp: cell.timestamp ?? context.now, value: cell.value! }, maxVersions);
  context.storage.putRow(context.table, keyBytes, columns, context.now);
  if (indexed) maintainIndexes(context.storage, context.table, before, liveRow(context.table.meta, { primaryKey: key, columns, writtenAt: context.now }, context.now), context.now);
  context.changed(context.table, keyBytes, record(context, ACTION.PUT_ROW, key, () => row.cells.map((cell) => ({ name: cell.name, value: cell.value!, timestamp: cell.timestamp ?? context.now }))));
  const { meta } = context.table;
  const now = context.now;
  return {
    primaryKey: key,
    // Only ReturnContent reads these: most writes (every row of a batch) never build them.
    get after() {
      return liveRow(meta, { primaryKey: key, columns, writtenAt: now }, now);
    },
    get modified() {
      return new Set(columns.keys());
    },
  };
}

/** UpdateRow: change the named columns, creating the row when missing (unless the condition forbids it). */
export function updateRow(context: WriteContext, row: RequestRow, condition: WriteCondition): WriteResult {
  const { meta } = context.table;
  if (!meta.allowUpdate) throw parameterInvalid(`Table [${meta.name}] does not allow UpdateRow (allow_update is false).`);
  if (row.deleteMarker) throw parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  if (row.cells.length === 0) throw parameterInvalid('Invalid update row request: missing cells in request.');
  for (const cell of row.cells) {
    if (cell.op === 'DELETE_ALL_VERSION' && cell.value) throw parameterInvalid('Column value cannot be given when type is DELETE_ONE_VERSION,DELETE_ALL_VERSION.');
    if (cell.op === 'DELETE_ONE_VERSION' && cell.value) throw parameterInvalid('Column value cannot be given when type is DELETE_ONE_VERSION,DELETE_ALL_VERSION.');
    if (cell.op === 'DELETE_ALL_VERSION' && cell.timestamp !== undefined) throw parameterInvalid('Timestamp cannot be given when type is DELETE_ALL_VERSION.');
    if (cell.op === 'DELETE_ONE_VERSION' && cell.timestamp === undefined) throw parameterInvalid('Timestamp must be given when type is DELETE_ONE_VERSION.');
    if ((cell.op === 'PUT' || cell.op === 'INCREMENT') && !cell.value) throw parameterInvalid(`Invalid cell: ${cell.name}. Reason: missing value.`);
    if (cell.op === 'INCREMENT' && cell.value?.type !== 'INTEGER') throw parameterInvalid(`Increment value of column ${cell.name} must be an INTEGER.`);
    if (cell.op === 'INCREMENT' && cell.timestamp !== undefined) throw parameterInvalid(`Timestamp cannot be given when incrementing column ${cell.name}.`);
  }
  checkColumns(context, row, 'UpdateRow');
  const key = rowKey(context, row);
  const keyBytes = storedKey(row, key);
  const existing = existingRow(context, keyBytes);
  check(condition, existing.row);
  const columns = existing.columns;
  const modified = new Set<string>();
  const changes: WriteCell[] = [];
  for (const cell of row.cells) {
    if (cell.op === 'PUT') {
      const version = { timestamp: cell.timestamp ?? context.now, value: cell.value! };
      addVersion(columns, cell.name, version, meta.maxVersions);
      modified.add(cell.name);
      changes.push({ name: cell.name, value: version.value, timestamp: version.timestamp });
    } else if (cell.op === 'DELETE_ALL_VERSION') {
      columns.delete(cell.name);
      changes.push({ name: cell.name, op: 'DELETE_ALL_VERSION' });
    } else if (cell.op === 'DELETE_ONE_VERSION') {
      const left = (columns.get(cell.name) ?? []).filter((v) => v.timestamp !== cell.timestamp);
      if (left.length > 0) columns.set(cell.name, left);
      else columns.delete(cell.name);
      changes.push({ name: cell.name, op: 'DELETE_ONE_VERSION', timestamp: cell.timestamp! });
    } else {
      const live = existing.row?.cells.find((c) => c.name === cell.name)?.value;
      if (live && live.type !== 'INTEGER') throw parameterInvalid(`Column ${cell.name} is not an INTEGER and cannot be incremented.`);
      const sum = (live?.value ?? 0n) + (cell.value as { value: bigint }).value;
      if (sum < INT64_MIN || sum > INT64_MAX) throw parameterInvalid(`Integer overflow when incrementing ${cell.name}.`);
      const version = { timestamp: context.now, value: { type: 'INTEGER' as const, value: sum } };
      addVersion(columns, cell.name, version, meta.maxVersions);
      modified.add(cell.name);
      // The stream sees what is stored: the new value, as a put.
      changes.push({ name: cell.name, value: version.value, timestamp: version.timestamp });
    }
  }
  context.storage.putRow(context.table, keyBytes, columns, context.now);
  if (meta.secondaryIndexes) maintainIndexes(context.storage, context.table, existing.row, liveRow(meta, { primaryKey: key, columns, writtenAt: context.now }, context.now), context.now);
  context.changed(context.table, keyBytes, record(context, ACTION.UPDATE_ROW, key, changes));
  const now = context.now;
  return {
    primaryKey: key,
    get after() {
      return liveRow(meta, { primaryKey: key, columns, writtenAt: now }, now);
    },
    modified,
  };
}

/** DeleteRow: remove the row (IGNORE and EXPECT_EXIST only, per the DeleteRow reference). */
export function deleteRow(context: WriteContext, row: RequestRow, condition: WriteCondition): WriteResult {
  if (!row.deleteMarker) throw parameterInvalid('Invalid request of delete row: missing RowDeleteMarker in request.');
  if (row.cells.length > 0) throw parameterInvalid('Invalid delete row request: unexpected cells in request.');
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_NOT_EXIST) throw parameterInvalid('Invalid row-existence expectation: EXPECT_NOT_EXIST is not allowed for DeleteRow.');
  const key = rowKey(context, row);
  const keyBytes = storedKey(row, key);
  const existing = existingRow(context, keyBytes).row;
  check(condition, existing);
  context.storage.deleteRow(context.table, keyBytes);
  if (context.table.meta.secondaryIndexes) maintainIndexes(context.storage, context.table, existing, undefined, context.now);
  // Deleting a row that is not there changes nothing, so it records nothing.
  if (existing) context.changed(context.table, keyBytes, record(context, ACTION.DELETE_ROW, key, [], true));
  return { primaryKey: key, after: undefined, modified: new Set() };
}

export const WRITERS: Record<WriteType, typeof putRow> = { PUT: putRow, UPDATE: updateRow, DELETE: deleteRow };

/**
 * Whether a writer changes storage with one SQL statement, as its last step: every check (the condition
 * included) comes first, and only a stream record or an AUTO_INCREMENT sequence would add a second write. Such
 * a batch row needs no savepoint of its own (`Storage.withoutSavepoint`, which enforces this). A table with
 * secondary indexes writes its index rows too.
 */
export function writesOneStatement(table: TableHandle, row: RequestRow): boolean {
  return !table.meta.stream && !table.meta.secondaryIndexes && !row.primaryKey.some((c) => c.value.type === 'AUTO_INCREMENT');
}

/** Local transactions are not emulated: a request naming one is refused rather than run outside it. */
export function rejectTransaction(request: { transactionId?: string | null }): void {
  if (request.transactionId) throw notEmulated('Local transactions (transaction_id)');
}

