/**
 * Runs the SearchIndex contract against both adapters — SQLite FTS5 (local cloud) and TableStore's search
 * index (cloud) through a fake TableStore wire server — plus what only one adapter can show: SQLite sharing
 * its file with the Table adapter and several connections writing at once.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import TableStore from 'tablestore';
import YAML from 'yaml';
import { readFileSync } from 'node:fs';
import { encodeCursor, keywordWords, normalizeQuery, searchWords } from '#shared/adapters/search-query';
import { IMAGE_SEARCH, openSearchIndex } from '#shared/adapters/open-search-index';
import { ftsMatch, SqliteSearchIndex } from '#shared/adapters/sqlite-search-index';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import { IMAGE_SEARCH_INDEX_FIELDS, sdkFieldSchemas, TableStoreSearchIndex, toTableStoreQuery } from '#shared/aliyun/tablestore-search-index';
import { TABLES } from '#shared/contracts/tables';
import { ValidationError } from '#shared/errors';
import { startFakeTableStore, type FakeTableStore } from '../helpers/fake-tablestore';
import { registerSearchOperations } from '../helpers/fake-tablestore/search';
import { tempDir } from '../helpers/temp';
import { describeSearchIndexContract } from './search-index.contract';

const ROOT = join(__dirname, '..', '..');

describeSearchIndexContract('SqliteSearchIndex (FTS5)', async () => {
  const dir = tempDir('search-sqlite-');
  const index = new SqliteSearchIndex(Database, join(dir.path, 'tables.sqlite'), 'image_search');
  return {
    index,
    close: async () => {
      index.close();
      dir.cleanup();
    },
  };
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

describe('openSearchIndex', () => {
  const credentials = { accessKeyId: 'ak', accessKeySecret: 'sk' };
  it('picks SQLite for sqlite:// endpoints and TableStore for https:// ones, like openTable', () => {
    const dir = tempDir('search-open-');
    try {
      const local = openSearchIndex({ TABLESTORE_ENDPOINT: `sqlite://${join(dir.path, 'tables.sqlite')}` }, credentials);
      expect(local).toBeInstanceOf(SqliteSearchIndex);
      // Rotated STS keys keep the one SQLite connection.
      expect(openSearchIndex({ TABLESTORE_ENDPOINT: `sqlite://${join(dir.path, 'tables.sqlite')}` }, { ...credentials, accessKeyId: 'rotated' })).toBe(local);
      (local as SqliteSearchIndex).close();
      const cloud = openSearchIndex({ TABLESTORE_ENDPOINT: 'https://inst.cn-hangzhou.ots.aliyuncs.com', TABLESTORE_INSTANCE: 'inst' }, credentials);
      expect(cloud).toBeInstanceOf(TableStoreSearchIndex);
      expect(openSearchIndex({ TABLESTORE_ENDPOINT: 'https://inst.cn-hangzhou.ots.aliyuncs.com', TABLESTORE_INSTANCE: 'inst' }, credentials)).toBe(cloud);
    } finally {
      dir.cleanup();
    }
  });

  it('names the missing setting', () => {
    expect(() => openSearchIndex({}, credentials)).toThrow(/TABLESTORE_ENDPOINT/);
    expect(() => openSearchIndex({ TABLESTORE_ENDPOINT: 'https://x.cn-hangzhou.ots.aliyuncs.com' }, credentials)).toThrow(/TABLESTORE_INSTANCE/);
  });
});

/** A fake TableStore holding the image_search table and its search index, created through the SDK. */
async function fakeTableStoreIndex(): Promise<{ ots: FakeTableStore; index: TableStoreSearchIndex }> {
  const ots = await startFakeTableStore({ instance: 'fcsuite-test', tables: [{ name: IMAGE_SEARCH.table, primaryKey: TABLES.imageSearch.primaryKey }] });
  registerSearchOperations(ots);
  const client = new TableStore.Client({
    accessKeyId: ots.credentials.accessKeyId,
    secretAccessKey: ots.credentials.accessKeySecret,
    endpoint: ots.endpoint,
    instancename: ots.instance,
    maxRetries: 0,
  });
  await client.createSearchIndex({ tableName: IMAGE_SEARCH.table, indexName: IMAGE_SEARCH.index, schema: { fieldSchemas: sdkFieldSchemas() } });
  const index = new TableStoreSearchIndex({
    endpoint: ots.endpoint,
    instance: ots.instance,
    credentials: ots.credentials,
    tableName: IMAGE_SEARCH.table,
    indexName: IMAGE_SEARCH.index,
    maxRetries: 0,
  });
  return { ots, index };
}

describeSearchIndexContract('TableStoreSearchIndex (fake TableStore wire server)', async () => {
  const { ots, index } = await fakeTableStoreIndex();
  return {
    index,
    close: async () => {
      const internal = [...ots.internalErrors];
      await ots.close();
      expect(internal).toEqual([]);
    },
  };
});

describe('TableStoreSearchIndex specifics', () => {
  let ots: FakeTableStore;
  let index: TableStoreSearchIndex;
  beforeEach(async () => {
    ({ ots, index } = await fakeTableStoreIndex());
  });
  afterEach(async () => {
    await ots.close();
  });

  it('stores documents as rows: display columns plus the pre-split word columns the index analyzes', async () => {
    await index.upsert({ id: 'img-1', title: 'Aurora HEADPHONES', tags: ['Noise-Cancelling'], productId: 'p-aurora', createdAt: 42, fields: { w: 1 } });
    const row = ots.store.table(IMAGE_SEARCH.table).rows[0]!;
    const cells = Object.fromEntries([...row.cells].map(([name, cell]) => [name, cell.value]));
    expect(cells).toEqual({
      title: { type: 'STRING', value: 'Aurora HEADPHONES' },
      titleWords: { type: 'STRING', value: 'aurora headphones' },
      keywordWords: { type: 'STRING', value: 'noise cancelling p aurora' },
      tags: { type: 'STRING', value: '["Noise-Cancelling"]' },
      productId: { type: 'STRING', value: 'p-aurora' },
      createdAt: { type: 'INTEGER', value: 42n },
      fields: { type: 'STRING', value: '{"w":1}' },
    });
  });

  it('sends the sort only on the first page: the token carries it afterwards', async () => {
    for (let i = 0; i < 3; i++) await index.upsert({ id: `d${i}`, title: 'Pager', tags: [], createdAt: i });
    const first = await index.search({ text: 'pager', limit: 2 });
    await index.search({ text: 'pager', limit: 2, cursor: first.nextCursor! });
    expect(ots.requests.filter((r) => r.operation === 'Search').map((r) => r.status)).toEqual([200, 200]);
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

  it('declares the same search index fields as infra/ros.yaml', () => {
    const template = YAML.parse(readFileSync(join(ROOT, 'infra', 'ros.yaml'), 'utf8')) as { Resources: Record<string, { Type: string; Properties: Record<string, unknown> }> };
    const declared = Object.values(template.Resources).filter((r) => r.Type === 'ALIYUN::OTS::SearchIndex');
    expect(declared.map((r) => [r.Properties.TableName, r.Properties.IndexName])).toEqual([[IMAGE_SEARCH.table, IMAGE_SEARCH.index]]);
    const rosAnalyzer: Record<string, string> = { SingleWord: 'single_word' };
    const fields = (declared[0]!.Properties.FieldSchemas as { FieldName: string; FieldType: string; Analyzer?: string; IsArray?: boolean; EnableSortAndAgg?: boolean }[]).map((f) => ({
      name: f.FieldName,
      type: f.FieldType.toUpperCase(),
      ...(f.Analyzer ? { analyzer: rosAnalyzer[f.Analyzer] ?? f.Analyzer } : {}),
      ...(f.IsArray ? { array: true } : {}),
      ...(f.EnableSortAndAgg ? { sortable: true } : {}),
    }));
    expect(fields).toEqual(IMAGE_SEARCH_INDEX_FIELDS);
  });
});

describe('SqliteSearchIndex specifics', () => {
  let dir: ReturnType<typeof tempDir>;
  beforeEach(() => {
    dir = tempDir('search-sqlite-');
  });
  afterEach(() => dir.cleanup());

  it('quotes every word for FTS5 and stars only prefix words', () => {
    expect(ftsMatch(['head', 'x', '耳'])).toBe('"head"* AND "x" AND "耳"');
    expect(ftsMatch(['a"b'])).toBe('"a""b"*');
    expect(() => ftsMatch([])).toThrow();
  });

  it('shares the database file with the SqliteTable adapter', async () => {
    const file = join(dir.path, 'tables.sqlite');
    const table = new SqliteTable(Database, file, [TABLES.imageSearch]);
    const index = new SqliteSearchIndex(Database, file, 'image_search');
    try {
      await table.putRow('image_search', { id: 'row-1' }, { title: 'in the table' });
      await index.upsert({ id: 'doc-1', title: 'In the index', tags: [], createdAt: 1 });
      expect((await table.getRow('image_search', { id: 'row-1' }))?.attributes).toEqual({ title: 'in the table' });
      expect((await index.search({ text: 'index' })).hits.map((h) => h.document.id)).toEqual(['doc-1']);
      const names = new Database(file, { readonly: true });
      const tables = (names.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name);
      names.close();
      expect(tables).toEqual(expect.arrayContaining(['t_image_search', 's_image_search_docs', 's_image_search_fts']));
    } finally {
      index.close();
      table.close();
    }
  });

  it('sees writes made through another connection to the same file', async () => {
    const file = join(dir.path, 'tables.sqlite');
    const a = new SqliteSearchIndex(Database, file, 'image_search');
    const b = new SqliteSearchIndex(Database, file, 'image_search');
    try {
      await a.upsert({ id: 'from-a', title: 'Shared lamp', tags: [], createdAt: 1 });
      await b.upsert({ id: 'from-b', title: 'Shared lamp', tags: [], createdAt: 2 });
      await b.remove('from-a');
      expect((await a.search({ text: 'lamp' })).hits.map((h) => h.document.id)).toEqual(['from-b']);
    } finally {
      a.close();
      b.close();
    }
  });

  it('loses no write when worker threads write to the same file at once', async () => {
    const file = join(dir.path, 'tables.sqlite');
    const PER_WORKER = 150;
    // Each worker loads the adapter through tsx (the local cloud runs bundles; tests run sources).
    const source = `
      const { workerData, parentPort } = require('node:worker_threads');
      require('tsx/cjs');
      const { SqliteSearchIndex } = require(workerData.adapter);
      const index = new SqliteSearchIndex(require('better-sqlite3'), workerData.file, 'image_search');
      (async () => {
        for (let i = 0; i < workerData.count; i++) {
          await index.upsert({ id: workerData.name + '-' + i, title: 'Concurrent poster ' + workerData.name, tags: ['w'], createdAt: i });
          if (i % 10 === 0) await index.search({ text: 'concurrent', limit: 5 });
        }
        index.close();
        parentPort.postMessage('done');
      })().catch((err) => { throw err; });`;
    const run = (name: string) =>
      new Promise<void>((resolve, reject) => {
        const worker = new Worker(source, { eval: true, workerData: { adapter: join(ROOT, 'functions/_shared/adapters/sqlite-search-index.ts'), file, name, count: PER_WORKER } });
        worker.once('message', () => resolve());
        worker.once('error', reject);
        worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker ${name} exited with ${code}`))));
      });
    const index = new SqliteSearchIndex(Database, file, 'image_search');
    try {
      await Promise.all([run('alpha'), run('beta'), run('gamma')]);
      const all = new Set<string>();
      let cursor: string | undefined;
      do {
        const page = await index.search({ text: 'concurrent', limit: 100, ...(cursor ? { cursor } : {}) });
        page.hits.forEach((h) => all.add(h.document.id));
        cursor = page.nextCursor;
      } while (cursor);
      expect(all.size).toBe(3 * PER_WORKER);
      expect((await index.search({ text: 'beta', limit: 100 })).hits).toHaveLength(100);
    } finally {
      index.close();
    }
  });
});
