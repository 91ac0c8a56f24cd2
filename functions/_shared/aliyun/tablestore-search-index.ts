import TableStore from 'tablestore';
import * as z from 'zod';
import { decodeCursor, encodeCursor, isPrefixWord, keywordWords, normalizeQuery, searchWords, validDocument, validId, type NormalizedQuery } from '../adapters/search-query';
import { ValidationError } from '../errors';
import type { SearchDocument, SearchHit, SearchIndex, SearchPage, SearchQuery } from '../ports/search-index';
import { tableStoreClient, type TableStoreConnection } from './tablestore-client';

/**
 * The SearchIndex port on a TableStore search index (multi-index) through the `tablestore` SDK.
 *
 * Documents are rows of a data table (PK `id`) whose search index is declared in `infra/ros.yaml` with the
 * fields of {@link IMAGE_SEARCH_INDEX_FIELDS}. Row columns:
 * - `title`, `fields` (JSON), `productId`, `createdAt` (INTEGER), `tags` (JSON array: TableStore's format for
 *   an array KEYWORD field) — what `search` returns, and what the exact filters use;
 * - `titleWords`, `keywordWords` — the words of the title and of tags + product id, split by the shared
 *   `searchWords` and joined by spaces, indexed as TEXT. Splitting here rather than trusting the analyzer keeps
 *   every environment's notion of a word the same (NFKC, Han characters one by one), whatever the analyzer does.
 *
 * A text query is a BOOL_QUERY: one must-clause per word, each a should of MATCH (BM25) and, for words of
 * 2+ characters, PREFIX on both TEXT fields, title clauses weighted {@link TITLE_WEIGHT}×; filters are TERM
 * filter-clauses (no effect on score). Sorted by score, then createdAt (desc), then primary key (asc).
 * Pages use TableStore's `next_token` (it carries the sort and the search-after position, so the follow-up
 * request sends no sort); the cursor wraps it with the number of hits already shown, and the adapter asks
 * for the total count so that a full last page gets no cursor even if the server returns a token with it.
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/sorting-and-paging
 */
export const TITLE_WEIGHT = 4;

/** Which index: the data table holding the documents and the search index on it (`infra/ros.yaml`). */
export interface SearchIndexName {
  table: string;
  index: string;
}

/** The image metadata index (`ImageSearchTable` / `ImageSearchIndex` in infra/ros.yaml). */
export const IMAGE_SEARCH: SearchIndexName = { table: 'image_search', index: 'image_search_index' };

export interface SearchFieldSpec {
  name: string;
  type: 'TEXT' | 'KEYWORD' | 'LONG';
  array?: boolean;
  /** TableStore analyzer of a TEXT field (SDK spelling). */
  analyzer?: 'single_word';
  sortable?: boolean;
}

/** The search index's fields; `infra/ros.yaml` declares the same (a test compares them). */
export const IMAGE_SEARCH_INDEX_FIELDS: readonly SearchFieldSpec[] = [
  { name: 'titleWords', type: 'TEXT', analyzer: 'single_word' },
  { name: 'keywordWords', type: 'TEXT', analyzer: 'single_word' },
  { name: 'tags', type: 'KEYWORD', array: true },
  { name: 'productId', type: 'KEYWORD' },
  { name: 'createdAt', type: 'LONG', sortable: true },
];

/** `IMAGE_SEARCH_INDEX_FIELDS` as `client.createSearchIndex` takes them (tests and setup scripts). */
export function sdkFieldSchemas(fields: readonly SearchFieldSpec[] = IMAGE_SEARCH_INDEX_FIELDS): object[] {
  return fields.map((f) => ({
    fieldName: f.name,
    fieldType: TableStore.FieldType[f.type],
    index: true,
    // The SDK's encoder reads analyzerParameter for single_word unconditionally; these are TableStore's defaults.
    ...(f.analyzer ? { analyzer: f.analyzer, analyzerParameter: { caseSensitive: false, delimitWord: false } } : {}),
    ...(f.array ? { isAnArray: true } : {}),
    ...(f.sortable ? { enableSortAndAgg: true } : {}),
  }));
}

export interface TableStoreSearchIndexOptions extends TableStoreConnection {
  /** The data table (e.g. `image_search`). */
  tableName: string;
  /** The search index on it (e.g. `image_search_index`). */
  indexName: string;
}

const RETURNED_COLUMNS = ['title', 'tags', 'productId', 'createdAt', 'fields'];

const tokenPosition = z.object({ t: z.string().min(1).regex(/^[A-Za-z0-9+/=]+$/), n: z.number().int().min(0) });

type Query = { queryType: number; query?: object };

export class TableStoreSearchIndex implements SearchIndex {
  private readonly client: TableStore.Client;

  /**
   * @example const index = new TableStoreSearchIndex({ endpoint, instance, credentials, tableName: 'image_search', indexName: 'image_search_index' });
   *          const { hits, nextCursor } = await index.search({ text: 'aurora head', tag: 'audio', limit: 10 });
   */
  constructor(private readonly options: TableStoreSearchIndexOptions) {
    this.client = tableStoreClient(options);
  }

  async upsert(input: SearchDocument): Promise<void> {
    const doc = validDocument(input);
    const columns: TableStore.AttrCell[] = [
      { title: doc.title },
      { titleWords: searchWords(doc.title).join(' ') },
      { keywordWords: keywordWords(doc).join(' ') },
      { tags: JSON.stringify(doc.tags) },
      { createdAt: TableStore.Long.fromNumber(doc.createdAt) },
      ...(doc.productId !== undefined ? [{ productId: doc.productId }] : []),
      ...(doc.fields !== undefined ? [{ fields: JSON.stringify(doc.fields) }] : []),
    ];
    // PutRow replaces the whole row, so columns of the previous version (productId, fields) disappear.
    await call(() =>
      this.client.putRow({
        tableName: this.options.tableName,
        condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
        primaryKey: [{ id: doc.id }],
        attributeColumns: columns,
      }),
    );
  }

  async remove(id: string): Promise<void> {
    validId(id);
    await call(() =>
      this.client.deleteRow({
        tableName: this.options.tableName,
        condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
        primaryKey: [{ id }],
      }),
    );
  }

  async search(input: SearchQuery): Promise<SearchPage> {
    const query = normalizeQuery(input);
    const after = decodeCursor(query, tokenPosition);
    const data = await call(() =>
      this.client.search({
        tableName: this.options.tableName,
        indexName: this.options.indexName,
        searchQuery: {
          limit: query.limit,
          query: toTableStoreQuery(query),
          getTotalCount: true,
          // A token already holds the sort; TableStore refuses a request that sends both.
          ...(after ? { token: Buffer.from(after.t, 'base64') } : { offset: 0, sort: { sorters: sorters(query) } }),
        },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: RETURNED_COLUMNS },
      }),
    );
    const hits: SearchHit[] = data.searchHits.length === data.rows.length
      ? data.searchHits.map((hit) => ({ document: toDocument(hit.row), score: query.words.length > 0 ? (hit.score ?? 0) : 0 }))
      : data.rows.map((row) => ({ document: toDocument(row), score: 0 }));
    const shown = (after?.n ?? 0) + hits.length;
    const total = data.totalCounts !== undefined ? Number(data.totalCounts) : undefined;
    const token = data.nextToken && data.nextToken.length > 0 ? Buffer.from(data.nextToken).toString('base64') : undefined;
    const more = token !== undefined && hits.length > 0 && (total === undefined || shown < total);
    return { hits, ...(more ? { nextCursor: encodeCursor(query, { t: token, n: shown }) } : {}) };
  }
}

function sorters(query: NormalizedQuery): object[] {
  const newest = { fieldSort: { fieldName: 'createdAt', order: TableStore.SortOrder.SORT_ORDER_DESC } };
  const byId = { primaryKeySort: { order: TableStore.SortOrder.SORT_ORDER_ASC } };
  return query.words.length > 0 ? [{ scoreSort: { order: TableStore.SortOrder.SORT_ORDER_DESC } }, newest, byId] : [newest, byId];
}

/** The query as the SDK's search encoder takes it (`lib/protocol/encoder.js _constrctQueryParam`). */
export function toTableStoreQuery(query: NormalizedQuery): Query {
  const filters: Query[] = [];
  if (query.productId !== undefined) filters.push({ queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 'productId', term: query.productId } });
  if (query.tag !== undefined) filters.push({ queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 'tags', term: query.tag } });
  if (query.words.length === 0 && filters.length === 0) return { queryType: TableStore.QueryType.MATCH_ALL_QUERY };
  const must = query.words.map((word): Query => {
    const should: Query[] = [];
    for (const [fieldName, weight] of [['titleWords', TITLE_WEIGHT], ['keywordWords', 1]] as const) {
      should.push({ queryType: TableStore.QueryType.MATCH_QUERY, query: { fieldName, text: word, weight } });
      if (isPrefixWord(word)) should.push({ queryType: TableStore.QueryType.PREFIX_QUERY, query: { fieldName, prefix: word, weight } });
    }
    return { queryType: TableStore.QueryType.BOOL_QUERY, query: { shouldQueries: should, minimumShouldMatch: 1 } };
  });
  return {
    queryType: TableStore.QueryType.BOOL_QUERY,
    query: { ...(must.length ? { mustQueries: must } : {}), ...(filters.length ? { filterQueries: filters } : {}) },
  };
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : '';
}

function toDocument(row: TableStore.DecodedRow): SearchDocument {
  const id = row.primaryKey?.find((c) => c.name === 'id')?.value;
  const columns = new Map((row.attributes ?? []).map((c) => [c.columnName, c.columnValue]));
  const createdAt = columns.get('createdAt');
  const productId = columns.get('productId');
  const fields = columns.get('fields');
  return {
    id: text(id),
    title: text(columns.get('title')),
    tags: JSON.parse(text(columns.get('tags')) || '[]') as string[],
    ...(typeof productId === 'string' ? { productId } : {}),
    createdAt: typeof createdAt === 'number' ? createdAt : createdAt && typeof createdAt === 'object' && 'toNumber' in createdAt ? createdAt.toNumber() : 0,
    ...(typeof fields === 'string' ? { fields: JSON.parse(fields) as Record<string, string | number | boolean> } : {}),
  };
}

/** SDK errors → the port's typed errors; a refused token or query is the caller's input, so a 400. */
async function call<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    const e = err as { code?: unknown; message?: string };
    if (/OTSParameterInvalid/.test(`${String(e.code ?? '')} ${e.message ?? ''}`)) throw new ValidationError(e.message ?? 'invalid search request');
    throw err;
  }
}
