/**
 * What reads share (GetRow, GetRange, BatchGetRow): the versions asked for (`max_versions`, `time_range`), the
 * columns (`columns_to_get`, `start_column`/`end_column`) and the filter, applied the way TableStore applies them
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/getrow).
 */
import { decodeFilter, filterMatches, type ReadFilter } from '../conditions';
import { notEmulated, parameterInvalid } from '../errors';
import { has } from '../handler';
import { compareNames, type LiveCell, type LiveRow } from '../table';

/** TableStore reads at most this many columns by name per request. */
export const MAX_COLUMNS_TO_GET = 128;

export interface ReadOptions {
  columnsToGet?: string[];
  filter?: Uint8Array | null;
  maxVersions?: number | null;
  timeRange?: { startTime?: unknown; endTime?: unknown; specificTime?: unknown } | null;
  startColumn?: string | null;
  endColumn?: string | null;
  token?: Uint8Array | null;
  transactionId?: string | null;
}

/** A read request's options, checked once and ready to apply to each row. */
export interface ReadSpec {
  columns: Set<string> | undefined;
  startColumn: string | undefined;
  endColumn: string | undefined;
  maxVersions: number;
  /** [from, to) in ms. */
  from: number;
  to: number;
  filter: ReadFilter | undefined;
}

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

export function readSpec(options: ReadOptions): ReadSpec {
  if (options.token && options.token.length > 0) throw notEmulated('Wide-row paging tokens (token)');
  if (options.transactionId) throw notEmulated('Local transactions (transaction_id)');
  const columns = options.columnsToGet ?? [];
  if (columns.length > MAX_COLUMNS_TO_GET) throw parameterInvalid(`The number of columns from the request exceeds the limit, limit count:${MAX_COLUMNS_TO_GET}, column count:${columns.length}.`);
  const hasVersions = has(options, 'maxVersions') && options.maxVersions !== null && options.maxVersions !== undefined;
  const range = options.timeRange ?? undefined;
  if (!hasVersions && !range) throw parameterInvalid('No version condition is specified while querying row.');
  if (hasVersions && options.maxVersions! <= 0) throw parameterInvalid(`Invalid max versions: ${options.maxVersions}. Reason: Max versions must be positive.`);
  let from = 0;
  let to = Number.MAX_SAFE_INTEGER;
  if (range) {
    const specific = has(range, 'specificTime') && range.specificTime !== null && range.specificTime !== undefined;
    const start = has(range, 'startTime') && range.startTime !== null && range.startTime !== undefined;
    const end = has(range, 'endTime') && range.endTime !== null && range.endTime !== undefined;
    if (specific && (start || end)) throw parameterInvalid('Specific tiemstamp and time range cannot be given at the same time.');
    if (specific) {
      from = num(range.specificTime);
      if (from < 0) throw parameterInvalid('Specific timestamp cannot be less than 0.');
      to = from + 1;
    } else {
      if (start !== end) throw parameterInvalid('Start and end time must be given at the same time.');
      if (start) {
        from = num(range.startTime);
        to = num(range.endTime);
        if (from < 0 || to <= from) throw parameterInvalid(`Invalid time range: [${from}, ${to}).`);
      }
    }
  }
  return {
    columns: columns.length > 0 ? new Set(columns) : undefined,
    startColumn: options.startColumn || undefined,
    endColumn: options.endColumn || undefined,
    maxVersions: hasVersions ? options.maxVersions! : Number.MAX_SAFE_INTEGER,
    from,
    to,
    filter: options.filter && options.filter.length > 0 ? decodeFilter(options.filter, { pagination: true }) : undefined,
  };
}

function namesKeyColumn(row: LiveRow, spec: ReadSpec): boolean {
  return spec.columns !== undefined && row.primaryKey.some((c) => spec.columns!.has(c.name));
}

/**
 * The row as a read returns it, or undefined when nothing is returned:
 * - versions: those in the time range, at most `max_versions` per column, newest first;
 * - `columns_to_get` (and `start_column`/`end_column`) keep the named columns; a row left with no cell (none of
 *   those columns, or no version in the time range) is not returned, unless a primary key column is named;
 * - a column filter sees only the returned columns — TableStore documents that a filter's reference columns
 *   must be among the columns read (https://www.alibabacloud.com/help/en/tablestore/developer-reference/configure-filter);
 *   a row that fails it is not returned; a ColumnPaginationFilter keeps `limit` columns after skipping `offset`.
 */
export function readView(row: LiveRow | undefined, spec: ReadSpec): LiveRow | undefined {
  if (!row) return undefined;
  const named = spec.columns !== undefined || spec.startColumn !== undefined || spec.endColumn !== undefined;
  const cells: LiveCell[] = [];
  let column = '';
  let versions = 0;
  for (const cell of row.cells) {
    if (spec.columns && !spec.columns.has(cell.name)) continue;
    if (spec.startColumn !== undefined && compareNames(cell.name, spec.startColumn) < 0) continue;
    if (spec.endColumn !== undefined && compareNames(cell.name, spec.endColumn) >= 0) continue;
    if (cell.timestamp < spec.from || cell.timestamp >= spec.to) continue;
    if (cell.name !== column) {
      column = cell.name;
      versions = 0;
    }
    if (versions++ < spec.maxVersions) cells.push(cell);
  }
  // Nothing left to return: the projection or the versions asked for match none of the row's cells — unless
  // `columns_to_get` names a primary key column (it may name key and attribute columns): the row has that one.
  if ((named || row.cells.length > 0) && cells.length === 0 && !namesKeyColumn(row, spec)) return undefined;
  const filter = spec.filter;
  if (filter?.kind === 'pagination') {
    const names = [...new Set(cells.map((c) => c.name))].slice(filter.offset, filter.offset + filter.limit);
    return { primaryKey: row.primaryKey, cells: cells.filter((c) => names.includes(c.name)) };
  }
  if (filter && !filterMatches(filter, cells)) return undefined;
  return { primaryKey: row.primaryKey, cells };
}
