/**
 * The Table contract against the adapter that deploys — `TableStoreTable`, through the `tablestore` SDK — talking
 * to the local TableStore emulator over HTTP; and the same adapter on the in-process emulator unit tests use
 * (`createMemoryTable`). Then what the emulator adds underneath: rows survive a restart, concurrent writes lose
 * nothing, the stream records each change, expired rows are swept, and the adapter's per-connection cache.
 * The emulator's own error answers and limits are in table-wire.test.ts.
 */
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { cachedPerConnection } from '#shared/aliyun/tablestore-client';
import { INF_MAX, INF_MIN, type TableSchema } from '#shared/ports/table';
import { ManualClock } from '#shared/ports/clock';
import { createMemoryTable } from '../helpers/memory-table';
import { startTestTableStore, useTestTableStore, type TestTableStore } from '../helpers/tablestore';
import { tempDir } from '../helpers/temp';
import { CONTRACT_TABLES, describeTableContract } from './table.contract';

const emulators: TestTableStore[] = [];

describeTableContract('TableStoreTable → TableStore emulator (SDK over HTTP)', async (schemas) => {
  const ots = await startTestTableStore({ tables: schemas });
  emulators.push(ots);
  const table = new TableStoreTable({ endpoint: ots.endpoint, instance: ots.instance, credentials: ots.credentials, schemas, maxRetries: 0 });
  return { table, advanceClock: (ms) => ots.advanceClock(ms), close: () => ots.close() };
});

describeTableContract('TableStoreTable → in-process emulator (createMemoryTable)', async (schemas) => {
  const clock = new ManualClock(Date.now());
  const table = createMemoryTable(schemas, clock);
  return { table, advanceClock: (ms) => clock.advance(ms), close: async () => table.close() };
});

afterAll(() => {
  // A handler that threw unexpectedly answered 500: the contract may still pass, but the emulator has a bug.
  for (const ots of emulators) expect(ots.emulator.internalErrors).toEqual([]);
});

describe('TableStore emulator underneath the adapter', () => {
  const events: TableSchema = { name: 'contract_events', primaryKey: [{ name: 'id', type: 'STRING' }], stream: true };
  const counters: TableSchema = { name: 'contract_counters', primaryKey: [{ name: 'id', type: 'STRING' }] };
  const ots = useTestTableStore({ tables: [events, counters, CONTRACT_TABLES.ttl] });
  let table: TableStoreTable;
  beforeAll(() => {
    table = new TableStoreTable({ endpoint: ots.endpoint, instance: ots.instance, credentials: ots.credentials, schemas: [events, counters, CONTRACT_TABLES.ttl], maxRetries: 0 });
  });

  it('loses no increment when many requests race for one counter', async () => {
    const count = 200;
    await Promise.all(Array.from({ length: count }, () => table.updateRow(counters.name, { id: 'shared' }, { increment: { n: 1 } })));
    expect((await table.getRow(counters.name, { id: 'shared' }))?.attributes.n).toBe(count);
  });

  it('keeps every acknowledged row when it is closed and opened again on the same folder', async () => {
    const dir = tempDir('ots-restart-');
    try {
      const first = await startTestTableStore({ dataDir: dir.path, tables: [counters] });
      const before = new TableStoreTable({ endpoint: first.endpoint, instance: first.instance, credentials: first.credentials, schemas: [counters], maxRetries: 0 });
      await before.batchWriteRow(Array.from({ length: 50 }, (_, i) => ({ type: 'PUT' as const, table: counters.name, primaryKey: { id: `r${i}` }, attributes: { i } })));
      await first.close();
      const second = await startTestTableStore({ dataDir: dir.path });
      try {
        const after = new TableStoreTable({ endpoint: second.endpoint, instance: second.instance, credentials: second.credentials, schemas: [counters], maxRetries: 0 });
        const page = await after.getRange(counters.name, { start: { id: INF_MIN }, end: { id: INF_MAX } });
        expect(page.rows).toHaveLength(50);
        expect(page.rows.find((r) => r.primaryKey.id === 'r7')?.attributes).toEqual({ i: 7 });
      } finally {
        await second.close();
      }
    } finally {
      dir.cleanup();
    }
  });

  it('records each change of a stream table in order, with the columns it changed', async () => {
    await table.putRow(events.name, { id: 'a' }, { v: 1, bin: Buffer.from([1, 2]) });
    await table.updateRow(events.name, { id: 'a' }, { put: { w: 'x' }, delete: ['v'], increment: { n: 2 } });
    await table.putRow(counters.name, { id: 'not-streamed' }, { v: 1 });
    await table.deleteRow(events.name, { id: 'missing' }); // deleting nothing records nothing
    await table.batchWriteRow([
      { type: 'DELETE', table: events.name, primaryKey: { id: 'a' } },
      { type: 'PUT', table: events.name, primaryKey: { id: 'b' }, attributes: { v: 2 }, condition: { row: 'EXPECT_EXIST' } }, // fails: no record
    ]);
    const { streams } = await ots.streams.listStream({ tableName: events.name });
    const { shards } = await ots.streams.describeStream({ streamId: streams[0]!.streamId });
    const { shardIterator } = await ots.streams.getShardIterator({ streamId: streams[0]!.streamId, shardId: shards[0]!.shardId });
    const { records } = await ots.streams.getStreamRecord({ shardIterator });
    expect(records.map((r) => [r.action, r.primaryKey[0]!.value])).toEqual([
      ['PUT_ROW', { type: 'STRING', value: 'a' }],
      ['UPDATE_ROW', { type: 'STRING', value: 'a' }],
      ['DELETE_ROW', { type: 'STRING', value: 'a' }],
    ]);
    expect(records[0]!.columns.map((c) => [c.type, c.name, c.value])).toEqual([
      ['PUT', 'v', { type: 'INTEGER', value: 1n }],
      ['PUT', 'bin', { type: 'BINARY', value: Buffer.from([1, 2]) }],
    ]);
    expect(records[1]!.columns.map((c) => [c.type, c.name, c.value])).toEqual([
      ['PUT', 'w', { type: 'STRING', value: 'x' }],
      ['DELETE_ALL_VERSION', 'v', undefined],
      ['PUT', 'n', { type: 'INTEGER', value: 2n }],
    ]);
    expect(records[2]!.columns).toEqual([]);
  });

  it('sweeps rows whose cells all expired from storage', async () => {
    await table.putRow(CONTRACT_TABLES.ttl.name, { id: 'old' }, { v: 1 });
    ots.advanceClock(86_000_000);
    await table.putRow(CONTRACT_TABLES.ttl.name, { id: 'young' }, { v: 1 });
    ots.advanceClock(1_000_000);
    const stored = () => ots.emulator.storage.countRows(ots.emulator.storage.table(ots.instance, CONTRACT_TABLES.ttl.name)!);
    expect(stored()).toBe(2);
    ots.emulator.sweep();
    expect(stored()).toBe(1);
    expect((await table.getRange(CONTRACT_TABLES.ttl.name, { start: { id: INF_MIN }, end: { id: INF_MAX } })).rows.map((r) => r.primaryKey.id)).toEqual(['young']);
  });
});

describe('one adapter per connection', () => {
  it('reuses the adapter for the same endpoint, instance and key, and builds another when the STS key rotates', () => {
    let built = 0;
    const open = cachedPerConnection(() => ({ n: ++built }));
    const connection = { endpoint: 'https://inst.cn-hangzhou.ots.aliyuncs.com', instance: 'inst', credentials: { accessKeyId: 'STS.a', accessKeySecret: 's' } };
    const first = open(connection);
    expect(open({ ...connection })).toBe(first);
    expect(open({ ...connection, credentials: { accessKeyId: 'STS.b', accessKeySecret: 's' } })).not.toBe(first);
    expect(built).toBe(2);
  });
});
