import type { AlertNotification } from '#shared/contracts/iot';
import { ALERT_INDEX_START_KEY, DAY_MS, dayKey, HOUR_MS, MINUTE_MS, readAlertIndexStart, readAlertsOfDay, readAlertsOfDevice, readRollups, scanRange, T } from '#shared/iot/rows';
import { INF_MAX, INF_MIN, type BatchWriteOp, type Table } from '#shared/ports/table';
import { INITIAL_LOOKBACK_MS, runRollup, type RollupDeps } from '../../functions/iot-rollup/core';
import { countingTable } from '../helpers/counting-table';
import { FakeTopic } from '../helpers/fake-messaging';
import { iotWorld } from '../helpers/iot';
import { mulberry32 } from '../../scripts/iot/signals';

/** A deterministic pseudo-random sequence (mulberry32), so a failure names a reproducible case. */
const random = mulberry32;

/** Writes readings straight into `telemetry` and `device_latest`, as the ETL would. */
async function seed(table: Table, deviceId: string, metric: string, points: [number, number][]): Promise<void> {
  const ops: BatchWriteOp[] = points.map(([ts, value]) => ({ type: 'PUT', table: T.telemetry, primaryKey: { deviceId, metric, ts }, attributes: { value, receivedAt: ts } }));
  for (let i = 0; i < ops.length; i += 200) await table.batchWriteRow(ops.slice(i, i + 200));
  const [ts, value] = points.reduce((a, b) => (b[0] > a[0] ? b : a));
  const existing = await table.getRow(T.latest, { deviceId, metric });
  if (!existing || Number(existing.attributes.ts) < ts) await table.putRow(T.latest, { deviceId, metric }, { ts, value, updatedAt: ts });
}

/** `count` readings spread over the minute starting at `minute`. */
const minuteOf = (minute: number, values: number[]): [number, number][] => values.map((v, i) => [minute + Math.floor((i * MINUTE_MS) / values.length), v]);

async function setup() {
  const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 30));
  const topic = new FakeTopic();
  const deps: RollupDeps = { table: world.table, topic, topicName: 'alerts', clock: world.clock, write: { sleep: async () => undefined } };
  const sensor = await world.register({ name: 'greenhouse', type: 'env-sensor' });
  const alerts = async () => [...(await readAlertsOfDay(world.table, dayKey(world.clock.now()))), ...(await readAlertsOfDay(world.table, dayKey(world.clock.now() - DAY_MS)))];
  const cursor = async () => Number((await world.table.getRow(T.work, { kind: 'cursor', key: 'rollup' }))?.attributes.rolledUntil);
  const resetCursor = (to: number) => world.table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: to, updatedAt: 0 });
  return { ...world, topic, deps, sensor, alerts, cursor, resetCursor };
}

describe('iot-rollup', () => {
  it('rolls complete minutes into 1-minute and 1-hour buckets and moves the cursor', async () => {
    const { table, deps, sensor, clock, cursor } = await setup();
    const now = clock.now(); // 12:00:30
    const m1 = now - 30_000 - 3 * MINUTE_MS; // 11:57
    await seed(table, sensor.deviceId, 'temperature', [...minuteOf(m1, [20, 22, 24]), ...minuteOf(m1 + MINUTE_MS, [21, 23]), ...minuteOf(m1 + 2 * MINUTE_MS, [30]), ...minuteOf(m1 + 3 * MINUTE_MS, [99])]);
    const result = await runRollup(deps);
    // 11:59 ended only 30 s ago and 12:00 is still running: both wait for a later run.
    expect(result).toMatchObject({ from: now - 30_000 - INITIAL_LOOKBACK_MS - MINUTE_MS, to: m1 + 2 * MINUTE_MS, series: 1, minuteRows: 2, hourRows: 1 });
    const minutes = await readRollups(table, sensor.deviceId, 'temperature', '1m', 0, now);
    expect(minutes.map((r) => [r.ts, r.count, r.min, r.max, r.avg, r.sum, r.sumSq])).toEqual([
      [m1, 3, 20, 24, 22, 66, 1460],
      [m1 + MINUTE_MS, 2, 21, 23, 22, 44, 970],
    ]);
    const [hour] = await readRollups(table, sensor.deviceId, 'temperature', '1h', 0, now);
    expect(hour).toMatchObject({ ts: Date.UTC(2026, 10, 25, 11), count: 5, min: 20, max: 24, avg: 22 });
    expect(await cursor()).toBe(m1 + 2 * MINUTE_MS);

    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ from: m1 + 2 * MINUTE_MS, to: m1 + 3 * MINUTE_MS, minuteRows: 1 });
    expect((await readRollups(table, sensor.deviceId, 'temperature', '1h', 0, now))[0]).toMatchObject({ count: 6, max: 30, min: 20 });
  });

  it('raises one alert and publishes one message per anomaly, however often the run is retried', async () => {
    const { table, deps, sensor, clock, topic, alerts, resetCursor } = await setup();
    const minute = clock.now() - 30_000 - 2 * MINUTE_MS;
    await seed(table, sensor.deviceId, 'temperature', minuteOf(minute, [22, 47.25, 23]));
    const first = await runRollup(deps);
    expect(first).toMatchObject({ alertsRaised: 1, notified: 1 });
    // Retried (the cursor put back, as if the first attempt died before moving it), and overlapping runs.
    await resetCursor(first.from);
    await Promise.all([runRollup(deps), runRollup(deps)]);
    await resetCursor(first.from);
    expect(await runRollup(deps)).toMatchObject({ alertsRaised: 0, notified: 0 });

    const stored = await alerts();
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ deviceId: sensor.deviceId, metric: 'temperature', rule: 'high', severity: 'critical', value: 47.25, limit: 40, raisedAt: minute, minutes: 1, notified: true });
    expect(topic.published).toHaveLength(1);
    const message = JSON.parse(topic.published[0]!.body) as AlertNotification;
    expect(message).toMatchObject({ alertId: stored[0]!.alertId, rule: 'high', value: 47.25, message: 'Temperature 47.3 °C is above the limit of 40 °C' });
    expect(topic.published[0]).toMatchObject({ topic: 'alerts', tag: 'critical', attributes: { alertId: stored[0]!.alertId } });
  });

  it('treats consecutive anomalous minutes as one episode and a later one as a new alert', async () => {
    const { table, deps, sensor, clock, topic, alerts } = await setup();
    const start = clock.now() - 30_000 - 10 * MINUTE_MS;
    const values = [90, 91, 10, 92, 20, 20, 20, 20, 93, 20];
    for (let i = 0; i < values.length; i++) await seed(table, sensor.deviceId, 'humidity', minuteOf(start + i * MINUTE_MS, [values[i]!]));
    // Processed a minute at a time, as the timer would.
    clock.advance(-8 * MINUTE_MS);
    await runRollup(deps);
    for (let i = 0; i < 8; i++) {
      clock.advance(MINUTE_MS);
      await runRollup(deps);
    }
    const stored = (await alerts()).sort((a, b) => a.raisedAt - b.raisedAt);
    // 90, 91, (one quiet minute), 92 is one episode; 93 comes after four quiet minutes.
    expect(stored.map((a) => [a.raisedAt - start, a.lastSeenAt - start, a.minutes])).toEqual([
      [0, 3 * MINUTE_MS, 3],
      [8 * MINUTE_MS, 8 * MINUTE_MS, 1],
    ]);
    expect(topic.published).toHaveLength(2);
  });

  it('publishes an alert whose message failed on a later run, once', async () => {
    const { table, deps, sensor, clock, topic, alerts } = await setup();
    await seed(table, sensor.deviceId, 'co2', minuteOf(clock.now() - 30_000 - 2 * MINUTE_MS, [2500]));
    topic.failNext = 1;
    expect(await runRollup(deps)).toMatchObject({ alertsRaised: 1, notified: 0, notifyFailures: 1 });
    expect((await alerts())[0]!.notified).toBe(false);
    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ alertsRaised: 0, notified: 1 });
    clock.advance(MINUTE_MS);
    await runRollup(deps);
    expect(topic.published).toHaveLength(1);
  });

  it('flags a minute far from the last hour with the z-score rule, and not ordinary noise', async () => {
    const { table, deps, sensor, clock, alerts } = await setup();
    const rnd = random(7);
    const gauss = () => Math.sqrt(-2 * Math.log(rnd() + 1e-12)) * Math.cos(2 * Math.PI * rnd());
    const spike = clock.now() - 30_000 - 2 * MINUTE_MS;
    const points: [number, number][] = [];
    for (let m = spike - HOUR_MS; m <= spike; m += MINUTE_MS) {
      for (let s = 0; s < 60; s += 6) points.push([m + s * 1000, 22 + 0.3 * gauss()]);
    }
    points.push([spike + 31_000, 27]);
    await seed(table, sensor.deviceId, 'temperature', points);
    await table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: spike - HOUR_MS, updatedAt: 0 });
    await runRollup(deps);
    const stored = await alerts();
    expect(stored.map((a) => [a.rule, a.raisedAt, a.value])).toEqual([['zscore', spike, 27]]);
    expect(stored[0]!.zScore).toBeGreaterThan(10);
    expect(stored[0]!.message).toMatch(/^Temperature 27 °C is [\d.]+ σ above the last hour's mean of 22(\.\d)? °C$/);
  });

  it('reads the alerts a run needs, not every alert of the last two days (D109)', async () => {
    const { table, deps, sensor, clock, topic } = await setup();
    // A fleet's day of alerts (notified long ago), as a simulator run of a day leaves them.
    const ops: BatchWriteOp[] = Array.from({ length: 600 }, (_, i) => {
      const raisedAt = clock.now() - 3 * MINUTE_MS - i * 2 * MINUTE_MS;
      return { type: 'PUT', table: T.alerts, primaryKey: { day: dayKey(raisedAt), alertId: `${String(raisedAt).padStart(13, '0')}.dev_other${i}.co2.high` }, attributes: { deviceId: `dev_other${i}`, deviceType: 'env-sensor', metric: 'co2', rule: 'high', severity: 'warning', value: 2000, limit: 1500, raisedAt, lastSeenAt: raisedAt, minutes: 1, message: 'm', notified: true } };
    });
    for (let i = 0; i < ops.length; i += 200) await table.batchWriteRow(ops.slice(i, i + 200));
    const start = clock.now() - 30_000 - 4 * MINUTE_MS;
    for (let i = 0; i < 3; i++) await seed(table, sensor.deviceId, 'co2', minuteOf(start + i * MINUTE_MS, [2500]));
    await seed(table, sensor.deviceId, 'co2', minuteOf(start + 3 * MINUTE_MS, [600]));
    const reads = countingTable(table);
    const counted = { ...deps, table: reads.table };
    clock.advance(-2 * MINUTE_MS);
    expect(await runRollup(counted)).toMatchObject({ alertsRaised: 1, notified: 1 });
    for (let i = 0; i < 3; i++) {
      clock.advance(MINUTE_MS);
      await runRollup(counted);
    }
    const mine = (await readAlertsOfDay(table, dayKey(start))).filter((a) => a.deviceId === sensor.deviceId);
    expect(mine.map((a) => [a.raisedAt - start, a.lastSeenAt - start, a.minutes, a.notified])).toEqual([[0, 2 * MINUTE_MS, 3, true]]);
    expect(topic.published).toHaveLength(1);
    // Four runs: the episode row and the alert it points at, a few times; none of the 600 others.
    expect(reads.rows[T.alerts] ?? 0).toBeLessThanOrEqual(8);
  });

  it('continues an older episode with a late minute, and publishes an alert whose run died before its message (D109)', async () => {
    const { table, deps, sensor, clock, topic, alerts } = await setup();
    const start = clock.now() - 30_000 - 12 * MINUTE_MS;
    const values = [2500, 2600, 600, 600, 600, 600, 600, 600, 2700, 600, 600, 600];
    for (let i = 0; i < values.length; i++) await seed(table, sensor.deviceId, 'co2', minuteOf(start + i * MINUTE_MS, [values[i]!]));
    await runRollup(deps);
    expect((await alerts()).map((a) => [a.raisedAt - start, a.minutes])).toEqual([[0, 2], [8 * MINUTE_MS, 1]].sort((a, b) => b[0]! - a[0]!));
    // Late readings make minute 2 anomalous: it continues the first episode (its newest alert is the second).
    await seed(table, sensor.deviceId, 'co2', [[start + 2 * MINUTE_MS + 30_000, 3000]]);
    await table.putRow(T.work, { kind: 'dirty', key: `${sensor.deviceId}|co2|${start + 2 * MINUTE_MS}` }, { deviceId: sensor.deviceId, metric: 'co2', minute: start + 2 * MINUTE_MS, markedAt: clock.now() });
    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ alertsRaised: 0, alertsContinued: 1 });
    expect((await alerts()).map((a) => [a.raisedAt - start, a.lastSeenAt - start, a.minutes]).sort((a, b) => a[0]! - b[0]!)).toEqual([
      [0, 2 * MINUTE_MS, 3],
      [8 * MINUTE_MS, 8 * MINUTE_MS, 1],
    ]);
    expect(topic.published).toHaveLength(2);
    // An alert written by a run that died before publishing (its notify row written first, `notified` false):
    // the next run publishes it, once.
    const orphan = { day: dayKey(start), alertId: `${String(start).padStart(13, '0')}.${sensor.deviceId}.co2.zscore` };
    await table.putRow(T.work, { kind: 'notify', key: `${orphan.day}/${orphan.alertId}` }, { markedAt: clock.now() });
    await table.putRow(T.alerts, orphan, { deviceId: sensor.deviceId, deviceType: 'env-sensor', metric: 'co2', rule: 'zscore', severity: 'warning', value: 2500, limit: 5, raisedAt: start, lastSeenAt: start, minutes: 1, message: 'm', notified: false });
    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ notified: 1 });
    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ notified: 0 });
    expect(topic.published.map((m) => (JSON.parse(m.body) as AlertNotification).alertId)).toContain(orphan.alertId);
    expect(await scanRange(table, T.work, { start: { kind: 'notify', key: INF_MIN }, end: { kind: 'notify', key: INF_MAX } })).toHaveLength(0);
  });

  it('writes each alert under its device before the alert; a run that dies between the two is repaired by the next (D115)', async () => {
    const { table, deps, sensor, clock, alerts, resetCursor } = await setup();
    const minute = clock.now() - 30_000 - 2 * MINUTE_MS;
    await seed(table, sensor.deviceId, 'temperature', minuteOf(minute, [22, 47.25, 23]));
    // The process dies after the device's row and before the alert's.
    let die = true;
    const dying: Table = Object.assign(Object.create(table) as Table, {
      putRow: (...args: Parameters<Table['putRow']>) => {
        if (args[0] === T.alerts && die) {
          die = false;
          return Promise.reject(new Error('killed'));
        }
        return table.putRow(...args);
      },
    });
    await expect(runRollup({ ...deps, table: dying })).rejects.toThrow('killed');
    const ofDevice = () => readAlertsOfDevice(table, sensor.deviceId, { since: 0, limit: 100 });
    const keysOfDevice = () => scanRange(table, T.alertsByDevice, { start: { deviceId: sensor.deviceId, alertId: INF_MIN }, end: { deviceId: sensor.deviceId, alertId: INF_MAX } });
    expect(await keysOfDevice()).toHaveLength(1);
    // Its alert is missing: the device's list skips the key rather than answering a half-written alert.
    expect(await ofDevice()).toEqual([]);
    // The next run (the cursor did not move) writes the alert with the same id; retries add nothing.
    const next = await runRollup(deps);
    expect(next).toMatchObject({ alertsRaised: 1, notified: 1 });
    await resetCursor(next.from);
    await Promise.all([runRollup(deps), runRollup(deps)]);
    expect(await keysOfDevice()).toHaveLength(1);
    expect((await ofDevice()).map((a) => a.alertId)).toEqual((await alerts()).map((a) => a.alertId));
    expect(await ofDevice()).toHaveLength(1);

    // A key whose alert was never written (its anomaly gone by the retry): deleted with its notify row.
    const ghost = `${String(minute - 5 * MINUTE_MS).padStart(13, '0')}.${sensor.deviceId}.temperature.low`;
    await table.putRow(T.work, { kind: 'notify', key: `${dayKey(minute)}/${ghost}` }, { markedAt: clock.now(), deviceId: sensor.deviceId });
    await table.putRow(T.alertsByDevice, { deviceId: sensor.deviceId, alertId: ghost }, { raisedAt: minute - 5 * MINUTE_MS });
    clock.advance(MINUTE_MS);
    await runRollup(deps);
    expect(await keysOfDevice()).toHaveLength(2);
    clock.advance(11 * MINUTE_MS);
    await runRollup(deps);
    expect((await keysOfDevice()).map((r) => r.primaryKey.alertId)).toEqual((await alerts()).map((a) => a.alertId));
  });

  it('records since when every alert is under its device: from the start on a new install, from the upgrade otherwise (D115)', async () => {
    const fresh = await setup();
    await runRollup(fresh.deps);
    expect(await readAlertIndexStart(fresh.table)).toBe(0);
    // A cursor left by earlier runs: alerts raised before this run may lack their device rows.
    const upgraded = await setup();
    await upgraded.resetCursor(upgraded.clock.now() - 5 * MINUTE_MS);
    await runRollup(upgraded.deps);
    expect(await readAlertIndexStart(upgraded.table)).toBe(upgraded.clock.now());
    upgraded.clock.advance(MINUTE_MS);
    await runRollup(upgraded.deps);
    expect((await upgraded.table.getRow(T.work, ALERT_INDEX_START_KEY))?.attributes.indexedSince).toBe(upgraded.clock.now() - MINUTE_MS);
  });

  it('recomputes minutes that late readings changed, then clears their marks', async () => {
    const { table, deps, sensor, clock } = await setup();
    const old = clock.now() - 30_000 - 30 * MINUTE_MS;
    await seed(table, sensor.deviceId, 'co2', minuteOf(old, [500]));
    await runRollup(deps);
    expect((await readRollups(table, sensor.deviceId, 'co2', '1m', old, old + 1))[0]).toMatchObject({ count: 1 });
    // A device's buffered reading for that minute arrives 30 minutes late; the ETL marks the minute.
    await seed(table, sensor.deviceId, 'co2', [[old + 30_000, 700]]);
    await table.putRow(T.work, { kind: 'dirty', key: `${sensor.deviceId}|co2|${old}` }, { deviceId: sensor.deviceId, metric: 'co2', minute: old, markedAt: clock.now() });
    clock.advance(MINUTE_MS);
    expect(await runRollup(deps)).toMatchObject({ lateMinutes: 1 });
    expect((await readRollups(table, sensor.deviceId, 'co2', '1m', old, old + 1))[0]).toMatchObject({ count: 2, max: 700, avg: 600 });
    expect((await readRollups(table, sensor.deviceId, 'co2', '1h', old - HOUR_MS, old + 1)).at(-1)).toMatchObject({ count: 2 });
    expect(await scanRange(table, T.work, { start: { kind: 'dirty', key: INF_MIN }, end: { kind: 'dirty', key: INF_MAX } })).toHaveLength(0);
  });
});
