import { AlertsQuery, SeriesQuery, type SeriesResponse } from '#shared/contracts/iot';
import { bucketize, round } from '#shared/iot/stats';
import { SecretBox } from '#shared/iot/secret-box';
import { ALERT_INDEX_START_KEY, alertIndexKey, dayKey, MINUTE_MS, readAlertsOfDay, readRaw, ROLLUP_CURSOR_KEY, T } from '#shared/iot/rows';
import { signatureMatches, signDeviceRequest } from '#shared/iot/signature';
import { getDeviceView, listDeviceViews, rotateSecret } from '../../functions/iot-devices/core';
import { getSeries, listAlerts, SERIES_LIMITS, toAlertView } from '../../functions/iot-devices/data';
import type { BatchWriteOp } from '#shared/ports/table';
import { processReadings } from '../../functions/iot-etl/core';
import { toMessages } from '../../functions/iot-ingest/core';
import { runRollup } from '../../functions/iot-rollup/core';
import { countingTable } from '../helpers/counting-table';
import { FakeTopic } from '../helpers/fake-messaging';
import { iotWorld, TEST_SECRET_KEY, refusal } from '../helpers/iot';

describe('device secrets', () => {
  it('signs as the contract says: hex(HMAC-SHA256(secret, timestamp + "." + body))', () => {
    // Computed independently: printf '1764072000000.{"readings":[]}' | openssl dgst -sha256 -hmac 's3cret'
    expect(signDeviceRequest('s3cret', '1764072000000', '{"readings":[]}')).toBe('ef80803a4563a22dd481f08b5781ad1afa3cc42b30e8e7618796add01c6273ce');
    expect(signDeviceRequest('s3cret', '1764072000000', Buffer.from('{"readings":[]}'))).toBe('ef80803a4563a22dd481f08b5781ad1afa3cc42b30e8e7618796add01c6273ce');
    const sig = signDeviceRequest('s3cret', '1764072000000', '{"readings":[]}');
    expect(signatureMatches('s3cret', '1764072000000', '{"readings":[]}', sig.toUpperCase())).toBe(true);
    expect(signatureMatches('s3cret', '1764072000001', '{"readings":[]}', sig)).toBe(false);
    expect(signatureMatches('other', '1764072000000', '{"readings":[]}', sig)).toBe(false);
  });

  it('seals secrets so that neither the table nor another device row reveals them', () => {
    const box = new SecretBox(TEST_SECRET_KEY);
    const sealed = box.seal('the-secret', 'dev_a');
    expect(sealed).not.toContain('the-secret');
    expect(box.open(sealed, 'dev_a')).toBe('the-secret');
    expect(() => box.open(sealed, 'dev_b')).toThrow();
    expect(() => new SecretBox('another-key-that-is-long-enough-0123456789').open(sealed, 'dev_a')).toThrow();
    expect(box.seal('the-secret', 'dev_a')).not.toBe(sealed);
    expect(() => new SecretBox('short')).toThrow(/at least 32/);
  });
});

describe('iot-devices', () => {
  it('registers a device, shows its secret once and stores it sealed', async () => {
    const { register, table, secrets } = iotWorld();
    const device = await register({ name: 'Greenhouse 1', type: 'env-sensor' });
    expect(device).toMatchObject({ deviceId: expect.stringMatching(/^dev_[0-9a-z]{26}$/), name: 'Greenhouse 1', type: 'env-sensor', secret: expect.stringMatching(/^[\w-]{43}$/) });
    const row = await table.getRow(T.devices, { deviceId: device.deviceId });
    expect(JSON.stringify(row)).not.toContain(device.secret);
    expect(secrets.open(String(row!.attributes.secretSealed), device.deviceId)).toBe(device.secret);
  });

  it('rotates a secret and answers 404 for an unknown device', async () => {
    const { register, table, clock, secrets } = iotWorld();
    const device = await register();
    const rotated = await rotateSecret(device.deviceId, { table, clock, secrets });
    expect(rotated.secret).not.toBe(device.secret);
    expect((await refusal(rotateSecret('dev_0000000000zzzzzzzzzzzzzzzz', { table, clock, secrets }))).status).toBe(404);
  });

  it('lists devices by name with status and latest values', async () => {
    const { register, table, clock } = iotWorld();
    const b = await register({ name: 'pump 10', type: 'pump' });
    const a = await register({ name: 'pump 9', type: 'pump' });
    const never = await register({ name: 'spare', type: 'power-meter' });
    const now = clock.now();
    const records = (deviceId: string, ts: number) => toMessages({ deviceId, type: 'pump' }, [{ ts, metric: 'vibration', value: 2.5 }, { ts, metric: 'pressure', value: 300, unit: 'kPa' }], 'r', ts).map((body) => ({ messageId: deviceId, body }));
    await processReadings([...records(a.deviceId, now - 1000), ...records(b.deviceId, now - 10 * MINUTE_MS)], { table, clock });
    const { items } = await listDeviceViews({ table, clock });
    expect(items.map((d) => [d.name, d.status])).toEqual([
      ['pump 9', 'online'],
      ['pump 10', 'offline'],
      ['spare', 'never'],
    ]);
    // Metrics in catalogue order, values in canonical units.
    expect(items[0]!.latest).toEqual({ pressure: { ts: now - 1000, value: 3, unit: 'bar' }, vibration: { ts: now - 1000, value: 2.5, unit: 'mm/s' } });
    expect(items[2]).not.toHaveProperty('lastSeenAt');
    expect((await getDeviceView(a.deviceId, { table, clock })).lastSeenAt).toBe(new Date(now - 1000).toISOString());
    expect((await refusal(getDeviceView(never.deviceId.replace(/.$/, (last) => (last === '0' ? '1' : '0')), { table, clock }))).status).toBe(404);
  });
});

describe('data API: series', () => {
  async function withData() {
    const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 0));
    const device = await world.register({ name: 'meter', type: 'power-meter' });
    const now = world.clock.now();
    // 2 hours of one reading every 10 s.
    const readings = Array.from({ length: 720 }, (_, i) => ({ ts: now - 7200_000 + i * 10_000, metric: 'voltage', value: 220 + (i % 10) }));
    const records = [];
    for (let i = 0; i < readings.length; i += 500) records.push(...toMessages({ deviceId: device.deviceId, type: 'power-meter' }, readings.slice(i, i + 500), 'r', now).map((body) => ({ messageId: `m${i}`, body })));
    await processReadings(records, { table: world.table, clock: world.clock });
    const query = (q: Record<string, string>) => getSeries(device.deviceId, SeriesQuery.parse(q), { table: world.table, clock: world.clock });
    return { ...world, device, now, query };
  }

  it('serves raw readings for short windows', async () => {
    const { query, now } = await withData();
    const series = await query({ metric: 'voltage', from: String(now - 60_000) });
    expect(series).toMatchObject({ resolution: 'raw', unit: 'V', from: now - 60_000, to: now });
    expect(series.points.map((p) => p.ts)).toEqual([-60_000, -50_000, -40_000, -30_000, -20_000, -10_000].map((d) => now + d));
  });

  it('serves 1-minute buckets for longer windows, completing them from raw readings before the rollup ran', async () => {
    const { query, now } = await withData();
    const series = await query({ metric: 'voltage', from: new Date(now - 6 * 3600_000).toISOString(), to: String(now) });
    expect(series.resolution).toBe('1m');
    expect(series.points).toHaveLength(120);
    expect(series.points[0]).toEqual({ ts: now - 7200_000, min: 220, max: 225, avg: 222.5, count: 6 });
  });

  it('serves 1-hour buckets for the longest windows, completing the hours the rollup has not reached', async () => {
    // No rollup ran: before, a 7-day chart of a device reporting right now said "No readings in this window".
    const { query, now } = await withData();
    const series = await query({ metric: 'voltage', from: String(now - 7 * 86_400_000), to: String(now) });
    expect(series.resolution).toBe('1h');
    expect(series.points).toEqual([
      { ts: now - 7200_000, min: 220, max: 229, avg: 224.5, count: 360 },
      { ts: now - 3600_000, min: 220, max: 229, avg: 224.5, count: 360 },
    ]);
  });

  it('answers 400 naming the parameter for impossible requests', async () => {
    const { query, now } = await withData();
    const cases: [Record<string, string>, string][] = [
      [{ metric: 'temperature' }, 'query.metric'],
      [{ metric: 'voltage', from: String(now), to: String(now - 1) }, 'query.from'],
      [{ metric: 'voltage', from: String(now - 12 * 3600_000), step: 'raw' }, 'query.from'],
      [{ metric: 'voltage', from: String(now - 40 * 86400_000), step: '1m' }, 'query.from'],
    ];
    for (const [q, path] of cases) {
      const err = await refusal(query(q));
      expect({ status: err.status, path: err.details?.[0]?.path }).toEqual({ status: 400, path });
    }
    expect(SeriesQuery.safeParse({ metric: 'voltage', from: 'yesterday' }).error?.issues[0]?.path).toEqual(['from']);
    expect(SeriesQuery.safeParse({ metric: 'voltage', step: '5m' }).error?.issues[0]?.path).toEqual(['step']);
  });
});

describe('data API: series as data grows (D109)', () => {
  // A pump reporting 4 pressure readings a second for the last 90 minutes, rolled up as the timer would have. Rows are written as the ETL writes them, without its per-message work (fast).
  const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 30));
  const now = world.clock.now();
  const HZ = 4;
  let deviceId = '';
  beforeAll(async () => {
    deviceId = (await world.register({ name: 'pump', type: 'pump' })).deviceId;
    const from = now - 90 * MINUTE_MS;
    const ops: BatchWriteOp[] = Array.from({ length: 90 * 60 * HZ }, (_, i) => ({ type: 'PUT', table: T.telemetry, primaryKey: { deviceId, metric: 'pressure', ts: from + (i * 1000) / HZ }, attributes: { value: 4 + (i % 7) / 10, receivedAt: now } }));
    for (let i = 0; i < ops.length; i += 200) await world.table.batchWriteRow(ops.slice(i, i + 200));
    await world.table.putRow(T.latest, { deviceId, metric: 'pressure' }, { ts: now - 1, value: 4, updatedAt: now });
    await world.table.putRow(T.work, ROLLUP_CURSOR_KEY, { rolledUntil: from - (from % MINUTE_MS), updatedAt: 0 });
    const rollupDeps = { table: world.table, topic: new FakeTopic(), topicName: 'alerts', clock: world.clock };
    for (let run = await runRollup(rollupDeps); run.to > run.from; run = await runRollup(rollupDeps));
  });
  const reads = countingTable(world.table);
  async function query(q: Record<string, string>) {
    reads.reset();
    const series = await getSeries(deviceId, SeriesQuery.parse({ metric: 'pressure', ...q }), { table: reads.table, clock: world.clock });
    return { series, rawRead: reads.rows[T.telemetry] ?? 0, rollupsRead: reads.rows[T.rollup] ?? 0 };
  }

  it('serves 1-minute buckets for an hour too dense to chart raw, without reading the hour\'s raw readings', async () => {
    // 4 readings/s: 14 400 in the hour. Before, every one of them was read (up to 20 001), then thrown away.
    const { series, rawRead, rollupsRead } = await query({ from: String(now - 3600_000) });
    expect(series.resolution).toBe('1m');
    expect(series.points.length).toBeGreaterThanOrEqual(60);
    expect(series.points.every((p) => 'count' in p && p.count <= 60 * HZ)).toBe(true);
    // Only the minutes the rollup has not reached yet (it trails by one or two) are read raw.
    expect(rawRead).toBeLessThanOrEqual(2 * 60 * HZ);
    expect(rollupsRead).toBeLessThanOrEqual(61);
  });

  it('serves raw readings when the window holds few enough to chart, and says which', async () => {
    const quarter = await query({ from: String(now - 15 * 60_000) });
    expect(quarter.series.resolution).toBe('raw');
    expect(quarter.series.points).toHaveLength(15 * 60 * HZ);
    expect(quarter.rawRead).toBe(15 * 60 * HZ);
    // Asked for explicitly, raw readings are served up to the larger limit.
    const hour = await query({ from: String(now - 3600_000), step: 'raw' });
    expect(hour.series).toMatchObject({ resolution: 'raw' });
    expect(hour.series.points).toHaveLength(3600 * HZ);
  });

  it('keeps every auto answer within the point budget, whatever the window', async () => {
    for (const hours of [0.25, 1, 3, 6, 24, 24 * 7, 24 * 90]) {
      const { series, rawRead } = await query({ from: String(now - hours * 3600_000) });
      expect({ hours, points: series.points.length <= SERIES_LIMITS.rawAutoPoints }).toEqual({ hours, points: true });
      expect({ hours, rawRead: rawRead <= SERIES_LIMITS.rawAutoPoints + 1 }).toEqual({ hours, rawRead: true });
    }
    // 40 minutes at 4 readings/s is 9 600 readings: still raw; 45 minutes (10 800) is 1-minute buckets.
    expect((await query({ from: String(now - 40 * MINUTE_MS) })).series.resolution).toBe('raw');
    expect((await query({ from: String(now - 45 * MINUTE_MS) })).series.resolution).toBe('1m');
  });
});

describe('data API: alerts', () => {
  it('lists alerts newest first, across days, for all devices or one', async () => {
    const { table, clock } = iotWorld(Date.UTC(2026, 10, 25, 0, 30, 0));
    const now = clock.now();
    const put = (raisedAt: number, deviceId: string) =>
      table.putRow(
        T.alerts,
        { day: new Date(raisedAt).toISOString().slice(0, 10), alertId: `${raisedAt}.${deviceId}.co2.high` },
        { deviceId, deviceType: 'env-sensor', metric: 'co2', rule: 'high', severity: 'warning', value: 2000, limit: 1500, raisedAt, lastSeenAt: raisedAt, minutes: 1, message: 'm', notified: true },
      );
    const A = 'dev_0000000000aaaaaaaaaaaaaaaa';
    const B = 'dev_0000000000bbbbbbbbbbbbbbbb';
    await put(now - 10 * MINUTE_MS, A);
    await put(now - 50 * MINUTE_MS, B);
    await put(now - 2 * 86400_000, A);
    const list = async (q: Record<string, string>) => (await listAlerts(AlertsQuery.parse(q), { table, clock })).items.map((a) => [a.deviceId, Date.parse(a.raisedAt)]);
    // The default window is the last 24 hours: two alerts, one of them raised on the previous UTC day.
    expect(await list({})).toEqual([
      [A, now - 10 * MINUTE_MS],
      [B, now - 50 * MINUTE_MS],
    ]);
    expect(await list({ since: String(now - 30 * MINUTE_MS) })).toEqual([[A, now - 10 * MINUTE_MS]]);
    expect(await list({ deviceId: A, since: String(now - 3 * 86400_000) })).toEqual([
      [A, now - 10 * MINUTE_MS],
      [A, now - 2 * 86400_000],
    ]);
    expect(await list({ since: String(now - 3 * 86400_000), limit: '2' })).toHaveLength(2);
    expect((await refusal(listAlerts(AlertsQuery.parse({ since: String(now - 40 * 86400_000) }), { table, clock }))).details?.[0]?.path).toBe('query.since');
  });
});

describe('data API: one device\'s alerts (D115)', () => {
  // A fleet's day: 100 devices, 3 000 alerts over the last 24 hours; device A raised every 300th.
  const A = 'dev_0000000000aaaaaaaaaaaaaaaa';
  const FLEET = 3000;
  async function fleet(indexedSince: number | undefined) {
    const world = iotWorld(Date.UTC(2026, 10, 25, 6, 0, 0));
    const now = world.clock.now();
    const ops: BatchWriteOp[] = [];
    for (let i = 0; i < FLEET; i++) {
      const raisedAt = now - 24 * 3600_000 + Math.floor((i * 24 * 3600_000) / FLEET / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
      const deviceId = i % 300 === 7 ? A : `dev_0000000000${String(i % 100).padStart(16, 'f')}`;
      const alertId = `${String(raisedAt).padStart(13, '0')}.${deviceId}.co2.high`;
      ops.push({ type: 'PUT', table: T.alerts, primaryKey: { day: dayKey(raisedAt), alertId }, attributes: { deviceId, deviceType: 'env-sensor', metric: 'co2', rule: 'high', severity: 'warning', value: 2000, limit: 1500, raisedAt, lastSeenAt: raisedAt, minutes: 1, message: 'm', notified: true } });
      // As iot-rollup writes it since D115; alerts raised before `indexedSince` were written without.
      if (indexedSince !== undefined && raisedAt >= indexedSince) ops.push({ type: 'PUT', table: T.alertsByDevice, primaryKey: alertIndexKey({ deviceId, alertId }), attributes: { raisedAt } });
    }
    for (let i = 0; i < ops.length; i += 200) await world.table.batchWriteRow(ops.slice(i, i + 200));
    if (indexedSince !== undefined) await world.table.putRow(T.work, ALERT_INDEX_START_KEY, { indexedSince });
    const reads = countingTable(world.table);
    const list = async (q: Record<string, string>) => {
      reads.reset();
      const items = (await listAlerts(AlertsQuery.parse(q), { table: reads.table, clock: world.clock })).items;
      return { items, alertRows: reads.rows[T.alerts] ?? 0 };
    };
    // What the answer must be: the device's alerts of the last 24 hours as the day partitions hold them, newest first.
    const expected = async (limit: number) =>
      (await Promise.all([now, now - 86400_000].map((t) => readAlertsOfDay(world.table, dayKey(t), { deviceId: A, since: now - 86400_000 })))).flat().map(toAlertView).slice(0, limit);
    return { ...world, now, list, expected, reads };
  }

  it('reads only the device\'s alerts, in the fleet list\'s order and limit', async () => {
    const { list, expected, reads } = await fleet(0);
    const all = await list({ deviceId: A });
    expect(all.items).toHaveLength(10);
    expect(all.items).toEqual(await expected(100));
    // Before: the day partitions filtered, every one of the fleet's 3 000 alerts read to find ten.
    expect(all.alertRows).toBe(10);
    const three = await list({ deviceId: A, limit: '3' });
    expect(three.items).toEqual(await expected(3));
    expect(three.alertRows).toBe(3);
    expect(reads.rows[T.alertsByDevice]).toBe(3);
  });

  it('still finds the alerts raised before the index began, reading only their days before that time', async () => {
    const world = await fleet(undefined);
    const before = (await world.list({ deviceId: A, limit: '500' })).items;
    // An upgrade 9 hours ago: the last 9 hours indexed, the 15 before read from their days.
    const upgraded = await fleet(world.now - 9 * 3600_000);
    const answer = await upgraded.list({ deviceId: A, limit: '500' });
    expect(answer.items).toEqual(before);
    expect(answer.items).toEqual(await upgraded.expected(500));
    expect(answer.items.filter((a) => Date.parse(a.raisedAt) >= world.now - 9 * 3600_000).length).toBeGreaterThan(0);
    // The indexed 9 hours are not scanned: ~15/24 of the fleet's alerts (+ A's own few), not all 3 000.
    expect(answer.alertRows).toBeLessThan(FLEET * 0.65 + 10);
    // Paged by `limit` across the two parts, newest first.
    for (const limit of [1, 4, 7]) expect((await upgraded.list({ deviceId: A, limit: String(limit) })).items).toEqual(before.slice(0, limit));
    // A window inside the indexed hours reads no day at all.
    expect((await upgraded.list({ deviceId: A, since: String(world.now - 6 * 3600_000) })).alertRows).toBeLessThanOrEqual(10);
  });

  it('skips a device row whose alert is not written yet, and still fills the limit', async () => {
    const { table, list, expected, now } = await fleet(0);
    const pending = `${String(now - MINUTE_MS).padStart(13, '0')}.${A}.co2.low`;
    await table.putRow(T.alertsByDevice, alertIndexKey({ deviceId: A, alertId: pending }), { raisedAt: now - MINUTE_MS });
    expect((await list({ deviceId: A, limit: '2' })).items).toEqual(await expected(2));
  });
});

describe('data API: series with late readings (D128)', () => {
  // A pump reporting pressure every 10 s for 3 hours up to 12:00:30, silent 11:40–11:45, rolled up to 11:59 as
  // the timer does. Then buffered readings arrive late, through the ETL's own code.
  async function rolledUp() {
    const world = iotWorld(Date.UTC(2026, 10, 25, 12, 0, 30));
    const now = world.clock.now();
    const deviceId = (await world.register({ name: 'pump', type: 'pump' })).deviceId;
    const silent = (ts: number) => ts >= Date.UTC(2026, 10, 25, 11, 40) && ts < Date.UTC(2026, 10, 25, 11, 45);
    const readings = [];
    for (let ts = now - 3 * 3600_000; ts < now; ts += 10_000) if (!silent(ts)) readings.push({ ts, metric: 'pressure', value: 4 + ((ts / 10_000) % 7) / 10 });
    const send = (list: { ts: number; metric: string; value: number }[], requestId: string) =>
      processReadings(toMessages({ deviceId, type: 'pump' }, list, requestId, world.clock.now()).map((body, i) => ({ messageId: `${requestId}-${i}`, body })), { table: world.table, clock: world.clock });
    await send(readings, 'r');
    await world.table.putRow(T.work, ROLLUP_CURSOR_KEY, { rolledUntil: now - 3 * 3600_000 - 30_000, updatedAt: 0 });
    const rollupDeps = { table: world.table, topic: new FakeTopic(), topicName: 'alerts', clock: world.clock };
    const rollup = async () => {
      for (let run = await runRollup(rollupDeps); run.to > run.from; run = await runRollup(rollupDeps));
    };
    await rollup();
    const series = async (q: Record<string, string>) => (await getSeries(deviceId, SeriesQuery.parse({ metric: 'pressure', to: String(world.clock.now()), ...q }), { table: world.table, clock: world.clock })) as SeriesResponse;
    /** What every stored reading of the window says, in whole buckets: the answer a chart must show. */
    const truth = async (from: number, to: number, step: number) => {
      const raw = await readRaw(world.table, deviceId, 'pressure', Math.floor(from / step) * step, to);
      return [...bucketize(raw, step)].map(([ts, s]) => ({ ts, min: s.min, max: s.max, avg: round(s.sum / s.count), count: s.count }));
    };
    return { ...world, now, deviceId, send, rollup, series, truth };
  }
  const late = [
    { ts: Date.UTC(2026, 10, 25, 11, 57, 35), metric: 'pressure', value: 9.5 }, // 3 minutes late, in a rolled-up minute
    { ts: Date.UTC(2026, 10, 25, 11, 58, 55), metric: 'pressure', value: 0.5 }, // the last rolled-up minute
    { ts: Date.UTC(2026, 10, 25, 11, 42, 5), metric: 'pressure', value: 8 }, // a minute that had no readings when rolled up
    { ts: Date.UTC(2026, 10, 25, 9, 30, 15), metric: 'pressure', value: 0.25 }, // 2.5 hours late: an hour served from its 1-hour rollup
    { ts: Date.UTC(2026, 10, 25, 12, 0, 25), metric: 'pressure', value: 7 }, // the current minute
  ];

  it('answers 1-minute and 1-hour buckets that hold every stored reading, before and after the rollup recomputes the late minutes', async () => {
    const { send, rollup, series, truth, now, clock, table, deviceId } = await rolledUp();
    expect((await send(late, 'late')).lateMinutes).toBe(4);
    const check = async (at: number) => {
      const minutes = await truth(at - 6 * 3600_000, at, MINUTE_MS);
      expect(minutes.reduce((n, p) => n + p.count, 0)).toBe(3 * 360 - 30 + late.length);
      // step=auto for 6 hours and step=1m: the same minutes; step=1h over 7 days: the same hours.
      expect((await series({ from: String(at - 6 * 3600_000) })).points).toEqual(minutes);
      expect((await series({ from: String(at - 6 * 3600_000), step: '1m' })).points).toEqual(minutes);
      expect((await series({ from: String(at - 7 * 86_400_000) })).points).toEqual(await truth(at - 7 * 86_400_000, at, 3600_000));
    };
    await check(now);
    // Only the marked minutes and the minutes from the cursor on are read raw, not the window's 1 055 readings.
    const reads = countingTable(table);
    await getSeries(deviceId, SeriesQuery.parse({ metric: 'pressure', from: String(now - 6 * 3600_000), to: String(now) }), { table: reads.table, clock });
    expect(reads.rows[T.telemetry]).toBe(7 + 7 + 1 + 7 + (6 + 4));
    clock.advance(MINUTE_MS);
    await rollup();
    await check(clock.now());
  });

  it('has no hole while a rollup run that catches up is still writing its rows', async () => {
    const { table, deviceId, series, truth, now } = await rolledUp();
    // A run catching up from 11:50 (after a stall) whose later batch of rows (11:55–11:58) is written, the
    // earlier one (11:50–11:54) still in flight: the cursor moves only when every row is written.
    await table.putRow(T.work, ROLLUP_CURSOR_KEY, { rolledUntil: Date.UTC(2026, 10, 25, 11, 50), updatedAt: 0 });
    for (let m = Date.UTC(2026, 10, 25, 11, 50); m < Date.UTC(2026, 10, 25, 11, 55); m += MINUTE_MS) await table.deleteRow(T.rollup, { deviceId, metric: 'pressure', resolution: '1m', ts: m });
    expect((await series({ from: String(now - 3600_000), step: '1m' })).points).toEqual(await truth(now - 3600_000, now, MINUTE_MS));
  });
});
