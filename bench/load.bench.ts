/**
 * The product page under load (issue 12): autocannon against a local cloud started as `npm start` starts it
 * (default instance caps, prewarm), in its own process on the same machine.
 * 1. uncached pages at 8, 32 and 64 connections: every request asks for a product no request asked for
 *    before, so each page calls all six services; requests/s, p99, the count of 5xx (goal 0) and of degraded
 *    pages (`x-degraded`), and what the pool did (instances, cold starts, the longest wait in line);
 * 2. a cached page (one product, every part in the BFF instances' caches) — goal ≥ 10,000 requests/s;
 *    baseline: the gateway's health route (no function) under the same load.
 * The whole sequence runs ROUNDS times (each on a new local cloud); medians are reported with the spread.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, REPO_ROOT } from '../scripts/local/cloud';
import { defaultInstanceCaps } from '../scripts/local/runtime/capacity';
import { localCloudTable } from '../test/helpers/tablestore';
import { tempDir } from '../test/helpers/temp';
import { recording, report, stats, watchMainThreadPauses, type MainThreadPauses, type PageLoadResult as ClientResult } from './lib';
import { FreshProducts, writeBenchProducts } from './products';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const LEVELS = [8, 32, 64];
const CACHED_CONNECTIONS = [8, 32];
const CACHED_GOAL_RPS = 10_000;
/** Uncached pages a level can use up: far more than this machine serves in SECONDS. */
const PRODUCTS_PER_LEVEL = Number(process.env.BENCH_PRODUCTS_PER_LEVEL ?? 2500);
const REGION = 'cn-hangzhou';


/**
 * autocannon in its own process (so load generation does not share the gateway's event loop), through its
 * API: each request takes the next path from `paths` (cycling only for the cached page), and every response
 * is counted by status and by its `x-degraded` header.
 */
const CLIENT = `
const autocannon = require(process.argv[1]);
const { readFileSync } = require('node:fs');
const { url, connections, seconds, pathsFile } = JSON.parse(process.argv[2]);
const paths = JSON.parse(readFileSync(pathsFile, 'utf8'));
let next = 0;
const statuses = {};
let degraded = 0;
const instance = autocannon({
  url, connections, duration: seconds, timeout: 30,
  requests: [{
    setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }),
    onResponse: (status, body, context, headers) => {
      statuses[status] = (statuses[status] || 0) + 1;
      if (headers['x-degraded']) degraded++;
    },
  }],
}, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  process.stdout.write(JSON.stringify({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, statuses, degraded, errors: r.errors, timeouts: r.timeouts, used: next }));
});
`;

async function load(url: string, paths: string[], connections: number, seconds: number, scratch: string): Promise<ClientResult & { used: number }> {
  const pathsFile = join(scratch, `paths-${Date.now()}-${connections}.json`);
  writeFileSync(pathsFile, JSON.stringify(paths));
  const child = spawn(process.execPath, ['-e', CLIENT, join(REPO_ROOT, 'node_modules', 'autocannon'), JSON.stringify({ url, connections, seconds, pathsFile })], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  if (code !== 0) throw new Error(`load client failed (${code}): ${Buffer.concat(err).toString('utf8')}`);
  return JSON.parse(Buffer.concat(out).toString('utf8')) as ClientResult & { used: number };
}

const pagePath = (id: string) => `/api/products/${id}?client=web&region=${REGION}`;
const fiveXx = (statuses: Record<string, number>) => Object.entries(statuses).reduce((n, [code, count]) => n + (Number(code) >= 500 ? count : 0), 0);

interface LevelResult extends ClientResult {
  connections: number;
  fiveXx: number;
  poolAfter: Record<string, number>;
  coldStarts: number;
  maxWaitMs: number;
  serviceCallsPerPage: number;
  /** The local cloud's main thread during the level (D113): its GC pauses and event-loop delay. */
  mainThread: MainThreadPauses;
}

interface RoundResult {
  uncached: LevelResult[];
  cached: { connections: number; page: ClientResult; health: ClientResult; ratio: number }[];
}

async function round(dataDir: string, scratch: string): Promise<RoundResult> {
  const cloud = await startLocalCloud({ port: 0, dataDir, watch: false });
  try {
    const table = await localCloudTable(cloud.url);
    const fresh = new FreshProducts(await writeBenchProducts(table, PRODUCTS_PER_LEVEL * (LEVELS.length + 1)));
    // Untimed warm-up at the smallest level, on products of its own.
    await load(cloud.url, fresh.takeMany(PRODUCTS_PER_LEVEL).map(pagePath), LEVELS[0]!, 2, scratch);

    const uncached: LevelResult[] = [];
    for (const connections of LEVELS) {
      const paths = fresh.takeMany(PRODUCTS_PER_LEVEL).map(pagePath);
      const pauses = watchMainThreadPauses();
      const { result, records } = await recording(cloud, () => load(cloud.url, paths, connections, SECONDS, scratch));
      const mainThread = pauses();
      if (result.used > paths.length) throw new Error(`${connections} connections used ${result.used} pages of ${paths.length}: some were cached`);
      const bff = records.filter((r) => r.resource === 'product-bff');
      uncached.push({
        connections,
        ...result,
        fiveXx: fiveXx(result.statuses),
        poolAfter: Object.fromEntries(cloud.runtime.poolStats().filter((p) => p.resource.startsWith('product-')).map((p) => [p.resource, p.instances])),
        coldStarts: records.filter((r) => r.coldStart).length,
        maxWaitMs: Math.max(0, ...records.map((r) => r.waitMs)),
        serviceCallsPerPage: Math.round(((records.length - bff.length) / Math.max(1, bff.length)) * 100) / 100,
        mainThread,
      });
    }

    const cachedPath = pagePath('p-aurora-headphones');
    const cached: RoundResult['cached'] = [];
    for (const connections of CACHED_CONNECTIONS) {
      await load(cloud.url, [cachedPath], connections, 2, scratch); // every BFF instance gets the page into its cache
      const page = await load(cloud.url, [cachedPath], connections, SECONDS, scratch);
      const health = await load(cloud.url, ['/_local/api/health'], connections, SECONDS, scratch);
      cached.push({ connections, page, health, ratio: Math.round((page.rps / health.rps) * 1000) / 1000 });
    }
    return { uncached, cached };
  } finally {
    await cloud.stop();
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-load-');
  try {
    const rounds: RoundResult[] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(join(dir.path, `data-${i}`), dir.path));
    const median = (xs: number[]) => stats(xs).p50;
    const spread = (xs: number[]) => `${Math.round(Math.min(...xs))}–${Math.round(Math.max(...xs))}`;
    const levels = LEVELS.map((connections) => {
      const all = rounds.map((r) => r.uncached.find((l) => l.connections === connections)!);
      return {
        connections,
        rps: median(all.map((l) => l.rps)),
        rpsSpread: spread(all.map((l) => l.rps)),
        p50: median(all.map((l) => l.p50)),
        p99: median(all.map((l) => l.p99)),
        mainGcMaxMs: median(all.map((l) => l.mainThread.gc.maxMs)),
        mainLoopDelayMaxMs: median(all.map((l) => l.mainThread.loopDelay.max)),
        fiveXx: all.reduce((n, l) => n + l.fiveXx, 0),
        degraded: all.reduce((n, l) => n + l.degraded, 0),
        requests: all.reduce((n, l) => n + l.total, 0),
        errors: all.reduce((n, l) => n + l.errors + l.timeouts, 0),
      };
    });
    const cachedBest = CACHED_CONNECTIONS.map((connections) => {
      const all = rounds.map((r) => r.cached.find((c) => c.connections === connections)!);
      return { connections, rps: median(all.map((c) => c.page.rps)), rpsSpread: spread(all.map((c) => c.page.rps)), healthRps: median(all.map((c) => c.health.rps)), ratio: median(all.map((c) => c.ratio)) };
    }).sort((a, b) => b.rps - a.rps)[0]!;
    const total5xx = levels.reduce((n, l) => n + l.fiveXx, 0);
    report({
      name: 'load',
      description: 'product page under autocannon load: uncached pages at 8/32/64 connections, and a cached page vs the gateway health route',
      results: {
        uncached: levels,
        cached: cachedBest,
        rounds,
        method:
          `${ROUNDS} rounds, each on a new local cloud (default caps: ${JSON.stringify(defaultInstanceCaps())}) with ${PRODUCTS_PER_LEVEL * (LEVELS.length + 1)} bench products; ` +
          `autocannon ${SECONDS} s per level in its own process (same machine); uncached = every request a product never asked before (web, ${REGION}); ` +
          `cached = one product after a 2 s warm-up at the same connections; medians over rounds, spread min–max`,
      },
      goals: [
        {
          name: 'uncached pages at 8/32/64 connections: no 5xx',
          measured: levels.map((l) => `${l.connections}c: ${Math.round(l.rps)} req/s (${l.rpsSpread}), p50 ${l.p50} / p99 ${l.p99} ms, 5xx ${l.fiveXx}, degraded ${l.degraded} of ${l.requests}, main thread's longest GC ${l.mainGcMaxMs} ms`).join('; '),
          met: total5xx === 0,
        },
        {
          name: `cached page ≥ ${CACHED_GOAL_RPS} req/s (gateway health route as baseline)`,
          measured: `${Math.round(cachedBest.rps)} req/s at ${cachedBest.connections} connections (${cachedBest.rpsSpread}); health route ${Math.round(cachedBest.healthRps)} req/s; ratio ${cachedBest.ratio}`,
          met: cachedBest.rps >= CACHED_GOAL_RPS,
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
