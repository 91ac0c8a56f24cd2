/**
 * What the OSS emulator's PUT of one upload costs by part (D174): MD5 + CRC-64 of the body (both required: ETag and
 * x-oss-hash-crc64ecma), and writing the 2.5 MB body to a file with and without the flush to disk that comes
 * before its row commits — each as the emulator does it (64 KB chunks as they arrive from a socket). The rest of
 * the PUT (the HTTP receive, SQLite, the event into FC's queue) is the timeline's figure minus these.
 *
 *   flock /work/coord/machine.lock npx tsx bench/oss-put-parts.ts   # ROUNDS=30 by default
 */
import { createHash } from 'node:crypto';
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Crc64 } from '../scripts/local/emulators/oss/crc64';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';

const ROUNDS = Number(process.env.ROUNDS ?? 30);
const CHUNK = 64 * 1024;

function chunksOf(body: Buffer): Buffer[] {
  const out: Buffer[] = [];
  for (let at = 0; at < body.length; at += CHUNK) out.push(body.subarray(at, at + CHUNK));
  return out;
}

async function writeFile(path: string, chunks: Buffer[], flush: boolean): Promise<void> {
  const file = createWriteStream(path, { flags: 'wx', flush, highWaterMark: 1024 * 1024 });
  for (const chunk of chunks) if (!file.write(chunk)) await new Promise<void>((resolve) => file.once('drain', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    file.once('close', resolve);
    file.once('error', reject);
    file.end();
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

async function main(): Promise<void> {
  const body = await photoLikeJpeg(3000, 2000, 90);
  const chunks = chunksOf(body);
  const dir = mkdtempSync(join(tmpdir(), 'oss-put-parts-'));
  const times = { md5: [] as number[], crc64: [] as number[], write: [] as number[], writeAndFsync: [] as number[] };
  try {
    for (let i = 0; i < ROUNDS; i++) {
      let t = performance.now();
      const md5 = createHash('md5');
      for (const c of chunks) md5.update(c);
      md5.digest();
      times.md5.push(performance.now() - t);
      t = performance.now();
      const crc = new Crc64();
      for (const c of chunks) crc.update(c);
      crc.digest();
      times.crc64.push(performance.now() - t);
      t = performance.now();
      await writeFile(join(dir, `w${i}`), chunks, false);
      times.write.push(performance.now() - t);
      t = performance.now();
      await writeFile(join(dir, `f${i}`), chunks, true);
      times.writeAndFsync.push(performance.now() - t);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(JSON.stringify({ bytes: body.length, rounds: ROUNDS, p50Ms: Object.fromEntries(Object.entries(times).map(([k, xs]) => [k, Math.round(median(xs) * 10) / 10])) }));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
