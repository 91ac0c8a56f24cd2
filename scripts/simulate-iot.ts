import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEVICE_TYPE_NAMES, isDeviceType, type DeviceType } from '../functions/_shared/iot/catalog';
import { DEFAULT_RATES } from './iot/signals';
import { describeDuration, runSimulator, type Progress, type SimulatorSummary } from './iot/simulator';

/**
 * `npm run simulate:iot -- --devices 100 --rate 2000 --duration 60s`: simulated devices posting signed
 * readings to the local cloud (or any deployment with `--url`). See scripts/iot/simulator.ts.
 */
const USAGE = `usage: npm run simulate:iot -- [options]
  --devices <n>       devices (default 10), named <prefix>-001…; registered once, reused after
  --rate <n>          readings per second over all devices (default 100)
  --duration <t>      stop after 90, 90s, 5m or 1h (default 60s; 0 runs until Ctrl-C)
  --url <url>         the API (default http://127.0.0.1:$PORT, PORT=9000)
  --types <list>      device types, comma-separated (default ${DEVICE_TYPE_NAMES.join(',')})
  --prefix <name>     device name prefix (default sim)
  --batch <n>         at most this many readings per request (default 500, the API's limit)
  --concurrency <n>   requests in flight (default 16)
  --retry-for <t>     keep retrying a request (5xx, 429, no connection) this long (default 30s)
  --anomalies <x>     multiply the rate of spikes, faults, glitches and dropouts (default 1; 0 for none)
  --record <file>     append every accepted reading (it got a 202) to this NDJSON file: {"d","m","t","v"}
  --refused <file>    append every reading the API refused to this NDJSON file, with its reason
  --state <file>      where device secrets are kept (default $DATA_DIR/simulator-devices.json)
  --user, --password  the admin that registers devices (default admin / admin-demo)`;

function main(): Promise<void> {
  const { values } = parsedOrUsage(() => parseArgs({
    options: {
      devices: { type: 'string', default: '10' },
      rate: { type: 'string', default: '100' },
      duration: { type: 'string', default: '60s' },
      url: { type: 'string', default: `http://127.0.0.1:${process.env.PORT ?? 9000}` },
      types: { type: 'string', default: DEVICE_TYPE_NAMES.join(',') },
      prefix: { type: 'string', default: 'sim' },
      batch: { type: 'string', default: '500' },
      concurrency: { type: 'string', default: '16' },
      'retry-for': { type: 'string', default: '30s' },
      anomalies: { type: 'string', default: '1' },
      record: { type: 'string' },
      refused: { type: 'string' },
      state: { type: 'string', default: join(process.env.DATA_DIR || '.data', 'simulator-devices.json') },
      user: { type: 'string', default: 'admin' },
      password: { type: 'string', default: 'admin-demo' },
      help: { type: 'boolean', short: 'h' },
    },
  }));
  if (values.help) {
    console.log(USAGE);
    return Promise.resolve();
  }
  const devices = positiveInt(values.devices, '--devices');
  const rate = positiveNumber(values.rate, '--rate');
  const batch = Math.min(500, positiveInt(values.batch, '--batch'));
  const types = values.types.split(',').map((t) => t.trim());
  const bad = types.filter((t) => !isDeviceType(t));
  if (bad.length) fail(`--types: unknown ${bad.join(', ')} (choose from ${DEVICE_TYPE_NAMES.join(', ')})`);
  const factor = Number(values.anomalies);
  if (!(factor >= 0)) fail('--anomalies must be a number ≥ 0');
  const durationMs = parseDuration(values.duration, '--duration');

  const controller = new AbortController();
  process.once('SIGINT', () => {
    process.stderr.write('\nstopping: sending what is queued…\n');
    controller.abort();
  });
  const tty = process.stdout.isTTY;
  let lastLine = 0;
  console.log(`simulating ${devices} devices at ${rate.toLocaleString('en')} readings/s → ${values.url}${durationMs ? ` for ${describeDuration(durationMs)}` : ' until Ctrl-C'}`);
  return runSimulator({
    url: values.url,
    devices,
    rate,
    durationMs,
    retryForMs: parseDuration(values['retry-for'], '--retry-for'),
    types: types as DeviceType[],
    prefix: values.prefix,
    concurrency: positiveInt(values.concurrency, '--concurrency'),
    maxBatch: batch,
    stateFile: values.state,
    admin: { username: values.user, password: values.password },
    anomalies: { spike: DEFAULT_RATES.spike * factor, fault: DEFAULT_RATES.fault * factor, glitch: DEFAULT_RATES.glitch * factor, dropout: DEFAULT_RATES.dropout * factor },
    signal: controller.signal,
    ...(values.record ? { recordFile: values.record } : {}),
    ...(values.refused ? { refusedFile: values.refused } : {}),
    log: (line) => console.log(tty ? `\r\x1b[K${line}` : line),
    onProgress: (p) => {
      if (tty) process.stdout.write(`\r\x1b[K${progressLine(p)}`);
      else if (p.elapsedMs - lastLine >= 5000) {
        lastLine = p.elapsedMs;
        console.log(progressLine(p));
      }
    },
  }).then((summary) => {
    if (tty) process.stdout.write('\r\x1b[K');
    printSummary(summary, values.url);
    if (summary.failed > 0) process.exitCode = 1;
  });
}

function progressLine(p: Progress): string {
  const n = (v: number) => Math.round(v).toLocaleString('en');
  return `${(p.elapsedMs / 1000).toFixed(0).padStart(4)} s │ ${n(p.rate).padStart(7)} readings/s │ accepted ${n(p.accepted)} │ rejected ${n(p.rejected)} │ requests ${n(p.requests)} (${n(p.retries)} retried, ${n(p.failed)} failed) │ p50 ${p.p50} ms p99 ${p.p99} ms │ in flight ${p.inFlight}, queued ${p.queued}`;
}

function printSummary(s: SimulatorSummary, apiUrl: string): void {
  const n = (v: number) => Math.round(v).toLocaleString('en');
  const lines = [
    '',
    `summary after ${(s.elapsedMs / 1000).toFixed(1)} s`,
    `  devices        ${s.devices.length} (${[...new Set(s.devices.map((d) => d.type))].join(', ')})`,
    `  sampled        ${n(s.sampled)} readings (dropouts excluded)`,
    `  accepted       ${n(s.accepted)} readings — ${n(s.achievedRate)} readings/s`,
    `  rejected       ${n(s.rejected)}${Object.keys(s.rejectedByReason).length ? ` (${Object.entries(s.rejectedByReason).map(([r, c]) => `${r} ${c}`).join(', ')})` : ''}`,
    `  requests       ${n(s.requests)}, ${n(s.retries)} retried, ${n(s.failed)} failed${Object.keys(s.failedByStatus).length ? ` (${Object.entries(s.failedByStatus).map(([k, c]) => `${k}: ${c}`).join(', ')})` : ''}`,
    `  latency        p50 ${s.latency.p50} ms, p95 ${s.latency.p95} ms, p99 ${s.latency.p99} ms, max ${Math.round(s.latency.max)} ms`,
    ...(s.unsent > 0 ? [`  not sent       ${n(s.unsent)} readings (still queued at the end, or in failed requests)`] : []),
    '',
    `open ${new URL('/iot', apiUrl).href} to watch them (sign in as admin / admin-demo)`,
  ];
  console.log(lines.join('\n'));
}

function parseDuration(text: string, flag: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!match) fail(`${flag}: "${text}" is not a duration (90, 90s, 5m, 1h)`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3600_000 }[(match![2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match![1]) * unit;
}

function positiveInt(text: string, flag: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) fail(`${flag} must be a whole number ≥ 1`);
  return value;
}

function positiveNumber(text: string, flag: string): number {
  const value = Number(text);
  if (!(value > 0)) fail(`${flag} must be a number > 0`);
  return value;
}

/** A mistyped flag gets its name and the usage, not node's stack trace. */
function parsedOrUsage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (err) {
    const unknown = /Unknown option '([^']+)'/.exec((err as Error).message);
    return fail(unknown ? `unknown option '${unknown[1]}'` : (err as Error).message.split('. ')[0]!);
  }
}

function fail(message: string): never {
  console.error(`${message}\n\n${USAGE}`);
  process.exit(2);
}

main().catch((err: unknown) => {
  console.error(`simulate:iot failed: ${(err as Error).message}`);
  process.exit(1);
});
