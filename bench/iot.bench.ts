/**
 * The IoT ETL through the local cloud (issue 9):
 *
 * 1. Sustained ingest, end to end: simulated devices post signed 500-reading batches to `iot-ingest` as fast
 *    as the machine takes them (HTTP → MNS `iot-readings` → `iot-etl` → TableStore) for a fixed time; the
 *    end-to-end rate is the accepted readings over the time from the first request to the moment the last
 *    of them was stored. Alongside: table write calls per 1 000 readings (the ETL's BatchWriteRow calls from
 *    its logs; the ingest's replay-guard puts counted apart). Then the lag from a 202 to the reading being
 *    readable through the data API, from a probe device posting one reading at a time while the fleet sends
 *    a steady rate below saturation (at saturation the lag is just the backlog).
 *    Baseline in the same run: the ETL's own work without HTTP or MNS — `processReadings` on the same
 *    messages through the same TableStore adapter and emulator — so the pipeline's overhead is a ratio.
 * 2. Series query for one day of 1-second data on one device: reading the day's 86 400 raw readings vs
 *    the 1-minute and 1-hour rollups of the same day (adapter level), and the data API's answer for the
 *    day at 1-minute and 1-hour resolution.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { HOUR_MS, MINUTE_MS, readRaw, readRollups, T } from '../functions/_shared/iot/rows';
import { processReadings } from '../functions/iot-etl/core';
import { toMessages } from '../functions/iot-ingest/core';
import { runRollup } from '../functions/iot-rollup/core';
import { startLocalCloud } from '../scripts/local/cloud';
import { runSimulator, type SimulatorOptions, type SimulatorSummary } from '../scripts/iot/simulator';
import { cpuByRole, threadCpuMs } from './image-pipeline-shared';
import type { SimulatorProcessResult } from './iot-simulator-process';
import { IotClient, postReadings } from '../test/helpers/iot-http';
import { localCloudTable } from '../test/helpers/tablestore';
import { tempDir } from '../test/helpers/temp';
import { report, sample, stats, type Goal } from './lib';

const DEVICES = 50;
const TARGET_RATE = 40_000;
const DURATION_MS = 20_000;
const GOAL_RATE = 20_000;
const LAG_RATE = 5_000;
const LAG_DURATION_MS = 15_000;
const GOAL_WRITES_PER_1000 = 5;
const QUIET = { spike: 0, fault: 0, glitch: 0, dropout: 0 };

interface EtlLog {
  stored: number;
  duplicates: number;
  writeCalls: number;
  at: number;
}

async function main(): Promise<void> {
  const dir = tempDir('bench-iot-');
  const etl: EtlLog[] = [];
  const cloud = await startLocalCloud({
    port: 0,
    dataDir: join(dir.path, 'data'),
    watch: false,
    onLog: (fn, text) => {
      if (fn.resource !== 'iot-etl') return;
      for (const line of text.split('\n')) {
        if (!line.includes('"readings stored"')) continue;
        const entry = JSON.parse(line) as EtlLog;
        etl.push({ stored: entry.stored, duplicates: entry.duplicates, writeCalls: entry.writeCalls, at: performance.now() });
      }
    },
  });
  try {
    await cloud.runtime.prewarm();
    const api = await IotClient.signIn(cloud.url);
    // The fleet runs in a process of its own, as `npm run simulate:iot` does for a user (D81);
    // BENCH_IOT_SIMULATOR=in-process runs it in this process, on the local cloud's main thread, as before.
    let simulatorCpuMs = 0;
    const simulate = async (rate: number, durationMs: number, recordFile?: string): Promise<SimulatorSummary> => {
      const options: SimulatorOptions = {
        url: cloud.url,
        devices: DEVICES,
        rate,
        durationMs,
        types: ['env-sensor', 'power-meter', 'pump'],
        prefix: 'bench',
        concurrency: 16,
        maxBatch: 500,
        stateFile: join(dir.path, 'devices.json'),
        admin: { username: 'admin', password: 'admin-demo' },
        anomalies: QUIET,
        ...(recordFile ? { recordFile } : {}),
      };
      if (process.env.BENCH_IOT_SIMULATOR === 'in-process') return runSimulator(options);
      const result = await simulatorProcess(options);
      simulatorCpuMs += result.cpuMs;
      return result.summary;
    };

    // Warm-up: every instance on the path started, tables and queue touched.
    await simulate(5000, 4000);
    await waitForQuiet(etl);

    // 1. Sustained ingest: as fast as the machine takes it.
    const before = etl.length;
    const loadBefore = loadavg();
    // CPU of the whole process — the local cloud's main thread, every function instance's thread, and the
    // simulator — over the run: what each reading costs, which a busy machine slows but does not inflate much.
    const cpuBefore = process.cpuUsage();
    const threadsBefore = threadCpuMs();
    const simulatorCpuBefore = simulatorCpuMs;
    const watch = watchMainThread(cloud.runtime);
    const started = performance.now();
    const record = join(dir.path, 'accepted.ndjson');
    const summary = await simulate(TARGET_RATE, DURATION_MS, record);
    const httpDone = performance.now();
    const accepted = readFileSync(record, 'utf8').split('\n').filter(Boolean).length;
    // Everything accepted is stored when the ETL's stored counts reach it.
    const deadline = performance.now() + 300_000;
    while (sum(etl.slice(before), 'stored') < accepted && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const cpu = process.cpuUsage(cpuBefore);
    const threadsAfter = threadCpuMs();
    // The TableStore emulator's own thread (D85), when the local cloud has one, counted apart from V8's helpers.
    const tablestoreThread = cloud.tablestore.emulator.osThreadId;
    const namedThreads = [...cloud.runtime.instanceThreads(), ...(tablestoreThread ? [{ resource: 'tablestore-thread', osThreadId: tablestoreThread }] : [])];
    const threads = cpuByRole(threadsBefore, threadsAfter, namedThreads);
    const otherThreads = otherByName(threadsBefore, threadsAfter, namedThreads);
    const mainThread = watch.stop();
    const simulatorCpu = simulatorCpuMs - simulatorCpuBefore;
    const loadAfter = loadavg();
    const run = etl.slice(before);
    const storedAll = sum(run, 'stored');
    const lastStored = run.reduce((t, e) => Math.max(t, e.at), 0);
    const seconds = (lastStored - started) / 1000;
    const endToEndRate = accepted / seconds;
    const writesPer1000 = (sum(run, 'writeCalls') / storedAll) * 1000;
    // Per 1 000 readings: everything (the local cloud's process and the simulator's), as before D81.
    const cpuMsPer1000 = ((cpu.user + cpu.system) / 1000 + simulatorCpu) / accepted * 1000;
    const per1000 = (ms: number) => Number(((ms / accepted) * 1000).toFixed(1));
    const threadCpuPer1000 = Object.fromEntries(Object.entries({ ...threads, simulator: simulatorCpu }).map(([role, ms]) => [role, per1000(ms)]));
    const ingestWritesPer1000 = (summary.requests / summary.accepted) * 1000;
    await waitForQuiet(etl);

    // 202 → readable: a probe device posts one reading at a time and polls the data API until it is there,
    // while the fleet sends a steady LAG_RATE (below what the machine sustains, so no backlog builds up).
    const probe = await api.register('bench-probe', 'env-sensor');
    const lags: number[] = [];
    let probeErrors = 0;
    let probing = true;
    const probeLoop = (async () => {
      while (probing) {
        const ts = Date.now();
        const res = await postReadings(cloud.url, probe, { readings: [{ ts, metric: 'co2', value: 600 }] });
        const acceptedAt = performance.now();
        if (res.status !== 202) continue;
        for (;;) {
          // A query that fails under load (the data API timing out) is counted and asked again: the lag is
          // what a user polling the API sees, and one slow answer must not lose the run's numbers.
          const points = await api.series(probe.deviceId, { metric: 'co2', from: ts, to: ts + 1, step: 'raw' }).then(
            (answer) => answer.points,
            () => (probeErrors++, []),
          );
          if (points.length) break;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        lags.push(performance.now() - acceptedAt);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    })();
    const steady = await simulate(LAG_RATE, LAG_DURATION_MS);
    probing = false;
    await probeLoop;

    if (process.env.BENCH_IOT_ONLY_INGEST) {
      console.log(JSON.stringify({ simulator: process.env.BENCH_IOT_SIMULATOR === 'in-process' ? 'in-process' : 'own process', accepted, seconds, endToEndRate: Math.round(endToEndRate), cpuMsPer1000: Number(cpuMsPer1000.toFixed(1)), threadCpuPer1000, otherThreadsPer1000: Object.fromEntries(Object.entries(otherThreads).map(([k, ms]) => [k, per1000(ms)])), mainThread, httpLatencyMs: summary.latency, httpRate: Math.round(summary.achievedRate), httpSeconds: (httpDone - started) / 1000, writesPer1000, etlInvocations: run.length, lag: stats(lags), probeErrors, loadBefore, loadAfter }));
      return;
    }
    // Baseline: the ETL's work alone on the same volume, through the same adapter and emulator.
    const table = await localCloudTable(cloud.url);
    const baselineDevice = { deviceId: (await api.register('bench-baseline', 'pump')).deviceId, type: 'pump' as const };
    const baselineReadings = Math.min(accepted, 200_000);
    const now = Date.now();
    const messages = [];
    for (let i = 0; i < baselineReadings; i += 500) {
      const readings = Array.from({ length: Math.min(500, baselineReadings - i) }, (_, j) => ({ ts: now - 3600_000 + (i + j) * 10, metric: ['pressure', 'flow', 'vibration'][(i + j) % 3]!, value: 5 }));
      messages.push(...toMessages(baselineDevice, readings, `b${i}`, now));
    }
    const clock = { now: () => Date.now() };
    const t0 = performance.now();
    for (let i = 0; i < messages.length; i += 64) await processReadings(messages.slice(i, i + 64).map((body, j) => ({ messageId: `m${i + j}`, body })), { table, clock });
    const baselineRate = baselineReadings / ((performance.now() - t0) / 1000);

    // 2. One day of 1-second data on one device: raw vs rollups.
    const dayDevice = (await api.register('bench-day', 'env-sensor')).deviceId;
    const dayEnd = Math.floor((Date.now() - HOUR_MS) / MINUTE_MS) * MINUTE_MS;
    const dayStart = dayEnd - 24 * HOUR_MS;
    for (let t = dayStart; t < dayEnd; t += 500_000) {
      const readings = Array.from({ length: Math.min(500, (dayEnd - t) / 1000) }, (_, i) => ({ ts: t + i * 1000, metric: 'temperature', value: 20 + 5 * Math.sin((t + i * 1000) / 3_600_000) }));
      const chunk = toMessages({ deviceId: dayDevice, type: 'env-sensor' }, readings, `day${t}`, t + 500_000);
      await processReadings(chunk.map((body, j) => ({ messageId: `d${t}-${j}`, body })), { table, clock });
    }
    await table.putRow(T.work, { kind: 'cursor', key: 'rollup' }, { rolledUntil: dayStart, updatedAt: 0 });
    const topic = { publish: async () => ({ messageId: 'bench', bodyMd5: '' }) };
    for (let i = 0; i < 12; i++) await runRollup({ table, topic, topicName: 'alerts', clock });
    const rawMs = stats(await sample(() => readRaw(table, dayDevice, 'temperature', dayStart, dayEnd), 5, 1));
    const minuteMs = stats(await sample(() => readRollups(table, dayDevice, 'temperature', '1m', dayStart, dayEnd), 10, 2));
    const hourMs = stats(await sample(() => readRollups(table, dayDevice, 'temperature', '1h', dayStart, dayEnd), 20, 2));
    const apiMinuteMs = stats(await sample(() => api.series(dayDevice, { metric: 'temperature', from: dayStart, to: dayEnd, step: '1m' }), 10, 2));
    const apiHourMs = stats(await sample(() => api.series(dayDevice, { metric: 'temperature', from: dayStart, to: dayEnd, step: '1h' }), 20, 2));
    const rawCount = (await readRaw(table, dayDevice, 'temperature', dayStart, dayEnd)).length;

    const lag = stats(lags);
    const goals: Goal[] = [
      { name: `sustained ingest end to end ≥ ${GOAL_RATE.toLocaleString('en')} readings/s`, measured: `${Math.round(endToEndRate).toLocaleString('en')} readings/s (${accepted.toLocaleString('en')} readings in ${seconds.toFixed(1)} s; HTTP side ${Math.round(summary.achievedRate).toLocaleString('en')}/s; the ETL alone ${Math.round(baselineRate).toLocaleString('en')}/s)`, met: endToEndRate >= GOAL_RATE },
      { name: `202 → readable lag while ${LAG_RATE.toLocaleString('en')} readings/s flow`, measured: `p50 ${lag.p50} ms, p99 ${lag.p99} ms (${lag.n} probes)`, met: true },
      { name: `table write calls per 1 000 readings ≤ ${GOAL_WRITES_PER_1000} (ETL)`, measured: `${writesPer1000.toFixed(2)} BatchWriteRow calls (plus ${ingestWritesPer1000.toFixed(2)} replay-guard puts by the ingest)`, met: writesPer1000 <= GOAL_WRITES_PER_1000 },
      { name: 'a day of 1-s data: the 1-minute series answers faster than reading the raw day', measured: `raw day ${rawMs.p50} ms (${rawCount} rows) vs 1m ${minuteMs.p50} ms, 1h ${hourMs.p50} ms; API 1m ${apiMinuteMs.p50} ms, 1h ${apiHourMs.p50} ms`, met: minuteMs.p50 < rawMs.p50 },
    ];
    report({
      name: 'iot',
      description: 'IoT ETL: sustained signed ingest → MNS → ETL → TableStore, 202→readable lag, and a day of 1-s data raw vs rollups',
      results: {
        ingest: {
          devices: DEVICES,
          targetRate: TARGET_RATE,
          durationMs: DURATION_MS,
          accepted,
          rejected: summary.rejected,
          requests: summary.requests,
          httpRate: Math.round(summary.achievedRate),
          httpLatencyMs: summary.latency,
          httpSeconds: (httpDone - started) / 1000,
          endToEndSeconds: seconds,
          endToEndRate: Math.round(endToEndRate),
          cpuMsPer1000Readings: Number(cpuMsPer1000.toFixed(1)),
          simulator: process.env.BENCH_IOT_SIMULATOR === 'in-process' ? 'in-process' : 'own process',
          threadCpuMsPer1000Readings: threadCpuPer1000,
          mainThread,
          loadAverage: { before: loadBefore.map((n) => Number(n.toFixed(2))), after: loadAfter.map((n) => Number(n.toFixed(2))) },
          etlInvocations: run.length,
          etlStored: storedAll,
          etlWriteCalls: sum(run, 'writeCalls'),
          writeCallsPer1000: Number(writesPer1000.toFixed(3)),
          ingestReplayGuardWritesPer1000: Number(ingestWritesPer1000.toFixed(3)),
          lagMs: lag,
          lagProbeErrors: probeErrors,
          lagUnderRate: Math.round(steady.achievedRate),
          baselineEtlAloneRate: Math.round(baselineRate),
          ratioToBaseline: Number((endToEndRate / baselineRate).toFixed(3)),
        },
        dayOfSeconds: { rows: rawCount, rawReadMs: rawMs, minuteRollupReadMs: minuteMs, hourRollupReadMs: hourMs, apiMinuteMs, apiHourMs, rawOverMinute: Number((rawMs.p50 / minuteMs.p50).toFixed(1)), rawOverHour: Number((rawMs.p50 / hourMs.p50).toFixed(1)) },
      },
      goals,
    });
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

/** The main thread's time on a core and waiting in the run queue (`/proc/<pid>/task/<pid>/schedstat`, ns). */
function mainSchedStat(): { runMs: number; waitMs: number } | undefined {
  try {
    const [run, wait] = readFileSync(`/proc/self/task/${process.pid}/schedstat`, 'utf8').trim().split(' ').map(Number);
    return { runMs: run! / 1e6, waitMs: wait! / 1e6 };
  } catch {
    return undefined;
  }
}

/** The CPU of the threads that are neither the main thread nor an instance, by their kernel name (GC helpers, libuv's pool). */
function otherByName(before: Map<number, number>, after: Map<number, number>, instances: { osThreadId: number }[]): Record<string, number> {
  const known = new Set([process.pid, ...instances.map((i) => i.osThreadId)]);
  const out: Record<string, number> = {};
  for (const [tid, ms] of after) {
    if (known.has(tid)) continue;
    let name = '?';
    try {
      name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim();
    } catch {
      // ended meanwhile
    }
    out[name] = (out[name] ?? 0) + ms - (before.get(tid) ?? 0);
  }
  return out;
}

/** The fleet in its own process (bench/iot-simulator-process.ts), as a user runs `npm run simulate:iot`. */
function simulatorProcess(options: SimulatorOptions): Promise<SimulatorProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'iot-simulator-process.ts'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`the simulator process exited with ${code}`));
      resolve(JSON.parse(out.trim().split('\n').pop()!) as SimulatorProcessResult);
    });
  });
}

/**
 * The local cloud's main thread (gateway, emulators, triggers, pool) while the fleet sends: its event-loop
 * utilisation over the run and second by second (how many seconds it was ≥ 90 % busy), and the function pools'
 * busy and queued invocations sampled each second — where the path waits when the machine has CPU to spare.
 */
function watchMainThread(runtime: { poolStats(): { resource: string; busy: number; queued: number; instances: number }[] }) {
  const start = performance.eventLoopUtilization();
  const schedStart = mainSchedStat();
  let last = start;
  const perSecond: number[] = [];
  const pools = new Map<string, { samples: number; busy: number; queued: number; maxBusy: number; maxQueued: number; maxInstances: number }>();
  const timer = setInterval(() => {
    const now = performance.eventLoopUtilization();
    perSecond.push(performance.eventLoopUtilization(now, last).utilization);
    last = now;
    for (const p of runtime.poolStats()) {
      if (!p.resource.startsWith('iot-')) continue;
      const s = pools.get(p.resource) ?? { samples: 0, busy: 0, queued: 0, maxBusy: 0, maxQueued: 0, maxInstances: 0 };
      s.samples++;
      s.busy += p.busy;
      s.queued += p.queued;
      s.maxBusy = Math.max(s.maxBusy, p.busy);
      s.maxQueued = Math.max(s.maxQueued, p.queued);
      s.maxInstances = Math.max(s.maxInstances, p.instances);
      pools.set(p.resource, s);
    }
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      const r = (n: number) => Number(n.toFixed(2));
      const elu = performance.eventLoopUtilization(start);
      const sched = mainSchedStat();
      return {
        utilization: r(elu.utilization),
        // Of the time the event loop was busy: on a core, waiting for one (run queue), or neither (blocked in a call).
        busyMs: Math.round(elu.active),
        onCpuMs: sched && schedStart ? Math.round(sched.runMs - schedStart.runMs) : undefined,
        runQueueMs: sched && schedStart ? Math.round(sched.waitMs - schedStart.waitMs) : undefined,
        secondsAtLeast90: perSecond.filter((u) => u >= 0.9).length,
        seconds: perSecond.length,
        perSecond: perSecond.map(r),
        pools: Object.fromEntries([...pools].map(([name, s]) => [name, { meanBusy: r(s.busy / s.samples), maxBusy: s.maxBusy, meanQueued: r(s.queued / s.samples), maxQueued: s.maxQueued, maxInstances: s.maxInstances }])),
      };
    },
  };
}

function sum(list: EtlLog[], key: 'stored' | 'duplicates' | 'writeCalls'): number {
  return list.reduce((n, e) => n + e[key], 0);
}

async function waitForQuiet(log: EtlLog[]): Promise<void> {
  for (let last = -1; last !== log.length; ) {
    last = log.length;
    await new Promise((resolve) => setTimeout(resolve, 1500));
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
