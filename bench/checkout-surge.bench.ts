/**
 * A shop's checkout surge (issue 10/12, D110): autocannon posting orders at 32 and 64 connections against a
 * local cloud started as `npm start` starts it (default caps, prewarmed call trees, the sandbox's default
 * webhook delay), and where each placed order's time and CPU go:
 * - the POSTs: req/s, p50/p99 (autocannon, a process of its own, a unique Idempotency-Key per request);
 * - the sagas: every order placed during the load followed to its end; end-to-end orders/s = orders placed /
 *   (first POST → last OrderSucceeded), and the p50/p99 of POST → saga end per order;
 * - per function (saga step): invocations per order, time waiting in line for an instance, cold starts, time in
 *   the handler, and CPU of its instance threads (/proc/self/task);
 * - CPU per order by thread kind (main: gateway, pool, flow engine, MNS/OSS/FnF emulators; instances;
 *   the TableStore emulator's thread; helpers: V8 and libuv), and TableStore requests per order by operation.
 * `BENCH_PROFILE=<dir>`: a CPU profile of the main thread per measured load, summarized by function and file.
 *
 * Before/after: `npx tsx bench/checkout-surge.bench.ts <other checkout>…` runs each checkout's own local cloud in
 * a process of its own, alternating checkouts round by round (BENCH_ROUNDS, BENCH_LEVELS, BENCH_SECONDS).
 */
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { OrderList, TERMINAL_STATUSES } from '../functions/_shared/contracts/orders';
import type * as CloudModule from '../scripts/local/cloud';
import type { InvocationRecord } from '../scripts/local/runtime/runtime';
import { orderRequest } from '../test/helpers/order-world';
import { tempDir } from '../test/helpers/temp';
import { report, stats } from './lib';
import { mainProfilerFromEnv } from './main-profiler';

/** Rounds: 3 when comparing checkouts, 1 for this checkout alone (as `npm run bench` runs it). */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (process.argv.length > 2 && process.argv[2] !== '--serve' ? 3 : 1));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const LEVELS = (process.env.BENCH_LEVELS ?? '32,64').split(',').map(Number);
const HERE = resolve(__dirname, '..');
const PRODUCT = 'p-glide-mouse';
const TICK_MS = 1000 / 100; // USER_HZ
const SAGA_END = ['order-succeeded', 'order-failed'];
/** BENCH_WATCH=1: every placed order's page long-polls it to its end, as the website does (D125). */
const WATCH = process.env.BENCH_WATCH === '1';
/**
 * BENCH_HELD_PAGES=n: before each load, n orders with the sandbox's card that never calls back (held at
 * PAYMENT_PENDING for the callback's 30 s) and their pages open through the load, each poll waiting its full
 * 25 s: shoppers watching a slow payment while others check out (D125).
 */
const HELD_PAGES = Number(process.env.BENCH_HELD_PAGES ?? 0);

/** CPU ms of each thread of this process (Linux). */
function threadTimes(): Map<number, number> {
  const times = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const fields = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      times.set(Number(tid), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // The thread ended meanwhile.
    }
  }
  return times;
}

/** The machine's CPU ticks so far: [busy, all] (every process, /proc/stat). */
function machineTicks(): [number, number] {
  const [, ...fields] = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/);
  const ticks = fields.map(Number);
  const idle = ticks[3]! + ticks[4]!;
  const all = ticks.reduce((a, b) => a + b, 0);
  return [all - idle, all];
}

/**
 * The load generator, a process of its own: autocannon posting orders, and with `watch` every placed order's
 * page as a browser runs it (website/src/views/order.ts): one GET, then `?waitFor=<version>` again and again
 * until the order ends, backing off after a failed poll. The watchers run on after the POSTs stop, until every
 * watched order has ended (or a 3-minute bound).
 */
const CLIENT = `
const autocannon = require(process.argv[1]);
const { url, connections, seconds, token, body, watch, terminal, heldOrders } = JSON.parse(process.argv[2]);
const statuses = {};
const watched = { orders: 0, ended: 0, gets: 0, polls: 0, pollsMoved: 0, statuses: {}, errors: 0, open: 0, maxOpen: 0, pollMs: [] };
const followers = [];
const headers = { authorization: 'Bearer ' + token };
async function follow(orderId) {
  watched.orders++;
  watched.maxOpen = Math.max(watched.maxOpen, ++watched.open);
  let view;
  let failures = 0;
  const until = Date.now() + 180000;
  while (Date.now() < until && !(view && terminal.includes(view.status))) {
    const started = Date.now();
    const query = view ? '?waitFor=' + view.version : '';
    try {
      const res = await fetch(url + '/api/orders/' + orderId + query, { headers });
      const text = await res.text();
      watched.gets++;
      watched.statuses[res.status] = (watched.statuses[res.status] || 0) + 1;
      if (!res.ok) throw new Error('status ' + res.status);
      const next = JSON.parse(text);
      if (view) {
        watched.polls++;
        watched.pollMs.push(Date.now() - started);
        if (next.version > view.version) watched.pollsMoved++;
      }
      view = next;
      failures = 0;
    } catch (err) {
      watched.errors++;
      failures++;
      await new Promise((done) => setTimeout(done, Math.min(10000, 500 * 2 ** failures)));
    }
  }
  watched.open--;
  if (view && terminal.includes(view.status)) watched.ended++;
}
// Pages of orders held at their payment, open through the whole load: their polls wait the full 25 s.
const held = { pages: heldOrders.length, polls: 0, statuses: {}, errors: 0 };
const holding = new AbortController();
async function keepOpen(orderId) {
  let version;
  while (!holding.signal.aborted) {
    try {
      const res = await fetch(url + '/api/orders/' + orderId + (version === undefined ? '' : '?waitFor=' + version), { headers, signal: holding.signal });
      const text = await res.text();
      held.statuses[res.status] = (held.statuses[res.status] || 0) + 1;
      if (version !== undefined) held.polls++;
      if (res.ok) version = JSON.parse(text).version;
      else await new Promise((done) => setTimeout(done, 500));
    } catch (err) {
      if (!holding.signal.aborted) held.errors++;
    }
  }
}
const holders = heldOrders.map(keepOpen);
let n = 0;
autocannon({ url: url + '/api/orders', connections, duration: seconds, timeout: 60, requests: [{
  setupRequest: (req) => ({ ...req, method: 'POST', body, headers: { 'content-type': 'application/json', authorization: 'Bearer ' + token, 'idempotency-key': 'surge-' + process.pid + '-' + (++n) } }),
  onResponse: (s, resBody) => {
    statuses[s] = (statuses[s] || 0) + 1;
    if (watch && s === 202) followers.push(follow(JSON.parse(resBody).orderId));
  },
}] }, async (err, r) => {
  if (err) { console.error(err); process.exit(1); }
  holding.abort();
  await Promise.all([...followers, ...holders]);
  const ms = watched.pollMs.sort((a, b) => a - b);
  const at = (q) => ms.length ? ms[Math.min(ms.length - 1, Math.floor(q * ms.length))] : 0;
  const { pollMs, open, ...counts } = watched;
  const watchOut = { ...(watch ? { watch: { ...counts, pollP50: at(0.5), pollP99: at(0.99) } } : {}), ...(held.pages ? { held } : {}) };
  process.stdout.write(JSON.stringify({ rps: r.requests.average, total: r.requests.total, p50: r.latency.p50, p99: r.latency.p99, statuses, errors: r.errors, timeouts: r.timeouts, ...watchOut }));
});
`;

interface PostLoad {
  rps: number;
  total: number;
  p50: number;
  p99: number;
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  /** With BENCH_HELD_PAGES: the held orders' pages, open through the load (polls answered by status). */
  held?: { pages: number; polls: number; statuses: Record<string, number>; errors: number };
  /** With BENCH_WATCH: what the order pages' long polls met (GETs by status, polls that saw the order move). */
  watch?: { orders: number; ended: number; gets: number; polls: number; pollsMoved: number; statuses: Record<string, number>; errors: number; maxOpen: number; pollP50: number; pollP99: number };
}

function postLoad(url: string, token: string, connections: number, heldOrders: string[]): Promise<PostLoad> {
  const body = JSON.stringify(orderRequest('success', [{ productId: PRODUCT, qty: 1 }]));
  const options = { url, connections, seconds: SECONDS, token, body, watch: WATCH, terminal: TERMINAL_STATUSES, heldOrders };
  const child = spawn(process.execPath, ['-e', CLIENT, join(HERE, 'node_modules', 'autocannon'), JSON.stringify(options)], { stdio: ['ignore', 'pipe', 'inherit'] });
  const out: Buffer[] = [];
  child.stdout.on('data', (c: Buffer) => out.push(c));
  return new Promise((done) => child.on('close', () => done(JSON.parse(Buffer.concat(out).toString('utf8')) as PostLoad)));
}

/** A main-thread CPU profile summarized: self ms by function (file:line) and by file, the top ones. */
function summarizeProfile(profile: { nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[]; samples: number[]; timeDeltas: number[] }) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const fn = new Map<string, number>();
  const file = new Map<string, number>();
  profile.samples.forEach((id, i) => {
    const frame = byId.get(id)!;
    const ms = (profile.timeDeltas[i] ?? 0) / 1000;
    const where = frame.url.replace(/^.*\/(node_modules\/[^/]+|scripts|functions)\//, '$1/') || '(native)';
    fn.set(`${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`, (fn.get(`${frame.functionName || '(anonymous)'} ${where}:${frame.lineNumber + 1}`) ?? 0) + ms);
    file.set(where, (file.get(where) ?? 0) + ms);
  });
  const top = (m: Map<string, number>, n: number) => [...m].sort(([, a], [, b]) => b - a).slice(0, n).map(([k, v]) => `${Math.round(v)} ms ${k}`);
  return { functions: top(fn, 25), files: top(file, 20) };
}

/**
 * order-api's records by what they answered (a record holds the answer, not the request): 202 placed an order
 * (POST), anything else is an order page's GET, most of them long polls (`waitFor`).
 */
function orderApiRoute(record: InvocationRecord): 'POST' | 'GET' {
  const answer = JSON.parse(record.payload.toString('utf8')) as { statusCode?: number };
  return answer.statusCode === 202 ? 'POST' : 'GET';
}

/** order-api's pool sampled every 100 ms during a load: instances, busy, parked on I/O, requests in line. */
function samplePool(cloud: CloudModule.LocalCloud, resource: string) {
  const samples: { instances: number; busy: number; parked: number; queued: number }[] = [];
  const timer = setInterval(() => {
    const pool = cloud.runtime.poolStats().find((p) => p.resource === resource);
    if (pool) samples.push(pool);
  }, 100);
  return {
    stop() {
      clearInterval(timer);
      const field = (k: keyof (typeof samples)[number]) => ({ mean: Math.round((samples.reduce((n, s) => n + s[k], 0) / Math.max(1, samples.length)) * 10) / 10, max: Math.max(0, ...samples.map((s) => s[k])) });
      return { instances: field('instances'), busy: field('busy'), parked: field('parked'), queued: field('queued') };
    },
  };
}

/** `count` orders held at their payment (the card that never calls back), once each is PAYMENT_PENDING. */
async function placeHeldOrders(url: string, token: string, count: number): Promise<string[]> {
  const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
  const body = JSON.stringify(orderRequest('noCallback', [{ productId: PRODUCT, qty: 1 }]));
  const ids = await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const res = await fetch(`${url}/api/orders`, { method: 'POST', body, headers: { ...headers, 'idempotency-key': `held-${process.pid}-${Date.now()}-${i}` } });
      return ((await res.json()) as { orderId: string }).orderId;
    }),
  );
  for (const id of ids) {
    for (;;) {
      const view = (await (await fetch(`${url}/api/orders/${id}`, { headers })).json()) as { status: string };
      if (view.status === 'PAYMENT_PENDING') break;
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  return ids;
}

/** Placement → last event of every order alice placed since `since`, from her order list (read after the measurement). */
async function sagaTimes(url: string, token: string, since: number): Promise<number[]> {
  const times: number[] = [];
  let cursor: string | undefined;
  for (;;) {
    const res = await fetch(`${url}/api/orders?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
    const page = OrderList.parse(await res.json());
    const recent = page.orders.filter((o) => Date.parse(o.createdAt) >= since);
    for (const o of recent) times.push(Date.parse(o.updatedAt) - Date.parse(o.createdAt));
    if (!page.nextCursor || recent.length < page.orders.length) return times;
    cursor = page.nextCursor;
  }
}

/** Server mode: start `root`'s local cloud, then measure one load per line on stdin (`<connections>`). */
async function serve(root: string): Promise<void> {
  const { startLocalCloud } = (await import(join(root, 'scripts/local/cloud.ts'))) as typeof CloudModule;
  const data = tempDir('checkout-surge-');
  const cloud = await startLocalCloud({ root, port: 0, dataDir: join(data.path, 'data'), watch: false });
  const login = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-demo' }), headers: { 'content-type': 'application/json' } });
  const { token } = (await login.json()) as { token: string };
  const profiler = await mainProfilerFromEnv();
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);

  for await (const line of createInterface({ input: process.stdin })) {
    if (line === 'stop') break;
    const connections = Number(line);
    const heldOrders = await placeHeldOrders(cloud.url, token, HELD_PAGES);
    const records: InvocationRecord[] = [];
    // Counted as they come: the drain loop below asks every 50 ms, and walking every record each time cost the
    // main thread (whose CPU this bench measures) more than some of what it measures (D120).
    let placedCount = 0;
    let endedCount = 0;
    const onInvocation = (r: InvocationRecord) => {
      records.push(r);
      if (r.status !== 'succeeded') return;
      if (r.resource === 'order-api') {
        if (orderApiRoute(r) === 'POST') placedCount++;
      } else if (SAGA_END.includes(r.resource)) endedCount++;
    };
    cloud.runtime.on('invocation', onInvocation);
    const machineBefore = machineTicks();
    const threadsBefore = threadTimes();
    const tablesBefore = (await cloud.tablestore.emulator.requestLog()).countsByOperation;
    const instanceOf = new Map<number, string>();
    const noteInstances = () => {
      for (const t of cloud.runtime.instanceThreads()) instanceOf.set(t.osThreadId, t.resource);
    };
    noteInstances();
    const watcher = setInterval(noteInstances, 100);
    await profiler?.post('Profiler.start');
    const startedAt = Date.now();
    const orderApiPool = samplePool(cloud, 'order-api');
    const load = await postLoad(cloud.url, token, connections, heldOrders);
    const orderApiInstances = orderApiPool.stop();
    // Every order placed (order-api answered) is followed to its saga's end.
    const placed = () => placedCount;
    const ended = () => endedCount;
    const drainDeadline = Date.now() + 180_000;
    while (ended() < placed() && Date.now() < drainDeadline) await new Promise((done) => setTimeout(done, 50));
    const lastEnd = Math.max(...records.filter((r) => SAGA_END.includes(r.resource)).map((r) => r.startedAt + r.durationMs));
    clearInterval(watcher);
    noteInstances();
    const profile = profiler ? summarizeProfile(((await profiler.post('Profiler.stop')) as { profile: Parameters<typeof summarizeProfile>[0] }).profile) : undefined;
    cloud.runtime.off('invocation', onInvocation);
    const threadsAfter = threadTimes();
    const machineAfter = machineTicks();
    const tablesAfter = (await cloud.tablestore.emulator.requestLog()).countsByOperation;
    const orders = placed();
    const sagaMs = await sagaTimes(cloud.url, token, startedAt);

    const cpu = { main: 0, instances: 0, tablestore: 0, helpers: 0 };
    const cpuByFunction: Record<string, number> = {};
    for (const [tid, after] of threadsAfter) {
      const used = after - (threadsBefore.get(tid) ?? 0);
      const fn = instanceOf.get(tid);
      if (tid === process.pid) cpu.main += used;
      else if (tid === cloud.tablestore.emulator.osThreadId) cpu.tablestore += used;
      else if (fn) {
        cpu.instances += used;
        cpuByFunction[fn] = (cpuByFunction[fn] ?? 0) + used;
      } else cpu.helpers += used;
    }
    // order-api's POSTs and long polls apart: what the POSTs waited in line for is the question (D125).
    const functionKey = (r: InvocationRecord) => (r.resource === 'order-api' ? `order-api ${orderApiRoute(r)}` : r.resource);
    const per = (n: number) => Math.round((n / Math.max(1, orders)) * 10) / 10;
    const functions = Object.fromEntries(
      [...new Set(records.map(functionKey))].sort().map((fn) => {
        const rs = records.filter((r) => functionKey(r) === fn);
        const mean = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length));
        const instanceFn = fn.split(' ')[0]!;
        return [fn, { perOrder: per(rs.length), waitMs: mean(rs.map((r) => r.waitMs)), waitP99: stats(rs.map((r) => r.waitMs)).p99, handlerMs: mean(rs.map((r) => r.durationMs - r.waitMs)), cold: rs.filter((r) => r.coldStart).length, failed: rs.filter((r) => r.status !== 'succeeded').length, cpuMsPerOrder: fn === instanceFn ? per(cpuByFunction[fn] ?? 0) : undefined }];
      }),
    );
    const tables: Record<string, number> = Object.fromEntries(Object.entries(tablesAfter).map(([op, n]) => [op, per(n - (tablesBefore[op] ?? 0))]).filter(([, n]) => Number(n) > 0));
    const seconds = (lastEnd - startedAt) / 1000;
    const result = {
      connections,
      post: load,
      orders,
      e2eSeconds: Math.round(seconds * 100) / 100,
      e2eOrdersPerSecond: Math.round((orders / seconds) * 10) / 10,
      /** From the order's placement (its first event, as order-api records it) to its last event (the saga's end). */
      saga: { p50: stats(sagaMs).p50, p99: stats(sagaMs).p99, n: sagaMs.length },
      /** CPU cores the local cloud's process used on average from the first POST to the last saga's end. */
      cores: Math.round(((cpu.main + cpu.instances + cpu.tablestore + cpu.helpers) / 1000 / seconds) * 100) / 100,
      /** Share of the whole machine's CPU busy meanwhile (this process, autocannon, anyone else). */
      machineBusy: Math.round(((machineAfter[0] - machineBefore[0]) / Math.max(1, machineAfter[1] - machineBefore[1])) * 100) / 100,
      cpuMsPerOrder: { main: per(cpu.main), instances: per(cpu.instances), tablestore: per(cpu.tablestore), helpers: per(cpu.helpers), all: per(cpu.main + cpu.instances + cpu.tablestore + cpu.helpers) },
      tableRequestsPerOrder: { total: Math.round(Object.values(tables).reduce((a: number, b) => a + Number(b), 0) * 10) / 10, ...tables },
      functions,
      /** order-api's pool during the POSTs (sampled every 100 ms): mean and max of each count. */
      orderApiInstances,
      orderApiCpuMsPerOrder: per(cpuByFunction['order-api'] ?? 0),
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
      ...(profile ? { mainProfile: profile } : {}),
    };
    if (profiler) writeFileSync(join(profiler.dir, `checkout-surge-${process.pid}-${connections}.json`), JSON.stringify(result, null, 2));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  }
  await cloud.stop();
  data.cleanup();
  process.exit(0);
}

type Measured = Awaited<ReturnType<typeof measureOn>>[number];

/** One round on one checkout: a fresh local cloud, a warm-up surge, then each level. */
async function measureOn(root: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--serve', root], { cwd: HERE, stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, LOG_LEVEL: 'silent' } });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const next = async () => JSON.parse(((await lines.next()).value as string | undefined) ?? 'null') as Record<string, unknown>;
  await next();
  // Warm-up: a short surge at the highest level, as a shop's first minute would (cold starts, caches).
  child.stdin.write(`${Math.max(...LEVELS)}\n`);
  await next();
  const out: (Record<string, unknown> & { connections: number })[] = [];
  for (const level of LEVELS) {
    child.stdin.write(`${level}\n`);
    out.push((await next()) as Record<string, unknown> & { connections: number });
  }
  child.stdin.write('stop\n');
  await new Promise((done) => child.on('close', done));
  return out;
}

async function main(): Promise<void> {
  const roots = [HERE, ...process.argv.slice(2).map((r) => resolve(r))];
  const all: { root: string; round: number; result: Measured }[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    // Alternate which checkout goes first, so neither always meets the machine after the other.
    for (const root of round % 2 === 0 ? roots : [...roots].reverse()) {
      for (const result of await measureOn(root)) {
        all.push({ root, round, result });
        const post = result.post as PostLoad;
        const fns = result.functions as Record<string, { waitMs: number; waitP99: number; perOrder: number }>;
        const pool = result.orderApiInstances as Record<string, { mean: number; max: number }>;
        const holding = post.held ? `; ${post.held.pages} held pages: ${post.held.polls} polls answered, statuses ${JSON.stringify(post.held.statuses)}, errors ${post.held.errors}` : '';
        const watching = post.watch ? `; watched ${post.watch.orders} (ended ${post.watch.ended}), ${post.watch.polls} long polls (moved ${post.watch.pollsMoved}, p50/p99 ${post.watch.pollP50}/${post.watch.pollP99} ms, max open ${post.watch.maxOpen}), GET statuses ${JSON.stringify(post.watch.statuses)}` : '';
        console.log(`${root} round ${round} ${result.connections}c: POST ${Math.round(post.rps)}/s p50 ${post.p50} p99 ${post.p99} ms ${JSON.stringify(post.statuses)}, in line ${fns['order-api POST']?.waitMs} ms (p99 ${fns['order-api POST']?.waitP99})${watching}${holding}; order-api instances ${JSON.stringify(pool)}; e2e ${String(result.e2eOrdersPerSecond)} orders/s, saga p50/p99 ${JSON.stringify(result.saga)} (${String(result.orders)} in ${String(result.e2eSeconds)} s, ${String(result.cores)} cores, machine ${String(result.machineBusy)} busy); CPU/order ${JSON.stringify(result.cpuMsPerOrder)}; load ${String(result.load)}`);
      }
    }
  }
  const median = (xs: number[]) => stats(xs).p50;
  const summary = roots.flatMap((root) =>
    LEVELS.map((connections) => {
      const rs = all.filter((a) => a.root === root && a.result.connections === connections).map((a) => a.result);
      const posts = rs.map((r) => r.post as PostLoad);
      return {
        root,
        connections,
        postRps: median(posts.map((p) => p.rps)),
        postP50: median(posts.map((p) => p.p50)),
        postP99: median(posts.map((p) => p.p99)),
        non2xx: posts.reduce((n, p) => n + Object.entries(p.statuses).reduce((m, [s, c]) => m + (s === '202' ? 0 : c), 0) + p.errors + p.timeouts, 0),
        e2eOrdersPerSecond: median(rs.map((r) => Number(r.e2eOrdersPerSecond))),
        sagaP50: median(rs.map((r) => (r.saga as { p50: number }).p50)),
        sagaP99: median(rs.map((r) => (r.saga as { p99: number }).p99)),
        cpuMsPerOrder: median(rs.map((r) => (r.cpuMsPerOrder as { all: number }).all)),
        /** What a POST waited in line for an order-api instance (mean per round), and order-api's pool. */
        postInLineMs: median(rs.map((r) => (r.functions as Record<string, { waitMs: number }>)['order-api POST']?.waitMs ?? 0)),
        orderApiBusy: median(rs.map((r) => (r.orderApiInstances as { busy: { mean: number } }).busy.mean)),
        orderApiParked: median(rs.map((r) => (r.orderApiInstances as { parked: { mean: number } }).parked.mean)),
        orderApiInstances: median(rs.map((r) => (r.orderApiInstances as { instances: { mean: number } }).instances.mean)),
        longPolls: median(posts.map((p) => p.watch?.polls ?? 0)),
        watchNon2xx: posts.reduce((n, p) => n + [p.watch, p.held].reduce((k, pages) => k + Object.entries(pages?.statuses ?? {}).reduce((m, [s, c]) => m + (s === '200' ? 0 : c), 0) + (pages?.errors ?? 0), 0), 0),
        loads: rs.map((r) => r.load),
      };
    }),
  );
  report({
    name: `checkout-surge${WATCH ? '-watched' : ''}${HELD_PAGES ? '-held' : ''}`,
    description: 'a checkout surge: POST /api/orders under autocannon at 32/64 connections, every placed order followed to its saga end; time and CPU per step',
    results: { summary, rounds: all, method: `${ROUNDS} rounds, checkouts alternating (${roots.join(', ')}); per round a fresh local cloud (npm start's defaults), a warm-up surge, then ${LEVELS.join('/')} connections × ${SECONDS} s${WATCH ? ', every placed order page long-polled to its end' : ''}${HELD_PAGES ? `, ${HELD_PAGES} held order pages open through each load` : ''}; medians` },
    goals: summary.map((s) => ({ name: `${s.root} ${s.connections}c`, measured: `POST ${s.postRps}/s p50 ${s.postP50} ms p99 ${s.postP99} ms, in line ${s.postInLineMs} ms; order-api instances ${s.orderApiInstances} (busy ${s.orderApiBusy}, parked ${s.orderApiParked}); long polls ${s.longPolls}, non-200 ${s.watchNon2xx}; e2e ${s.e2eOrdersPerSecond} orders/s, placement → saga end p50 ${s.sagaP50} ms p99 ${s.sagaP99} ms; CPU ${s.cpuMsPerOrder} ms/order; non-202 ${s.non2xx}; load ${s.loads.join(' / ')}`, met: s.non2xx === 0 && s.watchNon2xx === 0 })),
  });
}

if (process.argv[2] === '--serve') void serve(process.argv[3]!);
else
  main().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
