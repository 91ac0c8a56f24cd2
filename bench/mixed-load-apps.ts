/**
 * The users of `mixed-load.bench.ts`, each as a browser tab, a device or a script would behave, all against one
 * local cloud at the same time: shoppers checking out with the sandbox's four cards and long-polling their
 * orders, IoT devices posting signed batches, photographers uploading (ticket + signed PUT) and searching, and a
 * console tab polling `/_local/api/*`. (Product pages run under autocannon in a process of their own.)
 * Every answer is counted by app and status (`Tally`); a network error counts by its code, a request with no
 * answer within its bound as `timeout`. What each user's writes became is kept so the bench can check it landed.
 */
import { thumbnailKey, type ImageView, type UploadTicket } from '../functions/_shared/contracts/images';
import type { DeviceCredentials } from '../functions/_shared/contracts/iot';
import { isTerminal, type OrderView, type SandboxScenario } from '../functions/_shared/contracts/orders';
import { DEVICE_HEADERS, signDeviceRequest } from '../functions/_shared/iot/signature';
import { orderRequest } from '../test/helpers/order-world';
import { jpegCopy } from './image-pipeline-shared';

export type App = 'pages' | 'orders' | 'iot' | 'images' | 'console';

/** Answers by app, then by status (or network error code). */
export class Tally {
  readonly byApp: Record<string, Record<string, number>> = {};
  /** The first few answers that were 5xx or errors, with their bodies: what to find the cause of. */
  readonly bad: string[] = [];

  count(app: App, key: string, what?: string): void {
    const row = (this.byApp[app] ??= {});
    row[key] = (row[key] ?? 0) + 1;
    if (what !== undefined && this.bad.length < 40) this.bad.push(`${app} ${key} ${what}`);
  }

  merge(app: App, statuses: Record<string, number>): void {
    for (const [key, n] of Object.entries(statuses)) {
      const row = (this.byApp[app] ??= {});
      row[key] = (row[key] ?? 0) + n;
    }
  }
}

const REQUEST_TIMEOUT_MS = 60_000;
/** A long poll waits up to 25 s server-side (order-api); a little more before calling it lost. */
const LONG_POLL_TIMEOUT_MS = 40_000;

export interface Answer {
  status: number;
  text: string;
}

/**
 * One request counted in `tally` under `app`; undefined when it got no answer (error or timeout, counted too).
 * A 5xx is counted with its body among `tally.bad`.
 */
export async function send(tally: Tally, app: App, url: string, init: RequestInit = {}, timeoutMs = REQUEST_TIMEOUT_MS): Promise<Answer | undefined> {
  const method = init.method ?? 'GET';
  try {
    const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
    const text = await res.text();
    tally.count(app, String(res.status), res.status >= 500 ? `${method} ${new URL(url).pathname}: ${text.slice(0, 300)}` : undefined);
    return { status: res.status, text };
  } catch (err) {
    const name = (err as Error).name;
    const code = name === 'TimeoutError' ? 'timeout' : ((err as { cause?: { code?: string } }).cause?.code ?? name);
    tally.count(app, code, `${method} ${new URL(url).pathname}: ${(err as Error).message}`);
    return undefined;
  }
}

const json = (token: string | undefined, body: unknown, headers: Record<string, string> = {}): RequestInit => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  body: JSON.stringify(body),
});

export async function signIn(url: string, username: string, password: string): Promise<string> {
  const res = await fetch(`${url}/api/auth/token`, json(undefined, { username, password }));
  if (res.status !== 200) throw new Error(`sign-in of ${username} answered ${res.status}`);
  return ((await res.json()) as { token: string }).token;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** What the load runs until, and whether the watchers (long polls, image waits) should give up. */
export interface Clock {
  /** No new work once this is past. */
  loadEndsAt: number;
  /** Watchers stop here: what is not final by then is stuck. */
  watchEndsAt: number;
}

// ---------------------------------------------------------------- orders

/** The four sandbox cards in turn; `noCallback` holds its order at PAYMENT_PENDING until payment-callback times out. */
const CARDS: SandboxScenario[] = ['success', 'decline', 'transient', 'success', 'noCallback', 'success', 'decline', 'transient'];
const ORDERED = ['p-glide-mouse', 'p-harbor-mug', 'p-ember-lamp', 'p-breeze-fan'];

export interface PlacedOrder {
  orderId: string;
  card: SandboxScenario;
  /** The last view the shopper's page saw. */
  last?: OrderView;
}

/**
 * One shopper: place an order (a unique Idempotency-Key), then watch it as the order page does — one GET, then
 * `?waitFor=<version>` until it ends — and place the next. Watching goes on after the load until `watchEndsAt`.
 */
export async function shopper(url: string, token: string, tally: Tally, clock: Clock, index: number, placed: PlacedOrder[]): Promise<void> {
  const auth = { authorization: `Bearer ${token}` };
  for (let n = 0; Date.now() < clock.loadEndsAt; n++) {
    const card = CARDS[(index + n) % CARDS.length]!;
    const item = ORDERED[(index + n) % ORDERED.length]!;
    const key = `mixed-${process.pid}-${index}-${n}-${Date.now().toString(36)}`;
    const created = await send(tally, 'orders', `${url}/api/orders`, json(token, orderRequest(card, [{ productId: item, qty: 1 }]), { 'idempotency-key': key }));
    if (created?.status !== 202) {
      await sleep(200);
      continue;
    }
    const order: PlacedOrder = { orderId: (JSON.parse(created.text) as { orderId: string }).orderId, card };
    placed.push(order);
    let failures = 0;
    while (Date.now() < clock.watchEndsAt && !(order.last && isTerminal(order.last.status))) {
      const query = order.last ? `?waitFor=${order.last.version}` : '';
      const got = await send(tally, 'orders', `${url}/api/orders/${order.orderId}${query}`, { headers: auth }, LONG_POLL_TIMEOUT_MS);
      if (got?.status === 200) {
        order.last = JSON.parse(got.text) as OrderView;
        failures = 0;
      } else {
        // The website backs off after a failed poll.
        await sleep(Math.min(5000, 250 * 2 ** ++failures));
      }
    }
  }
}

// ---------------------------------------------------------------- IoT

export const IOT_METRIC = 'temperature';

export async function registerDevices(url: string, adminToken: string, count: number, tag: string): Promise<Pick<DeviceCredentials, 'deviceId' | 'secret'>[]> {
  const devices: Pick<DeviceCredentials, 'deviceId' | 'secret'>[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${url}/api/iot/devices`, json(adminToken, { name: `mixed ${tag} ${i}`, type: 'env-sensor' }));
    if (res.status !== 201) throw new Error(`device registration answered ${res.status}: ${await res.text()}`);
    const device = (await res.json()) as DeviceCredentials;
    devices.push({ deviceId: device.deviceId, secret: device.secret });
  }
  return devices;
}

/**
 * One device: every `periodMs` a signed batch of `batch` readings, each a millisecond after the last one it sent
 * (starting a minute in the past, so never in the future); when behind, the next batch goes at once. The
 * timestamps of every reading answered 202 (and not rejected) go to `accepted`.
 */
export async function device(url: string, credentials: Pick<DeviceCredentials, 'deviceId' | 'secret'>, tally: Tally, clock: Clock, batch: number, periodMs: number, accepted: number[]): Promise<void> {
  let lastTs = Date.now() - 60_000;
  for (let next = Date.now(); Date.now() < clock.loadEndsAt; next += periodMs) {
    if (next > Date.now()) await sleep(next - Date.now());
    const ts = Array.from({ length: batch }, (_, i) => lastTs + 1 + i);
    lastTs += batch;
    const body = JSON.stringify({ readings: ts.map((t) => ({ ts: t, metric: IOT_METRIC, value: 20 + (t % 10) })) });
    const timestamp = String(Date.now());
    const headers = { 'content-type': 'application/json', [DEVICE_HEADERS.deviceId]: credentials.deviceId, [DEVICE_HEADERS.timestamp]: timestamp, [DEVICE_HEADERS.signature]: signDeviceRequest(credentials.secret, timestamp, body) };
    const got = await send(tally, 'iot', `${url}/api/iot/events`, { method: 'POST', headers, body });
    if (got?.status === 202) {
      const answer = JSON.parse(got.text) as { accepted: number; rejected: { ts: number }[] };
      const refused = new Set(answer.rejected.map((r) => r.ts));
      accepted.push(...ts.filter((t) => !refused.has(t)));
    }
  }
}

// ---------------------------------------------------------------- images

export interface Uploaded {
  imageId: string;
  word: string;
  status?: string;
  searchable: boolean;
}

/**
 * One photographer: a ticket (`POST /api/uploads`), the bytes PUT to the signed URL (a distinct copy of one photo
 * each time), then the photo page's wait — `GET /api/images/<id>` until ready — and a search for the photo's
 * unique word until it is found; then the next photo.
 */
export async function photographer(url: string, token: string, photo: Buffer, tally: Tally, clock: Clock, index: number, uploads: Uploaded[]): Promise<void> {
  for (let n = 0; Date.now() < clock.loadEndsAt; n++) {
    const word = `mixed${process.pid}x${index}x${n}`;
    const bytes = jpegCopy(photo, word);
    const ticketAnswer = await send(tally, 'images', `${url}/api/uploads`, json(token, { filename: `${word}.jpg`, contentType: 'image/jpeg', size: bytes.length, title: `${word} harbour` }));
    if (ticketAnswer?.status !== 201) {
      await sleep(200);
      continue;
    }
    const ticket = JSON.parse(ticketAnswer.text) as UploadTicket;
    const put = await send(tally, 'images', ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(bytes) });
    if (put?.status !== 200) continue;
    const upload: Uploaded = { imageId: ticket.imageId, word, searchable: false };
    uploads.push(upload);
    while (Date.now() < clock.watchEndsAt && upload.status !== 'ready') {
      await sleep(300);
      const got = await send(tally, 'images', `${url}/api/images/${ticket.imageId}`);
      if (got?.status === 200) upload.status = (JSON.parse(got.text) as ImageView).status;
    }
    while (Date.now() < clock.watchEndsAt && !upload.searchable) {
      const got = await send(tally, 'images', `${url}/api/search?q=${word}`);
      if (got?.status === 200) upload.searchable = (JSON.parse(got.text) as { hits: { imageId: string }[] }).hits.some((h) => h.imageId === ticket.imageId);
      if (!upload.searchable) await sleep(300);
    }
  }
}

/** The gallery's other readers: the newest photos and a word search, as fast as they answer. */
export async function browser(url: string, tally: Tally, clock: Clock): Promise<void> {
  while (Date.now() < clock.loadEndsAt) {
    await send(tally, 'images', `${url}/api/search?limit=20`);
    await send(tally, 'images', `${url}/api/search?q=harbour&limit=20`);
  }
}

/** Where a ready image's small thumbnail lives (the bench checks it exists in OSS). */
export const smallThumbnail = (imageId: string) => thumbnailKey(imageId, 'small');

// ---------------------------------------------------------------- console

/** What the console's pages poll, about once a second each while open. */
export const CONSOLE_POLLS = [
  '/_local/api/functions',
  '/_local/api/invocations?limit=20',
  '/_local/api/async?limit=20',
  '/_local/api/queues',
  '/_local/api/flows',
  '/_local/api/executions?limit=20',
  '/_local/api/mns/triggers',
  '/_local/api/streams',
  '/_local/api/timers',
  '/_local/api/tables',
  '/_local/api/buckets',
];

export async function consoleTab(url: string, tally: Tally, clock: Clock): Promise<void> {
  while (Date.now() < clock.loadEndsAt) {
    const started = Date.now();
    await Promise.all(CONSOLE_POLLS.map((path) => send(tally, 'console', `${url}${path}`)));
    await sleep(Math.max(0, 1000 - (Date.now() - started)));
  }
}
