/** GetRow, PutRow, UpdateRow, DeleteRow (https://www.alibabacloud.com/help/en/tablestore/developer-reference/getrow and siblings). */
import { decodeCondition } from '../conditions';
import { CONSUMED, decodeRequest, encodeResponse, notEmulated, type OperationHandler } from '../handler';
import { deleteRow, putRow, rowKey, updateRow, type WriteResult } from '../mutations';
import { readRequestRow, writeRows, type ResponseRow } from '../plain-buffer';
import { protos } from '../sdk';
import { readView, rejectUnsupportedReadOptions, type ReadOptions } from './read';

interface ConditionMessage {
  rowExistence: number;
  columnCondition?: Uint8Array | null;
}

interface WriteRequest {
  tableName: string;
  row?: Uint8Array;
  rowChange?: Uint8Array;
  primaryKey?: Uint8Array;
  condition: ConditionMessage;
  returnContent?: { returnType?: number; returnColumnNames?: string[] } | null;
  transactionId?: string;
}

const RT_PK = 1;
const RT_AFTER_MODIFY = 2;

/** What ReturnContent asks for: the primary key (RT_PK) or the named columns this write changed (RT_AFTER_MODIFY). */
export function returnedRow(result: WriteResult, key: ResponseRow['primaryKey'], returnContent: WriteRequest['returnContent']): Buffer {
  const type = returnContent?.returnType ?? 0;
  if (type === RT_PK) return writeRows([{ primaryKey: key, cells: [] }]);
  if (type === RT_AFTER_MODIFY) {
    const names = new Set(returnContent?.returnColumnNames ?? []);
    const cells = (result.after?.cells ?? []).filter((c) => names.has(c.name) && result.modified.has(c.name));
    return writeRows([{ primaryKey: key, cells }]);
  }
  return Buffer.alloc(0);
}

function rejectTransaction(request: { transactionId?: string }): void {
  if (request.transactionId) throw notEmulated('Local transactions');
}

export const getRow: OperationHandler = ({ body, store, now }) => {
  const request = decodeRequest<ReadOptions & { tableName: string; primaryKey: Uint8Array }>(protos.main.GetRowRequest!, body);
  rejectUnsupportedReadOptions(request);
  const table = store.table(request.tableName);
  const key = rowKey(table, readRequestRow(request.primaryKey));
  const view = readView(table.get(key, now), request);
  return encodeResponse(protos.main.GetRowResponse!, { consumed: CONSUMED, row: view ? writeRows([view]) : Buffer.alloc(0) });
};

function writeHandler(type: 'PutRow' | 'UpdateRow' | 'DeleteRow'): OperationHandler {
  const write = type === 'PutRow' ? putRow : type === 'UpdateRow' ? updateRow : deleteRow;
  return ({ body, store, now }) => {
    const request = decodeRequest<WriteRequest>(protos.main[`${type}Request`]!, body);
    rejectTransaction(request);
    const table = store.table(request.tableName);
    const row = readRequestRow((request.row ?? request.rowChange ?? request.primaryKey)!);
    const result = write(table, row, decodeCondition(request.condition), now);
    const key = row.primaryKey as ResponseRow['primaryKey'];
    return encodeResponse(protos.main[`${type}Response`]!, { consumed: CONSUMED, row: returnedRow(result, key, request.returnContent) });
  };
}

export const putRowHandler = writeHandler('PutRow');
export const updateRowHandler = writeHandler('UpdateRow');
export const deleteRowHandler = writeHandler('DeleteRow');
