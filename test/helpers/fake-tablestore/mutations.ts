/**
 * Row writes with TableStore's rules, shared by PutRow/UpdateRow/DeleteRow and BatchWriteRow: request
 * validation (OTSParameterInvalid), the condition check (OTSConditionCheckFail, nothing changed), then the change.
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/putrow (UpdateRow, DeleteRow alike).
 */
import { conditionCheckFail, parameterInvalid } from './errors';
import { conditionHolds, ROW_EXISTENCE, type WriteCondition } from './conditions';
import type { RequestRow } from './plain-buffer';
import { NAME_PATTERN, type FakeTable, type LiveRow, type StoredCell } from './store';
import type { PkCell, PkValue } from './values';

export type WriteType = 'PUT' | 'UPDATE' | 'DELETE';

export interface WriteResult {
  /** The row after the write (undefined after a delete). */
  after: LiveRow | undefined;
  /** Columns this write put or incremented. */
  modified: Set<string>;
}

/** TableStore's limits on STRING/BINARY values (https://www.alibabacloud.com/help/en/tablestore/product-overview/limits). */
export const MAX_ATTRIBUTE_VALUE_BYTES = 2 * 1024 * 1024;
export const MAX_PK_VALUE_BYTES = 1024;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/** The row's primary key, checked against the table schema (no INF_MIN/INF_MAX, no AUTO_INCREMENT). */
export function rowKey(table: FakeTable, row: RequestRow): PkCell[] {
  if (row.primaryKey.some((c) => c.value.type === 'AUTO_INCREMENT')) throw parameterInvalid('AUTO_INCREMENT primary keys are not supported by this emulator.');
  if (row.primaryKey.some((c) => c.value.type === 'INF_MIN' || c.value.type === 'INF_MAX')) throw parameterInvalid('INF_MIN and INF_MAX can only be used in range bounds.');
  table.checkKey(row.primaryKey);
  for (const { name, value } of row.primaryKey) {
    const size = value.type === 'STRING' ? Buffer.byteLength(value.value) : value.type === 'BINARY' ? value.value.length : 0;
    if (size > MAX_PK_VALUE_BYTES) throw parameterInvalid(`The length of primary key column: '${name}' exceeded the MaxLength:${MAX_PK_VALUE_BYTES} with CurrentLength:${size}.`);
  }
  return row.primaryKey.map((c) => ({ name: c.name, value: c.value as PkValue }));
}

function checkColumns(table: FakeTable, row: RequestRow, now: number): void {
  const seen = new Set<string>();
  const pkNames = new Set(table.schema.primaryKey.map((c) => c.name));
  const deviation = (table.schema.maxTimeDeviationSeconds ?? 86400) * 1000;
  const ttl = table.ttlMs;
  for (const cell of row.cells) {
    if (!NAME_PATTERN.test(cell.name)) throw parameterInvalid(`Invalid column name: '${cell.name}'.`);
    if (pkNames.has(cell.name)) throw parameterInvalid(`Duplicated attribute column name with primary key column:${cell.name}.`);
    if (seen.has(cell.name)) throw parameterInvalid(`Duplicated attribute column name: ${cell.name}.`);
    seen.add(cell.name);
    const v = cell.value;
    const size = v?.type === 'STRING' ? Buffer.byteLength(v.value) : v?.type === 'BINARY' ? v.value.length : 0;
    if (size > MAX_ATTRIBUTE_VALUE_BYTES) throw parameterInvalid(`The length of attribute column: '${cell.name}' exceeds the MaxLength:${MAX_ATTRIBUTE_VALUE_BYTES} with CurrentLength:${size}.`);
    if (cell.timestamp !== undefined) {
      // Valid versions: [now - min(deviation, ttl), now + deviation).
      const oldest = now - Math.min(deviation, ttl ?? deviation);
      if (cell.timestamp < oldest || cell.timestamp >= now + deviation) throw parameterInvalid(`Invalid timestamp. Cell:${cell.name}.`);
    }
  }
}

function check(condition: WriteCondition, existing: LiveRow | undefined): void {
  if (!conditionHolds(condition, existing)) throw conditionCheckFail();
}

/** PutRow: replace the whole row. */
export function putRow(table: FakeTable, row: RequestRow, condition: WriteCondition, now: number): WriteResult {
  const key = rowKey(table, row);
  if (row.deleteMarker) throw parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  checkColumns(table, row, now);
  for (const cell of row.cells) {
    if (cell.op !== 'PUT') throw parameterInvalid(`OpType cannot be given for column name:${cell.name} in PutRow.`);
    if (!cell.value) throw parameterInvalid('Invalid request of put row: find cells without values.');
  }
  check(condition, table.get(key, now));
  const cells = new Map<string, StoredCell>(row.cells.map((c) => [c.name, { value: c.value!, timestamp: c.timestamp ?? now }]));
  table.write(key, cells, now);
  return { after: table.get(key, now), modified: new Set(cells.keys()) };
}

/** UpdateRow: change the named columns, creating the row when missing (unless the condition forbids it). */
export function updateRow(table: FakeTable, row: RequestRow, condition: WriteCondition, now: number): WriteResult {
  const key = rowKey(table, row);
  if (row.deleteMarker) throw parameterInvalid('Invalid request of put/update row: unexpected RowDeleteMarker in request.');
  if (row.cells.length === 0) throw parameterInvalid('Invalid update row request: missing cells in request.');
  checkColumns(table, row, now);
  for (const cell of row.cells) {
    if (cell.op === 'DELETE_ALL_VERSION' && cell.value) throw parameterInvalid('Column value cannot be given when type is DELETE_ONE_VERSION,DELETE_ALL_VERSION.');
    if (cell.op === 'DELETE_ALL_VERSION' && cell.timestamp !== undefined) throw parameterInvalid('Timestamp cannot be given when type is DELETE_ALL_VERSION.');
    if (cell.op === 'DELETE_ONE_VERSION' && cell.timestamp === undefined) throw parameterInvalid('Timestamp must be given when type is DELETE_ONE_VERSION.');
    if ((cell.op === 'PUT' || cell.op === 'INCREMENT') && !cell.value) throw parameterInvalid(`Invalid cell: ${cell.name}. Reason: missing value.`);
    if (cell.op === 'INCREMENT' && cell.value?.type !== 'INTEGER') throw parameterInvalid(`Increment value of column ${cell.name} must be an INTEGER.`);
  }
  const existing = table.get(key, now);
  check(condition, existing);
  const cells = new Map<string, StoredCell>((existing?.cells ?? []).map((c) => [c.name, { value: c.value, timestamp: c.timestamp }]));
  const modified = new Set<string>();
  for (const cell of row.cells) {
    if (cell.op === 'PUT') {
      cells.set(cell.name, { value: cell.value!, timestamp: cell.timestamp ?? now });
      modified.add(cell.name);
    } else if (cell.op === 'DELETE_ALL_VERSION') {
      cells.delete(cell.name);
    } else if (cell.op === 'DELETE_ONE_VERSION') {
      if (cells.get(cell.name)?.timestamp === cell.timestamp) cells.delete(cell.name);
    } else {
      const current = cells.get(cell.name)?.value;
      if (current && current.type !== 'INTEGER') throw parameterInvalid(`Column ${cell.name} is not an INTEGER and cannot be incremented.`);
      const sum = (current?.value ?? 0n) + (cell.value as { value: bigint }).value;
      if (sum < INT64_MIN || sum > INT64_MAX) throw parameterInvalid(`Integer overflow when incrementing ${cell.name}.`);
      cells.set(cell.name, { value: { type: 'INTEGER', value: sum }, timestamp: now });
      modified.add(cell.name);
    }
  }
  table.write(key, cells, now);
  return { after: table.get(key, now), modified };
}

/** DeleteRow: remove the row (IGNORE and EXPECT_EXIST only, per the DeleteRow reference). */
export function deleteRow(table: FakeTable, row: RequestRow, condition: WriteCondition, now: number): WriteResult {
  const key = rowKey(table, row);
  if (!row.deleteMarker) throw parameterInvalid('Invalid request of delete row: missing RowDeleteMarker in request.');
  if (row.cells.length > 0) throw parameterInvalid('Invalid delete row request: unexpected cells in request.');
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_NOT_EXIST) throw parameterInvalid('Invalid row-existence expectation: EXPECT_NOT_EXIST is not allowed for DeleteRow.');
  check(condition, table.get(key, now));
  table.remove(key);
  return { after: undefined, modified: new Set() };
}

export const WRITERS: Record<WriteType, typeof putRow> = { PUT: putRow, UPDATE: updateRow, DELETE: deleteRow };
