import { cpSync } from 'node:fs';
import { join } from 'node:path';
import TableStore from 'tablestore';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { eventually } from '../helpers/eventually';
import { firstDeliveries, ledgerDeliveries } from '../helpers/ledger';
import { tempDir } from '../helpers/temp';

/**
 * The local cloud behaves like a service when its TableStore emulator's thread dies (D95): the thread is really
 * killed (terminated from outside, as a crash or an out-of-memory end looks to the local cloud), a user's SDK
 * client in its default settings works again on the same endpoint with every acknowledged row, the terminal
 * says what happened once, and the `tablestore` trigger goes on delivering every change in order from its
 * saved cursor.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'ledger');
const ROWS = 40;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

describe('the local cloud when its TableStore thread dies', () => {
  const dir = tempDir('ots-death-');
  const ledger = join(dir.path, 'ledger.txt');
  let cloud: LocalCloud;
  let client: TableStore.Client;
  const stderr: string[] = [];

  const delivered = () => ledgerDeliveries(ledger);
  const batch = (from: number) => ({
    tables: [{ tableName: 'entries', rows: Array.from({ length: ROWS }, (_, i) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id: `e-${String(from + i).padStart(4, '0')}` }], attributeColumns: [{ n: from + i }] })) }],
  });
  const stored = async () => {
    const { rows } = await client.getRange({ tableName: 'entries', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }] });
    return rows.map((row) => Number(row.attributes?.find((a) => a.columnName === 'n')?.columnValue));
  };

  beforeAll(async () => {
    cpSync(FIXTURE, join(dir.path, 'app'), { recursive: true });
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: { LEDGER_FILE: ledger }, asyncRetryBaseMs: 5 });
    const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as LocalEndpoints;
    const { endpoint, instance } = endpoints.tablestore!;
    // Default client options, retries included, as a user's script makes one.
    client = new TableStore.Client({ endpoint, instancename: instance!, accessKeyId: endpoints.credentials.accessKeyId, secretAccessKey: endpoints.credentials.accessKeySecret, stsToken: endpoints.credentials.securityToken });
    const write = process.stderr.write.bind(process.stderr) as (chunk: string | Uint8Array) => boolean;
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return write(chunk);
    });
  });
  afterAll(async () => {
    jest.restoreAllMocks();
    await cloud?.stop();
    dir.cleanup();
  });

  it('serves every acknowledged row again and the trigger keeps delivering, in order', async () => {
    const first = await client.batchWriteRow(batch(1));
    expect(first.tables.every((row) => row.isOk)).toBe(true);
    await eventually(() => expect(delivered()).toContain(ROWS), { timeoutMs: 30_000 });
    const second = await client.batchWriteRow(batch(ROWS + 1));
    expect(second.tables.every((row) => row.isOk)).toBe(true);

    const { threadId } = cloud.tablestore.emulator;
    await cloud.tablestore.emulator.crashForTesting('terminate');
    // While the new thread boots (~0.1–0.3 s) the port answers 503 OTSServerUnavailable, which the SDK retries
    // for reads — but not in this process: the local cloud's own clients set `maxRetries: 0`, which the SDK
    // keeps in one global for every client. So the test waits for the thread as a retrying client would.
    await cloud.tablestore.emulator.whenRunning();
    // The same client on the same endpoint: every acknowledged row, and writes are taken again.
    expect(await stored()).toEqual(Array.from({ length: 2 * ROWS }, (_, i) => i + 1));
    expect(cloud.tablestore.emulator.threadId).not.toBe(threadId);
    const third = await client.batchWriteRow(batch(2 * ROWS + 1));
    expect(third.tables.every((row) => row.isOk)).toBe(true);
    expect(await stored()).toHaveLength(3 * ROWS);

    // Every change delivered at least once; the first delivery of each in write order.
    const order = await eventually(
      () => {
        const seen = delivered();
        expect(new Set(seen).size).toBe(3 * ROWS);
        return seen;
      },
      { timeoutMs: 30_000 },
    );
    expect(firstDeliveries(order)).toEqual(Array.from({ length: 3 * ROWS }, (_, i) => i + 1));

    // The terminal was told once that it died and once that it is back.
    const said = stderr.join('');
    expect(said.match(/TableStore emulator's thread died/g)).toHaveLength(1);
    expect(said.match(/TableStore emulator's thread is running again/g)).toHaveLength(1);
    expect(cloud.tablestore.emulator.health()).toMatchObject({ state: 'running', restarts: 1 });
  });
});
