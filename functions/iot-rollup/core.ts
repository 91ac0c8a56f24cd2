import type { AlertNotification, AlertRow, AlertRule, RollupRow } from '#shared/contracts/iot';
import { ConditionFailedError } from '#shared/errors';
import { metricSpec, type DeviceType, type MetricSpec, type Severity } from '#shared/iot/catalog';
import { runLimited, writeRows, type BatchWriteOptions } from '#shared/iot/batch-write';
import { ALERT_INDEX_START_KEY, alertIdOf, alertIndexKey, dayKey, floorTo, HOUR_MS, listDevices, listLatest, MINUTE_MS, readAlertsOfDay, readLateMinuteMarks, readRaw, readRollups, rollupAttributes, ROLLUP_CURSOR_KEY, scanRange, T, toAlertRow } from '#shared/iot/rows';
import { addStats, bucketize, emptyStats, mean, round, stdDev, type Stats } from '#shared/iot/stats';
import type { Clock } from '#shared/ports/clock';
import { INF_MAX, INF_MIN, type BatchWriteOp, type Table } from '#shared/ports/table';
import type { Topic } from '#shared/ports/topic';

/**
 * iot-rollup: each minute (timer), the 1-minute and 1-hour rollups and the alert rules (PRODUCT.md §4 IoT
 * ETL step 3, D35).
 *
 * What a run covers: the complete minutes since the cursor (`rollup_work` cursor row) that ended at least
 * `ROLLUP_DELAY_MS` ago, for every series that reported since the cursor (from `device_latest`), plus every
 * minute the ETL marked as changed by late readings. Each such minute is recomputed from raw readings and
 * written whole, as is the hour around it (from its minutes), so a run can be retried or overlap another
 * and the tables end up the same.
 *
 * Rules per device type (catalog.ts): thresholds on the minute's maximum and minimum, and a z-score of the
 * minute's extreme against the previous hour's readings (from the minutes' sums and sums of squares).
 * Consecutive anomalous minutes (gaps up to `EPISODE_GAP_MS`) are one episode and one alert: the alert id is
 * derived from the episode's first minute, written with a conditional put, so a retried run finds it
 * instead of raising it again. Its `alerts` topic message is published once: a lease column stops
 * concurrent runs from both publishing, and `notified` stops a retried run; a publish that failed is
 * tried again by the next run.
 */
export interface RollupDeps {
  table: Table;
  topic: Topic;
  topicName: string;
  clock: Clock;
  /** Series processed in parallel. */
  concurrency?: number;
  write?: Omit<BatchWriteOptions, 'onCall'>;
}

export const ROLLUP_DELAY_MS = 60_000;
export const MAX_MINUTES_PER_RUN = 180;
/** Where a first run (no cursor yet) starts. */
export const INITIAL_LOOKBACK_MS = HOUR_MS;
export const EPISODE_GAP_MS = 2 * MINUTE_MS;
export const NOTIFY_LEASE_MS = 30_000;
/** The z-score rule needs this much of the last hour to judge a minute. */
export const ZSCORE_MIN_READINGS = 300;
export const ZSCORE_MIN_MINUTES = 30;
const MAX_DIRTY_PER_RUN = 10_000;

export interface RollupResult {
  from: number;
  to: number;
  series: number;
  minuteRows: number;
  hourRows: number;
  lateMinutes: number;
  alertsRaised: number;
  alertsContinued: number;
  notified: number;
  notifyFailures: number;
}

interface SeriesWork {
  deviceId: string;
  metric: string;
  type: DeviceType;
  spec: MetricSpec;
  /** Minute ranges `[start, end)` to recompute. */
  ranges: [number, number][];
}

export interface Anomaly {
  deviceId: string;
  type: DeviceType;
  metric: string;
  rule: AlertRule;
  severity: Severity;
  minute: number;
  value: number;
  limit: number;
  zScore?: number;
  message: string;
}

export async function runRollup(deps: RollupDeps): Promise<RollupResult> {
  const now = deps.clock.now();
  const target = floorTo(now - ROLLUP_DELAY_MS, MINUTE_MS);
  const cursorRow = await deps.table.getRow(T.work, ROLLUP_CURSOR_KEY);
  const cursor = cursorRow ? Number(cursorRow.attributes.rolledUntil) : target - INITIAL_LOOKBACK_MS;
  const from = Math.min(cursor, target);
  const to = Math.min(target, from + MAX_MINUTES_PER_RUN * MINUTE_MS);
  // Without a cursor no run has written alerts yet: every alert will be in `alerts_by_device` (D115).
  await markAlertIndexStart(deps.table, cursorRow ? now : 0);

  const [devices, latest, dirtyRows] = await Promise.all([
    listDevices(deps.table),
    listLatest(deps.table),
    readLateMinuteMarks(deps.table, MAX_DIRTY_PER_RUN),
  ]);
  const types = new Map(devices.map((d) => [d.deviceId, d.type]));
  const work = new Map<string, SeriesWork>();
  const addRange = (deviceId: string, metric: string, start: number, end: number) => {
    const type = types.get(deviceId);
    const spec = type && metricSpec(type, metric);
    if (!type || !spec) return;
    const key = `${deviceId}\u0000${metric}`;
    let entry = work.get(key);
    if (!entry) work.set(key, (entry = { deviceId, metric, type, spec, ranges: [] }));
    entry.ranges.push([start, end]);
  };
  if (to > from) for (const l of latest) if (l.ts >= from) addRange(l.deviceId, l.metric, from, to);
  const doneMarks: BatchWriteOp[] = [];
  for (const row of dirtyRows) {
    const minute = Number(row.attributes.minute);
    // A minute that is not complete yet is left for a later run, together with its mark.
    if (minute + MINUTE_MS > target) continue;
    addRange(String(row.attributes.deviceId), String(row.attributes.metric), minute, minute + MINUTE_MS);
    doneMarks.push({
      type: 'DELETE',
      table: T.work,
      primaryKey: row.primaryKey,
      // A mark set again meanwhile (more late readings) survives for the next run.
      condition: { row: 'EXPECT_EXIST', columns: { column: 'markedAt', op: 'EQ', value: Number(row.attributes.markedAt), passIfMissing: false } },
    });
  }

  const result: RollupResult = { from, to, series: work.size, minuteRows: 0, hourRows: 0, lateMinutes: doneMarks.length, alertsRaised: 0, alertsContinued: 0, notified: 0, notifyFailures: 0 };
  const rows: RollupRow[] = [];
  const anomalies: Anomaly[] = [];
  await runLimited([...work.values()], deps.concurrency ?? 4, async (series) => {
    const computed = await computeSeries(series, deps.table, now);
    rows.push(...computed.rows);
    anomalies.push(...computed.anomalies);
  });
  result.minuteRows = rows.filter((r) => r.resolution === '1m').length;
  result.hourRows = rows.length - result.minuteRows;
  await writeOrThrow(
    deps,
    rows.map((r) => ({ type: 'PUT', table: T.rollup, primaryKey: { deviceId: r.deviceId, metric: r.metric, resolution: r.resolution, ts: r.ts }, attributes: rollupAttributes(r) })),
    'telemetry_rollup',
  );

  const alerts = new AlertBook(deps.table);
  anomalies.sort((a, b) => a.minute - b.minute);
  for (const anomaly of anomalies) {
    const outcome = await alerts.record(anomaly, now);
    if (outcome === 'raised') result.alertsRaised += 1;
    if (outcome === 'continued') result.alertsContinued += 1;
  }
  for (const alert of await alerts.unnotified(now)) {
    const outcome = await notify(alert, deps, now);
    if (outcome === 'published') result.notified += 1;
    if (outcome === 'failed') result.notifyFailures += 1;
  }

  if (to > from) {
    try {
      await deps.table.updateRow(T.work, ROLLUP_CURSOR_KEY, { put: { rolledUntil: to, updatedAt: now } }, { condition: { row: 'IGNORE', columns: { column: 'rolledUntil', op: 'EQ', value: from, passIfMissing: true } } });
    } catch (err) {
      // Another run moved the cursor meanwhile; it covered the same minutes.
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
  if (doneMarks.length) await writeRows(deps.table, doneMarks, deps.write);
  return result;
}

/**
 * Records once, on the first run that writes `alerts_by_device` (D115), since when every alert has its row
 * there: the data API reads older alerts of a device from their days (written before D115, not indexed).
 */
async function markAlertIndexStart(table: Table, indexedSince: number): Promise<void> {
  if (await table.getRow(T.work, ALERT_INDEX_START_KEY)) return;
  try {
    await table.putRow(T.work, ALERT_INDEX_START_KEY, { indexedSince }, { condition: { row: 'EXPECT_NOT_EXIST' } });
  } catch (err) {
    // A concurrent first run wrote it: it started no later than this one.
    if (!(err instanceof ConditionFailedError)) throw err;
  }
}

async function writeOrThrow(deps: RollupDeps, ops: BatchWriteOp[], what: string): Promise<void> {
  const outcomes = await writeRows(deps.table, ops, deps.write);
  const failed = outcomes.filter((o) => o !== 'ok');
  if (failed.length) throw new Error(`${what}: ${failed.length} of ${ops.length} rows could not be written (${failed[0]})`);
}

/** Recomputes one series' minutes in `ranges` (and their hours) and judges the recomputed minutes. */
async function computeSeries(series: SeriesWork, table: Table, now: number): Promise<{ rows: RollupRow[]; anomalies: Anomaly[] }> {
  const ranges = mergeRanges(series.ranges);
  const fresh = new Map<number, Stats>();
  for (const [start, end] of ranges) {
    const raw = await readRaw(table, series.deviceId, series.metric, start, end);
    for (const [minute, stats] of bucketize(raw, MINUTE_MS)) fresh.set(minute, stats);
  }
  if (fresh.size === 0) return { rows: [], anomalies: [] };

  // The minutes around: the previous hour (z-score) and the rest of each touched hour (1-hour rollup).
  const historyFrom = Math.min(...ranges.map(([start]) => Math.min(floorTo(start, HOUR_MS), start - HOUR_MS)));
  const historyTo = Math.max(...ranges.map(([, end]) => floorTo(end - 1, HOUR_MS) + HOUR_MS));
  const minutes = new Map<number, Stats>();
  for (const row of await readRollups(table, series.deviceId, series.metric, '1m', historyFrom, historyTo)) minutes.set(row.ts, row);
  for (const [minute, stats] of fresh) minutes.set(minute, stats);

  const base = { deviceId: series.deviceId, metric: series.metric, updatedAt: now };
  const rows: RollupRow[] = [...fresh].map(([ts, s]) => ({ ...base, resolution: '1m', ts, ...statsColumns(s) }));
  for (const hour of new Set([...fresh.keys()].map((m) => floorTo(m, HOUR_MS)))) {
    const total = emptyStats();
    for (let m = hour; m < hour + HOUR_MS; m += MINUTE_MS) {
      const stats = minutes.get(m);
      if (stats) addStats(total, stats);
    }
    rows.push({ ...base, resolution: '1h', ts: hour, ...statsColumns(total) });
  }
  const anomalies = [...fresh.keys()].flatMap((minute) => judgeMinute(series, minute, minutes));
  return { rows, anomalies };
}

function statsColumns(s: Stats): Omit<RollupRow, 'deviceId' | 'metric' | 'resolution' | 'ts' | 'updatedAt'> {
  return { count: s.count, min: s.min, max: s.max, sum: s.sum, sumSq: s.sumSq, avg: round(s.sum / s.count) };
}

function mergeRanges(ranges: [number, number][]): [number, number][] {
  const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
  const merged: [number, number][] = [];
  for (const [start, end] of sorted) {
    const last = merged[merged.length - 1];
    if (last && start <= last[1]) last[1] = Math.max(last[1], end);
    else merged.push([start, end]);
  }
  return merged;
}

const fmt = (value: number, spec: MetricSpec) => `${round(value, spec.decimals)} ${spec.unit}`;

/** The rules of `series`' device type applied to one minute, with the minutes before it as history. */
export function judgeMinute(series: Pick<SeriesWork, 'deviceId' | 'metric' | 'type' | 'spec'>, minute: number, minutes: Map<number, Stats>): Anomaly[] {
  const stats = minutes.get(minute);
  if (!stats || stats.count === 0) return [];
  const { spec } = series;
  const base = { deviceId: series.deviceId, type: series.type, metric: series.metric, minute };
  const out: Anomaly[] = [];
  const threshold = spec.threshold;
  if (threshold?.above !== undefined && stats.max > threshold.above) {
    out.push({ ...base, rule: 'high', severity: threshold.severity, value: stats.max, limit: threshold.above, message: `${spec.label} ${fmt(stats.max, spec)} is above the limit of ${fmt(threshold.above, spec)}` });
  }
  if (threshold?.below !== undefined && stats.min < threshold.below) {
    out.push({ ...base, rule: 'low', severity: threshold.severity, value: stats.min, limit: threshold.below, message: `${spec.label} ${fmt(stats.min, spec)} is below the limit of ${fmt(threshold.below, spec)}` });
  }
  const hour = emptyStats();
  let minutesWithData = 0;
  for (let m = minute - HOUR_MS; m < minute; m += MINUTE_MS) {
    const s = minutes.get(m);
    if (s && s.count) {
      addStats(hour, s);
      minutesWithData += 1;
    }
  }
  if (hour.count < ZSCORE_MIN_READINGS || minutesWithData < ZSCORE_MIN_MINUTES) return out;
  const mu = mean(hour);
  const sigma = stdDev(hour);
  if (!(sigma > 1e-9 * Math.max(1, Math.abs(mu)))) return out;
  const zHigh = (stats.max - mu) / sigma;
  const zLow = (mu - stats.min) / sigma;
  const high = zHigh >= zLow;
  const z = high ? zHigh : zLow;
  // A limit already crossed in the same direction is the better explanation: one alert, not two.
  if (z > spec.zScore && !out.some((a) => a.rule === (high ? 'high' : 'low'))) {
    const value = high ? stats.max : stats.min;
    out.push({
      ...base,
      rule: 'zscore',
      severity: 'warning',
      value,
      limit: spec.zScore,
      zScore: round(high ? z : -z, 2),
      message: `${spec.label} ${fmt(value, spec)} is ${round(z, 1)} σ ${high ? 'above' : 'below'} the last hour's mean of ${fmt(mu, spec)}`,
    });
  }
  return out;
}

type RecordOutcome = 'raised' | 'continued' | 'known';

/**
 * Where a run finds the alerts it needs without reading every alert of the last two days (D109; a simulated
 * fleet raises thousands a day, and each minute's run read them all):
 * - `episode` rows, one per (device, metric, rule), point at the series' newest alert: the only one a new
 *   anomalous minute can continue;
 * - `notify` rows, one per alert whose message is not published yet, written before the alert itself, so an
 *   alert that is not `notified` always has one; the run that publishes it deletes it.
 * Each alert's `alerts_by_device` row (D115) is written with its `notify` row, and deleted with it if the alert
 * never was.
 */
const EPISODE_KIND = 'episode';
const NOTIFY_KIND = 'notify';
/** A `notify` row without its alert is left this long: the run that wrote it may still be writing the alert. */
export const NOTIFY_MARK_GRACE_MS = 10 * MINUTE_MS;
const MAX_NOTIFY_PER_RUN = 1000;

/** The in-memory key of one series' rule (`newest`), joined with NUL like the series keys above. */
const seriesRuleId = (deviceId: string, metric: string, rule: string) => `${deviceId}\u0000${metric}\u0000${rule}`;
const episodeKey = (deviceId: string, metric: string, rule: string) => ({ kind: EPISODE_KIND, key: `${deviceId}/${metric}/${rule}` });
const notifyKey = (day: string, alertId: string) => ({ kind: NOTIFY_KIND, key: `${day}/${alertId}` });

/** The alerts a run has looked at, kept in memory and written through. */
class AlertBook {
  /** By series and rule: its newest alert (undefined: none known by an `episode` row). */
  private readonly newest = new Map<string, AlertRow | undefined>();
  /** Whole days read, only for a late minute older than its series' newest alert. */
  private readonly days = new Map<string, AlertRow[]>();
  private readonly recorded: AlertRow[] = [];
  constructor(private readonly table: Table) {}

  private async newestOf(deviceId: string, metric: string, rule: string): Promise<AlertRow | undefined> {
    const id = seriesRuleId(deviceId, metric, rule);
    if (!this.newest.has(id)) {
      const pointer = await this.table.getRow(T.work, episodeKey(deviceId, metric, rule));
      const row = pointer && (await this.table.getRow(T.alerts, { day: String(pointer.attributes.day), alertId: String(pointer.attributes.alertId) }));
      this.newest.set(id, row ? toAlertRow(row) : undefined);
    }
    return this.newest.get(id);
  }

  /** The alert of the series (and rule) raised last at or before `minute`. */
  private async previousOf(anomaly: Anomaly): Promise<AlertRow | undefined> {
    const { deviceId, metric, rule, minute } = anomaly;
    const newest = await this.newestOf(deviceId, metric, rule);
    // No `episode` row: the series never had an alert (or only before D109, when an episode open at the upgrade
    // may be raised once more).
    if (!newest || newest.raisedAt <= minute) return newest;
    // A late minute older than the series' newest episode (late readings, rare): the days it may belong to, read whole.
    const days = [dayKey(minute), dayKey(minute - EPISODE_GAP_MS)];
    for (const day of days) if (!this.days.has(day)) this.days.set(day, await readAlertsOfDay(this.table, day));
    return days
      .flatMap((day) => this.days.get(day) ?? [])
      .filter((a) => a.deviceId === deviceId && a.metric === metric && a.rule === rule && a.raisedAt <= minute)
      .sort((a, b) => b.raisedAt - a.raisedAt)[0];
  }

  /** Alerts whose message is not published yet (this run's and earlier runs'), by their `notify` rows. */
  async unnotified(now: number): Promise<AlertRow[]> {
    const marks = await scanRange(this.table, T.work, { start: { kind: NOTIFY_KIND, key: INF_MIN }, end: { kind: NOTIFY_KIND, key: INF_MAX } }, MAX_NOTIFY_PER_RUN);
    const out: AlertRow[] = [];
    for (const mark of marks) {
      const [day, alertId] = splitOnce(String(mark.primaryKey.key), '/');
      const known = this.recorded.find((a) => a.day === day && a.alertId === alertId);
      const row = known ?? (await this.table.getRow(T.alerts, { day, alertId }).then((r) => r && toAlertRow(r)));
      if (row && !row.notified) out.push(row);
      // Published already (the run died before deleting the mark), or the alert was never written: then its
      // `alerts_by_device` row (written with the mark) points at nothing and goes too.
      else if (row) await this.table.deleteRow(T.work, mark.primaryKey);
      else if (Number(mark.attributes.markedAt) < now - NOTIFY_MARK_GRACE_MS) {
        if (mark.attributes.deviceId !== undefined) await this.table.deleteRow(T.alertsByDevice, alertIndexKey({ deviceId: String(mark.attributes.deviceId), alertId }));
        await this.table.deleteRow(T.work, mark.primaryKey);
      }
    }
    return out;
  }

  async record(anomaly: Anomaly, now: number): Promise<RecordOutcome> {
    const { deviceId, metric, rule, minute } = anomaly;
    const previous = await this.previousOf(anomaly);
    if (previous && previous.lastSeenAt >= minute - EPISODE_GAP_MS) {
      if (previous.lastSeenAt >= minute) return 'known';
      try {
        await this.table.updateRow(
          T.alerts,
          { day: previous.day, alertId: previous.alertId },
          { put: { lastSeenAt: minute, updatedAt: now }, increment: { minutes: 1 } },
          { condition: { row: 'EXPECT_EXIST', columns: { column: 'lastSeenAt', op: 'LT', value: minute, passIfMissing: false } } },
        );
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
        return 'known';
      }
      previous.lastSeenAt = minute;
      previous.minutes += 1;
      return 'continued';
    }
    const row: AlertRow = {
      day: dayKey(minute),
      alertId: alertIdOf(minute, deviceId, metric, rule),
      deviceId,
      deviceType: anomaly.type,
      metric,
      rule,
      severity: anomaly.severity,
      value: anomaly.value,
      limit: anomaly.limit,
      ...(anomaly.zScore !== undefined ? { zScore: anomaly.zScore } : {}),
      raisedAt: minute,
      lastSeenAt: minute,
      minutes: 1,
      message: anomaly.message,
      notified: false,
    };
    const { day, alertId, ...attributes } = row;
    // Both before the alert, so an alert always has them; a retry writes the same rows again (same id).
    await Promise.all([
      this.table.putRow(T.work, notifyKey(day, alertId), { markedAt: now, deviceId }),
      this.table.putRow(T.alertsByDevice, alertIndexKey(row), { raisedAt: minute }),
    ]);
    let outcome: RecordOutcome = 'raised';
    let stored = row;
    try {
      await this.table.putRow(T.alerts, { day, alertId }, { ...attributes, updatedAt: now }, { condition: { row: 'EXPECT_NOT_EXIST' } });
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      // Raised by an earlier attempt of this run (or a concurrent one): use the stored row.
      const found = await this.table.getRow(T.alerts, { day, alertId });
      if (!found) throw err;
      stored = toAlertRow(found);
      outcome = 'known';
    }
    this.recorded.push(stored);
    this.days.get(day)?.push(stored);
    await this.pointAt(stored);
    return outcome;
  }

  /** Moves the series' `episode` row to `alert`, only ever forward (overlapping runs may write it in any order). */
  private async pointAt(alert: AlertRow): Promise<void> {
    const id = seriesRuleId(alert.deviceId, alert.metric, alert.rule);
    const current = this.newest.get(id);
    if (!current || current.raisedAt < alert.raisedAt) this.newest.set(id, alert);
    try {
      await this.table.putRow(T.work, episodeKey(alert.deviceId, alert.metric, alert.rule), { day: alert.day, alertId: alert.alertId, raisedAt: alert.raisedAt }, {
        condition: { row: 'IGNORE', columns: { column: 'raisedAt', op: 'LT', value: alert.raisedAt, passIfMissing: true } },
      });
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
}

function splitOnce(text: string, separator: string): [string, string] {
  const at = text.indexOf(separator);
  return [text.slice(0, at), text.slice(at + separator.length)];
}

/**
 * Publishes one alert to the `alerts` topic, at most once per alert unless a process dies between the publish
 * and the `notified` write (then the next run publishes again: subscribers dedupe by `alertId`).
 */
async function notify(alert: AlertRow, deps: RollupDeps, now: number): Promise<'published' | 'skipped' | 'failed'> {
  const key = { day: alert.day, alertId: alert.alertId };
  try {
    await deps.table.updateRow(T.alerts, key, { put: { notifyClaimedAt: now } }, {
      condition: {
        row: 'EXPECT_EXIST',
        columns: { and: [{ column: 'notified', op: 'EQ', value: false, passIfMissing: false }, { column: 'notifyClaimedAt', op: 'LT', value: now - NOTIFY_LEASE_MS, passIfMissing: true }] },
      },
    });
  } catch (err) {
    if (err instanceof ConditionFailedError) return 'skipped';
    throw err;
  }
  const body: AlertNotification = {
    alertId: alert.alertId,
    deviceId: alert.deviceId,
    deviceType: alert.deviceType,
    metric: alert.metric,
    rule: alert.rule,
    severity: alert.severity,
    value: alert.value,
    limit: alert.limit,
    ...(alert.zScore !== undefined ? { zScore: alert.zScore } : {}),
    raisedAt: new Date(alert.raisedAt).toISOString(),
    message: alert.message,
  };
  try {
    await deps.topic.publish(deps.topicName, { body: JSON.stringify(body), tag: alert.severity, attributes: { alertId: alert.alertId, deviceId: alert.deviceId } });
  } catch {
    // Give the claim back so the next run (or a retry of this one) publishes at once.
    await deps.table.updateRow(T.alerts, key, { delete: ['notifyClaimedAt'] }).catch(() => undefined);
    return 'failed';
  }
  await deps.table.updateRow(T.alerts, key, { put: { notified: true }, delete: ['notifyClaimedAt'] });
  alert.notified = true;
  await deps.table.deleteRow(T.work, notifyKey(alert.day, alert.alertId));
  return 'published';
}
