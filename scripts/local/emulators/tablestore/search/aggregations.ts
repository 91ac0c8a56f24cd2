/**
 * Search aggregations and group-bys over every hit of the query, not only the returned page
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/aggregation-4). Emulated: the value
 * aggregations avg, max, min, sum, count and distinct_count (with `missing`), and GROUP_BY_FIELD with `size`,
 * `min_doc_count`, its sorters (group key, row count, a sub-aggregation) and nested aggregations and group-bys.
 * Refused by name: top_rows and percentiles, and the range, filter, histogram, date-histogram, geo and
 * composite group-bys. The field must be in the index with sort and aggregation enabled, as TableStore asks.
 *
 * Assumed where TableStore does not document it: the counts are exact (TableStore's distinct count and field
 * groups are approximate on large data); min, max and avg over no value answer +Infinity, -Infinity and NaN (a
 * Lucene-based engine's empty results), sum and the counts 0; a group's key is the value as text (LONG `12`,
 * BOOLEAN `true`); without a sorter, groups come by row count, most first, then by key.
 */
import { notEmulated, parameterInvalid } from '../errors';
import { decodeRequest, encodeResponse, has } from '../handler';
import { readVariant } from '../plain-buffer';
import { protos } from '../sdk';
import type { CellValue } from '../values';
import type { IndexedDoc, IndexField } from './schema';

type Decoded = Record<string, unknown>;

const AGG = { AVG: 1, MAX: 2, MIN: 3, SUM: 4, COUNT: 5, DISTINCT_COUNT: 6, TOP_ROWS: 7, PERCENTILES: 8 } as const;
const AGG_NAMES: Record<number, string> = { 7: 'AGG_TOP_ROWS', 8: 'AGG_PERCENTILES' };
const AGG_MESSAGES: Record<number, [request: string, result: string]> = {
  [AGG.AVG]: ['AvgAggregation', 'AvgAggregationResult'],
  [AGG.MAX]: ['MaxAggregation', 'MaxAggregationResult'],
  [AGG.MIN]: ['MinAggregation', 'MinAggregationResult'],
  [AGG.SUM]: ['SumAggregation', 'SumAggregationResult'],
  [AGG.COUNT]: ['CountAggregation', 'CountAggregationResult'],
  [AGG.DISTINCT_COUNT]: ['DistinctCountAggregation', 'DistinctCountAggregationResult'],
};
const GROUP_BY_FIELD = 1;
const GROUP_BY_NAMES: Record<number, string> = { 2: 'GROUP_BY_RANGE', 3: 'GROUP_BY_FILTER', 4: 'GROUP_BY_GEO_DISTANCE', 5: 'GROUP_BY_HISTOGRAM', 6: 'GROUP_BY_DATE_HISTOGRAM', 7: 'GROUP_BY_GEO_GRID', 8: 'GROUP_BY_COMPOSITE' };
/** TableStore's bounds on GroupByField `size`. */
const DEFAULT_GROUP_SIZE = 10;
const MAX_GROUP_SIZE = 2000;
const DESC = 1;

const message = (name: string) => protos.search[name]!;

/** The field an aggregation or group-by reads: in the index, with sort and aggregation enabled. */
function aggField(fields: ReadonlyMap<string, IndexField>, name: unknown, where: string): IndexField {
  const field = fields.get(String(name ?? ''));
  if (!field) throw parameterInvalid(`${where}: field [${String(name ?? '')}] is not in the search index schema.`);
  if (!field.sortable) throw parameterInvalid(`${where}: field [${field.name}] does not enable sort and agg.`);
  return field;
}

const numeric = (v: CellValue): number | undefined => (v.type === 'INTEGER' ? Number(v.value) : v.type === 'DOUBLE' ? v.value : undefined);
const keyOf = (v: CellValue): string => (v.type === 'BINARY' ? v.value.toString('base64') : String(v.value));

/** A document's values of the field, or the request's `missing` value for a document without one. */
function valuesOf(doc: IndexedDoc, field: IndexField, missing: CellValue | undefined): CellValue[] {
  const values = doc.values.get(field.name) ?? [];
  return values.length > 0 || !missing ? values : [missing];
}

/** One value aggregation's result message (AggregationResult), over `docs`; a number for sub-aggregation sorts. */
function aggregate(agg: Decoded, docs: readonly IndexedDoc[], fields: ReadonlyMap<string, IndexField>): { encoded: object; value: number } {
  const type = Number(agg.type);
  const name = String(agg.name ?? '');
  const where = `Aggregation [${name}]`;
  const messages = AGG_MESSAGES[type];
  if (!messages) throw notEmulated(`Search aggregation ${AGG_NAMES[type] ?? type}`);
  const body = decodeRequest<Decoded>(message(messages[0]), (agg.body as Uint8Array | undefined) ?? new Uint8Array());
  const field = aggField(fields, body.fieldName, where);
  const missingBytes = body.missing as Uint8Array | undefined;
  const missing = missingBytes && missingBytes.length > 0 ? readVariant(missingBytes) : undefined;
  const values = docs.flatMap((doc) => valuesOf(doc, field, missing));
  let value: number;
  if (type === AGG.COUNT) value = values.length;
  else if (type === AGG.DISTINCT_COUNT) value = new Set(values.map((v) => `${v.type}:${keyOf(v)}`)).size;
  else {
    if (field.type !== 'LONG' && field.type !== 'DOUBLE') throw parameterInvalid(`${where}: field [${field.name}] is ${field.type}, a LONG or DOUBLE field is needed.`);
    const numbers = values.flatMap((v) => numeric(v) ?? []);
    const sum = numbers.reduce((a, b) => a + b, 0);
    value = type === AGG.SUM ? sum : type === AGG.AVG ? sum / numbers.length : type === AGG.MIN ? numbers.reduce((a, b) => Math.min(a, b), Infinity) : numbers.reduce((a, b) => Math.max(a, b), -Infinity);
  }
  const result = encodeResponse(message(messages[1]), { value });
  return { encoded: { name, type, aggResult: result }, value };
}

/** The AggregationsResult message of `aggs` (an Aggregations message) over `docs`, and each value by name. */
export function aggregations(aggs: Decoded | undefined, docs: readonly IndexedDoc[], fields: ReadonlyMap<string, IndexField>): { result: object; values: Map<string, number> } {
  const values = new Map<string, number>();
  const aggResults = ((aggs?.aggs as Decoded[] | undefined) ?? []).map((agg) => {
    const { encoded, value } = aggregate(agg, docs, fields);
    values.set(String(agg.name ?? ''), value);
    return encoded;
  });
  return { result: { aggResults }, values };
}

interface Group {
  key: string;
  sample: CellValue;
  docs: IndexedDoc[];
  subAggs?: { result: object; values: Map<string, number> };
}

/** How groups are ordered: the request's sorters in turn, else by row count (most first), then by key. */
function groupOrder(sort: Decoded | undefined, where: string): (a: Group, b: Group) => number {
  const sorters = (sort?.sorters as Decoded[] | undefined) ?? [];
  const byKey = (a: Group, b: Group) => {
    const x = numeric(a.sample);
    const y = numeric(b.sample);
    return x !== undefined && y !== undefined ? x - y : a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
  };
  const rules = sorters.map((sorter): ((a: Group, b: Group) => number) => {
    const sign = (part: unknown) => (Number((part as Decoded).order) === DESC ? -1 : 1);
    if (sorter.groupKeySort) return (a, b) => sign(sorter.groupKeySort) * byKey(a, b);
    if (sorter.rowCountSort) return (a, b) => sign(sorter.rowCountSort) * (a.docs.length - b.docs.length);
    if (sorter.subAggSort) {
      const named = String((sorter.subAggSort as Decoded).subAggName ?? '');
      const of = (g: Group) => {
        const value = g.subAggs?.values.get(named);
        if (value === undefined) throw parameterInvalid(`${where}: sub_agg_sort names [${named}], which is not a sub-aggregation of this group-by.`);
        return value;
      };
      return (a, b) => sign(sorter.subAggSort) * (of(a) - of(b));
    }
    throw parameterInvalid(`${where}: a sorter needs one of group_key_sort, row_count_sort, sub_agg_sort.`);
  });
  if (rules.length === 0) rules.push((a, b) => b.docs.length - a.docs.length, byKey);
  return (a, b) => {
    for (const rule of rules) {
      const order = rule(a, b);
      if (order !== 0) return order;
    }
    return 0;
  };
}

function groupByField(body: Decoded, docs: readonly IndexedDoc[], fields: ReadonlyMap<string, IndexField>, where: string): Uint8Array {
  const field = aggField(fields, body.fieldName, where);
  const size = has(body, 'size') ? Number(body.size) : DEFAULT_GROUP_SIZE;
  if (!Number.isInteger(size) || size <= 0 || size > MAX_GROUP_SIZE) throw parameterInvalid(`${where}: size must be in [1, ${MAX_GROUP_SIZE}], got ${size}.`);
  const minDocCount = has(body, 'minDocCount') ? Number(body.minDocCount) : 0;
  const groups = new Map<string, Group>();
  for (const doc of docs) {
    // A document with an array value is in the group of each of its distinct values.
    const seen = new Set<string>();
    for (const value of doc.values.get(field.name) ?? []) {
      const key = keyOf(value);
      if (seen.has(key)) continue;
      seen.add(key);
      const group = groups.get(key) ?? { key, sample: value, docs: [] };
      group.docs.push(doc);
      groups.set(key, group);
    }
  }
  const kept = [...groups.values()].filter((g) => g.docs.length >= minDocCount);
  for (const group of kept) if (body.subAggs) group.subAggs = aggregations(body.subAggs as Decoded, group.docs, fields);
  kept.sort(groupOrder(body.sort as Decoded | undefined, where));
  const items = kept.slice(0, size).map((group) => ({
    key: group.key,
    rowCount: group.docs.length,
    ...(group.subAggs ? { subAggsResult: group.subAggs.result } : {}),
    ...(body.subGroupBys ? { subGroupBysResult: groupBys(body.subGroupBys as Decoded, group.docs, fields) } : {}),
  }));
  return encodeResponse(message('GroupByFieldResult'), { groupByFieldResultItems: items });
}

/** The GroupBysResult message of `request` (a GroupBys message) over `docs`. */
export function groupBys(request: Decoded | undefined, docs: readonly IndexedDoc[], fields: ReadonlyMap<string, IndexField>): object {
  const groupByResults = ((request?.groupBys as Decoded[] | undefined) ?? []).map((groupBy) => {
    const type = Number(groupBy.type);
    const name = String(groupBy.name ?? '');
    if (type !== GROUP_BY_FIELD) throw notEmulated(`Search group-by ${GROUP_BY_NAMES[type] ?? type}`);
    const body = decodeRequest<Decoded>(message('GroupByField'), (groupBy.body as Uint8Array | undefined) ?? new Uint8Array());
    return { name, type, groupByResult: groupByField(body, docs, fields, `GroupBy [${name}]`) };
  });
  return { groupByResults };
}

/** SearchResponse's `aggs` and `group_bys` (bytes) for the request's aggregations and group-bys over every hit. */
export function aggregationAnswers(query: Decoded, docs: readonly IndexedDoc[], fields: ReadonlyMap<string, IndexField>): { aggs?: Uint8Array; groupBys?: Uint8Array } {
  return {
    ...(query.aggs ? { aggs: encodeResponse(message('AggregationsResult'), aggregations(query.aggs as Decoded, docs, fields).result) } : {}),
    ...(query.groupBys ? { groupBys: encodeResponse(message('GroupBysResult'), groupBys(query.groupBys as Decoded, docs, fields)) } : {}),
  };
}
