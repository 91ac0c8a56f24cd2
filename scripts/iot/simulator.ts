import { createWriteStream, existsSync, mkdirSync, readFileSync, writeFileSync, type WriteStream } from 'node:fs';
import { dirname } from 'node:path';
import type { DeviceCredentials, DeviceListResponse, IngestResponse } from '../../functions/_shared/contracts/iot';
import { DEVICE_TYPES, type DeviceType } from '../../functions/_shared/iot/catalog';
import { DEVICE_HEADERS, signDeviceRequest } from '../../functions/_shared/iot/signature';
import { DEFAULT_RATES, DeviceSignal, type AnomalyRates, type SimReading } from './signals';

/**
 * The device simulator behind `npm run simulate:iot`: N devices post signed batches to `POST /api/iot/events`
 * as real devices would. Devices are registered through the admin API the first time and reused after
 * (their secrets are kept in a state file; a device whose secret was lost gets a new one by rotation).
 *
 * Each device samples its metrics on a fixed grid and sends what it sampled every `interval` (up to 500
 * readings a request). When the server is slower than the devices, requests queue up to a bound and the
 * devices buffer (their next requests carry everything since the last one, in full batches of 500 — a partial
 * rest waits for the next flush rather than going out alone), as devices do. A 5xx or a
 * network error (or a 429) is retried with backoff, signed afresh each time (the ETL drops what was already
 * stored).
 */
export interface SimulatorOptions {
  url: string;
  devices: number;
  /** Readings per second over all devices. */
  rate: number;
  /** Stop after this long (0: until `signal` aborts). */
  durationMs: number;
  /** Retry a request (5xx, 429, network error) until this long after its first attempt (default 30 s). */
  retryForMs?: number;
  types: DeviceType[];
  prefix: string;
  concurrency: number;
  maxBatch: number;
  stateFile: string;
  admin: { username: string; password: string };
  /** Append every reading that got a 202 (and was not rejected) to this NDJSON file. */
  recordFile?: string;
  /**
   * Append every reading the API refused to this NDJSON file, with the reason: listed in a 202's `rejected`,
   * or in a request answered with a 4xx (other than 429, which is retried).
   */
  refusedFile?: string;
  anomalies?: AnomalyRates;
  signal?: AbortSignal;
  /** Called about once a second with the running totals. */
  onProgress?: (progress: Progress) => void;
  log?: (line: string) => void;
}

export interface Progress {
  elapsedMs: number;
  /** Readings the devices sampled (dropouts excluded). */
  sampled: number;
  sent: number;
  accepted: number;
  rejected: number;
  requests: number;
  retries: number;
  failed: number;
  inFlight: number;
  queued: number;
  /** Accepted readings per second over the last few seconds. */
  rate: number;
  p50: number;
  p99: number;
}

export interface SimulatorSummary extends Progress {
  devices: { deviceId: string; name: string; type: DeviceType }[];
  rejectedByReason: Record<string, number>;
  failedByStatus: Record<string, number>;
  latency: { p50: number; p95: number; p99: number; max: number };
  /** Accepted readings per second over the whole run. */
  achievedRate: number;
  /** Readings sampled but never accepted (still queued at the end, or in failed requests). */
  unsent: number;
}

interface SimDevice {
  credentials: DeviceCredentials;
  signal: DeviceSignal;
  nextFlush: number;
  sampledUntil: number;
  lastTimestamp: number;
  /** Readings sampled but held for the next flush, to fill its first batch (fewer, fuller requests). */
  carried: SimReading[];
}

interface Job {
  device: SimDevice;
  readings: SimReading[];
  attempt: number;
  /** When the first attempt was sent (0: not yet): retries stop `retryForMs` after it. */
  firstSentAt: number;
}

const RETRY_BASE_MS = 200;
const MAX_BACKOFF_MS = 3000;
/** How long a request keeps being retried by default: long enough for a restart of the local cloud. */
export const DEFAULT_RETRY_FOR_MS = 30_000;
const DRAIN_MS = 30_000;

export async function runSimulator(options: SimulatorOptions): Promise<SimulatorSummary> {
  const log = options.log ?? (() => undefined);
  const base = options.url.replace(/\/$/, '');
  const devices = await provisionDevices(base, options, log);
  const perDevice = options.rate / devices.length;
  const start = Date.now();
  const intervalMs = Math.min(1000, Math.max(50, (1000 * options.maxBatch) / perDevice));
  const sims: SimDevice[] = devices.map((credentials, i) => {
    const metricCount = Object.keys(DEVICE_TYPES[credentials.type].metrics).length;
    return {
      credentials,
      signal: new DeviceSignal(credentials.deviceId, credentials.type, perDevice / metricCount, options.anomalies ?? DEFAULT_RATES),
      nextFlush: start + (i / devices.length) * intervalMs,
      sampledUntil: start,
      lastTimestamp: 0,
      carried: [],
    };
  });

  const totals = { sampled: 0, sent: 0, accepted: 0, rejected: 0, requests: 0, retries: 0, failed: 0 };
  const rejectedByReason: Record<string, number> = {};
  const failedByStatus: Record<string, number> = {};
  const latencies: number[] = [];
  const recent: { at: number; accepted: number }[] = [];
  const queue: Job[] = [];
  let inFlight = 0;
  const record: WriteStream | undefined = options.recordFile ? openRecord(options.recordFile) : undefined;
  const refusals: WriteStream | undefined = options.refusedFile ? openRecord(options.refusedFile) : undefined;
  const line = (deviceId: string, r: SimReading, reason?: string) => JSON.stringify({ d: deviceId, m: r.metric, t: r.ts, v: r.value, ...(reason ? { reason } : {}) });
  const maxQueued = options.concurrency * 4;

  const send = async (job: Job): Promise<void> => {
    const device = job.device;
    if (!job.firstSentAt) job.firstSentAt = Date.now();
    const timestamp = Math.max(Date.now(), device.lastTimestamp + 1);
    device.lastTimestamp = timestamp;
    const body = JSON.stringify({ readings: job.readings });
    const started = performance.now();
    let status = 0;
    let answer: IngestResponse | undefined;
    try {
      const res = await fetch(`${base}/api/iot/events`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [DEVICE_HEADERS.deviceId]: device.credentials.deviceId,
          [DEVICE_HEADERS.timestamp]: String(timestamp),
          [DEVICE_HEADERS.signature]: signDeviceRequest(device.credentials.secret, String(timestamp), body),
        },
        body,
      });
      status = res.status;
      const text = await res.text();
      if (status === 202) answer = JSON.parse(text) as IngestResponse;
      else if (status < 500) log(`request refused: ${status} ${text.slice(0, 300)}`);
    } catch {
      // A network error (status stays 0) is retried like a 5xx.
    }
    latencies.push(performance.now() - started);
    if (latencies.length > 200_000) latencies.splice(0, 100_000);
    totals.requests += 1;
    if (answer) {
      totals.sent += job.readings.length;
      totals.accepted += answer.accepted;
      totals.rejected += answer.rejected.length;
      recent.push({ at: Date.now(), accepted: answer.accepted });
      for (const r of answer.rejected) rejectedByReason[r.reason] = (rejectedByReason[r.reason] ?? 0) + 1;
      const refused = new Map(answer.rejected.map((r) => [r.index, r.reason]));
      if (record) {
        const lines = job.readings.filter((_, i) => !refused.has(i)).map((r) => line(device.credentials.deviceId, r));
        if (lines.length) record.write(`${lines.join('\n')}\n`);
      }
      if (refusals && refused.size) refusals.write(`${[...refused].map(([i, reason]) => line(device.credentials.deviceId, job.readings[i]!, reason)).join('\n')}\n`);
      return;
    }
    if (refusals && status >= 400 && status < 500 && status !== 429) refusals.write(`${job.readings.map((r) => line(device.credentials.deviceId, r, `http ${status}`)).join('\n')}\n`);
    if ((status === 0 || status === 429 || status >= 500) && Date.now() - job.firstSentAt < (options.retryForMs ?? DEFAULT_RETRY_FOR_MS)) {
      totals.retries += 1;
      await sleep(Math.min(MAX_BACKOFF_MS, RETRY_BASE_MS * 2 ** job.attempt) * (0.75 + Math.random() / 2));
      queue.unshift({ ...job, attempt: job.attempt + 1 });
      return;
    }
    totals.failed += 1;
    failedByStatus[String(status || 'network')] = (failedByStatus[String(status || 'network')] ?? 0) + 1;
  };

  const pump = () => {
    while (inFlight < options.concurrency && queue.length) {
      const job = queue.shift()!;
      inFlight += 1;
      void send(job).finally(() => {
        inFlight -= 1;
        pump();
      });
    }
  };

  const progress = (): Progress => {
    const now = Date.now();
    while (recent.length && recent[0]!.at < now - 5000) recent.shift();
    const window = Math.min(5000, now - start) / 1000 || 1;
    const sorted = [...latencies].sort((a, b) => a - b);
    return {
      elapsedMs: now - start,
      ...totals,
      inFlight,
      queued: queue.length,
      rate: recent.reduce((n, r) => n + r.accepted, 0) / window,
      p50: percentile(sorted, 0.5),
      p99: percentile(sorted, 0.99),
    };
  };

  const ticker = setInterval(() => options.onProgress?.(progress()), 1000);
  try {
    const end = options.durationMs > 0 ? start + options.durationMs : Number.POSITIVE_INFINITY;
    // Where the last pass found the queue full: the next pass starts there, so when the API cannot keep up every
    // device still gets its turn (starting at the first device each time, the last ones never reported).
    let turn = 0;
    while (!options.signal?.aborted && Date.now() < end) {
      const now = Date.now();
      for (let k = 0; k < sims.length; k++) {
        const index = (turn + k) % sims.length;
        if (queue.length >= maxQueued) {
          turn = index;
          break;
        }
        const sim = sims[index]!;
        if (sim.nextFlush > now) continue;
        const sampled = sim.signal.readings(sim.sampledUntil, now);
        sim.sampledUntil = now;
        sim.nextFlush += intervalMs * Math.max(1, Math.ceil((now - sim.nextFlush) / intervalMs));
        totals.sampled += sampled.length;
        const { batches, carried } = fullBatches([...sim.carried, ...sampled], options.maxBatch);
        sim.carried = carried;
        for (const readings of batches) queue.push({ device: sim, readings, attempt: 0, firstSentAt: 0 });
      }
      pump();
      await sleep(Math.max(5, Math.min(50, intervalMs / 4)));
    }
    // Readings held back for a fuller batch go out now.
    for (const sim of sims) if (sim.carried.length) queue.push({ device: sim, readings: sim.carried.splice(0), attempt: 0, firstSentAt: 0 });
    // A request still being retried at the end gets its whole retry time.
    const drainUntil = Date.now() + Math.max(DRAIN_MS, (options.retryForMs ?? DEFAULT_RETRY_FOR_MS) + MAX_BACKOFF_MS);
    while ((queue.length || inFlight) && Date.now() < drainUntil) {
      pump();
      await sleep(20);
    }
  } finally {
    clearInterval(ticker);
    await Promise.all([record, refusals].map((stream) => stream && new Promise<void>((resolve) => stream.end(resolve))));
  }
  const final = progress();
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    ...final,
    devices: devices.map((d) => ({ deviceId: d.deviceId, name: d.name, type: d.type })),
    rejectedByReason,
    failedByStatus,
    latency: { p50: percentile(sorted, 0.5), p95: percentile(sorted, 0.95), p99: percentile(sorted, 0.99), max: sorted[sorted.length - 1] ?? 0 },
    achievedRate: totals.accepted / (Math.max(1, final.elapsedMs) / 1000),
    unsent: totals.sampled - totals.sent,
  };
}

/**
 * A flush's readings as requests of `maxBatch`: a device that fell behind (the machine did not keep up) has more
 * than one batch's worth, and then the partial rest waits for the next flush instead of going out as a small
 * request of its own — a device batches what it has, and every request costs the same signing, HTTP and queue
 * call whatever it carries. One batch or less goes out whole, so a slow device never holds readings back.
 */
export function fullBatches<T>(readings: T[], maxBatch: number): { batches: T[][]; carried: T[] } {
  if (readings.length <= maxBatch) return { batches: readings.length ? [readings] : [], carried: [] };
  const full = readings.length - (readings.length % maxBatch);
  const batches: T[][] = [];
  for (let i = 0; i < full; i += maxBatch) batches.push(readings.slice(i, i + maxBatch));
  return { batches, carried: readings.slice(full) };
}

// ---------- devices: register once, reuse after ----------

interface StateFile {
  [url: string]: DeviceCredentials[];
}

async function provisionDevices(base: string, options: SimulatorOptions, log: (line: string) => void): Promise<DeviceCredentials[]> {
  const token = await signIn(base, options.admin);
  const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const registry = (await call<DeviceListResponse>(`${base}/api/iot/devices`, { headers: auth })).items;
  const state = readState(options.stateFile);
  const saved = new Map((state[base] ?? []).map((d) => [d.name, d]));
  const out: DeviceCredentials[] = [];
  let registered = 0;
  let rotated = 0;
  for (let i = 0; i < options.devices; i++) {
    const name = `${options.prefix}-${String(i + 1).padStart(3, '0')}`;
    const type = options.types[i % options.types.length]!;
    const known = saved.get(name);
    const listed = registry.find((d) => d.name === name && d.type === type);
    if (known && known.type === type && listed?.deviceId === known.deviceId) {
      out.push(known);
      continue;
    }
    if (listed) {
      out.push(await call<DeviceCredentials>(`${base}/api/iot/devices/${listed.deviceId}/secret`, { method: 'POST', headers: auth }));
      rotated += 1;
    } else {
      out.push(await call<DeviceCredentials>(`${base}/api/iot/devices`, { method: 'POST', headers: auth, body: JSON.stringify({ name, type }) }));
      registered += 1;
    }
    state[base] = [...(state[base] ?? []).filter((d) => d.name !== name), out[out.length - 1]!];
    writeState(options.stateFile, state);
  }
  log(`devices: ${out.length} (${out.length - registered - rotated} reused, ${registered} registered, ${rotated} with a new secret) — secrets in ${options.stateFile}`);
  return out;
}

async function signIn(base: string, admin: { username: string; password: string }): Promise<string> {
  return (await call<{ token: string }>(`${base}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(admin) })).token;
}

async function call<T>(url: string, init: RequestInit): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    let res: Response;
    try {
      res = await fetch(url, init);
    } catch (err) {
      if (attempt >= 8) throw new Error(`${init.method ?? 'GET'} ${url}: ${(err as Error).message} (is the local cloud running? npm start)`, { cause: err });
      await sleep(250 * 2 ** Math.min(attempt, 4));
      continue;
    }
    const text = await res.text();
    if (res.ok) return JSON.parse(text) as T;
    if (res.status >= 500 && attempt < 8) {
      await sleep(250 * 2 ** Math.min(attempt, 4));
      continue;
    }
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${res.status}: ${text.slice(0, 300)}`);
  }
}

function readState(file: string): StateFile {
  if (!existsSync(file)) return {};
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as StateFile;
  } catch {
    return {};
  }
}

function writeState(file: string, state: StateFile): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

function openRecord(file: string): WriteStream {
  mkdirSync(dirname(file), { recursive: true });
  return createWriteStream(file, { flags: 'a' });
}

function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return 0;
  return Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! * 10) / 10;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A run's length for people: `20 s`, `5 min`, `1 h 30 min` (what `--duration 20`, `5m`, `90m` mean). */
export function describeDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds} s`;
  const h = Math.floor(seconds / 3600);
  const min = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return [h ? `${h} h` : '', min ? `${min} min` : '', s ? `${s} s` : ''].filter(Boolean).join(' ');
}
