/**
 * Where a cached product page's CPU goes (issue 12, D63), per thread, against the gateway's health route in
 * the same run. Each local cloud runs in a process of its own (so its threads' CPU is its own), started from a
 * repository root: this one, and optionally another checkout (`npx tsx bench/cached-page-cpu.ts <root>…`) for
 * before/after numbers. autocannon (a process of its own) loads each cloud in turn — cached page, then health
 * route — for ROUNDS rounds, interleaved, while each cloud reads its threads' CPU time from `/proc/self/task`:
 * its main thread (gateway, function pool) and all others (the instances' threads, V8's and libuv's helpers).
 * Output: req/s and CPU µs per request (main, other threads, all, autocannon), the load average, and a JSON
 * file in bench/results/cached-page-cpu.json. `load` holds the goal itself; this shows where it is lost.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type * as CloudModule from '../scripts/local/cloud';
import { tempDir } from '../test/helpers/temp';
import { report, stats } from './lib';
import { mainProfilerFromEnv } from './main-profiler';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 8);
const TICK_US = 1e6 / 100; // USER_HZ
const HERE = resolve(__dirname, '..');
const PAGE = '/api/products/p-aurora-headphones?client=web&region=cn-hangzhou';
const HEALTH = '/_local/api/health';

/**
 * CPU microseconds and wake-ups (context switches, voluntary and not) of this process's threads by kind: the main
 * thread (gateway, emulators, function pool), the function instances' threads, the TableStore emulator's thread,
 * and the rest (V8's platform threads — GC and compiler helpers every isolate shares — libuv's pool, standby
 * threads). Node 20 names none of its threads, so instances and the emulator are told apart by the ids they report.
 */
interface ThreadCpu {
  main: number;
  others: number;
  instances: number;
  tablestore: number;
  helpers: number;
  /** Context switches of the main thread, of all instance threads, and of the helpers. */
  mainSwitches: number;
  instanceSwitches: number;
  helperSwitches: number;
  instanceCount: number;
}

function threadCpu(instanceIds: ReadonlySet<number> = new Set(), tablestoreId?: number): ThreadCpu {
  const cpu: ThreadCpu = { main: 0, others: 0, instances: 0, tablestore: 0, helpers: 0, mainSwitches: 0, instanceSwitches: 0, helperSwitches: 0, instanceCount: instanceIds.size };
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const us = (Number(fields[11]) + Number(fields[12])) * TICK_US;
      const status = readFileSync(`/proc/self/task/${tid}/status`, 'utf8');
      const switches = Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0) + Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      const id = Number(tid);
      if (id === process.pid) {
        cpu.main += us;
        cpu.mainSwitches += switches;
        continue;
      }
      cpu.others += us;
      if (instanceIds.has(id)) {
        cpu.instances += us;
        cpu.instanceSwitches += switches;
      } else if (id === tablestoreId) cpu.tablestore += us;
      else {
        cpu.helpers += us;
        cpu.helperSwitches += switches;
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return cpu;
}

/** Resolves once the instance count has not changed for 2 s (at most 60 s). */
async function instancesSettled(count: () => number): Promise<void> {
  const giveUpAt = Date.now() + 60_000;
  let last = -1;
  let sameSince = Date.now();
  while (Date.now() < giveUpAt) {
    const now = count();
    if (now !== last) [last, sameSince] = [now, Date.now()];
    else if (Date.now() - sameSince >= 2000) return;
    await new Promise((done) => setTimeout(done, 250));
  }
}

/** Server mode: start the local cloud of `root`, print its URL, answer every line on stdin with the threads' CPU. */
async function serve(root: string, app?: string): Promise<void> {
  // V8 flags to try (process-wide; a Worker refuses them in its execArgv): BENCH_V8_FLAGS='--max-semi-space-size=16'.
  for (const flag of (process.env.BENCH_V8_FLAGS ?? '').split(' ').filter(Boolean)) (await import('node:v8')).setFlagsFromString(flag);
  const { startLocalCloud } = (await import(join(root, 'scripts/local/cloud.ts'))) as typeof CloudModule;
  const dataDir = join(process.env.TMPDIR ?? '/tmp', `cached-page-cpu-${process.pid}`);
  const cloud = await startLocalCloud(app ? { root: app, port: 0, dataDir, watch: false, build: false, seed: false } : { root, port: 0, dataDir, watch: false });
  // Start-up warms the functions nobody asked for yet between requests (D61), ~35 instance starts: measured rounds
  // must not pay for them (D117 found early rounds at 2–4× the instances' CPU per page while they started).
  await instancesSettled(() => cloud.runtime.instancesInUse);
  process.stdout.write(`${JSON.stringify({ url: cloud.url })}\n`);
  // BENCH_PROFILE=<dir>: the main thread's CPU profile of each measured round (inspector), page and health, for reading.
  const profiler = await mainProfilerFromEnv();
  let profiled = 0;
  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stop') break;
    const [, kind, end] = line.split(' ');
    if (profiler && kind && !end) await profiler.post('Profiler.start');
    const cpu = threadCpu(new Set(cloud.runtime.instanceThreads().map((t) => t.osThreadId)), cloud.tablestore.emulator.osThreadId);
    if (profiler && kind && end) {
      const { profile } = (await profiler.post('Profiler.stop')) as { profile: unknown };
      writeFileSync(join(profiler.dir, `main-${process.pid}-${kind}-${profiled++}.cpuprofile`), JSON.stringify(profile));
    }
    process.stdout.write(`${JSON.stringify(cpu)}\n`);
  }
  await cloud.stop();
  process.exit(0);
}

const CLIENT = `
const autocannon = require(process.argv[1]);
const { url, connections, seconds } = JSON.parse(process.argv[2]);
const statuses = {};
autocannon({ url, connections, duration: seconds, requests: [{ onResponse: (s) => { statuses[s] = (statuses[s] || 0) + 1; } }] }, (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  const cpu = process.cpuUsage();
  process.stdout.write(JSON.stringify({ rps: r.requests.average, total: r.requests.total, statuses, cpuUs: cpu.user + cpu.system }));
});
`;

async function autocannon(url: string, seconds: number): Promise<{ rps: number; total: number; statuses: Record<string, number>; cpuUs: number }> {
  const child = spawn(process.execPath, ['-e', CLIENT, join(HERE, 'node_modules', 'autocannon'), JSON.stringify({ url, connections: CONNECTIONS, seconds })], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  await new Promise((done) => child.on('close', done));
  return JSON.parse(Buffer.concat(out).toString('utf8')) as { rps: number; total: number; statuses: Record<string, number>; cpuUs: number };
}

/**
 * An HTTP function that answers a constant at once: what is measured on it is the invocation's own cost (gateway,
 * pool, the two thread hops, the runtime wrapper), the floor under any HTTP-triggered function here.
 */
function trivialApp(dir: string): string {
  mkdirSync(join(dir, 'code'), { recursive: true });
  writeFileSync(join(dir, 'code', 'index.js'), "exports.handler = async () => ({ statusCode: 200, headers: { 'content-type': 'text/plain' }, body: 'ok' });\n");
  const yaml = ['edition: 3.0.0', 'name: bench-trivial-http', 'access: default', 'resources:', '  trivial:', '    component: fc3', '    props:', '      region: cn-hangzhou', '      functionName: bench-trivial-http', '      runtime: nodejs20', '      code: ./code', '      handler: index.handler', '      memorySize: 128', '      timeout: 5', '      triggers:', '        - triggerName: http', '          triggerType: http', '          triggerConfig: { authType: anonymous, methods: [GET] }'];
  writeFileSync(join(dir, 's.yaml'), `${yaml.join('\n')}\n`);
  return dir;
}

class Server {
  private readonly lines: AsyncIterator<string>;
  private constructor(
    readonly root: string,
    private readonly child: ChildProcessByStdio<Writable, Readable, null>,
  ) {
    this.lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  }

  url = '';

  page = PAGE;

  /** `env`: variables for this cloud only (a variant of the same checkout: instance caps, V8 flags). */
  static async start(root: string, app?: string, env: Record<string, string> = {}): Promise<Server> {
    // BENCH_NODE_ARGS: node options of this cloud's process (V8's GC flags must be given at start: set later, V8 aborts);
    // in the environment, of every cloud (`npm start` runs with --single-threaded-gc, D113), in a variant, of that one.
    const nodeArgs = (env.BENCH_NODE_ARGS ?? process.env.BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
    const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', __filename, '--serve', root, ...(app ? [app] : [])], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env } });
    const server = new Server(Object.keys(env).length > 0 ? `${root} ${new URLSearchParams(env).toString()}` : root, child);
    server.url = (JSON.parse(await server.next()) as { url: string }).url;
    if (app) server.page = '/_fc/bench-trivial-http/';
    return server;
  }

  private async next(): Promise<string> {
    const { value, done } = await this.lines.next();
    if (done) throw new Error(`local cloud of ${this.root} ended`);
    return value;
  }

  async cpu(tag = ''): Promise<ThreadCpu> {
    this.child.stdin.write(`cpu${tag}\n`);
    return JSON.parse(await this.next()) as ThreadCpu;
  }

  async stop(): Promise<void> {
    this.child.stdin.write('stop\n');
    await new Promise((done) => this.child.on('close', done));
  }
}

interface Sample {
  rps: number;
  mainUs: number;
  otherThreadsUs: number;
  allUs: number;
  autocannonUs: number;
  /** The other threads split: function instances, the TableStore emulator, the rest (V8's and libuv's helpers). */
  instancesUs: number;
  tablestoreUs: number;
  helpersUs: number;
  /** Context switches per request: main thread, instance threads, helpers. */
  mainSwitches: number;
  instanceSwitches: number;
  helperSwitches: number;
  /** Instance threads alive at the end of the round (all functions). */
  instanceCount: number;
  non2xx: number;
}

async function measure(server: Server, path: string): Promise<Sample> {
  const tag = path === server.page ? ' page' : ' health';
  const before = await server.cpu(tag);
  const r = await autocannon(server.url + path, SECONDS);
  const after = await server.cpu(tag && `${tag} end`);
  const per = (us: number) => Math.round(us / r.total);
  const perSwitch = (n: number) => Math.round((n / r.total) * 100) / 100;
  const non2xx = Object.entries(r.statuses).reduce((n, [code, count]) => n + (code.startsWith('2') ? 0 : count), 0);
  const main = after.main - before.main;
  const others = after.others - before.others;
  return {
    rps: Math.round(r.rps),
    mainUs: per(main),
    otherThreadsUs: per(others),
    allUs: per(main + others),
    autocannonUs: per(r.cpuUs),
    // An instance that started or retired during the round counts only in the reading it was alive for: close enough.
    instancesUs: per(after.instances - before.instances),
    tablestoreUs: per(after.tablestore - before.tablestore),
    helpersUs: per(after.helpers - before.helpers),
    mainSwitches: perSwitch(after.mainSwitches - before.mainSwitches),
    instanceSwitches: perSwitch(after.instanceSwitches - before.instanceSwitches),
    helperSwitches: perSwitch(after.helperSwitches - before.helperSwitches),
    instanceCount: after.instanceCount,
    non2xx,
  };
}

async function main(): Promise<void> {
  // Each argument is another checkout, or one with variables for its cloud only: `<root>?NAME=value&…`
  // (e.g. `.?LOCAL_MAX_INSTANCES_PER_FUNCTION=2`), so variants are measured in the same interleaved rounds.
  const variants = process.argv.slice(2).map((arg) => {
    const [root, query] = arg.split('?');
    return { root: resolve(root!), env: Object.fromEntries(new URLSearchParams(query ?? '')) };
  });
  const roots = [HERE, ...variants.map((v) => v.root)];
  const servers: Server[] = [];
  const scratch = tempDir('cached-page-cpu-');
  try {
    servers.push(await Server.start(HERE));
    for (const { root, env } of variants) servers.push(await Server.start(root, undefined, env));
    // BENCH_TRIVIAL=1: also a cloud of one trivial HTTP function (this checkout), the invocation's floor.
    // BENCH_TRIVIAL=all: the trivial function's cloud from every checkout named (before/after of the floor itself).
    if (process.env.BENCH_TRIVIAL === '1' || process.env.BENCH_TRIVIAL === 'all') {
      const app = trivialApp(join(scratch.path, 'trivial'));
      const checkouts = process.env.BENCH_TRIVIAL === 'all' ? [...new Set(roots)] : [HERE];
      for (const root of checkouts) servers.push(await Server.start(root, app));
    }
    // Warm-up: every BFF instance gets the page into its cache, and start-up's background work settles.
    for (const server of servers) {
      await autocannon(server.url + server.page, 3);
      await autocannon(server.url + HEALTH, 1);
    }
    const samples = servers.map(() => ({ page: [] as Sample[], health: [] as Sample[], load: [] as string[] }));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, server] of servers.entries()) {
        const page = await measure(server, server.page);
        const health = await measure(server, HEALTH);
        const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
        samples[i]!.page.push(page);
        samples[i]!.health.push(health);
        samples[i]!.load.push(load);
        console.log(JSON.stringify({ root: server.root, round, page, health, load }));
      }
    }
    const median = (xs: number[]) => stats(xs).p50;
    const summary = (list: Sample[]) => ({
      rps: median(list.map((s) => s.rps)),
      rpsSpread: `${Math.min(...list.map((s) => s.rps))}–${Math.max(...list.map((s) => s.rps))}`,
      mainUs: median(list.map((s) => s.mainUs)),
      otherThreadsUs: median(list.map((s) => s.otherThreadsUs)),
      allUs: median(list.map((s) => s.allUs)),
      autocannonUs: median(list.map((s) => s.autocannonUs)),
      instancesUs: median(list.map((s) => s.instancesUs)),
      tablestoreUs: median(list.map((s) => s.tablestoreUs)),
      helpersUs: median(list.map((s) => s.helpersUs)),
      mainSwitches: median(list.map((s) => s.mainSwitches)),
      instanceSwitches: median(list.map((s) => s.instanceSwitches)),
      helperSwitches: median(list.map((s) => s.helperSwitches)),
      instanceCount: median(list.map((s) => s.instanceCount)),
      non2xx: list.reduce((n, s) => n + s.non2xx, 0),
    });
    const results = servers.map((server, i) => ({ root: server.root, path: server.page, page: summary(samples[i]!.page), health: summary(samples[i]!.health), load: samples[i]!.load, rounds: samples[i] }));
    const mine = results[0]!;
    report({
      name: 'cached-page-cpu',
      description: 'cached product page vs the gateway health route under autocannon: req/s and CPU per request per thread',
      results: {
        clouds: results,
        method: `${ROUNDS} rounds × ${SECONDS} s per path, ${CONNECTIONS} connections, clouds interleaved (${roots.length}); CPU per request from /proc/self/task of each cloud's process (main thread vs all others) and autocannon's process.cpuUsage; medians`,
      },
      goals: [
        {
          name: 'cached page ≥ 10 000 req/s (information; `load` holds the goal)',
          measured: results.map((r) => `${r.root} ${r.path}: page ${r.page.rps} req/s (${r.page.rpsSpread}), CPU/request main ${r.page.mainUs} µs + other threads ${r.page.otherThreadsUs} µs (instances ${r.page.instancesUs}, helpers ${r.page.helpersUs}) = ${r.page.allUs} µs, autocannon ${r.page.autocannonUs} µs; health ${r.health.rps} req/s, ${r.health.allUs} µs`).join(' | '),
          met: mine.page.rps >= 10_000,
        },
      ],
    });
  } finally {
    for (const server of servers) await server.stop().catch(() => undefined);
    scratch.cleanup();
  }
}

if (process.argv[2] === '--serve') void serve(process.argv[3]!, process.argv[4]);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
