import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { INF_MAX, INF_MIN, type TableSchema } from '#shared/ports/table';
import { eventually } from '../helpers/eventually';
import { firstDeliveries, ledgerDeliveries } from '../helpers/ledger';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/**
 * A real process kill: the local cloud (a child process, the ledger fixture app) is killed with SIGKILL right
 * after a BatchWriteRow was acknowledged, then started again on the same data folder. Every acknowledged row
 * must be there, and the TableStore trigger must deliver each change at least once, in order — whether or
 * not it had delivered some of them before the kill.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'ledger');
const ENTRIES: TableSchema = { name: 'entries', primaryKey: [{ name: 'id', type: 'STRING' }] };
const ROWS = 150;
const entries = (from: number, count: number) =>
  Array.from({ length: count }, (_, i) => ({ type: 'PUT' as const, table: ENTRIES.name, primaryKey: { id: `e-${String(from + i).padStart(4, '0')}` }, attributes: { n: from + i } }));

describe('killing the local cloud right after an acknowledged batch write', () => {
  const dir = tempDir('ots-kill-');
  const ledger = join(dir.path, 'ledger.txt');
  let cloud: LocalCloudProcess | undefined;

  beforeAll(() => cpSync(FIXTURE, join(dir.path, 'app'), { recursive: true }));
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const tableOf = (process: LocalCloudProcess) =>
    new TableStoreTable({ endpoint: process.endpoints.tablestore!.endpoint, instance: process.endpoints.tablestore!.instance!, credentials: process.endpoints.credentials, schemas: [ENTRIES], maxRetries: 0 });

  const delivered = () => ledgerDeliveries(ledger);

  it('keeps every acknowledged row and delivers every change, in order, at least once', async () => {
    cloud = await startLocalCloudProcess({ root: join(dir.path, 'app'), dataDir: join(dir.path, 'data'), env: { LEDGER_FILE: ledger } });
    // A first batch the trigger has started delivering (so its cursor has moved), then a second one, then the kill.
    const first = entries(1, ROWS);
    expect((await tableOf(cloud).batchWriteRow(first)).every((r) => r.ok)).toBe(true);
    await eventually(() => expect(delivered().length).toBeGreaterThan(0), { timeoutMs: 30_000 });
    const second = entries(ROWS + 1, ROWS);
    expect((await tableOf(cloud).batchWriteRow(second)).every((r) => r.ok)).toBe(true);
    await cloud.kill();
    const ops = [...first, ...second];

    await cloud.restart();
    const rows = (await tableOf(cloud).getRange(ENTRIES.name, { start: { id: INF_MIN }, end: { id: INF_MAX } })).rows;
    expect(rows.map((r) => r.attributes.n)).toEqual(ops.map((op) => op.attributes.n));

    const order = await eventually(
      () => {
        const seen = delivered();
        expect(new Set(seen).size).toBe(ops.length);
        return seen;
      },
      { timeoutMs: 30_000 },
    );
    // In order: the first delivery of each change comes after the first delivery of the one before it.
    const firstSeen = firstDeliveries(order);
    expect(firstSeen).toEqual(ops.map((op) => op.attributes.n));
  });
});
