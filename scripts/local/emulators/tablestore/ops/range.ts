/** GetRange (https://www.alibabacloud.com/help/en/tablestore/developer-reference/getrange). */
import { parameterInvalid } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, has, requireTable, type OperationHandler } from '../handler';
import { encodeBound } from '../keys';
import { readRequestRow, writePrimaryKey, writeRows } from '../plain-buffer';
import { protos } from '../sdk';
import { checkKey, liveRow, valueSize, type LiveRow } from '../table';
import { compareBounds, type PkCell } from '../values';
import { readSpec, readView, type ReadOptions } from './read';

/** TableStore scans at most 5 000 rows or 4 MB per GetRange page, and says where to go on. */
export const MAX_ROWS_PER_PAGE = 5000;
export const MAX_BYTES_PER_PAGE = 4 * 1024 * 1024;

interface GetRangeRequest extends ReadOptions {
  tableName: string;
  direction: number;
  limit?: number | null;
  inclusiveStartPrimaryKey: Uint8Array;
  exclusiveEndPrimaryKey: Uint8Array;
}

const BACKWARD = 1;

function rowSize(row: LiveRow): number {
  return [...row.primaryKey, ...row.cells].reduce((n, c) => n + Buffer.byteLength(c.name) + valueSize(c.value), 0);
}

export const getRange: OperationHandler = (context) => {
  const request = decodeRequest<GetRangeRequest>(protos.main.GetRangeRequest!, context.body);
  const table = requireTable(context, request.tableName);
  const spec = readSpec(request);
  const start = readRequestRow(request.inclusiveStartPrimaryKey).primaryKey;
  const end = readRequestRow(request.exclusiveEndPrimaryKey).primaryKey;
  checkKey(table.meta, start, { bounds: true });
  checkKey(table.meta, end, { bounds: true });
  if (request.direction !== 0 && request.direction !== BACKWARD) throw parameterInvalid(`Invalid direction: ${request.direction}.`);
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

  const startBytes = encodeBound(start.map((c) => c.value));
  const endBytes = encodeBound(end.map((c) => c.value));
  const rows: LiveRow[] = [];
  let bytes = 0;
  let scanned = 0;
  let next: PkCell[] | undefined;
  for (const stored of context.storage.scan(table, backward ? endBytes : startBytes, backward ? startBytes : endBytes, backward)) {
    // A page ends at `limit` rows returned, or at 5 000 rows / 4 MB scanned (rows a filter drops count too).
    if (rows.length === limit || scanned === MAX_ROWS_PER_PAGE || bytes >= MAX_BYTES_PER_PAGE) {
      // Like TableStore: the key where the next page starts, whether or not that row will match.
      next = stored.primaryKey;
      break;
    }
    scanned++;
    const live = liveRow(table.meta, stored, context.now);
    if (live) bytes += rowSize(live);
    const view = readView(live, spec);
    if (view) rows.push(view);
  }
  return encodeResponse(protos.main.GetRangeResponse!, {
    consumed: CONSUMED,
    rows: rows.length > 0 ? writeRows(rows) : Buffer.alloc(0),
    ...(next ? { nextStartPrimaryKey: writePrimaryKey(next) } : {}),
  });
};
