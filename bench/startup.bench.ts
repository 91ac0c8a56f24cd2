/**
 * `npm start` to the first page (issue 12): spawn the local cloud with free PORT/OSS_PORT/MNS_PORT/FNF_PORT and time from spawn
 * to the first 200 on `/api/products` that lists products.
 * - `npmStart`: what every later start is — bundles built, data folder seeded (goal ≤ 8× the bare server);
 * - `npmStartNewData`: bundles built, a new data folder (tables created, demo data seeded);
 * - `freshClone`: the first start after a clone and `npm install` — no `dist/`, a new data folder, and of the
 *   local cloud's cache only what `npm install` leaves (its `prepare` script builds the start script, D43): the
 *   cache is deleted and `node scripts/local/launch.cjs --prepare` runs untimed before the start (goal ≤ 25×
 *   and < 3 s);
 * - `freshCloneNoPrepare`: the same after an install that ran no scripts (`npm install --ignore-scripts`):
 *   the start builds its own start script too (information);
 * - `launcher`: `node <npm start's options> scripts/local/launch.cjs` without npm's own start-up (what `npm start` runs);
 * - `devTsx`: `node --import tsx scripts/local/start.ts`, compiling TypeScript at run time (as `npm start` did
 *   before the prebuilt start script), for comparison.
 * Baseline in the same run: a bare `node -e` HTTP server, spawn to first 200. Rounds are interleaved so drift on
 * a shared machine hits every kind alike; medians are reported.
 *
 * Everything runs in a copy of the repository in a temp folder (sources copied, `node_modules` a folder of
 * links to the installed packages without `.cache`), so the fresh-clone rounds can delete `dist/` and the
 * caches without touching the working tree. Every process runs in its own process group and is stopped
 * with SIGTERM (SIGKILL after 10 s) by group id.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../scripts/local/cloud';
import { tempDir } from '../test/helpers/temp';
import { report, stats, type Stats } from './lib';
import { freePort } from '../test/helpers/free-port';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const WARM_GOAL_RATIO = 8;
const FRESH_GOAL_RATIO = 25;
const FRESH_GOAL_MS = 3000;
const POLL_EVERY_MS = 10;
const START_TIMEOUT_MS = 60_000;

type Kind = 'bareNode' | 'npmStart' | 'npmStartNewData' | 'freshClone' | 'freshCloneNoPrepare' | 'launcher' | 'devTsx';
const ALL_KINDS: Kind[] = ['bareNode', 'npmStart', 'npmStartNewData', 'freshClone', 'freshCloneNoPrepare', 'launcher', 'devTsx'];
const FRESH_KINDS: Kind[] = ['freshClone', 'freshCloneNoPrepare'];
/** `BENCH_KINDS=bareNode,npmStart` runs only those (the baseline is always kept). */
const KINDS = ALL_KINDS.filter((kind) => !process.env.BENCH_KINDS || kind === 'bareNode' || process.env.BENCH_KINDS.split(',').includes(kind));

/** Top-level entries of the repository the copy needs (what a clone has, without .git). */
const SOURCES = ['scripts', 'functions', 'website', 'infra', 'flows', 'types', 's.yaml', 'package.json', 'package-lock.json', 'tsconfig.json'];

function cloneRepository(into: string): string {
  const app = join(into, 'repo');
  mkdirSync(join(app, 'node_modules'), { recursive: true });
  for (const entry of SOURCES) cpSync(join(REPO_ROOT, entry), join(app, entry), { recursive: true });
  for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
    if (entry !== '.cache') symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(app, 'node_modules', entry));
  }
  return app;
}

/**
 * Time of the first 200 on `path` whose body passes `complete`. Until the port is bound the connection is
 * refused and is retried every few ms; once it is bound, the local cloud holds requests until it is ready,
 * so the first connection that gets through is usually the answer. One request at a time (overlapping
 * polls would be a load test).
 */
async function firstOk(base: string, path: string, child: ChildProcess, complete: (body: string) => boolean): Promise<number> {
  let exited: Error | undefined;
  const onExit = (code: number | null) => (exited = new Error(`process exited (${code}) before answering`));
  child.on('exit', onExit);
  const deadline = performance.now() + START_TIMEOUT_MS;
  try {
    for (;;) {
      if (exited) throw exited;
      if (performance.now() > deadline) throw new Error(`no complete 200 from ${base}${path} within ${START_TIMEOUT_MS} ms`);
      const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(START_TIMEOUT_MS) }).catch(() => undefined);
      const okAt = performance.now();
      const body = res ? await res.text() : '';
      if (res?.status === 200 && complete(body)) return okAt;
      await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    }
  } finally {
    child.off('exit', onExit);
  }
}

/** Does any process of the group still run? (`kill(-pgid, 0)` answers ESRCH once the last one is gone.) */
function groupRuns(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Stops the start and everything it started. The whole process group, not only the child: `npm start` exits before
 * the local cloud it ran (and its instance threads) has, and a fresh-clone round deleting `node_modules/.cache` met
 * that cloud still writing its code cache there (ENOTEMPTY, D168). SIGKILL after 10 s; given up after 15 s (a group
 * left with zombies that nobody reaps would answer forever).
 */
async function stop(child: ChildProcess): Promise<void> {
  const pgid = child.pid!;
  if (!groupRuns(pgid)) return;
  process.kill(-pgid, 'SIGTERM');
  const startedAt = Date.now();
  let killed = false;
  while (groupRuns(pgid) && Date.now() - startedAt < 15_000) {
    if (!killed && Date.now() - startedAt > 10_000) {
      killed = true;
      process.kill(-pgid, 'SIGKILL');
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** A complete first page: products listed, no part degraded (a price missing because an instance was still starting). */
const listsProducts = (body: string) => {
  try {
    const page = JSON.parse(body) as { items?: unknown[]; degraded?: unknown[] };
    return (page.items ?? []).length > 0 && page.degraded?.length === 0;
  } catch {
    return false;
  }
};

async function timeStart(kind: Kind, app: string, dataDir: string): Promise<number> {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), OSS_PORT: String(await freePort()), TABLESTORE_PORT: String(await freePort()), MNS_PORT: String(await freePort()), FNF_PORT: String(await freePort()), DATA_DIR: dataDir, NO_COLOR: '1', FC_LOCAL_QUIET: '1' };
  if (FRESH_KINDS.includes(kind)) for (const dir of ['dist', join('node_modules', '.cache')]) rmSync(join(app, dir), { recursive: true, force: true });
  // What `npm install` runs after installing the packages (package.json `prepare`): not part of the start.
  if (kind === 'freshClone') execFileSync(process.execPath, ['scripts/local/launch.cjs', '--prepare'], { cwd: app, stdio: 'ignore' });
  const t0 = performance.now();
  let child: ChildProcess;
  if (kind === 'bareNode') {
    const script = `require('node:http').createServer((q, s) => s.end('{"items":[1],"degraded":[]}')).listen(${port}, '127.0.0.1')`;
    child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else if (kind === 'launcher') {
    // node's command line in `npm start` (its V8 flags included, D113), without npm.
    const npmStart = (JSON.parse(readFileSync(join(app, 'package.json'), 'utf8')) as { scripts: { start: string } }).scripts.start.split(' ');
    child = spawn(process.execPath, npmStart.slice(1), { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else if (kind === 'devTsx') {
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn('npm', ['start', '--silent'], { cwd: app, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  try {
    const okAt = await firstOk(`http://127.0.0.1:${port}`, kind === 'bareNode' ? '/' : '/api/products', child, listsProducts);
    return okAt - t0;
  } catch (err) {
    throw new Error(`${kind}: ${(err as Error).message}\n${output.slice(-2000)}`, { cause: err });
  } finally {
    await stop(child);
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-startup-');
  try {
    const app = cloneRepository(dir.path);
    const seeded = join(dir.path, 'data-seeded');
    // One untimed start: builds dist/ and the caches and seeds the shared data folder, as after a first start.
    await timeStart('npmStart', app, seeded);
    const samples = Object.fromEntries(KINDS.map((kind) => [kind, [] as number[]])) as Record<Kind, number[]>;
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of KINDS) {
        const data = kind === 'npmStartNewData' || FRESH_KINDS.includes(kind) ? join(dir.path, `data-${kind}-${round}`) : seeded;
        samples[kind].push(await timeStart(kind, app, data));
      }
    }
    const ms = Object.fromEntries(KINDS.map((kind) => [kind, stats(samples[kind])])) as Record<Kind, Stats>;
    const ratio = (kind: Kind) => Math.round((ms[kind].p50 / ms.bareNode.p50) * 10) / 10;
    const spread = (kind: Kind) => `${Math.round(ms[kind].min)}–${Math.round(ms[kind].max)} ms`;
    report({
      name: 'startup',
      description: '`npm start` to the first page of products (warm, new data folder, first start after a clone), vs a bare node HTTP server',
      results: {
        ms,
        ratioToBareNodeP50: Object.fromEntries(KINDS.filter((k) => k !== 'bareNode').map((kind) => [kind, ratio(kind)])),
        samples,
        method:
          `${ROUNDS} interleaved rounds after one untimed start, in a copy of the repository (sources copied, node_modules linked without .cache); ` +
          `time from spawn to the first 200 on /api/products listing products (one request at a time, retried every ${POLL_EVERY_MS} ms while the port refuses connections; the local cloud holds requests until it is ready); ` +
          'freshClone deletes dist/ and node_modules/.cache, runs `node scripts/local/launch.cjs --prepare` (npm install\'s prepare script) untimed, and starts with a new data folder; ' +
          'freshCloneNoPrepare is the same without the prepare step',
      },
      goals: [
        ...(ms.npmStart
          ? [
              {
                name: `npm start to the first page ≤ ${WARM_GOAL_RATIO}× a bare node server (median)`,
                measured:
                  `p50 ${Math.round(ms.npmStart.p50)} ms (${spread('npmStart')}) vs bare node ${Math.round(ms.bareNode.p50)} ms: ${ratio('npmStart')}×` +
                  (['launcher', 'devTsx', 'npmStartNewData'] as const)
                    .filter((kind) => ms[kind])
                    .map((kind) => `; ${{ launcher: 'launcher without npm', devTsx: 'under tsx', npmStartNewData: 'new data folder' }[kind]} ${Math.round(ms[kind].p50)} ms (${ratio(kind)}×)`)
                    .join(''),
                met: ratio('npmStart') <= WARM_GOAL_RATIO,
              },
            ]
          : []),
        ...(ms.freshClone
          ? [
              {
                name: `first start after a clone and npm install (no dist/, new data folder) ≤ ${FRESH_GOAL_RATIO}× a bare node server and < ${FRESH_GOAL_MS} ms (median)`,
                measured:
                  `p50 ${Math.round(ms.freshClone.p50)} ms (${spread('freshClone')}): ${ratio('freshClone')}×` +
                  (ms.freshCloneNoPrepare ? `; after an install without scripts ${Math.round(ms.freshCloneNoPrepare.p50)} ms (${spread('freshCloneNoPrepare')}): ${ratio('freshCloneNoPrepare')}×` : ''),
                met: ratio('freshClone') <= FRESH_GOAL_RATIO && ms.freshClone.p50 < FRESH_GOAL_MS,
              },
            ]
          : []),
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
