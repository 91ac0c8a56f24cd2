/**
 * The image pipeline end to end through the local cloud (issue 4), as the website drives it: sign in,
 * `POST /api/uploads`, PUT the bytes with plain fetch to the signed OSS URL, then poll `/api/search` for a
 * word only that image's title has (OSS trigger → make-thumbnail → OSS trigger → catalog-image → table
 * stream → index-image → search document).
 * - latency: upload → searchable p50/p95, one image at a time;
 * - throughput: 50 uploads at once, images per second from the first request to the last search hit, and
 *   the process's peak RSS over the run, sampled every 50 ms (function instances are worker threads in this
 *   process, so their memory is in it);
 * both with the sharp engine, and with `IMAGE_ENGINE=jimp` for fewer images.
 * Baseline in the same run: the thumbnail work alone — `imageEngineFromEnv()` probing and making the same
 * two sizes (256, and 1024 watermarked) from the same bytes in this process, interleaved with the uploads
 * for latency and with the async queue's concurrency for throughput — so the pipeline's cost is a ratio.
 *
 * The photo is a 3000×2000 photo-like JPEG made once with sharp; every upload gets its own copy with a
 * distinct JPEG comment segment, so no cache anywhere (libvips' operation cache included) can recognise a
 * repeat, while the pixels — and so the work — stay the same.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { imageEngineFromEnv } from '../functions/_shared/images/engine';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { tempDir } from '../test/helpers/temp';
import { cpuByRole, jpegCopy, searchIds, signIn, threadCpuMs, thumbnailWork, upload } from './image-pipeline-shared';
import { report, stats, type Goal, type Stats } from './lib';

const WIDTH = 3000;
const HEIGHT = 2000;
/** How often the latency client searches: the measurement's resolution, one image at a time. */
const POLL_MS = 20;
/**
 * How often the batch's client searches for the batch's word. Every hit is seen at the first search after it
 * became searchable, so a coarser poll can only make the batch look slower (by at most this over a run of
 * seconds); at 20 ms the client's own searches cost ~5 ms of CPU each, a quarter of a core beside the pipeline.
 */
const BATCH_POLL_MS = 100;
const IMAGE_TIMEOUT_MS = 120_000;
/** After the batch and the engine-alone run: the cloud idles this long, then its RSS and threads' CPU are read over as long again. */
const IDLE_MS = 5000;

// V8 flags for every isolate of the process, the instances' included (a worker refuses them in its execArgv): for
// comparing a flag's effect, e.g. `V8_FLAGS=--memory-reducer` against the local cloud's default.
if (process.env.V8_FLAGS) setFlagsFromString(process.env.V8_FLAGS);
/** The local async queue runs this many events at once (AsyncInvoker's default): the baseline gets the same. */
const ASYNC_CONCURRENCY = 8;

interface EnginePlan {
  engine: 'sharp' | 'jimp';
  latencyImages: number;
  /** Concurrent uploads to start instances before the timed batch (0: the batch pays its own cold starts). */
  warmupBatch: number;
  batchImages: number;
}

/** `BENCH_ENGINES=sharp` runs one engine's plan while working on it (the committed results run both). */
const PLANS: EnginePlan[] = [
  { engine: 'sharp' as const, latencyImages: 30, warmupBatch: ASYNC_CONCURRENCY, batchImages: 50 },
  { engine: 'jimp' as const, latencyImages: 6, warmupBatch: 0, batchImages: 10 },
].filter((plan) => !process.env.BENCH_ENGINES || process.env.BENCH_ENGINES.split(',').includes(plan.engine));

let variants = 0;
const nextVariant = (jpeg: Buffer) => jpegCopy(jpeg, `${process.pid}-${variants++}`);
const wordFor = (runTag: string, n: number) => `pipe${runTag}n${n}`;

/**
 * Poll until every id is a hit for `word`; returns when each was first seen (performance.now()). Searching is
 * the measure: an id counts once `/api/search` returns it, never earlier.
 */
async function untilSearchable(cloud: LocalCloud, word: string, ids: string[], pollMs = POLL_MS): Promise<Map<string, number>> {
  const seen = new Map<string, number>();
  const deadline = performance.now() + IMAGE_TIMEOUT_MS;
  while (seen.size < ids.length) {
    if (performance.now() > deadline) throw new Error(`${ids.length - seen.size} of ${ids.length} images not searchable for "${word}" after ${IMAGE_TIMEOUT_MS} ms: ${await statusOf(cloud, ids.find((id) => !seen.has(id))!)}`);
    const hits = new Set(await searchIds(cloud, word));
    const now = performance.now();
    for (const id of ids) if (hits.has(id) && !seen.has(id)) seen.set(id, now);
    if (seen.size < ids.length) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
  return seen;
}

async function statusOf(cloud: LocalCloud, imageId: string): Promise<string> {
  const res = await fetch(`${cloud.url}/api/images/${imageId}`);
  return `${imageId}: ${res.status} ${await res.text()}`;
}

function cpuMsSince(start: NodeJS.CpuUsage): number {
  const used = process.cpuUsage(start);
  return (used.user + used.system) / 1000;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** Run `tasks` with at most `limit` at once. */
async function withConcurrency(limit: number, tasks: (() => Promise<unknown>)[]): Promise<void> {
  const queue = [...tasks];
  const worker = async () => {
    for (let task = queue.shift(); task; task = queue.shift()) await task();
  };
  await Promise.all(Array.from({ length: limit }, worker));
}

/** Samples this process's RSS while `run` runs. */
async function withRssPeak<T>(run: () => Promise<T>): Promise<{ result: T; rssBeforeMb: number; rssPeakMb: number }> {
  const mb = () => Math.round(process.memoryUsage.rss() / 2 ** 20);
  const rssBeforeMb = mb();
  let rssPeakMb = rssBeforeMb;
  const sampler = setInterval(() => (rssPeakMb = Math.max(rssPeakMb, mb())), 50);
  try {
    const result = await run();
    return { result, rssBeforeMb, rssPeakMb: Math.max(rssPeakMb, mb()) };
  } finally {
    clearInterval(sampler);
  }
}

interface EngineResult {
  /** The client that polls the search every POLL_MS (the images at even positions); `notified`: the other client's images. */
  latency: { uploadToSearchableMs: Stats; thumbnailWorkAloneMs: Stats; p50Ratio: number; cpuMsPerImage: number; thumbnailWorkAloneCpuMsPerImage: number; notified: { uploadToSearchableMs: Stats; thumbnailWorkAloneMs: Stats; p50Ratio: number; cpuMsPerImage: number; thumbnailWorkAloneCpuMsPerImage: number } };
  throughput: {
    images: number;
    seconds: number;
    imagesPerSecond: number;
    thumbnailWorkAloneImagesPerSecond: number;
    ratio: number;
    perImageUploadToSearchableMs: Stats;
    rssBeforeMb: number;
    rssPeakMb: number;
    cpuMsPerImage: number;
    thumbnailWorkAloneCpuMsPerImage: number;
    /** Linux: the batch's CPU per image by thread — `main`, each function's instances, `other` (libuv's pool where libvips runs, V8's helpers). */
    cpuMsPerImageByThread: Record<string, number>;
    thumbnailWorkAloneCpuMsPerImageByThread: Record<string, number>;
    makeThumbnailColdStarts: number;
    makeThumbnailMaxHeapMb: number;
  };
  /** This process right after start and prewarm (one instance of every function), before any upload. */
  idleAfterPrewarm: { rssMb: number; instances: number };
  /** The cloud idle after the batch and the engine-alone run: RSS, and the CPU its threads spent in IDLE_MS (V8's idle-time GCs). */
  idleAfterBatch: { rssMb: number; cpuMsByThread: Record<string, number> };
  instancesAfterBatch: number;
}

async function runEngine(plan: EnginePlan, photo: Buffer, dataDir: string): Promise<EngineResult> {
  const env = { ...process.env, IMAGE_ENGINE: plan.engine };
  const engine = await imageEngineFromEnv(env);
  if (engine.name !== plan.engine) throw new Error(`wanted the ${plan.engine} engine, got ${engine.name}`);
  const cloud = await startLocalCloud({ port: 0, dataDir, prewarm: true, watch: false, env });
  try {
    await cloud.runtime.prewarm();
    const idle = { rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20), instances: cloud.runtime.poolStats().reduce((n, p) => n + p.instances, 0) };
    const token = await signIn(cloud);
    const runTag = Math.random().toString(36).slice(2, 8);
    let n = 0;

    // Warm-up: one image through every function of the pipeline, and the engine in this process.
    {
      const word = wordFor(runTag, n++);
      const id = await upload(cloud, token, nextVariant(photo), `Harbour ${word}`);
      await untilSearchable(cloud, word, [id]);
      await thumbnailWork(engine, nextVariant(photo));
    }

    // Latency, one image at a time, each followed by the baseline on another copy of the same photo. Images alternate
    // between two clients (D75): one searches every POLL_MS from the PUT's answer on (its searches share the CPU with
    // the pipeline, and it sees the image up to POLL_MS late); the other searches once index-image's invocation has
    // run (an in-process event, no CPU meanwhile), and again every POLL_MS until found. Both count the first search
    // that returns the image.
    const indexed = new Set<string>();
    const onIndexed = (r: InvocationRecord) => {
      if (r.resource !== 'index-image' || r.status !== 'succeeded') return;
      for (const m of r.payload.toString('utf8').matchAll(/"imageId":"([^"]+)","action":"upserted"/g)) indexed.add(m[1]!);
    };
    cloud.runtime.on('invocation', onIndexed);
    const whenIndexed = async (id: string) => {
      const deadline = performance.now() + IMAGE_TIMEOUT_MS;
      // Woken by every invocation record (and once a second, so a pipeline that stopped still reaches the search's timeout).
      while (!indexed.has(id) && performance.now() < deadline) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 1000);
          function done() {
            clearTimeout(timer);
            cloud.runtime.off('invocation', done);
            resolve();
          }
          cloud.runtime.on('invocation', done);
        });
      }
    };
    const runs = { polled: { latency: [] as number[], alone: [] as number[], cpuMs: 0, aloneCpuMs: 0 }, notified: { latency: [] as number[], alone: [] as number[], cpuMs: 0, aloneCpuMs: 0 } };
    for (let i = 0; i < plan.latencyImages; i++) {
      const run = i % 2 === 0 ? runs.polled : runs.notified;
      const word = wordFor(runTag, n++);
      const bytes = nextVariant(photo);
      let cpu = process.cpuUsage();
      run.latency.push(
        await timed(async () => {
          const id = await upload(cloud, token, bytes, `Harbour ${word}`);
          if (run === runs.notified) await whenIndexed(id);
          await untilSearchable(cloud, word, [id]);
        }),
      );
      run.cpuMs += cpuMsSince(cpu);
      const copy = nextVariant(photo);
      cpu = process.cpuUsage();
      run.alone.push(await timed(() => thumbnailWork(engine, copy)));
      run.aloneCpuMs += cpuMsSince(cpu);
    }
    cloud.runtime.off('invocation', onIndexed);
    const latency = runs.polled.latency;
    const alone = runs.polled.alone;
    const latencyCpuMs = runs.polled.cpuMs;
    const aloneLatencyCpuMs = runs.polled.aloneCpuMs;

    // Throughput: start make-thumbnail instances up to the queue's concurrency first (when planned).
    if (plan.warmupBatch > 0) {
      const word = wordFor(runTag, n++);
      const ids = await Promise.all(Array.from({ length: plan.warmupBatch }, () => upload(cloud, token, nextVariant(photo), `Warmup ${word}`)));
      await untilSearchable(cloud, word, ids, BATCH_POLL_MS);
    }
    const batchWord = wordFor(runTag, n++);
    const batchBytes = Array.from({ length: plan.batchImages }, () => nextVariant(photo));
    const records: InvocationRecord[] = [];
    const onInvocation = (r: InvocationRecord) => {
      if (r.resource === 'make-thumbnail') records.push(r);
    };
    cloud.runtime.on('invocation', onInvocation);
    const threadsBefore = cloud.runtime.instanceThreads();
    const byThreadBefore = threadCpuMs();
    const t0 = performance.now();
    const batchCpu = process.cpuUsage();
    const { result: seen, rssBeforeMb, rssPeakMb } = await withRssPeak(async () => {
      const ids = await Promise.all(batchBytes.map((bytes) => upload(cloud, token, bytes, `Batch ${batchWord}`)));
      return untilSearchable(cloud, batchWord, ids, BATCH_POLL_MS);
    });
    const batchMs = performance.now() - t0;
    const batchCpuMs = cpuMsSince(batchCpu);
    const batchByRole = cpuByRole(byThreadBefore, threadCpuMs(), [...threadsBefore, ...cloud.runtime.instanceThreads()]);
    cloud.runtime.off('invocation', onInvocation);
    const failed = records.filter((r) => r.status !== 'succeeded');
    if (failed.length > 0) throw new Error(`make-thumbnail failed ${failed.length} times: ${failed[0]!.error?.errorMessage ?? failed[0]!.status}`);

    const aloneCopies = Array.from({ length: plan.batchImages }, () => nextVariant(photo));
    const aloneCpu = process.cpuUsage();
    const aloneByThreadBefore = threadCpuMs();
    const aloneBatchMs = await timed(() => withConcurrency(ASYNC_CONCURRENCY, aloneCopies.map((copy) => () => thumbnailWork(engine, copy))));
    const aloneCpuMs = cpuMsSince(aloneCpu);
    const aloneByRole = cpuByRole(aloneByThreadBefore, threadCpuMs(), []);
    // Idle after the burst: what an instance's heap keeps, and what the threads spend doing nothing (idle-time GCs).
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleThreads = cloud.runtime.instanceThreads();
    const idleCpuBefore = threadCpuMs();
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS));
    const idleByRole = cpuByRole(idleCpuBefore, threadCpuMs(), idleThreads);
    const idleAfterBatch = {
      rssMb: Math.round(process.memoryUsage.rss() / 2 ** 20),
      cpuMsByThread: { main: Math.round(idleByRole.main ?? 0), other: Math.round(idleByRole.other ?? 0), instances: Math.round(Object.entries(idleByRole).reduce((sum, [role, ms]) => (role === 'main' || role === 'other' ? sum : sum + ms), 0)) },
    };
    const perImage = (byRole: Record<string, number>) => Object.fromEntries(Object.entries(byRole).map(([role, ms]) => [role, Math.round(ms / plan.batchImages)]));
    const round2 = (x: number) => Math.round(x * 100) / 100;
    const latencyStats = stats(latency);
    const aloneStats = stats(alone);
    const imagesPerSecond = round2(plan.batchImages / (batchMs / 1000));
    const aloneImagesPerSecond = round2(plan.batchImages / (aloneBatchMs / 1000));
    return {
      latency: {
        uploadToSearchableMs: latencyStats,
        thumbnailWorkAloneMs: aloneStats,
        p50Ratio: round2(latencyStats.p50 / aloneStats.p50),
        cpuMsPerImage: Math.round(latencyCpuMs / latency.length),
        thumbnailWorkAloneCpuMsPerImage: Math.round(aloneLatencyCpuMs / latency.length),
        notified: {
          uploadToSearchableMs: stats(runs.notified.latency),
          thumbnailWorkAloneMs: stats(runs.notified.alone),
          p50Ratio: round2(stats(runs.notified.latency).p50 / stats(runs.notified.alone).p50),
          cpuMsPerImage: Math.round(runs.notified.cpuMs / runs.notified.latency.length),
          thumbnailWorkAloneCpuMsPerImage: Math.round(runs.notified.aloneCpuMs / runs.notified.latency.length),
        },
      },
      throughput: {
        images: plan.batchImages,
        seconds: round2(batchMs / 1000),
        imagesPerSecond,
        thumbnailWorkAloneImagesPerSecond: aloneImagesPerSecond,
        ratio: round2(aloneImagesPerSecond / imagesPerSecond),
        // CPU of the whole process (every thread) per image: what the batch costs whatever else loads the machine.
        cpuMsPerImage: Math.round(batchCpuMs / plan.batchImages),
        thumbnailWorkAloneCpuMsPerImage: Math.round(aloneCpuMs / plan.batchImages),
        cpuMsPerImageByThread: perImage(batchByRole),
        thumbnailWorkAloneCpuMsPerImageByThread: perImage(aloneByRole),
        perImageUploadToSearchableMs: stats([...seen.values()].map((at) => at - t0)),
        rssBeforeMb,
        rssPeakMb,
        makeThumbnailColdStarts: records.filter((r) => r.coldStart).length,
        makeThumbnailMaxHeapMb: Math.max(...records.map((r) => r.heapMb)),
      },
      idleAfterPrewarm: idle,
      idleAfterBatch,
      instancesAfterBatch: cloud.runtime.poolStats().reduce((total, p) => total + p.instances, 0),
    };
  } finally {
    await cloud.stop();
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-images-');
  const loadBefore = loadavg().map((x) => Math.round(x * 100) / 100);
  try {
    const photo = await photoLikeJpeg(WIDTH, HEIGHT, 90);
    const results: Record<string, EngineResult> = {};
    for (const plan of PLANS) results[plan.engine] = await runEngine(plan, photo, join(dir.path, plan.engine));
    const goals: Goal[] = Object.entries(results).map(([engine, r]) => ({
      name: `${engine}: upload → searchable p50/p95 and images/s with ${PLANS.find((p) => p.engine === engine)!.batchImages} concurrent uploads (reported, no target)`,
      measured:
        `search polled every ${POLL_MS} ms: p50 ${Math.round(r.latency.uploadToSearchableMs.p50)} ms, p95 ${Math.round(r.latency.uploadToSearchableMs.p95)} ms (${r.latency.p50Ratio}× the thumbnail work alone, ${Math.round(r.latency.thumbnailWorkAloneMs.p50)} ms; CPU ${r.latency.cpuMsPerImage} vs ${r.latency.thumbnailWorkAloneCpuMsPerImage} ms per image); ` +
        `searched once indexed: p50 ${Math.round(r.latency.notified.uploadToSearchableMs.p50)} ms, p95 ${Math.round(r.latency.notified.uploadToSearchableMs.p95)} ms (${r.latency.notified.p50Ratio}× the work alone, ${Math.round(r.latency.notified.thumbnailWorkAloneMs.p50)} ms; CPU ${r.latency.notified.cpuMsPerImage} vs ${r.latency.notified.thumbnailWorkAloneCpuMsPerImage} ms); ` +
        `${r.throughput.imagesPerSecond} images/s (alone: ${r.throughput.thumbnailWorkAloneImagesPerSecond}/s, ${r.throughput.ratio}×; CPU ${r.throughput.cpuMsPerImage} vs ${r.throughput.thumbnailWorkAloneCpuMsPerImage} ms per image, by thread ${JSON.stringify(r.throughput.cpuMsPerImageByThread)} vs ${JSON.stringify(r.throughput.thumbnailWorkAloneCpuMsPerImageByThread)}); peak RSS ${r.throughput.rssPeakMb} MB (from ${r.throughput.rssBeforeMb}); idle after: RSS ${r.idleAfterBatch.rssMb} MB, CPU in ${IDLE_MS / 1000} s ${JSON.stringify(r.idleAfterBatch.cpuMsByThread)} ms${process.env.V8_FLAGS ? ` (V8_FLAGS ${process.env.V8_FLAGS})` : ''}`,
      met: true,
    }));
    report({
      name: 'image-pipeline',
      description: 'upload → searchable through the local cloud (signed PUT, OSS triggers, table stream, search) vs the thumbnail work alone',
      results: {
        input: { width: WIDTH, height: HEIGHT, format: 'jpeg', quality: 90, bytes: photo.length },
        loadAverage: { before: loadBefore, after: loadavg().map((x) => Math.round(x * 100) / 100) },
        ...results,
        method:
          `sequential uploads for latency (after one warm-up image), each followed by the baseline on another copy; ${PLANS.map((p) => `${p.engine}: ${p.latencyImages} sequential, ${p.batchImages} concurrent${p.warmupBatch ? ` after ${p.warmupBatch} concurrent warm-up uploads` : ' (no warm-up batch: cold starts included)'}`).join('; ')}; ` +
          `one at a time, alternating two clients: one searches every ${POLL_MS} ms from the PUT's answer on (latency.uploadToSearchableMs), the other once index-image has run, then every ${POLL_MS} ms until found (latency.notified); each image counts at the first search that returns it; the batch: search for its word every ${BATCH_POLL_MS} ms (each hit counts at the first search that returns it, so a coarser poll can only lower images/s); baseline throughput = the same number of images through the engine in this process, ${ASYNC_CONCURRENCY} at a time (the local async queue's concurrency); ` +
          'RSS of the whole process (cloud, its worker-thread instances, and this benchmark) sampled every 50 ms during the batch',
      },
      goals,
    });
  } finally {
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
