/**
 * The fake TableStore's search indexes: `CreateSearchIndex` (stores the field schema) and `Search` (evaluates
 * the query over the table's live rows in memory, sorts, pages with offset or `next_token`, encodes
 * `SearchResponse` with one PlainBuffer row per hit). Register both on a fake with `registerSearchOperations`.
 *
 * LIMITATIONS:
 * - Index sync is immediate: a write is searchable in the next request (TableStore takes seconds).
 * - Queries: MATCH_ALL, MATCH (OR/AND, minimum_should_match), PREFIX, TERM, TERMS, BOOL; any other query type,
 *   aggregations, group-bys, collapse, highlight and routing values fail with OTSParameterInvalid.
 * - Every analyzer behaves like `single_word` (case-insensitive; Han/Kana characters one by one; runs of letters
 *   and digits). Scores follow Lucene's formulas (BM25 per MATCH term, constant weight for PREFIX/TERM, sums in
 *   BOOL) but not its exact numbers (no norms encoding, no coordination).
 * - Sorters: ScoreSort, FieldSort (on fields with enableSortAndAgg; missing values last), PrimaryKeySort; a
 *   final primary-key tie-break is implied. Without a sort the order is the primary key (the default presort).
 * - Assumed where TableStore does not document it: `next_token` is returned whenever a page is full (even when
 *   nothing follows), it carries the sort so a request with a token must not send one, and a malformed token is
 *   OTSParameterInvalid. `limit` defaults to 10 and is at most 100.
 */
import type { FakeTableStore } from '.';
import { OtsError, parameterInvalid } from './errors';
import { decodeRequest, encodeResponse, has, notEmulated, type OperationHandler } from './handler';
import { writeRows } from './plain-buffer';
import { protos } from './sdk';
import { Corpus, decodeQuery, evaluate, fieldTypeOf, indexRow, type IndexField, type IndexedRow } from './search-query';
import type { FakeStore, LiveRow } from './store';
import { comparePkValue, type CellValue, type PkCell } from './values';

const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 10;

/** The search indexes defined on one fake instance. */
export class FakeSearchIndexes {
  private readonly indexes = new Map<string, IndexField[]>();

  define(table: string, index: string, fields: IndexField[]): void {
    const key = `${table}/${index}`;
    if (this.indexes.has(key)) throw new OtsError(409, 'OTSObjectAlreadyExist', `Index ${index} already exists on table ${table}.`);
    this.indexes.set(key, fields);
  }

  fields(table: string, index: string): IndexField[] {
    const fields = this.indexes.get(`${table}/${index}`);
    if (!fields) throw new OtsError(404, 'OTSObjectNotExist', `Index ${index} does not exist on table ${table}.`);
    return fields;
  }
}

/**
 * Register `CreateSearchIndex` and `Search` on a fake TableStore.
 * @example const ots = await startFakeTableStore({ tables: [imageSearchTable] });
 *          const indexes = registerSearchOperations(ots);
 *          await client.createSearchIndex({ tableName: 'image_search', indexName: 'idx', schema: { fieldSchemas } });
 */
export function registerSearchOperations(fake: Pick<FakeTableStore, 'registerOperation'>): FakeSearchIndexes {
  const indexes = new FakeSearchIndexes();
  fake.registerOperation('CreateSearchIndex', createSearchIndexHandler(indexes));
  fake.registerOperation('Search', searchHandler(indexes));
  return indexes;
}

type Decoded = Record<string, unknown>;

export function createSearchIndexHandler(indexes: FakeSearchIndexes): OperationHandler {
  return ({ body, store }) => {
    const request = decodeRequest<Decoded>(protos.search.CreateSearchIndexRequest!, body);
    const tableName = String(request.tableName);
    store.table(tableName);
    const schema = (request.schema ?? {}) as Decoded;
    const fields = ((schema.fieldSchemas as Decoded[] | undefined) ?? []).map((f): IndexField => {
      const name = String(f.fieldName);
      if ((f.fieldSchemas as unknown[] | undefined)?.length || f.isVirtualField) throw notEmulated(`nested and virtual fields (${name})`);
      return {
        name,
        type: fieldTypeOf(Number(f.fieldType), name),
        array: f.isArray === true,
        ...(typeof f.analyzer === 'string' && f.analyzer ? { analyzer: f.analyzer } : {}),
        sortable: f.docValues === true,
      };
    });
    if (fields.length === 0) throw parameterInvalid('field_schemas is required.');
    indexes.define(tableName, String(request.indexName), fields);
    return encodeResponse(protos.search.CreateSearchIndexResponse!, {});
  };
}

// ---- sorting ----

type Sorter = { kind: 'score'; desc: boolean } | { kind: 'field'; field: string; desc: boolean } | { kind: 'pk'; desc: boolean };
type SortValue = number | string | bigint | PkCell[] | null;

interface Hit {
  indexed: IndexedRow;
  score: number;
  key: SortValue[];
}

function decodeSorters(sort: Decoded | undefined, fields: ReadonlyMap<string, IndexField>): Sorter[] {
  const sorters = ((sort?.sorter as Decoded[] | undefined) ?? []).map((s): Sorter => {
    const desc = (part: unknown) => Number((part as Decoded).order) === 1;
    if (s.scoreSort) return { kind: 'score', desc: desc(s.scoreSort) };
    if (s.pkSort) return { kind: 'pk', desc: desc(s.pkSort) };
    if (s.fieldSort) {
      const fs = s.fieldSort as Decoded;
      const field = fields.get(String(fs.fieldName));
      if (!field) throw parameterInvalid(`Sort field [${String(fs.fieldName)}] is not in the search index schema.`);
      if (!field.sortable || field.type === 'TEXT') throw parameterInvalid(`Field [${field.name}] does not enable sort and agg.`);
      return { kind: 'field', field: field.name, desc: desc(fs) };
    }
    throw notEmulated('this sorter');
  });
  if (!sorters.some((s) => s.kind === 'pk')) sorters.push({ kind: 'pk', desc: false });
  return sorters;
}

function sortKey(sorters: readonly Sorter[], indexed: IndexedRow, score: number): SortValue[] {
  return sorters.map((s) => {
    if (s.kind === 'score') return score;
    if (s.kind === 'pk') return indexed.row.primaryKey;
    const values = indexed.values.get(s.field) ?? [];
    const first = values[0];
    if (!first) return null;
    return first.type === 'INTEGER' ? first.value : first.type === 'STRING' ? first.value : first.type === 'DOUBLE' ? first.value : first.type === 'BOOLEAN' ? Number(first.value) : null;
  });
}

function compareValue(a: SortValue, b: SortValue): number {
  if (Array.isArray(a) && Array.isArray(b)) {
    for (let i = 0; i < Math.min(a.length, b.length); i++) {
      const order = comparePkValue(a[i]!.value, b[i]!.value);
      if (order !== 0) return order;
    }
    return a.length - b.length;
  }
  if (typeof a === 'string' && typeof b === 'string') return Buffer.compare(Buffer.from(a), Buffer.from(b));
  const x = a as number | bigint;
  const y = b as number | bigint;
  return x < y ? -1 : x > y ? 1 : 0;
}

function compareKeys(sorters: readonly Sorter[], a: readonly SortValue[], b: readonly SortValue[]): number {
  for (let i = 0; i < sorters.length; i++) {
    const x = a[i] ?? null;
    const y = b[i] ?? null;
    if (x === null || y === null) {
      if (x !== y) return x === null ? 1 : -1; // missing values sort last in either order
      continue;
    }
    const order = compareValue(x, y);
    if (order !== 0) return sorters[i]!.desc ? -order : order;
  }
  return 0;
}

// ---- tokens: the sort plus the last hit's sort key (search-after) ----

interface TokenState {
  sort: string;
  after: unknown[];
}

function encodeKeyValue(value: SortValue): unknown {
  if (value === null) return null;
  if (typeof value === 'bigint') return { i: value.toString() };
  if (Array.isArray(value)) return { pk: value.map((c) => [c.name, c.value.type, c.value.type === 'BINARY' ? c.value.value.toString('base64') : String(c.value.value)]) };
  return value;
}

function decodeKeyValue(value: unknown): SortValue {
  if (value === null || typeof value === 'number' || typeof value === 'string') return value;
  const v = value as { i?: string; pk?: [string, string, string][] };
  if (typeof v.i === 'string') return BigInt(v.i);
  if (Array.isArray(v.pk)) {
    return v.pk.map(([name, type, raw]): PkCell => ({
      name,
      value: type === 'INTEGER' ? { type, value: BigInt(raw) } : type === 'BINARY' ? { type, value: Buffer.from(raw, 'base64') } : { type: 'STRING', value: raw },
    }));
  }
  throw new Error('bad key value');
}

function readToken(token: Uint8Array): { sort: Decoded | undefined; after: SortValue[] } {
  try {
    const state = JSON.parse(Buffer.from(token).toString('utf8')) as TokenState;
    if (typeof state.sort !== 'string' || !Array.isArray(state.after)) throw new Error('bad token');
    const sort = state.sort ? (protos.search.Sort!.decode(Buffer.from(state.sort, 'base64')) as Decoded) : undefined;
    return { sort, after: state.after.map(decodeKeyValue) };
  } catch {
    throw parameterInvalid('Invalid token.');
  }
}

function writeToken(sort: Decoded | undefined, after: readonly SortValue[]): Buffer {
  const sortBytes = sort ? Buffer.from(protos.search.Sort!.encode(sort).finish()).toString('base64') : '';
  return Buffer.from(JSON.stringify({ sort: sortBytes, after: after.map(encodeKeyValue) } satisfies TokenState));
}

// ---- Search ----

function projectColumns(row: LiveRow, columnsToGet: Decoded | undefined, fields: readonly IndexField[]): LiveRow {
  const returnType = Number(columnsToGet?.returnType ?? 3);
  if (returnType === 1) return row;
  if (returnType === 3) return { primaryKey: row.primaryKey, cells: [] };
  const names = returnType === 2 ? ((columnsToGet?.columnNames as string[] | undefined) ?? []) : fields.map((f) => f.name);
  return { primaryKey: row.primaryKey, cells: row.cells.filter((c) => names.includes(c.name)) };
}

function liveRows(store: FakeStore, tableName: string, now: number): LiveRow[] {
  const table = store.table(tableName);
  return table.rows.map((r) => table.live(r, now)).filter((r): r is LiveRow => r !== undefined);
}

export function searchHandler(indexes: FakeSearchIndexes): OperationHandler {
  return ({ body, store, now }) => {
    const request = decodeRequest<Decoded>(protos.search.SearchRequest!, body);
    const tableName = String(request.tableName ?? '');
    const fieldList = indexes.fields(tableName, String(request.indexName ?? ''));
    const fields = new Map(fieldList.map((f) => [f.name, f]));
    if ((request.routingValues as unknown[] | undefined)?.length) throw notEmulated('routing_values');
    const query = decodeRequest<Decoded>(protos.search.SearchQuery!, (request.searchQuery as Uint8Array | undefined) ?? new Uint8Array());
    for (const unsupported of ['aggs', 'groupBys', 'collapse', 'highlight']) if (query[unsupported]) throw notEmulated(unsupported);

    const limit = has(query, 'limit') ? Number(query.limit) : DEFAULT_LIMIT;
    if (!Number.isInteger(limit) || limit < 0 || limit > MAX_LIMIT) throw parameterInvalid(`Invalid limit: ${limit}, the limit must be in [0, ${MAX_LIMIT}].`);
    const offset = Number(query.offset ?? 0);
    const token = query.token as Uint8Array | undefined;
    const fromToken = token && token.length > 0 ? readToken(token) : undefined;
    if (fromToken && query.sort) throw parameterInvalid('Sort and token cannot be set at the same time: the token already carries the sort.');
    if (fromToken && offset > 0) throw parameterInvalid('Offset must be 0 when a token is set.');
    const sort = fromToken ? fromToken.sort : (query.sort as Decoded | undefined);
    const sorters = decodeSorters(sort, fields);

    const tree = decodeQuery(query.query as Decoded | undefined, fields);
    const corpus = new Corpus(liveRows(store, tableName, now).map((row) => indexRow(row, fieldList)));
    const hits: Hit[] = [];
    for (const indexed of corpus.rows) {
      const score = evaluate(tree, indexed, corpus);
      if (score !== undefined) hits.push({ indexed, score, key: sortKey(sorters, indexed, score) });
    }
    hits.sort((a, b) => compareKeys(sorters, a.key, b.key));

    const start = fromToken ? hits.findIndex((h) => compareKeys(sorters, h.key, fromToken.after) > 0) : offset;
    const page = start < 0 ? [] : hits.slice(start, start + limit);
    const last = page[page.length - 1];
    return encodeResponse(protos.search.SearchResponse!, {
      totalHits: query.getTotalCount ? hits.length : -1,
      rows: page.map((h) => writeRows([projectColumns(h.indexed.row, request.columnsToGet as Decoded | undefined, fieldList)])),
      isAllSucceeded: true,
      searchHits: page.map((h) => ({ score: h.score })),
      ...(last && page.length === limit ? { nextToken: writeToken(sort, last.key) } : {}),
    });
  };
}

export type { CellValue, IndexField };
