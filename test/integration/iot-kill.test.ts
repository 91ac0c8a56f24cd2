/**
 * A real crash in the middle of an IoT run: the local cloud (the real s.yaml, in its own process) is killed
 * with SIGKILL while the device simulator (`npm run simulate:iot`, a child process that signs and sends as
 * devices do) is posting readings, and started again on the same data folder and ports. The simulator
 * retries what the crash cut off and finishes; the MNS messages the dead ETL had received come back after
 * their visibility timeout. Read back through the public data API, every reading that got a 202 is stored
 * exactly once with the value sent, and nothing else is: no reading the API refused (per reading inside a
 * 202, or a whole request answered 4xx), no reading twice.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { DeviceCredentials, RawPoint } from '#shared/contracts/iot';
import { eventually } from '../helpers/eventually';
import { IotClient, postReadings } from '../helpers/iot-http';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

const REPO_ROOT = join(__dirname, '..', '..');
const SIMULATOR = join(REPO_ROOT, 'scripts', 'simulate-iot.ts');

interface Logged {
  d: string;
  m: string;
  t: number;
  v: number;
  reason?: string;
}

const keyOf = (r: { d: string; m: string; t: number }) => `${r.d} ${r.m} ${r.t}`;
const readLog = (file: string): Logged[] =>
  existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Logged)
    : [];

/** The simulator as a user runs it; resolves with its exit code and everything it printed. */
function runSimulator(args: string[]): { done: Promise<{ code: number | null; output: string }>; stop: () => void } {
  const child = spawn(process.execPath, ['--import', 'tsx', SIMULATOR, ...args], { cwd: REPO_ROOT, env: { ...process.env, LOG_LEVEL: 'silent' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    done: new Promise((resolve) => child.once('exit', (code) => resolve({ code, output }))),
    stop: () => void (child.exitCode === null && child.signalCode === null && child.kill('SIGKILL')),
  };
}

describe('IoT readings survive a killed local cloud', () => {
  const dir = tempDir('iot-kill-');
  const dataDir = join(dir.path, 'data');
  const accepted = join(dir.path, 'accepted.ndjson');
  const refused = join(dir.path, 'refused.ndjson');
  // A short visibility timeout: what the killed ETL had received comes back within seconds of the restart.
  const env = { IOT_QUEUE_VISIBILITY_SECONDS: '5' };
  let cloud: LocalCloudProcess | undefined;
  let simulator: ReturnType<typeof runSimulator> | undefined;

  afterAll(async () => {
    simulator?.stop();
    await cloud?.stop();
    dir.cleanup();
  });

  it('stores every reading that got a 202 exactly once, and none that was refused', async () => {
    cloud = await startLocalCloudProcess({ dataDir, env, seed: true, timeoutMs: 180_000 });
    const run = Date.now().toString(36);

    // One device the test drives itself, registered through the admin API: a request with a reading out of
    // the sensor's range (202, that reading listed as rejected) and a request with a bad signature (401),
    // before the kill and after it, so the refused side is never empty.
    let api = await IotClient.signIn(cloud.url);
    const probe = await api.register(`kill-probe-${run}`, 'env-sensor');
    const own = { accepted: [] as Logged[], refused: [] as Logged[] };
    const postProbe = async (label: number) => {
      const ts = Date.now() - 1000;
      const good = { ts, metric: 'temperature', value: 20 + label };
      const glitch = { ts: ts + 1, metric: 'temperature', value: 1000 };
      const res = await postReadings(cloud!.url, probe, { readings: [good, glitch] });
      expect(res).toMatchObject({ status: 202, body: { accepted: 1, rejected: [{ index: 1, reason: 'out-of-range' }] } });
      const forged = { ts: ts + 2, metric: 'temperature', value: 21 };
      expect((await postReadings(cloud!.url, { ...probe, secret: 'not-the-secret' } as DeviceCredentials, { readings: [forged] })).status).toBe(401);
      own.accepted.push({ d: probe.deviceId, m: good.metric, t: good.ts, v: good.value });
      own.refused.push({ d: probe.deviceId, m: glitch.metric, t: glitch.ts, v: glitch.value }, { d: probe.deviceId, m: forged.metric, t: forged.ts, v: forged.value });
    };

    // Eight devices at 400 readings/s: each sends a signed request of about 50 readings a second. Spikes,
    // faults and glitches ×20 so some readings are refused by the ingest (out of range) on the way.
    simulator = runSimulator([
      ...['--url', cloud.url, '--devices', '8', '--rate', '400', '--duration', '20s', '--concurrency', '8', '--anomalies', '20', '--retry-for', '180s'],
      ...['--prefix', `kill-${run}`, '--state', join(dir.path, 'devices.json'), '--record', accepted, '--refused', refused],
    ]);
    await postProbe(1);

    // The kill point: once the devices have had a few seconds' readings accepted, at a moment when the ETL's
    // trigger holds messages it received from `iot-readings` and has not deleted yet (it is gathering a batch
    // or the ETL is writing it), while the devices keep posting.
    const readingsQueue = async () => (await (await fetch(`${cloud!.url}/_local/api/queues/fcsuite-dev-iot-readings`)).json()) as { activeMessages: number; inactiveMessages: number };
    const atKill = await eventually(
      async () => {
        const count = readLog(accepted).length;
        expect(count).toBeGreaterThanOrEqual(1200);
        const queue = await readingsQueue();
        expect(queue.inactiveMessages).toBeGreaterThan(0);
        return { accepted: count, ...queue };
      },
      { timeoutMs: 120_000, intervalMs: 10 },
    );
    await cloud.kill('SIGKILL');
    await cloud.restart();
    api = await IotClient.signIn(cloud.url);
    await postProbe(2);

    const { code, output } = await simulator.done;
    // Exit code 0: no request failed for good — the retries spanned the restart.
    const summary = output.slice(output.indexOf('summary after'));
    expect({ code, summary }).toMatchObject({ code: 0 });
    // Requests were cut off by the kill (or refused while it was down) and sent again.
    const retried = Number(/requests\s+[\d,]+, ([\d,]+) retried/.exec(summary)?.[1]?.replace(/,/g, ''));
    expect({ retried, summary }).toMatchObject({ retried: expect.any(Number) });
    expect(retried).toBeGreaterThan(0);
    const sent = readLog(accepted);
    const expected = [...sent, ...own.accepted];
    // A reading refused somewhere and accepted nowhere must be absent from the store.
    const acceptedKeys = new Set(expected.map(keyOf));
    const absent = [...readLog(refused), ...own.refused].filter((r) => !acceptedKeys.has(keyOf(r)));
    expect(sent.length).toBeGreaterThan(atKill.accepted);
    expect(acceptedKeys.size).toBe(expected.length);
    expect(absent.length).toBeGreaterThanOrEqual(4);

    // Every series the run touched, read back through the data API (raw readings).
    const series = new Map<string, Logged[]>();
    for (const r of [...expected, ...absent]) series.set(`${r.d} ${r.m}`, [...(series.get(`${r.d} ${r.m}`) ?? []), r]);
    const from = Math.min(...[...expected, ...absent].map((r) => r.t)) - 1000;
    const to = Date.now() + 60_000;
    const stored = async () => {
      const points: Logged[] = [];
      for (const key of series.keys()) {
        const [d, m] = key.split(' ') as [string, string];
        const answer = await api.series(d, { metric: m, from, to, step: 'raw' });
        points.push(...(answer.points as RawPoint[]).map((p) => ({ d, m, t: p.ts, v: p.value })));
      }
      return points;
    };
    const byKey = (list: Logged[]) => [...list].sort((a, b) => (keyOf(a) < keyOf(b) ? -1 : keyOf(a) > keyOf(b) ? 1 : 0)).map((r) => ({ d: r.d, m: r.m, t: r.t, v: r.v }));
    // Exactly the accepted readings, each once; nothing refused. Readings the restarted ETL takes over
    // (redelivered after the visibility timeout) arrive within seconds.
    const final = await eventually(
      async () => {
        const points = await stored();
        const keys = new Set(points.map(keyOf));
        const seen = new Set<string>();
        expect({
          missing: expected.filter((r) => !keys.has(keyOf(r))).slice(0, 20),
          duplicated: points.filter((p) => seen.has(keyOf(p)) || !seen.add(keyOf(p))).slice(0, 20),
          refusedButStored: absent.filter((r) => keys.has(keyOf(r))),
          unexpected: points.filter((p) => !acceptedKeys.has(keyOf(p))).slice(0, 20),
        }).toEqual({ missing: [], duplicated: [], refusedButStored: [], unexpected: [] });
        return points;
      },
      { timeoutMs: 90_000, intervalMs: 250 },
    );
    // … with the value the device sent.
    expect(byKey(final)).toEqual(byKey(expected));
    console.log(`iot-kill: ${sent.length} readings accepted from the simulator (${atKill.accepted} before the kill, when the ETL held ${atKill.inactiveMessages} message(s) and ${atKill.activeMessages} waited), ${absent.length} refused, ${final.length} stored\n${summary}`);
  }, 400_000);
});
