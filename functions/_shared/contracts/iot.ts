import * as z from 'zod';
import { DEVICE_NAME_MAX, DEVICE_TYPE_NAMES, type DeviceType, type ReadingProblem, type Severity } from '../iot/catalog';
import { MAX_EPOCH_MS, queryInt } from './query';
import { isPlainText, PLAIN_TEXT_ERROR } from './text';

/**
 * Contracts of the IoT ETL (PRODUCT.md §3 IoT, §4 IoT ETL): the device API, the signed ingest body and its
 * answer, the message `iot-ingest` puts on MNS queue `iot-readings` for `iot-etl`, the rows of the IoT
 * tables, and the data API's views. Producer and consumer import the same definitions.
 */

export const DeviceId = z.string().regex(/^dev_[0-9a-z]{26}$/, 'must be a device id (dev_ followed by 26 characters)');

// ---------- device registry ----------

export const RegisterDeviceRequest = z.strictObject({
  name: z
    .string()
    .trim()
    .min(1)
    .max(DEVICE_NAME_MAX)
    .refine(isPlainText, PLAIN_TEXT_ERROR),
  type: z.enum(DEVICE_TYPE_NAMES, { message: `must be one of ${DEVICE_TYPE_NAMES.join(', ')}` }),
});
export type RegisterDeviceRequest = z.infer<typeof RegisterDeviceRequest>;

/** `POST /api/iot/devices` and `POST /api/iot/devices/{id}/secret`: the only answers that ever show the secret. */
export interface DeviceCredentials {
  deviceId: string;
  name: string;
  type: DeviceType;
  /** Shown once; the server keeps it sealed (docs/decisions.md D33). */
  secret: string;
  createdAt: string;
}

/** A device is `online` when its newest reading is at most this old. */
export const ONLINE_WINDOW_MS = 2 * 60_000;
export type DeviceStatus = 'online' | 'offline' | 'never';

export interface LatestValue {
  ts: number;
  value: number;
  unit: string;
}

/** `GET /api/iot/devices` items and `GET /api/iot/devices/{id}/latest`. */
export interface DeviceView {
  deviceId: string;
  name: string;
  type: DeviceType;
  createdAt: string;
  status: DeviceStatus;
  /** The newest reading's time (ISO), absent before the first reading. */
  lastSeenAt?: string;
  latest: Record<string, LatestValue>;
}

export interface DeviceListResponse {
  items: DeviceView[];
}

// ---------- signed ingest ----------

export const MAX_READINGS_PER_REQUEST = 500;
/** 500 readings with long names and units stay far below this; anything larger is refused before parsing. */
export const MAX_INGEST_BODY_BYTES = 256 * 1024;

const EpochMs = z
  .number({ message: 'must be a number (epoch milliseconds)' })
  .int('must be an integer (epoch milliseconds)')
  .min(1e12, 'must be epoch milliseconds (13 digits), not seconds')
  .max(1e13 - 1, 'must be epoch milliseconds (13 digits)');

export const MetricName = z
  .string()
  .min(1)
  .max(32)
  .regex(/^[a-z][a-z0-9_]*$/, 'must be lower-case letters, digits and "_", starting with a letter');

/** One reading as a device sends it; shape errors refuse the whole request (a client bug), see D34. */
export const Reading = z.strictObject({
  ts: EpochMs,
  metric: MetricName,
  /** JSON has no NaN or Infinity; `1e999` parses to Infinity and is refused here. */
  value: z.number({ message: 'must be a finite number' }),
  /** The device's own sequence number, stored with the reading. */
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional(),
  /** Unit of `value`, when not the metric's canonical one (e.g. `°F`); converted by the ETL. */
  unit: z.string().min(1).max(16).optional(),
});
export type Reading = z.infer<typeof Reading>;

export const IngestBody = z.strictObject({
  readings: z.array(Reading).min(1, 'must hold at least one reading').max(MAX_READINGS_PER_REQUEST, `at most ${MAX_READINGS_PER_REQUEST} readings per request`),
});
export type IngestBody = z.infer<typeof IngestBody>;

/** Per-reading refusals: the request is accepted, these readings are not (they are never stored). */
export interface RejectedReading {
  index: number;
  reason: ReadingProblem;
  detail: string;
}

/** `202` answer of `POST /api/iot/events`. */
export interface IngestResponse {
  accepted: number;
  rejected: RejectedReading[];
}

// ---------- queue message (iot-ingest → MNS iot-readings → iot-etl) ----------

/** `[ts, value]` or `[ts, value, seq]`: compact, since one message carries up to 500 readings. */
const Point = z.union([z.tuple([EpochMs, z.number()]), z.tuple([EpochMs, z.number(), z.number().int().min(0)])]);

/**
 * The readings of one ingest request (or one part of it), grouped by metric and unit as the device sent
 * them: the ETL converts units and checks ranges. `receivedAt` is when the ingest accepted them; age checks
 * are made against it, so a message that waited in the queue (or the DLQ) loses nothing.
 */
export const ReadingsMessage = z.object({
  v: z.literal(1),
  deviceId: DeviceId,
  deviceType: z.enum(DEVICE_TYPE_NAMES),
  requestId: z.string().min(1).max(128),
  receivedAt: EpochMs,
  groups: z
    .array(z.object({ metric: MetricName, unit: z.string().min(1).max(16).optional(), points: z.array(Point).min(1) }))
    .min(1),
});
export type ReadingsMessage = z.infer<typeof ReadingsMessage>;

// ---------- table rows ----------

/** `devices` (PK deviceId). */
export interface DeviceRow {
  deviceId: string;
  name: string;
  type: DeviceType;
  /** `SecretBox.seal(secret, deviceId)`. */
  secretSealed: string;
  createdAt: number;
  createdBy: string;
  /** When the secret was last issued (registration or rotation). */
  secretIssuedAt: number;
}

/** `telemetry` (PK deviceId, metric, ts; TTL 30 days): one reading, value in the canonical unit. */
export interface TelemetryRow {
  deviceId: string;
  metric: string;
  ts: number;
  value: number;
  seq?: number;
  receivedAt: number;
}

/** `device_latest` (PK deviceId, metric): only ever moves forward in `ts`. */
export interface LatestRow {
  deviceId: string;
  metric: string;
  ts: number;
  value: number;
  updatedAt: number;
}

export const RESOLUTIONS = ['1m', '1h'] as const;
export type RollupResolution = (typeof RESOLUTIONS)[number];

/** `telemetry_rollup` (PK deviceId, metric, resolution, ts): one bucket's statistics. */
export interface RollupRow {
  deviceId: string;
  metric: string;
  resolution: RollupResolution;
  /** Bucket start (epoch ms). */
  ts: number;
  count: number;
  min: number;
  max: number;
  sum: number;
  /** Sum of squares: with `sum` and `count` gives the variance of any union of buckets (z-score rule). */
  sumSq: number;
  avg: number;
  updatedAt: number;
}

export const ALERT_RULES = ['high', 'low', 'zscore'] as const;
export type AlertRule = (typeof ALERT_RULES)[number];

/** `alerts` (PK day, alertId): one anomaly episode of one device metric under one rule. */
export interface AlertRow {
  /** UTC day of `raisedAt`, `YYYY-MM-DD`: the partition, so recent alerts are one short range read. */
  day: string;
  /** `<raisedAt>.<deviceId>.<metric>.<rule>`: deterministic, so a retried rollup finds the same row. */
  alertId: string;
  deviceId: string;
  deviceType: DeviceType;
  metric: string;
  rule: AlertRule;
  severity: Severity;
  /** The value that crossed the limit (the minute's maximum or minimum). */
  value: number;
  /** The crossed limit (threshold rules) or the z-score limit. */
  limit: number;
  /** For z-score alerts: how many standard deviations from the last hour's mean. */
  zScore?: number;
  /** Start of the first anomalous minute. */
  raisedAt: number;
  /** Start of the latest anomalous minute of the episode. */
  lastSeenAt: number;
  /** Anomalous minutes seen in the episode. */
  minutes: number;
  message: string;
  /** True once the `alerts` topic message was published. */
  notified: boolean;
  /** Lease of the instance publishing the notification (so concurrent runs publish once). */
  notifyClaimedAt?: number;
}

// ---------- data API ----------

/**
 * A query time: epoch milliseconds, or ISO 8601 as a date (`2026-11-27`, UTC midnight) or a date-time with its
 * zone. `Date.parse` alone also took `12/25` (a local date in 2001) and a date-time without a zone (the server's
 * local time). Times after year 9999 are refused, as in a report's window (D127).
 */
const QUERY_TIME = 'must be epoch milliseconds or an ISO 8601 date, or date-time with a zone (e.g. 2026-11-25T08:00:00Z)';
const ISO_QUERY_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;
const QueryTime = z.string().transform((text, ctx) => {
  const value = /^\d{1,16}$/.test(text) ? Number(text) : ISO_QUERY_TIME.test(text) ? Date.parse(text) : NaN;
  if (!Number.isFinite(value) || value < 0 || value > MAX_EPOCH_MS) {
    ctx.addIssue({ code: 'custom', message: QUERY_TIME });
    return z.NEVER;
  }
  return value;
});

export const SERIES_STEPS = ['auto', 'raw', '1m', '1h'] as const;
export type SeriesStep = (typeof SERIES_STEPS)[number];

export const SeriesQuery = z.strictObject({
  metric: MetricName,
  from: QueryTime.optional(),
  to: QueryTime.optional(),
  step: z.enum(SERIES_STEPS, { message: `must be one of ${SERIES_STEPS.join(', ')}` }).default('auto'),
});
export type SeriesQuery = z.infer<typeof SeriesQuery>;

export interface RawPoint {
  ts: number;
  value: number;
}
export interface RollupPoint {
  ts: number;
  min: number;
  max: number;
  avg: number;
  count: number;
}

/** `GET /api/iot/devices/{id}/series`. */
export type SeriesResponse = {
  deviceId: string;
  metric: string;
  unit: string;
  from: number;
  to: number;
} & ({ resolution: 'raw'; points: RawPoint[] } | { resolution: RollupResolution; points: RollupPoint[] });

export const AlertsQuery = z.strictObject({
  deviceId: DeviceId.optional(),
  since: QueryTime.optional(),
  limit: queryInt(1, 500).default(100),
});
export type AlertsQuery = z.infer<typeof AlertsQuery>;

/** `GET /api/iot/alerts` items, newest first. */
export interface AlertView {
  alertId: string;
  deviceId: string;
  deviceType: DeviceType;
  metric: string;
  unit: string;
  rule: AlertRule;
  severity: Severity;
  value: number;
  limit: number;
  zScore?: number;
  raisedAt: string;
  lastSeenAt: string;
  minutes: number;
  message: string;
}

export interface AlertListResponse {
  items: AlertView[];
}

/** The `alerts` MNS topic message (JSON body; the message tag is the severity). */
export interface AlertNotification {
  alertId: string;
  deviceId: string;
  deviceType: DeviceType;
  metric: string;
  rule: AlertRule;
  severity: Severity;
  value: number;
  limit: number;
  zScore?: number;
  raisedAt: string;
  message: string;
}

// ---------- reports ----------

/** The longest window one report covers. */
export const MAX_REPORT_WINDOW_MS = 31 * 86400_000;

/** A report's bound: epoch milliseconds or an ISO date-time with its zone (a missing one is "is required"). */
const REPORT_TIME = 'must be epoch milliseconds or an ISO 8601 date-time with a zone, e.g. 2026-11-25T00:00:00Z';
const reportTimeError = (issue: { input?: unknown }) => (issue.input === undefined ? undefined : REPORT_TIME);
const ReportTime = z
  // Bounded: a window past the last date JavaScript can show (8.64e15) failed when the report was written, as a 500.
  .union([z.number().int({ error: REPORT_TIME }).min(0, { error: REPORT_TIME }).max(MAX_EPOCH_MS, { error: REPORT_TIME }), z.iso.datetime({ offset: true, error: REPORT_TIME })], { error: reportTimeError })
  .transform((v) => (typeof v === 'number' ? v : Date.parse(v)));

/** The window's checks run only once both bounds are times: zod still runs them when a bound failed its own check. */
const bothTimes = (r: { from: unknown; to: unknown }) => typeof r.from === 'number' && typeof r.to === 'number';

export const ReportRequest = z
  .strictObject({ from: ReportTime, to: ReportTime })
  .refine((r) => !bothTimes(r) || r.to > r.from, { message: 'must be after from', path: ['to'] })
  .refine((r) => !bothTimes(r) || r.to - r.from <= MAX_REPORT_WINDOW_MS, { message: 'a report covers at most 31 days', path: ['to'] });
export type ReportRequest = z.infer<typeof ReportRequest>;

/** `POST /api/iot/reports` answer and `GET /api/iot/reports` items. */
export interface ReportView {
  reportId: string;
  key: string;
  /** Signed GET URL of the CSV (short-lived). */
  url: string;
  expiresAt: string;
  createdAt: string;
  size: number;
  /** The window and row count (in a list, from the object's metadata; absent for a CSV written by other means). */
  from?: string;
  to?: string;
  rows?: number;
}

export interface ReportListResponse {
  items: ReportView[];
}
