/**
 * Where one upload's time goes, hop by hop (a diagnostic beside `image-pipeline.bench.ts`, not a benchmark with a
 * goal): sign in, then `IMAGES` uploads one at a time through the local cloud with the sharp engine, each with
 * the time of every hop — POST /api/uploads, the PUT to the signed URL, make-thumbnail's invocation (its wait,
 * and the steps it logs: head, get, thumbnails, the two PUTs), catalog-image, the stream trigger's index-image,
 * and the first search hit (polled every 20 ms, as the benchmark does) — and prints the medians.
 *
 *   npx tsx bench/image-pipeline-hops.ts            # 15 images
 *   READINESS=both IMAGES=30 npx tsx bench/image-pipeline-hops.ts   # search-only polling vs status first, alternated
 *   IMAGES=30 node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/image-pipeline-hops.ts
 *
 * With `--cpu-prof`, every thread (the main one and each instance's) writes its own profile.
 */
import { imageEngineFromEnv } from '../functions/_shared/images/engine';
import type { ImageEngine } from '../functions/_shared/ports/image-engine';
import type { ImageView } from '../functions/_shared/contracts/images';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { tempDir } from '../test/helpers/temp';
import { jpegCopy, putToSignedUrl, signIn, thumbnailWork, uploadTicket } from './image-pipeline-shared';

const IMAGES = Number(process.env.IMAGES ?? 15);
/** The client's poll interval (the benchmark's: 20 ms). */
const POLL_MS = Number(process.env.POLL_MS ?? 20);
/** How the client learns "searchable": `search` polls search only, `status` reads the status until ready first; `both` alternates. */
const READINESS = (process.env.READINESS ?? 'search') as 'search' | 'status' | 'both';

interface Hops {
  [hop: string]: number;
}

const imageIdOf = (record: InvocationRecord): string | undefined => /"imageId":"([^"]+)"/.exec(record.payload.toString('utf8'))?.[1];

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return Math.round((performance.now() - t0) * 10) / 10;
}

let engine: ImageEngine;

type Readiness = 'search' | 'status';

async function one(cloud: LocalCloud, token: string, bytes: Buffer, word: string, records: Map<string, InvocationRecord[]>, readiness: Readiness): Promise<Hops> {
  const t0 = Date.now();
  const ticket = await uploadTicket(cloud, token, bytes, `Harbour ${word}`);
  const tTicket = Date.now();
  await putToSignedUrl(ticket, bytes);
  const tPut = Date.now();
  const found = async () => {
    const search = await fetch(`${cloud.url}/api/search?q=${word}&limit=10`);
    return ((await search.json()) as { hits: { imageId: string }[] }).hits.some((h) => h.imageId === ticket.imageId);
  };
  const ready = async () => ((await (await fetch(`${cloud.url}/api/images/${ticket.imageId}`)).json()) as ImageView).status === 'ready';
  // `status` first: read the image's status until ready, then search (what the Photos page does).
  if (readiness === 'status') while (!(await ready())) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  while (!(await found())) await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  const tFound = Date.now();
  // The search hit can come before the hops' invocations are recorded as finished (make-thumbnail's too: its
  // 256 px PUT starts the rest of the chain before it returns).
  const upserted = (r: InvocationRecord) => r.resource === 'index-image' && r.payload.toString('utf8').includes('upserted');
  const recorded = (rs: InvocationRecord[]) => rs.some(upserted) && ['make-thumbnail', 'catalog-image'].every((resource) => rs.some((r) => r.resource === resource));
  while (!recorded(records.get(ticket.imageId) ?? [])) await new Promise((resolve) => setTimeout(resolve, 5));
  const mine = records.get(ticket.imageId) ?? [];
  const of = (resource: string) => {
    // index-image also runs for the pending row's insert ("unchanged"): the hop is the run that upserted it.
    const r = mine.find((x) => x.resource === resource && (resource !== 'index-image' || x.payload.toString('utf8').includes('upserted')));
    if (!r) throw new Error(`no ${resource} record for ${ticket.imageId}`);
    return r;
  };
  const mt = of('make-thumbnail');
  const ci = of('catalog-image');
  const ii = of('index-image');
  const steps = (JSON.parse(mt.logs.split('\n').find((l) => l.includes('thumbnails written')) ?? '{}') as { ms?: Record<string, number> }).ms ?? {};
  const mtEnd = mt.startedAt + mt.durationMs;
  const ciEnd = ci.startedAt + ci.durationMs;
  const iiEnd = ii.startedAt + ii.durationMs;
  return {
    total: tFound - t0,
    postUploads: tTicket - t0,
    put: tPut - tTicket,
    'put→mt start': mt.startedAt - tPut,
    'mt wait': mt.waitMs,
    mt: mt.durationMs,
    ...Object.fromEntries(Object.entries(steps).map(([k, v]) => [`  mt.${k}`, v])),
    'mt end→ci start': ci.startedAt - mtEnd,
    ci: ci.durationMs,
    'ci end→ii start': ii.startedAt - ciEnd,
    ii: ii.durationMs,
    'ii end→found': tFound - iiEnd,
    'alone (same bytes)': await timed(() => thumbnailWork(engine, bytes)),
  };
}

async function main(): Promise<void> {
  const dir = tempDir('hops-');
  const env = { ...process.env, IMAGE_ENGINE: 'sharp' };
  engine = await imageEngineFromEnv(env);
  const cloud = await startLocalCloud({ port: 0, dataDir: dir.path, prewarm: true, watch: false, env });
  const records = new Map<string, InvocationRecord[]>();
  cloud.runtime.on('invocation', (r: InvocationRecord) => {
    const id = r.resource === 'index-image' ? /"imageId":"([^"]+)"/.exec(r.payload.toString('utf8'))?.[1] : imageIdOf(r);
    if (id) records.set(id, [...(records.get(id) ?? []), r]);
  });
  try {
    await cloud.runtime.prewarm();
    const photo = await photoLikeJpeg(3000, 2000, 90);
    const token = await signIn(cloud);
    const tag = Math.random().toString(36).slice(2, 8);
    await one(cloud, token, jpegCopy(photo, `${tag}-w`), `hop${tag}w`, records, 'search');
    const all: Hops[] = [];
    const byReadiness: Record<Readiness, { cpuMs: number[]; totalMs: number[] }> = { search: { cpuMs: [], totalMs: [] }, status: { cpuMs: [], totalMs: [] } };
    // The timed window in the profiles' clock (µs of the monotonic clock), to cut start-up out of them.
    const fromUs = process.hrtime.bigint() / 1000n;
    const cpu0 = process.cpuUsage();
    const wall0 = performance.now();
    for (let i = 0; i < IMAGES; i++) {
      // READINESS=both alternates the two ways of learning "searchable", image by image, to compare their cost.
      const readiness: Readiness = READINESS === 'both' ? (i % 2 === 0 ? 'search' : 'status') : READINESS;
      const before = process.cpuUsage();
      const hops = await one(cloud, token, jpegCopy(photo, `${tag}-${i}`), `hop${tag}n${i}`, records, readiness);
      const used = process.cpuUsage(before);
      // The CPU includes the baseline's run on the same bytes (the last hop): subtract nothing, compare like with like.
      byReadiness[readiness].cpuMs.push((used.user + used.system) / 1000);
      byReadiness[readiness].totalMs.push(hops.total!);
      all.push(hops);
    }
    const cpu = process.cpuUsage(cpu0);
    console.log(`profile window ${fromUs}-${process.hrtime.bigint() / 1000n}; process CPU ${((cpu.user + cpu.system) / 1000 / IMAGES).toFixed(0)} ms per image over ${((performance.now() - wall0) / IMAGES).toFixed(0)} ms wall`);
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    for (const [readiness, m] of Object.entries(byReadiness)) {
      if (m.cpuMs.length > 0) console.log(`readiness by ${readiness.padEnd(6)}: ${m.cpuMs.length} images, total p50 ${median(m.totalMs)} ms, process CPU p50 ${median(m.cpuMs).toFixed(0)} ms per image (with the baseline's run)`);
    }
    for (const hop of Object.keys(all[0]!)) {
      const xs = all.map((h) => h[hop] ?? NaN);
      console.log(`${hop.padEnd(18)} p50 ${median(xs).toFixed(1).padStart(7)} ms   min ${Math.min(...xs).toFixed(1).padStart(7)}   max ${Math.max(...xs).toFixed(1).padStart(7)}`);
    }
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
