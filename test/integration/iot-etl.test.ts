/**
 * The IoT ETL through the local cloud, on the real s.yaml: signed device requests → `iot-ingest` → MNS queue
 * `iot-readings` → `iot-etl` (eventbridge trigger, batched) → TableStore → the data API; `iot-rollup` by
 * "run now" of its timer → rollups, alerts and `alerts` topic messages (read from the `iot-alert-feed` queue
 * the topic fans out to); a poison message ending in `iot-readings-dlq`. The queue's visibility timeout and
 * receive count are shortened through s.yaml variables so the DLQ path takes seconds.
 */
import { join } from 'node:path';
import type { AlertNotification, DeviceCredentials, RawPoint, RollupPoint } from '#shared/contracts/iot';
import { createMnsClient } from '#shared/aliyun/mns-client';
import { MnsQueue } from '#shared/aliyun/mns-queue';
import { ALERT_INDEX_START_KEY, dayKey, lateMinuteMarkKey, scanRange, T } from '#shared/iot/rows';
import { bucketize, round } from '#shared/iot/stats';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import { toMessages } from '../../functions/iot-ingest/core';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { IotClient, postReadings } from '../helpers/iot-http';
import { localCloudTable } from '../helpers/tablestore';
import { tempDir } from '../helpers/temp';

const MINUTE = 60_000;
const floorMinute = (ts: number) => Math.floor(ts / MINUTE) * MINUTE;

describe('IoT ETL through the local cloud', () => {
  const dir = tempDir('iot-');
  let cloud: LocalCloud;
  let api: IotClient;
  let queue: MnsQueue;
  let seq = 0;
  const name = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

  const rawPoints = async (device: DeviceCredentials, metric: string, from: number, to = Date.now() + MINUTE) =>
    (await api.series(device.deviceId, { metric, from, to, step: 'raw' })).points as RawPoint[];
  const runRollup = async () => {
    const res = await fetch(`${cloud.url}/_local/api/timers/iot-rollup/run`, { method: 'POST' });
    expect(res.status).toBe(202);
    const { requestId } = (await res.json()) as { requestId: string };
    return eventually(() => {
      const record = cloud.runtime.recent({ functionName: cloud.spec.functions.find((f) => f.resource === 'iot-rollup')!.name, limit: 200 }).find((r) => r.requestId === requestId);
      expect(record?.status).toBe('succeeded');
      return record!;
    }, { timeoutMs: 30_000 });
  };
  /** Every `alerts` topic message so far, read (and deleted) from the queue subscribed to the topic. */
  const feed: AlertNotification[] = [];
  const drainFeed = async () => {
    for (;;) {
      const got = await queue.receive('fcsuite-dev-iot-alert-feed', { max: 16, waitSeconds: 0 });
      if (!got.length) return feed;
      for (const m of got) {
        feed.push(JSON.parse(m.body) as AlertNotification);
        await queue.delete('fcsuite-dev-iot-alert-feed', m.receiptHandle);
      }
    }
  };

  beforeAll(async () => {
    cloud = await startLocalCloud({
      port: 0,
      dataDir: join(dir.path, 'data'),
      prewarm: false,
      watch: false,
      env: { ...process.env, IOT_QUEUE_VISIBILITY_SECONDS: '2', IOT_QUEUE_MAX_RECEIVES: '3' },
    });
    api = await IotClient.signIn(cloud.url);
    queue = new MnsQueue(createMnsClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.mns.emulator.endpoint }));
  }, 180_000);
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('stores a signed batch and serves it from the data API, in canonical units', async () => {
    const device = await api.register(name('greenhouse'), 'env-sensor');
    const now = Date.now();
    const res = await postReadings(cloud.url, device, {
      readings: [
        { ts: now - 3000, metric: 'temperature', value: 21.5 },
        { ts: now - 2000, metric: 'temperature', value: 71.6, unit: '°F' },
        { ts: now - 2000, metric: 'humidity', value: 48, seq: 1 },
        { ts: now - 1000, metric: 'rainfall', value: 3 },
      ],
    });
    expect(res).toEqual({ status: 202, body: { accepted: 3, rejected: [{ index: 3, reason: 'unknown-metric', detail: expect.any(String) }] } });
    const points = await eventually(async () => {
      const p = await rawPoints(device, 'temperature', now - MINUTE);
      expect(p).toHaveLength(2);
      return p;
    });
    expect(points).toEqual([
      { ts: now - 3000, value: 21.5 },
      { ts: now - 2000, value: 22 },
    ]);
    const view = await api.device(device.deviceId);
    expect(view).toMatchObject({ status: 'online', latest: { temperature: { ts: now - 2000, value: 22, unit: '°C' }, humidity: { ts: now - 2000, value: 48, unit: '%' } } });
  });

  it('writes each reading once: repeated requests, and the same queue message delivered twice', async () => {
    const device = await api.register(name('meter'), 'power-meter');
    const now = Date.now();
    const readings = Array.from({ length: 50 }, (_, i) => ({ ts: now - 50_000 + i * 1000, metric: 'voltage', value: 230 + (i % 7) }));
    expect((await postReadings(cloud.url, device, { readings })).status).toBe(202);
    // The device retries (a new signature, the same readings), and a message arrives twice (MNS redelivery).
    expect((await postReadings(cloud.url, device, { readings }, { timestamp: Date.now() + 1 })).status).toBe(202);
    const [body] = toMessages({ deviceId: device.deviceId, type: 'power-meter' }, readings.slice(0, 10), 'replayed', now);
    await queue.sendBatch('fcsuite-dev-iot-readings', [{ body: body! }, { body: body! }]);
    await eventually(async () => expect(await rawPoints(device, 'voltage', now - MINUTE)).toHaveLength(50));
    // Let every copy be processed, then count again.
    await eventually(() => {
      const q = cloud.mns.emulator.queues.getQueue('fcsuite-dev-iot-readings');
      expect(q.activeMessages + q.inactiveMessages + q.delayMessages).toBe(0);
    });
    const points = await rawPoints(device, 'voltage', now - MINUTE);
    expect(points.map((p) => p.ts)).toEqual(readings.map((r) => r.ts));
  });

  it('rolls complete minutes up on "run now" of the rollup timer', async () => {
    const device = await api.register(name('pump'), 'pump');
    const minute = floorMinute(Date.now()) - 3 * MINUTE;
    const readings = [0, 10_000, 20_000, 59_000].map((offset, i) => ({ ts: minute + offset, metric: 'pressure', value: 4 + i }));
    expect((await postReadings(cloud.url, device, { readings })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'pressure', minute)).toHaveLength(4));
    await runRollup();
    // step=1h: the hour bucket holds the minute's four readings (rolled up, not counted twice).
    const hour = await api.series(device.deviceId, { metric: 'pressure', from: minute - 3600_000, to: minute + MINUTE, step: '1h' });
    expect(hour.resolution).toBe('1h');
    expect((hour.points as RollupPoint[]).reduce((n, p) => n + p.count, 0)).toBe(4);
    const minutes = await api.series(device.deviceId, { metric: 'pressure', from: minute, to: minute + MINUTE, step: '1m' });
    expect(minutes.points).toEqual([{ ts: minute, min: 4, max: 7, avg: 5.5, count: 4 }]);
  });

  it('counts in a manual report every stored reading: a late one in a rolled-up minute, and the minute not rolled up yet', async () => {
    const device = await api.register(name('report'), 'env-sensor');
    const minute = floorMinute(Date.now()) - 3 * MINUTE;
    expect((await postReadings(cloud.url, device, { readings: [{ ts: minute + 10_000, metric: 'temperature', value: 20 }] })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute)).toHaveLength(1));
    await runRollup();
    // A buffered reading for that minute arrives after the rollup, and one of the current minute.
    const now = Date.now();
    const readings = [
      { ts: minute + 20_000, metric: 'temperature', value: 30 },
      { ts: now - 1000, metric: 'temperature', value: 10 },
    ];
    expect((await postReadings(cloud.url, device, { readings })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute)).toHaveLength(3));
    // The ETL marks the late minute just after storing its reading; wait for the mark (or, should the rollup timer
    // fire in between, for the minute recomputed), so the report is asked for once the reading is stored whole.
    const table = await localCloudTable(cloud.url);
    const minuteCount = async () => ((await api.series(device.deviceId, { metric: 'temperature', from: minute, to: minute + MINUTE, step: '1m' })).points as RollupPoint[])[0]?.count;
    await eventually(async () => expect((await table.getRow(T.work, { kind: 'dirty', key: `${device.deviceId}|temperature|${minute}` })) !== undefined || (await minuteCount()) === 2).toBe(true));
    const report = await api.json<{ url: string }>('POST', '/api/iot/reports', { from: minute - 10 * MINUTE, to: now }, 201);
    const csv = await (await fetch(report.url)).text();
    const row = csv.split('\r\n').find((line) => line.startsWith(device.deviceId))!.split(',');
    expect(row.slice(7, 11)).toEqual(['3', '10', '30', '20']);
  });

  it('charts a reading that arrives after its minute was rolled up at once, in 1-minute and 1-hour buckets (D128)', async () => {
    const device = await api.register(name('late'), 'env-sensor');
    const minute = floorMinute(Date.now()) - 3 * MINUTE;
    const on = (ts: number, value: number) => ({ ts, metric: 'temperature', value });
    expect((await postReadings(cloud.url, device, { readings: [on(minute + 10_000, 20), on(minute + MINUTE + 10_000, 21)] })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute)).toHaveLength(2));
    await runRollup();
    // A device's buffer arrives late: one reading in each rolled-up minute, one in the silent minute before them
    // (rolled up with nothing: no row), and one of the current minute.
    const late = [on(minute - MINUTE + 30_000, 5), on(minute + 40_000, 30), on(minute + MINUTE + 50_000, 1), on(Date.now() - 1000, 22)];
    expect((await postReadings(cloud.url, device, { readings: late })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute - MINUTE)).toHaveLength(6));
    // The ETL marks the late minutes just after storing them; from then on (or once a timer run recomputed them)
    // the chart must hold them. Before D128 it showed the rolled-up minutes without them until the next run.
    const table = await localCloudTable(cloud.url);
    const rolledAgain = async () => ((await api.series(device.deviceId, { metric: 'temperature', from: minute + MINUTE, to: minute + 2 * MINUTE, step: '1h' })).points as RollupPoint[])[0]?.count === 2;
    await eventually(async () => expect((await table.getRow(T.work, lateMinuteMarkKey(device.deviceId, 'temperature', minute + MINUTE))) !== undefined || (await rolledAgain())).toBe(true));
    const expectChartsHoldEverything = async () => {
      const now = Date.now();
      const raw = await rawPoints(device, 'temperature', minute - 10 * MINUTE, now);
      const perMinute = [...bucketize(raw, MINUTE)].map(([ts, s]) => ({ ts, min: s.min, max: s.max, avg: round(s.sum / s.count), count: s.count }));
      expect(perMinute.map((p) => p.count)).toEqual([1, 2, 2, 1]);
      expect((await api.series(device.deviceId, { metric: 'temperature', from: minute - 10 * MINUTE, to: now, step: '1m' })).points).toEqual(perMinute);
      const hours = (await api.series(device.deviceId, { metric: 'temperature', from: now - 7 * 24 * 3600_000, to: now })).points as RollupPoint[];
      expect(hours.reduce((n, p) => n + p.count, 0)).toBe(6);
    };
    await expectChartsHoldEverything();
    await runRollup();
    await expectChartsHoldEverything();
  });

  it('charts a window too dense for raw readings in 1-minute buckets, and a sparse one raw (D109)', async () => {
    // 12 000 readings in 30 minutes (6.7 a second, as `simulate:iot -- --devices 100 --rate 2000` makes each
    // device report per metric): more than a chart takes raw, so `step=auto` answers the window's minutes.
    const device = await api.register(name('dense'), 'pump');
    const start = floorMinute(Date.now()) - 30 * MINUTE;
    const readings = Array.from({ length: 12_000 }, (_, i) => ({ ts: start + i * 150, metric: 'pressure', value: 4 + (i % 10) / 10 }));
    for (let i = 0; i < readings.length; i += 500) expect((await postReadings(cloud.url, device, { readings: readings.slice(i, i + 500) })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'pressure', start, start + 30 * MINUTE)).toHaveLength(12_000), { timeoutMs: 60_000 });
    await runRollup();
    const half = await api.series(device.deviceId, { metric: 'pressure', from: start, to: start + 30 * MINUTE });
    expect(half.resolution).toBe('1m');
    expect(half.points).toHaveLength(30);
    expect((half.points as RollupPoint[]).reduce((n, p) => n + p.count, 0)).toBe(12_000);
    expect(half.points[0]).toEqual({ ts: start, min: 4, max: 4.9, avg: 4.45, count: 400 });
    const tenth = await api.series(device.deviceId, { metric: 'pressure', from: start, to: start + 10 * MINUTE });
    expect(tenth.resolution).toBe('raw');
    expect(tenth.points).toHaveLength(4000);
  }, 120_000);

  it('raises one alert and publishes one topic message per anomaly, also when the rollup runs again', async () => {
    const device = await api.register(name('freezer'), 'env-sensor');
    const minute = floorMinute(Date.now()) - 2 * MINUTE;
    expect((await postReadings(cloud.url, device, { readings: [{ ts: minute + 5000, metric: 'temperature', value: 4 }, { ts: minute + 6000, metric: 'temperature', value: 48.5 }] })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute)).toHaveLength(2));
    await runRollup();
    await runRollup();
    await runRollup();
    const alerts = await eventually(async () => {
      const list = await api.alerts({ deviceId: device.deviceId });
      expect(list).toHaveLength(1);
      return list;
    });
    expect(alerts[0]).toMatchObject({ rule: 'high', severity: 'critical', metric: 'temperature', value: 48.5, limit: 40, raisedAt: new Date(minute).toISOString() });
    const messages = await eventually(async () => {
      const mine = (await drainFeed()).filter((m) => m.deviceId === device.deviceId);
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(messages[0]).toMatchObject({ alertId: alerts[0]!.alertId, rule: 'high', value: 48.5 });
    await runRollup();
    expect((await drainFeed()).filter((m) => m.deviceId === device.deviceId)).toHaveLength(1);
  });

  it('lists one device\'s alerts from its own rows, and an alert written before D115 from its day', async () => {
    const table = await localCloudTable(cloud.url);
    const device = await api.register(name('boiler'), 'env-sensor');
    const minute = floorMinute(Date.now()) - 2 * MINUTE;
    // As after an upgrade: the index began at `minute`; an alert half an hour older was written without its device row.
    await table.putRow(T.work, ALERT_INDEX_START_KEY, { indexedSince: minute });
    const old = minute - 30 * MINUTE;
    const oldId = `${String(old).padStart(13, '0')}.${device.deviceId}.humidity.high`;
    await table.putRow(T.alerts, { day: dayKey(old), alertId: oldId }, { deviceId: device.deviceId, deviceType: 'env-sensor', metric: 'humidity', rule: 'high', severity: 'warning', value: 97, limit: 95, raisedAt: old, lastSeenAt: old, minutes: 1, message: 'm', notified: true });
    expect((await postReadings(cloud.url, device, { readings: [{ ts: minute + 5000, metric: 'temperature', value: 49 }] })).status).toBe(202);
    await eventually(async () => expect(await rawPoints(device, 'temperature', minute)).toHaveLength(1));
    await runRollup();
    await runRollup();
    const list = await eventually(async () => {
      const items = await api.alerts({ deviceId: device.deviceId, since: minute - 60 * MINUTE });
      expect(items).toHaveLength(2);
      return items;
    });
    expect(list.map((a) => [a.metric, a.raisedAt])).toEqual([
      ['temperature', new Date(minute).toISOString()],
      ['humidity', new Date(old).toISOString()],
    ]);
    // The new alert has its device row (written by iot-rollup through the real SDK), once however often it ran.
    const rows = await scanRange(table, T.alertsByDevice, { start: { deviceId: device.deviceId, alertId: INF_MIN }, end: { deviceId: device.deviceId, alertId: INF_MAX } });
    expect(rows.map((r) => r.primaryKey.alertId)).toEqual([list[0]!.alertId]);
    expect((await api.alerts({ deviceId: device.deviceId, since: minute - 60 * MINUTE, limit: 1 })).map((a) => a.alertId)).toEqual([list[0]!.alertId]);
  });

  it('dead-letters a poison message after its receive count and keeps its good neighbours', async () => {
    const device = await api.register(name('boiler'), 'pump');
    const now = Date.now();
    const good = toMessages({ deviceId: device.deviceId, type: 'pump' }, [{ ts: now - 1000, metric: 'flow', value: 120 }, { ts: now, metric: 'flow', value: 121 }], name('good'), now);
    const poison = `{"v":1,"deviceId":"${device.deviceId}","note":"${name('poison')}"}`;
    await queue.sendBatch('fcsuite-dev-iot-readings', [{ body: poison }, ...good.map((body) => ({ body }))]);
    await eventually(async () => expect(await rawPoints(device, 'flow', now - MINUTE)).toHaveLength(2));
    const dead = await eventually(
      async () => {
        const got = await queue.receive('fcsuite-dev-iot-readings-dlq', { max: 16, waitSeconds: 1 });
        const hit = got.find((m) => m.body === poison);
        expect(hit).toBeDefined();
        return hit!;
      },
      { timeoutMs: 60_000, intervalMs: 200 },
    );
    expect(dead.dequeueCount).toBeGreaterThanOrEqual(1);
    expect(await rawPoints(device, 'flow', now - MINUTE)).toHaveLength(2);
  });

  describe('refuses bad requests with a 4xx naming the field, and stores nothing', () => {
    let device: DeviceCredentials;
    beforeAll(async () => {
      device = await api.register(name('strict'), 'env-sensor');
    });
    const now = () => Date.now();
    const ok = () => ({ readings: [{ ts: now(), metric: 'co2', value: 600 }] });
    const cases: [string, () => Promise<{ status: number; body: Record<string, unknown> }>, number, string][] = [
      ['a bad signature', () => postReadings(cloud.url, { ...device, secret: 'wrong' }, ok()), 401, 'headers.x-signature'],
      ['a stale timestamp', () => postReadings(cloud.url, device, ok(), { timestamp: now() - 6 * MINUTE }), 401, 'headers.x-timestamp'],
      ['an unknown device', () => postReadings(cloud.url, { deviceId: 'dev_0000000000zzzzzzzzzzzzzz', secret: 'x' }, ok()), 401, 'headers.x-device-id'],
      ['malformed JSON', () => postReadings(cloud.url, device, '{"readings":[{"ts":1'), 400, 'body'],
      ['more than 500 readings', () => postReadings(cloud.url, device, { readings: Array.from({ length: 501 }, (_, i) => ({ ts: now() - i, metric: 'co2', value: 600 })) }), 400, 'body.readings'],
      ['NaN', () => postReadings(cloud.url, device, `{"readings":[{"ts":${now()},"metric":"co2","value":NaN}]}`), 400, 'body'],
      ['Infinity', () => postReadings(cloud.url, device, `{"readings":[{"ts":${now()},"metric":"co2","value":1e999}]}`), 400, 'body.readings.0.value'],
      ['a string for a number', () => postReadings(cloud.url, device, `{"readings":[{"ts":${now()},"metric":"co2","value":"600"}]}`), 400, 'body.readings.0.value'],
      ['an oversize body', () => postReadings(cloud.url, device, `{"readings":[{"ts":${now()},"metric":"co2","value":600,"unit":"${'x'.repeat(300_000)}"}]}`), 413, 'body'],
    ];
    it.each(cases)('%s', async (_label, send, status, path) => {
      const res = await send();
      expect(res.status).toBe(status);
      const error = res.body.error as { code: string; message: string; details: { path: string }[] };
      expect(error.details.map((d) => d.path)).toContain(path);
      expect(error.message).not.toMatch(/stack|at \w+ \(/);
    });

    it('answers 409 to a replayed signature, and nothing of the refused requests was stored', async () => {
      const body = JSON.stringify(ok());
      const timestamp = now();
      expect((await postReadings(cloud.url, device, body, { timestamp })).status).toBe(202);
      const replay = await postReadings(cloud.url, device, body, { timestamp });
      expect(replay).toMatchObject({ status: 409, body: { error: { code: 'ReplayedRequest', details: [{ path: 'headers.x-signature' }] } } });
      const points = await eventually(async () => {
        const p = await rawPoints(device, 'co2', now() - 10 * MINUTE);
        expect(p.length).toBeGreaterThan(0);
        return p;
      });
      expect(points).toEqual([{ ts: (JSON.parse(body) as { readings: { ts: number }[] }).readings[0]!.ts, value: 600 }]);
    });
  });
});
