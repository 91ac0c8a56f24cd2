/**
 * Search index operations: CreateSearchIndex, DescribeSearchIndex, ListSearchIndex, UpdateSearchIndex,
 * DeleteSearchIndex and Search (https://www.alibabacloud.com/help/en/tablestore/developer-reference/search-index).
 * Search evaluates the query over the index's documents (`indexes.ts`), sorts, pages with `offset` or
 * `next_token`, and answers one PlainBuffer row per hit, with the aggregations and group-bys over every hit
 * (`aggregations.ts`). What is left out is refused by name (`notEmulated`): collapse, highlight, routing,
 * parallel scan, index TTL, and the query types `query.ts` does not decode.
 *
 * Assumed where TableStore does not document it: `next_token` is returned whenever a page is full (even when
 * nothing follows); it carries the sort, so a request with a token must not send one; a malformed token is
 * OTSParameterInvalid. `limit` defaults to 10 and is at most 100, or 1 000 when every column returned is in the
 * index (documented); `offset + limit` is at most 100 000 (documented as offset paging's reach).
 */
import { notEmulated, OtsError, parameterInvalid } from '../errors';
import { decodeRequest, encodeResponse, has, requireTable, type OperationContext, type OperationHandler } from '../handler';
import { checkSearchIndexable } from '../ops/ddl';
import { writeRows } from '../plain-buffer';
import { protos } from '../sdk';
import { refuseIndexDdl } from '../secondary';
import { latestCells, NAME_PATTERN, type LiveRow, type TableHandle } from '../table';
import { comparePkValue, type CellValue, type PkCell } from '../values';
import type { LoadedIndex } from './indexes';
import { aggregationAnswers } from './aggregations';
import { Corpus, decodeQuery, evaluate } from './query';
import { decodeIndexSchema, decodeSorters, type IndexedDoc, type IndexField, type Sorter, type SortMode } from './schema';

const MAX_LIMIT = 100;
/** The page size TableStore allows when it need not read the rows back from the table: every column returned is in the index. */
const MAX_LIMIT_FROM_INDEX = 1000;
/** How deep offset paging reaches (offset + limit); deeper pages take next_token. */
const MAX_OFFSET_PAGING = 100_000;
const DEFAULT_LIMIT = 10;
const INDEX_STATUS_RUNNING = 3;
const SYNC_PHASE_INCR = 2;

type Decoded = Record<string, unknown>;

function indexNotFound(table: string, index: string): OtsError {
  return new OtsError(404, 'OTSObjectNotExist', `Requested search index does not exist: ${table}/${index}.`);
}

function loadIndex(context: OperationContext, tableName: string, indexName: string): LoadedIndex {
  const table = requireTable(context, tableName);
  const row = context.storage.searchIndexes(table).find((r) => r.name === indexName);
  if (!row) throw indexNotFound(tableName, indexName);
  return context.search.load(table, row);
}

export const createSearchIndex: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.CreateSearchIndexRequest!, context.body);
  const table = requireTable(context, String(request.tableName ?? ''));
  refuseIndexDdl(table, 'CreateSearchIndex');
  const indexName = String(request.indexName ?? '');
  if (!NAME_PATTERN.test(indexName)) throw parameterInvalid(`Invalid index name: '${indexName}'.`);
  if (request.sourceIndexName) throw notEmulated('Creating a search index from another (source_index_name)');
  if (has(request, 'timeToLive') && Number(request.timeToLive) !== -1) throw notEmulated('Search index TTL (time_to_live other than -1)');
  checkSearchIndexable(table.meta, 'CreateSearchIndex');
  decodeIndexSchema(request.schema as Decoded | undefined);
  if (context.storage.searchIndexes(table).some((r) => r.name === indexName)) {
    throw new OtsError(409, 'OTSObjectAlreadyExist', `Requested search index already exists: ${table.meta.name}/${indexName}.`);
  }
  const schema = Buffer.from(protos.search.IndexSchema!.encode(request.schema as never).finish());
  context.storage.insertSearchIndex({ tableId: table.id, name: indexName, schema, createdAt: context.now, ttlSeconds: -1 });
  return encodeResponse(protos.search.CreateSearchIndexResponse!, {});
};

export const describeSearchIndex: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.DescribeSearchIndexRequest!, context.body);
  const index = loadIndex(context, String(request.tableName ?? ''), String(request.indexName ?? ''));
  const docs = context.search.documents(index, context.now);
  return encodeResponse(protos.search.DescribeSearchIndexResponse!, {
    schema: protos.search.IndexSchema!.decode(index.row.schema),
    syncStat: { syncPhase: SYNC_PHASE_INCR, currentSyncTimestamp: context.now * 1_000_000 },
    meteringInfo: { storageSize: 0, rowCount: docs.length, reservedReadCu: 0, timestamp: Math.floor(context.now / 1000) },
    createTime: index.row.createdAt * 1000,
    timeToLive: index.row.ttlSeconds,
    indexStatus: { status: INDEX_STATUS_RUNNING, statusDescription: '' },
  });
};

export const listSearchIndex: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.ListSearchIndexRequest!, context.body);
  const tables: TableHandle[] = request.tableName ? [requireTable(context, String(request.tableName))] : context.storage.tables(context.instance);
  const indices = tables.flatMap((table) => context.storage.searchIndexes(table).map((row) => ({ tableName: table.meta.name, indexName: row.name })));
  return encodeResponse(protos.search.ListSearchIndexResponse!, { indices });
};

export const updateSearchIndex: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.UpdateSearchIndexRequest!, context.body);
  const index = loadIndex(context, String(request.tableName ?? ''), String(request.indexName ?? ''));
  if (!has(request, 'timeToLive')) throw parameterInvalid('Nothing to update: time_to_live is the only setting UpdateSearchIndex changes.');
  if (Number(request.timeToLive) !== -1) throw notEmulated('Search index TTL (time_to_live other than -1)');
  context.storage.updateSearchIndexTtl(index.table.id, index.row.name, -1);
  return encodeResponse(protos.search.UpdateSearchIndexResponse!, {});
};

export const deleteSearchIndex: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.DeleteSearchIndexRequest!, context.body);
  const index = loadIndex(context, String(request.tableName ?? ''), String(request.indexName ?? ''));
  context.storage.deleteSearchIndex(index.table.id, index.row.name);
  context.search.dropIndex(index.table.id, index.row.name);
  return encodeResponse(protos.search.DeleteSearchIndexResponse!, {});
};

// ---- sorting ----

type SortValue = number | string | bigint | PkCell[] | null;

interface Hit {
  doc: IndexedDoc;
  score: number;
  key: SortValue[];
}

/** A field's sort value: one of its values, or the average of an array's numbers, as the sorter's mode says. */
function fieldSortValue(values: readonly CellValue[] | undefined, mode: SortMode): SortValue {
  const plain = (values ?? []).flatMap((v): (number | string | bigint)[] => (v.type === 'INTEGER' || v.type === 'STRING' || v.type === 'DOUBLE' ? [v.value] : v.type === 'BOOLEAN' ? [Number(v.value)] : []));
  if (plain.length === 0) return null;
  if (mode === 'avg') return plain.reduce((sum: number, v) => sum + Number(v), 0) / plain.length;
  return plain.reduce((best, v) => ((mode === 'min' ? compareValue(v, best) < 0 : compareValue(v, best) > 0) ? v : best));
}

function sortKey(sorters: readonly Sorter[], doc: IndexedDoc, score: number): SortValue[] {
  return sorters.map((s) => {
    if (s.kind === 'score') return score;
    if (s.kind === 'pk') return doc.row.primaryKey;
    return fieldSortValue(doc.values.get(s.field), s.mode);
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

const RETURN_ALL = 1;
const RETURN_SPECIFIED = 2;
const RETURN_NONE = 3;
const RETURN_ALL_FROM_INDEX = 4;

function projectColumns(row: LiveRow, columnsToGet: Decoded | undefined, fields: readonly IndexField[]): LiveRow {
  const returnType = Number(columnsToGet?.returnType ?? RETURN_NONE);
  const latest = { primaryKey: row.primaryKey, cells: latestCells(row) };
  if (returnType === RETURN_ALL) return latest;
  if (returnType === RETURN_NONE) return { primaryKey: row.primaryKey, cells: [] };
  if (returnType !== RETURN_SPECIFIED && returnType !== RETURN_ALL_FROM_INDEX) throw parameterInvalid(`Invalid return type: ${returnType}.`);
  const names = returnType === RETURN_SPECIFIED ? ((columnsToGet?.columnNames as string[] | undefined) ?? []) : fields.map((f) => f.name);
  return { primaryKey: row.primaryKey, cells: latest.cells.filter((c) => names.includes(c.name)) };
}

/** Whether the columns to get are all held by the index (none, all of the index's, or named index fields only). */
function columnsAllInIndex(columnsToGet: Decoded | undefined, fields: ReadonlyMap<string, IndexField>): boolean {
  const returnType = Number(columnsToGet?.returnType ?? RETURN_NONE);
  if (returnType === RETURN_NONE || returnType === RETURN_ALL_FROM_INDEX) return true;
  return returnType === RETURN_SPECIFIED && ((columnsToGet?.columnNames as string[] | undefined) ?? []).every((name) => fields.has(name));
}

export const search: OperationHandler = (context) => {
  const request = decodeRequest<Decoded>(protos.search.SearchRequest!, context.body);
  const index = loadIndex(context, String(request.tableName ?? ''), String(request.indexName ?? ''));
  const fields = new Map(index.schema.fields.map((f) => [f.name, f]));
  if ((request.routingValues as unknown[] | undefined)?.length) throw notEmulated('Search routing_values');
  const query = decodeRequest<Decoded>(protos.search.SearchQuery!, (request.searchQuery as Uint8Array | undefined) ?? new Uint8Array());
  for (const [field, name] of [['collapse', 'Collapse'], ['highlight', 'Highlight']] as const) {
    if (query[field]) throw notEmulated(`Search ${name}`);
  }

  const limit = has(query, 'limit') ? Number(query.limit) : DEFAULT_LIMIT;
  const maxLimit = columnsAllInIndex(request.columnsToGet as Decoded | undefined, fields) ? MAX_LIMIT_FROM_INDEX : MAX_LIMIT;
  if (!Number.isInteger(limit) || limit < 0 || limit > maxLimit) {
    const why = maxLimit === MAX_LIMIT ? ` (${MAX_LIMIT_FROM_INDEX} when every column returned is in the index)` : '';
    throw parameterInvalid(`Invalid limit: ${limit}, the limit must be in [0, ${maxLimit}]${why}.`);
  }
  const offset = Number(query.offset ?? 0);
  if (!Number.isInteger(offset) || offset < 0) throw parameterInvalid(`Invalid offset: ${offset}.`);
  if (offset + limit > MAX_OFFSET_PAGING) throw parameterInvalid(`Invalid offset: ${offset}, offset + limit must not exceed ${MAX_OFFSET_PAGING}: page deeper with next_token.`);
  const token = query.token as Uint8Array | undefined;
  const fromToken = token && token.length > 0 ? readToken(token) : undefined;
  if (fromToken && query.sort) throw parameterInvalid('Sort and token cannot be set at the same time: the token already carries the sort.');
  if (fromToken && offset > 0) throw parameterInvalid('Offset must be 0 when a token is set.');
  const sort = fromToken ? fromToken.sort : (query.sort as Decoded | undefined);
  const requested = decodeSorters(sort, fields, 'sort');
  const sorters: Sorter[] = requested.length > 0 ? [...requested] : [...index.schema.indexSort];
  // A final primary-key tie-break keeps every order total, so pages never repeat or skip a hit.
  if (!sorters.some((s) => s.kind === 'pk')) sorters.push({ kind: 'pk', desc: false });

  const tree = decodeQuery(query.query as Decoded | undefined, fields);
  const docs = context.search.documents(index, context.now);
  const corpus = new Corpus(docs);
  const hits: Hit[] = [];
  for (const doc of docs) {
    const score = evaluate(tree, doc, corpus);
    if (score !== undefined) hits.push({ doc, score, key: sortKey(sorters, doc, score) });
  }
  hits.sort((a, b) => compareKeys(sorters, a.key, b.key));

  const start = fromToken ? hits.findIndex((h) => compareKeys(sorters, h.key, fromToken.after) > 0) : offset;
  const page = start < 0 ? [] : hits.slice(start, start + limit);
  const last = page[page.length - 1];
  return encodeResponse(protos.search.SearchResponse!, {
    ...aggregationAnswers(query, hits.map((h) => h.doc), fields),
    totalHits: query.getTotalCount ? hits.length : -1,
    rows: page.map((h) => writeRows([projectColumns(h.doc.row, request.columnsToGet as Decoded | undefined, index.schema.fields)])),
    isAllSucceeded: true,
    searchHits: page.map((h) => ({ score: h.score })),
    ...(last && page.length === limit ? { nextToken: writeToken(sort, last.key) } : {}),
  });
};

export const computeSplits: OperationHandler = () => {
  throw notEmulated('ComputeSplits (parallel scan of a search index)');
};

export const parallelScan: OperationHandler = () => {
  throw notEmulated('ParallelScan');
};
