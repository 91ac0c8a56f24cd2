/** GetRow, PutRow, UpdateRow, DeleteRow (https://www.alibabacloud.com/help/en/tablestore/developer-reference/getrow and siblings). */
import { decodeCondition } from '../conditions';
import { parameterInvalid } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, requireTable, type OperationContext, type OperationHandler } from '../handler';
import { encodeKey } from '../keys';
import { deleteRow, putRow, rejectTransaction, rowKey, updateRow, type WriteContext, type WriteResult } from '../mutations';
import { readRequestRow, writePrimaryKey, writeRows } from '../plain-buffer';
import { protos } from '../sdk';
import { refuseIndexWrite } from '../secondary';
import { latestCells, liveRow, type TableHandle } from '../table';
import { readSpec, readView, type ReadOptions } from './read';

interface WriteRequest {
  tableName: string;
  row?: Uint8Array;
  rowChange?: Uint8Array;
  primaryKey?: Uint8Array;
  condition: { rowExistence: number; columnCondition?: Uint8Array | null };
  returnContent?: { returnType?: number; returnColumnNames?: string[] } | null;
  transactionId?: string;
}

const RT_NONE = 0;
const RT_PK = 1;
const RT_AFTER_MODIFY = 2;

/** The empty `row` of an answer that returns none (only ever read by the response encoder). */
const NO_ROW = Buffer.alloc(0);

/** The return type ReturnContent asks for, refused before anything is written when it is not one TableStore has. */
export function returnType(returnContent: WriteRequest['returnContent']): number {
  const type = returnContent?.returnType ?? RT_NONE;
  if (type !== RT_NONE && type !== RT_PK && type !== RT_AFTER_MODIFY) throw parameterInvalid(`Invalid return type: ${type}.`);
  return type;
}

/** What ReturnContent asks for: the primary key (RT_PK) or the named columns this write changed, newest value (RT_AFTER_MODIFY). */
export function returnedRow(result: WriteResult, returnContent: WriteRequest['returnContent']): Buffer {
  const type = returnType(returnContent);
  if (type === RT_PK) return writePrimaryKey(result.primaryKey);
  if (type === RT_AFTER_MODIFY) {
    const names = new Set(returnContent?.returnColumnNames ?? []);
    const cells = latestCells(result.after ?? { primaryKey: [], cells: [] }).filter((c) => names.has(c.name) && result.modified.has(c.name));
    return writeRows([{ primaryKey: result.primaryKey, cells }]);
  }
  return NO_ROW;
}

/** The write context of one table in one request: storage, clock, and who to tell about the change. */
export function writeContext(context: OperationContext, table: TableHandle): WriteContext {
  refuseIndexWrite(table);
  return {
    storage: context.storage,
    table,
    now: context.now,
    changed: (t, key, streamId) => {
      context.search.rowChanged(t, key);
      if (streamId) context.onStreamRecord(streamId);
    },
  };
}

export const getRow: OperationHandler = (context) => {
  const request = decodeRequest<ReadOptions & { tableName: string; primaryKey: Uint8Array }>(protos.main.GetRowRequest!, context.body);
  const table = requireTable(context, request.tableName);
  const spec = readSpec(request);
  const key = rowKey({ storage: context.storage, table, now: context.now }, readRequestRow(request.primaryKey));
  const view = readView(liveRow(table.meta, context.storage.getRow(table, encodeKey(key)), context.now), spec);
  return encodeResponse(protos.main.GetRowResponse!, { consumed: CONSUMED, row: view ? writeRows([view]) : Buffer.alloc(0) });
};

function writeHandler(type: 'PutRow' | 'UpdateRow' | 'DeleteRow'): OperationHandler {
  const write = type === 'PutRow' ? putRow : type === 'UpdateRow' ? updateRow : deleteRow;
  return (context) => {
    const request = decodeRequest<WriteRequest>(protos.main[`${type}Request`]!, context.body);
    rejectTransaction(request);
    const table = requireTable(context, request.tableName);
    const bytes = request.row ?? request.rowChange ?? request.primaryKey;
    if (!bytes || bytes.length === 0) throw parameterInvalid(`Invalid ${type} request: no row given.`);
    const result = write(writeContext(context, table), readRequestRow(bytes), decodeCondition(request.condition));
    return encodeResponse(protos.main[`${type}Response`]!, { consumed: CONSUMED, row: returnedRow(result, request.returnContent) });
  };
}

export const putRowHandler = writeHandler('PutRow');
export const updateRowHandler = writeHandler('UpdateRow');
export const deleteRowHandler = writeHandler('DeleteRow');
