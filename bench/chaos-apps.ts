/**
 * The flows `chaos.ts` crashes, one per app, each with its kill points (D146). A scenario drives its app through the
 * public API as a user or device would, waits for its chosen moment, has the whole local cloud SIGKILLed and
 * started again (`crash()`), carries on as the client would (a request the crash cut off is sent again), and then
 * checks the end state against what was acknowledged. It answers the violations it found (empty: the flow kept the
 * "loses nothing, does nothing twice" rule through that crash).
 */
import { NOTIFIED_EVENTS, isTerminal, type OrderView, type SandboxScenario } from '../functions/_shared/contracts/orders';
import { TABLES } from '../functions/_shared/contracts/tables';
import type { UploadTicket } from '../functions/_shared/contracts/images';
import type { RawPoint } from '../functions/_shared/contracts/iot';
import { readRollups } from '../functions/_shared/iot/rows';
import { INF_MAX, INF_MIN, type Table } from '../functions/_shared/ports/table';
import { IotClient, postReadings } from '../test/helpers/iot-http';
import { orderRequest } from '../test/helpers/order-world';
import { localCloudTable } from '../test/helpers/tablestore';
import { jpegCopy } from './image-pipeline-shared';

export const PREFIX = 'fcsuite-dev';
const FLOW = `${PREFIX}-order-saga`;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What a scenario gets from the runner. */
export interface ChaosContext {
  url(): string;
  /** 0 ≤ x < 1, from the run's seed. */
  random(): number;
  /** SIGKILL the whole local cloud, then `npm start` again on the same data folder; resolves once it answers. */
  crash(): Promise<void>;
  /** Unique per round, for ids and words. */
  tag: string;
  photo: Buffer;
  note(line: string): void;
}

export interface KillPoint {
  app: 'images' | 'iot' | 'orders';
  name: string;
  /** When the kill comes, in words (the summary and D146 list them). */
  moment: string;
  run(ctx: ChaosContext): Promise<string[]>;
  /** Dead-letter queues this round fills on purpose (a consumer made to fail). */
  deadLetters?: string[];
  /**
   * A crash point (`LOCAL_CRASH_AT`, scripts/local/crash-point.ts): the round starts the cloud with it, and `crash()`
   * waits for the cloud to kill itself there instead of killing it from outside.
   */
  crashAt?: string;
}

// ---------------------------------------------------------------- shared

async function signIn(url: string, username: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(`${url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: `${username}-demo` }) }).catch(() => undefined);
    if (res?.status === 200) return ((await res.json()) as { token: string }).token;
    if (attempt > 20) throw new Error(`sign-in as ${username} answered ${res?.status ?? 'nothing'}`);
    await sleep(250);
  }
}

async function getJson<T>(url: string, init?: RequestInit): Promise<T | undefined> {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) }).catch(() => undefined);
  if (!res || res.status !== 200) return undefined;
  return (await res.json()) as T;
}

/** Polls `probe` every `everyMs` until it answers something other than undefined, or `ms` pass (undefined then). */
async function waitFor<T>(probe: () => Promise<T | undefined>, ms: number, everyMs = 25): Promise<T | undefined> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    await sleep(everyMs);
  }
  return undefined;
}

/** A kill a random few milliseconds after the moment came: the moment's neighbourhood, not one instant. */
async function crashSoon(ctx: ChaosContext, maxJitterMs: number): Promise<void> {
  const jitter = Math.floor(ctx.random() * maxJitterMs);
  if (jitter > 0) await sleep(jitter);
  ctx.note(`killed ${jitter} ms after the moment`);
  await ctx.crash();
}

/** Async events of `fn` (resource name) whose payload mentions `needle`, from the console. */
async function asyncEventsOf(url: string, fn: string, needle: string): Promise<{ status: string; attempts: number }[]> {
  const rows = (await getJson<{ function_name: string; status: string; attempts: number; payload: string }[]>(`${url}/_local/api/async?limit=500`)) ?? [];
  return rows.filter((r) => r.function_name === `${PREFIX}-${fn}` && r.payload.includes(needle));
}

/** Whether `text`, or base64 inside it (decoded up to three layers deep), contains `needle`. */
export function mentions(text: string, needle: string, depth = 0): boolean {
  if (text.includes(needle)) return true;
  if (depth >= 3) return false;
  for (const chunk of text.match(/[A-Za-z0-9+/]{16,}={0,2}/g) ?? []) {
    if (mentions(Buffer.from(chunk, 'base64').toString('utf8'), needle, depth + 1)) return true;
  }
  return false;
}

// ---------------------------------------------------------------- images

interface Upload {
  imageId: string;
  word: string;
}

async function uploadPhoto(url: () => string, token: string, photo: Buffer, word: string): Promise<Upload | undefined> {
  const sent = await sendPhoto(url, token, photo, word);
  return sent.acknowledged ? sent : undefined;
}

/** A ticket and the PUT to it; `acknowledged`: OSS answered 200 (a PUT a crash cut off is not). */
async function sendPhoto(url: () => string, token: string, photo: Buffer, word: string): Promise<Upload & { acknowledged: boolean }> {
  const bytes = jpegCopy(photo, word);
  // The Photos page asks for its ticket again until it has one (a crash may be in the way).
  const ticketRes = await waitFor(async () => {
    const res = await fetch(`${url()}/api/uploads`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ filename: `${word}.jpg`, contentType: 'image/jpeg', size: bytes.length, title: `${word} harbour` }) });
    return res.status === 201 ? res : undefined;
  }, 30_000, 100);
  if (!ticketRes) throw new Error('POST /api/uploads gave no ticket in 30 s');
  const ticket = (await ticketRes.json()) as UploadTicket;
  // Acknowledged = OSS answered 200 to the PUT. A PUT the crash cut off is not acknowledged and owes nothing.
  const put = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes) }).catch(() => undefined);
  return { imageId: ticket.imageId, word, acknowledged: put?.status === 200 };
}

/** Every acknowledged upload: ready, both thumbnails served, found by its word exactly once. */
async function checkUploads(url: string, uploads: Upload[]): Promise<string[]> {
  const problems: string[] = [];
  for (const u of uploads) {
    const ready = await waitFor(async () => ((await getJson<{ status: string }>(`${url}/api/images/${u.imageId}`))?.status === 'ready' ? true : undefined), 90_000, 250);
    if (!ready) {
      const view = await getJson<{ status: string }>(`${url}/api/images/${u.imageId}`);
      problems.push(`image ${u.imageId} not ready (status ${view?.status ?? 'none'})`);
      continue;
    }
    for (const size of [256, 1024]) {
      const res = await fetch(`${url}/api/images/${u.imageId}/thumbnail/${size}`);
      if (res.status !== 200) problems.push(`image ${u.imageId}: thumbnail ${size} answered ${res.status}`);
      else await res.arrayBuffer();
    }
    const hits = await waitFor(async () => {
      const found = await getJson<{ hits: { imageId: string }[] }>(`${url}/api/search?q=${u.word}&limit=50`);
      const n = found?.hits.filter((h) => h.imageId === u.imageId).length ?? 0;
      return n > 0 ? n : undefined;
    }, 30_000, 250);
    if (hits !== 1) problems.push(`image ${u.imageId}: found ${hits ?? 0} times by its word`);
  }
  return problems;
}

function imagesPoint(name: string, moment: string, waitForMoment: (ctx: ChaosContext, token: string, first: Upload) => Promise<void>, crashAt?: string): KillPoint {
  return {
    app: 'images',
    name,
    moment,
    ...(crashAt ? { crashAt } : {}),
    async run(ctx) {
      const token = await signIn(ctx.url(), 'alice');
      const uploads: Upload[] = [];
      // Three photos a moment apart: the kill finds them at different hops.
      const first = await uploadPhoto(ctx.url, token, ctx.photo, `chaos${ctx.tag}a`);
      if (!first) return ['the first upload was not acknowledged before any kill'];
      uploads.push(first);
      const others = Promise.all(['b', 'c'].map(async (suffix, i) => {
        await sleep(40 * (i + 1));
        const u = await uploadPhoto(ctx.url, token, ctx.photo, `chaos${ctx.tag}${suffix}`).catch(() => undefined);
        if (u) uploads.push(u);
      }));
      await waitForMoment(ctx, token, first);
      await others;
      ctx.note(`${uploads.length} uploads acknowledged`);
      // After the restart, one more: the pipeline works for new uploads too.
      const after = await uploadPhoto(ctx.url, await signIn(ctx.url(), 'alice'), ctx.photo, `chaos${ctx.tag}d`);
      if (!after) return ['an upload after the restart was not acknowledged'];
      uploads.push(after);
      return checkUploads(ctx.url(), uploads);
    },
  };
}

export const IMAGE_POINTS: KillPoint[] = [
  imagesPoint('upload-acked', 'right after OSS acknowledged the first PUT (0–20 ms)', (ctx) => crashSoon(ctx, 20)),
  imagesPoint('thumbnail-running', 'while make-thumbnail runs for the first upload', async (ctx, _token, first) => {
    await waitFor(async () => ((await asyncEventsOf(ctx.url(), 'make-thumbnail', first.imageId)).some((e) => e.status === 'running') ? true : undefined), 20_000, 5);
    await crashSoon(ctx, 60);
  }),
  imagesPoint('stream-indexing', 'when the first image turned ready, as the images stream triggers index-image (0–30 ms)', async (ctx, _token, first) => {
    await waitFor(async () => ((await getJson<{ status: string }>(`${ctx.url()}/api/images/${first.imageId}`))?.status === 'ready' ? true : undefined), 30_000, 5);
    await crashSoon(ctx, 30);
  }),
];

// ---------------------------------------------------------------- IoT

const MINUTE = 60_000;
const METRIC = 'temperature';
const PER_MINUTE = 30;
const MINUTES = 3;

/**
 * Readings for three complete minutes a few minutes ago (so the rollup covers them at once), 30 a minute, in
 * batches of 15; the middle minute holds one reading above the temperature threshold (one alert episode).
 */
function iotBatches(now: number): { ts: number; metric: string; value: number }[][] {
  const first = Math.floor(now / MINUTE) * MINUTE - (MINUTES + 2) * MINUTE;
  const readings = [];
  for (let m = 0; m < MINUTES; m++) {
    for (let i = 0; i < PER_MINUTE; i++) readings.push({ ts: first + m * MINUTE + i * 1000, metric: METRIC, value: m === 1 && i === 7 ? 45 : 20 + (i % 5) });
  }
  const batches = [];
  for (let i = 0; i < readings.length; i += 15) batches.push(readings.slice(i, i + 15));
  return batches;
}

async function checkIot(ctx: ChaosContext, deviceId: string, accepted: number[], first: number): Promise<string[]> {
  const problems: string[] = [];
  const checkStarted = Date.now();
  const took = () => `${((Date.now() - checkStarted) / 1000).toFixed(1)} s`;
  const api = await IotClient.signIn(ctx.url());
  const expected = new Set(accepted);
  const from = first;
  const to = first + MINUTES * MINUTE;
  const stored = await waitFor(async () => {
    const points = (await api.series(deviceId, { metric: METRIC, from, to, step: 'raw' })).points as RawPoint[];
    return points.length >= expected.size ? points : undefined;
  }, 90_000, 250);
  const points = stored ?? ((await api.series(deviceId, { metric: METRIC, from, to, step: 'raw' })).points as RawPoint[]);
  ctx.note(`readings stored after ${took()}`);
  const seen = new Map<number, number>();
  for (const p of points) seen.set(p.ts, (seen.get(p.ts) ?? 0) + 1);
  const missing = [...expected].filter((t) => !seen.has(t));
  const twice = [...seen].filter(([, n]) => n > 1);
  const unasked = [...seen.keys()].filter((t) => !expected.has(t));
  if (missing.length) problems.push(`${missing.length} accepted readings missing`);
  if (twice.length) problems.push(`${twice.length} readings stored twice`);
  if (unasked.length) problems.push(`${unasked.length} readings stored that no 202 accepted`);

  // Rollups: each minute's count is the raw count, the hour's the sum of its minutes. The rollup runs every minute;
  // the harness asks for a run now and then rather than waiting a whole minute.
  const table = await localCloudTable(ctx.url());
  const rawPerMinute = new Map<number, number>();
  for (const p of points) rawPerMinute.set(Math.floor(p.ts / MINUTE) * MINUTE, (rawPerMinute.get(Math.floor(p.ts / MINUTE) * MINUTE) ?? 0) + 1);
  let lastRun = 0;
  const consistent = await waitFor(async () => {
    if (Date.now() - lastRun > 10_000) {
      lastRun = Date.now();
      await fetch(`${ctx.url()}/_local/api/timers/${PREFIX}-iot-rollup/run`, { method: 'POST' });
    }
    const minutes = await readRollups(table, deviceId, METRIC, '1m', from, to);
    const ok = [...rawPerMinute].every(([ts, n]) => minutes.find((r) => r.ts === ts)?.count === n) && minutes.length === rawPerMinute.size;
    return ok ? minutes : undefined;
  }, 90_000, 500);
  ctx.note(`rollups checked after ${took()}`);
  if (!consistent) {
    const minutes = await readRollups(table, deviceId, METRIC, '1m', from, to);
    problems.push(`1-minute rollups ${JSON.stringify(minutes.map((r) => [r.ts, r.count]))} vs raw ${JSON.stringify([...rawPerMinute])}`);
  } else {
    const hourStart = Math.floor(from / (60 * MINUTE)) * 60 * MINUTE;
    const hours = await readRollups(table, deviceId, METRIC, '1h', hourStart, to);
    for (const hour of hours) {
      const inHour = await readRollups(table, deviceId, METRIC, '1m', hour.ts, hour.ts + 60 * MINUTE);
      const sum = inHour.reduce((n, r) => n + r.count, 0);
      if (sum !== hour.count) problems.push(`hour ${new Date(hour.ts).toISOString()}: count ${hour.count}, its minutes ${sum}`);
    }
  }
  // One threshold episode → one alert, however often the rollup ran or was cut off.
  const alerts = await waitFor(async () => {
    const list = await api.alerts({ deviceId });
    return list.length > 0 ? list : undefined;
  }, 30_000, 500);
  ctx.note(`alerts read after ${took()}`);
  const ids = (alerts ?? []).map((a) => a.alertId);
  if (ids.length !== 1) problems.push(`${ids.length} alerts for one episode: ${ids.join(', ')}`);
  const inTable = await table.getRange(TABLES.alertsByDevice.name, { start: { deviceId, alertId: INF_MIN }, end: { deviceId, alertId: INF_MAX } });
  if (inTable.rows.length !== ids.length) problems.push(`alerts_by_device has ${inTable.rows.length} rows, the API ${ids.length}`);
  return problems;
}

function iotPoint(name: string, moment: string, killAt: (ctx: ChaosContext, state: { batchesAnswered: number; deviceId: string }) => Promise<boolean>, crashAt?: string): KillPoint {
  return {
    app: 'iot',
    name,
    moment,
    ...(crashAt ? { crashAt } : {}),
    async run(ctx) {
      const admin = await IotClient.signIn(ctx.url());
      const device = await admin.register(`chaos ${ctx.tag}`, 'env-sensor');
      const batches = iotBatches(Date.now());
      const first = batches[0]![0]!.ts;
      const accepted: number[] = [];
      const state = { batchesAnswered: 0, deviceId: device.deviceId };
      let crashed = false;
      for (const batch of batches) {
        // A device sends a request again (newly signed) until it is answered: a crash in between is its problem only.
        for (;;) {
          const res = await postReadings(ctx.url(), device, { readings: batch }).catch(() => undefined);
          if (res?.status === 202) {
            const refused = new Set((res.body.rejected as { index: number }[]).map((r) => r.index));
            accepted.push(...batch.filter((_, i) => !refused.has(i)).map((r) => r.ts));
            break;
          }
          await sleep(200);
        }
        state.batchesAnswered++;
        if (!crashed) crashed = await killAt(ctx, state);
      }
      if (!crashed) crashed = await killAt(ctx, { ...state, batchesAnswered: Infinity });
      if (!crashed) ctx.note('the moment never came: no kill');
      return checkIot(ctx, device.deviceId, accepted, first);
    },
  };
}

export const IOT_POINTS: KillPoint[] = [
  iotPoint('ingest-202', 'right after iot-ingest answered 202 to the third batch (0–10 ms)', async (ctx, s) => {
    if (s.batchesAnswered !== 3) return false;
    await crashSoon(ctx, 10);
    return true;
  }),
  iotPoint('etl-batch', 'while the ETL trigger holds received readings messages (mid-batch)', async (ctx, s) => {
    if (s.batchesAnswered < 4) return false;
    const held = await waitFor(async () => ((await getJson<{ inactiveMessages: number }>(`${ctx.url()}/_local/api/queues/${PREFIX}-iot-readings`))?.inactiveMessages ?? 0) > 0 || undefined, 5_000, 2);
    if (!held) ctx.note('no message held by the ETL seen; killed anyway');
    await crashSoon(ctx, 15);
    return true;
  }),
  iotPoint('rollup-minute', 'while iot-rollup recomputes the minutes (a run asked for once every reading was stored)', async (ctx, s) => {
    if (s.batchesAnswered !== Infinity) return false;
    // Every reading in telemetry first (the rollup then has whole minutes to write), then a run, and the kill in it.
    await waitFor(async () => {
      const queue = await getJson<{ activeMessages: number; inactiveMessages: number }>(`${ctx.url()}/_local/api/queues/${PREFIX}-iot-readings`);
      return queue && queue.activeMessages + queue.inactiveMessages === 0 ? true : undefined;
    }, 20_000, 50);
    await fetch(`${ctx.url()}/_local/api/timers/${PREFIX}-iot-rollup/run`, { method: 'POST' });
    await waitFor(async () => ((await getJson<{ resource: string; busy: number }[]>(`${ctx.url()}/_local/api/functions`)) ?? []).some((f) => f.resource === 'iot-rollup' && f.busy > 0) || undefined, 10_000, 2);
    await crashSoon(ctx, 80);
    return true;
  }),
];

// ---------------------------------------------------------------- orders

interface Placed {
  orderId: string;
  card: SandboxScenario;
  productId: string;
}

const PRODUCTS = ['p-glide-mouse', 'p-harbor-mug', 'p-ember-lamp'];

async function stockOf(table: Table, productId: string): Promise<{ available: number; holds: string[] }> {
  const rows = (await table.getRange(TABLES.productInventory.name, { start: { productId, warehouse: INF_MIN }, end: { productId, warehouse: INF_MAX } })).rows;
  return { available: rows.reduce((n, r) => n + Number(r.attributes.available), 0), holds: rows.flatMap((r) => Object.keys(r.attributes).filter((k) => k.startsWith('hold_'))) };
}

async function place(ctx: ChaosContext, token: string, card: SandboxScenario, productId: string, key: string): Promise<string> {
  // The shop's client sends the same Idempotency-Key again until it has an answer.
  for (;;) {
    const res = await fetch(`${ctx.url()}/api/orders`, { method: 'POST', body: JSON.stringify(orderRequest(card, [{ productId, qty: 1 }])), headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key } }).catch(() => undefined);
    if (res?.status === 202) return ((await res.json()) as { orderId: string }).orderId;
    await sleep(250);
  }
}

async function history(url: string, orderId: string): Promise<{ stepName?: string; type: string }[]> {
  return (await getJson<{ events: { stepName?: string; type: string }[] }>(`${url}/_local/api/executions/${FLOW}/order-${orderId}`))?.events ?? [];
}

async function checkOrders(ctx: ChaosContext, placed: Placed[], stockBefore: Map<string, number>, failingNotifications: boolean): Promise<string[]> {
  const problems: string[] = [];
  const url = ctx.url();
  const token = await signIn(url, 'alice');
  const views = new Map<string, OrderView>();
  for (const o of placed) {
    const view = await waitFor(async () => {
      const v = await getJson<OrderView>(`${url}/api/orders/${o.orderId}`, { headers: { authorization: `Bearer ${token}` } });
      return v && isTerminal(v.status) ? v : undefined;
    }, 120_000, 300);
    if (!view) {
      const v = await getJson<OrderView>(`${url}/api/orders/${o.orderId}`, { headers: { authorization: `Bearer ${token}` } });
      problems.push(`order ${o.orderId} (${o.card}) stuck at ${v?.status ?? 'no view'}`);
      continue;
    }
    views.set(o.orderId, view);
    const outOfStock = view.failure?.reason === 'out_of_stock';
    const want = o.card === 'decline' ? 'FAILED' : 'SUCCEEDED';
    if (view.status !== want && !outOfStock) problems.push(`order ${o.orderId} (${o.card}) ended ${view.status} ${view.failure?.reason ?? ''}`);
    const counts = new Map<string, number>();
    for (const t of view.timeline) counts.set(t.event, (counts.get(t.event) ?? 0) + 1);
    const twice = [...counts].filter(([event, n]) => n > 1 && event !== 'PaymentAttemptFailed');
    if (twice.length) problems.push(`order ${o.orderId}: events twice ${JSON.stringify(twice)}`);
    const ended = await waitFor(async () => {
      const execution = await getJson<{ status: string }>(`${url}/_local/api/executions/${FLOW}/order-${o.orderId}`);
      return execution && execution.status !== 'Running' ? execution.status : undefined;
    }, 30_000, 250);
    if (!ended) problems.push(`order ${o.orderId}: its execution is still Running`);
  }

  const table = await localCloudTable(url);
  // The provider: one charge per order that got as far as paying; money kept only by orders that succeeded.
  const charges = (await table.getRange(TABLES.paymentSandbox.name, { start: { id: 'ch_' }, end: { id: 'ch`' } })).rows.map((r) => ({ status: String(r.attributes.status), orderId: (JSON.parse(String(r.attributes.metadata)) as { orderId?: string }).orderId }));
  for (const [orderId, view] of views) {
    const mine = charges.filter((c) => c.orderId === orderId);
    const paidFor = view.timeline.some((t) => t.event === 'PaymentRequested');
    if (mine.length !== (paidFor ? 1 : 0)) problems.push(`order ${orderId}: ${mine.length} charges at the provider`);
    const kept = mine.filter((c) => c.status === 'succeeded').length;
    if (view.status === 'SUCCEEDED' && kept !== 1) problems.push(`order ${orderId} SUCCEEDED with charges ${JSON.stringify(mine.map((c) => c.status))}`);
    if (view.status === 'FAILED' && kept !== 0) problems.push(`order ${orderId} FAILED but its money was kept (${JSON.stringify(mine.map((c) => c.status))})`);
  }
  // Stock: taken once per succeeded order, returned for the others, no hold left.
  for (const productId of new Set(placed.map((o) => o.productId))) {
    const now = await stockOf(table, productId);
    const sold = placed.filter((o) => o.productId === productId && views.get(o.orderId)?.status === 'SUCCEEDED').length;
    if (now.available !== stockBefore.get(productId)! - sold) problems.push(`${productId}: available ${now.available}, expected ${stockBefore.get(productId)! - sold} (${sold} sold)`);
    const ours = now.holds.filter((h) => placed.some((o) => h === `hold_${o.orderId}`));
    if (ours.length) problems.push(`${productId}: holds left ${ours.join(', ')}`);
  }
  // Notifications: each customer-facing event delivered to the inbox or dead-lettered, exactly once between them.
  const inbox = await waitFor(async () => {
    const rows = (await table.getRange(TABLES.notifications.name, { start: { username: 'alice', notificationId: INF_MIN }, end: { username: 'alice', notificationId: INF_MAX } })).rows;
    const dlq = (await getJson<{ messages: { body: string }[] }>(`${url}/_local/api/queues/${PREFIX}-dlq?limit=100`))?.messages ?? [];
    const wanted = [...views.values()].flatMap((v) => v.timeline.filter((t) => (NOTIFIED_EVENTS as readonly string[]).includes(t.event)).map((t) => ({ orderId: v.orderId, event: t.event })));
    const outcome = wanted.map((w) => {
      const delivered = rows.filter((r) => String(r.attributes.orderId) === w.orderId && String(r.attributes.type) === w.event).length;
      const dead = dlq.filter((m) => mentions(m.body, w.orderId) && mentions(m.body, `"type":"${w.event}"`)).length;
      return { ...w, delivered, dead };
    });
    return outcome.every((o) => o.delivered + o.dead >= 1) ? outcome : undefined;
  }, 60_000, 500);
  if (!inbox) problems.push('some customer-facing events were neither delivered nor dead-lettered');
  else {
    for (const o of inbox) if (o.delivered + o.dead !== 1) problems.push(`order ${o.orderId} ${o.event}: delivered ${o.delivered}, dead-lettered ${o.dead}`);
    const dead = inbox.filter((o) => o.dead > 0).length;
    if (failingNotifications) ctx.note(`notifications: ${inbox.length - dead} delivered, ${dead} dead-lettered`);
  }
  return problems;
}

function ordersPoint(name: string, moment: string, cards: SandboxScenario[], waitForMoment: (ctx: ChaosContext, placed: Placed[]) => Promise<void>, failNotifications = false, crashAt?: string): KillPoint {
  return {
    app: 'orders',
    name,
    moment,
    ...(crashAt ? { crashAt } : {}),
    async run(ctx) {
      const table = await localCloudTable(ctx.url());
      const token = await signIn(ctx.url(), 'alice');
      const products = cards.map((_, i) => PRODUCTS[i % PRODUCTS.length]!);
      const stockBefore = new Map<string, number>();
      for (const p of new Set(products)) stockBefore.set(p, (await stockOf(table, p)).available);
      if (failNotifications) {
        // Every delivery fails until the crash (the fault lives in the process): retries, then the DLQ.
        await fetch(`${ctx.url()}/_local/api/functions/${PREFIX}-send-notification/fault`, { method: 'PUT', body: JSON.stringify({ error: 'chaos: inbox unavailable' }) });
      }
      const placed = await Promise.all(cards.map(async (card, i) => ({ orderId: await place(ctx, token, card, products[i]!, `chaos-${ctx.tag}-${i}`), card, productId: products[i]! })));
      await waitForMoment(ctx, placed);
      // Orders placed after the restart go through too.
      placed.push({ orderId: await place(ctx, await signIn(ctx.url(), 'alice'), 'success', PRODUCTS[0]!, `chaos-${ctx.tag}-after`), card: 'success', productId: PRODUCTS[0]! });
      return checkOrders(ctx, placed, stockBefore, failNotifications);
    },
    ...(failNotifications ? { deadLetters: [`${PREFIX}-dlq`] } : {}),
  };
}

const lastChargeEvent = async (url: string, orderId: string) => (await history(url, orderId)).filter((e) => e.stepName === 'ChargePayment' && e.type.startsWith('Task')).at(-1)?.type;

export const ORDER_POINTS: KillPoint[] = [
  ordersPoint('mid-saga', 'a random 0–1.5 s after the three orders were accepted', ['success', 'decline', 'transient'], async (ctx) => crashSoon(ctx, 1500)),
  ordersPoint('awaiting-callback', 'while ChargePayment waits for the payment webhook (TaskSubmitted)', ['success', 'decline', 'transient'], async (ctx, placed) => {
    await waitFor(async () => ((await lastChargeEvent(ctx.url(), placed[0]!.orderId)) === 'TaskSubmitted' ? true : undefined), 30_000, 10);
    await crashSoon(ctx, 100);
  }),
  ordersPoint('compensation', 'when the declined order recorded PaymentDeclined, as ReleaseInventory runs (0–150 ms)', ['decline', 'decline', 'success'], async (ctx, placed) => {
    await waitFor(async () => ((await history(ctx.url(), placed[0]!.orderId)).some((e) => e.stepName === 'ReleaseInventory') ? true : undefined), 40_000, 5);
    await crashSoon(ctx, 150);
  }),
  ordersPoint(
    'notification-retry',
    'while send-notification fails and its events are retried towards the DLQ (0–6 s after a first failed attempt)',
    ['success', 'decline'],
    async (ctx, placed) => {
      await waitFor(async () => ((await asyncEventsOf(ctx.url(), 'send-notification', placed[0]!.orderId)).some((e) => e.attempts >= 1) ? true : undefined), 30_000, 20);
      await crashSoon(ctx, 6000);
    },
    true,
  ),
];

/**
 * The same flows with the kill at a crash point: between two commits microseconds apart, which a kill from outside
 * finds only by luck. The cloud kills itself there; each point's consumer must then cope with the redelivery.
 */
const atPoint = (point: string) => `at crash point ${point}`;
const crashNow = (ctx: ChaosContext) => ctx.crash();

/**
 * D151: OSS stored an upload's object and the crash came before its event reached FC's queue (the PUT was not
 * answered). The object is there, so its event must not be lost: the ticket's image ends ready like any other.
 */
const UPLOAD_COMMITTED: KillPoint = {
  app: 'images',
  name: 'upload-committed-unnotified',
  moment: atPoint('oss:write-committed@/uploads/'),
  crashAt: 'oss:write-committed@/uploads/',
  async run(ctx) {
    const token = await signIn(ctx.url(), 'alice');
    const cut = await sendPhoto(ctx.url, token, ctx.photo, `chaos${ctx.tag}a`);
    await ctx.crash();
    if (cut.acknowledged) ctx.note('the cut-off PUT was acknowledged before the crash');
    const after = await uploadPhoto(ctx.url, await signIn(ctx.url(), 'alice'), ctx.photo, `chaos${ctx.tag}d`);
    if (!after) return ['an upload after the restart was not acknowledged'];
    return checkUploads(ctx.url(), [cut, after]);
  },
};

export const CRASH_POINT_ROUNDS: KillPoint[] = [
  imagesPoint('thumbnail-done-unrecorded', atPoint('async-invoker:before-status@make-thumbnail'), crashNow, 'async-invoker:before-status@make-thumbnail'),
  imagesPoint('indexed-cursor-unsaved', atPoint('table-stream:before-cursor@index-image'), crashNow, 'table-stream:before-cursor@index-image'),
  iotPoint('etl-stored-undeleted', atPoint('mns-trigger:before-delete@iot-etl'), async (ctx, s) => (s.batchesAnswered === 2 ? (await ctx.crash(), true) : false), 'mns-trigger:before-delete@iot-etl'),
  iotPoint('rollup-done-unrecorded', atPoint('async-invoker:before-status@iot-rollup'), async (ctx, s) => {
    if (s.batchesAnswered !== Infinity) return false;
    await fetch(`${ctx.url()}/_local/api/timers/${PREFIX}-iot-rollup/run`, { method: 'POST' }).catch(() => undefined);
    await ctx.crash();
    return true;
  }, 'async-invoker:before-status@iot-rollup'),
  ordersPoint('notified-cursor-unsaved', atPoint('table-stream:before-cursor@order-notify'), ['success', 'decline'], crashNow, false, 'table-stream:before-cursor@order-notify'),
  ordersPoint('charge-returned-unrecorded', atPoint('flow-task:returned@ChargePayment'), ['success', 'transient'], crashNow, false, 'flow-task:returned@ChargePayment'),
  ordersPoint('release-returned-unrecorded', atPoint('flow-task:returned@ReleaseInventory'), ['decline', 'success'], crashNow, false, 'flow-task:returned@ReleaseInventory'),
  ordersPoint('dead-letter-unsent', atPoint('async-invoker:before-destination@send-notification'), ['success'], crashNow, true, 'async-invoker:before-destination@send-notification'),
  UPLOAD_COMMITTED,
];

export const ALL_POINTS: KillPoint[] = [...IMAGE_POINTS, ...IOT_POINTS, ...ORDER_POINTS, ...CRASH_POINT_ROUNDS];
