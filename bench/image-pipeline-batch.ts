/**
 * The 50-at-once case alone, in rounds (a diagnostic beside `image-pipeline.bench.ts`, whose batch it repeats):
 * each round uploads `IMAGES` photos at once through the local cloud and searches for them every 100 ms as the
 * benchmark does, then runs the same number of images through the engine alone, 8 at a time, in this process.
 * Per round it prints images/s of both, the CPU per image of both (every thread of the process) and the batch's
 * CPU per image by thread: `main`, each function's instances, and `other` (libuv's pool where libvips works, V8's
 * platform threads).
 *
 *   npx tsx bench/image-pipeline-batch.ts                        # 3 rounds of 50
 *   ROUNDS=5 IMAGES=30 npx tsx bench/image-pipeline-batch.ts
 *   PERF=/tmp/p.data node --perf-basic-prof --import tsx bench/image-pipeline-batch.ts
 *     # `perf record -g` of this process during the last round's batch only (then `perf report -i /tmp/p.data
 *     # --sort comm,dso,sym`); a second file `<PERF>.alone` covers the engine-alone runs, `<PERF>.threads.json` names
 *     # the instances' thread ids
 *   PROMOTED=/tmp/promoted.json npx tsx bench/image-pipeline-batch.ts
 *     # what the last round's batch promoted to the old generation, by allocation site, in the main isolate and
 *     # in every worker thread (`promoted-allocations.ts`)
 *   ROUNDS=1 IDLE_S=120 node --single-threaded-gc --no-memory-reducer --import tsx bench/image-pipeline-batch.ts
 *     # then the idle cloud's RSS 5 s and 120 s after the last run (D119); with UNLOCK_FD=9 under
 *     # `( flock 9; … ) 9>/work/coord/machine.lock` the machine lock is released while it idles
 *   CLIENT=process npx tsx bench/image-pipeline-batch.ts
 *     # the batch's client (its 50 copies, uploads and searches) in a node process of its own, as a browser is: the
 *     # CPU per image is then the cloud's process alone, the client's own printed beside it
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg } from 'node:os';
import { constants as perfConstants, PerformanceObserver } from 'node:perf_hooks';
import { getHeapSpaceStatistics, setFlagsFromString } from 'node:v8';
import { imageEngineFromEnv } from '../functions/_shared/images/engine';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { tempDir } from '../test/helpers/temp';
import { samplePromotions } from './promoted-allocations';
import { cpuByRole, jpegCopy, searchIds, signIn, threadCpuMs, threadNames, thumbnailWork, upload } from './image-pipeline-shared';

const ROUNDS = Number(process.env.ROUNDS ?? 3);
const IMAGES = Number(process.env.IMAGES ?? 50);
const POLL_MS = 100;
const ASYNC_CONCURRENCY = 8;
/** `IDLE_S=120`: after the rounds, the idle cloud's RSS 5 s after the last batch and after this many seconds (D119). */
const IDLE_S = Number(process.env.IDLE_S ?? 0);
if (process.env.V8_FLAGS) setFlagsFromString(process.env.V8_FLAGS);

/**
 * With `V8_FLAGS` (e.g. `--trace-gc-nvp`), a line on stdout where each phase begins and ends, so V8's trace (also
 * on stdout, every isolate's) can be cut by phase: `bench/gc-trace-by-phase.ts` reads it.
 */
const phaseMark = (phase: string) => {
  if (process.env.V8_FLAGS) process.stdout.write(`# phase ${phase}\n`);
};

/** `CLIENT=process`: the batch's client runs in a child process (see the header). */
const CLIENT_IN_PROCESS = process.env.CLIENT !== 'process';

interface ClientJob {
  url: string;
  token: string;
  photoFile: string;
  word: string;
  tag: string;
  images: number;
}

/** The batch's client: copies, uploads all at once, searches until every image is found; prints its CPU ms. */
async function runClient(job: ClientJob): Promise<void> {
  const photo = readFileSync(job.photoFile);
  const cloud = { url: job.url } as LocalCloud;
  const bytes = Array.from({ length: job.images }, (_, i) => jpegCopy(photo, `${job.tag}-${i}`));
  const cpu = process.cpuUsage();
  const ids = await Promise.all(bytes.map((b) => upload(cloud, job.token, b, `Batch ${job.word}`)));
  await untilSearchable(cloud, job.word, ids);
  process.stdout.write(JSON.stringify({ cpuMs: cpuMs(cpu) }));
}

function batchInChild(job: ClientJob): Promise<number> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, ['--import', 'tsx', __filename, '--client', JSON.stringify(job)], { maxBuffer: 1 << 20 }, (err, stdout) =>
      err ? reject(err) : resolve((JSON.parse(stdout) as { cpuMs: number }).cpuMs),
    ),
  );
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const cpuMs = (since: NodeJS.CpuUsage) => {
  const used = process.cpuUsage(since);
  return (used.user + used.system) / 1000;
};

interface GcSummary {
  fullGcs: number;
  /** Of those, the ones V8 ran for external-memory pressure (the GC callbacks' "all external memory" flag). */
  externalGcs: number;
  fullGcMs: number;
  peakExternalMb: number;
  /** The largest the main isolate's new space (both semi-spaces) was while the phase ran. */
  peakNewSpaceMb: number;
  /** The process's peak resident memory while the phase ran (instances are threads of it). */
  peakRssMb: number;
}

const gcDetail = (entry: PerformanceEntry) => (entry as PerformanceEntry & { detail?: { kind?: number; flags?: number } }).detail ?? {};
const isFullGc = (entry: PerformanceEntry) => gcDetail(entry).kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR;
const forExternalMemory = (entry: PerformanceEntry) => ((gcDetail(entry).flags ?? 0) & perfConstants.NODE_PERFORMANCE_GC_FLAGS_ALL_EXTERNAL_MEMORY) !== 0;

/**
 * The main isolate's full mark-compacts while a phase runs (count, pauses, and how many V8 ran for external-memory
 * pressure) and the peak of its external memory (Buffers, ArrayBuffers): whether the in-flight bodies, not the
 * heap, are what starts the mark-compacts (D106).
 */
function watchMainGc(): () => GcSummary {
  let fullGcs = 0;
  let externalGcs = 0;
  let fullGcMs = 0;
  let peak = 0;
  let peakNewSpace = 0;
  let peakRss = 0;
  const count = (entries: PerformanceEntry[]) => {
    for (const entry of entries.filter(isFullGc)) {
      fullGcs++;
      if (forExternalMemory(entry)) externalGcs++;
      fullGcMs += entry.duration;
    }
  };
  const observer = new PerformanceObserver((list) => count(list.getEntries()));
  observer.observe({ entryTypes: ['gc'] });
  const sample = () => {
    const memory = process.memoryUsage();
    peak = Math.max(peak, memory.external);
    peakRss = Math.max(peakRss, memory.rss);
    peakNewSpace = Math.max(peakNewSpace, getHeapSpaceStatistics().find((s) => s.space_name === 'new_space')?.space_size ?? 0);
  };
  const sampler = setInterval(sample, 20);
  return () => {
    sample();
    clearInterval(sampler);
    count(observer.takeRecords());
    observer.disconnect();
    return { fullGcs, externalGcs, fullGcMs: Math.round(fullGcMs), peakExternalMb: Math.round(peak / 1e6), peakNewSpaceMb: Math.round(peakNewSpace / 1e6), peakRssMb: Math.round(peakRss / 1e6) };
  };
}

interface InstanceUse {
  /** Per function resource: invocations, cold starts, distinct instances, most instances at once, ms waited in line. */
  [resource: string]: { calls: number; cold: number; instances: number; peak: number; waitMs: number };
}

/**
 * How many instances the batch really used (D119): every invocation's record (cold start, instance, wait in line)
 * and the pools sampled every 20 ms for the most instances of each function at once. A cold start is a new isolate:
 * its module loading, compiling and first GCs are CPU the engine alone never pays.
 */
function watchInstances(cloud: LocalCloud): () => InstanceUse {
  const use: InstanceUse = {};
  const seen = new Map<string, Set<string>>();
  const entry = (resource: string) => (use[resource] ??= { calls: 0, cold: 0, instances: 0, peak: 0, waitMs: 0 });
  const onInvocation = (r: InvocationRecord) => {
    const u = entry(r.resource);
    u.calls++;
    if (r.coldStart) u.cold++;
    u.waitMs += r.waitMs;
    const ids = seen.get(r.resource) ?? new Set<string>();
    ids.add(r.instanceId);
    seen.set(r.resource, ids);
    u.instances = ids.size;
  };
  cloud.runtime.on('invocation', onInvocation);
  const sample = () => {
    for (const p of cloud.runtime.poolStats()) if (p.instances > 0) entry(p.resource).peak = Math.max(entry(p.resource).peak, p.instances);
  };
  const sampler = setInterval(sample, 20);
  return () => {
    clearInterval(sampler);
    cloud.runtime.off('invocation', onInvocation);
    // Only the functions the batch invoked: the other functions' prewarmed instances idle through it.
    return Object.fromEntries(Object.entries(use).filter(([, u]) => u.calls > 0).map(([resource, u]) => [resource, { ...u, waitMs: Math.round(u.waitMs) }]));
  };
}

/**
 * The idle cloud after a burst, as a developer's machine keeps it: resident memory 5 s after the last run and after
 * `IDLE_S` seconds, the instances still alive, and the CPU the process spent idling in between — what an idle
 * isolate's heap costs when V8 no longer shrinks it (`--no-memory-reducer`, D119).
 */
async function reportIdle(cloud: LocalCloud): Promise<void> {
  const sleep = (s: number) => new Promise((resolve) => setTimeout(resolve, s * 1000));
  const mb = () => Math.round(process.memoryUsage().rss / 1e6);
  const instances = () => cloud.runtime.poolStats().reduce((n, p) => n + p.instances, 0);
  releaseMachineLock();
  console.log(`idle begins (rss ${mb()} MB)`);
  await sleep(5);
  const soon = { rssMb: mb(), instances: instances() };
  const cpu = process.cpuUsage();
  await sleep(Math.max(0, IDLE_S - 5));
  const later = { rssMb: mb(), instances: instances(), idleCpuMs: Math.round(cpuMs(cpu)) };
  console.log(`idle: 5 s after ${JSON.stringify(soon)}; ${IDLE_S} s after ${JSON.stringify(later)}`);
}

/**
 * `UNLOCK_FD=9` with `( flock 9; node … ) 9>/work/coord/machine.lock`: the idle phase uses almost no CPU, so the
 * machine's exclusive lock is released for it (flock locks belong to the open file; `flock -u` on the inherited
 * descriptor releases it for everyone).
 */
function releaseMachineLock(): void {
  const fd = Number(process.env.UNLOCK_FD ?? NaN);
  if (!Number.isInteger(fd) || fd < 3) return;
  execFileSync('flock', ['-u', String(fd)], { stdio: ['ignore', 'inherit', 'inherit', ...Array<'ignore'>(fd - 3).fill('ignore'), fd] });
}

async function untilSearchable(cloud: LocalCloud, word: string, ids: string[]): Promise<void> {
  const seen = new Set<string>();
  const deadline = performance.now() + 120_000;
  while (seen.size < ids.length) {
    if (performance.now() > deadline) throw new Error(`${ids.length - seen.size} images not searchable`);
    for (const id of await searchIds(cloud, word)) seen.add(id);
    if (seen.size < ids.length) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
}

/** `perf record` of this process while `run` runs (when PERF names a file). */
async function perfAround<T>(file: string | undefined, run: () => Promise<T>): Promise<T> {
  let perf: ChildProcess | undefined;
  if (file) {
    perf = spawn('perf', ['record', '-g', '-F', '499', '-o', file, '-p', String(process.pid)], { stdio: 'ignore' });
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  try {
    return await run();
  } finally {
    if (perf) {
      perf.kill('SIGINT');
      await once(perf, 'exit');
    }
  }
}

async function main(): Promise<void> {
  const dir = tempDir('batch-');
  const env = { ...process.env, IMAGE_ENGINE: 'sharp' };
  const engine = await imageEngineFromEnv(env);
  const cloud = await startLocalCloud({ port: 0, dataDir: dir.path, prewarm: true, watch: false, env });
  try {
    await cloud.runtime.prewarm();
    const photo = await photoLikeJpeg(3000, 2000, 90);
    const photoFile = join(dir.path, 'photo.jpg');
    writeFileSync(photoFile, photo);
    const token = await signIn(cloud);
    const tag = Math.random().toString(36).slice(2, 8);
    let n = 0;
    const copy = () => jpegCopy(photo, `${tag}-${n++}`);
    // Warm-up as the benchmark's: one image, then the async queue's concurrency at once; the engine once.
    await untilSearchable(cloud, `bw${tag}w0`, [await upload(cloud, token, copy(), `Warm bw${tag}w0`)]);
    await untilSearchable(cloud, `bw${tag}w1`, await Promise.all(Array.from({ length: ASYNC_CONCURRENCY }, () => upload(cloud, token, copy(), `Warm bw${tag}w1`))));
    await thumbnailWork(engine, copy());

    const rows: { pipeline: number; alone: number; ratio: number; cpu: number; aloneCpu: number; byThread: Record<string, number>; aloneByThread: Record<string, number>; gc: GcSummary; aloneGc: GcSummary; instances: InstanceUse }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const word = `bw${tag}r${round}`;
      const bytes = CLIENT_IN_PROCESS ? Array.from({ length: IMAGES }, copy) : [];
      let clientCpu = 0;
      const stopSampling = round === ROUNDS - 1 && process.env.PROMOTED ? await samplePromotions() : undefined;
      const threads = cloud.runtime.instanceThreads();
      const before = threadCpuMs();
      const cpu = process.cpuUsage();
      const batchGc = watchMainGc();
      const batchInstances = watchInstances(cloud);
      const t0 = performance.now();
      phaseMark(`batch ${round + 1}`);
      await perfAround(round === ROUNDS - 1 ? process.env.PERF : undefined, async () => {
        if (!CLIENT_IN_PROCESS) {
          clientCpu = await batchInChild({ url: cloud.url, token, photoFile, word, tag: `${tag}-r${round}`, images: IMAGES });
          return;
        }
        const ids = await Promise.all(bytes.map((b) => upload(cloud, token, b, `Batch ${word}`)));
        await untilSearchable(cloud, word, ids);
      });
      const seconds = (performance.now() - t0) / 1000;
      phaseMark('end');
      if (stopSampling) writeFileSync(process.env.PROMOTED!, JSON.stringify(await stopSampling(), null, 1));
      const gc = batchGc();
      const instances = batchInstances();
      const batchCpu = cpuMs(cpu);
      const byThread = cpuByRole(before, threadCpuMs(), [...threads, ...cloud.runtime.instanceThreads()], threadNames());
      if (round === ROUNDS - 1 && process.env.PERF) writeFileSync(`${process.env.PERF}.threads.json`, JSON.stringify({ main: process.pid, instances: [...threads, ...cloud.runtime.instanceThreads()] }));

      const copies = Array.from({ length: IMAGES }, copy);
      const aloneBefore = threadCpuMs();
      const aloneCpu0 = process.cpuUsage();
      const aloneGc = watchMainGc();
      const a0 = performance.now();
      phaseMark(`alone ${round + 1}`);
      await perfAround(round === ROUNDS - 1 && process.env.PERF ? `${process.env.PERF}.alone` : undefined, async () => {
        const queue = [...copies];
        await Promise.all(Array.from({ length: ASYNC_CONCURRENCY }, async () => {
          for (let c = queue.shift(); c; c = queue.shift()) await thumbnailWork(engine, c);
        }));
      });
      const aloneSeconds = (performance.now() - a0) / 1000;
      phaseMark('end');
      const aloneGcs = aloneGc();
      const aloneCpu = cpuMs(aloneCpu0);
      const aloneByThread = cpuByRole(aloneBefore, threadCpuMs(), [], threadNames());
      const perImage = (r: Record<string, number>) => Object.fromEntries(Object.entries(r).filter(([, ms]) => ms > 0).map(([k, ms]) => [k, Math.round(ms / IMAGES)]));
      const row = { pipeline: IMAGES / seconds, alone: IMAGES / aloneSeconds, ratio: aloneSeconds / seconds, cpu: batchCpu / IMAGES, aloneCpu: aloneCpu / IMAGES, byThread: perImage(byThread), aloneByThread: perImage(aloneByThread), gc, aloneGc: aloneGcs, instances };
      rows.push(row);
      const client = CLIENT_IN_PROCESS ? '' : ` (+ the client's process ${(clientCpu / IMAGES).toFixed(0)})`;
      console.log(`round ${round + 1} (load ${loadavg()[0]!.toFixed(2)}): ${row.pipeline.toFixed(2)} vs ${row.alone.toFixed(2)} images/s = ${row.ratio.toFixed(2)}×; CPU ${row.cpu.toFixed(0)}${client} vs ${row.aloneCpu.toFixed(0)} ms per image; by thread ${JSON.stringify(row.byThread)} vs ${JSON.stringify(row.aloneByThread)}; main isolate ${JSON.stringify(gc)} vs ${JSON.stringify(aloneGcs)}; instances ${JSON.stringify(instances)}`);
    }
    if (IDLE_S > 0) await reportIdle(cloud);
    console.log(`median of ${ROUNDS}: ${median(rows.map((r) => r.ratio)).toFixed(2)}×; CPU ${median(rows.map((r) => r.cpu)).toFixed(0)} vs ${median(rows.map((r) => r.aloneCpu)).toFixed(0)} ms per image; main-isolate full GCs ${median(rows.map((r) => r.gc.fullGcs))} vs ${median(rows.map((r) => r.aloneGc.fullGcs))}`);
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

(process.argv[2] === '--client' ? runClient(JSON.parse(process.argv[3]!) as ClientJob) : main()).catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
