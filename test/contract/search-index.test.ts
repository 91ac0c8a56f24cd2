/**
 * Runs the SearchIndex contract against both adapters — SQLite FTS5 (local cloud) and TableStore's search
 * index (cloud) through a fake TableStore wire server — plus what only one adapter can show: SQLite sharing
 * its file with the Table adapter and several connections writing at once.
 */
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { ftsMatch, SqliteSearchIndex } from '#shared/adapters/sqlite-search-index';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import { TABLES } from '#shared/contracts/tables';
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
