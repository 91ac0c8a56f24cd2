import { DeviceId, IngestBody, MAX_INGEST_BODY_BYTES, type DeviceRow, type IngestResponse, type ReadingsMessage, type RejectedReading } from '#shared/contracts/iot';
import { isPlainIngestBody } from '#shared/contracts/iot-fast';
import { AppError, ConditionFailedError, RetryableError, TooManyRequestsError, ValidationError } from '#shared/errors';
import { checkReading, type DeviceType } from '#shared/iot/catalog';
import { getDevice, T } from '#shared/iot/rows';
import type { SecretBox } from '#shared/iot/secret-box';
import { DEVICE_HEADERS, MAX_SIGNATURE_SKEW_MS, signatureMatches } from '#shared/iot/signature';
import type { Clock } from '#shared/ports/clock';
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_LIMIT, type Queue, type QueueMessageInput } from '#shared/ports/queue';
import type { Table } from '#shared/ports/table';
import { bodyText } from '#shared/validation';
import { parseWith } from '#shared/validation';

/**
 * iot-ingest: `POST /api/iot/events` from a device (PRODUCT.md §3 IoT, §4 IoT ETL step 1).
 *
 * Order of checks, cheapest first and nothing written before the request is known good (D34):
 * body size → headers → clock skew → device → HMAC over the exact bytes → JSON and shape (a client bug
 * refuses the whole request, 400 naming the field) → per-reading checks (the request is accepted, the
 * reading is listed in `rejected`) → replay guard (a conditional put of the signature: 409 the second time)
 * → `BatchSendMessage` to `iot-readings` → 202. If the queue refuses, the replay guard is released so the
 * device may send the same signed request again.
 */
export interface IngestDeps {
  table: Table;
  queue: Queue;
  queueName: string;
  clock: Clock;
  secrets: SecretBox;
  devices: DeviceCache;
  /** Per-device request rate limit (429 beyond it); none when omitted. */
  limiter?: DeviceRateLimiter;
}

export interface IngestRequest {
  headers: Record<string, string>;
  body: Buffer;
  requestId: string;
}

/**
 * A raw message body stays under this so its base64 form (what the MNS adapter sends) is at most 60 KiB,
 * inside MNS's 64 KiB per message and per batch.
 */
export const MAX_MESSAGE_JSON_BYTES = 45 * 1024;

export class DeviceAuthError extends AppError {
  constructor(code: string, message: string, header: string) {
    super(401, code, message, [{ path: `headers.${header}`, message }]);
  }
}

export async function ingest(request: IngestRequest, deps: IngestDeps): Promise<IngestResponse> {
  if (request.body.length > MAX_INGEST_BODY_BYTES) {
    throw new AppError(413, 'PayloadTooLarge', `body is ${request.body.length} bytes; at most ${MAX_INGEST_BODY_BYTES}`, [{ path: 'body', message: `at most ${MAX_INGEST_BODY_BYTES} bytes` }]);
  }
  const { deviceId, timestamp, signature } = readHeaders(request.headers);
  const now = deps.clock.now();
  if (Math.abs(now - Number(timestamp)) > MAX_SIGNATURE_SKEW_MS) {
    throw new DeviceAuthError('StaleTimestamp', `${DEVICE_HEADERS.timestamp} is more than 5 minutes from the server clock (${new Date(now).toISOString()})`, DEVICE_HEADERS.timestamp);
  }
  const device = await deps.devices.verify(deviceId, (secret) => signatureMatches(secret, timestamp, request.body, signature), deps.table, deps.secrets);
  // Only a device that proved itself counts against its own limit (no one can throttle another device).
  deps.limiter?.take(deviceId, now);

  const json = parseBody(request.body);
  const body = isPlainIngestBody(json) ? json : parseWith(IngestBody, json, 'body');
  const rejected: RejectedReading[] = [];
  const accepted: IngestBody['readings'] = [];
  const seen = new Set<string>();
  body.readings.forEach((reading, index) => {
    const check = checkReading(device.type, reading, now);
    const key = `${reading.metric}\u0000${reading.ts}`;
    if (!check.ok) rejected.push({ index, reason: check.problem, detail: check.detail });
    else if (seen.has(key)) rejected.push({ index, reason: 'duplicate', detail: `an earlier reading of this request has the same metric and ts` });
    else {
      seen.add(key);
      accepted.push(reading);
    }
  });

  await claimSignature(deps.table, deviceId, signature, request.requestId, now);
  if (accepted.length) {
    try {
      await enqueue(toMessages(device, accepted, request.requestId, now), deps);
    } catch (err) {
      await deps.table.deleteRow(T.requests, { deviceId, signature }).catch(() => undefined);
      throw err;
    }
  }
  return { accepted: accepted.length, rejected };
}

function parseBody(bytes: Buffer): unknown {
  if (bytes.length === 0) return undefined;
  const text = bodyText(bytes);
  try {
    return JSON.parse(text);
  } catch (err) {
    const hint = /[:,[]\s*-?(NaN|Infinity)\b/.test(text) ? ' (JSON has no NaN or Infinity: send finite numbers only)' : '';
    const message = `not valid JSON: ${(err as Error).message}${hint}`;
    throw new ValidationError(`body is ${message}`, [{ path: 'body', message }]);
  }
}

function readHeaders(headers: Record<string, string>): { deviceId: string; timestamp: string; signature: string } {
  const deviceId = headers[DEVICE_HEADERS.deviceId]?.trim() ?? '';
  const timestamp = headers[DEVICE_HEADERS.timestamp]?.trim() ?? '';
  const signature = headers[DEVICE_HEADERS.signature]?.trim() ?? '';
  if (!deviceId) throw new DeviceAuthError('MissingDeviceId', `send the ${DEVICE_HEADERS.deviceId} header`, DEVICE_HEADERS.deviceId);
  if (!DeviceId.safeParse(deviceId).success) throw new DeviceAuthError('UnknownDevice', `${DEVICE_HEADERS.deviceId} is not a device id (dev_…)`, DEVICE_HEADERS.deviceId);
  if (!/^\d{13}$/.test(timestamp)) throw new DeviceAuthError('InvalidTimestamp', `${DEVICE_HEADERS.timestamp} must be Unix epoch milliseconds (13 digits)`, DEVICE_HEADERS.timestamp);
  if (!/^[0-9a-fA-F]{64}$/.test(signature)) throw new DeviceAuthError('InvalidSignature', `${DEVICE_HEADERS.signature} must be 64 hex digits: hex(HMAC-SHA256(secret, timestamp + "." + body))`, DEVICE_HEADERS.signature);
  return { deviceId, timestamp, signature: signature.toLowerCase() };
}

/** The replay guard: a signature is good once. */
async function claimSignature(table: Table, deviceId: string, signature: string, requestId: string, now: number): Promise<void> {
  try {
    await table.putRow(T.requests, { deviceId, signature }, { requestId, at: now }, { condition: { row: 'EXPECT_NOT_EXIST' } });
  } catch (err) {
    if (err instanceof ConditionFailedError) {
      throw new AppError(409, 'ReplayedRequest', 'this signature was already used: sign each request with a fresh x-timestamp', [
        { path: `headers.${DEVICE_HEADERS.signature}`, message: 'already used' },
      ]);
    }
    throw err;
  }
}

/** Readings → queue messages grouped by metric and unit, each under `MAX_MESSAGE_JSON_BYTES`. */
export function toMessages(device: Pick<DeviceRow, 'deviceId' | 'type'>, readings: IngestBody['readings'], requestId: string, receivedAt: number): string[] {
  const header = { v: 1 as const, deviceId: device.deviceId, deviceType: device.type, requestId, receivedAt };
  const overhead = Buffer.byteLength(JSON.stringify({ ...header, groups: [] }));
  const messages: string[] = [];
  let groups = new Map<string, ReadingsMessage['groups'][number]>();
  let size = overhead;
  const flush = () => {
    if (groups.size) messages.push(JSON.stringify({ ...header, groups: [...groups.values()] }));
    groups = new Map();
    size = overhead;
  };
  for (const r of readings) {
    const point: [number, number] | [number, number, number] = r.seq === undefined ? [r.ts, r.value] : [r.ts, r.value, r.seq];
    // `[ts,value]` or `[ts,value,seq]` and its comma, as JSON.stringify writes finite numbers (String(n)),
    // without stringifying every reading twice.
    const pointBytes = 4 + String(r.ts).length + String(r.value).length + (r.seq === undefined ? 0 : 1 + String(r.seq).length);
    const key = `${r.metric}\u0000${r.unit ?? ''}`;
    const groupBytes = groups.has(key) ? 0 : JSON.stringify({ metric: r.metric, unit: r.unit, points: [] }).length + 1;
    if (size + pointBytes + groupBytes > MAX_MESSAGE_JSON_BYTES) flush();
    let group = groups.get(key);
    if (!group) {
      group = { metric: r.metric, ...(r.unit !== undefined ? { unit: r.unit } : {}), points: [] };
      groups.set(key, group);
      size += JSON.stringify({ metric: r.metric, unit: r.unit, points: [] }).length + 1;
    }
    group.points.push(point);
    size += pointBytes;
  }
  flush();
  return messages;
}

const wireBytes = (body: string) => 4 * Math.ceil(Buffer.byteLength(body) / 3);

/** `BatchSendMessage` in batches of ≤ 16 messages and ≤ 64 KiB on the wire; failed entries are sent once more. */
async function enqueue(bodies: string[], deps: Pick<IngestDeps, 'queue' | 'queueName'>): Promise<void> {
  let pending: QueueMessageInput[] = bodies.map((body) => ({ body }));
  for (let attempt = 0; pending.length && attempt < 2; attempt++) {
    const failed: QueueMessageInput[] = [];
    for (const batch of batches(pending)) {
      const results = await deps.queue.sendBatch(deps.queueName, batch);
      results.forEach((result, i) => {
        if (!result.ok) failed.push(batch[i]!);
      });
    }
    pending = failed;
  }
  if (pending.length) throw new RetryableError(`the readings queue refused ${pending.length} message(s); send the request again`, 'QueueUnavailable');
}

function batches(messages: QueueMessageInput[]): QueueMessageInput[][] {
  const out: QueueMessageInput[][] = [];
  let current: QueueMessageInput[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = wireBytes(message.body);
    if (current.length && (current.length === QUEUE_BATCH_LIMIT || bytes + size > QUEUE_BATCH_BYTES)) {
      out.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length) out.push(current);
  return out;
}

/**
 * A token bucket per device and instance: `perSecond` requests a second on average, bursts up to `burst`.
 * A device sends one request per second or so (≤ 500 readings each); one far above that is broken or abusive.
 */
export class DeviceRateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(
    private readonly perSecond = 20,
    private readonly burst = 40,
  ) {}

  take(deviceId: string, now: number): void {
    const bucket = this.buckets.get(deviceId) ?? { tokens: this.burst, at: now };
    bucket.tokens = Math.min(this.burst, bucket.tokens + ((now - bucket.at) / 1000) * this.perSecond);
    bucket.at = now;
    if (bucket.tokens < 1) {
      this.buckets.set(deviceId, bucket);
      throw new TooManyRequestsError(`device ${deviceId} sends more than ${this.perSecond} requests a second; batch readings (up to 500 a request)`, (1 - bucket.tokens) / this.perSecond);
    }
    bucket.tokens -= 1;
    if (this.buckets.size > 50_000) this.buckets.clear();
    this.buckets.set(deviceId, bucket);
  }
}

interface CachedDevice {
  device: Pick<DeviceRow, 'deviceId' | 'type' | 'secretIssuedAt'>;
  secret: string;
  loadedAt: number;
}

/**
 * Device secrets opened once per instance and kept for `ttlMs`: the ingest then costs no table read per
 * request. A signature that does not match a cached secret is checked once more against a fresh read, so a
 * rotated secret works at once; the old secret stops working within `ttlMs` (D33).
 */
export class DeviceCache {
  private readonly entries = new Map<string, CachedDevice>();
  constructor(
    private readonly clock: Clock,
    private readonly ttlMs = 60_000,
    private readonly maxEntries = 10_000,
  ) {}

  async verify(deviceId: string, matches: (secret: string) => boolean, table: Table, secrets: SecretBox): Promise<{ deviceId: string; type: DeviceType }> {
    const now = this.clock.now();
    const cached = this.entries.get(deviceId);
    if (cached && now - cached.loadedAt < this.ttlMs && matches(cached.secret)) return { deviceId, type: cached.device.type };
    const fresh = await this.load(deviceId, table, secrets, now);
    if (!fresh) throw new DeviceAuthError('UnknownDevice', `no device ${deviceId} is registered`, DEVICE_HEADERS.deviceId);
    if (!matches(fresh.secret)) throw new DeviceAuthError('InvalidSignature', `${DEVICE_HEADERS.signature} does not match: sign timestamp + "." + body with the device secret`, DEVICE_HEADERS.signature);
    return { deviceId, type: fresh.device.type };
  }

  private async load(deviceId: string, table: Table, secrets: SecretBox, now: number): Promise<CachedDevice | undefined> {
    const device = await getDevice(table, deviceId);
    if (!device) {
      this.entries.delete(deviceId);
      return undefined;
    }
    const entry = { device, secret: secrets.open(device.secretSealed, deviceId), loadedAt: now };
    if (this.entries.size >= this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    this.entries.set(deviceId, entry);
    return entry;
  }
}
