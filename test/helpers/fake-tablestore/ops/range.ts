/** GetRange (https://www.alibabacloud.com/help/en/tablestore/developer-reference/getrange). */
import { parameterInvalid } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, has, type OperationHandler } from '../handler';
import { readRequestRow, writePrimaryKey, writeRows } from '../plain-buffer';
import { protos } from '../sdk';
import type { LiveRow } from '../store';
import { compareBounds } from '../values';
import { readView, rejectUnsupportedReadOptions, type ReadOptions } from './read';

/** TableStore returns at most 5 000 rows (or 4 MB, not emulated) per GetRange page. */
export const MAX_ROWS_PER_PAGE = 5000;

interface GetRangeRequest extends ReadOptions {
  tableName: string;
  direction: number;
  limit?: number | null;
  inclusiveStartPrimaryKey: Uint8Array;
  exclusiveEndPrimaryKey: Uint8Array;
}

const BACKWARD = 1;

export const getRange: OperationHandler = ({ body, store, now }) => {
  const request = decodeRequest<GetRangeRequest>(protos.main.GetRangeRequest!, body);
  rejectUnsupportedReadOptions(request);
  const table = store.table(request.tableName);
  const start = readRequestRow(request.inclusiveStartPrimaryKey).primaryKey;
  const end = readRequestRow(request.exclusiveEndPrimaryKey).primaryKey;
  table.checkKey(start, { bounds: true });
  table.checkKey(end, { bounds: true });
  const backward = request.direction === BACKWARD;
  const order = compareBounds(
    start.map((c) => c.value),
    end.map((c) => c.value),
  );
  if (!backward && order >= 0) throw parameterInvalid('Begin key must less than end key in FORWARD.');
  if (backward && order <= 0) throw parameterInvalid('Begin key must more than end key in BACKWARD.');
  const requested = has(request, 'limit') ? (request.limit ?? 0) : MAX_ROWS_PER_PAGE;
  if (requested <= 0) throw parameterInvalid('The limit must be greater than 0.');
  const limit = Math.min(requested, MAX_ROWS_PER_PAGE);

  const rows: LiveRow[] = [];
  let next: LiveRow['primaryKey'] | undefined;
  for (const stored of table.scan(
    start.map((c) => c.value),
    end.map((c) => c.value),
    backward,
  )) {
    if (rows.length === limit) {
      // Like TableStore: the key where the next page starts, whether or not that row will match.
      next = stored.primaryKey;
      break;
    }
    const view = readView(table.live(stored, now), request);
    if (view) rows.push(view);
  }
  return encodeResponse(protos.main.GetRangeResponse!, {
    consumed: CONSUMED,
    rows: rows.length > 0 ? writeRows(rows) : Buffer.alloc(0),
    ...(next ? { nextStartPrimaryKey: writePrimaryKey(next) } : {}),
  });
};
