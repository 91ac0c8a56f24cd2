import { join } from 'node:path';
import { threadId as mainThreadId, Worker } from 'node:worker_threads';
import TableStore from 'tablestore';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { OtsError, protos } from '../../scripts/local/emulators/tablestore';
import { startTableStoreThread, type TableStoreThread } from '../../scripts/local/emulators/tablestore/thread';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The local cloud runs the TableStore emulator in a worker thread of its own (D85): its HTTP server, its SQLite
 * storage and its sweeps are there, and the main thread — the gateway, the other emulators, the triggers — asks
 * it for set-up calls, the console's tables, the provisioning fingerprint and sweeps by message, and hears of
 * stream records from it. A function reaches it with the `tablestore` SDK over HTTP, as before.
 */
const INSTANCE = 'thread-test';
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

describe('the TableStore emulator in a thread of its own', () => {
  const dir = tempDir('ots-thread-');
  const dataDir = join(dir.path, 'data');
  let ots: TableStoreThread;
  let client: TableStore.Client;
  const sdkOptions = () => ({ endpoint: ots.endpoint, instancename: INSTANCE, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken, maxRetries: 0 });

  beforeAll(async () => {
    ots = await startTableStoreThread({ dataDir, instances: [INSTANCE], port: 0 });
    client = new TableStore.Client(sdkOptions());
    await client.createTable({
      tableMeta: { tableName: 'notes', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      streamSpecification: { enableStream: true, expirationTime: 24 },
    });
  });
  afterAll(async () => {
    await ots?.close();
    dir.cleanup();
  });

  it('runs in a worker thread, not in the thread that started it', () => {
    expect(ots.threadId).toBeGreaterThan(0);
    expect(ots.threadId).not.toBe(mainThreadId);
    expect(ots.endpoint).toBe(`http://127.0.0.1:${ots.port}`);
  });

  it('answers an SDK GetRow while the thread that started it is blocked', async () => {
    await client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ id: 'blocked' }], attributeColumns: [{ text: 'still served' }] });
    // A client in another thread reads the row and reports through shared memory; this thread waits on that
    // memory without running its event loop. With the emulator on this thread the read could not be answered
    // until the wait gave up, so the wait would end 'timed-out' with nothing read.
    const shared = new Int32Array(new SharedArrayBuffer(8));
    const reader = new Worker(
      `const { workerData } = require('node:worker_threads');
       const TableStore = require(workerData.sdk);
       const client = new TableStore.Client(workerData.options);
       client.getRow({ tableName: 'notes', primaryKey: [{ id: 'blocked' }] }).then(
         (answer) => { const text = answer.row.attributes.find((a) => a.columnName === 'text'); Atomics.store(workerData.shared, 1, text && text.columnValue === 'still served' ? 1 : 2); },
         () => Atomics.store(workerData.shared, 1, 3),
       ).finally(() => { Atomics.store(workerData.shared, 0, 1); Atomics.notify(workerData.shared, 0); });`,
      { eval: true, workerData: { sdk: require.resolve('tablestore'), options: sdkOptions(), shared } },
    );
    const outcome = Atomics.wait(shared, 0, 0, 30_000);
    await reader.terminate();
    expect(outcome === 'ok' || outcome === 'not-equal').toBe(true);
    expect(Atomics.load(shared, 1)).toBe(1);
  });

  it('tells the starting thread of stream records after each commit', async () => {
    const told: string[][] = [];
    const unsubscribe = ots.onStreamRecords((ids) => told.push([...ids]));
    try {
      await client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ id: 'streamed' }], attributeColumns: [{ text: 'a' }] });
      const described = await client.describeTable({ tableName: 'notes' });
      await eventually(() => expect(told).toContainEqual([described.streamDetails!.streamId]));
    } finally {
      unsubscribe();
    }
  });

  it('runs set-up calls by message, failing with the OtsError a client gets', async () => {
    const answer = await ots.call(INSTANCE, 'DescribeTable', protos.main.DescribeTableRequest!.encode({ tableName: 'notes' } as never).finish());
    expect((protos.main.DescribeTableResponse!.decode(answer) as unknown as { tableMeta: { tableName: string } }).tableMeta.tableName).toBe('notes');
    const missing = ots.call(INSTANCE, 'DescribeTable', protos.main.DescribeTableRequest!.encode({ tableName: 'no_such_table' } as never).finish());
    await expect(missing).rejects.toBeInstanceOf(OtsError);
    await expect(missing).rejects.toMatchObject({ status: 404, code: 'OTSObjectNotExist' });
    await expect(client.describeTable({ tableName: 'no_such_table' })).rejects.toMatchObject({ code: 404, message: expect.stringMatching(/OTSObjectNotExist.*Requested table does not exist: no_such_table\./) });
  });

  it('lists tables for the console, counts requests by operation and sweeps on request', async () => {
    expect(await ots.tables()).toEqual([{ instance: INSTANCE, name: 'notes', rows: 2, ttlSeconds: -1, stream: true, searchIndexes: [] }]);
    const log = await ots.requestLog();
    expect(log.countsByOperation).toMatchObject({ CreateTable: 1, PutRow: 2, GetRow: 1 });
    expect(log.recent.at(-1)).toEqual({ operation: 'DescribeTable', status: 404, code: 'OTSObjectNotExist' });
    expect(log.internalErrors).toEqual([]);
    await expect(ots.sweep()).resolves.toBeUndefined();
  });

  it('fails to start as the emulator does, with Node\'s error code: a port in use is EADDRINUSE', async () => {
    const other = tempDir('ots-thread-port-');
    try {
      await expect(startTableStoreThread({ dataDir: other.path, instances: [INSTANCE], port: ots.port })).rejects.toMatchObject({ code: 'EADDRINUSE', message: expect.stringContaining(`${ots.port}`) });
    } finally {
      other.cleanup();
    }
  });

  it('closes its storage on close, and a new thread on the same data folder has every acknowledged write', async () => {
    await client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ id: 'kept' }], attributeColumns: [{ text: 'across a restart' }] });
    await ots.close();
    await expect(fetch(`${ots.endpoint}/GetRow`, { method: 'POST' })).rejects.toThrow();
    await expect(ots.tables()).rejects.toThrow(/thread/);
    ots = await startTableStoreThread({ dataDir, instances: [INSTANCE], port: 0 });
    client = new TableStore.Client(sdkOptions());
    const { row } = await client.getRow({ tableName: 'notes', primaryKey: [{ id: 'kept' }] });
    expect(row.attributes?.map((a) => a.columnValue)).toEqual(['across a restart']);
  });
});
