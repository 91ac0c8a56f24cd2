/**
 * The Table contract against both adapters: SqliteTable on a temp file (with a manual clock for TTL) and
 * TableStoreTable through the `tablestore` SDK against the fake TableStore wire server. Then what only one side
 * has: SQLite's change stream, sweeping and cross-connection atomicity; and openTable's choice of adapter.
 * The fake server itself is tested in table-wire.test.ts.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { buildSync } from 'esbuild';
import { openTable } from '#shared/adapters/open-table';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { ManualClock } from '#shared/ports/clock';
import { INF_MAX, INF_MIN, type TableSchema } from '#shared/ports/table';
import { startFakeTableStore, type FakeTableStore } from '../helpers/fake-tablestore';
import { tempDir } from '../helpers/temp';
import { CONTRACT_TABLES, describeTableContract } from './table.contract';

describeTableContract('SqliteTable', async (schemas) => {
  const dir = tempDir('table-contract-');
  const clock = new ManualClock();
  const table = new SqliteTable(Database, join(dir.path, 'tables.sqlite'), schemas, clock);
  return {
    table,
    advanceClock: (ms) => clock.advance(ms),
    close: async () => {
      table.close();
      dir.cleanup();
    },
  };
});

const fakes: FakeTableStore[] = [];

describeTableContract('TableStoreTable (fake TableStore wire server)', async (schemas) => {
  const fake = await startFakeTableStore({ tables: schemas.map((s) => ({ name: s.name, primaryKey: s.primaryKey, ...(s.ttlSeconds !== undefined ? { ttlSeconds: s.ttlSeconds } : {}) })) });
  fakes.push(fake);
  const table = new TableStoreTable({ endpoint: fake.endpoint, instance: fake.instance, credentials: fake.credentials, schemas, maxRetries: 0 });
  return { table, advanceClock: (ms) => fake.clock.advance(ms), close: () => fake.close() };
});

afterAll(() => {
  // A handler that threw unexpectedly answered 500: the contract may still pass, but the fake has a bug.
  for (const fake of fakes) expect(fake.internalErrors).toEqual([]);
});

describe('SqliteTable only', () => {
  const events: TableSchema = { name: 'contract_events', primaryKey: [{ name: 'id', type: 'STRING' }], stream: true };
  const counters: TableSchema = { name: 'contract_counters', primaryKey: [{ name: 'id', type: 'STRING' }] };

  it('increments from two connections (two threads) on one file lose nothing', async () => {
    const dir = tempDir('table-workers-');
    try {
      const path = join(dir.path, 'shared.sqlite');
      new SqliteTable(Database, path, [counters]).close();
      // Worker threads load JavaScript: bundle the worker next to node_modules so it can require better-sqlite3.
      const root = join(__dirname, '..', '..');
      const workerFile = join(root, 'node_modules', '.cache', 'table-contract', `increment-worker-${process.pid}.js`);
      buildSync({ entryPoints: [join(__dirname, 'table-increment-worker.ts')], outfile: workerFile, bundle: true, platform: 'node', format: 'cjs', external: ['better-sqlite3'], alias: { '#shared': join(root, 'functions', '_shared') }, logLevel: 'error' });
      const count = 300;
      const run = () =>
        new Promise<void>((resolve, reject) => {
          const worker = new Worker(workerFile, { workerData: { path, schema: counters, table: counters.name, id: 'shared', count } });
          worker.once('message', () => resolve());
          worker.once('error', reject);
          worker.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`worker exited with ${code}`))));
        });
      await Promise.all([run(), run()]);
      const reader = new SqliteTable(Database, path, [counters]);
      expect((await reader.getRow(counters.name, { id: 'shared' }))?.attributes.n).toBe(2 * count);
      reader.close();
    } finally {
      rmSync(join(__dirname, '..', '..', 'node_modules', '.cache', 'table-contract', `increment-worker-${process.pid}.js`), { force: true });
      dir.cleanup();
    }
  });

  it('records changes of stream tables in order, and trims delivered ones', async () => {
    const dir = tempDir('table-stream-');
    const clock = new ManualClock();
    const table = new SqliteTable(Database, join(dir.path, 'stream.sqlite'), [events, counters], clock);
    try {
      await table.putRow(events.name, { id: 'a' }, { v: 1, bin: Buffer.from([1, 2]) });
      clock.advance(10);
      await table.updateRow(events.name, { id: 'a' }, { put: { w: 'x' }, delete: ['v'], increment: { n: 2 } });
      await table.putRow(counters.name, { id: 'not-streamed' }, { v: 1 });
      await table.deleteRow(events.name, { id: 'missing' }); // deleting nothing records nothing
      await table.batchWriteRow([
        { type: 'DELETE', table: events.name, primaryKey: { id: 'a' } },
        { type: 'PUT', table: events.name, primaryKey: { id: 'b' }, attributes: { v: 2 }, condition: { row: 'EXPECT_EXIST' } }, // fails: no record
      ]);
      const changes = table.readChanges(0);
      expect(changes.map((c) => [c.type, c.table, c.primaryKey])).toEqual([
        ['PutRow', events.name, { id: 'a' }],
        ['UpdateRow', events.name, { id: 'a' }],
        ['DeleteRow', events.name, { id: 'a' }],
      ]);
      const [put, update] = changes;
      expect(put?.columns).toEqual([
        { type: 'Put', name: 'v', value: 1, timestamp: clock.now() - 10 },
        { type: 'Put', name: 'bin', value: Buffer.from([1, 2]), timestamp: clock.now() - 10 },
      ]);
      expect(update?.columns).toEqual([
        { type: 'Put', name: 'w', value: 'x', timestamp: clock.now() },
        { type: 'DeleteAllVersions', name: 'v', timestamp: clock.now() },
        { type: 'Put', name: 'n', value: 2, timestamp: clock.now() },
      ]);
      expect(changes.map((c) => c.seq)).toEqual([...changes.map((c) => c.seq)].sort((a, b) => a - b));
      expect(table.readChanges(changes[0]!.seq).map((c) => c.type)).toEqual(['UpdateRow', 'DeleteRow']);
      expect(table.readChanges(0, 1)).toHaveLength(1);
      table.trimChanges(changes[1]!.seq);
      expect(table.readChanges(0).map((c) => c.type)).toEqual(['DeleteRow']);
    } finally {
      table.close();
      dir.cleanup();
    }
  });

  it('sweeps rows whose cells all expired', async () => {
    const dir = tempDir('table-sweep-');
    const clock = new ManualClock();
    const table = new SqliteTable(Database, join(dir.path, 'sweep.sqlite'), [CONTRACT_TABLES.ttl], clock);
    try {
      await table.putRow(CONTRACT_TABLES.ttl.name, { id: 'old' }, { v: 1 });
      clock.advance(59_000);
      await table.putRow(CONTRACT_TABLES.ttl.name, { id: 'young' }, { v: 1 });
      clock.advance(2_000);
      expect(table.sweepExpired()).toBe(1);
      expect(await table.getRange(CONTRACT_TABLES.ttl.name, { start: { id: INF_MIN }, end: { id: INF_MAX } })).toEqual({ rows: [{ primaryKey: { id: 'young' }, attributes: { v: 1 } }] });
    } finally {
      table.close();
      dir.cleanup();
    }
  });
});

describe('openTable', () => {
  it('picks the adapter by TABLESTORE_ENDPOINT scheme and reuses it across invocations', () => {
    const dir = tempDir('open-table-');
    try {
      const env = { TABLESTORE_ENDPOINT: `sqlite://${join(dir.path, 'open.sqlite')}` };
      const local = openTable(env, { accessKeyId: 'STS.a', accessKeySecret: 's' }, [CONTRACT_TABLES.kv]);
      expect(local).toBeInstanceOf(SqliteTable);
      // A rotated STS key does not open another SQLite connection.
      expect(openTable(env, { accessKeyId: 'STS.b', accessKeySecret: 's' }, [CONTRACT_TABLES.kv])).toBe(local);
      (local as SqliteTable).close();
      const cloudEnv = { TABLESTORE_ENDPOINT: 'https://inst.cn-hangzhou.ots.aliyuncs.com', TABLESTORE_INSTANCE: 'inst' };
      const cloud = openTable(cloudEnv, { accessKeyId: 'STS.a', accessKeySecret: 's' }, [CONTRACT_TABLES.kv]);
      expect(cloud).toBeInstanceOf(TableStoreTable);
      expect(openTable(cloudEnv, { accessKeyId: 'STS.b', accessKeySecret: 's' }, [CONTRACT_TABLES.kv])).not.toBe(cloud);
      expect(() => openTable({ TABLESTORE_ENDPOINT: 'https://x' }, { accessKeyId: 'a', accessKeySecret: 's' }, [])).toThrow(/TABLESTORE_INSTANCE/);
      expect(() => openTable({}, { accessKeyId: 'a', accessKeySecret: 's' }, [])).toThrow(/TABLESTORE_ENDPOINT/);
    } finally {
      dir.cleanup();
    }
  });
});
