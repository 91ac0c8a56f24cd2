import type { LocalEndpoints } from '../local/endpoints';
import { protos } from '../local/emulators/tablestore/sdk';
import { emulatorCase, signMns, signTableStore, type EmulatorCase, type EmulatorWorld } from './emulator-cases';
import { httpCase } from './http-cases';
import { judge, send, type Shape } from './oracle';
import { Random } from './random';
import { routeTemplates, type RouteWorld } from './routes';
import { changed, readState, type StateReaders } from './state';

/**
 * The sweep: for each seed, `cases` malformed requests (about two thirds to the functions' routes, one third to the
 * emulators), each judged by the oracle and, when refused, followed by a read of the state it must not have
 * changed. Any problem is kept with the seed and the request, so one seed reproduces it.
 */
export interface Finding {
  seed: number;
  index: number;
  target: string;
  variant: string;
  request: string;
  status: number;
  problems: string[];
  body: string;
}

export interface SweepSummary {
  cases: number;
  byTarget: Record<string, { cases: number; refused: number; accepted: number }>;
  findings: Finding[];
  ms: number;
}

export interface FuzzWorld {
  gateway: string;
  routes: RouteWorld;
  emulators: EmulatorWorld;
}

const PRODUCT_ID = 'p-1001';

/** Sign in, register a device, create the fuzzer's table and queue: everything valid requests need. */
export async function prepareWorld(gateway: string): Promise<FuzzWorld> {
  const endpoints = (await (await fetch(`${gateway}/_local/api/endpoints`)).json()) as LocalEndpoints;
  const signIn = async (username: string) => {
    const res = await fetch(`${gateway}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: `${username}-demo` }) });
    if (res.status !== 200) throw new Error(`sign-in as ${username}: ${res.status} ${await res.text()}`);
    return ((await res.json()) as { token: string }).token;
  };
  const adminToken = await signIn('admin');
  const userToken = await signIn('alice').catch(() => adminToken);
  const device = await fetch(`${gateway}/api/iot/devices`, { method: 'POST', headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'fuzz device', type: 'env-sensor' }) });
  const { deviceId, secret } = (await device.json()) as { deviceId: string; secret: string };
  const products = (await (await fetch(`${gateway}/api/products?limit=1`)).json()) as { items: { productId: string }[] };
  const emulators: EmulatorWorld = {
    credentials: endpoints.credentials,
    oss: endpoints.oss!.endpoint,
    bucket: endpoints.oss!.buckets[0]!,
    tablestore: endpoints.tablestore!.endpoint,
    instance: endpoints.tablestore!.instance!,
    table: 'fuzz_rows',
    mns: endpoints.mns!.endpoint,
    queue: 'fuzz-queue',
    fnf: endpoints.fnf!.endpoint,
    flow: endpoints.fnf!.flows![0]!,
  };
  await createTable(emulators);
  await createQueue(emulators);
  return {
    gateway,
    routes: { userToken, adminToken, deviceId, deviceSecret: secret, productId: products.items[0]?.productId ?? PRODUCT_ID, webhookSecret: process.env.PAYMENT_WEBHOOK_SECRET ?? 'local-only-payment-webhook-secret' },
    emulators,
  };
}

async function createTable(world: EmulatorWorld): Promise<void> {
  const body = protos.main.CreateTableRequest!.encode({
    tableMeta: { tableName: world.table, primaryKey: [{ name: 'id', type: 2 }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  }).finish();
  const res = await send(world.tablestore, { method: 'POST', path: '/CreateTable', headers: signTableStore(world, 'CreateTable', body), body: Buffer.from(body) });
  // OTSObjectAlreadyExist on a second sweep against the same data folder is fine.
  if (res.status !== 200 && !res.body.toString('latin1').includes('OTSObjectAlreadyExist')) throw new Error(`CreateTable answered ${res.status}: ${res.body.toString('latin1')}`);
}

async function createQueue(world: EmulatorWorld): Promise<void> {
  const resource = `/queues/${world.queue}`;
  const body = '<?xml version="1.0" encoding="UTF-8"?><Queue xmlns="http://mns.aliyuncs.com/doc/v1/"/>';
  const res = await send(world.mns, { method: 'PUT', path: resource, headers: signMns(world, 'PUT', resource, body), body: Buffer.from(body) });
  if (res.status >= 300 && res.status !== 409) throw new Error(`CreateQueue answered ${res.status}: ${res.body.toString()}`);
}

interface PlannedCase {
  target: string;
  variant: string;
  base: string;
  request: { method: string; path: string; headers: Record<string, string>; body?: Buffer };
  shape: Shape;
  mustRefuse: boolean;
  watch: string[];
}

function planCase(rng: Random, world: FuzzWorld, templates: ReturnType<typeof routeTemplates>, targets: string[]): PlannedCase {
  if (rng.chance(0.35)) return emulatorCase(rng, world.emulators) satisfies EmulatorCase;
  const target = rng.pick(targets);
  const c = httpCase(rng, target, templates[target]!, world.routes);
  return { target: c.target, variant: c.variant, base: world.gateway, request: c, shape: target.includes('/_local/') ? 'console' : 'api', mustRefuse: c.mustRefuse, watch: c.watch };
}

/**
 * Each route's request unbroken, with its status: a sweep means something only if these are accepted (2xx), or 404
 * where the template names on purpose something that does not exist (an image, an order, a timer).
 */
export async function baseline(world: FuzzWorld): Promise<Record<string, number>> {
  const templates = routeTemplates(world.routes);
  const statuses: Record<string, number> = {};
  for (const [target, template] of Object.entries(templates)) {
    const c = httpCase(new Random(1), target, template, world.routes, true);
    statuses[target] = (await send(world.gateway, c)).status;
  }
  return statuses;
}

/** Runs `cases` cases for each seed; `onCase` sees each as it is judged (the CLI prints progress). */
export async function sweep(world: FuzzWorld, seeds: number[], cases: number, onCase?: (finding: Finding | undefined, target: string) => void): Promise<SweepSummary> {
  const t0 = Date.now();
  const readers: StateReaders = { gateway: world.gateway, adminToken: world.routes.adminToken, emulators: world.emulators };
  const summary: SweepSummary = { cases: 0, byTarget: {}, findings: [], ms: 0 };
  for (const seed of seeds) {
    const rng = new Random(seed);
    // Templates are made per seed: they carry the time (ingest and webhook timestamps must be recent).
    const templates = routeTemplates(world.routes);
    const targets = Object.keys(templates);
    for (let index = 0; index < cases; index++) {
      const c = planCase(rng, world, templates, targets);
      const before = await readState(c.watch, readers);
      const answer = await send(c.base, c.request);
      const problems = judge(answer, c.shape, c.mustRefuse);
      if (answer.status >= 400 || answer.failure) {
        const after = await readState(c.watch, readers);
        const diff = changed(before, after);
        if (diff.length > 0) problems.push(`state changed by a refused request: ${diff.join(', ')}`);
      }
      const tally = (summary.byTarget[c.target] ??= { cases: 0, refused: 0, accepted: 0 });
      tally.cases++;
      if (answer.status >= 400) tally.refused++;
      else if (answer.status >= 200 && answer.status < 300) tally.accepted++;
      summary.cases++;
      let finding: Finding | undefined;
      if (problems.length > 0) {
        finding = {
          seed,
          index,
          target: c.target,
          variant: c.variant,
          request: `${c.request.method} ${c.request.path.slice(0, 200)}${c.request.body ? ` (${c.request.body.length} bytes: ${c.request.body.toString('utf8').slice(0, 120)})` : ''}`,
          status: answer.status,
          problems,
          body: answer.body.toString('utf8').slice(0, 300),
        };
        summary.findings.push(finding);
      }
      onCase?.(finding, c.target);
    }
  }
  // The process must still answer after the whole sweep (nothing crashed or wedged it).
  const health = await send(world.gateway, { method: 'GET', path: '/_local/api/health', headers: {} });
  if (health.status !== 200) summary.findings.push({ seed: -1, index: -1, target: 'local cloud', variant: 'health after the sweep', request: 'GET /_local/api/health', status: health.status, problems: [health.failure ?? `answered ${health.status}`], body: health.body.toString().slice(0, 300) });
  summary.ms = Date.now() - t0;
  return summary;
}
