/**
 * BatchGetRow and BatchWriteRow (https://www.alibabacloud.com/help/en/tablestore/developer-reference/batchwriterow):
 * request-level errors (too many rows, too much data, a table or row named twice) fail the whole request;
 * everything else is answered per row, in request order, with HTTP 200 — partial failure is normal. Each row of
 * a BatchWriteRow is written in its own savepoint, so a failed row leaves nothing behind and its neighbours stand.
 */
import { decodeCondition } from '../conditions';
import { OtsError, parameterInvalid } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, requireTable, type OperationContext, type OperationHandler } from '../handler';
import { encodeKey } from '../keys';
import { encodedRowKey, LIMITS, rejectTransaction, rowKey, WRITERS, writeSize, writesOneStatement, type WriteContext, type WriteType } from '../mutations';
import { readRequestRow, writeRows, type RequestRow } from '../plain-buffer';
import { protos } from '../sdk';
import { checkKey, liveRow, type TableHandle } from '../table';
import { readSpec, readView, type ReadOptions } from './read';
import { returnedRow, returnType, writeContext } from './rows';

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

/** Refuse a primary key named twice in one table of a batch (rows whose key is itself invalid fail on their own). */
function checkDuplicateKeys(table: TableHandle | undefined, rows: RequestRow[], message: string): void {
  if (!table) return;
  const seen = new Set<string>();
  for (const row of rows) {
    if (row.primaryKey.some((c) => c.value.type === 'AUTO_INCREMENT')) continue;
    try {
      checkKey(table.meta, row.primaryKey);
    } catch {
      continue;
    }
    const key = encodedRowKey(row).toString('latin1');
    if (seen.has(key)) throw parameterInvalid(message);
    seen.add(key);
  }
}

/** Decode every row first: a malformed row fails the whole request, as it would fail to deserialize. */
function decodeRows(list: Uint8Array[]): RequestRow[] {
  return list.map((bytes) => readRequestRow(bytes));
}

interface BatchGetTable extends ReadOptions {
  tableName: string;
  primaryKey: Uint8Array[];
}

export const batchGetRow: OperationHandler = (context) => {
  const request = decodeRequest<{ tables: BatchGetTable[] }>(protos.main.BatchGetRowRequest!, context.body);
  const total = request.tables.reduce((n, t) => n + t.primaryKey.length, 0);
  if (total === 0) throw parameterInvalid('No row specified in the request of BatchGetRow.');
  if (total > BATCH_GET_LIMIT) throw parameterInvalid(`Rows count exceeds the upper limit:${BATCH_GET_LIMIT}.`);
  checkTableNames(request.tables.map((t) => t.tableName));
  // RAM refuses the whole request, before any row (D144).
  for (const t of request.tables) context.authorize?.(t.tableName);
  const tables = request.tables.map((t) => ({ request: t, spec: readSpec(t), rows: decodeRows(t.primaryKey), table: context.storage.table(context.instance, t.tableName) }));
  for (const t of tables) checkDuplicateKeys(t.table, t.rows, 'Duplicate rows detected in MultiGet.');
  return encodeResponse(protos.main.BatchGetRowResponse!, {
    tables: tables.map((t) => ({
      tableName: t.request.tableName,
      rows: t.rows.map((row) => {
        try {
          const table = requireTable(context, t.request.tableName);
          const key = rowKey({ storage: context.storage, table, now: context.now }, row);
          const view = readView(liveRow(table.meta, context.storage.getRow(table, encodeKey(key)), context.now), t.spec);
          return { isOk: true, consumed: CONSUMED, row: view ? writeRows([view]) : Buffer.alloc(0) };
        } catch (err) {
          return rowError(err);
        }
      }),
    })),
  });
};

interface BatchWriteRowMessage {
  type: number;
  rowChange: Uint8Array;
  condition: { rowExistence: number; columnCondition?: Uint8Array | null };
  returnContent?: { returnType?: number; returnColumnNames?: string[] } | null;
}

const OPERATION_TYPES: Record<number, WriteType> = { 1: 'PUT', 2: 'UPDATE', 3: 'DELETE' };

function writeOne(context: OperationContext, tableName: string, message: BatchWriteRowMessage, row: RequestRow, tableContext: () => WriteContext) {
  try {
    const type = OPERATION_TYPES[message.type];
    if (!type) throw parameterInvalid('The type of row in batch write operation is invalid.');
    // Checked before the write: a row answered as refused must not have been written.
    returnType(message.returnContent);
    const shared = tableContext();
    const writer = WRITERS[type];
    const condition = decodeCondition(message.condition);
    // A row that fails halfway must leave nothing behind: a savepoint per row, unless its write is one statement.
    const result = writesOneStatement(shared.table, row)
      ? context.storage.withoutSavepoint(() => writer(shared, row, condition))
      : context.storage.transaction(() => writer(shared, row, condition));
    return { isOk: true, consumed: CONSUMED, row: returnedRow(result, message.returnContent) };
  } catch (err) {
    return rowError(err);
  }
}

export const batchWriteRow: OperationHandler = (context) => {
  const request = decodeRequest<{ tables: { tableName: string; rows: BatchWriteRowMessage[] }[]; transactionId?: string }>(protos.main.BatchWriteRowRequest!, context.body);
  rejectTransaction(request);
  const total = request.tables.reduce((n, t) => n + t.rows.length, 0);
  if (total === 0) throw parameterInvalid('No row is specified in BatchWriteRow.');
  if (total > BATCH_WRITE_LIMIT) throw parameterInvalid(`Rows count exceeds the upper limit:${BATCH_WRITE_LIMIT}.`);
  checkTableNames(request.tables.map((t) => t.tableName));
  for (const t of request.tables) context.authorize?.(t.tableName);
  const tables = request.tables.map((t) => {
    if (t.rows.length === 0) throw parameterInvalid(`No operation is specified for table:${t.tableName}.`);
    return { request: t, rows: decodeRows(t.rows.map((r) => r.rowChange)) };
  });
  const size = tables.reduce((n, t) => n + t.rows.reduce((m, row) => m + writeSize(row), 0), 0);
  if (size > LIMITS.rowWriteBytes) throw parameterInvalid(`The total data size of BatchWriteRow request exceeds the limit, limit size:${LIMITS.rowWriteBytes}, data size:${size}.`);
  for (const t of tables) checkDuplicateKeys(context.storage.table(context.instance, t.request.tableName), t.rows, 'Duplicate rows detected in MultiPut.');
  return encodeResponse(protos.main.BatchWriteRowResponse!, {
    tables: tables.map((t) => {
      // One write context per table of the request, made when its first row is written.
      let shared: WriteContext | undefined;
      const tableContext = () => (shared ??= writeContext(context, requireTable(context, t.request.tableName)));
      return {
        tableName: t.request.tableName,
        rows: t.request.rows.map((message, i) => writeOne(context, t.request.tableName, message, t.rows[i]!, tableContext)),
      };
    }),
  });
};
