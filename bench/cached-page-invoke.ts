/**
 * A cached product page's cost without HTTP (D117): the local cloud's `runtime.invokeHttp` — what the gateway calls
 * for every page — driven by CONCURRENCY closed loops in this process for SECONDS, after a warm-up. Reports
 * invocations/s and CPU µs per invocation of the main thread (pool, instance messages, record) and of the product
 * page's instance threads and the rest, from `/proc/self/task`. Narrower than `cached-page-cpu.ts` (no sockets, no
 * autocannon, no gateway), so a change to the instance's path shows in a few seconds.
 * `npx tsx bench/cached-page-invoke.ts` (add `--cpu-prof` to node for a profile of every thread).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { startLocalCloud } from '../scripts/local/cloud';
import type { HttpTriggerRequest } from '../scripts/local/runtime/http-trigger-event';
import { newRequestId } from '../scripts/local/runtime/runtime';
import { tempDir } from '../test/helpers/temp';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 4);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const TICK_US = 1e6 / 100;
/** `BENCH_APP=<dir>`: another app (an s.yaml with one HTTP function, `BENCH_FUNCTION`) instead of the product page. */
const APP = process.env.BENCH_APP;
const FUNCTION = APP ? (process.env.BENCH_FUNCTION ?? 'bench-trivial-http') : 'product-bff';
const PAGE_PATH = APP ? '/' : '/api/products/p-aurora-headphones';
const PAGE_SEARCH = APP ? '' : 'client=web&region=cn-hangzhou';

/** CPU µs of this process's threads: the main thread, the given ones, and all others. */
function threadCpu(picked: ReadonlySet<number>): { main: number; picked: number; rest: number } {
  const cpu = { main: 0, picked: 0, rest: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
      const id = Number(tid);
      if (id === process.pid) cpu.main += us;
      else if (picked.has(id)) cpu.picked += us;
      else cpu.rest += us;
    } catch {
      // the thread ended meanwhile
    }
  }
  return cpu;
}

function pageRequest(): HttpTriggerRequest {
  return {
    method: 'GET',
    rawPath: PAGE_PATH,
    search: PAGE_SEARCH,
    rawHeaders: ['Host', '127.0.0.1:9000', 'User-Agent', 'bench', 'Accept', '*/*'],
    body: new Uint8Array(0),
    httpVersion: '1.1',
    sourceIp: '127.0.0.1',
    requestId: newRequestId(),
    accountId: '1234567890',
    timeEpoch: Date.now(),
  };
}

async function main(): Promise<void> {
  const scratch = tempDir('cached-page-invoke-');
  const cloud = await startLocalCloud(APP ? { root: APP, port: 0, dataDir: scratch.path, watch: false, build: false, seed: false } : { port: 0, dataDir: scratch.path, watch: false });
  try {
    const run = async (ms: number): Promise<number> => {
      let count = 0;
      const until = Date.now() + ms;
      const loop = async () => {
        while (Date.now() < until) {
          const request = pageRequest();
          const { record, reply } = await cloud.runtime.invokeHttp(FUNCTION, request, { source: 'http', requestId: request.requestId });
          if (record.status !== 'succeeded' || reply?.status !== 200) throw new Error(`page answered ${record.status} ${reply?.status}`);
          count++;
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, loop));
      return count;
    };
    await run(3000);
    await new Promise((done) => setTimeout(done, 3000)); // start-up's background prewarm settles
    await run(2000);
    const name = cloud.runtime.find(FUNCTION)?.name;
    const picked = new Set(cloud.runtime.instanceThreads().filter((t) => cloud.runtime.find(t.resource)?.name === name).map((t) => t.osThreadId));
    const before = threadCpu(picked);
    const started = process.hrtime.bigint();
    const count = await run(SECONDS * 1000);
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const after = threadCpu(picked);
    const per = (us: number) => Math.round(us / count);
    const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
    console.log(JSON.stringify({ perSecond: Math.round(count / seconds), mainUs: per(after.main - before.main), instancesUs: per(after.picked - before.picked), restUs: per(after.rest - before.rest), instances: picked.size, load }));
  } finally {
    await cloud.stop();
    scratch.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
