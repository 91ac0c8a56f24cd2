/**
 * Conditions and filters: `Condition{row_existence, column_condition}` and the `Filter` messages of
 * tablestore_filter.proto (SingleColumnValueFilter, CompositeColumnValueFilter, ColumnPaginationFilter),
 * evaluated on a row's live cells (https://www.alibabacloud.com/help/en/tablestore/developer-reference/configure-filter).
 */
import { TABLESTORE_MAX_CONDITIONS } from '../../../../functions/_shared/adapters/tablestore-limits';
import { parameterInvalid } from './errors';
import { readVariant } from './plain-buffer';
import { protos } from './sdk';
import type { LiveCell, LiveRow } from './table';
import { compareCell, type CellValue } from './values';

export type ColumnFilter =
  | { kind: 'single'; column: string; comparator: number; value: CellValue; filterIfMissing: boolean; latestVersionOnly: boolean }
  | { kind: 'composite'; combinator: number; subFilters: ColumnFilter[] };

/** A read filter: a column condition, or wide-row paging of the columns (ColumnPaginationFilter). */
export type ReadFilter = ColumnFilter | { kind: 'pagination'; offset: number; limit: number };

interface FilterMessage {
  type: number;
  filter: Uint8Array;
}

const FT = protos.filter.FilterType as unknown as Record<string, number>;
const CT = protos.filter.ComparatorType as unknown as Record<string, number>;
const LO = protos.filter.LogicalOperator as unknown as Record<string, number>;

function decodeMessage<T>(name: string, bytes: Uint8Array, failure: string): T {
  try {
    return protos.filter[name]!.decode(bytes) as unknown as T;
  } catch {
    throw parameterInvalid(failure);
  }
}

/** Decode a serialized `Filter`: the column condition of a write or the filter of a read. */
export function decodeFilter(bytes: Uint8Array, options: { pagination?: boolean } = {}): ReadFilter {
  const message = decodeMessage<FilterMessage>('Filter', bytes, 'Deserialize filter failed.');
  if (message.type === FT.FT_COLUMN_PAGINATION) {
    if (!options.pagination) throw parameterInvalid('Invalid type of filter: ColumnPaginationFilter cannot be a column condition.');
    const paging = decodeMessage<{ offset: number; limit: number }>('ColumnPaginationFilter', message.filter, 'Deserialize column pagination filter failed.');
    if (paging.offset < 0) throw parameterInvalid('Offset in ColumnPaginationFilter must be greater than or equal to 0.');
    if (paging.limit <= 0) throw parameterInvalid('Limit in ColumnPaginationFilter must be greater than 0.');
    return { kind: 'pagination', offset: paging.offset, limit: paging.limit };
  }
  return checkedSize(fromMessage(message), 'filter');
}

/** Decode a column condition (no paging filter allowed). */
export function decodeColumnFilter(bytes: Uint8Array): ColumnFilter {
  const message = decodeMessage<FilterMessage>('Filter', bytes, 'Deserialize filter failed.');
  if (message.type === FT.FT_COLUMN_PAGINATION) throw parameterInvalid('Invalid type of filter: ColumnPaginationFilter cannot be a column condition.');
  return checkedSize(fromMessage(message), 'column_condition');
}

/**
 * TableStore takes at most 10 conditions in one filter or column condition (the filter and conditional-update docs);
 * the suite's Table adapter refuses the same before sending, from the same constant (D149).
 */
export const MAX_CONDITIONS = TABLESTORE_MAX_CONDITIONS;

function leaves(filter: ColumnFilter): number {
  return filter.kind === 'single' ? 1 : filter.subFilters.reduce((n, f) => n + leaves(f), 0);
}

/** The filter, unless it holds more single-column conditions than TableStore takes (nested composites count theirs). */
function checkedSize(filter: ColumnFilter, field: 'filter' | 'column_condition'): ColumnFilter {
  const count = leaves(filter);
  if (count > MAX_CONDITIONS) throw parameterInvalid(`The ${field} has ${count} conditions; at most ${MAX_CONDITIONS} are allowed: limit ${MAX_CONDITIONS}, got ${count}.`);
  return filter;
}

function fromMessage(message: FilterMessage): ColumnFilter {
  if (message.type === FT.FT_SINGLE_COLUMN_VALUE) {
    const single = decodeMessage<{ comparator: number; columnName: string; columnValue: Uint8Array; filterIfMissing: boolean; latestVersionOnly: boolean }>(
      'SingleColumnValueFilter',
      message.filter,
      'Deserialize relation filter failed.',
    );
    if (!Object.values(CT).includes(single.comparator)) throw parameterInvalid(`Invalid relation operator: ${single.comparator}.`);
    return {
      kind: 'single',
      column: single.columnName,
      comparator: single.comparator,
      value: readVariant(single.columnValue),
      filterIfMissing: single.filterIfMissing,
      latestVersionOnly: single.latestVersionOnly,
    };
  }
  if (message.type === FT.FT_COMPOSITE_COLUMN_VALUE) {
    const composite = decodeMessage<{ combinator: number; subFilters: FilterMessage[] }>('CompositeColumnValueFilter', message.filter, 'Deserialize composite filter failed.');
    for (const sub of composite.subFilters) if (sub.type === FT.FT_COLUMN_PAGINATION) throw parameterInvalid(`Invalid type of sub-filter: ${sub.type}.`);
    const subFilters = composite.subFilters.map(fromMessage);
    if (composite.combinator === LO.LO_NOT) {
      if (subFilters.length !== 1) throw parameterInvalid('Invalid NOT operator: the number of sub-filters must be 1.');
    } else if (composite.combinator === LO.LO_AND || composite.combinator === LO.LO_OR) {
      if (subFilters.length < 2) throw parameterInvalid('Invalid AND/OR operator: the number of sub-filters must be 2 or more.');
    } else {
      throw parameterInvalid(`Invalid logical operator: ${composite.combinator}.`);
    }
    return { kind: 'composite', combinator: composite.combinator, subFilters };
  }
  throw parameterInvalid(`Invalid type of filter: ${message.type}.`);
}

function compare(comparator: number, order: number | undefined): boolean {
  if (order === undefined) return comparator === CT.CT_NOT_EQUAL;
  switch (comparator) {
    case CT.CT_EQUAL:
      return order === 0;
    case CT.CT_NOT_EQUAL:
      return order !== 0;
    case CT.CT_GREATER_THAN:
      return order > 0;
    case CT.CT_GREATER_EQUAL:
      return order >= 0;
    case CT.CT_LESS_THAN:
      return order < 0;
    default:
      return order <= 0;
  }
}

/**
 * Does the row (its live cells, or none when missing) satisfy the filter? A column condition compares the
 * newest version, or with `latest_version_only: false` passes when any kept version does.
 */
export function filterMatches(filter: ColumnFilter, cells: readonly LiveCell[] | undefined): boolean {
  if (filter.kind === 'composite') {
    if (filter.combinator === LO.LO_AND) return filter.subFilters.every((f) => filterMatches(f, cells));
    if (filter.combinator === LO.LO_OR) return filter.subFilters.some((f) => filterMatches(f, cells));
    return !filterMatches(filter.subFilters[0]!, cells);
  }
  const versions = (cells ?? []).filter((c) => c.name === filter.column);
  if (versions.length === 0) return !filter.filterIfMissing;
  const considered = filter.latestVersionOnly ? versions.slice(0, 1) : versions;
  return considered.some((cell) => compare(filter.comparator, compareCell(cell.value, filter.value)));
}

export const ROW_EXISTENCE = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;

export interface WriteCondition {
  rowExistence: number;
  columnCondition?: ColumnFilter;
}

export function decodeCondition(condition: { rowExistence: number; columnCondition?: Uint8Array | null } | null | undefined): WriteCondition {
  if (!condition) throw parameterInvalid('Invalid condition: missing.');
  if (![0, 1, 2].includes(condition.rowExistence)) throw parameterInvalid(`Invalid row-existence expectation: ${condition.rowExistence}.`);
  return {
    rowExistence: condition.rowExistence,
    ...(condition.columnCondition && condition.columnCondition.length > 0 ? { columnCondition: decodeColumnFilter(condition.columnCondition) } : {}),
  };
}

/** True when the write may proceed. */
export function conditionHolds(condition: WriteCondition, existing: LiveRow | undefined): boolean {
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_EXIST && !existing) return false;
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_NOT_EXIST && existing) return false;
  return !condition.columnCondition || filterMatches(condition.columnCondition, existing?.cells);
}
