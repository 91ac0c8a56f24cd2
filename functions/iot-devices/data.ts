import type { AlertListResponse, AlertRow, AlertsQuery, AlertView, RollupPoint, RollupRow, SeriesQuery, SeriesResponse } from '#shared/contracts/iot';
import { NotFoundError, ValidationError } from '#shared/errors';
import { isDeviceType, metricSpec, whatTypeReports } from '#shared/iot/catalog';
import { DAY_MS, dayKey, floorTo, getDevice, HOUR_MS, MINUTE_MS, readAlertIndexStart, readAlertsOfDay, readAlertsOfDevice, readLateMinutesOf, readRaw, readRolledUntil, readRollups } from '#shared/iot/rows';
import { addStats, bucketize, emptyStats, round, type Stats } from '#shared/iot/stats';
import { runLimited } from '#shared/iot/batch-write';
import type { Clock } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';

/**
 * The IoT data API (part of iot-devices): a series at the resolution its window calls for, and alerts.
 *
 * Resolution (`step=auto`): raw readings for windows up to 3 hours that hold at most `rawAutoPoints` readings,
 * 1-minute rollups up to 3 days, 1-hour rollups beyond. Whether a window's readings fit is read from its
 * 1-minute rollups (at most 180 rows, their counts) before any raw reading, so what a request reads is bounded
 * by the points it answers, not by how densely the device reports (D109): a device at 7 readings/s gets
 * 1-minute buckets for its hour, without 20 000 of its raw readings read and thrown away first.
 * Rollups trail real time by a minute or two (`iot-rollup` runs each minute on complete minutes), so a
 * 1-minute series is completed from raw readings for its last two hours, and a 1-hour series from those minutes:
 * a live chart never lags the data.
 *
 * What a rollup row says is trusted only where the rollup is done with it (D128): before the rollup's cursor (a
 * run moves it once all its rows are written) and not in a minute the ETL marked for late readings (the next run
 * recomputes it). Those minutes are read raw, so an accepted reading is in the chart as soon as it is stored,
 * whenever it was taken; the cursor and the marks are read before the rollups, so a run finishing meanwhile
 * only makes a minute read raw that the rollup now also holds.
 */
export interface DataDeps {
  table: Table;
  clock: Clock;
}

export const SERIES_LIMITS = {
  rawAutoWindowMs: 3 * HOUR_MS,
  rawMaxWindowMs: 6 * HOUR_MS,
  minuteAutoWindowMs: 3 * DAY_MS,
  minuteMaxWindowMs: 31 * DAY_MS,
  maxWindowMs: 400 * DAY_MS,
  /**
   * `step=auto` switches to 1-minute rollups when a raw window holds more readings than this: about ten per
   * pixel of a wide chart; a 15-minute window of a device at up to 11 readings/s, an hour at up to 2.7/s.
   */
  rawAutoPoints: 10_000,
  rawMaxPoints: 100_000,
  tailMs: 2 * HOUR_MS,
  /**
   * Late-marked minutes read raw per answer, newest first (D128): the rollup recomputes up to 10 000 marks a
   * minute, so more than this is a device emptying a long buffer, whose older minutes show their rollup (without
   * the late readings) for the minute or two until the rollup has them. As many minutes as the raw tail.
   */
  lateRawMinutes: 120,
  /** A series' late marks read at most (as many as a rollup run recomputes). */
  lateMarksRead: 10_000,
  defaultWindowMs: HOUR_MS,
} as const;

export async function getSeries(deviceId: string, query: SeriesQuery, deps: DataDeps): Promise<SeriesResponse> {
  const to = query.to ?? deps.clock.now();
  const from = query.from ?? to - SERIES_LIMITS.defaultWindowMs;
  const series: SeriesWindow = { deviceId, metric: query.metric, from, to };
  // Read with the device (not after it): the answer waits for one round trip less. A raw answer needs neither.
  const rollupState = query.step === 'raw' ? Promise.resolve(NO_ROLLUP_STATE) : readRollupState(series, deps.table);
  rollupState.catch(() => undefined); // awaited below, unless the request is refused first
  const device = await getDevice(deps.table, deviceId);
  if (!device) throw new NotFoundError(`device ${deviceId} not found`);
  const spec = metricSpec(device.type, query.metric);
  if (!spec || !isDeviceType(device.type)) {
    const message = whatTypeReports(device.type);
    throw new ValidationError(`invalid query.metric: ${message}`, [{ path: 'query.metric', message }]);
  }
  const window = to - from;
  if (window <= 0) throw new ValidationError('invalid query.from: must be before to', [{ path: 'query.from', message: 'must be before to' }]);
  if (window > SERIES_LIMITS.maxWindowMs) throw windowError('a series covers at most 400 days');
  const base = { deviceId, metric: query.metric, unit: spec.unit, from, to };

  if (query.step === 'auto') {
    const rollups = await rollupState;
    if (window > SERIES_LIMITS.minuteAutoWindowMs) return { ...base, resolution: '1h', points: await hourSeries(series, rollups, deps) };
    const minutes = await readMinutes(deps.table, deviceId, query.metric, from, to);
    if (window <= SERIES_LIMITS.rawAutoWindowMs && rolledUpReadings(minutes, from) <= SERIES_LIMITS.rawAutoPoints) {
      // The minutes not rolled up yet (the last one or two) may still tip it over: the raw read stops there.
      const rows = await readRaw(deps.table, deviceId, query.metric, from, to, SERIES_LIMITS.rawAutoPoints + 1);
      if (rows.length <= SERIES_LIMITS.rawAutoPoints) return { ...base, resolution: 'raw', points: rows.map(toRawPoint) };
    }
    return { ...base, resolution: '1m', points: (await completeMinutes(minutes, series, rollups, deps)).map(([ts, stats]) => toPoint(ts, stats)) };
  }
  if (query.step === 'raw') {
    if (window > SERIES_LIMITS.rawMaxWindowMs) throw windowError('raw readings are served for windows up to 6 hours; use step=1m or step=1h');
    const limit = SERIES_LIMITS.rawMaxPoints;
    const rows = await readRaw(deps.table, deviceId, query.metric, from, to, limit + 1);
    if (rows.length > limit) throw windowError(`more than ${limit} readings in this window; narrow it or use step=1m`);
    return { ...base, resolution: 'raw', points: rows.map(toRawPoint) };
  }
  if (query.step === '1m') {
    if (window > SERIES_LIMITS.minuteMaxWindowMs) throw windowError('1-minute rollups are served for windows up to 31 days; use step=1h');
    return { ...base, resolution: '1m', points: (await minuteStats(series, await rollupState, deps)).map(([ts, stats]) => toPoint(ts, stats)) };
  }
  return { ...base, resolution: '1h', points: await hourSeries(series, await rollupState, deps) };
}

const toRawPoint = (row: { ts: number; value: number }) => ({ ts: row.ts, value: row.value });

/** How many readings the rolled-up minutes of a window hold (the first minute counted whole: an upper bound). */
function rolledUpReadings(minutes: RollupRow[], from: number): number {
  let count = 0;
  for (const minute of minutes) if (minute.ts + MINUTE_MS > from) count += minute.count;
  return count;
}

function windowError(message: string): ValidationError {
  return new ValidationError(`invalid query.from: ${message}`, [{ path: 'query.from', message }]);
}

/** One series over a request's window. */
interface SeriesWindow {
  deviceId: string;
  metric: string;
  from: number;
  to: number;
}

/**
 * How far the rollups are done, read before any rollup row (D128): the rollup's cursor (undefined before its first
 * run) and the series' minutes marked for late readings in the window's hours, the newest `lateRawMinutes`.
 */
interface RollupState {
  rolledUntil: number | undefined;
  lateMinutes: number[];
}
const NO_ROLLUP_STATE: RollupState = { rolledUntil: undefined, lateMinutes: [] };

async function readRollupState(series: SeriesWindow, table: Table): Promise<RollupState> {
  const [rolledUntil, late] = await Promise.all([
    readRolledUntil(table),
    readLateMinutesOf(table, series.deviceId, series.metric, floorTo(series.from, HOUR_MS), series.to, SERIES_LIMITS.lateMarksRead),
  ]);
  return { rolledUntil, lateMinutes: late.slice(-SERIES_LIMITS.lateRawMinutes) };
}

/** Concurrent reads of one answer's late hours or minutes. */
const LATE_READS_IN_FLIGHT = 4;

/**
 * The window's 1-hour buckets from 1-hour rollups; summed from their minutes instead: the last two hours (the
 * rollup may not have reached them: a 7-day chart shows the current hour of a device reporting right now) and
 * any hour holding a minute marked for late readings (its 1-hour rollup lacks them until the rollup's next run).
 */
async function hourSeries(series: SeriesWindow, state: RollupState, deps: DataDeps): Promise<RollupPoint[]> {
  const recent = Math.max(floorTo(series.from, HOUR_MS), floorTo(series.to - SERIES_LIMITS.tailMs, HOUR_MS));
  const lateHours = [...new Set(state.lateMinutes.filter((m) => m < recent).map((m) => floorTo(m, HOUR_MS)))];
  const hours = new Map<number, Stats>();
  const addMinutes = (minutes: Array<[number, Stats]>) => {
    for (const [minute, stats] of minutes) {
      const hour = floorTo(minute, HOUR_MS);
      if (!hours.has(hour)) hours.set(hour, emptyStats());
      addStats(hours.get(hour)!, stats);
    }
  };
  const [rows] = await Promise.all([
    readRollups(deps.table, series.deviceId, series.metric, '1h', floorTo(series.from, HOUR_MS), recent, SERIES_COLUMNS),
    runLimited(lateHours, LATE_READS_IN_FLIGHT, async (hour) => addMinutes(await minuteStats({ ...series, from: hour, to: hour + HOUR_MS }, state, deps, series.to))),
    minuteStats({ ...series, from: recent }, state, deps).then(addMinutes),
  ]);
  const late = new Set(lateHours);
  for (const row of rows) if (!late.has(row.ts)) hours.set(row.ts, row);
  return [...hours].sort((a, b) => a[0] - b[0]).map(([ts, stats]) => toPoint(ts, stats));
}

/** What a series point needs of a rollup row (not `sumSq`, `avg`, `updatedAt`). */
const SERIES_COLUMNS = ['count', 'min', 'max', 'sum'];

function readMinutes(table: Table, deviceId: string, metric: string, from: number, to: number): Promise<RollupRow[]> {
  return readRollups(table, deviceId, metric, '1m', floorTo(from, MINUTE_MS), to, SERIES_COLUMNS);
}

/** Each minute's stats over the window (see `completeMinutes`). */
async function minuteStats(series: SeriesWindow, state: RollupState, deps: DataDeps, requestTo = series.to): Promise<Array<[number, Stats]>> {
  return completeMinutes(await readMinutes(deps.table, series.deviceId, series.metric, series.from, series.to), series, state, deps, requestTo);
}

/**
 * Each minute's stats: the rollup's `rows` where the rollup is done with the minute; raw readings for the minutes
 * marked late and for those from the cursor on (at most the last two hours of the request, ending at `requestTo`).
 */
async function completeMinutes(rows: RollupRow[], series: SeriesWindow, state: RollupState, deps: DataDeps, requestTo = series.to): Promise<Array<[number, Stats]>> {
  const first = floorTo(series.from, MINUTE_MS);
  // Without a cursor (no run has finished yet) the rows a run wrote are trusted up to the series' last one.
  const done = state.rolledUntil ?? (rows.length ? rows[rows.length - 1]!.ts + MINUTE_MS : first);
  const tailFrom = Math.max(done, first, floorTo(requestTo - SERIES_LIMITS.tailMs, MINUTE_MS));
  const late = state.lateMinutes.filter((m) => m >= first && m < Math.min(tailFrom, series.to));
  const minutes = new Map<number, Stats>();
  const lateSet = new Set(late);
  for (const row of rows) if (row.ts < tailFrom && !lateSet.has(row.ts)) minutes.set(row.ts, row);
  const rawRanges = minuteRanges(late);
  if (tailFrom < series.to) rawRanges.push([tailFrom, series.to]);
  await runLimited(rawRanges, LATE_READS_IN_FLIGHT, async ([start, end]) => {
    for (const [minute, stats] of bucketize(await readRaw(deps.table, series.deviceId, series.metric, start, end), MINUTE_MS)) minutes.set(minute, stats);
  });
  return [...minutes].sort((a, b) => a[0] - b[0]);
}

/** Sorted minutes → `[start, end)` ranges of consecutive minutes (one raw read each). */
function minuteRanges(minutes: number[]): [number, number][] {
  const ranges: [number, number][] = [];
  for (const minute of minutes) {
    const last = ranges[ranges.length - 1];
    if (last && last[1] === minute) last[1] = minute + MINUTE_MS;
    else ranges.push([minute, minute + MINUTE_MS]);
  }
  return ranges;
}

function toPoint(ts: number, stats: Stats): RollupPoint {
  return { ts, min: stats.min, max: stats.max, avg: round(stats.sum / stats.count), count: stats.count };
}

export const MAX_ALERT_LOOKBACK_MS = 31 * DAY_MS;

/** Alerts raised at or after `since` (default: the last 24 hours), newest first. */
export async function listAlerts(query: AlertsQuery, deps: DataDeps): Promise<AlertListResponse> {
  const now = deps.clock.now();
  const since = query.since ?? now - DAY_MS;
  if (since < now - MAX_ALERT_LOOKBACK_MS) {
    throw new ValidationError('invalid query.since: at most 31 days back', [{ path: 'query.since', message: 'at most 31 days back' }]);
  }
  const rows: AlertRow[] = [];
  let scanBefore = Number.POSITIVE_INFINITY;
  if (query.deviceId) {
    // One device: its own keys in `alerts_by_device` (D115) for the time the index covers; before that (alerts
    // written before D115, or no rollup run since), its days filtered as before.
    const indexedSince = await readAlertIndexStart(deps.table);
    if (indexedSince !== undefined) {
      rows.push(...(await readAlertsOfDevice(deps.table, query.deviceId, { since: Math.max(since, indexedSince), limit: query.limit })));
      scanBefore = indexedSince;
    }
  }
  for (let day = floorTo(Math.min(Math.max(now, since), scanBefore - 1), DAY_MS); since < scanBefore && day >= floorTo(since, DAY_MS) && rows.length < query.limit; day -= DAY_MS) {
    rows.push(...(await readAlertsOfDay(deps.table, dayKey(day), { since, ...(Number.isFinite(scanBefore) ? { before: scanBefore } : {}), ...(query.deviceId ? { deviceId: query.deviceId } : {}), limit: query.limit - rows.length })));
  }
  return { items: rows.map(toAlertView) };
}

export function toAlertView(row: AlertRow): AlertView {
  return {
    alertId: row.alertId,
    deviceId: row.deviceId,
    deviceType: row.deviceType,
    metric: row.metric,
    unit: metricSpec(row.deviceType, row.metric)?.unit ?? '',
    rule: row.rule,
    severity: row.severity,
    value: row.value,
    limit: row.limit,
    ...(row.zScore !== undefined ? { zScore: row.zScore } : {}),
    raisedAt: new Date(row.raisedAt).toISOString(),
    lastSeenAt: new Date(row.lastSeenAt).toISOString(),
    minutes: row.minutes,
    message: row.message,
  };
}
