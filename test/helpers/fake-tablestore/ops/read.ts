/** What reads share: the columns projection and the filter, applied the way TableStore applies them. */
import { decodeFilter, filterMatches } from '../conditions';
import { has, notEmulated } from '../handler';
import type { LiveRow } from '../store';

export interface ReadOptions {
  columnsToGet?: string[];
  filter?: Uint8Array | null;
  maxVersions?: number | null;
  timeRange?: unknown;
  startColumn?: string | null;
  endColumn?: string | null;
  token?: Uint8Array | null;
  transactionId?: string | null;
}

export function rejectUnsupportedReadOptions(options: ReadOptions): void {
  if (options.timeRange) throw notEmulated('time_range');
  if (options.startColumn || options.endColumn) throw notEmulated('start_column/end_column');
  if (options.token && options.token.length > 0) throw notEmulated('token');
  if (options.transactionId) throw notEmulated('Local transactions');
  if (has(options, 'maxVersions') && options.maxVersions !== 1) throw notEmulated('max_versions other than 1');
}

/**
 * The row as a read returns it, or undefined when nothing is returned:
 * - `columns_to_get` keeps the named columns; a row left with none of them is not returned;
 * - the filter sees only the returned columns — TableStore documents that a filter's reference columns must be
 *   among the columns read (https://www.alibabacloud.com/help/en/tablestore/developer-reference/configure-filter);
 *   a row that fails it is not returned.
 */
export function readView(row: LiveRow | undefined, options: Pick<ReadOptions, 'columnsToGet' | 'filter'>): LiveRow | undefined {
  if (!row) return undefined;
  const columns = options.columnsToGet ?? [];
  const view = columns.length > 0 ? { primaryKey: row.primaryKey, cells: row.cells.filter((c) => columns.includes(c.name)) } : row;
  if (columns.length > 0 && view.cells.length === 0) return undefined;
  if (options.filter && options.filter.length > 0 && !filterMatches(decodeFilter(options.filter), view)) return undefined;
  return view;
}
