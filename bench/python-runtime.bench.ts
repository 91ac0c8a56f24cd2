/**
 * FC's Python runtimes in the local cloud (D131): a trivial Python function (test/fixtures/apps/python `py-echo`,
 * python3.10 on the host's python3) warm and cold.
 * - Warm overhead: `cloud.runtime.invoke` against the same event sent straight to that instance's bootstrap
 *   (`POST /invoke` on its port, node:http with a kept-alive connection, as the local cloud reaches it) — what the
 *   local cloud adds; goal as invoke-overhead's and custom-runtime's: < 5 ms p95.
 * - Against Node.js (information): the same function in nodejs20 (`node-echo`, a worker thread) through
 *   `cloud.runtime.invoke` and through the HTTP trigger on the gateway (`fetch`), paths interleaved in rounds.
 * - Cold start (information): the first invocation after a reload of each, alternated: a process with python's
 *   start-up and the bootstrap's imports, against a worker thread loading a CommonJS file.
 */
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import { copyFixtureApp } from '../test/helpers/fixture-app';
import { tempDir } from '../test/helpers/temp';
import { report, sample, stats, type Goal, type Stats } from './lib';

const ROUNDS = 6;
const PER_ROUND = 100;
const COLD_STARTS = 8;
const GOAL_P95_MS = 5;
const EVENT = Buffer.from('{"hello":"bench"}');

type Path = 'directInvoke' | 'python' | 'node' | 'pythonHttp' | 'nodeHttp';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** `POST /invoke` to the bootstrap itself, as the local cloud sends it. */
function postInvoke(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers = { 'content-type': 'application/octet-stream', 'content-length': String(EVENT.length), 'x-fc-request-id': 'bench', 'x-fc-control-path': '/invoke' };
    const req = request({ host: '127.0.0.1', port, agent, method: 'POST', path: '/invoke', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve(Buffer.concat(chunks).toString()));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(EVENT);
  });
}

async function main(): Promise<void> {
  const dir = tempDir('bench-python-');
  let cloud: LocalCloud | undefined;
  try {
    copyFixtureApp('python', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, build: false, seed: false, env: {} });
    const local = cloud;
    const invoke = async (name: string, event = EVENT) => {
      const record = await local.runtime.invoke(name, event, { source: 'bench' });
      if (record.status !== 'succeeded') throw new Error(`${name}: ${record.status} ${record.error?.errorMessage ?? ''}`);
      return record;
    };
    const port = Number((await invoke('py-echo', Buffer.from('port'))).payload.toString());
    const expectEcho = (what: string, text: string) => {
      if (text !== EVENT.toString()) throw new Error(`${what} answered ${text}`);
    };
    const expectOk = async (what: string, res: Response) => {
      const text = await res.text();
      if (res.status !== 200 || text !== 'ok') throw new Error(`${what} answered ${res.status} ${text}`);
    };
    const runs: Record<Path, () => Promise<void>> = {
      directInvoke: async () => expectEcho('direct /invoke', await postInvoke(port)),
      python: async () => expectEcho('py-echo', (await invoke('py-echo')).payload.toString()),
      node: async () => expectEcho('node-echo', (await invoke('node-echo')).payload.toString()),
      pythonHttp: () => fetch(`${local.url}/_fc/py-echo/`).then((res) => expectOk('py-echo GET', res)),
      nodeHttp: () => fetch(`${local.url}/_fc/node-echo/`).then((res) => expectOk('node-echo GET', res)),
    };
    for (const run of Object.values(runs)) await sample(run, 0, 50);
    const samples: Record<Path, number[]> = { directInvoke: [], python: [], node: [], pythonHttp: [], nodeHttp: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of Object.keys(runs) as Path[]) samples[path].push(...(await sample(runs[path], PER_ROUND, 5)));
    }
    const cold: Record<'python' | 'node', number[]> = { python: [], node: [] };
    for (let i = 0; i < COLD_STARTS; i++) {
      for (const [kind, name] of [['python', 'py-echo'], ['node', 'node-echo']] as const) {
        local.runtime.reload([name]);
        const started = performance.now();
        const record = await invoke(name);
        cold[kind].push(performance.now() - started);
        if (!record.coldStart) throw new Error(`${name}: the invocation after a reload was not a cold start`);
      }
    }
    const s = Object.fromEntries(Object.entries(samples).map(([path, list]) => [path, stats(list)])) as Record<Path, Stats>;
    const coldStats = { python: stats(cold.python), node: stats(cold.node) };
    const overheadMs = { p50: round3(s.python.p50 - s.directInvoke.p50), p95: round3(s.python.p95 - s.directInvoke.p95) };
    const ratio = (a: Stats, b: Stats) => round3(a.p50 / b.p50);
    const goals: Goal[] = [
      {
        name: `python runtime: warm overhead of cloud.runtime.invoke over a direct POST /invoke to the bootstrap < ${GOAL_P95_MS} ms at p95`,
        measured: `+${overheadMs.p95} ms p95 (${s.python.p95} vs ${s.directInvoke.p95} ms), +${overheadMs.p50} ms p50 (${s.python.p50} vs ${s.directInvoke.p50} ms)`,
        met: overheadMs.p95 < GOAL_P95_MS,
      },
    ];
    report({
      name: 'python-runtime',
      description: 'a trivial python3.10 function on the host python3 (D131): warm through the local cloud vs its bootstrap directly, against the same function in nodejs20, and cold starts',
      results: {
        ms: s,
        overheadMs,
        pythonOverNodeP50: { invoke: ratio(s.python, s.node), httpTrigger: ratio(s.pythonHttp, s.nodeHttp) },
        coldStartMs: coldStats,
        method: `${ROUNDS} interleaved rounds × ${PER_ROUND} sequential requests per path (after 50 + 5/round warm-ups), one warm instance each; direct event = node:http keep-alive, HTTP paths = fetch; ${COLD_STARTS} cold starts each (reload, then time the first invocation), alternated`,
      },
      goals,
    });
  } finally {
    agent.destroy();
    await cloud?.stop();
    dir.cleanup();
  }
}

const round3 = (x: number) => Math.round(x * 1000) / 1000;

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
