/**
 * Every public route other than the product page under a load generator (issue 12, D100), as a user points
 * autocannon at `npm start`: the image API, OSS presigned GETs and x-oss-process, the order API (a unique
 * Idempotency-Key per POST) and its saga, signed IoT ingest and the data API, the website and the console API,
 * and the emulators straight through their SDKs (TableStore, OSS, MNS, FnF) with many concurrent callers.
 * Per route: requests/s and its ratio to the gateway's health route at the same connections in the same run,
 * p99, the count of 5xx (goal 0), of connection errors and timeouts, of wrong answers (bodies are checked), and
 * of accepted writes that never became readable (orders that never end, readings never served, rows, objects,
 * messages or executions that vanish).
 *
 * Each round: a local cloud makes the fixtures through the public APIs and is stopped; a new one starts on the
 * same data folder, and the moment it is ready every route gets its first burst at 64 connections (the "cold"
 * pass: every function's first requests meet cold instances); then every route at 8, 32 and 64 connections
 * ("warm"). Loads run in their own process (`routes-load-client.ts`).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { startLocalCloud, REPO_ROOT, type LocalCloud } from '../scripts/local/cloud';
import { httpRoutes, prepareRouteFixtures, sdkRoutes, type RouteFixtures } from '../test/helpers/route-load';
import { tempDir } from '../test/helpers/temp';
import { report, stats } from './lib';
import type { LoadInput, LoadResult } from './routes-load-client';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const LEVELS = (process.env.BENCH_LEVELS ?? '8,32,64').split(',').map(Number);
const COLD_CONNECTIONS = LEVELS[LEVELS.length - 1]!;
const ONLY = process.env.BENCH_ROUTES?.split(',');

function load(fixtures: RouteFixtures, route: string, connections: number, seconds = SECONDS): Promise<LoadResult> {
  const input: LoadInput = { fixtures, route, connections, seconds };
  const child = spawn(process.execPath, ['--import', 'tsx', join(__dirname, 'routes-load-client.ts'), JSON.stringify(input)], { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(Buffer.concat(out).toString('utf8')) as LoadResult);
      else reject(new Error(`load of ${route} failed (${code}): ${Buffer.concat(err).toString('utf8').slice(-2000)}`));
    }),
  );
}

const fiveXx = (statuses: Record<string, number>) => Object.entries(statuses).reduce((n, [code, count]) => n + (Number(code) >= 500 ? count : 0), 0);

/** The fixtures with the endpoints of `cloud` (a restart on port 0 moves every port; presigned paths stay valid). */
async function onCloud(fixtures: RouteFixtures, cloud: LocalCloud): Promise<RouteFixtures> {
  const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as RouteFixtures['endpoints'];
  return { ...fixtures, url: cloud.url, endpoints };
}

interface Row extends LoadResult {
  pass: 'cold' | 'warm';
  fiveXx: number;
  /** requests/s over the health route's at the same connections in this round. */
  ratio?: number;
}

async function round(dir: string): Promise<Row[]> {
  const dataDir = join(dir, 'data');
  const first = await startLocalCloud({ port: 0, dataDir, watch: false });
  let fixtures: RouteFixtures;
  try {
    fixtures = await prepareRouteFixtures(first.url);
  } finally {
    await first.stop();
  }
  const cloud = await startLocalCloud({ port: 0, dataDir, watch: false });
  try {
    fixtures = await onCloud(fixtures, cloud);
    const names = [...httpRoutes(fixtures), ...sdkRoutes(fixtures)].map((r) => r.name).filter((name) => !ONLY || name === 'health' || ONLY.includes(name));
    const rows: Row[] = [];
    const add = (pass: Row['pass'], result: LoadResult) => {
      rows.push({ pass, ...result, fiveXx: fiveXx(result.statuses) });
      console.log(`${pass} ${result.route} ${result.connections}c: ${Math.round(result.rps)} req/s p99 ${result.p99} ms; 5xx ${fiveXx(result.statuses)}, errors ${result.errors + result.timeouts}, wrong ${result.wrong}${result.landing ? `, lost ${result.landing.lost} of ${result.landing.accepted}` : ''} ${JSON.stringify(result.statuses)} ${[...result.wrongExamples, ...(result.landing?.examples ?? [])].join(' | ')}`);
    };
    for (const name of names.filter((n) => n !== 'health')) add('cold', await load(fixtures, name, COLD_CONNECTIONS));
    for (const connections of LEVELS) {
      const health = await load(fixtures, 'health', connections);
      add('warm', health);
      for (const name of names.filter((n) => n !== 'health')) add('warm', await load(fixtures, name, connections));
      for (const row of rows.filter((r) => r.pass === 'warm' && r.connections === connections)) row.ratio = Math.round((row.rps / health.rps) * 1000) / 1000;
    }
    return rows;
  } finally {
    await cloud.stop();
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-routes-load-');
  try {
    const rounds: Row[][] = [];
    for (let i = 0; i < ROUNDS; i++) rounds.push(await round(join(dir.path, `round-${i}`)));
    const all = rounds.flat();
    const median = (xs: number[]) => (xs.length ? stats(xs).p50 : 0);
    const keys = [...new Set(all.map((r) => `${r.pass} ${r.route} ${r.connections}`))];
    const routes = keys.map((key) => {
      const rows = all.filter((r) => `${r.pass} ${r.route} ${r.connections}` === key);
      const [row] = rows;
      return {
        pass: row!.pass,
        route: row!.route,
        connections: row!.connections,
        rps: Math.round(median(rows.map((r) => r.rps))),
        ratioToHealth: row!.ratio === undefined ? undefined : median(rows.map((r) => r.ratio ?? 0)),
        p99: median(rows.map((r) => r.p99)),
        requests: rows.reduce((n, r) => n + r.total, 0),
        fiveXx: rows.reduce((n, r) => n + r.fiveXx, 0),
        errors: rows.reduce((n, r) => n + r.errors + r.timeouts, 0),
        wrong: rows.reduce((n, r) => n + r.wrong, 0),
        lost: rows.reduce((n, r) => n + (r.landing?.lost ?? 0), 0),
        accepted: rows.some((r) => r.landing) ? rows.reduce((n, r) => n + (r.landing?.accepted ?? 0), 0) : undefined,
        statuses: rows.map((r) => r.statuses),
        examples: [...new Set(rows.flatMap((r) => [...r.wrongExamples, ...(r.landing?.examples ?? [])]))].slice(0, 3),
      };
    });
    const sum = (pick: (r: (typeof routes)[number]) => number) => routes.reduce((n, r) => n + pick(r), 0);
    const bad = routes.filter((r) => r.fiveXx + r.errors + r.wrong + r.lost > 0);
    report({
      name: 'routes-load',
      description: 'every public route besides the product page under autocannon (8/32/64 connections, cold and warm) and the emulators under concurrent SDK clients',
      results: {
        routes,
        method:
          `${ROUNDS} round(s); each: fixtures made on one local cloud, then a new one on the same data folder; every route at ${COLD_CONNECTIONS} connections the moment it is ready (cold), ` +
          `then at ${LEVELS.join('/')} connections (warm), ${SECONDS} s each, autocannon (or SDK callers) in a process of its own; ratio = req/s over the health route's at the same connections in the same round; medians over rounds`,
      },
      goals: [
        { name: 'no 5xx on any route', measured: `${sum((r) => r.fiveXx)} of ${sum((r) => r.requests)} requests`, met: sum((r) => r.fiveXx) === 0 },
        { name: 'no connection errors or timeouts', measured: `${sum((r) => r.errors)}`, met: sum((r) => r.errors) === 0 },
        { name: 'no wrong answers (bodies checked)', measured: `${sum((r) => r.wrong)}`, met: sum((r) => r.wrong) === 0 },
        { name: 'every accepted write lands', measured: `${sum((r) => r.lost)} lost of ${sum((r) => r.accepted ?? 0)} accepted`, met: sum((r) => r.lost) === 0 },
        { name: 'routes with any defect', measured: bad.map((r) => `${r.pass} ${r.route} ${r.connections}c`).join(', ') || 'none', met: bad.length === 0 },
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
