import type { IngestBody } from '#shared/contracts/iot';
import { listLatest, readRaw, scanRange, T } from '#shared/iot/rows';
import { INF_MAX, INF_MIN, type BatchWriteOp, type BatchWriteResult } from '#shared/ports/table';
import { LATE_MARK_MS, processReadings, type EtlDeps, type QueueRecord } from '../../functions/iot-etl/core';
import { toMessages } from '../../functions/iot-ingest/core';
import { iotWorld } from '../helpers/iot';

const DEVICE = { deviceId: 'dev_01jd3k9x4m8r0v6t2c7b5n1q3w', type: 'env-sensor' as const };
const OTHER = { deviceId: 'dev_01jd3k9x4m8r0v6t2c7b5n1q3x', type: 'power-meter' as const };
let seq = 0;

function setup() {
  const world = iotWorld();
  const deps: EtlDeps = { table: world.table, clock: world.clock, write: { sleep: async () => undefined } };
  const record = (device: { deviceId: string; type: 'env-sensor' | 'power-meter' }, readings: IngestBody['readings'], receivedAt = world.clock.now()): QueueRecord[] =>
    toMessages(device, readings, `req-${++seq}`, receivedAt).map((body) => ({ messageId: `msg-${++seq}`, body }));
  const telemetry = async () => (await scanRange(world.table, T.telemetry, { start: { deviceId: INF_MIN, metric: INF_MIN, ts: INF_MIN }, end: { deviceId: INF_MAX, metric: INF_MAX, ts: INF_MAX } })).length;
  return { ...world, deps, record, telemetry };
}

describe('iot-etl', () => {
  it('converts units, writes telemetry and the latest value per series', async () => {
    const { deps, record, clock, table } = setup();
    const now = clock.now();
    const result = await processReadings(
      record(DEVICE, [
        { ts: now - 3000, metric: 'temperature', value: 68, unit: '°F' },
        { ts: now - 2000, metric: 'temperature', value: 21.5 },
        { ts: now - 2000, metric: 'humidity', value: 45, seq: 9 },
      ]),
      deps,
    );
    expect(result).toMatchObject({ messages: 1, readings: 3, stored: 3, duplicates: 0, latestUpdates: 2, failed: [], dropped: {} });
    const temps = await readRaw(table, DEVICE.deviceId, 'temperature', 0, now);
    expect(temps.map((r) => [r.ts, r.value])).toEqual([
      [now - 3000, 20],
      [now - 2000, 21.5],
    ]);
    expect((await table.getRow(T.telemetry, { deviceId: DEVICE.deviceId, metric: 'humidity', ts: now - 2000 }))?.attributes).toEqual({ value: 45, receivedAt: now, seq: 9 });
    expect((await listLatest(table, DEVICE.deviceId)).map((l) => [l.metric, l.ts, l.value])).toEqual([
      ['humidity', now - 2000, 45],
      ['temperature', now - 2000, 21.5],
    ]);
  });

  it('writes each reading once: redelivery, duplicate requests and repeats inside a batch change nothing', async () => {
    const { deps, record, clock, table, telemetry } = setup();
    const now = clock.now();
    const batch = record(DEVICE, [
      { ts: now - 1000, metric: 'co2', value: 600 },
      { ts: now, metric: 'co2', value: 610 },
    ]);
    expect(await processReadings(batch, deps)).toMatchObject({ stored: 2, duplicates: 0 });
    // The same messages again (MNS redelivery), plus another request repeating one reading with another value.
    const again = [...batch, ...record(DEVICE, [{ ts: now, metric: 'co2', value: 999 }]), ...batch];
    expect(await processReadings(again, deps)).toMatchObject({ stored: 0, duplicates: 5, failed: [] });
    expect(await telemetry()).toBe(2);
    expect((await table.getRow(T.telemetry, { deviceId: DEVICE.deviceId, metric: 'co2', ts: now }))?.attributes.value).toBe(610);
  });

  it('moves device_latest only forward, whatever order batches arrive in', async () => {
    const { deps, record, clock, table } = setup();
    const now = clock.now();
    await processReadings(record(DEVICE, [{ ts: now, metric: 'co2', value: 700 }]), deps);
    await processReadings(record(DEVICE, [{ ts: now - 60_000, metric: 'co2', value: 500 }]), deps);
    expect((await listLatest(table, DEVICE.deviceId)).map((l) => [l.ts, l.value])).toEqual([[now, 700]]);
    expect(await processReadings(record(DEVICE, [{ ts: now + 1, metric: 'co2', value: 701 }]), deps)).toMatchObject({ latestUpdates: 1 });
    expect((await listLatest(table, DEVICE.deviceId)).map((l) => l.value)).toEqual([701]);
  });

  it('drops readings that fail the range and unit checks, judging age by when the ingest received them', async () => {
    const { deps, clock, table } = setup();
    const now = clock.now();
    const receivedAt = now - 23 * 3600_000;
    const body = JSON.stringify({
      v: 1,
      deviceId: OTHER.deviceId,
      deviceType: 'power-meter',
      requestId: 'r',
      receivedAt,
      groups: [
        { metric: 'voltage', points: [[receivedAt - 1000, 231], [receivedAt, 9999]] },
        { metric: 'current', unit: 'mA', points: [[receivedAt, 12_500]] },
        { metric: 'current', unit: 'hp', points: [[receivedAt, 1]] },
        { metric: 'temperature', points: [[receivedAt, 20]] },
      ],
    });
    // Processed a day later (a message that waited in the dead-letter queue and was redriven).
    clock.advance(24 * 3600_000);
    const result = await processReadings([{ messageId: 'm', body }], deps);
    expect(result).toMatchObject({ readings: 5, stored: 2, dropped: { 'out-of-range': 1, 'unknown-unit': 1, 'unknown-metric': 1 }, failed: [] });
    expect((await readRaw(table, OTHER.deviceId, 'current', 0, now)).map((r) => r.value)).toEqual([12.5]);
  });

  it('stores the good messages of a batch and reports the ones that can never be processed', async () => {
    const { deps, record, clock, telemetry } = setup();
    const now = clock.now();
    const good = record(DEVICE, [{ ts: now, metric: 'co2', value: 600 }]);
    const base64 = record(OTHER, [{ ts: now, metric: 'voltage', value: 230 }]).map((r) => ({ ...r, body: Buffer.from(r.body).toString('base64') }));
    const result = await processReadings(
      [
        { messageId: 'not-json', body: 'hello <world>' },
        ...good,
        { messageId: 'wrong-shape', body: JSON.stringify({ v: 1, deviceId: DEVICE.deviceId, readings: [] }) },
        ...base64,
      ],
      deps,
    );
    expect(result.stored).toBe(2);
    expect(await telemetry()).toBe(2);
    expect(result.failed).toEqual([
      { messageId: 'not-json', reason: 'body is not JSON' },
      { messageId: 'wrong-shape', reason: expect.stringMatching(/^not a readings message: deviceType/) },
    ]);
  });

  it('retries rows that failed for a transient reason and reports rows the table refuses', async () => {
    const { deps, record, clock, table, telemetry } = setup();
    const now = clock.now();
    const batchWriteRow = table.batchWriteRow.bind(table);
    let flaky = 2;
    table.batchWriteRow = async (ops: BatchWriteOp[]): Promise<BatchWriteResult[]> => {
      // One row is refused as invalid (a whole-request error, as TableStore answers it), one is busy twice.
      const busy = ops.map((op) => op.primaryKey.ts === now - 2 && flaky > 0);
      const sent = ops.filter((_, i) => !busy[i]).map((op) => (op.primaryKey.ts === now - 5 ? { ...op, primaryKey: { ...op.primaryKey, ts: 'bad' } } : op));
      const results = sent.length ? await batchWriteRow(sent) : [];
      let next = 0;
      return ops.map((_, i) => {
        if (!busy[i]) return results[next++]!;
        flaky -= 1;
        return { ok: false, code: 'OTSServerBusy', message: 'injected' };
      });
    };
    const bad = record(DEVICE, [{ ts: now - 5, metric: 'co2', value: 600 }]);
    const result = await processReadings([...record(DEVICE, [{ ts: now - 1, metric: 'co2', value: 600 }, { ts: now - 2, metric: 'co2', value: 601 }]), ...bad], deps);
    expect(result).toMatchObject({ stored: 2, duplicates: 0 });
    expect(result.failed).toEqual([{ messageId: bad[0]!.messageId, reason: expect.stringContaining('OTSParameterInvalid') }]);
    expect(await telemetry()).toBe(2);
  });

  it('writes about five BatchWriteRow calls per 1 000 readings', async () => {
    const { deps, record, clock } = setup();
    const now = clock.now();
    const metrics = ['temperature', 'humidity', 'co2'];
    const records: QueueRecord[] = [];
    for (let d = 0; d < 8; d++) {
      const device = { deviceId: `dev_01jd3k9x4m8r0v6t2c7b5n1q${String(d).padStart(2, '0')}`, type: 'env-sensor' as const };
      records.push(...record(device, Array.from({ length: 500 }, (_, i) => ({ ts: now - 500 * 50 + i * 50, metric: metrics[i % 3]!, value: 10 + (i % 50) }))));
    }
    const result = await processReadings(records, deps);
    expect(result.stored).toBe(4000);
    // 4 000 telemetry rows and 24 device_latest updates share ⌈4 024 / 200⌉ = 21 calls.
    expect(result.writeCalls).toBe(21);
  });

  it('marks minutes that late readings changed, so the rollup recomputes them', async () => {
    const { deps, record, clock, table } = setup();
    const now = clock.now();
    const fresh = now - 10_000;
    const late = now - 10 * 60_000;
    const result = await processReadings(record(DEVICE, [{ ts: fresh, metric: 'co2', value: 600 }, { ts: late, metric: 'co2', value: 610 }, { ts: late + 1, metric: 'co2', value: 611 }], now - 11 * 60_000), deps);
    expect(result.lateMinutes).toBe(1);
    const marks = await scanRange(table, T.work, { start: { kind: 'dirty', key: INF_MIN }, end: { kind: 'dirty', key: INF_MAX } });
    expect(marks.map((m) => m.attributes)).toEqual([{ deviceId: DEVICE.deviceId, metric: 'co2', minute: Math.floor(late / 60_000) * 60_000, markedAt: now }]);
    expect(LATE_MARK_MS).toBeLessThan(60_000);
  });
});
