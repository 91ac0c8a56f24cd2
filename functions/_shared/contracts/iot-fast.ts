import { DEVICE_TYPE_NAMES } from '../iot/catalog';
import { MAX_READINGS_PER_REQUEST, ReadingsMessage, type IngestBody } from './iot';

/**
 * Plain checks for the two shapes the IoT path validates per reading (D67): the ingest body (500 readings a
 * request) and the queue message (the same readings again in `iot-etl`). zod walks each reading through its
 * schema objects (~1.2 ms of CPU per 1 000 readings on each side); these loops answer the common case — a
 * well-formed body — in a fraction of that. They only ever say "certainly valid": anything they do not accept
 * goes to the zod schema, which decides and words the error as before. They accept nothing the schemas refuse
 * (`test/unit/iot-fast-contracts.test.ts` checks that on valid and mutated documents), and what they accept
 * is used as parsed, as zod would hand it back (no defaults or transforms in these schemas).
 */

const METRIC_NAME = /^[a-z][a-z0-9_]*$/;
const DEVICE_ID = /^dev_[0-9a-z]{26}$/;
const READING_KEYS = new Set(['ts', 'metric', 'value', 'seq', 'unit']);
const DEVICE_TYPES = new Set<string>(DEVICE_TYPE_NAMES);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const isEpochMs = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 1e12 && value <= 1e13 - 1;
const isFiniteNumber = (value: unknown): value is number => typeof value === 'number' && Number.isFinite(value);
const isCount = (value: unknown): value is number => typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
const isMetric = (value: unknown): value is string => typeof value === 'string' && value.length >= 1 && value.length <= 32 && METRIC_NAME.test(value);
const isUnit = (value: unknown) => value === undefined || (typeof value === 'string' && value.length >= 1 && value.length <= 16);

function isReading(value: unknown): boolean {
  if (!isRecord(value)) return false;
  for (const key in value) if (!READING_KEYS.has(key)) return false;
  return isEpochMs(value.ts) && isMetric(value.metric) && isFiniteNumber(value.value) && (value.seq === undefined || isCount(value.seq)) && isUnit(value.unit);
}

/** True only for an ingest body `IngestBody` accepts as it is. */
export function isPlainIngestBody(value: unknown): value is IngestBody {
  if (!isRecord(value)) return false;
  for (const key in value) if (key !== 'readings') return false;
  const readings = value.readings;
  if (!Array.isArray(readings) || readings.length < 1 || readings.length > MAX_READINGS_PER_REQUEST) return false;
  for (const reading of readings) if (!isReading(reading)) return false;
  return true;
}

function isPoint(value: unknown): boolean {
  if (!Array.isArray(value) || (value.length !== 2 && value.length !== 3)) return false;
  return isEpochMs(value[0]) && isFiniteNumber(value[1]) && (value.length === 2 || isCount(value[2]));
}

function isGroup(value: unknown): boolean {
  if (!isRecord(value) || !isMetric(value.metric) || !isUnit(value.unit)) return false;
  const points = value.points;
  if (!Array.isArray(points) || points.length < 1) return false;
  for (const point of points) if (!isPoint(point)) return false;
  return true;
}

/**
 * True only for a queue message `ReadingsMessage` accepts, with no keys it would strip (so the value is what
 * zod would answer).
 */
export function isPlainReadingsMessage(value: unknown): value is ReadingsMessage {
  if (!isRecord(value)) return false;
  for (const key in value) if (key !== 'v' && key !== 'deviceId' && key !== 'deviceType' && key !== 'requestId' && key !== 'receivedAt' && key !== 'groups') return false;
  if (value.v !== 1 || typeof value.deviceId !== 'string' || !DEVICE_ID.test(value.deviceId) || typeof value.deviceType !== 'string' || !DEVICE_TYPES.has(value.deviceType)) return false;
  if (typeof value.requestId !== 'string' || value.requestId.length < 1 || value.requestId.length > 128 || !isEpochMs(value.receivedAt)) return false;
  const groups = value.groups;
  if (!Array.isArray(groups) || groups.length < 1) return false;
  for (const group of groups) {
    if (!isGroup(group)) return false;
    for (const key in group) if (key !== 'metric' && key !== 'unit' && key !== 'points') return false;
  }
  return true;
}

/** `ReadingsMessage.safeParse`, answered without zod when the message is certainly valid. */
export function parseReadingsMessage(value: unknown): ReturnType<typeof ReadingsMessage.safeParse> {
  return isPlainReadingsMessage(value) ? { success: true, data: value } : ReadingsMessage.safeParse(value);
}

