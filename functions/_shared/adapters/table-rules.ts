import { ValidationError } from '../errors';
import type { AttrValue, ColumnCondition, RangeQuery, RowUpdate, TableSchema, WriteCondition } from '../ports/table';
import { encodeBound } from './pk-codec';
import { TABLESTORE_MAX_CONDITIONS } from './tablestore-limits';

/**
 * Request rules the Table adapter enforces before sending anything, so a request TableStore would refuse
 * (TableStore answers OTSParameterInvalid) fails the same way locally, with a ValidationError naming the field:
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/error-codes
 *
 * - Column names follow TableStore's naming rule: letters, digits and `_`, not starting with a digit, ≤ 255
 *   bytes; an attribute may not share a primary key column's name.
 * - `timestamp` is reserved: the `tablestore` SDK reads an attribute object's `timestamp` key as the cell's
 *   version (plain_buffer_coded_stream.js writeColumns), so such a column cannot be written faithfully.
 * - Numbers are finite; safe integers travel as INTEGER, every other number as DOUBLE (`isInteger`).
 * - A STRING/BINARY value is at most 2 MiB (primary key values 1 KiB, checked in `pk-codec.ts`).
 * - An update changes at least one column and names each column once (TableStore refuses both).
 * - DeleteRow takes IGNORE or EXPECT_EXIST only (DeleteRow API reference).
 * - GetRange needs start < end FORWARD and start > end BACKWARD, and a limit of at least 1.
 * - A column condition or a filter holds at most 10 single-column conditions, the leaves of its AND/OR/NOT counted
 *   (the filter and conditional-update docs): `tablestore-limits.ts`, which the local emulator enforces too.
 */
const COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
export const RESERVED_ATTRIBUTE_NAMES: readonly string[] = ['timestamp'];

function invalid(path: string, message: string): ValidationError {
  return new ValidationError(`${path}: ${message}`, [{ path, message }]);
}

/** Safe integers are INTEGER; any other finite number is DOUBLE. */
export function isInteger(value: number): boolean {
  return Number.isSafeInteger(value);
}

export function checkColumnName(schema: TableSchema, name: string, path: string): void {
  if (!COLUMN_NAME.test(name)) throw invalid(path, `invalid column name '${name}' (letters, digits and _, not starting with a digit)`);
  if (schema.primaryKey.some((c) => c.name === name)) throw invalid(path, `'${name}' is a primary key column of ${schema.name}`);
  if (RESERVED_ATTRIBUTE_NAMES.includes(name)) throw invalid(path, `'${name}' is reserved (the tablestore SDK reads it as the cell version)`);
}

/** TableStore's limit on one STRING or BINARY attribute value (https://www.alibabacloud.com/help/en/tablestore/product-overview/limits). */
export const MAX_ATTRIBUTE_VALUE_BYTES = 2 * 1024 * 1024;

export function checkValue(value: AttrValue, path: string): void {
  if (typeof value === 'number' && !Number.isFinite(value)) throw invalid(path, 'numbers must be finite');
  const ok = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' || value instanceof Uint8Array;
  if (!ok) throw invalid(path, 'attribute values are strings, numbers, booleans or Uint8Array');
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value instanceof Uint8Array ? value.length : 0;
  if (size > MAX_ATTRIBUTE_VALUE_BYTES) throw invalid(path, `${size} bytes; TableStore allows ${MAX_ATTRIBUTE_VALUE_BYTES} per value`);
}

export function checkAttributes(schema: TableSchema, attributes: Readonly<Record<string, AttrValue>>, path = 'attributes'): void {
  for (const [name, value] of Object.entries(attributes)) {
    checkColumnName(schema, name, `${path}.${name}`);
    checkValue(value, `${path}.${name}`);
  }
}

export function checkUpdate(schema: TableSchema, update: RowUpdate): void {
  const seen = new Set<string>();
  const named = (name: string, path: string) => {
    checkColumnName(schema, name, path);
    if (seen.has(name)) throw invalid(path, `column ${name} is named twice in one update`);
    seen.add(name);
  };
  for (const [name, value] of Object.entries(update.put ?? {})) {
    named(name, `update.put.${name}`);
    checkValue(value, `update.put.${name}`);
  }
  for (const name of update.delete ?? []) named(name, `update.delete.${name}`);
  for (const [name, delta] of Object.entries(update.increment ?? {})) {
    named(name, `update.increment.${name}`);
    if (!Number.isSafeInteger(delta)) throw invalid(`update.increment.${name}`, 'an increment is a safe integer');
  }
  if (seen.size === 0) throw invalid('update', 'an update changes at least one column');
}

/** The condition, checked as a whole: each part (below), then how many single-column conditions it holds. */
export function checkColumnCondition(schema: TableSchema, condition: ColumnCondition, path = 'condition.columns'): void {
  checkConditionParts(schema, condition, path);
  const count = conditionColumns(condition).length;
  if (count > TABLESTORE_MAX_CONDITIONS) throw invalid(path, `${count} conditions; TableStore takes at most ${TABLESTORE_MAX_CONDITIONS} in one condition or filter`);
}

function checkConditionParts(schema: TableSchema, condition: ColumnCondition, path: string): void {
  if ('and' in condition || 'or' in condition) {
    const parts = 'and' in condition ? condition.and : condition.or;
    if (parts.length === 0) throw invalid(path, 'AND/OR need at least one condition');
    parts.forEach((part, i) => checkConditionParts(schema, part, `${path}.${i}`));
    return;
  }
  if ('not' in condition) return checkConditionParts(schema, condition.not, `${path}.not`);
  if (!COLUMN_NAME.test(condition.column)) throw invalid(`${path}.column`, `invalid column name '${condition.column}'`);
  checkValue(condition.value, `${path}.value`);
}

export function checkWriteCondition(schema: TableSchema, condition: WriteCondition | undefined, operation: 'put' | 'update' | 'delete'): void {
  if (operation === 'delete' && condition?.row === 'EXPECT_NOT_EXIST') throw invalid('condition.row', 'deleteRow takes IGNORE or EXPECT_EXIST');
  if (condition?.columns) checkColumnCondition(schema, condition.columns);
}

export function checkRange(schema: TableSchema, query: RangeQuery): void {
  if (query.limit !== undefined && (!Number.isSafeInteger(query.limit) || query.limit < 1)) throw invalid('limit', 'limit is an integer of at least 1');
  const start = encodeBound(schema.primaryKey, query.start, schema.name);
  const end = encodeBound(schema.primaryKey, query.end, schema.name);
  const order = Buffer.compare(start, end);
  if (query.direction === 'BACKWARD' ? order <= 0 : order >= 0) {
    throw invalid('start', query.direction === 'BACKWARD' ? 'a BACKWARD range starts above its end' : 'a FORWARD range starts below its end');
  }
  for (const name of query.columns ?? []) if (!COLUMN_NAME.test(name)) throw invalid(`columns.${name}`, `invalid column name '${name}'`);
  if (query.filter) checkColumnCondition(schema, query.filter, 'filter');
}

/** Column names a column condition reads. */
export function conditionColumns(condition: ColumnCondition): string[] {
  if ('and' in condition) return condition.and.flatMap(conditionColumns);
  if ('or' in condition) return condition.or.flatMap(conditionColumns);
  if ('not' in condition) return conditionColumns(condition.not);
  return [condition.column];
}
