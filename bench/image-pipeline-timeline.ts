/**
 * The wall-clock timeline of one upload at a time (a diagnostic beside `image-pipeline-hops.ts`): every HTTP
 * request the local cloud's servers answer (gateway, OSS, TableStore: start and finish), every async event
 * accepted, every stream wake-up and every invocation (start and end), relative to the client's first request —
 * so the gaps between hops (timers, polls, hand-offs) show, not only the hops' durations.
 *
 *   npx tsx bench/image-pipeline-timeline.ts                 # 8 uploads, search polled every 20 ms
 *   IMAGES=12 POLL_MS=5 npx tsx bench/image-pipeline-timeline.ts
 *   SHOW=3 npx tsx bench/image-pipeline-timeline.ts          # print the full timeline of the first 3 uploads
 *   READINESS=notified WINDOWS_FILE=/tmp/w.json node --cpu-prof --cpu-prof-dir=/tmp/prof --import tsx bench/image-pipeline-timeline.ts
 *     # a profile per thread, and each invocation's window in the profiles' clock
 *   V8_FLAGS='--trace-gc' npx tsx bench/image-pipeline-timeline.ts   # V8 flags for every isolate, instances too
 *
 * It wraps `http.Server.prototype.emit` and two methods of the cloud it started (diagnostic only: nothing in the
 * product reads them).
 */
import { writeFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { Server, type IncomingMessage, type ServerResponse } from 'node:http';
import { imageEngineFromEnv } from '../functions/_shared/images/engine';
import { startLocalCloud } from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { tempDir } from '../test/helpers/temp';
import { cpuByRole, jpegCopy, putToSignedUrl, signIn, threadCpuMs, thumbnailWork, uploadTicket } from './image-pipeline-shared';

const IMAGES = Number(process.env.IMAGES ?? 8);
const POLL_MS = Number(process.env.POLL_MS ?? 20);
const SHOW = Number(process.env.SHOW ?? 1);
/**
 * `poll`: search every POLL_MS from the PUT's answer on (the benchmark's client). `notified`: wait for index-image's
 * invocation record (an in-process event: no CPU while the pipeline runs), then search until the image is found —
 * the first search that returns it, without the searches before it competing for the CPU.
 */
const READINESS = (process.env.READINESS ?? 'poll') as 'poll' | 'notified';

interface Mark {
  at: number;
  what: string;
}

// V8 flags for every isolate of the process, the instances' included (a worker refuses them in its execArgv).
if (process.env.V8_FLAGS) setFlagsFromString(process.env.V8_FLAGS);

const marks: Mark[] = [];
const mark = (what: string, at = performance.now()) => marks.push({ at, what });
const portNames = new Map<number, string>();

// Every request any server in this process answers: when its headers arrived, and when its answer was sent.
const emit = Server.prototype.emit;
Server.prototype.emit = function (this: Server, event: string, ...args: unknown[]) {
  if (event === 'request') {
    const req = args[0] as IncomingMessage;
    const res = args[1] as ServerResponse;
    const at = performance.now();
    const name = portNames.get(req.socket.localPort ?? 0) ?? String(req.socket.localPort);
    const path = (req.url ?? '').split('?')[0]!.replace(/[0-9a-f]{8}-[0-9a-f-]{27,}/g, '<id>');
    const label = `${name} ${req.method} ${path}`;
    res.once('finish', () => {
      marks.push({ at, what: `${label} ←req` });
      mark(`${label} →res ${res.statusCode} (${(performance.now() - at).toFixed(1)} ms)`);
    });
  }
  return (emit as (this: Server, ...all: unknown[]) => boolean).call(this, event, ...args);
} as typeof Server.prototype.emit;

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const dir = tempDir('timeline-');
  const env = { ...process.env, IMAGE_ENGINE: 'sharp' };
  const engine = await imageEngineFromEnv(env);
  const cloud = await startLocalCloud({ port: 0, dataDir: dir.path, prewarm: true, watch: false, env });
  portNames.set(cloud.port, 'gateway');
  portNames.set(cloud.oss.port, 'oss');
  portNames.set(Number(new URL(cloud.tablestore.endpoint).port), 'tablestore');
  const enqueue = cloud.asyncInvoker.enqueue.bind(cloud.asyncInvoker);
  cloud.asyncInvoker.enqueue = (fn, payload, source, requestId) => {
    mark(`async accepted ${fn.replace(/^.*?-/, '')} (${source})`);
    return enqueue(fn, payload, source, requestId);
  };
  const wake = cloud.tableStreams.wake.bind(cloud.tableStreams);
  cloud.tableStreams.wake = (ids) => {
    mark('stream wake');
    wake(ids);
  };
  const upserted = new Map<string, () => void>();
  const indexed = (imageId: string) => new Promise<void>((resolve) => upserted.set(imageId, resolve));
  // Each invocation's window in the CPU profiles' clock (µs of the monotonic clock), for `--cpu-prof` runs.
  const windows: { resource: string; fromUs: number; toUs: number }[] = [];
  cloud.runtime.on('invocation', (r: InvocationRecord) => {
    const nowUs = Number(process.hrtime.bigint() / 1000n);
    windows.push({ resource: r.resource, fromUs: nowUs - r.durationMs * 1000, toUs: nowUs });
    if (r.resource === 'index-image') for (const [id, resolve] of upserted) if (r.payload.toString('utf8').includes(`"imageId":"${id}","action":"upserted"`)) resolve();
    const start = r.startedAt - Date.now() + performance.now();
    marks.push({ at: start, what: `invoke ${r.resource} start (wait ${r.waitMs}, cold ${r.coldStart})` });
    mark(`invoke ${r.resource} end (${r.durationMs} ms)`);
    const steps = /"ms":(\{[^}]*\})/.exec(r.logs)?.[1];
    if (steps) mark(`  ${r.resource} steps ${steps}`);
  });
  try {
    await cloud.runtime.prewarm();
    const photo = await photoLikeJpeg(3000, 2000, 90);
    const token = await signIn(cloud);
    const tag = Math.random().toString(36).slice(2, 8);
    const totals: number[] = [];
    const alone: number[] = [];
    const gaps = new Map<string, number[]>();
    let threadsBefore = cloud.runtime.instanceThreads();
    let cpuBefore = threadCpuMs();
    for (let i = -1; i < IMAGES; i++) {
      if (i === 0) {
        threadsBefore = cloud.runtime.instanceThreads();
        cpuBefore = threadCpuMs();
      }
      const word = `tl${tag}n${i + 1}`;
      const bytes = jpegCopy(photo, `${tag}-${i}`);
      marks.length = 0;
      const t0 = performance.now();
      mark('client POST /api/uploads');
      const ticket = await uploadTicket(cloud, token, bytes, `Harbour ${word}`);
      mark('client has ticket');
      await putToSignedUrl(ticket, bytes);
      mark('client PUT answered');
      let polls = 0;
      if (READINESS === 'notified') await indexed(ticket.imageId);
      for (;;) {
        polls++;
        const res = await fetch(`${cloud.url}/api/search?q=${word}&limit=10`);
        const hits = ((await res.json()) as { hits: { imageId: string }[] }).hits;
        if (hits.some((h) => h.imageId === ticket.imageId)) break;
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      }
      const total = performance.now() - t0;
      mark(`client search found it (${polls} searches)`);
      // Let the last records arrive (make-thumbnail's record ends after the chain it started).
      await new Promise((resolve) => setTimeout(resolve, 100));
      const copy = jpegCopy(photo, `${tag}-${i}-alone`);
      const a0 = performance.now();
      await thumbnailWork(engine, copy);
      const aloneMs = performance.now() - a0;
      if (i < 0) continue; // warm-up
      totals.push(total);
      alone.push(aloneMs);
      const sorted = [...marks].filter((m) => m.at <= t0 + total + 1).sort((a, b) => a.at - b.at);
      // Named boundaries, each the first of its kind after the one before.
      const firstAfter = (re: RegExp, from: number) => sorted.find((m) => m.at >= from && re.test(m.what))?.at;
      const boundaries: [string, RegExp][] = [
        ['ticket', /client has ticket/],
        ['PUT ←req', /oss PUT .*uploads.*←req/],
        ['mt accepted', /async accepted .*make-thumbnail/],
        ['mt start', /invoke make-thumbnail start/],
        ['mt 1st request', /(oss HEAD .*uploads|tablestore POST \/GetRow).*←req/],
        ['mt GET ←req', /oss GET .*uploads.*←req/],
        ['mt GET →res', /oss GET .*uploads.*→res/],
        ['mt PUT 1024 ←req', /oss PUT .*1024\.webp ←req/],
        ['mt PUT 1024 →res', /oss PUT .*1024\.webp →res/],
        ['mt PUT 256 ←req', /oss PUT .*256\.webp ←req/],
        ['ci accepted', /async accepted .*catalog-image/],
        ['ci start', /invoke catalog-image start/],
        ['ci 1st request', /(oss HEAD .*thumbs|tablestore POST \/GetRow).*←req/],
        ['ci UpdateRow ←req', /tablestore POST \/UpdateRow ←req/],
        ['stream wake', /stream wake/],
        ['GetStreamRecord ←req', /GetStreamRecord ←req/],
        ['ii start', /invoke index-image start/],
        ['ii GetRow ←req', /tablestore POST \/GetRow ←req/],
        ['ii PutRow ←req', /tablestore POST \/PutRow ←req/],
        ['ii PutRow →res', /tablestore POST \/PutRow →res/],
        ['ii end', /invoke index-image end/],
        ['search ←req', /gateway GET \/api\/search ←req/],
        ['found', /client search found it/],
      ];
      let last = t0;
      for (const [name, re] of boundaries) {
        const at = firstAfter(re, last);
        if (at === undefined) continue;
        gaps.set(name, [...(gaps.get(name) ?? []), at - last]);
        last = at;
      }
      if (i < SHOW) {
        console.log(`\n— upload ${i + 1}: ${total.toFixed(0)} ms to searchable, the work alone ${aloneMs.toFixed(0)} ms`);
        for (const m of sorted) console.log(`${(m.at - t0).toFixed(1).padStart(8)}  ${m.what}`);
      }
    }
    console.log(`\n${IMAGES} uploads, readiness ${READINESS === 'poll' ? `by a search every ${POLL_MS} ms` : 'notified, then searched'}: p50 ${median(totals).toFixed(0)} ms vs the work alone ${median(alone).toFixed(0)} ms (${(median(totals) / median(alone)).toFixed(2)}×)`);
    // CPU per image by thread over the timed uploads (their baselines' runs included, in `main` and `other`).
    const byRole = cpuByRole(cpuBefore, threadCpuMs(), [...threadsBefore, ...cloud.runtime.instanceThreads()]);
    console.log(`CPU per image by thread (with the baseline's run): ${JSON.stringify(Object.fromEntries(Object.entries(byRole).filter(([, ms]) => ms > 0).map(([role, ms]) => [role, Math.round(ms / IMAGES)])))}`);
    console.log('boundary (the first of its kind after the one before), p50 of the time since the boundary before:');
    for (const [name, xs] of gaps) console.log(`  ${name.padEnd(20)} ${median(xs).toFixed(1).padStart(7)} ms   (min ${Math.min(...xs).toFixed(1)}, max ${Math.max(...xs).toFixed(1)}, n ${xs.length})`);
    if (process.env.WINDOWS_FILE) writeFileSync(process.env.WINDOWS_FILE, JSON.stringify(windows));
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
