import type { AlertRow, DeviceRow, LatestRow, RollupResolution, RollupRow, TelemetryRow } from '../contracts/iot';
import { TABLES } from '../contracts/tables';
import { BATCH_GET_LIMIT, INF_MAX, INF_MIN, type RangeQuery, type Row, type Table } from '../ports/table';

/**
 * Reading and writing the IoT tables (schemas in contracts/tables.ts, row shapes in contracts/iot.ts), shared
 * by the IoT functions so each table is decoded in one place.
 */
export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export const floorTo = (ts: number, step: number) => Math.floor(ts / step) * step;
/** UTC day `YYYY-MM-DD` of an epoch-ms time (the `alerts` partition). */
export const dayKey = (ts: number) => new Date(ts).toISOString().slice(0, 10);

export const T = {
  devices: TABLES.devices.name,
  requests: TABLES.iotRequests.name,
  telemetry: TABLES.telemetry.name,
  latest: TABLES.deviceLatest.name,
  rollup: TABLES.telemetryRollup.name,
  work: TABLES.rollupWork.name,
  alerts: TABLES.alerts.name,
  alertsByDevice: TABLES.alertsByDevice.name,
} as const;

/** Every row of a range, following TableStore's pages (≤ 5 000 rows each). */
export async function scanRange(table: Table, name: string, query: RangeQuery, max = Number.POSITIVE_INFINITY): Promise<Row[]> {
  const rows: Row[] = [];
  let start = query.start;
  for (;;) {
    const page = await table.getRange(name, { ...query, start, ...(Number.isFinite(max) ? { limit: Math.min(query.limit ?? 5000, max - rows.length) } : {}) });
    rows.push(...page.rows);
    if (!page.nextStartPrimaryKey || rows.length >= max) return rows;
    start = page.nextStartPrimaryKey;
  }
}

const num = (v: unknown) => Number(v);
const str = (v: unknown) => String(v);

export function toDeviceRow(row: Row): DeviceRow {
  const a = row.attributes;
  return {
    deviceId: str(row.primaryKey.deviceId),
    name: str(a.name),
    type: str(a.type) as DeviceRow['type'],
    secretSealed: str(a.secretSealed),
    createdAt: num(a.createdAt),
    createdBy: str(a.createdBy),
    secretIssuedAt: num(a.secretIssuedAt ?? a.createdAt),
  };
}

export async function getDevice(table: Table, deviceId: string): Promise<DeviceRow | undefined> {
  const row = await table.getRow(T.devices, { deviceId });
  return row ? toDeviceRow(row) : undefined;
}

export async function listDevices(table: Table): Promise<DeviceRow[]> {
  const rows = await scanRange(table, T.devices, { start: { deviceId: INF_MIN }, end: { deviceId: INF_MAX } });
  return rows.map(toDeviceRow);
}

export function toLatestRow(row: Row): LatestRow {
  return { deviceId: str(row.primaryKey.deviceId), metric: str(row.primaryKey.metric), ts: num(row.attributes.ts), value: num(row.attributes.value), updatedAt: num(row.attributes.updatedAt) };
}

/** The latest value of every metric of one device, or of every device when `deviceId` is omitted. */
/** The rollup's progress row: every minute before `rolledUntil` has its 1-minute and 1-hour rollups. */
export const ROLLUP_CURSOR_KEY = { kind: 'cursor', key: 'rollup' } as const;

export async function readRolledUntil(table: Table): Promise<number | undefined> {
  const row = await table.getRow(T.work, ROLLUP_CURSOR_KEY);
  return row ? Number(row.attributes.rolledUntil) : undefined;
}

/**
 * Minutes the ETL marked as changed by late readings (`rollup_work` rows of kind `dirty`, one per series and
 * minute, attributes `deviceId`, `metric`, `minute`, `markedAt`); `iot-rollup` recomputes each and deletes its mark.
 * Until then the minute's rollups (and its hour's) lack those readings.
 */
export async function readLateMinuteMarks(table: Table, max: number): Promise<Row[]> {
  return scanRange(table, T.work, { start: { kind: LATE_MARK_KIND, key: INF_MIN }, end: { kind: LATE_MARK_KIND, key: INF_MAX } }, max);
}

const LATE_MARK_KIND = 'dirty';
/** The mark of one series' minute: the key starts with the series, so one series' marks are one range. */
export const lateMinuteMarkKey = (deviceId: string, metric: string, minute: number) => ({ kind: LATE_MARK_KIND, key: `${lateMarkPrefix(deviceId, metric)}${minute}` });
const lateMarkPrefix = (deviceId: string, metric: string) => `${deviceId}|${metric}|`;

/**
 * One series' marked minutes in `[from, to)`, in time order (D128). The series' marks are read whole (the rollup
 * deletes them each minute, so there are few) up to `max`: minutes are not zero-padded in the key, so a key range
 * could not stand for a time range.
 */
export async function readLateMinutesOf(table: Table, deviceId: string, metric: string, from: number, to: number, max: number): Promise<number[]> {
  const prefix = lateMarkPrefix(deviceId, metric);
  // `~` sorts after every digit: the end of this series' keys (a device id or metric never holds `|`).
  const rows = await scanRange(table, T.work, { start: { kind: LATE_MARK_KIND, key: prefix }, end: { kind: LATE_MARK_KIND, key: `${prefix}~` }, columns: ['minute'] }, max);
  return rows
    .map((row) => Number(row.attributes.minute))
    .filter((minute) => minute >= from && minute < to)
    .sort((a, b) => a - b);
}

export async function listLatest(table: Table, deviceId?: string): Promise<LatestRow[]> {
  const rows = await scanRange(table, T.latest, {
    start: { deviceId: deviceId ?? INF_MIN, metric: INF_MIN },
    end: { deviceId: deviceId ?? INF_MAX, metric: INF_MAX },
  });
  return rows.map(toLatestRow);
}

/** Raw readings of one series in `[from, to)`, oldest first. */
export async function readRaw(table: Table, deviceId: string, metric: string, from: number, to: number, max?: number): Promise<TelemetryRow[]> {
  if (from >= to) return []; // TableStore refuses an empty range
  const rows = await scanRange(table, T.telemetry, { start: { deviceId, metric, ts: from }, end: { deviceId, metric, ts: to }, columns: ['value'] }, max);
  return rows.map((row) => ({ deviceId, metric, ts: num(row.primaryKey.ts), value: num(row.attributes.value), receivedAt: 0 }));
}

export function toRollupRow(row: Row): RollupRow {
  const a = row.attributes;
  return {
    deviceId: str(row.primaryKey.deviceId),
    metric: str(row.primaryKey.metric),
    resolution: str(row.primaryKey.resolution) as RollupResolution,
    ts: num(row.primaryKey.ts),
    count: num(a.count),
    min: num(a.min),
    max: num(a.max),
    sum: num(a.sum),
    sumSq: num(a.sumSq),
    avg: num(a.avg),
    updatedAt: num(a.updatedAt),
  };
}

/** Rollup buckets of one series starting in `[from, to)`, oldest first; `columns` to read only those (the rest read 0 / NaN). */
export async function readRollups(table: Table, deviceId: string, metric: string, resolution: RollupResolution, from: number, to: number, columns?: string[]): Promise<RollupRow[]> {
  if (from >= to) return []; // TableStore refuses an empty range
  const rows = await scanRange(table, T.rollup, { start: { deviceId, metric, resolution, ts: from }, end: { deviceId, metric, resolution, ts: to }, ...(columns ? { columns } : {}) });
  return rows.map(toRollupRow);
}

export function rollupAttributes(row: RollupRow): Record<string, number> {
  return { count: row.count, min: row.min, max: row.max, sum: row.sum, sumSq: row.sumSq, avg: row.avg, updatedAt: row.updatedAt };
}

export function toAlertRow(row: Row): AlertRow {
  const a = row.attributes;
  return {
    day: str(row.primaryKey.day),
    alertId: str(row.primaryKey.alertId),
    deviceId: str(a.deviceId),
    deviceType: str(a.deviceType) as AlertRow['deviceType'],
    metric: str(a.metric),
    rule: str(a.rule) as AlertRow['rule'],
    severity: str(a.severity) as AlertRow['severity'],
    value: num(a.value),
    limit: num(a.limit),
    ...(a.zScore !== undefined ? { zScore: num(a.zScore) } : {}),
    raisedAt: num(a.raisedAt),
    lastSeenAt: num(a.lastSeenAt),
    minutes: num(a.minutes),
    message: str(a.message),
    notified: a.notified === true,
    ...(a.notifyClaimedAt !== undefined ? { notifyClaimedAt: num(a.notifyClaimedAt) } : {}),
  };
}

/** `<raisedAt 13 digits>.<deviceId>.<metric>.<rule>`: sorts by time inside a day partition. */
export function alertIdOf(raisedAt: number, deviceId: string, metric: string, rule: string): string {
  return `${alertIdFloor(raisedAt)}.${deviceId}.${metric}.${rule}`;
}

/** The lowest alert id raised at or after `ts` (ids start with the zero-padded `raisedAt`). */
const alertIdFloor = (ts: number) => String(ts).padStart(13, '0');

/** Alerts of one UTC day, newest first, optionally only those raised at or after `since` and before `before`. */
export async function readAlertsOfDay(table: Table, day: string, options: { since?: number; before?: number; deviceId?: string; limit?: number } = {}): Promise<AlertRow[]> {
  const lower = options.since !== undefined && dayKey(options.since) === day ? alertIdFloor(options.since) : INF_MIN;
  const upper = options.before !== undefined && dayKey(options.before) === day ? alertIdFloor(options.before) : INF_MAX;
  const rows = await scanRange(
    table,
    T.alerts,
    {
      start: { day, alertId: upper },
      end: { day, alertId: lower },
      direction: 'BACKWARD',
      ...(options.deviceId ? { filter: { column: 'deviceId', op: 'EQ', value: options.deviceId, passIfMissing: false } } : {}),
    },
    options.limit,
  );
  return rows.map(toAlertRow);
}

/**
 * `alerts_by_device` (D115): one row per alert under its device, keyed by the alert id, which names its
 * `alerts` row (the day is the id's `raisedAt`), so "only this device" reads that device's alerts instead of filtering the
 * fleet's day partitions. iot-rollup writes it before the alert row: an alert never lacks one; one whose alert
 * was never written is skipped here and deleted with its `notify` row.
 */
export const alertIndexKey = (alert: Pick<AlertRow, 'deviceId' | 'alertId'>) => ({ deviceId: alert.deviceId, alertId: alert.alertId });
export const alertKeyOfId = (alertId: string) => ({ day: dayKey(Number(alertId.slice(0, 13))), alertId });

/**
 * Since when every alert is in `alerts_by_device`: alerts raised earlier may predate it (written before D115)
 * and are found by reading their days (`rollup_work` row, written once by the first iot-rollup run of D115).
 */
export const ALERT_INDEX_START_KEY = { kind: 'index', key: 'alerts_by_device' } as const;

export async function readAlertIndexStart(table: Table): Promise<number | undefined> {
  const row = await table.getRow(T.work, ALERT_INDEX_START_KEY);
  return row ? Number(row.attributes.indexedSince) : undefined;
}

/** One device's alerts raised at or after `since`, newest first, from `alerts_by_device` (pages of `limit` keys). */
export async function readAlertsOfDevice(table: Table, deviceId: string, options: { since: number; limit: number }): Promise<AlertRow[]> {
  const out: AlertRow[] = [];
  let start: RangeQuery['start'] = { deviceId, alertId: INF_MAX };
  while (out.length < options.limit) {
    const want = Math.min(BATCH_GET_LIMIT, options.limit - out.length);
    const page = await table.getRange(T.alertsByDevice, { start, end: { deviceId, alertId: alertIdFloor(options.since) }, direction: 'BACKWARD', limit: want });
    const keys = page.rows.map((r) => alertKeyOfId(String(r.primaryKey.alertId)));
    // A key whose alert is missing: its run died between the two writes (the retry writes the alert).
    if (keys.length) for (const found of await table.batchGetRow(T.alerts, keys)) if (found) out.push(toAlertRow(found));
    if (!page.nextStartPrimaryKey) break;
    start = page.nextStartPrimaryKey;
  }
  return out;
}
