import type { ReportListResponse, ReportView, RollupRow } from '#shared/contracts/iot';
import { newId, type IdGenerator } from '#shared/ids';
import { DEVICE_TYPES, metricSpec } from '#shared/iot/catalog';
import { runLimited } from '#shared/iot/batch-write';
import { DAY_MS, dayKey, floorTo, HOUR_MS, listDevices, listLatest, MINUTE_MS, readAlertsOfDay, readLateMinuteMarks, readRaw, readRolledUntil, readRollups } from '#shared/iot/rows';
import { addStats, addValue, emptyStats, round, type Stats } from '#shared/iot/stats';
import type { Clock } from '#shared/ports/clock';
import type { ObjectStore } from '#shared/ports/object-store';
import type { Row, Table } from '#shared/ports/table';

/**
 * iot-report: a CSV of every device metric over a window — readings, min, max, average and alerts — written
 * to OSS `reports/` (PRODUCT.md §4 IoT ETL step 4). The daily timer reports the previous UTC day under a
 * fixed key (a retried timer rewrites the same object); an admin asks for any window up to 31 days.
 *
 * Statistics come from the rollups: whole hours from 1-hour rollups, the partial hours at either end from
 * 1-minute rollups, so a month's report reads a few hundred rows per series. What the rollups do not hold yet
 * is read raw, so a report counts every reading stored before it was asked for: the minutes after the rollup's
 * cursor (at most RAW_TAIL_MS), so a report of "the last hour" asked for right after the readings arrived counts
 * them, and minutes the ETL marked as changed by late readings that the rollup has not recomputed yet (D116).
 */
export interface ReportDeps {
  table: Table;
  objects: ObjectStore;
  clock: Clock;
  newId?: IdGenerator;
}

export const REPORT_PREFIX = 'reports/';
export const REPORT_URL_TTL_SECONDS = 900;
/** The most of a window's end read from raw readings (the rollup runs each minute and catches up 3 h a run). */
export const RAW_TAIL_MS = 3 * HOUR_MS;
const CSV_HEADER = ['device_id', 'device_name', 'device_type', 'metric', 'unit', 'from', 'to', 'readings', 'min', 'max', 'avg', 'alerts'];

export async function createReport(window: { from: number; to: number; reportId?: string }, deps: ReportDeps): Promise<ReportView> {
  const from = floorTo(window.from, MINUTE_MS);
  const to = floorTo(window.to + MINUTE_MS - 1, MINUTE_MS);
  const reportId = window.reportId ?? (deps.newId ?? newId)('rpt');
  // The marks are read with the cursor, before any rollup: a minute recomputed meanwhile is then read raw, which is
  // still right; a mark written after this read is for readings stored after the report was asked for.
  const [devices, latest, alerts, rolledUntil, marks] = await Promise.all([
    listDevices(deps.table),
    listLatest(deps.table),
    alertCounts(deps.table, from, to),
    readRolledUntil(deps.table),
    readLateMinuteMarks(deps.table, MAX_LATE_MARKS),
  ]);
  // Rollups up to the rollup's cursor, raw readings after it (a bounded tail).
  const rawFrom = Math.min(to, Math.max(from, rolledUntil ?? to - RAW_TAIL_MS, to - RAW_TAIL_MS));
  const lateMinutes = lateMinutesBySeries(marks, from, rawFrom);
  const byId = new Map(devices.map((d) => [d.deviceId, d]));
  const series = latest.filter((l) => byId.has(l.deviceId) && metricSpec(byId.get(l.deviceId)!.type, l.metric));
  const stats = new Map<string, Stats>();
  await runLimited(series, 4, async (s) => {
    const key = `${s.deviceId}\u0000${s.metric}`;
    const st = await rolledUpStats(deps.table, s.deviceId, s.metric, from, rawFrom, lateMinutes.get(key) ?? []);
    for (const reading of await readRaw(deps.table, s.deviceId, s.metric, rawFrom, to)) addValue(st, reading.value);
    stats.set(key, st);
  });

  const lines = [CSV_HEADER.join(',')];
  const metricIndex = (s: { deviceId: string; metric: string }) => Object.keys(DEVICE_TYPES[byId.get(s.deviceId)!.type].metrics).indexOf(s.metric);
  const ordered = [...series].sort(
    (a, b) => byId.get(a.deviceId)!.name.localeCompare(byId.get(b.deviceId)!.name, 'en', { numeric: true }) || a.deviceId.localeCompare(b.deviceId) || metricIndex(a) - metricIndex(b),
  );
  for (const s of ordered) {
    const device = byId.get(s.deviceId)!;
    const spec = metricSpec(device.type, s.metric)!;
    const st = stats.get(`${s.deviceId}\u0000${s.metric}`)!;
    const has = st.count > 0;
    lines.push(
      [
        device.deviceId,
        device.name,
        device.type,
        s.metric,
        spec.unit,
        new Date(from).toISOString(),
        new Date(to).toISOString(),
        st.count,
        has ? round(st.min, spec.decimals + 2) : '',
        has ? round(st.max, spec.decimals + 2) : '',
        has ? round(st.sum / st.count, spec.decimals + 2) : '',
        alerts.get(`${s.deviceId}\u0000${s.metric}`) ?? 0,
      ]
        .map(csvField)
        .join(','),
    );
  }
  const body = Buffer.from(`${lines.join('\r\n')}\r\n`, 'utf8');
  const key = `${REPORT_PREFIX}${reportId}.csv`;
  await deps.objects.put(key, body, { contentType: 'text/csv; charset=utf-8', meta: { reportid: reportId, from: String(from), to: String(to), rows: String(ordered.length) } });
  const signed = await deps.objects.signUrl('GET', key, { expiresInSeconds: REPORT_URL_TTL_SECONDS });
  return {
    reportId,
    key,
    url: signed.url,
    expiresAt: signed.expiresAt.toISOString(),
    createdAt: new Date(deps.clock.now()).toISOString(),
    size: body.length,
    from: new Date(from).toISOString(),
    to: new Date(to).toISOString(),
    rows: ordered.length,
  };
}

/** The daily report: the previous UTC day, under a key fixed by its date. */
export function dailyWindow(now: number): { from: number; to: number; reportId: string } {
  const to = floorTo(now, DAY_MS);
  return { from: to - DAY_MS, to, reportId: `daily-${dayKey(to - DAY_MS)}` };
}

/** Late-minute marks read at most (as many as a rollup run recomputes). */
const MAX_LATE_MARKS = 10_000;

/** The marked minutes inside `[from, to)`, per series (`deviceId NUL metric`), in time order. */
function lateMinutesBySeries(marks: Row[], from: number, to: number): Map<string, number[]> {
  const bySeries = new Map<string, Set<number>>();
  for (const mark of marks) {
    const minute = Number(mark.attributes.minute);
    if (!(minute >= from && minute < to)) continue;
    const key = `${String(mark.attributes.deviceId)}\u0000${String(mark.attributes.metric)}`;
    bySeries.set(key, (bySeries.get(key) ?? new Set()).add(minute));
  }
  return new Map([...bySeries].map(([key, minutes]) => [key, [...minutes].sort((a, b) => a - b)]));
}

/**
 * One series over `[from, to)` from the rollups, except `lateMinutes` (sorted): their rollups, and their hours',
 * lack late readings until the rollup recomputes them, so each is read raw and the rest around it from rollups.
 */
async function rolledUpStats(table: Table, deviceId: string, metric: string, from: number, to: number, lateMinutes: number[]): Promise<Stats> {
  const total = emptyStats();
  let at = from;
  for (const minute of lateMinutes) {
    addStats(total, await windowStats(table, deviceId, metric, at, minute));
    for (const reading of await readRaw(table, deviceId, metric, minute, minute + MINUTE_MS)) addValue(total, reading.value);
    at = minute + MINUTE_MS;
  }
  addStats(total, await windowStats(table, deviceId, metric, at, to));
  return total;
}

/** One series over `[from, to)`: whole hours from 1-hour rollups, the rest from 1-minute rollups. */
async function windowStats(table: Table, deviceId: string, metric: string, from: number, to: number): Promise<Stats> {
  const total = emptyStats();
  if (from >= to) return total;
  const add = (rows: RollupRow[]) => rows.forEach((r) => addStats(total, r));
  const firstHour = floorTo(from + HOUR_MS - 1, HOUR_MS);
  const lastHour = floorTo(to, HOUR_MS);
  if (firstHour >= lastHour) {
    add(await readRollups(table, deviceId, metric, '1m', from, to));
    return total;
  }
  const [head, body, tail] = await Promise.all([
    readRollups(table, deviceId, metric, '1m', from, firstHour),
    readRollups(table, deviceId, metric, '1h', firstHour, lastHour),
    readRollups(table, deviceId, metric, '1m', lastHour, to),
  ]);
  add(head);
  add(body);
  add(tail);
  return total;
}

async function alertCounts(table: Table, from: number, to: number): Promise<Map<string, number>> {
  const counts = new Map<string, number>();
  for (let day = floorTo(from, DAY_MS); day < to; day += DAY_MS) {
    for (const alert of await readAlertsOfDay(table, dayKey(day), { since: from })) {
      if (alert.raisedAt < from || alert.raisedAt >= to) continue;
      const key = `${alert.deviceId}\u0000${alert.metric}`;
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

/** RFC 4180 quoting; a leading `=`, `+`, `-` or `@` is prefixed with `'` so spreadsheets never run a name as a formula. */
export function csvField(value: string | number): string {
  if (typeof value === 'number') return String(value);
  const safe = /^[=+\-@]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** The newest reports first, each with a fresh signed URL. */
export async function listReports(deps: Pick<ReportDeps, 'objects'>, limit = 20): Promise<ReportListResponse> {
  const objects = [];
  let token: string | undefined;
  do {
    const page = await deps.objects.list({ prefix: REPORT_PREFIX, maxKeys: 1000, ...(token ? { continuationToken: token } : {}) });
    objects.push(...page.objects.filter((o) => o.key.endsWith('.csv')));
    token = page.nextContinuationToken;
  } while (token);
  objects.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime() || (a.key < b.key ? 1 : -1));
  const items: ReportView[] = [];
  for (const object of objects.slice(0, limit)) {
    // The window and row count live in the object's metadata (a listing does not carry it): one HEAD each.
    const [signed, info] = await Promise.all([deps.objects.signUrl('GET', object.key, { expiresInSeconds: REPORT_URL_TTL_SECONDS }), deps.objects.head(object.key)]);
    items.push({
      reportId: object.key.slice(REPORT_PREFIX.length, -'.csv'.length),
      key: object.key,
      url: signed.url,
      expiresAt: signed.expiresAt.toISOString(),
      createdAt: object.lastModified.toISOString(),
      size: object.size,
      ...windowOf(info?.meta ?? {}),
    });
  }
  return { items };
}

/** `from`, `to` and `rows` from a report's metadata, each only when it is a number (a hand-placed CSV has none). */
function windowOf(meta: Record<string, string>): Pick<ReportView, 'from' | 'to' | 'rows'> {
  const number = (text: string | undefined) => (text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined);
  const from = number(meta.from);
  const to = number(meta.to);
  const rows = number(meta.rows);
  return { ...(from !== undefined && to !== undefined ? { from: new Date(from).toISOString(), to: new Date(to).toISOString() } : {}), ...(rows !== undefined ? { rows } : {}) };
}
