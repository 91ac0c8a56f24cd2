/**
 * Warm invoke overhead of the local runtime (issue 3, goal < 5 ms at p95), measured against the same handler
 * module imported into this process and called directly with a fake FC context — the baseline — in one run:
 * - `runtime`: `cloud.runtime.invoke` (worker-thread instance, event copied in, result and logs posted back);
 * - `fcApi`: FC InvokeFunction through the real `@alicloud/fc20230330` client (`FcFunctionInvoker`), i.e. the
 *   BFF's path: ACS3 signing, HTTP to the local gateway, signature check, then the same runtime invoke.
 * For two handlers: a trivial one (what the runtime itself costs) and `product-price` with its fixture
 * (a real function: zod, SQLite read). The baseline loads the very bundle the runtime loads (`dist/<fn>/`),
 * with the instance's environment, so the handler's own work is identical on both sides.
 * The three paths are interleaved in rounds so drift on a shared machine hits all of them alike.
 */
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { FcFunctionInvoker } from '../functions/_shared/aliyun/fc-invoker';
import type { FcContext } from '../functions/_shared/fc/types';
import { startLocalCloud, type LocalCloud, REPO_ROOT } from '../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import type { FunctionSpec } from '../scripts/local/spec/model';
import { tempDir } from '../test/helpers/temp';
import { report, round3, sample, stats, type Goal, type Stats } from './lib';

const ROUNDS = 8;
const PER_ROUND = 150;
const GOAL_P95_MS = 5;

type Handler = (event: Buffer, context: FcContext) => Promise<unknown>;
type Path = 'direct' | 'runtime' | 'fcApi';

/** A function that does nothing but answer: everything measured on it is the runtime's own cost. */
const TRIVIAL_HANDLER = 'exports.handler = async (event) => ({ ok: true, bytes: event.length });\n';

function trivialRoot(dir: string): string {
  const root = join(dir, 'trivial-app');
  mkdirSync(join(root, 'code'), { recursive: true });
  writeFileSync(join(root, 'code', 'index.js'), TRIVIAL_HANDLER);
  writeFileSync(
    join(root, 's.yaml'),
    [
      'edition: 3.0.0',
      'name: bench-trivial',
      'access: default',
      'resources:',
      '  trivial:',
      '    component: fc3',
      '    props:',
      '      region: cn-hangzhou',
      '      functionName: bench-trivial',
      '      runtime: nodejs20',
      '      code: ./code',
      '      handler: index.handler',
      '      memorySize: 256',
      '      timeout: 5',
      '',
    ].join('\n'),
  );
  return root;
}

function fakeContext(fn: FunctionSpec, region: string): FcContext {
  const noop = () => undefined;
  return {
    requestId: `bench-${Math.random().toString(36).slice(2)}`,
    credentials: { ...LOCAL_CREDENTIALS },
    function: { name: fn.name, handler: fn.handler, memory: fn.memorySize, timeout: fn.timeout },
    service: { logProject: 'local-cloud', logStore: 'function-logs', qualifier: 'LATEST' },
    region,
    accountId: LOCAL_ACCOUNT_ID,
    logger: { debug: noop, info: noop, warn: noop, error: noop },
  };
}

/**
 * Load the function's bundle in this process with the environment its instance gets (s.yaml's variables
 * plus the local endpoints), as the baseline. The environment is set before loading: modules read it at load.
 */
function loadInProcess(cloud: LocalCloud, fn: FunctionSpec): Handler {
  Object.assign(process.env, fn.environment, {
    FC_FUNCTION_NAME: fn.name,
    FC_REGION: cloud.spec.region,
    FC_ACCOUNT_ID: LOCAL_ACCOUNT_ID,
    FC_ENDPOINT: cloud.url,
    OSS_ENDPOINT: cloud.oss.endpoint,
    ...cloud.tablestore.envFor(fn.environment),
  });
  const file = fn.handler.slice(0, fn.handler.lastIndexOf('.'));
  const exported = fn.handler.slice(fn.handler.lastIndexOf('.') + 1);
  const mod = createRequire(join(fn.codeDir, 'index.js'))(join(fn.codeDir, file)) as Record<string, Handler>;
  return mod[exported]!;
}

interface Case {
  label: string;
  cloud: LocalCloud;
  fn: FunctionSpec;
  event: Buffer;
  /** Checks one answer, so a broken path is not timed as a fast one. */
  check(payload: Buffer): void;
}

async function measure(c: Case): Promise<Record<Path, Stats> & { overheadMs: Record<'runtime' | 'fcApi', { p50: number; p95: number }> }> {
  const direct = loadInProcess(c.cloud, c.fn);
  const invoker = new FcFunctionInvoker({ credentials: LOCAL_CREDENTIALS, region: c.cloud.spec.region, accountId: LOCAL_ACCOUNT_ID, endpoint: c.cloud.url });
  const runs: Record<Path, () => Promise<void>> = {
    direct: async () => {
      const result = await direct(Buffer.from(c.event), fakeContext(c.fn, c.cloud.spec.region));
      c.check(Buffer.from(typeof result === 'string' ? result : JSON.stringify(result)));
    },
    runtime: async () => {
      const record = await c.cloud.runtime.invoke(c.fn.name, c.event, { source: 'bench' });
      if (record.status !== 'succeeded') throw new Error(`${c.label}: ${record.status} ${record.error?.errorMessage ?? ''}`);
      c.check(record.payload);
    },
    fcApi: async () => {
      const result = await invoker.invoke(c.fn.name, c.event);
      if (result.status !== 200 || result.functionError) throw new Error(`${c.label}: FC API ${result.status} ${result.functionError?.message ?? ''}`);
      c.check(result.body);
    },
  };
  for (const run of Object.values(runs)) await sample(run, 0, 50);
  const samples: Record<Path, number[]> = { direct: [], runtime: [], fcApi: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const path of Object.keys(runs) as Path[]) samples[path].push(...(await sample(runs[path], PER_ROUND, 5)));
  }
  const s = { direct: stats(samples.direct), runtime: stats(samples.runtime), fcApi: stats(samples.fcApi) };
  const over = (path: 'runtime' | 'fcApi') => ({ p50: round3(s[path].p50 - s.direct.p50), p95: round3(s[path].p95 - s.direct.p95) });
  return { ...s, overheadMs: { runtime: over('runtime'), fcApi: over('fcApi') } };
}


async function main(): Promise<void> {
  const dir = tempDir('bench-invoke-');
  let app: LocalCloud | undefined;
  let trivial: LocalCloud | undefined;
  try {
    app = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: true, watch: false });
    trivial = await startLocalCloud({ root: trivialRoot(dir.path), port: 0, dataDir: join(dir.path, 'trivial-data'), prewarm: true, watch: false, build: false, seed: false });
    await Promise.all([app.runtime.prewarm(), trivial.runtime.prewarm()]);

    const priceFn = app.runtime.find('product-price')!;
    const fixture = readFileSync(join(REPO_ROOT, 'test/fixtures/events/invoke/get-price.json'));
    const cases: Case[] = [
      {
        label: 'trivial',
        cloud: trivial,
        fn: trivial.runtime.find('trivial')!,
        event: Buffer.from('{"hello":"world"}'),
        check: (payload) => {
          if (!payload.toString('utf8').includes('"ok":true')) throw new Error(`trivial answered ${payload.toString('utf8')}`);
        },
      },
      {
        label: 'product-price',
        cloud: app,
        fn: priceFn,
        event: fixture,
        check: (payload) => {
          const body = JSON.parse(payload.toString('utf8')) as { ok: boolean; data?: { productId: string } };
          if (!body.ok || body.data?.productId !== 'p-kite-drone') throw new Error(`product-price answered ${payload.toString('utf8')}`);
        },
      },
    ];
    const results: Record<string, Awaited<ReturnType<typeof measure>>> = {};
    for (const c of cases) results[c.label] = await measure(c);

    const goals: Goal[] = [];
    for (const [label, r] of Object.entries(results)) {
      for (const path of ['runtime', 'fcApi'] as const) {
        const how = path === 'runtime' ? 'cloud.runtime.invoke' : 'FC InvokeFunction API (@alicloud/fc20230330)';
        goals.push({
          name: `${label}: warm overhead of ${how} over a direct in-process call < ${GOAL_P95_MS} ms at p95`,
          measured: `+${r.overheadMs[path].p95} ms p95 (${r[path].p95} vs ${r.direct.p95} ms), +${r.overheadMs[path].p50} ms p50 (${r[path].p50} vs ${r.direct.p50} ms)`,
          met: r.overheadMs[path].p95 < GOAL_P95_MS,
        });
      }
    }
    report({
      name: 'invoke-overhead',
      description: 'warm invoke: local runtime and FC InvokeFunction API vs the same handler called directly in-process',
      results: {
        ms: results,
        method:
          `${ROUNDS} interleaved rounds × ${PER_ROUND} sequential invokes per path and handler (after 50 + 5/round warm-ups), one warm instance; ` +
          'overhead = path percentile − direct percentile. Direct = the same dist bundle required in this process with the instance environment and a fake context.',
        handlers: { trivial: TRIVIAL_HANDLER.trim(), 'product-price': 'test/fixtures/events/invoke/get-price.json (zod + SQLite point read)' },
      },
      goals,
    });
  } finally {
    await trivial?.stop();
    await app?.stop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
