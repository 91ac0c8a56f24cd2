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
import { Agent } from 'node:http';
import { withFixtureCloud } from './fixture-cloud';
import { interleavedRounds, postInvokeDirect, report, round3, stats, type Goal, type Stats } from './lib';

const ROUNDS = 6;
const PER_ROUND = 100;
const COLD_STARTS = 8;
const GOAL_P95_MS = 5;
const EVENT = Buffer.from('{"hello":"bench"}');

type Path = 'directInvoke' | 'python' | 'node' | 'pythonHttp' | 'nodeHttp';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function main(): Promise<void> {
  try {
    await withFixtureCloud('python', async (cloud) => {
      const invoke = async (name: string, event = EVENT) => {
        const record = await cloud.runtime.invoke(name, event, { source: 'bench' });
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
        directInvoke: async () => expectEcho('direct /invoke', await postInvokeDirect(agent, port, EVENT)),
        python: async () => expectEcho('py-echo', (await invoke('py-echo')).payload.toString()),
        node: async () => expectEcho('node-echo', (await invoke('node-echo')).payload.toString()),
        pythonHttp: () => fetch(`${cloud.url}/_fc/py-echo/`).then((res) => expectOk('py-echo GET', res)),
        nodeHttp: () => fetch(`${cloud.url}/_fc/node-echo/`).then((res) => expectOk('node-echo GET', res)),
      };
      const s = await interleavedRounds(runs, ROUNDS, PER_ROUND);
      const cold: Record<'python' | 'node', number[]> = { python: [], node: [] };
      for (let i = 0; i < COLD_STARTS; i++) {
        for (const [kind, name] of [['python', 'py-echo'], ['node', 'node-echo']] as const) {
          cloud.runtime.reload([name]);
          const started = performance.now();
          const record = await invoke(name);
          cold[kind].push(performance.now() - started);
          if (!record.coldStart) throw new Error(`${name}: the invocation after a reload was not a cold start`);
        }
      }
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
    });
  } finally {
    agent.destroy();
  }
}


main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
