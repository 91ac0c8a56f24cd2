import { ReportRequest } from '#shared/contracts/iot';
import { HOUR_MS, MINUTE_MS, T } from '#shared/iot/rows';
import type { BatchWriteOp } from '#shared/ports/table';
import { processReadings } from '../../functions/iot-etl/core';
import { toMessages } from '../../functions/iot-ingest/core';
import { createReport, csvField, dailyWindow, listReports } from '../../functions/iot-report/core';
import { runRollup } from '../../functions/iot-rollup/core';
import { FakeTopic } from '../helpers/fake-messaging';
import { MemoryObjectStore } from '../helpers/fakes';
import { iotWorld } from '../helpers/iot';

/**
 * A pump with one pressure reading a minute for 90 minutes from 22:30 on 24 Nov (the value of minute i is
 * `valueOf(i)`), rolled up by the rollup's own code at 00:01:30: 22:30–23:00 in minutes, 23:00–24:00 a whole hour.
 */
async function rolledUpPump(name: string, valueOf: (i: number) => number) {
  const world = iotWorld(Date.UTC(2026, 10, 25, 0, 1, 30));
  const device = await world.register({ name, type: 'pump' });
  const start = Date.UTC(2026, 10, 24, 22, 30);
  const ops: BatchWriteOp[] = [];
  for (let i = 0; i < 90; i++) ops.push({ type: 'PUT', table: T.telemetry, primaryKey: { deviceId: device.deviceId, metric: 'pressure', ts: start + i * MINUTE_MS }, attributes: { value: valueOf(i) } });
  for (let i = 0; i < ops.length; i += 200) await world.table.batchWriteRow(ops.slice(i, i + 200));
  await world.table.putRow(T.latest, { deviceId: device.deviceId, metric: 'pressure' }, { ts: start + 89 * MINUTE_MS, value: valueOf(89), updatedAt: 0 });
  await world.table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: start, updatedAt: 0 });
  const rollup = () => runRollup({ table: world.table, topic: new FakeTopic(), topicName: 'alerts', clock: world.clock });
  await rollup();
  return { world, device, start, rollup, objects: new MemoryObjectStore() };
}

describe('iot-report', () => {
  it('writes a CSV per device metric from the rollups, with alert counts, and signs a download URL', async () => {
    // Pressure rising 1, 2, … 5 and again; one spike over the limit.
    const { world, device, start, objects } = await rolledUpPump('Pump, "north"', (i) => (i === 45 ? 12 : 1 + (i % 5)));

    const window = dailyWindow(world.clock.now());
    expect(window).toEqual({ from: Date.UTC(2026, 10, 24), to: Date.UTC(2026, 10, 25), reportId: 'daily-2026-11-24' });
    const report = await createReport(window, { table: world.table, objects, clock: world.clock });
    expect(report).toMatchObject({ reportId: 'daily-2026-11-24', key: 'reports/daily-2026-11-24.csv', rows: 1, url: expect.stringContaining('reports/daily-2026-11-24.csv') });
    const csv = (await objects.get(report.key))!.body.toString('utf8').split('\r\n');
    expect(csv[0]).toBe('device_id,device_name,device_type,metric,unit,from,to,readings,min,max,avg,alerts');
    const sum = Array.from({ length: 90 }, (_, i) => (i === 45 ? 12 : 1 + (i % 5))).reduce((a, b) => a + b, 0);
    expect(csv[1]).toBe(`${device.deviceId},"Pump, ""north""",pump,pressure,bar,2026-11-24T00:00:00.000Z,2026-11-25T00:00:00.000Z,90,1,12,${Math.round((sum / 90) * 10000) / 10000},1`);
    expect((await objects.head(report.key))?.contentType).toBe('text/csv; charset=utf-8');

    // A window inside one hour uses 1-minute buckets only; whole hours use the 1-hour buckets.
    const partial = await createReport({ from: start + 10 * MINUTE_MS, to: start + 20 * MINUTE_MS }, { table: world.table, objects, clock: world.clock, newId: () => 'rpt_x' });
    expect((await objects.get(partial.key))!.body.toString().split('\r\n')[1]).toContain(',10,1,5,3,0');
    expect((await listReports({ objects })).items.map((r) => r.reportId).sort()).toEqual(['daily-2026-11-24', 'rpt_x']);
    // The list says which window each report covers (the dashboard titles them by it, not by an opaque id).
    const listed = (await listReports({ objects })).items.find((r) => r.reportId === 'rpt_x');
    expect(listed).toMatchObject({ from: new Date(start + 10 * MINUTE_MS).toISOString(), to: new Date(start + 20 * MINUTE_MS).toISOString(), rows: 1 });
    expect(HOUR_MS).toBe(60 * MINUTE_MS);
  });

  it('counts the readings of the last minutes that the rollup has not reached yet, from the raw table', async () => {
    // What a user does on the dashboard: readings arrive, and a report of "the last hour" is asked for at once.
    const now = Date.UTC(2026, 10, 25, 12, 0, 30);
    const rolledUntil = Date.UTC(2026, 10, 25, 11, 58);
    const world = iotWorld(rolledUntil + 90_000); // the rollup runs at 11:59:30: it covers 11:50–11:57
    const objects = new MemoryObjectStore();
    const device = await world.register({ name: 'Meter', type: 'power-meter' });
    const ops: BatchWriteOp[] = [];
    // 11:50–11:57 rolled up (one reading a minute), then 11:58:00–12:00:20 raw only (every 10 s).
    for (let i = 0; i < 8; i++) ops.push({ type: 'PUT', table: T.telemetry, primaryKey: { deviceId: device.deviceId, metric: 'voltage', ts: Date.UTC(2026, 10, 25, 11, 50 + i) }, attributes: { value: 220 } });
    for (let ts = rolledUntil; ts <= now - 10_000; ts += 10_000) ops.push({ type: 'PUT', table: T.telemetry, primaryKey: { deviceId: device.deviceId, metric: 'voltage', ts }, attributes: { value: ts === rolledUntil ? 240 : 230 } });
    await world.table.batchWriteRow(ops);
    await world.table.putRow(T.latest, { deviceId: device.deviceId, metric: 'voltage' }, { ts: now - 10_000, value: 230, updatedAt: 0 });
    await world.table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: Date.UTC(2026, 10, 25, 11, 50), updatedAt: 0 });
    await runRollup({ table: world.table, topic: new FakeTopic(), topicName: 'alerts', clock: world.clock });
    world.clock.advance(now - world.clock.now());

    const report = await createReport({ from: now - HOUR_MS, to: now }, { table: world.table, objects, clock: world.clock, newId: () => 'rpt_now' });
    const row = (await objects.get(report.key))!.body.toString('utf8').split('\r\n')[1]!.split(',');
    // 8 rolled-up readings and the 15 raw ones since 11:58 (11:58:00 … 12:00:20).
    expect(row.slice(7, 10)).toEqual(['23', '220', '240']);
  });

  it('counts a late reading in a minute already rolled up before the rollup recomputes that minute', async () => {
    const { world, device, rollup, objects } = await rolledUpPump('Pump', () => 2);
    // Two buffered readings arrive late, through the ETL's own code: one in 22:40 (a partial hour), one in
    // 23:15 (inside the whole hour the report reads from its 1-hour rollup).
    const late = [
      { ts: Date.UTC(2026, 10, 24, 22, 40, 30), metric: 'pressure', value: 9 },
      { ts: Date.UTC(2026, 10, 24, 23, 15, 30), metric: 'pressure', value: 1 },
    ];
    const etl = await processReadings(toMessages({ deviceId: device.deviceId, type: 'pump' }, late, 'req-late', world.clock.now()).map((body, i) => ({ messageId: `m${i}`, body })), { table: world.table, clock: world.clock });
    expect(etl).toMatchObject({ stored: 2, lateMinutes: 2 });

    const report = async (reportId: string) => {
      const view = await createReport({ from: Date.UTC(2026, 10, 24, 22), to: Date.UTC(2026, 10, 25) }, { table: world.table, objects, clock: world.clock, newId: () => reportId });
      return (await objects.get(view.key))!.body.toString('utf8').split('\r\n')[1]!.split(',').slice(7, 11);
    };
    const expected = ['92', '1', '9', String(Math.round(((90 * 2 + 9 + 1) / 92) * 10000) / 10000)];
    expect(await report('rpt_before')).toEqual(expected);
    // Once the rollup has recomputed those minutes, the report reads them from the rollups and says the same.
    world.clock.advance(MINUTE_MS);
    expect(await rollup()).toMatchObject({ lateMinutes: 2 });
    expect(await report('rpt_after')).toEqual(expected);
  });

  it('validates the requested window', () => {
    expect(ReportRequest.safeParse({ from: 2000, to: 1000 }).error?.issues[0]).toMatchObject({ path: ['to'], message: 'must be after from' });
    expect(ReportRequest.safeParse({ from: 0, to: 40 * 86400_000 }).error?.issues[0]?.message).toBe('a report covers at most 31 days');
    expect(ReportRequest.parse({ from: '2026-11-24T00:00:00Z', to: '2026-11-25T00:00:00+00:00' })).toEqual({ from: Date.UTC(2026, 10, 24), to: Date.UTC(2026, 10, 25) });
    expect(ReportRequest.safeParse({ from: 'yesterday', to: 1 }).success).toBe(false);
    // A bound that is not a time is the one named: `to` is not also said to be before it or too far from it.
    expect(ReportRequest.safeParse({ from: 'x', to: 2 }).error?.issues.map((i) => i.path.join('.'))).toEqual(['from']);
    expect(ReportRequest.safeParse({ from: 1, to: 'soon' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['to']);
  });

  it('keeps spreadsheet formulas out of CSV fields', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`);
    expect(csvField('plain')).toBe('plain');
    expect(csvField(-1.5)).toBe('-1.5');
  });
});
