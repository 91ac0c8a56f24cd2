import { spawnSync } from 'node:child_process';
/**
 * The device simulator's bookkeeping against a scripted API (a plain HTTP server): what it records as
 * accepted (`--record`) and refused (`--refused`) matches what the API answered, request by request, and a
 * request that keeps failing is retried only for `retryForMs`.
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { IngestResponse } from '#shared/contracts/iot';
import { describeDuration, fullBatches, runSimulator, type SimulatorOptions } from '../../scripts/iot/simulator';
import { tempDir } from '../helpers/temp';

interface Posted {
  deviceId: string;
  readings: { ts: number; metric: string; value: number }[];
  status: number;
  answer?: IngestResponse;
}

/** Answers the admin calls the simulator makes, and each `POST /api/iot/events` as `script` says. */
async function scriptedApi(script: (n: number, readings: Posted['readings']) => { status: number; answer?: IngestResponse }, answerAfterMs = 0): Promise<{ url: string; posted: Posted[]; server: Server }> {
  const posted: Posted[] = [];
  const send = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      if (req.url === '/api/auth/token') return send(res, 200, { token: 'token' });
      if (req.url === '/api/iot/devices' && req.method === 'GET') return send(res, 200, { items: [] });
      if (req.url === '/api/iot/devices' && req.method === 'POST') {
        const { name, type } = JSON.parse(body) as { name: string; type: string };
        return send(res, 201, { deviceId: `dev_${name.replace(/\W/g, '')}`, name, type, secret: 'secret', createdAt: new Date().toISOString() });
      }
      if (req.url === '/api/iot/events') {
        const readings = (JSON.parse(body) as { readings: Posted['readings'] }).readings;
        const { status, answer } = script(posted.length + 1, readings);
        posted.push({ deviceId: String(req.headers['x-device-id']), readings, status, ...(answer ? { answer } : {}) });
        const reply = () => send(res, status, answer ?? { error: { code: status === 400 ? 'InvalidArgument' : 'ServiceUnavailable', message: 'scripted' } });
        return void (answerAfterMs ? setTimeout(reply, answerAfterMs) : reply());
      }
      send(res, 404, {});
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, posted, server };
}

const lines = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { d: string; m: string; t: number; v: number; reason?: string });

describe('the device simulator', () => {
  const dir = tempDir('simulator-');
  const servers: Server[] = [];
  afterAll(async () => {
    await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
    dir.cleanup();
  });
  const options = (url: string, name: string, extra: Partial<SimulatorOptions> = {}): SimulatorOptions => ({
    url,
    devices: 1,
    rate: 20,
    durationMs: 1500,
    types: ['pump'],
    prefix: name,
    concurrency: 1,
    maxBatch: 5,
    stateFile: join(dir.path, `${name}-devices.json`),
    admin: { username: 'admin', password: 'admin-demo' },
    anomalies: { spike: 0, fault: 0, glitch: 0, dropout: 0 },
    recordFile: join(dir.path, `${name}-accepted.ndjson`),
    refusedFile: join(dir.path, `${name}-refused.ndjson`),
    ...extra,
  });

  it('records each reading the API accepted and each it refused, with the reason', async () => {
    // 1st request: 503 (retried); 2nd: 202 refusing its first reading; 3rd: 400; the rest: 202.
    const api = await scriptedApi((n, readings) =>
      n === 1 ? { status: 503 } : n === 2 ? { status: 202, answer: { accepted: readings.length - 1, rejected: [{ index: 0, reason: 'out-of-range', detail: 'scripted' }] } } : n === 3 ? { status: 400 } : { status: 202, answer: { accepted: readings.length, rejected: [] } },
    );
    servers.push(api.server);
    const summary = await runSimulator(options(api.url, 'book'));

    const key = (deviceId: string, r: { metric: string; ts: number; value: number }) => ({ d: deviceId, m: r.metric, t: r.ts, v: r.value });
    const deviceId = summary.devices[0]!.deviceId;
    const expectedAccepted = api.posted.flatMap((p) => (p.status === 202 ? p.readings.filter((_, i) => !p.answer!.rejected.some((r) => r.index === i)).map((r) => key(deviceId, r)) : []));
    const expectedRefused = [{ ...key(deviceId, api.posted[1]!.readings[0]!), reason: 'out-of-range' }, ...api.posted[2]!.readings.map((r) => ({ ...key(deviceId, r), reason: 'http 400' }))];
    expect(api.posted.length).toBeGreaterThanOrEqual(4);
    // The 503'd request was sent again with the same readings.
    expect(api.posted[1]!.readings).toEqual(api.posted[0]!.readings);
    expect(lines(join(dir.path, 'book-accepted.ndjson'))).toEqual(expectedAccepted);
    expect(lines(join(dir.path, 'book-refused.ndjson'))).toEqual(expectedRefused);
    expect(summary).toMatchObject({ retries: 1, rejected: 1, failed: 1, failedByStatus: { '400': 1 } });
  });

  it('sends every sampled reading once, also those held back for a fuller batch', async () => {
    // 2 000 readings/s from one device flushing every 50 ms: ~100 readings a flush, batches of 30 (the old way sent ~10 readings alone after each three full batches).
    const api = await scriptedApi((_, readings) => ({ status: 202, answer: { accepted: readings.length, rejected: [] } }));
    servers.push(api.server);
    const summary = await runSimulator(options(api.url, 'carry', { rate: 2000, durationMs: 1000, maxBatch: 30 }));
    const sent = api.posted.flatMap((p) => p.readings.map((r) => `${r.metric}|${r.ts}`));
    expect(new Set(sent).size).toBe(sent.length);
    expect(sent.length).toBe(summary.sampled);
    expect(summary.unsent).toBe(0);
    // Every request between the first flush (what was sampled since the start: a batch or less, sent whole) and
    // the one that ends the run is full: the rest of a flush waits for the next one.
    const middle = api.posted.slice(1, -1).map((p) => p.readings.length);
    expect(middle.length).toBeGreaterThan(10);
    expect(middle).toEqual(middle.map(() => 30));
  });

  it('lets every device report when the API cannot keep up, not only the first ones (D136)', async () => {
    // One request in flight answered after 40 ms: far fewer requests than 20 devices flushing every 50 ms would send.
    const api = await scriptedApi((_, readings) => ({ status: 202, answer: { accepted: readings.length, rejected: [] } }), 40);
    servers.push(api.server);
    const summary = await runSimulator(options(api.url, 'fair', { devices: 20, rate: 2000, durationMs: 2000, maxBatch: 50 }));
    // Requests sent while the run lasted (the drain at the end sends every device's rest anyway).
    const during = api.posted.slice(0, Math.floor(api.posted.length / 2));
    const reporting = new Set(during.map((p) => p.deviceId));
    expect(summary.devices).toHaveLength(20);
    expect(reporting.size).toBe(20);
  });

  it('gives up on a request that keeps failing once its retry time is over', async () => {
    const api = await scriptedApi(() => ({ status: 503 }));
    servers.push(api.server);
    const summary = await runSimulator(options(api.url, 'down', { durationMs: 1000, retryForMs: 300 }));
    expect(summary.failed).toBeGreaterThanOrEqual(1);
    expect(summary.failedByStatus).toEqual({ '503': summary.failed });
    expect(summary.retries).toBeGreaterThanOrEqual(1);
    expect(lines(join(dir.path, 'down-accepted.ndjson'))).toEqual([]);
    expect(lines(join(dir.path, 'down-refused.ndjson'))).toEqual([]);
  });
});

describe('what a device sends in one flush', () => {
  const readings = (n: number) => Array.from({ length: n }, (_, i) => i);
  it('sends a batch or less whole, at once', () => {
    expect(fullBatches([], 5)).toEqual({ batches: [], carried: [] });
    expect(fullBatches(readings(3), 5)).toEqual({ batches: [[0, 1, 2]], carried: [] });
    expect(fullBatches(readings(5), 5)).toEqual({ batches: [[0, 1, 2, 3, 4]], carried: [] });
  });

  it('holds the partial rest of a device that fell behind for its next flush, so every request is full', () => {
    expect(fullBatches(readings(12), 5)).toEqual({ batches: [readings(5), [5, 6, 7, 8, 9]], carried: [10, 11] });
    expect(fullBatches(readings(10), 5)).toEqual({ batches: [readings(5), [5, 6, 7, 8, 9]], carried: [] });
  });
});

describe('the simulator header', () => {
  it('says how long the run lasts with a unit (--duration 20 is 20 seconds)', () => {
    expect(describeDuration(20_000)).toBe('20 s');
    expect(describeDuration(5 * 60_000)).toBe('5 min');
    expect(describeDuration(90 * 60_000)).toBe('1 h 30 min');
    expect(describeDuration(3600_000 + 5_000)).toBe('1 h 5 s');
  });
});

describe('npm run simulate:iot with a wrong option', () => {
  it('names the option and shows the usage, without a stack trace', () => {
    const run = spawnSync(process.execPath, ['--import', 'tsx', join(__dirname, '..', '..', 'scripts', 'simulate-iot.ts'), '--devcies', '10'], { encoding: 'utf8', timeout: 60_000 });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unknown option '--devcies'");
    expect(run.stderr).toContain('usage: npm run simulate:iot -- [options]');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  }, 60_000);
});
