/**
 * `npm start` to the first successful request (issue 3, goal < 2 s after install): spawn the local cloud with a
 * temp DATA_DIR and free PORT/OSS_PORT/MNS_PORT/FNF_PORT, and time from spawn to the first 200 on `/api/products`.
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

const ROUNDS = 3;
const GOAL_MS = 2000;
const POLL_EVERY_MS = 10;
/** A request sent before the gateway attaches its handler is never answered: give up on it and try again. */
const PROBE_TIMEOUT_MS = 50;
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
 * Time of the first 200 on `path`. A request that reaches the gateway before it attaches its handler is
 * never answered, so first wait for the gateway with short, abandoned probes of the console's health route
 * (answered without invoking any function), then ask for `path` one request at a time until it answers 200.
 * (Overlapping polls of `path` itself would be a load test: every one that finds the BFF busy starts another
 * instance.) Resolves with the times the gateway and `path` first answered.
 */
async function firstOk(base: string, path: string, probe: string, child: ChildProcess): Promise<{ gatewayAt: number; okAt: number }> {
  let exited: Error | undefined;
  const onExit = (code: number | null) => (exited = new Error(`process exited (${code}) before answering`));
  child.on('exit', onExit);
  const deadline = performance.now() + START_TIMEOUT_MS;
  const check = () => {
    if (exited) throw exited;
    if (performance.now() > deadline) throw new Error(`no 200 from ${base}${path} within ${START_TIMEOUT_MS} ms`);
  };
  try {
    let gatewayAt: number | undefined;
    while (gatewayAt === undefined) {
      check();
      try {
        const res = await fetch(`${base}${probe}`, { signal: AbortSignal.timeout(PROBE_TIMEOUT_MS) });
        await res.arrayBuffer();
        gatewayAt = performance.now();
      } catch {
        await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
      }
    }
    for (;;) {
      check();
      const res = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(START_TIMEOUT_MS) }).catch(() => undefined);
      const okAt = performance.now();
      await res?.arrayBuffer();
      if (res?.status === 200) return { gatewayAt, okAt };
      await new Promise((resolve) => setTimeout(resolve, POLL_EVERY_MS));
    }
  } finally {
    child.off('exit', onExit);
  }
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
  /** Spawn to the gateway's first answer (its health route). */
  gatewayMs: number;
  /** From the banner: `ready in`, `build`, `seed` (ms), as the cloud measured itself. */
  banner?: { ready: number; build: number; seed: number };
}

async function timeStart(kind: Kind, dataDir: string): Promise<StartSample> {
  const port = await freePort();
  const env = { ...process.env, PORT: String(port), OSS_PORT: String(await freePort()), MNS_PORT: String(await freePort()), FNF_PORT: String(await freePort()), DATA_DIR: dataDir, NO_COLOR: '1' };
  const t0 = performance.now();
  let child: ChildProcess;
  let path = '/api/products';
  let probe = '/_local/api/health';
  if (kind === 'bareNode') {
    const script = `require('node:http').createServer((q, s) => s.end('ok')).listen(${port}, '127.0.0.1')`;
    child = spawn(process.execPath, ['-e', script], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    path = '/';
    probe = '/';
  } else if (kind.startsWith('npm')) {
    child = spawn('npm', ['start', '--silent'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  } else {
    child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local/start.ts'], { cwd: REPO_ROOT, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  }
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString('utf8')));
  try {
    const { gatewayAt, okAt } = await firstOk(`http://127.0.0.1:${port}`, path, probe, child);
    const banner = /ready in (\d+) ms \(build (\d+) ms, seed (\d+) ms\)/.exec(output);
    return { ms: okAt - t0, gatewayMs: gatewayAt - t0, ...(banner ? { banner: { ready: Number(banner[1]), build: Number(banner[2]), seed: Number(banner[3]) } } : {}) };
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
        gatewayFirstAnswerMs: Object.fromEntries(Object.entries(samples).map(([kind, list]) => [kind, stats(list.map((s) => s.gatewayMs))])),
        ratioToBareNodeP50: { npmStartCold: ratio('npmStartCold'), npmStartWarm: ratio('npmStartWarm'), tsxCold: ratio('tsxCold'), tsxWarm: ratio('tsxWarm') },
        selfReported: { npmStartCold: bannerOf(samples.npmStartCold), npmStartWarm: bannerOf(samples.npmStartWarm), tsxCold: bannerOf(samples.tsxCold), tsxWarm: bannerOf(samples.tsxWarm) },
        method:
          `${ROUNDS} interleaved rounds (after one untimed start); time from spawn to the first 200: the console health route probed every ${POLL_EVERY_MS} ms until the gateway answers (gatewayFirstAnswerMs), then the path one request at a time; ` +
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
