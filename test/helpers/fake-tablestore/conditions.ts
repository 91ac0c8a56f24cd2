/**
 * Conditions and filters: `Condition{row_existence, column_condition}` and the `Filter` messages of
 * tablestore_filter.proto (SingleColumnValueFilter, CompositeColumnValueFilter), evaluated on a row's live cells.
 */
import { parameterInvalid } from './errors';
import { readVariant } from './plain-buffer';
import { protos } from './sdk';
import type { LiveRow } from './store';
import { compareCell, type CellValue } from './values';

export type ColumnFilter =
  | { kind: 'single'; column: string; comparator: number; value: CellValue; filterIfMissing: boolean }
  | { kind: 'composite'; combinator: number; subFilters: ColumnFilter[] };

interface FilterMessage {
  type: number;
  filter: Uint8Array;
}

const FT = protos.filter.FilterType as unknown as Record<string, number>;
const CT = protos.filter.ComparatorType as unknown as Record<string, number>;
const LO = protos.filter.LogicalOperator as unknown as Record<string, number>;

/** Decode a serialized `Filter` (column condition of a write, or the filter of a read). */
export function decodeFilter(bytes: Uint8Array): ColumnFilter {
  let message: FilterMessage;
  try {
    message = protos.filter.Filter!.decode(bytes) as unknown as FilterMessage;
  } catch {
    throw parameterInvalid('Deserialize filter failed.');
  }
  return fromMessage(message);
}

function fromMessage(message: FilterMessage): ColumnFilter {
  if (message.type === FT.FT_SINGLE_COLUMN_VALUE) {
    const single = protos.filter.SingleColumnValueFilter!.decode(message.filter) as unknown as {
      comparator: number;
      columnName: string;
      columnValue: Uint8Array;
      filterIfMissing: boolean;
    };
    return { kind: 'single', column: single.columnName, comparator: single.comparator, value: readVariant(single.columnValue), filterIfMissing: single.filterIfMissing };
  }
  if (message.type === FT.FT_COMPOSITE_COLUMN_VALUE) {
    const composite = protos.filter.CompositeColumnValueFilter!.decode(message.filter) as unknown as { combinator: number; subFilters: FilterMessage[] };
    const subFilters = composite.subFilters.map(fromMessage);
    if (subFilters.length === 0) throw parameterInvalid('Composite filter needs at least one sub filter.');
    if (composite.combinator === LO.LO_NOT && subFilters.length !== 1) throw parameterInvalid('NOT takes exactly one sub filter.');
    return { kind: 'composite', combinator: composite.combinator, subFilters };
  }
  throw parameterInvalid(`Unsupported filter type: ${message.type}.`);
}

/** Does the row (its live cells, or none when missing) satisfy the filter? */
export function filterMatches(filter: ColumnFilter, row: LiveRow | undefined): boolean {
  if (filter.kind === 'composite') {
    if (filter.combinator === LO.LO_AND) return filter.subFilters.every((f) => filterMatches(f, row));
    if (filter.combinator === LO.LO_OR) return filter.subFilters.some((f) => filterMatches(f, row));
    return !filterMatches(filter.subFilters[0]!, row);
  }
  const cell = row?.cells.find((c) => c.name === filter.column);
  if (!cell) return !filter.filterIfMissing;
  const order = compareCell(cell.value, filter.value);
  if (order === undefined) return filter.comparator === CT.CT_NOT_EQUAL;
  switch (filter.comparator) {
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
    case CT.CT_LESS_EQUAL:
      return order <= 0;
    default:
      throw parameterInvalid(`Invalid comparator: ${filter.comparator}.`);
  }
}

export const ROW_EXISTENCE = { IGNORE: 0, EXPECT_EXIST: 1, EXPECT_NOT_EXIST: 2 } as const;

export interface WriteCondition {
  rowExistence: number;
  columnCondition?: ColumnFilter;
}

export function decodeCondition(condition: { rowExistence: number; columnCondition?: Uint8Array | null } | null | undefined): WriteCondition {
  if (!condition) throw parameterInvalid('Condition is missing.');
  if (![0, 1, 2].includes(condition.rowExistence)) throw parameterInvalid(`Invalid row-existence expectation: ${condition.rowExistence}.`);
  return {
    rowExistence: condition.rowExistence,
    ...(condition.columnCondition && condition.columnCondition.length > 0 ? { columnCondition: decodeFilter(condition.columnCondition) } : {}),
  };
}

/** True when the write may proceed. */
export function conditionHolds(condition: WriteCondition, existing: LiveRow | undefined): boolean {
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_EXIST && !existing) return false;
  if (condition.rowExistence === ROW_EXISTENCE.EXPECT_NOT_EXIST && existing) return false;
  return !condition.columnCondition || filterMatches(condition.columnCondition, existing);
}
