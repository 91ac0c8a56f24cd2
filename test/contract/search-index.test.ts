/**
 * Runs the SearchIndex contract against the adapter that deploys — `TableStoreSearchIndex`, through the
 * `tablestore` SDK — on search indexes of the local TableStore emulator, over HTTP and in-process
 * (`createMemorySearchIndex`, which unit tests use); then the adapter's own choices (how documents are stored
 * as rows, how queries and pages are sent) and the agreement of its field list with infra/ros.yaml.
 */
import { join } from 'node:path';
import TableStore from 'tablestore';
import { encodeCursor, keywordWords, normalizeQuery, searchWords } from '#shared/adapters/search-query';
import { IMAGE_SEARCH, IMAGE_SEARCH_INDEX_FIELDS, TableStoreSearchIndex, toTableStoreQuery } from '#shared/aliyun/tablestore-search-index';
import { TABLES } from '#shared/contracts/tables';
import { ValidationError } from '#shared/errors';
import { loadSpec } from '../../scripts/local/spec/load';
import { createMemorySearchIndex } from '../helpers/memory-table';
import { startTestTableStore, type TestTableStore } from '../helpers/tablestore';
import { describeSearchIndexContract } from './search-index.contract';

const ROOT = join(__dirname, '..', '..');

let shared: TestTableStore | undefined;
let indexes = 0;

/** A fresh, empty image search index (its own table) on one emulator shared by the file. */
async function freshIndex(): Promise<{ ots: TestTableStore; index: TableStoreSearchIndex; table: string }> {
  shared ??= await startTestTableStore();
  const table = `image_search_${++indexes}`;
  await shared.createTable({ name: table, primaryKey: TABLES.imageSearch.primaryKey });
  await shared.createImageSearchIndex(table, IMAGE_SEARCH.index);
  const index = new TableStoreSearchIndex({ endpoint: shared.endpoint, instance: shared.instance, credentials: shared.credentials, tableName: table, indexName: IMAGE_SEARCH.index, maxRetries: 0 });
  return { ots: shared, index, table };
}

afterAll(async () => {
  expect(shared?.emulator.internalErrors ?? []).toEqual([]);
  await shared?.close();
});

describeSearchIndexContract('TableStoreSearchIndex → TableStore emulator (SDK over HTTP)', async () => {
  const { index } = await freshIndex();
  return { index, close: async () => undefined };
});

describeSearchIndexContract('TableStoreSearchIndex → in-process emulator (createMemorySearchIndex)', async () => {
  const index = createMemorySearchIndex();
  return { index, close: async () => index.close() };
});

describe('shared query rules', () => {
  it('splits words the same way for documents and queries', () => {
    expect(searchWords('Aurora-Headphones "NC"* title:x')).toEqual(['aurora', 'headphones', 'nc', 'title', 'x']);
    expect(searchWords('降噪耳机Pro ｶﾀｶﾅ')).toEqual(['降', '噪', '耳', '机', 'pro', 'カ', 'タ', 'カ', 'ナ']);
    expect(searchWords('Café naïve e2e don\'t 🎧')).toEqual(['café', 'naïve', 'e2e', 'don', 't']);
    expect(searchWords('"*-:()')).toEqual([]);
    expect(keywordWords({ tags: ['Noise-Cancelling', 'audio'], productId: 'p-aurora' })).toEqual(['noise', 'cancelling', 'audio', 'p', 'aurora']);
  });

  it('drops duplicate words and defaults the limit', () => {
    expect(normalizeQuery({ text: 'Lamp lamp LAMP desk' })).toEqual({ words: ['lamp', 'desk'], limit: 20 });
  });
});

describe('TableStoreSearchIndex specifics', () => {
  let ots: TestTableStore;
  let index: TableStoreSearchIndex;
  let table: string;
  beforeEach(async () => {
    ({ ots, index, table } = await freshIndex());
  });

  it('stores documents as rows: display columns plus the pre-split word columns the index analyzes', async () => {
    await index.upsert({ id: 'img-1', title: 'Aurora HEADPHONES', tags: ['Noise-Cancelling'], productId: 'p-aurora', createdAt: 42, fields: { w: 1 } });
    const { row } = await ots.client.getRow({ tableName: table, primaryKey: [{ id: 'img-1' }] });
    const cells = Object.fromEntries((row.attributes ?? []).map((c) => [c.columnName, typeof c.columnValue === 'object' && 'toNumber' in c.columnValue ? `int:${c.columnValue.toNumber()}` : c.columnValue]));
    expect(cells).toEqual({
      title: 'Aurora HEADPHONES',
      titleWords: 'aurora headphones',
      keywordWords: 'noise cancelling p aurora',
      tags: '["Noise-Cancelling"]',
      productId: 'p-aurora',
      createdAt: 'int:42',
      fields: '{"w":1}',
    });
  });

  it('sends the sort only on the first page: the token carries it afterwards', async () => {
    for (let i = 0; i < 3; i++) await index.upsert({ id: `d${i}`, title: 'Pager', tags: [], createdAt: i });
    const before = ots.emulator.requests.length;
    const first = await index.search({ text: 'pager', limit: 2 });
    await index.search({ text: 'pager', limit: 2, cursor: first.nextCursor! });
    expect(ots.emulator.requests.slice(before).filter((r) => r.operation === 'Search').map((r) => r.status)).toEqual([200, 200]);
  });

  it('turns a token the server refuses into a ValidationError', async () => {
    await index.upsert({ id: 'd1', title: 'Pager', tags: [], createdAt: 1 });
    const forged = encodeCursor(normalizeQuery({ text: 'pager' }), { t: Buffer.from('not a token').toString('base64'), n: 1 });
    await expect(index.search({ text: 'pager', cursor: forged })).rejects.toBeInstanceOf(ValidationError);
  });

  it('builds one must-clause per word, prefix clauses only for words of two or more characters, and TERM filters', () => {
    const query = toTableStoreQuery(normalizeQuery({ text: 'Head x', productId: 'P-1', tag: 'audio' })) as { query: { mustQueries: { query: { shouldQueries: { queryType: number }[] } }[]; filterQueries: object[] } };
    expect(query.query.mustQueries.map((m) => m.query.shouldQueries.map((q) => q.queryType))).toEqual([
      [TableStore.QueryType.MATCH_QUERY, TableStore.QueryType.PREFIX_QUERY, TableStore.QueryType.MATCH_QUERY, TableStore.QueryType.PREFIX_QUERY],
      [TableStore.QueryType.MATCH_QUERY, TableStore.QueryType.MATCH_QUERY],
    ]);
    expect(query.query.filterQueries).toEqual([
      { queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 'productId', term: 'P-1' } },
      { queryType: TableStore.QueryType.TERM_QUERY, query: { fieldName: 'tags', term: 'audio' } },
    ]);
    expect(toTableStoreQuery(normalizeQuery({}))).toEqual({ queryType: TableStore.QueryType.MATCH_ALL_QUERY });
  });
});

describe('the image search index in infra/ros.yaml', () => {
  it('declares the fields the adapter queries, read through the local cloud ROS loader', () => {
    const spec = loadSpec(join(ROOT, 's.yaml'), {});
    expect(spec.infra.searchIndexes.map((i) => [i.table, i.index])).toEqual([[IMAGE_SEARCH.table, IMAGE_SEARCH.index]]);
    const fields = spec.infra.searchIndexes[0]!.fields.map((f) => ({
      name: f.name,
      type: f.type,
      ...(f.analyzer ? { analyzer: f.analyzer } : {}),
      ...(f.isArray ? { array: true } : {}),
      ...(f.enableSortAndAgg ? { sortable: true } : {}),
    }));
    expect(fields).toEqual(IMAGE_SEARCH_INDEX_FIELDS);
  });
});
