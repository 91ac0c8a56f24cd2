/**
 * All four apps at once (issue 12, D142): a local cloud started as `npm start` starts it (the launcher in a
 * process of its own, default caps, demo seed, prewarm) and, at the same time for BENCH_SECONDS,
 * - product pages under autocannon (its own process): uncached (a never-asked bench product per request, at a
 *   fixed rate) and cached (the demo products), web and mobile, two regions; degraded pages counted;
 * - shoppers checking out with the sandbox's four cards, each watching its order by long poll to its end;
 * - IoT devices posting signed batches (BENCH_IOT_RATE readings/s over all of them);
 * - photographers uploading (ticket + signed PUT) and waiting for ready and searchable, readers searching;
 * - a console tab polling `/_local/api/*` once a second.
 * Every answer is counted by app and status; a 5xx, a connection error or a timeout is a defect (goal 0).
 * Then it settles: every order must end, every accepted reading be readable, every image be ready and
 * searchable; no instance busy, no execution running, no message queued or in flight, no async event pending;
 * and the RSS of the whole process tree after BENCH_IDLE_S idle is compared with the same before the load.
 *
 * `BENCH_URL=http://127.0.0.1:9800 BENCH_PID=<launcher pid>` runs against a local cloud you started yourself
 * (`PORT=9800 npm start`); otherwise one is started on BENCH_PORT (default: a free block) in a temp data folder.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { DEMO_PRODUCTS } from '../functions/_shared/demo/catalog';
import { photoLikeJpeg } from '../test/helpers/image-fixtures';
import { freePortBlock } from '../test/helpers/local-cloud-process';
import { localCloudTable } from '../test/helpers/tablestore';
import { tempDir } from '../test/helpers/temp';
import { report, stats, type PageLoadResult } from './lib';
import {
  browser,
  consoleTab,
  device,
  IOT_METRIC,
  photographer,
  registerDevices,
  shopper,
  signIn,
  Tally,
  type Clock,
  type PlacedOrder,
  type Uploaded,
} from './mixed-load-apps';
import { writeBenchProducts } from './products';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 40);
/** Loads one after another on the same local cloud, each followed by its settling and idle: RSS that keeps growing is a leak. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 1);
const IDLE_S = Number(process.env.BENCH_IDLE_S ?? 60);
const SHOPPERS = Number(process.env.BENCH_SHOPPERS ?? 8);
const DEVICES = Number(process.env.BENCH_DEVICES ?? 16);
const IOT_RATE = Number(process.env.BENCH_IOT_RATE ?? 3000);
const IOT_BATCH = 100;
const PHOTOGRAPHERS = Number(process.env.BENCH_PHOTOGRAPHERS ?? 2);
const UNCACHED_RPS = Number(process.env.BENCH_UNCACHED_RPS ?? 15);
const CACHED_CONNECTIONS = Number(process.env.BENCH_CACHED_CONNECTIONS ?? 8);
/** After the load: how long orders (a held one waits out payment-callback's 30 s), readings and images may take. */
const SETTLE_MS = 150_000;
const REPO = join(__dirname, '..');
const REGIONS = ['cn-hangzhou', 'cn-beijing'];
const round2 = (x: number) => Math.round(x * 100) / 100;

/** autocannon in its own process: uncached pages at a fixed rate beside cached ones as fast as they come. */
const PAGES_CLIENT = `
const autocannon = require(process.argv[1]);
const { url, seconds, uncached, cached, uncachedRate, cachedConnections } = JSON.parse(process.argv[2]);
const run = (paths, options) => new Promise((resolve, reject) => {
  let next = 0;
  const statuses = {};
  let degraded = 0;
  const bad = [];
  autocannon({ url, duration: seconds, timeout: 60, ...options, requests: [{
    setupRequest: (req) => ({ ...req, path: paths[next++ % paths.length] }),
    onResponse: (status, body, context, headers) => {
      statuses[status] = (statuses[status] || 0) + 1;
      if (headers['x-degraded']) degraded++;
      if (status >= 500 && bad.length < 5) bad.push(status + ' ' + body.slice(0, 300));
    },
  }] }, (err, r) => err ? reject(err) : resolve({ rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, total: r.requests.total, statuses, degraded, errors: r.errors, timeouts: r.timeouts, used: next, bad }));
});
Promise.all([
  run(uncached, { connections: 4, overallRate: uncachedRate }),
  run(cached, { connections: cachedConnections }),
]).then(([u, c]) => process.stdout.write(JSON.stringify({ uncached: u, cached: c })), (err) => { console.error(err); process.exit(1); });
`;

interface PagesResult extends PageLoadResult {
  used: number;
  bad: string[];
}

function runPages(url: string, uncached: string[], cached: string[], seconds: number): Promise<{ uncached: PagesResult; cached: PagesResult }> {
  const input = { url, seconds, uncached, cached, uncachedRate: UNCACHED_RPS, cachedConnections: CACHED_CONNECTIONS };
  const child = spawn(process.execPath, ['-e', PAGES_CLIENT, join(REPO, 'node_modules', 'autocannon'), JSON.stringify(input)], { stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  return new Promise((resolve, reject) =>
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(Buffer.concat(out).toString('utf8'))) : reject(new Error(`pages client failed (${code}): ${Buffer.concat(err).toString('utf8').slice(-2000)}`)))),
  );
}

// ---------------------------------------------------------------- the local cloud as `npm start` runs it

/** `npm start`'s command (package.json) without npm around it, so the process tree is the local cloud's. */
async function startNpmStart(dataDir: string): Promise<{ url: string; child: ChildProcess; output: () => string }> {
  const port = Number(process.env.BENCH_PORT ?? (await freePortBlock()));
  const child = spawn(process.execPath, ['--single-threaded-gc', join(REPO, 'scripts/local/launch.cjs')], { cwd: REPO, env: { ...process.env, PORT: String(port), DATA_DIR: dataDir, LOG_LEVEL: 'warn' }, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  child.stdout!.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-50_000)));
  child.stderr!.on('data', (chunk: Buffer) => (log = (log + chunk.toString('utf8')).slice(-50_000)));
  const url = `http://127.0.0.1:${port}`;
  const until = Date.now() + 180_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the local cloud exited (${child.exitCode}):\n${log}`);
    const ok = await fetch(`${url}/api/products`).then((r) => r.status === 200, () => false);
    if (ok) return { url, child, output: () => log };
    if (Date.now() > until) throw new Error(`the local cloud was not ready in 180 s:\n${log}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** RSS (MiB) of `pid` and every process under it (the launcher, the start script, process instances). */
function treeRss(pid: number): { mib: number; processes: number } {
  const parent = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      parent.set(Number(entry), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]));
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set([pid]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const [child, ppid] of parent) if (tree.has(ppid) && !tree.has(child)) grew = tree.add(child).size > 0;
  }
  let kib = 0;
  for (const p of tree) {
    try {
      kib += Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${p}/status`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
  }
  return { mib: Math.round(kib / 1024), processes: tree.size };
}

/** CPU ms so far of `pid`'s main thread and of all its threads (Linux /proc; USER_HZ ticks). */
function processCpu(pid: number): { mainMs: number; allMs: number } {
  const ticks = (path: string) => {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  };
  try {
    return { mainMs: ticks(`/proc/${pid}/task/${pid}/stat`), allMs: ticks(`/proc/${pid}/stat`) };
  } catch {
    return { mainMs: 0, allMs: 0 };
  }
}

// ---------------------------------------------------------------- settling

interface Quiet {
  busyInstances: number;
  instances: number;
  runningExecutions: number;
  queuedMessages: number;
  pendingAsync: number;
  deadLettered: number;
}

/** What the console says is still going on: busy instances, running executions, messages, async events not done. */
async function quietness(url: string): Promise<Quiet> {
  const get = async <T>(path: string) => (await (await fetch(`${url}${path}`)).json()) as T;
  const functions = await get<{ instances: number; busy: number }[]>('/_local/api/functions');
  const running = await get<unknown[]>('/_local/api/executions?status=Running&limit=100');
  const queues = await get<Record<string, unknown>[]>('/_local/api/queues');
  const asyncEvents = await get<{ status?: string; state?: string }[] | { items?: { status?: string }[] }>('/_local/api/async?limit=200');
  const asyncList = Array.isArray(asyncEvents) ? asyncEvents : (asyncEvents.items ?? []);
  const count = (q: Record<string, unknown>, ...names: string[]) => names.reduce((n, name) => n + (typeof q[name] === 'number' ? (q[name] as number) : 0), 0);
  return {
    busyInstances: functions.reduce((n, f) => n + f.busy, 0),
    instances: functions.reduce((n, f) => n + f.instances, 0),
    runningExecutions: running.length,
    queuedMessages: queues.reduce((n, q) => n + count(q, 'activeMessages', 'inactiveMessages', 'delayMessages'), 0),
    deadLettered: queues.reduce((n, q) => n + count(q, 'deadLettered'), 0),
    pendingAsync: asyncList.filter((e) => /pending|running|queued|retry/i.test(String((e as { status?: string }).status ?? (e as { state?: string }).state ?? ''))).length,
  };
}

/**
 * Where each app's entry function spent its last invocations of the load (the console's history): waiting in line
 * for an instance, and in the handler; p50/p99 ms. A page slow with little CPU in use waits in line.
 */
async function waitsInLine(url: string): Promise<Record<string, { n: number; waitP50: number; waitP99: number; runP50: number; runP99: number }>> {
  const out: Awaited<ReturnType<typeof waitsInLine>> = {};
  const functions = (await (await fetch(`${url}/_local/api/functions`)).json()) as { name: string; resource: string }[];
  for (const fn of ['product-bff', 'product-info', 'order-api', 'iot-ingest', 'image-api', 'make-thumbnail', 'iot-etl', 'index-image']) {
    const name = functions.find((f) => f.resource === fn)?.name;
    if (!name) continue;
    const records = (await (await fetch(`${url}/_local/api/invocations?fn=${name}&limit=200`)).json()) as { waitMs: number; durationMs: number }[];
    if (!records.length) continue;
    const wait = stats(records.map((r) => r.waitMs));
    const run = stats(records.map((r) => r.durationMs));
    out[fn] = { n: records.length, waitP50: Math.round(wait.p50), waitP99: Math.round(wait.p99), runP50: Math.round(run.p50), runP99: Math.round(run.p99) };
  }
  return out;
}

/**
 * Invocations that did not succeed among the last 1 000 (the console's history) by status and function, and async
 * events retried among the last 1 000: a function timeout caused by a page taking the CPU would show here (D143).
 */
async function failuresSeen(url: string): Promise<{ notSucceeded: Record<string, number>; asyncRetried: number }> {
  const records = (await (await fetch(`${url}/_local/api/invocations?limit=1000`)).json()) as { status: string; resource: string; error?: { errorType?: string } }[];
  const notSucceeded: Record<string, number> = {};
  for (const r of records) {
    if (r.status === 'succeeded') continue;
    // Requests autocannon left in a line when it stopped, canceled as on FC (D168): the client's doing, named apart.
    const key = `${r.resource}:${r.error?.errorType === 'InvocationCanceled' ? 'canceled by client' : r.status}`;
    notSucceeded[key] = (notSucceeded[key] ?? 0) + 1;
  }
  const events = (await (await fetch(`${url}/_local/api/async?limit=1000`)).json()) as { attempts: number }[];
  return { notSucceeded, asyncRetried: events.filter((e) => e.attempts > 1).length };
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, deadline: number): Promise<T> {
  for (;;) {
    const value = await probe();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
}


/** What every write of the load became: orders' ends by card, readings not readable, images not ready or not found. */
async function writesLanded(url: string, token: string, placed: PlacedOrder[], accepted: Map<string, number[]>, uploads: Uploaded[]) {
    const orders = placed.map((o) => ({ card: o.card, outcome: o.last ? `${o.last.status}${o.last.failure?.reason ? `:${o.last.failure.reason}` : ''}` : 'never seen' }));
    const outcomes: Record<string, Record<string, number>> = {};
    for (const o of orders) (outcomes[o.card] ??= {})[o.outcome] = (outcomes[o.card]![o.outcome] ?? 0) + 1;
    const stuckOrders = placed.filter((o) => !o.last || !['SUCCEEDED', 'FAILED'].includes(o.last.status)).map((o) => `${o.orderId} (${o.card}) ${o.last?.status ?? 'never seen'}`);
    const wrongOrders = placed.filter((o) => o.last && ((o.card === 'decline' && o.last.status !== 'FAILED') || (o.card !== 'decline' && o.card !== 'noCallback' && o.last.status === 'FAILED' && o.last.failure?.reason !== 'out_of_stock'))).map((o) => `${o.orderId} (${o.card}) ${o.last!.status} ${o.last!.failure?.reason ?? ''}`);

    const lostReadings: string[] = [];
    let acceptedReadings = 0;
    const landDeadline = Date.now() + SETTLE_MS;
    for (const [deviceId, ts] of accepted) {
      if (!ts.length) continue;
      acceptedReadings += ts.length;
      const from = Math.min(...ts);
      const to = Math.max(...ts) + 1;
      const missing = await until(
        async () => {
          const res = await fetch(`${url}/api/iot/devices/${deviceId}/series?metric=${IOT_METRIC}&step=raw&from=${from}&to=${to}`, { headers: { authorization: `Bearer ${token}` } });
          if (res.status !== 200) return ts.length;
          const seen = new Set(((await res.json()) as { points: { ts: number }[] }).points.map((p) => p.ts));
          return ts.filter((t) => !seen.has(t)).length;
        },
        (n) => n === 0,
        landDeadline,
      );
      if (missing) lostReadings.push(`${deviceId}: ${missing} of ${ts.length}`);
    }
    const notReady = uploads.filter((u) => u.status !== 'ready' || !u.searchable).map((u) => `${u.imageId} ${u.status ?? 'never seen'}${u.searchable ? '' : ', not searchable'}`);

  return { outcomes, stuckOrders, wrongOrders, acceptedReadings, lostReadings, notReady };
}

// ---------------------------------------------------------------- the run

async function main(): Promise<void> {
  const dir = tempDir('bench-mixed-');
  const own = process.env.BENCH_URL ? undefined : await startNpmStart(join(dir.path, 'data'));
  const url = process.env.BENCH_URL ?? own!.url;
  const pid = Number(process.env.BENCH_PID ?? own?.child.pid ?? 0);
  try {
    const tag = Date.now().toString(36);
    const [token, admin] = [await signIn(url, 'alice', 'alice-demo'), await signIn(url, 'admin', 'admin-demo')];
    const devices = await registerDevices(url, admin, DEVICES, tag);
    const fresh = await writeBenchProducts(await localCloudTable(url), Math.ceil(UNCACHED_RPS * (ROUNDS * SECONDS + 10) * 1.2), `p-mixed-${tag}`);
    const pagePath = (id: string, i: number) => `/api/products/${id}?client=${i % 2 ? 'mobile' : 'web'}&region=${REGIONS[Math.floor(i / 2) % 2]}`;
    const uncachedPaths = fresh.map(pagePath);
    const cachedPaths = DEMO_PRODUCTS.flatMap((p) => [0, 1, 2, 3].map((i) => pagePath(p.productId, i)));
    const photo = await photoLikeJpeg(1600, 1200);

    const tally = new Tally();
    const placed: PlacedOrder[] = [];
    const accepted = new Map(devices.map((d) => [d.deviceId, [] as number[]]));
    const uploads: Uploaded[] = [];
    const period = (1000 * IOT_BATCH * DEVICES) / IOT_RATE;

    const runAll = async (seconds: number, pages: { uncached: string[]; cached: string[] }) => {
      const start = Date.now();
      const clock: Clock = { loadEndsAt: start + seconds * 1000, watchEndsAt: start + seconds * 1000 + SETTLE_MS };
      const pagesRun = runPages(url, pages.uncached, pages.cached, seconds);
      const users = Promise.all([
        ...Array.from({ length: SHOPPERS }, (_, i) => shopper(url, token, tally, clock, i, placed)),
        ...devices.map((d) => device(url, d, tally, clock, IOT_BATCH, period, accepted.get(d.deviceId)!)),
        ...Array.from({ length: PHOTOGRAPHERS }, (_, i) => photographer(url, token, photo, tally, clock, i, uploads)),
        browser(url, tally, clock),
        consoleTab(url, tally, clock),
      ]);
      const cpuAtStart = processCpu(pid);
      const pagesResult = await pagesRun;
      const loadEnded = Date.now();
      const cpuAtEnd = processCpu(pid);
      // Cores' worth of CPU the local cloud used while the load ran: its main thread (gateway, emulators, pool) and all threads.
      const cpuDuringLoad = { mainCores: round2((cpuAtEnd.mainMs - cpuAtStart.mainMs) / (loadEnded - start)), allCores: round2((cpuAtEnd.allMs - cpuAtStart.allMs) / (loadEnded - start)) };
      await users;
      return { pagesResult, loadMs: loadEnded - start, loadEnded, watchersDoneMs: Date.now() - loadEnded, cpuDuringLoad };
    };

    // Warm-up: every app a few seconds (instances started, caches filled), on pages of its own; not counted.
    const warmTally = tally.byApp;
    await runAll(Number(process.env.BENCH_WARMUP_S ?? 5), { uncached: uncachedPaths.splice(0, UNCACHED_RPS * 6), cached: cachedPaths });
    const warm = JSON.parse(JSON.stringify(warmTally)) as Record<string, Record<string, number>>;
    for (const key of Object.keys(tally.byApp)) delete tally.byApp[key];
    tally.bad.length = 0;
    placed.length = 0;
    uploads.length = 0;
    for (const list of accepted.values()) list.length = 0;

    await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
    const before = { rss: pid ? treeRss(pid) : undefined, quiet: await quietness(url), load: loadavg()[0] };
    console.log(`before: ${JSON.stringify(before)}`);

    const rounds: { loadMs: number; watchersDoneMs: number; drainedMs: number; failures: Awaited<ReturnType<typeof failuresSeen>>; loadAverage: number; cpuDuringLoad: { mainCores: number; allCores: number }; pages: { uncached: PagesResult; cached: PagesResult }; waits: Awaited<ReturnType<typeof waitsInLine>>; settled: Quiet; after: typeof before }[] = [];
    let verdict!: ReturnType<typeof writesLanded> extends Promise<infer T> ? T : never;
    for (let r = 0; r < ROUNDS; r++) {
      const { pagesResult, loadMs, loadEnded, watchersDoneMs, cpuDuringLoad } = await runAll(SECONDS, { uncached: uncachedPaths.splice(0, Math.ceil(UNCACHED_RPS * SECONDS * 1.2)), cached: cachedPaths });
      tally.merge('pages', pagesResult.uncached.statuses);
      tally.merge('pages', pagesResult.cached.statuses);
      for (const kind of ['uncached', 'cached'] as const) {
        const res = pagesResult[kind];
        if (res.errors) tally.merge('pages', { errors: res.errors - res.timeouts });
        if (res.timeouts) tally.merge('pages', { timeout: res.timeouts });
        tally.bad.push(...res.bad.map((b) => `pages ${b}`));
      }
      const loadAverage = loadavg()[0]!;
      const waits = await waitsInLine(url);
      console.log(`round ${r + 1} waits: ${JSON.stringify(waits)}; cores used: ${JSON.stringify(cpuDuringLoad)}`);
      console.log(`round ${r + 1}: load done in ${loadMs} ms, watchers ${watchersDoneMs} ms more: ${JSON.stringify(tally.byApp)}`);
      verdict = await writesLanded(url, token, placed, accepted, uploads);
      const settled = await until(() => quietness(url), (q) => q.busyInstances === 0 && q.runningExecutions === 0 && q.queuedMessages === 0 && q.pendingAsync === 0, Date.now() + 60_000);
      // From the end of the load until every write had landed and the cloud was quiet: the backlog's drain (D143).
      const drainedMs = Date.now() - loadEnded;
      const failures = await failuresSeen(url);
      console.log(`round ${r + 1}: drained ${drainedMs} ms after the load; not succeeded: ${JSON.stringify(failures)}`);
      await new Promise((resolve) => setTimeout(resolve, IDLE_S * 1000));
      const after = { rss: pid ? treeRss(pid) : undefined, quiet: await quietness(url), load: loadavg()[0]! };
      console.log(`after round ${r + 1}: ${JSON.stringify(after)}`);
      rounds.push({ loadMs, watchersDoneMs, drainedMs, failures, loadAverage, cpuDuringLoad, pages: pagesResult, waits, settled, after });
    }
    const { outcomes, stuckOrders, wrongOrders, acceptedReadings, lostReadings, notReady } = verdict;
    const last = rounds[rounds.length - 1]!;
    const { settled, after } = last;
    const fiveXx = Object.fromEntries(Object.entries(tally.byApp).map(([app, s]) => [app, Object.entries(s).reduce((n, [k, v]) => n + (Number(k) >= 500 ? v : 0), 0)]));
    const errors = Object.fromEntries(Object.entries(tally.byApp).map(([app, s]) => [app, Object.entries(s).reduce((n, [k, v]) => n + (/^\d+$/.test(k) ? 0 : v), 0)]));
    const total5xx = Object.values(fiveXx).reduce((a, b) => a + b, 0);
    const totalErrors = Object.values(errors).reduce((a, b) => a + b, 0);
    const requests = Object.values(tally.byApp).reduce((n, s) => n + Object.values(s).reduce((a, b) => a + b, 0), 0);
    const rssGrowth = before.rss && after.rss ? after.rss.mib - before.rss.mib : undefined;
    const rssSteps = rounds.map((r) => r.after.rss?.mib ?? 0).join(' → ');
    report({
      name: process.env.BENCH_NAME ?? 'mixed-load',
      description: 'all four apps and the console at once against a local cloud started as npm start: product pages, checkouts with long polls, IoT ingest, uploads and searches',
      results: {
        seconds: SECONDS,
        rounds,
        statusesByApp: tally.byApp,
        warmUpStatusesByApp: warm,
        orders: { placed: placed.length, outcomes, stuck: stuckOrders.slice(0, 10), wrong: wrongOrders.slice(0, 10) },
        iot: { acceptedReadings, perSecond: Math.round(acceptedReadings / SECONDS), lost: lostReadings.slice(0, 10) },
        images: { uploaded: uploads.length, notReady: notReady.slice(0, 10) },
        settled,
        before,
        after,
        bad: tally.bad,
        method:
          `launcher (npm start's command) on a temp data folder; ${ROUNDS} × ${SECONDS} s after a ${process.env.BENCH_WARMUP_S ?? 5} s warm-up and ${IDLE_S} s idle: ` +
          `pages: autocannon, uncached ${UNCACHED_RPS}/s over 4 connections + cached at ${CACHED_CONNECTIONS} connections (web/mobile, 2 regions); ` +
          `${SHOPPERS} shoppers (4 cards, long polls); ${DEVICES} devices × ${IOT_BATCH} readings every ${Math.round(period)} ms (${IOT_RATE}/s); ` +
          `${PHOTOGRAPHERS} photographers (1600×1200 JPEG) + 1 gallery reader; console polling ${11} routes/s. RSS = the launcher's process tree after ${IDLE_S} s idle`,
      },
      goals: [
        { name: 'no 5xx on any app', measured: `${total5xx} of ${requests} answers (${JSON.stringify(fiveXx)})`, met: total5xx === 0 },
        { name: 'no connection errors or timeouts', measured: `${totalErrors} (${JSON.stringify(errors)})`, met: totalErrors === 0 },
        { name: 'every order ends as its card says', measured: `${placed.length} orders: ${stuckOrders.length} stuck, ${wrongOrders.length} wrong; ${JSON.stringify(outcomes)}`, met: stuckOrders.length + wrongOrders.length === 0 },
        { name: 'every accepted reading readable', measured: `${acceptedReadings} accepted (${Math.round(acceptedReadings / SECONDS)}/s), ${lostReadings.length} devices missing some`, met: lostReadings.length === 0 },
        { name: 'every uploaded image ready and searchable', measured: `${uploads.length} uploaded, ${notReady.length} not`, met: notReady.length === 0 },
        { name: 'settles: nothing busy, running or queued', measured: JSON.stringify(settled), met: settled.busyInstances + settled.runningExecutions + settled.queuedMessages + settled.pendingAsync === 0 },
        { name: `RSS after ${IDLE_S} s idle vs before (information)`, measured: before.rss && after.rss ? `${before.rss.mib} → ${rssSteps} MiB (${rssGrowth! >= 0 ? '+' : ''}${rssGrowth} MiB), instances ${before.quiet.instances} → ${after.quiet.instances}` : 'no pid', met: true },
      ],
    });
  } finally {
    if (own) {
      own.child.kill('SIGTERM');
      await new Promise((resolve) => (own.child.exitCode !== null ? resolve(undefined) : own.child.once('exit', resolve)));
    }
    dir.cleanup();
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
