/**
 * What the image pipeline's benchmark (`image-pipeline.bench.ts`) and its per-hop diagnostic
 * (`image-pipeline-hops.ts`) share: the distinct copies of one photo, the thumbnail work alone (their baseline),
 * the website's upload and search calls, and the CPU time of this process's threads.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { DEFAULT_WATERMARK, THUMBNAIL_WIDTHS } from '../functions/_shared/images/limits';
import type { ImageEngine } from '../functions/_shared/ports/image-engine';
import type { UploadTicket } from '../functions/_shared/contracts/images';
import type { LocalCloud } from '../scripts/local/cloud';

/**
 * The same JPEG with a COM segment right after SOI: distinct bytes, identical pixels — so no cache anywhere
 * (libvips' operation cache included) can recognise a repeat, while the work stays the same.
 */
export function jpegCopy(jpeg: Buffer, tag: string): Buffer {
  const text = Buffer.from(`bench ${tag}`, 'latin1');
  const segment = Buffer.alloc(4 + text.length);
  segment.writeUInt16BE(0xfffe, 0);
  segment.writeUInt16BE(2 + text.length, 2);
  text.copy(segment, 4);
  return Buffer.concat([jpeg.subarray(0, 2), segment, jpeg.subarray(2)]);
}

/** The baseline: what make-thumbnail does with the bytes (probe, then the 256 px and the watermarked 1024 px sizes). */
export function thumbnailWork(engine: ImageEngine, bytes: Buffer): Promise<unknown> {
  return Promise.all([engine.probe(bytes), engine.thumbnails(bytes, [{ width: THUMBNAIL_WIDTHS.small }, { width: THUMBNAIL_WIDTHS.large, watermark: DEFAULT_WATERMARK }])]);
}

export async function signIn(cloud: LocalCloud): Promise<string> {
  const res = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-demo' }) });
  if (res.status !== 200) throw new Error(`sign-in answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

/** `POST /api/uploads` for a signed URL (what the Photos page asks first). */
export async function uploadTicket(cloud: LocalCloud, token: string, bytes: Buffer, title: string): Promise<UploadTicket> {
  const res = await fetch(`${cloud.url}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify({ filename: 'harbour.jpg', contentType: 'image/jpeg', size: bytes.length, title }),
  });
  if (res.status !== 201) throw new Error(`POST /api/uploads answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as UploadTicket;
}

/**
 * PUT the bytes to the signed URL with plain fetch, as a browser does. The body is a view of the bytes, not a copy:
 * the client shares the process (and its garbage collector) with the cloud it measures, so a 2.5 MB copy per upload
 * would be charged to the pipeline.
 */
export async function putToSignedUrl(ticket: UploadTicket, bytes: Buffer): Promise<void> {
  const put = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength) });
  if (put.status !== 200) throw new Error(`PUT to the signed URL answered ${put.status}: ${await put.text()}`);
}

/** Ask for a signed URL and PUT the bytes to it; resolves with the image id once OSS has answered. */
export async function upload(cloud: LocalCloud, token: string, bytes: Buffer, title: string): Promise<string> {
  const ticket = await uploadTicket(cloud, token, bytes, title);
  await putToSignedUrl(ticket, bytes);
  return ticket.imageId;
}

export async function searchIds(cloud: LocalCloud, word: string, limit = 100): Promise<string[]> {
  const res = await fetch(`${cloud.url}/api/search?q=${encodeURIComponent(word)}&limit=${limit}`);
  if (res.status !== 200) throw new Error(`search answered ${res.status}`);
  return ((await res.json()) as { hits: { imageId: string }[] }).hits.map((h) => h.imageId);
}

const TICK_MS = 1000 / 100; // USER_HZ

/** One file of `/proc/self/task/<id>/` read for every live thread of this process, by Linux thread id (empty where /proc is missing). */
function perThread<T>(file: 'stat' | 'comm', parse: (text: string) => T): Map<number, T> {
  const byThread = new Map<number, T>();
  let tids: string[];
  try {
    tids = readdirSync('/proc/self/task');
  } catch {
    return byThread;
  }
  for (const tid of tids) {
    try {
      byThread.set(Number(tid), parse(readFileSync(`/proc/self/task/${tid}/${file}`, 'utf8')));
    } catch {
      // the thread ended meanwhile
    }
  }
  return byThread;
}

/** CPU milliseconds of each live thread of this process, by Linux thread id. */
export function threadCpuMs(): Map<number, number> {
  return perThread('stat', (stat) => {
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
  });
}

/** Each live thread's name (`comm`: libvips names its threads `libvips worker`; node 20's own are all `node`). */
export function threadNames(): Map<number, string> {
  return perThread('comm', (name) => name.trim());
}

/**
 * CPU ms spent between two `threadCpuMs()` snapshots, grouped: `main` (this thread: the benchmark's client, the
 * gateway, the emulators, the pool), each function's instance threads by resource, and `other` (libuv's thread
 * pool, where libvips runs, and V8's helpers: GC, compilation). A thread that ended in between is not counted.
 */
export function cpuByRole(before: Map<number, number>, after: Map<number, number>, instances: { resource: string; osThreadId: number }[], names?: Map<number, string>): Record<string, number> {
  const roleOf = new Map(instances.map((i) => [i.osThreadId, i.resource]));
  const out: Record<string, number> = { main: 0, other: 0 };
  for (const [tid, ms] of after) {
    // With `names`, the threads that are neither main nor an instance are split by their thread name (`other:<name>`).
    const other = names ? `other:${names.get(tid) ?? '?'}` : 'other';
    const role = tid === process.pid ? 'main' : (roleOf.get(tid) ?? other);
    out[role] = (out[role] ?? 0) + ms - (before.get(tid) ?? 0);
  }
  return out;
}
