/**
 * OSS emulator throughput: PutObject and GetObject of 1 KB, 1 MB and 100 MB objects through ali-oss (its default
 * options: signature V1), against raw file writes (with fsync, as the emulator flushes every body) and reads on the
 * same disk, in the same run, interleaved in rounds. Reports MB/s and ops/s for each.
 *
 * The goal compares a 100 MB GET with the disk's read rate, so both are also measured cold: before each of those
 * samples the file's pages are dropped from the page cache (`dd iflag=nocache count=0`, i.e. posix_fadvise
 * DONTNEED), for the raw file and for the emulator's blob alike. Warm numbers (page cache) are reported beside.
 *
 * `dd` runs in a helper shell started once (D93). Until D93 the measuring process forked `dd` itself right before
 * each cold sample; a fork write-protects every page of the forking process, so the timed GET that followed paid a
 * page fault for each page of its heap it wrote again (the body buffers urllib reuses), while the raw read, which
 * writes into a fresh 100 MB allocation, did not. That pair is still measured and reported beside (`…Forked`).
 */
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { randomBytes } from 'node:crypto';
import { createReadStream, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import { LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import { report, sample, stats, type Stats } from './lib';

const SIZES = [
  { name: '1 KB', bytes: 1024, perRound: 40 },
  { name: '1 MB', bytes: 1024 * 1024, perRound: 8 },
  { name: '100 MB', bytes: 100 * 1024 * 1024, perRound: 1 },
] as const;
const ROUNDS = 4;
/** Cold samples are one GET each: more rounds, so the p50 is not one unlucky time slice on a shared machine. */
const COLD_ROUNDS = 6;
const BUCKET = 'bench-objects';

/** Reads a stream to its end, keeping nothing; returns the byte count. */
async function drain(stream: AsyncIterable<Buffer>): Promise<number> {
  let bytes = 0;
  for await (const chunk of stream) bytes += chunk.length;
  return bytes;
}

async function writeSynced(path: string, body: Buffer): Promise<void> {
  const file = await open(path, 'w');
  try {
    await file.writeFile(body);
    await file.sync();
  } finally {
    await file.close();
  }
}

/**
 * Drops a file's pages from the page cache (GNU dd's `nocache` flag) by forking `dd` from this process — the
 * method until D93, kept for the comparison pair; false where that is not possible.
 */
function evictByFork(path: string): boolean {
  try {
    execFileSync('dd', [`if=${path}`, 'iflag=nocache', 'count=0', 'status=none']);
    return true;
  } catch {
    return false;
  }
}

/**
 * A shell started once that drops files' pages from the page cache on request (one path a line, answers `ok` or
 * `failed`), so that this process does not fork between the samples it times.
 */
function startEvictor(): { evict: (path: string) => Promise<boolean>; stop: () => void } {
  const shell = spawn('sh', ['-c', 'while read -r path; do if dd if="$path" iflag=nocache count=0 status=none 2>/dev/null; then echo ok; else echo failed; fi; done'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const answers = createInterface({ input: shell.stdout })[Symbol.asyncIterator]();
  return {
    evict: async (path) => {
      shell.stdin.write(`${path}\n`);
      const answer = await answers.next();
      return answer.value === 'ok';
    },
    stop: () => shell.stdin.end(),
  };
}

/** The emulator keeps one blob per object under `<dataDir>/oss/<bucket>/`: the one holding `bytes` bytes. */
function blobOf(dir: string, bytes: number): string {
  for (const shard of readdirSync(dir)) {
    for (const blob of readdirSync(join(dir, shard))) if (statSync(join(dir, shard, blob)).size === bytes) return join(dir, shard, blob);
  }
  throw new Error(`no ${bytes}-byte blob under ${dir}`);
}

/** Like `sample`, with `before` (not timed) run before every timed call. */
async function sampleCold(before: () => unknown, fn: () => Promise<unknown>, iterations: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < iterations; i++) {
    await before();
    const t0 = process.hrtime.bigint();
    await fn();
    out.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return out;
}

interface Rate {
  ms: Stats;
  opsPerSecond: number;
  mbPerSecond: number;
}

function rate(samples: number[], bytes: number): Rate {
  const s = stats(samples);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { ms: s, opsPerSecond: round(1000 / s.p50), mbPerSecond: round(bytes / 1024 / 1024 / (s.p50 / 1000)) };
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'oss-bench-'));
  // The emulator runs in its own process, as under `npm start`: client and server do not share one event loop.
  const server = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'oss-server.ts'), join(dir, 'data'), BUCKET], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = (await once(createInterface({ input: server.stdout }), 'line')) as [string];
  const emulator = JSON.parse(line) as { endpoint: string };
  const client = new OSS({
    region: 'oss-cn-hangzhou',
    endpoint: emulator.endpoint,
    sldEnable: true,
    bucket: BUCKET,
    accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
    stsToken: LOCAL_CREDENTIALS.securityToken,
    refreshSTSToken: async () => ({ accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken }),
    timeout: 600_000,
  } as OSS.Options);
  const evictor = startEvictor();
  const results: Record<string, Record<string, Rate>> = {};
  let evicted = false;
  try {
    for (const size of SIZES) {
      const body = randomBytes(size.bytes);
      const rawPath = join(dir, `raw-${size.bytes}`);
      const samples = { ossPut: [] as number[], ossGet: [] as number[], rawWrite: [] as number[], rawRead: [] as number[] };
      const cases = {
        ossPut: () => client.put(`obj-${size.bytes}`, body, { mime: 'application/octet-stream' }),
        ossGet: async () => {
          const { content } = await client.get(`obj-${size.bytes}`);
          if ((content as Buffer).length !== size.bytes) throw new Error('short read');
        },
        rawWrite: () => writeSynced(rawPath, body),
        rawRead: async () => {
          const content = await readFile(rawPath);
          if (content.length !== size.bytes) throw new Error('short read');
        },
      };
      // Warm-up: one of each (the object and the raw file must exist before the reads).
      for (const run of Object.values(cases)) await run();
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, run] of Object.entries(cases)) samples[name as keyof typeof samples].push(...(await sample(run, size.perRound, 0)));
      }
      if (size.bytes >= 100 * 1024 * 1024) {
        const blob = blobOf(join(dir, 'data', 'oss', BUCKET), size.bytes);
        evicted = (await evictor.evict(rawPath)) && (await evictor.evict(blob));
        // Streaming beside buffering: ali-oss `get` concatenates the whole body (as readFile does), `getStream`
        // hands it over chunk by chunk (as a ReadStream does); a user streaming a large object pays no concat.
        const streamed = {
          ossGetStream: async () => {
            const { stream } = await client.getStream(`obj-${size.bytes}`);
            if ((await drain(stream as AsyncIterable<Buffer>)) !== size.bytes) throw new Error('short read');
          },
          rawStream: async () => {
            if ((await drain(createReadStream(rawPath, { highWaterMark: 1024 * 1024 }))) !== size.bytes) throw new Error('short read');
          },
        };
        const cold = {
          ossGetCold: [] as number[],
          rawReadCold: [] as number[],
          ossGetStreamCold: [] as number[],
          rawStreamCold: [] as number[],
          ossGetStream: [] as number[],
          rawStream: [] as number[],
          ossGetColdForked: [] as number[],
          rawReadColdForked: [] as number[],
        };
        for (let round = 0; round < COLD_ROUNDS; round++) {
          // The pre-D93 pair: `dd` forked by this process right before the timed read. An untimed GET then writes
          // the heap pages the fork left write-protected, so the fork does not colour the samples after it.
          cold.ossGetColdForked.push(...(await sampleCold(() => evictByFork(blob), cases.ossGet, 1)));
          cold.rawReadColdForked.push(...(await sampleCold(() => evictByFork(rawPath), cases.rawRead, 1)));
          await cases.ossGet();
          cold.ossGetCold.push(...(await sampleCold(() => evictor.evict(blob), cases.ossGet, 1)));
          cold.rawReadCold.push(...(await sampleCold(() => evictor.evict(rawPath), cases.rawRead, 1)));
          cold.ossGetStreamCold.push(...(await sampleCold(() => evictor.evict(blob), streamed.ossGetStream, 1)));
          cold.rawStreamCold.push(...(await sampleCold(() => evictor.evict(rawPath), streamed.rawStream, 1)));
          cold.ossGetStream.push(...(await sample(streamed.ossGetStream, 1, 0)));
          cold.rawStream.push(...(await sample(streamed.rawStream, 1, 0)));
        }
        Object.assign(samples, cold);
      }
      results[size.name] = Object.fromEntries(Object.entries(samples).map(([name, values]) => [name, rate(values, size.bytes)]));
      await unlink(rawPath);
      await client.delete(`obj-${size.bytes}`);
    }
  } finally {
    evictor.stop();
    server.stdin.end();
    await once(server, 'exit');
    rmSync(dir, { recursive: true, force: true });
  }

  const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
  const big = results['100 MB']!;
  // The disk's read rate is the cold one when the page cache could be dropped; otherwise only warm rates exist.
  const [ossGet, rawRead] = evicted ? [big.ossGetCold!, big.rawReadCold!] : [big.ossGet!, big.rawRead!];
  const getShare = ratio(ossGet.mbPerSecond, rawRead.mbPerSecond);
  const table = Object.fromEntries(
    Object.entries(results).map(([size, r]) => [
      size,
      {
        put: `${r.ossPut!.mbPerSecond} MB/s, ${r.ossPut!.opsPerSecond} ops/s (raw write+fsync ${r.rawWrite!.mbPerSecond} MB/s, ${r.rawWrite!.opsPerSecond} ops/s; ${ratio(r.ossPut!.mbPerSecond, r.rawWrite!.mbPerSecond)}×)`,
        get: `${r.ossGet!.mbPerSecond} MB/s, ${r.ossGet!.opsPerSecond} ops/s (raw read ${r.rawRead!.mbPerSecond} MB/s, ${r.rawRead!.opsPerSecond} ops/s; ${ratio(r.ossGet!.mbPerSecond, r.rawRead!.mbPerSecond)}×)`,
      },
    ]),
  );
  for (const [size, line] of Object.entries(table)) console.log(`  ${size.padEnd(6)} PUT ${line.put}\n         GET ${line.get}`);
  const streaming = evicted ? [big.ossGetStreamCold!, big.rawStreamCold!] : [big.ossGetStream!, big.rawStream!];
  const streamShare = ratio(streaming[0]!.mbPerSecond, streaming[1]!.mbPerSecond);
  const streamLine = `getStream ${streaming[0]!.mbPerSecond} MB/s vs a ReadStream of the file ${streaming[1]!.mbPerSecond} MB/s (${Math.round(streamShare * 100)} %${evicted ? ', page cache dropped' : ''}; warm ${big.ossGetStream!.mbPerSecond} vs ${big.rawStream!.mbPerSecond} MB/s)`;
  const forked = big.rawReadColdForked && big.ossGetColdForked;
  const forkedLine = forked
    ? `GET ${forked.mbPerSecond} MB/s vs raw read ${big.rawReadColdForked!.mbPerSecond} MB/s (${Math.round(ratio(forked.mbPerSecond, big.rawReadColdForked!.mbPerSecond) * 100)} %; page cache dropped by dd forked from the measuring process right before each sample, the method until D93)`
    : 'not measured';
  if (evicted) console.log(`  100 MB GET from disk (page cache dropped): ${big.ossGetCold!.mbPerSecond} MB/s vs raw read ${big.rawReadCold!.mbPerSecond} MB/s`);
  if (evicted) console.log(`  100 MB GET from disk, pre-D93 eviction: ${forkedLine}`);
  console.log(`  100 MB streamed: ${streamLine}`);

  report({
    name: 'oss',
    description: 'PutObject/GetObject through ali-oss (V1, defaults) vs raw file write+fsync / read on the same disk',
    results: {
      summary: {
        ...table,
        ...(evicted
          ? {
              '100 MB cold': `GET ${big.ossGetCold!.mbPerSecond} MB/s vs raw read ${big.rawReadCold!.mbPerSecond} MB/s (page cache dropped before each by a helper shell)`,
              '100 MB cold, pre-D93 eviction': forkedLine,
            }
          : {}),
        '100 MB streamed': streamLine,
      },
      rates: results,
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      method: `emulator in its own process (bench/oss-server.ts); p50 of ${ROUNDS} interleaved rounds (cold and streamed 100 MB: ${COLD_ROUNDS}) (1 KB: ${SIZES[0].perRound}, 1 MB: ${SIZES[1].perRound}, 100 MB: ${SIZES[2].perRound} per round) after one warm-up each; the raw read comes from the page cache like the emulator's own read of a body it just wrote; ali-oss buffers the whole GET body and hashes the PUT body (Content-MD5), as it does for users; cold samples: the page cache is dropped by a helper shell started once, so the measuring process does not fork between the samples it times (D93)`,
    },
    goals: [
      {
        name: "100 MB GetObject through ali-oss ≥ 50 % of the disk's read rate (raw file read, same disk)",
        measured: `${Math.round(getShare * 100)} % (${ossGet.mbPerSecond} MB/s vs ${rawRead.mbPerSecond} MB/s, ${evicted ? 'both from disk: page cache dropped before each sample by a helper shell' : 'page cache: it could not be dropped here'}; evicted by dd forked from the measuring process as before D93: ${forkedLine}; warm: ${big.ossGet!.mbPerSecond} vs ${big.rawRead!.mbPerSecond} MB/s; streamed: ${streamLine}; load average ${loadavg()[0]!.toFixed(1)})`,
        met: getShare >= 0.5,
      },
    ],
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
