/**
 * Flow engine overhead per state transition (issue 10, goal < 2 ms at p95), against a direct function
 * call measured in the same run. A flow of K Task states, each invoking a trivial handler, is timed from
 * StartExecution to its end; per transition = execution time / K, overhead = that − one direct call:
 * - `engine`: the engine with its SQLite store (every step persisted with its history, WAL) and the
 *   real-time scheduler, tasks answered by the handler in-process — what the engine itself costs;
 * - `localCloud`: the same flow deployed from s.yaml in the local cloud, started through the FnF API
 *   (`@alicloud/fnf-2019-03-15`), its tasks invoking the function in a worker-thread instance — what a user
 *   of the local cloud sees; its baseline is `runtime`, the same function invoked K times through the
 *   local runtime directly (the runtime's own cost is invoke-overhead's subject);
 * - `pass`: K Pass states on the engine, no invocation at all (the bare transition).
 * The paths are interleaved in rounds so drift on a shared machine hits all of them alike.
 */
import FnF from '@alicloud/fnf-2019-03-15';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import { LOCAL_CREDENTIALS } from '../scripts/local/credentials';
import { RealtimeScheduler } from '../scripts/local/emulators/fnf/realtime-scheduler';
import { SqliteExecutionStore } from '../scripts/local/emulators/fnf/sqlite-store';
import { FlowEngine } from '../scripts/local/flow-engine/engine';
import type { ExecutionDoc } from '../scripts/local/flow-engine/model';
import { tempDir } from '../test/helpers/temp';
import { report, round3, stats, type Goal, type Stats } from './lib';

const K = 10;
const ROUNDS = 6;
const PER_ROUND = 40;
const GOAL_P95_MS = 2;

const TRIVIAL_HANDLER = 'exports.handler = async (event) => ({ ok: true, bytes: event.length });\n';
const handler = async (event: Buffer) => ({ ok: true, bytes: event.length });

function flowDefinition(name: string, type: 'Task' | 'Pass', arn: string): string {
  const states = Array.from({ length: K }, (_v, i) => {
    const next = i === K - 1 ? '    End: true' : `    Next: S${i + 1}`;
    if (type === 'Pass') return [`  - Type: Pass`, `    Name: S${i}`, next].join('\n');
    return [
      '  - Type: Task',
      `    Name: S${i}`,
      '    Action: FC:InvokeFunction',
      '    TaskMode: RequestComplete',
      '    Parameters:',
      `      resourceArn: ${arn}`,
      '      invocationType: Sync',
      '      body.$: $Input',
      '    OutputConstructor:',
      '      n.$: $Input.n',
      '      last.$: $Output.Body',
      next,
    ].join('\n');
  });
  return ['Type: StateMachine', `Name: ${name}`, 'SpecVersion: v1', 'StartAt: S0', 'States:', ...states, ''].join('\n');
}

/** A one-function app with the benchmark flow in s.yaml, its bundle written by hand (no build). */
function appRoot(dir: string): string {
  const root = join(dir, 'app');
  mkdirSync(join(root, 'code'), { recursive: true });
  mkdirSync(join(root, 'flows'), { recursive: true });
  writeFileSync(join(root, 'code', 'index.js'), TRIVIAL_HANDLER);
  writeFileSync(join(root, 'flows', 'bench.yaml'), flowDefinition('bench-flow', 'Task', 'acs:fc:::functions/bench-step'));
  writeFileSync(
    join(root, 's.yaml'),
    [
      'edition: 3.0.0',
      'name: bench-flow',
      'access: default',
      'resources:',
      '  step:',
      '    component: fc3',
      '    props: { region: cn-hangzhou, functionName: bench-step, runtime: nodejs20, code: ./code, handler: index.handler, memorySize: 256, timeout: 5 }',
      '  flow:',
      '    component: flow',
      '    props:',
      '      region: cn-hangzhou',
      '      name: bench-flow',
      "      definition: ${yaml(file('./flows/bench.yaml'))}",
      '',
    ].join('\n'),
  );
  return root;
}

function endedWaiter(engine: FlowEngine): (flow: string, name: string) => Promise<ExecutionDoc> {
  const waiting = new Map<string, (doc: ExecutionDoc) => void>();
  engine.onExecutionEnded((doc) => waiting.get(`${doc.flowName}/${doc.name}`)?.(doc));
  return (flow, name) => new Promise((resolve) => waiting.set(`${flow}/${name}`, resolve));
}

async function main(): Promise<void> {
  const dir = tempDir('bench-flow-');
  let cloud: LocalCloud | undefined;
  const store = new SqliteExecutionStore(join(dir.path, 'engine', 'fnf.sqlite'));
  const engine = new FlowEngine({
    store,
    clock: { now: Date.now },
    scheduler: new RealtimeScheduler(Date.now),
    invoker: { invoke: async (request) => ({ ok: true, payload: Buffer.from(JSON.stringify(await handler(request.payload))) }) },
  });
  try {
    engine.putFlow({ name: 'bench-tasks', definition: flowDefinition('bench-tasks', 'Task', 'acs:fc:::functions/bench-step') });
    engine.putFlow({ name: 'bench-pass', definition: flowDefinition('bench-pass', 'Pass', '') });
    const ended = endedWaiter(engine);
    cloud = await startLocalCloud({ root: appRoot(dir.path), port: 0, dataDir: join(dir.path, 'cloud'), prewarm: true, watch: false, build: false, seed: false, env: {} });
    const fnf = new FnF({ endpoint: cloud.fnf.endpoint, ...LOCAL_CREDENTIALS });
    const cloudEnded = endedWaiter(cloud.fnf.engine);

    let n = 0;
    const input = () => ({ n: ++n, payload: 'x'.repeat(200) });
    type Path = 'direct' | 'engine' | 'runtime' | 'localCloud' | 'pass';
    const runs: Record<Path, () => Promise<void>> = {
      direct: async () => {
        const event = Buffer.from(JSON.stringify(input()));
        for (let i = 0; i < K; i++) await handler(event);
      },
      engine: async () => {
        const name = `e-${++n}`;
        const done = ended('bench-tasks', name);
        engine.startExecution('bench-tasks', name, input());
        const doc = await done;
        if (doc.status !== 'Succeeded') throw new Error(`engine: ${doc.status} ${JSON.stringify(doc.error)}`);
      },
      runtime: async () => {
        const event = Buffer.from(JSON.stringify(input()));
        for (let i = 0; i < K; i++) {
          const record = await cloud!.runtime.invoke('bench-step', event, { source: 'bench' });
          if (record.status !== 'succeeded') throw new Error(`runtime: ${record.status}`);
        }
      },
      pass: async () => {
        const name = `p-${++n}`;
        const done = ended('bench-pass', name);
        engine.startExecution('bench-pass', name, input());
        if ((await done).status !== 'Succeeded') throw new Error('pass flow failed');
      },
      localCloud: async () => {
        const name = `c-${++n}`;
        const done = cloudEnded('bench-flow', name);
        await fnf.startExecution({ FlowName: 'bench-flow', ExecutionName: name, Input: JSON.stringify(input()) });
        const doc = await done;
        if (doc.status !== 'Succeeded') throw new Error(`local cloud: ${doc.status} ${JSON.stringify(doc.error)}`);
      },
    };
    const time = async (run: () => Promise<void>) => {
      const t0 = process.hrtime.bigint();
      await run();
      return Number(process.hrtime.bigint() - t0) / 1e6 / K;
    };
    for (const run of Object.values(runs)) for (let i = 0; i < 30; i++) await run();
    const samples: Record<Path, number[]> = { direct: [], engine: [], runtime: [], localCloud: [], pass: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const path of Object.keys(runs) as Path[]) for (let i = 0; i < PER_ROUND; i++) samples[path].push(await time(runs[path]));
    }
    const s = Object.fromEntries(Object.entries(samples).map(([path, list]) => [path, stats(list)])) as Record<Path, Stats>;
    const over = (path: Path, base: Path = 'direct') => ({ p50: round3(s[path].p50 - s[base].p50), p95: round3(s[path].p95 - s[base].p95) });
    const overhead = { engine: over('engine'), pass: over('pass'), localCloudOverRuntime: over('localCloud', 'runtime'), localCloudOverDirect: over('localCloud') };
    const goals: Goal[] = [
      {
        name: `engine overhead per Task transition (SQLite store, every step persisted) over a direct call < ${GOAL_P95_MS} ms at p95`,
        measured: `+${overhead.engine.p95} ms p95 (${s.engine.p95} vs ${s.direct.p95} ms per state), +${overhead.engine.p50} ms p50`,
        met: overhead.engine.p95 < GOAL_P95_MS,
      },
      {
        name: `local cloud: flow overhead per Task transition over invoking the same function through the runtime < ${GOAL_P95_MS} ms at p95`,
        measured: `+${overhead.localCloudOverRuntime.p95} ms p95 (${s.localCloud.p95} vs ${s.runtime.p95} ms per state), +${overhead.localCloudOverRuntime.p50} ms p50; over a direct in-process call +${overhead.localCloudOverDirect.p95} ms p95`,
        met: overhead.localCloudOverRuntime.p95 < GOAL_P95_MS,
      },
    ];
    report({
      name: 'flow-engine',
      description: 'flow engine: time per state transition vs a direct function call',
      results: {
        msPerState: s,
        overheadMsPerState: overhead,
        method:
          `flows of ${K} states; ${ROUNDS} interleaved rounds × ${PER_ROUND} sequential executions per path (after 30 warm-ups each); ` +
          `a sample = execution time (start → ExecutionSucceeded) / ${K}; direct = ${K} sequential calls of the same handler in-process / ${K}; ` +
          `runtime = ${K} sequential cloud.runtime.invoke of the same function / ${K}; ` +
          'overhead = path percentile − direct percentile. Each Task state writes 7 history events and its document in one SQLite transaction.',
        handler: TRIVIAL_HANDLER.trim(),
      },
      goals,
    });
  } finally {
    engine.close();
    store.close();
    await cloud?.stop();
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
