/**
 * BatchGetRow and BatchWriteRow (https://www.alibabacloud.com/help/en/tablestore/developer-reference/batchwriterow):
 * request-level errors (too many rows, a table or row named twice) fail the whole request; everything else is
 * answered per row, in request order, with HTTP 200 — partial failure is normal.
 */
import { decodeCondition } from '../conditions';
import { OtsError, parameterInvalid } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, notEmulated, type OperationHandler } from '../handler';
import { WRITERS, rowKey, type WriteType } from '../mutations';
import { readRequestRow, writeRows, type ResponseRow } from '../plain-buffer';
import { protos } from '../sdk';
import type { FakeTable } from '../store';
import { describePk, type PkCell } from '../values';
import { readView, rejectUnsupportedReadOptions, type ReadOptions } from './read';
import { returnedRow } from './rows';

export const BATCH_GET_LIMIT = 100;
export const BATCH_WRITE_LIMIT = 200;

function rowError(err: unknown): { isOk: false; error: { code: string; message: string } } {
  if (err instanceof OtsError) return { isOk: false, error: { code: err.code, message: err.message } };
  throw err;
}

function checkTableNames(names: string[]): void {
  const seen = new Set<string>();
  for (const name of names) {
    if (seen.has(name)) throw parameterInvalid(`Duplicated table name: ${name}.`);
    seen.add(name);
  }
}

/** Refuse a primary key named twice in one table of a batch. */
function checkDuplicateKeys(table: FakeTable | undefined, keys: Uint8Array[], message: string): void {
  if (!table) return;
  const seen = new Set<string>();
  for (const bytes of keys) {
    let key: PkCell[];
    try {
      key = rowKey(table, readRequestRow(bytes));
    } catch {
      continue; // reported on its own row
    }
    const text = describePk(key);
    if (seen.has(text)) throw parameterInvalid(message);
    seen.add(text);
  }
}

function tryTable(store: { table(name: string): FakeTable }, name: string): FakeTable | undefined {
  try {
    return store.table(name);
  } catch {
    return undefined;
  }
}

interface BatchGetTable extends ReadOptions {
  tableName: string;
  primaryKey: Uint8Array[];
}

export const batchGetRow: OperationHandler = ({ body, store, now }) => {
  const request = decodeRequest<{ tables: BatchGetTable[] }>(protos.main.BatchGetRowRequest!, body);
  const total = request.tables.reduce((n, t) => n + t.primaryKey.length, 0);
  if (total === 0) throw parameterInvalid('No row specified in the request of BatchGetRow.');
  if (total > BATCH_GET_LIMIT) throw parameterInvalid(`Rows count exceeds the upper limit: ${BATCH_GET_LIMIT}.`);
  checkTableNames(request.tables.map((t) => t.tableName));
  for (const t of request.tables) {
    rejectUnsupportedReadOptions(t);
    checkDuplicateKeys(tryTable(store, t.tableName), t.primaryKey, 'Duplicate rows detected in MultiGet.');
  }
  const tables = request.tables.map((t) => ({
    tableName: t.tableName,
    rows: t.primaryKey.map((bytes) => {
      try {
        const table = store.table(t.tableName);
        const key = rowKey(table, readRequestRow(bytes));
        const view = readView(table.get(key, now), t);
        return { isOk: true, consumed: CONSUMED, row: view ? writeRows([view]) : Buffer.alloc(0) };
      } catch (err) {
        return rowError(err);
      }
    }),
  }));
  return encodeResponse(protos.main.BatchGetRowResponse!, { tables });
};

interface BatchWriteRowMessage {
  type: number;
  rowChange: Uint8Array;
  condition: { rowExistence: number; columnCondition?: Uint8Array | null };
  returnContent?: { returnType?: number; returnColumnNames?: string[] } | null;
}

const OPERATION_TYPES: Record<number, WriteType> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE' };

export const batchWriteRow: OperationHandler = ({ body, store, now }) => {
  const request = decodeRequest<{ tables: { tableName: string; rows: BatchWriteRowMessage[] }[]; transactionId?: string }>(protos.main.BatchWriteRowRequest!, body);
  if (request.transactionId) throw notEmulated('Local transactions');
  const total = request.tables.reduce((n, t) => n + t.rows.length, 0);
  if (total === 0) throw parameterInvalid('No row is specified in BatchWriteRow.');
  if (total > BATCH_WRITE_LIMIT) throw parameterInvalid(`Rows count exceeds the upper limit: ${BATCH_WRITE_LIMIT}.`);
  checkTableNames(request.tables.map((t) => t.tableName));
  for (const t of request.tables) {
    if (t.rows.length === 0) throw parameterInvalid(`No operation is specified for table:${t.tableName}.`);
    checkDuplicateKeys(
      tryTable(store, t.tableName),
      t.rows.map((r) => r.rowChange),
      'Duplicate rows detected in MultiPut.',
    );
  }
  const tables = request.tables.map((t) => ({
    tableName: t.tableName,
    rows: t.rows.map((r) => {
      try {
        const type = OPERATION_TYPES[r.type];
        if (!type) throw parameterInvalid('The type of row in batch write operation is invalid.');
        const table = store.table(t.tableName);
        const row = readRequestRow(r.rowChange);
        const result = WRITERS[type](table, row, decodeCondition(r.condition), now);
        return { isOk: true, consumed: CONSUMED, row: returnedRow(result, row.primaryKey as ResponseRow['primaryKey'], r.returnContent) };
      } catch (err) {
        return rowError(err);
      }
    }),
  }));
  return encodeResponse(protos.main.BatchWriteRowResponse!, { tables });
};
