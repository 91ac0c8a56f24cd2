import { join } from 'node:path';
import TableStore from 'tablestore';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { protos } from '../../scripts/local/emulators/tablestore';
import { startTableStoreThread, type TableStoreThread } from '../../scripts/local/emulators/tablestore/thread';
import { RestartBudget } from '../../scripts/local/emulators/tablestore/thread-restarts';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The TableStore emulator's thread is supervised (D95): when it dies — an uncaught exception, `process.exit`
 * inside it, a kill from outside — calls in flight fail at once, one line says so, and a new thread serves the
 * same port over the same SQLite file, with every acknowledged write; a thread that keeps dying is given up
 * on loudly instead of being restarted in a loop. The deaths here are real: the worker throws, exits, or is
 * terminated (the crash hooks exist only when a test asks for them).
 */
const INSTANCE = 'restart-test';
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const describeTable = (name: string) => protos.main.DescribeTableRequest!.encode({ tableName: name } as never).finish();

describe('the TableStore emulator thread, supervised', () => {
  const dir = tempDir('ots-restart-');
  const dataDir = join(dir.path, 'data');
  const notices: string[] = [];
  let ots: TableStoreThread;
  let client: TableStore.Client;
  let written = 0;

  /** An SDK client in its default settings (retries included), as a user's script makes one. */
  const userClient = () => new TableStore.Client({ endpoint: ots.endpoint, instancename: INSTANCE, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken });
  const write = async (count: number) => {
    for (let i = 0; i < count; i++) {
      const n = ++written;
      await client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ id: `n-${String(n).padStart(4, '0')}` }], attributeColumns: [{ n }] });
    }
  };
  const stored = async () => {
    const { rows } = await client.getRange({ tableName: 'notes', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }] });
    return rows.map((row) => Number(row.attributes?.find((a) => a.columnName === 'n')?.columnValue));
  };
  const died = () => notices.filter((line) => line.includes('thread died ('));
  const back = () => notices.filter((line) => line.includes('running again'));

  beforeAll(async () => {
    ots = await startTableStoreThread({ dataDir, instances: [INSTANCE], port: 0, crashHooks: true, maxHeapMb: 48, onNotice: (line) => notices.push(line), restarts: { maxQuickDeaths: 100, windowMs: 60_000, pauseBaseMs: 1 } });
    client = userClient();
    await client.createTable({
      tableMeta: { tableName: 'notes', primaryKey: [{ name: 'id', type: 'STRING' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
    });
  });
  afterAll(async () => {
    await ots?.close();
    dir.cleanup();
  });

  it.each(['throw', 'exit', 'oom', 'terminate'] as const)('comes back on the same port with every acknowledged write after a crash (%s)', async (how) => {
    await write(5);
    const before = { threadId: ots.threadId, restarts: ots.health().restarts, died: died().length, back: back().length };
    await ots.crashForTesting(how);
    await eventually(() => expect(ots.health().restarts).toBe(before.restarts + 1));
    expect(ots.threadId).not.toBe(before.threadId);
    expect(ots.health().state).toBe('running');
    // The same client on the same endpoint: every row it was told was written is there.
    expect(await stored()).toEqual(Array.from({ length: written }, (_, i) => i + 1));
    await write(1);
    expect(await stored()).toHaveLength(written);
    // Said once per death: what happened and that it is back.
    expect(died()).toHaveLength(before.died + 1);
    expect(back()).toHaveLength(before.back + 1);
    expect(died().at(-1)).toContain(`port ${ots.port}`);
    if (how === 'throw') expect(died().at(-1)).toContain('a crash requested by a test');
    if (how === 'exit') expect(died().at(-1)).toContain('code 70');
    if (how === 'oom') expect(died().at(-1)).toContain('out of memory');
  });

  it('fails calls in flight at once and never leaves an HTTP request hanging', async () => {
    await write(1);
    // The thread stops answering (its event loop blocked), a call by message and an SDK call are sent, and
    // then the thread is killed: both must fail promptly instead of waiting for an answer that cannot come.
    await ots.crashForTesting('block');
    const byMessage = ots.call(INSTANCE, 'DescribeTable', describeTable('notes'));
    // A write: the SDK does not repeat it (a client with `maxRetries: 0` would set that for every client in
    // the process — the SDK keeps it in one global — and so change the next test).
    const overHttp = client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ id: 'in-flight' }], attributeColumns: [{ n: 0 }] });
    const outcomes = Promise.allSettled([byMessage, overHttp]);
    await ots.crashForTesting('terminate');
    const [message, http] = await outcomes;
    expect(message).toMatchObject({ status: 'rejected', reason: { message: expect.stringContaining('exited') } });
    expect(http.status).toBe('rejected');
    // Calls made while it restarts wait for the new thread.
    await expect(ots.call(INSTANCE, 'DescribeTable', describeTable('notes'))).resolves.toBeInstanceOf(Uint8Array);
    expect(await stored()).toHaveLength(written);
  });

  it('keeps telling of stream records after a restart', async () => {
    await client.updateTable({ tableName: 'notes', tableOptions: {}, streamSpecification: { enableStream: true, expirationTime: 24 } });
    const told: string[] = [];
    const unsubscribe = ots.onStreamRecords((ids) => told.push(...ids));
    const restarted: number[] = [];
    const unsubscribeRestart = ots.onRestart(() => restarted.push(ots.health().restarts));
    try {
      await ots.crashForTesting('throw');
      await eventually(() => expect(restarted).toHaveLength(1));
      await write(1);
      const described = await client.describeTable({ tableName: 'notes' });
      await eventually(() => expect(told).toContain(described.streamDetails!.streamId));
    } finally {
      unsubscribe();
      unsubscribeRestart();
    }
  });

  it('answers 503 OTSServerUnavailable on its port while it restarts: the SDK retries reads, a write fails at once saying why', async () => {
    const other = tempDir('ots-restart-gap-');
    // A second quick death waits pauseBaseMs before the restart: a window a test can call into.
    const slow = await startTableStoreThread({ dataDir: other.path, instances: [INSTANCE], port: 0, crashHooks: true, onNotice: () => undefined, restarts: { maxQuickDeaths: 10, windowMs: 60_000, pauseBaseMs: 600 } });
    try {
      const sdk = new TableStore.Client({ endpoint: slow.endpoint, instancename: INSTANCE, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken });
      await sdk.createTable({ tableMeta: { tableName: 'gap', primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      await sdk.putRow({ tableName: 'gap', condition: IGNORE(), primaryKey: [{ id: 'kept' }], attributeColumns: [{ n: 1 }] });
      await slow.crashForTesting('exit');
      await eventually(() => expect(slow.health()).toMatchObject({ state: 'running', restarts: 1 }));
      await slow.crashForTesting('exit');
      await eventually(() => expect(slow.health().state).toBe('restarting'));
      const write = sdk.putRow({ tableName: 'gap', condition: IGNORE(), primaryKey: [{ id: 'during' }], attributeColumns: [{ n: 2 }] });
      await expect(write).rejects.toMatchObject({ code: 503, message: expect.stringContaining('OTSServerUnavailable') });
      expect(slow.health().state).toBe('restarting');
      const { row } = await sdk.getRow({ tableName: 'gap', primaryKey: [{ id: 'kept' }] });
      expect(row.attributes?.map((a) => Number(a.columnValue))).toEqual([1]);
      expect(slow.health()).toMatchObject({ state: 'running', restarts: 2 });
    } finally {
      await slow.close();
      other.cleanup();
    }
  });

  it('ends and restarts a thread that stops answering (an endless loop), so no call waits for ever', async () => {
    const own: string[] = [];
    const other = tempDir('ots-restart-hang-');
    const hung = await startTableStoreThread({ dataDir: other.path, instances: [INSTANCE], port: 0, crashHooks: true, onNotice: (line) => own.push(line), watchdog: { hangMs: 400, checkMs: 100 } });
    try {
      await hung.crashForTesting('block');
      const waiting = hung.call(INSTANCE, 'ListTable', protos.main.ListTableRequest!.encode({} as never).finish());
      await expect(waiting).rejects.toThrow(/exited/);
      await eventually(() => expect(hung.health()).toMatchObject({ state: 'running', restarts: 1 }));
      expect(own[0]).toMatch(/has not answered for \d+ s; ending it/);
      await expect(hung.call(INSTANCE, 'ListTable', protos.main.ListTableRequest!.encode({} as never).finish())).resolves.toBeInstanceOf(Uint8Array);
    } finally {
      await hung.close();
      other.cleanup();
    }
  });

  it('gives up loudly on a thread that keeps dying, and every call then fails', async () => {
    const ownNotices: string[] = [];
    const other = tempDir('ots-restart-loop-');
    const doomed = await startTableStoreThread({ dataDir: other.path, instances: [INSTANCE], port: 0, crashHooks: true, onNotice: (line) => ownNotices.push(line), restarts: { maxQuickDeaths: 3, windowMs: 60_000, pauseBaseMs: 1 } });
    try {
      for (let death = 1; death <= 3; death++) {
        await doomed.crashForTesting('exit');
        await eventually(() => expect(doomed.health()).toMatchObject(death < 3 ? { state: 'running', restarts: death } : { state: 'given-up' }));
      }
      await eventually(() => expect(doomed.health().state).toBe('given-up'));
      expect(doomed.health().restarts).toBe(2);
      expect(ownNotices.filter((l) => l.includes('NOT restarted'))).toHaveLength(1);
      expect(ownNotices.at(-1)).toMatch(/died 3 times within 60 s and is NOT restarted again/);
      await expect(doomed.call(INSTANCE, 'ListTable', new Uint8Array())).rejects.toThrow(/not restarted/);
      await expect(fetch(`${doomed.endpoint}/ListTable`, { method: 'POST' })).rejects.toThrow();
    } finally {
      await doomed.close();
      other.cleanup();
    }
  });
});

describe('how restarts are paced', () => {
  it('restarts at once after a quiet spell, waits longer after each quick death, and gives up at the limit', () => {
    const budget = new RestartBudget({ maxQuickDeaths: 4, windowMs: 10_000, pauseBaseMs: 100 });
    expect(budget.afterDeath(0)).toBe(0);
    expect(budget.afterDeath(1_000)).toBe(100);
    expect(budget.afterDeath(2_000)).toBe(200);
    expect(budget.afterDeath(3_000)).toBeUndefined();
    // Deaths older than the window no longer count.
    const quiet = new RestartBudget({ maxQuickDeaths: 2, windowMs: 10_000, pauseBaseMs: 100 });
    expect(quiet.afterDeath(0)).toBe(0);
    expect(quiet.afterDeath(20_000)).toBe(0);
    expect(quiet.afterDeath(21_000)).toBeUndefined();
  });
});
