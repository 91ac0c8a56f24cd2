/**
 * `npm start` to the first successful request (issue 3, goal < 2 s after install): spawn the local cloud with a
 * temp DATA_DIR and free PORT/OSS_PORT, and time from spawn to the first 200 on `/api/products`.
 * - cold: a new, empty data folder (the first start after install: tables created, demo data seeded);
 * - warm: the same folder again (what every later `npm start` does);
 * each both as `npm start` (what a person types) and as `node --import tsx scripts/local/start.ts` (what
 * npm runs, without npm's own start-up). Both build every bundle and the website, and start the esbuild
 * watcher, as `npm start` does.
 * Baseline in the same run: a bare `node -e` HTTP server, spawn to first 200 — the floor of process start-up
 * plus the same polling. Runs are interleaved so drift on a shared machine hits every kind alike.
 * Every process runs in its own process group and is stopped with SIGTERM (SIGKILL after 10 s) by group id.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { REPO_ROOT } from '../scripts/local/cloud';
import { tempDir } from '../test/helpers/temp';
import { report, stats, type Stats } from './lib';

const ROUNDS = 4;
const GOAL_MS = 2000;
const POLL_EVERY_MS = 10;
/** A request sent before the gateway attaches its handler is never answered: give up on it and try again. */
const ATTEMPT_TIMEOUT_MS = 250;
const START_TIMEOUT_MS = 60_000;

type Kind = 'npmStartCold' | 'npmStartWarm' | 'tsxCold' | 'tsxWarm' | 'bareNode';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as { port: number };
  await new Promise((ok) => server.close(ok));
  return port;
}

/**
 * Poll `url` with overlapping attempts (a new one every POLL_EVERY_MS, each abandoned after
 * ATTEMPT_TIMEOUT_MS) until one answers 200; resolves with the time of that answer.
 */
function firstOk(url: string, child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    let done = false;
    const finish = (error?: Error, at?: number) => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(giveUp);
      child.off('exit', onExit);
      if (error) reject(error);
      else resolve(at!);
    };
    const onExit = (code: number | null) => finish(new Error(`process exited (${code}) before answering`));
    child.on('exit', onExit);
    const giveUp = setTimeout(() => finish(new Error(`no 200 from ${url} within ${START_TIMEOUT_MS} ms`)), START_TIMEOUT_MS);
    const poll = setInterval(() => {
      fetch(url, { signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) })
        .then(async (res) => {
          const at = performance.now();
          await res.arrayBuffer();
          if (res.status === 200) finish(undefined, at);
        })
        .catch(() => undefined);
    }, POLL_EVERY_MS);
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((ok) => child.once('exit', ok));
  process.kill(-child.pid!, 'SIGTERM');
  const timer = setTimeout(() => {
    if (child.exitCode === null && child.signalCode === null) process.kill(-child.pid!, 'SIGKILL');
  }, 10_000);
  await exited;
  clearTimeout(timer);
}

interface StartSample {
  ms: number;
  /** From the banner: `ready in`, `build`, `seed` (ms), as the cloud measured itself. */
  banner?: { ready: number; build: number; seed: number };
}

async function timeStart(kind: Kind, dataDir: string): Promise<StartSample> {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), OSS_PORT: String(await freePort()), DATA_DIR: dataDir, NO_COLOR: '1' };
  const t0 = performance.now();
  let child: ChildProcess;
  let path = '/api/products';
  if (kind === 'bareNode') {
    const script = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    path = '/';
  } else if (kind.startsWith('npm')) {
    child = spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  try {
    const at = await firstOk(`http://127.0.0.1:${port}${path}`, child);
    const banner = /ready in (\d+) ms \(build (\d+) ms, seed (\d+) ms\)/.exec(output);
    return { ms: at - t0, ...(banner ? { banner: { ready: Number(banner[1]), build: Number(banner[2]), seed: Number(banner[3]) } } : {}) };
  } catch (err) {
    throw new Error(`${kind}: ${(err as Error).message}\n${output.slice(-2000)}`, { cause: err });
  } finally {
    await stop(child);
  }
}

async function main(): Promise<void> {
  const dir = tempDir('bench-startup-');
  try {
    const samples: Record<Kind, StartSample[]> = { npmStartCold: [], npmStartWarm: [], tsxCold: [], tsxWarm: [], bareNode: [] };
    // One untimed start: the instance worker's compile cache and the OS file cache, as after install.
    await timeStart('tsxCold', join(dir.path, 'warmup'));
    for (let round = 0; round < ROUNDS; round++) {
      samples.bareNode.push(await timeStart('bareNode', dir.path));
      const npmDir = join(dir.path, `npm-${round}`);
      samples.npmStartCold.push(await timeStart('npmStartCold', npmDir));
      samples.npmStartWarm.push(await timeStart('npmStartWarm', npmDir));
      const tsxDir = join(dir.path, `tsx-${round}`);
      samples.tsxCold.push(await timeStart('tsxCold', tsxDir));
      samples.tsxWarm.push(await timeStart('tsxWarm', tsxDir));
    }
    const ms = Object.fromEntries(Object.entries(samples).map(([kind, list]) => [kind, stats(list.map((s) => s.ms))])) as Record<Kind, Stats>;
    const bannerOf = (list: StartSample[]) => {
      const with_ = list.filter((s) => s.banner).map((s) => s.banner!);
      return with_.length ? { ready: stats(with_.map((b) => b.ready)), build: stats(with_.map((b) => b.build)), seed: stats(with_.map((b) => b.seed)) } : undefined;
    };
    const ratio = (kind: Kind) => Math.round((ms[kind].p50 / ms.bareNode.p50) * 10) / 10;
    report({
      name: 'startup',
      description: '`npm start` (and node --import tsx start.ts) to the first 200 on /api/products, cold and warm data folder, vs a bare node HTTP server',
      results: {
        ms,
        ratioToBareNodeP50: { npmStartCold: ratio('npmStartCold'), npmStartWarm: ratio('npmStartWarm'), tsxCold: ratio('tsxCold'), tsxWarm: ratio('tsxWarm') },
        selfReported: { npmStartCold: bannerOf(samples.npmStartCold), npmStartWarm: bannerOf(samples.npmStartWarm), tsxCold: bannerOf(samples.tsxCold), tsxWarm: bannerOf(samples.tsxWarm) },
        method:
          `${ROUNDS} interleaved rounds (after one untimed start); time from spawn to the first 200, polling every ${POLL_EVERY_MS} ms with overlapping requests; ` +
          'selfReported = the banner’s "ready in … (build …, seed …)", measured inside the process from its first line of start.ts (so without node/tsx start-up and the first request)',
      },
      goals: [
        {
          name: `npm start to first 200 on /api/products < ${GOAL_MS} ms (first start after install: cold data folder, median)`,
          measured: `p50 ${Math.round(ms.npmStartCold.p50)} ms, max ${Math.round(ms.npmStartCold.max)} (bare node server ${Math.round(ms.bareNode.p50)} ms; ${ratio('npmStartCold')}×)`,
          met: ms.npmStartCold.p50 < GOAL_MS,
        },
        {
          name: `npm start to first 200 on /api/products < ${GOAL_MS} ms (later starts: warm data folder, median)`,
          measured: `p50 ${Math.round(ms.npmStartWarm.p50)} ms, max ${Math.round(ms.npmStartWarm.max)} (node --import tsx: ${Math.round(ms.tsxWarm.p50)} ms; ${ratio('npmStartWarm')}× bare node)`,
          met: ms.npmStartWarm.p50 < GOAL_MS,
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
