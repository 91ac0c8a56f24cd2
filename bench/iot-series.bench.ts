/**
 * The IoT data API as data grows (issue 9, D109): what one dashboard request costs when a device has an hour,
 * a day or more of readings stored, and what the rollup's minute costs with a day of data and alerts behind it.
 *
 * Data, loaded through the ETL's own code (`processReadings`) into the local cloud's TableStore and rolled up
 * by `runRollup` as the timer does:
 * - `light`: an env sensor with 15 minutes of one reading a second (the baseline: little stored);
 * - `day-1hz`: an env sensor with 24 hours of one reading a second on one metric;
 * - `sim-rate`: a pump reporting as `npm run simulate:iot -- --devices 100 --rate 2000` makes each device report
 *   (20 readings/s over its 3 metrics, ~6.7 per metric per second) for the last `SIM_HOURS` hours, up to now;
 * - alerts: a fleet's day of alerts (`ALERTS_PER_DAY` over 100 devices, as the simulator's spikes raise them).
 *
 * Measured through the HTTP API (the gateway → `iot-devices` → TableStore, as the dashboard asks): each device's
 * series over 15 min / 1 h / 6 h / 24 h / 7 d with `step=auto` — answer time, points and JSON bytes; one
 * dashboard refresh (device list, the three charts of a device, the alert list), on open and every 3 s; the
 * alert list for the fleet and for one device (D115: its ratio against the fleet's list). Ratios are against the
 * same request on `light` in the same run.
 * Then one rollup minute after a minute of new readings, with the rows it read per table (a counting wrapper
 * around the same TableStore adapter): the work a timer does each minute must not grow with what is stored.
 */
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { T } from '../functions/_shared/iot/rows';
import type { BatchWriteOp, Table } from '../functions/_shared/ports/table';
import { processReadings } from '../functions/iot-etl/core';
import { toMessages } from '../functions/iot-ingest/core';
import { runRollup } from '../functions/iot-rollup/core';
import { startLocalCloud } from '../scripts/local/cloud';
import { countingTable } from '../test/helpers/counting-table';
import { IotClient } from '../test/helpers/iot-http';
import { localCloudTable } from '../test/helpers/tablestore';
import { tempDir } from '../test/helpers/temp';
import { report, stats, type Goal, type Stats } from './lib';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const SIM_HOURS = Number(process.env.BENCH_SERIES_SIM_HOURS ?? 6);
const SIM_HZ_PER_METRIC = 20 / 3;
const ALERTS_PER_DAY = Number(process.env.BENCH_SERIES_ALERTS ?? 8000);
const SAMPLES = Number(process.env.BENCH_SERIES_SAMPLES ?? 7);
/** The data API's `step=auto` budget (D109): about ten points per pixel of a wide chart. */
const MAX_AUTO_POINTS = 10_000;
const WINDOWS = [
  ['15m', 15 * MINUTE],
  ['1h', HOUR],
  ['6h', 6 * HOUR],
  ['24h', 24 * HOUR],
  ['7d', 7 * 24 * HOUR],
] as const;

interface Answer {
  ms: number;
  bytes: number;
  status: number;
  body: { resolution?: string; points?: unknown[]; items?: unknown[] };
}

async function main(): Promise<void> {
  const dir = tempDir('bench-iot-series-');
  const cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), watch: false });
  try {
    await cloud.runtime.prewarm();
    const api = await IotClient.signIn(cloud.url);
    const token = await signIn(cloud.url);
    const get = async (path: string): Promise<Answer> => {
      const t0 = performance.now();
      const res = await fetch(`${cloud.url}${path}`, { headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      const ms = performance.now() - t0;
      if (res.status !== 200) throw new Error(`GET ${path} answered ${res.status}: ${text.slice(0, 300)}`);
      return { ms, bytes: Buffer.byteLength(text), status: res.status, body: JSON.parse(text) as Answer['body'] };
    };
    const table = await localCloudTable(cloud.url);
    const clock = { now: () => Date.now() };

    // ---- data ----
    const loadStarted = performance.now();
    const now = Date.now();
    const light = await api.register('bench-light', 'env-sensor');
    const day = await api.register('bench-day-1hz', 'env-sensor');
    const sim = await api.register('bench-sim-rate', 'pump');
    await load(table, clock, { deviceId: light.deviceId, type: 'env-sensor' }, ['temperature'], now - 15 * MINUTE, now, 1);
    await load(table, clock, { deviceId: day.deviceId, type: 'env-sensor' }, ['temperature'], now - 24 * HOUR + MINUTE, now, 1);
    await load(table, clock, { deviceId: sim.deviceId, type: 'pump' }, ['pressure', 'flow', 'vibration'], now - SIM_HOURS * HOUR, now, SIM_HZ_PER_METRIC);
    // Loading took a while: the simulator-rate device reports up to the moment the rollup runs, as a live one does.
    await load(table, clock, { deviceId: sim.deviceId, type: 'pump' }, ['pressure', 'flow', 'vibration'], now, Date.now(), SIM_HZ_PER_METRIC);
    await writeAlerts(table, now, [light.deviceId, day.deviceId, sim.deviceId]);
    const topic = { publish: async () => ({ messageId: 'bench', bodyMd5: '' }) };
    await table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: Math.floor((now - 24 * HOUR) / MINUTE) * MINUTE, updatedAt: 0 });
    for (let i = 0; i < 20; i++) {
      const done = await runRollup({ table, topic, topicName: 'alerts', clock });
      if (done.to === done.from) break;
    }
    const loadSeconds = (performance.now() - loadStarted) / 1000;

    // ---- one rollup minute with a day of data behind it ----
    // The cursor set one minute back: the run covers the last complete minute, as the timer's run each minute does.
    const lastMinute = Math.floor((Date.now() - MINUTE) / MINUTE) * MINUTE - MINUTE;
    await table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: lastMinute, updatedAt: 0 });
    const counting = countingTable(table);
    const t0 = performance.now();
    const run = await runRollup({ table: counting.table, topic, topicName: 'alerts', clock });
    const rollupMs = performance.now() - t0;
    const rollup = { ms: Math.round(rollupMs), minutes: (run.to - run.from) / MINUTE, series: run.series, rowsRead: counting.rows, calls: counting.calls };

    // ---- series per window ----
    const loadBefore = loadavg();
    const devices = { light: [light.deviceId, 'temperature'], 'day-1hz': [day.deviceId, 'temperature'], 'sim-rate': [sim.deviceId, 'pressure'] } as const;
    const series: Record<string, Record<string, { ms: Stats; points: number; resolution: string; kib: number; overLight?: number }>> = {};
    for (const [name, [deviceId, metric]] of Object.entries(devices)) {
      series[name] = {};
      for (const [label, span] of WINDOWS) {
        const to = Date.now();
        const path = `/api/iot/devices/${deviceId}/series?metric=${metric}&from=${to - span}&to=${to}`;
        const answers = await repeat(() => get(path), SAMPLES);
        const last = answers[answers.length - 1]!;
        series[name][label] = { ms: stats(answers.map((a) => a.ms)), points: last.body.points!.length, resolution: last.body.resolution!, kib: Math.round(last.bytes / 102.4) / 10 };
      }
    }
    for (const name of Object.keys(series)) for (const [label] of WINDOWS) series[name]![label]!.overLight = round2(series[name]![label]!.ms.p50 / series.light![label]!.ms.p50);

    // ---- a dashboard refresh: what the page asks every 3 s (devices, three charts, alerts) ----
    const dashboard = async (deviceId: string, metrics: readonly string[], span: number) => {
      const t0 = performance.now();
      const to = Date.now();
      const answers = await Promise.all([
        get('/api/iot/devices'),
        ...metrics.map((m) => get(`/api/iot/devices/${deviceId}/series?metric=${m}&from=${to - span}&to=${to}`)),
        get('/api/iot/alerts?limit=50'),
      ]);
      return { ms: performance.now() - t0, bytes: answers.reduce((n, a) => n + a.bytes, 0) };
    };
    const dashboards: Record<string, { ms: Stats; kib: number; overLight?: number }> = {};
    for (const [label, span] of [['1h', HOUR], ['24h', 24 * HOUR]] as const) {
      for (const [name, deviceId, metrics] of [['light', light.deviceId, ['temperature', 'humidity', 'co2']], ['sim-rate', sim.deviceId, ['pressure', 'flow', 'vibration']]] as const) {
        const runs = await repeat(() => dashboard(deviceId, metrics, span), SAMPLES);
        dashboards[`${name} ${label}`] = { ms: stats(runs.map((r) => r.ms)), kib: Math.round(runs[0]!.bytes / 102.4) / 10 };
      }
      dashboards[`sim-rate ${label}`]!.overLight = round2(dashboards[`sim-rate ${label}`]!.ms.p50 / dashboards[`light ${label}`]!.ms.p50);
    }

    // ---- alerts ----
    const alerts = {
      fleet: stats((await repeat(() => get('/api/iot/alerts?limit=50'), SAMPLES)).map((a) => a.ms)),
      oneDevice: stats((await repeat(() => get(`/api/iot/alerts?limit=50&deviceId=${sim.deviceId}`), SAMPLES)).map((a) => a.ms)),
      latest: stats((await repeat(() => get(`/api/iot/devices/${sim.deviceId}/latest`), SAMPLES)).map((a) => a.ms)),
      oneDeviceItems: ((await get(`/api/iot/alerts?limit=50&deviceId=${sim.deviceId}`)).body.items ?? []).length,
      oneDeviceOverFleet: 0,
    };
    alerts.oneDeviceOverFleet = round2(alerts.oneDevice.p50 / alerts.fleet.p50);

    // ---- late readings (D128): the dense device's buffer arrives after its minutes were rolled up ----
    // Three readings 20 and 40 minutes and 20 hours old (the last in a minute with no readings before), through the
    // ETL's code, which marks their minutes; the 1-hour and 24-hour charts asked at once, before any rollup run.
    const late: Record<string, { ms: Stats; resolution: string; counted: number; expected: number }> = {};
    {
      const at = Date.now();
      const windows = [['1h', HOUR], ['24h', 24 * HOUR]] as const;
      const pathOf = (span: number) => `/api/iot/devices/${sim.deviceId}/series?metric=pressure&from=${at - span}&to=${at}`;
      const countOf = async (span: number) => ((await get(pathOf(span))).body.points as { count?: number }[]).reduce((n, p) => n + (p.count ?? 1), 0);
      const before = Object.fromEntries(await Promise.all(windows.map(async ([label, span]) => [label, await countOf(span)] as const)));
      // Off the load's 150 ms grid (no duplicate of a stored reading), inside both windows but the oldest.
      const lateTs = [at - 20 * MINUTE - 75, at - 40 * MINUTE - 75, at - 20 * HOUR - 75];
      const messages = toMessages({ deviceId: sim.deviceId, type: 'pump' }, lateTs.map((ts) => ({ ts, metric: 'pressure', value: 4 })), 'bench-late', at);
      await processReadings(messages.map((body, i) => ({ messageId: `late${i}`, body })), { table, clock });
      for (const [label, span] of windows) {
        const answers = await repeat(() => get(pathOf(span)), SAMPLES);
        const last = answers[answers.length - 1]!;
        const counted = (last.body.points as { count?: number }[]).reduce((n, p) => n + (p.count ?? 1), 0);
        late[label] = { ms: stats(answers.map((a) => a.ms)), resolution: last.body.resolution!, counted, expected: before[label]! + lateTs.filter((ts) => ts >= at - span).length };
      }
    }

    const loadAfter = loadavg();

    const sim1h = series['sim-rate']!['1h']!;
    const readsOfStored = (counting.rows[T.alerts] ?? 0) + (counting.rows[T.telemetry] ?? 0);
    const dash1h = dashboards['sim-rate 1h']!;
    const goals: Goal[] = [
      {
        name: 'a 1-hour chart of a device at the simulator rate answers within 3× the same chart of a lightly loaded device',
        measured: `${sim1h.ms.p50} ms (${sim1h.resolution}, ${sim1h.points} points, ${sim1h.kib} KiB) = ${sim1h.overLight}× light's ${series.light!['1h']!.ms.p50} ms`,
        met: (sim1h.overLight ?? Infinity) <= 3,
      },
      {
        name: 'a dashboard refresh (devices, three 1-hour charts, alerts) of that device within 3× the light device',
        measured: `${dash1h.ms.p50} ms (${dash1h.kib} KiB) = ${dash1h.overLight}× light's ${dashboards['light 1h']!.ms.p50} ms`,
        met: (dash1h.overLight ?? Infinity) <= 3,
      },
      {
        name: `no auto series answers more than ${MAX_AUTO_POINTS.toLocaleString('en')} points`,
        measured: Object.entries(series).map(([n, w]) => `${n} ${Math.max(...Object.values(w).map((x) => x.points))}`).join(', '),
        met: Object.values(series).every((w) => Object.values(w).every((x) => x.points <= MAX_AUTO_POINTS)),
      },
      {
        name: `one device's alert list (the dashboard's "only this device") within 2× the fleet's list, with ${ALERTS_PER_DAY} fleet alerts a day (D115)`,
        measured: `${alerts.oneDevice.p50} ms (${alerts.oneDeviceItems} alerts) = ${alerts.oneDeviceOverFleet}× the fleet's ${alerts.fleet.p50} ms`,
        met: alerts.oneDeviceOverFleet <= 2,
      },
      {
        name: 'a 1-hour and a 24-hour chart of the dense device count readings stored after their minutes were rolled up, at once (D128)',
        measured: Object.entries(late).map(([label, l]) => `${label}: ${l.counted} of ${l.expected} (${l.resolution}, p50 ${l.ms.p50} ms)`).join('; '),
        met: Object.values(late).every((l) => l.counted === l.expected),
      },
      {
        name: 'one rollup minute reads rows in proportion to the new minute, not to the stored day and its alerts',
        measured: `${rollup.ms} ms, ${JSON.stringify(rollup.rowsRead)} rows read for ${rollup.minutes} minute(s) of ${rollup.series} series (${ALERTS_PER_DAY} alerts stored)`,
        met: readsOfStored <= 5 * SIM_HZ_PER_METRIC * 3 * 60 * Math.max(1, rollup.minutes),
      },
    ];
    report({
      name: 'iot-series',
      description: 'IoT data API as data grows: series per window on light / day-of-1s / simulator-rate devices, a dashboard refresh, alerts, one rollup minute',
      results: {
        data: { simHours: SIM_HOURS, simHzPerMetric: round2(SIM_HZ_PER_METRIC), alertsPerDay: ALERTS_PER_DAY, loadSeconds: Math.round(loadSeconds) },
        series,
        dashboard: dashboards,
        alerts,
        late,
        rollup,
        loadAverage: { before: loadBefore.map(round2), after: loadAfter.map(round2) },
      },
      goals,
    });
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100;

async function signIn(url: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'admin', password: 'admin-demo' }) });
  return ((await res.json()) as { token: string }).token;
}

/** One untimed warm-up call, then `n` in a row. */
async function repeat<T>(fn: () => Promise<T>, n: number): Promise<T[]> {
  await fn();
  const out: T[] = [];
  for (let i = 0; i < n; i++) out.push(await fn());
  return out;
}

/** Readings of `metrics` every 1/hz s in `[from, to)`, through the ETL in queue-sized batches. */
async function load(table: Table, clock: { now(): number }, device: { deviceId: string; type: 'env-sensor' | 'pump' }, metrics: string[], from: number, to: number, hz: number): Promise<void> {
  const stepMs = 1000 / hz;
  const readings: { ts: number; metric: string; value: number }[] = [];
  const flush = async () => {
    const messages = [];
    for (let i = 0; i < readings.length; i += 500) messages.push(...toMessages(device, readings.slice(i, i + 500), `load${readings[i]!.ts}`, readings[Math.min(i + 499, readings.length - 1)]!.ts));
    for (let i = 0; i < messages.length; i += 64) await processReadings(messages.slice(i, i + 64).map((body, j) => ({ messageId: `m${i + j}`, body })), { table, clock });
    readings.length = 0;
  };
  for (let t = from; t < to; t += stepMs) {
    const ts = Math.round(t);
    for (const metric of metrics) readings.push({ ts, metric, value: signal(metric, ts) });
    if (readings.length >= 32_000) await flush();
  }
  if (readings.length) await flush();
}

/** A calm daily cycle inside every metric's thresholds (no alert raised by the load itself). */
function signal(metric: string, ts: number): number {
  const cycle = Math.sin((ts / 86_400_000) * 2 * Math.PI);
  const noise = Math.sin(ts / 997) * 0.1;
  if (metric === 'temperature') return Math.round((21 + 3 * cycle + noise) * 100) / 100;
  if (metric === 'pressure') return Math.round((4 + 0.5 * cycle + noise) * 1000) / 1000;
  if (metric === 'flow') return Math.round((120 + 10 * cycle + noise) * 10) / 10;
  return Math.round((2 + 0.3 * cycle + noise) * 100) / 100;
}

/**
 * A fleet's day of alerts (notified, so the rollup has nothing to publish), spread over the last 24 hours, each
 * with its `alerts_by_device` row as iot-rollup writes it since D115 (a base before D115 has no such table: the
 * same bench then writes the alerts alone).
 */
async function writeAlerts(table: Table, now: number, deviceIds: string[]): Promise<void> {
  const byDevice = (T as Record<string, string | undefined>).alertsByDevice;
  // Every alert below was written since D115: the list need not read any day for older ones.
  if (byDevice) await table.putRow(T.work, { kind: 'index', key: 'alerts_by_device' }, { indexedSince: 0 });
  const ops: BatchWriteOp[] = [];
  for (let i = 0; i < ALERTS_PER_DAY; i++) {
    const raisedAt = Math.floor((now - 24 * HOUR + (i * 24 * HOUR) / ALERTS_PER_DAY) / MINUTE) * MINUTE;
    const deviceId = i % 400 === 0 ? deviceIds[(i / 400) % deviceIds.length]! : `dev_fleet${String(i % 100).padStart(3, '0')}`;
    const day = new Date(raisedAt).toISOString().slice(0, 10);
    const alertId = `${String(raisedAt).padStart(13, '0')}.${deviceId}.pressure.zscore.${i}`;
    ops.push({
      type: 'PUT' as const,
      table: T.alerts,
      primaryKey: { day, alertId },
      attributes: { deviceId, deviceType: 'pump', metric: 'pressure', rule: 'zscore', severity: 'warning', value: 9, limit: 5, zScore: 5.5, raisedAt, lastSeenAt: raisedAt, minutes: 1, message: 'Pressure 9 bar is 5.5 σ above the last hour\'s mean', notified: true, updatedAt: raisedAt },
    });
    if (byDevice) ops.push({ type: 'PUT' as const, table: byDevice, primaryKey: { deviceId, alertId }, attributes: { raisedAt } });
  }
  for (let i = 0; i < ops.length; i += 200) await table.batchWriteRow(ops.slice(i, i + 200));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
