/**
 * Issue 12's first complaint as a load measurement (D113): 50 concurrent uncached product pages the moment a
 * local cloud is ready, and 50 more 2 s later — when every instance is cold or compiling and the BFF's 300 ms
 * part budgets are easiest to miss. Per burst: statuses (5xx must be 0), degraded pages and which parts, latency
 * p50/p99/max, and the main thread's GC pauses and event-loop delay. (The integration test
 * `product-page.test.ts` holds the no-5xx rule; this reports how close a variant comes to the budgets.)
 *
 *   BENCH_ROUNDS=3 npx tsx bench/burst-after-start.ts          # or through bench/node-flags.ts per variant
 *
 * Each round: a first local cloud writes the products and stops; a second starts on the same data folder as
 * `npm start` does (prewarm on), and the bursts hit it at once.
 */
import { join } from 'node:path';
import { startLocalCloud } from '../scripts/local/cloud';
import { localCloudTable } from '../test/helpers/tablestore';
import { tempDir } from '../test/helpers/temp';
import { report, stats, watchMainThreadPauses, type MainThreadPauses } from './lib';
import { writeBenchProducts } from './products';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BURST = Number(process.env.BENCH_BURST ?? 50);
const GAP_MS = 2000;

interface Burst {
  statuses: Record<string, number>;
  fiveXx: number;
  degraded: number;
  degradedParts: Record<string, number>;
  latency: { p50: number; p99: number; max: number };
  mainThread: MainThreadPauses;
}

async function burst(url: string, ids: string[]): Promise<Burst> {
  const pauses = watchMainThreadPauses();
  const answers = await Promise.all(
    ids.map(async (id) => {
      const t0 = performance.now();
      const res = await fetch(`${url}/api/products/${id}?client=web&region=cn-hangzhou`);
      await res.arrayBuffer();
      return { status: res.status, degraded: res.headers.get('x-degraded'), ms: performance.now() - t0 };
    }),
  );
  const mainThread = pauses();
  const statuses: Record<string, number> = {};
  const degradedParts: Record<string, number> = {};
  for (const a of answers) {
    statuses[a.status] = (statuses[a.status] ?? 0) + 1;
    for (const part of a.degraded?.split(',') ?? []) degradedParts[part] = (degradedParts[part] ?? 0) + 1;
  }
  const latency = stats(answers.map((a) => a.ms));
  return {
    statuses,
    fiveXx: answers.filter((a) => a.status >= 500).length,
    degraded: answers.filter((a) => a.degraded).length,
    degradedParts,
    latency: { p50: Math.round(latency.p50), p99: Math.round(latency.p99), max: Math.round(latency.max) },
    mainThread,
  };
}

async function round(dataDir: string): Promise<{ startMs: number; bursts: Burst[] }> {
  const first = await startLocalCloud({ port: 0, dataDir, watch: false, prewarm: false });
  let ids: string[];
  try {
    ids = await writeBenchProducts(await localCloudTable(first.url), BURST * 2);
  } finally {
    await first.stop();
  }
  const t0 = performance.now();
  const cloud = await startLocalCloud({ port: 0, dataDir, watch: false });
  const startMs = Math.round(performance.now() - t0);
  try {
    const bursts = [await burst(cloud.url, ids.slice(0, BURST))];
    await new Promise((resolve) => setTimeout(resolve, GAP_MS));
    bursts.push(await burst(cloud.url, ids.slice(BURST)));
    return { startMs, bursts };
  } finally {
    await cloud.stop();
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-burst-');
  try {
    const rounds: Awaited<ReturnType<typeof round>>[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(join(dir.path, `data-${i}`)));
    const summary = [0, 1].map((k) => {
      const all = rounds.map((r) => r.bursts[k]!);
      const median = (xs: number[]) => stats(xs).p50;
      return {
        burst: k === 0 ? 'at ready' : `${GAP_MS} ms later`,
        fiveXx: all.reduce((n, b) => n + b.fiveXx, 0),
        degraded: all.reduce((n, b) => n + b.degraded, 0),
        pages: all.length * BURST,
        p50: median(all.map((b) => b.latency.p50)),
        p99: median(all.map((b) => b.latency.p99)),
        mainGcMaxMs: median(all.map((b) => b.mainThread.gc.maxMs)),
        mainLoopDelayMaxMs: median(all.map((b) => b.mainThread.loopDelay.max)),
      };
    });
    const fiveXx = summary.reduce((n, s) => n + s.fiveXx, 0);
    report({
      name: 'burst-after-start',
      description: `${BURST} concurrent uncached product pages the moment a local cloud is ready, and ${BURST} more ${GAP_MS} ms later`,
      results: { summary, rounds, method: `${ROUNDS} rounds, each a new local cloud (prewarm on, as npm start) on a data folder written by a first one; fetch from the benchmark's process; medians over rounds` },
      goals: [
        {
          name: 'bursts right after start: no 5xx',
          measured: summary.map((s) => `${s.burst}: 5xx ${s.fiveXx}, degraded ${s.degraded} of ${s.pages}, p50 ${s.p50} / p99 ${s.p99} ms, main thread's longest GC ${s.mainGcMaxMs} ms, loop delay max ${s.mainLoopDelayMaxMs} ms`).join('; '),
          met: fiveXx === 0,
        },
      ],
    });
  } finally {
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
