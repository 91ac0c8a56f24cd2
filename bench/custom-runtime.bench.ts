/**
 * Warm overhead of a custom-runtime function in the local cloud (D123): what the local cloud adds to a request
 * that a user's own server (test/fixtures/apps/custom, a plain `node server.js`) answers. Baseline = the same
 * request sent straight to that very server process on its port, in the same run:
 * - events: `cloud.runtime.invoke` and FC InvokeFunction (`@alicloud/fc20230330` through `FcFunctionInvoker`) vs a
 *   direct `POST /invoke` with the same body;
 * - HTTP trigger: `GET /_fc/fx-web/hello` on the gateway vs a direct `GET /hello`.
 * Each pair uses one kind of client: the direct event goes through node:http with a keep-alive agent, as the local
 * cloud reaches the server (a `fetch` baseline costs ~0.5 ms more than that and made the overhead negative);
 * both HTTP-trigger paths use `fetch`, as a browser-like client would. Paths interleaved in rounds so drift on a
 * shared machine hits all alike. Goal as invoke-overhead's: < 5 ms p95.
 */
import { Agent } from 'node:http';
import { FcFunctionInvoker } from '../functions/_shared/aliyun/fc-invoker';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import { withFixtureCloud } from './fixture-cloud';
import { interleavedRounds, postInvokeDirect, report, round3, type Goal } from './lib';

const ROUNDS = 6;
const PER_ROUND = 100;
const GOAL_P95_MS = 5;
const EVENT = Buffer.from('{"hello":"bench"}');

type Path = 'directInvoke' | 'runtime' | 'fcApi' | 'directHttp' | 'gateway';

const agent = new Agent({ keepAlive: true, maxSockets: 1 });

async function main(): Promise<void> {
  try {
    await withFixtureCloud('custom', async (cloud) => {
      const first = await cloud.runtime.invoke('fx-web', EVENT, { source: 'bench' });
      if (first.status !== 'succeeded') throw new Error(`fx-web: ${first.status} ${first.error?.errorMessage ?? ''}`);
      const port = (JSON.parse(first.payload.toString()) as { listenPort: number }).listenPort;
      const server = `http://127.0.0.1:${port}`;
      const invoker = new FcFunctionInvoker({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.url });
      const expectOk = (what: string, text: string) => {
        if (!text.includes('"pid"')) throw new Error(`${what} answered ${text}`);
      };
      const gatewayUrl = `${cloud.url}/_fc/fx-web/hello`;
      const runs: Record<Path, () => Promise<void>> = {
        directInvoke: async () => expectOk('direct /invoke', await postInvokeDirect(agent, port, EVENT)),
        runtime: async () => {
          const record = await cloud.runtime.invoke('fx-web', EVENT, { source: 'bench' });
          if (record.status !== 'succeeded') throw new Error(`runtime: ${record.status}`);
          expectOk('runtime.invoke', record.payload.toString());
        },
        fcApi: async () => {
          const result = await invoker.invoke('fx-web', EVENT);
          if (result.status !== 200 || result.functionError) throw new Error(`FC API ${result.status}`);
          expectOk('InvokeFunction', result.body.toString());
        },
        directHttp: async () => expectOk('direct GET', await (await fetch(`${server}/hello`)).text()),
        gateway: async () => expectOk('gateway GET', await (await fetch(gatewayUrl)).text()),
      };
      const s = await interleavedRounds(runs, ROUNDS, PER_ROUND);
      const over = (path: Path, base: Path) => ({ p50: round3(s[path].p50 - s[base].p50), p95: round3(s[path].p95 - s[base].p95) });
      const overheadMs = { runtime: over('runtime', 'directInvoke'), fcApi: over('fcApi', 'directInvoke'), gateway: over('gateway', 'directHttp') };
      const goals: Goal[] = (
        [
          ['runtime', 'directInvoke', 'cloud.runtime.invoke over a direct POST /invoke'],
          ['fcApi', 'directInvoke', 'FC InvokeFunction API (@alicloud/fc20230330) over a direct POST /invoke'],
          ['gateway', 'directHttp', 'the HTTP trigger on the gateway over a direct GET to the server'],
        ] as const
      ).map(([path, base, how]) => ({
        name: `custom runtime: warm overhead of ${how} < ${GOAL_P95_MS} ms at p95`,
        measured: `+${overheadMs[path].p95} ms p95 (${s[path].p95} vs ${s[base].p95} ms), +${overheadMs[path].p50} ms p50 (${s[path].p50} vs ${s[base].p50} ms)`,
        met: overheadMs[path].p95 < GOAL_P95_MS,
      }));
      report({
        name: 'custom-runtime',
        description: "warm custom-runtime invocations (node server.js) through the local cloud vs the same requests sent to the server's own port",
        results: {
          ms: s,
          overheadMs,
          method: `${ROUNDS} interleaved rounds × ${PER_ROUND} sequential requests per path (after 50 + 5/round warm-ups), one warm instance (instanceConcurrency 4); direct event = node:http keep-alive, HTTP paths = fetch`,
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
