/** The operations the fake answers out of the box, by wire name (the path `/<Operation>`). */
import type { OperationHandler } from '../handler';
import { batchGetRow, batchWriteRow } from './batch';
import { getRange } from './range';
import { deleteRowHandler, getRow, putRowHandler, updateRowHandler } from './rows';

export function defaultHandlers(): Record<string, OperationHandler> {
  return {
    GetRow: getRow,
    PutRow: putRowHandler,
    UpdateRow: updateRowHandler,
    DeleteRow: deleteRowHandler,
    GetRange: getRange,
    BatchGetRow: batchGetRow,
    BatchWriteRow: batchWriteRow,
  };
}
