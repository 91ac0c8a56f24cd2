import FnF from '@alicloud/fnf-2019-03-15';
import MNS from '@alicloud/mns';
import OSS from 'ali-oss';
import { randomUUID } from 'node:crypto';
import TableStore from 'tablestore';
import { thumbnailKey, type ImageView, type UploadTicket } from '#shared/contracts/images';
import type { DeviceCredentials } from '#shared/contracts/iot';
import { OrderList, OrderView, type CreateOrderResponse } from '#shared/contracts/orders';
import { TABLES } from '#shared/contracts/tables';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import { DEVICE_HEADERS, signDeviceRequest } from '#shared/iot/signature';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { eventually } from './eventually';
import { quadrantJpeg } from './image-fixtures';
import { localCloudTable } from './tablestore';
import { orderRequest } from './order-world';

/**
 * Every public route a user would point a load generator at (issue 12), as request builders and answer checks
 * that the routes bench (`bench/routes-load.bench.ts`, autocannon) and the burst test
 * (`test/integration/routes-burst.test.ts`, fetch) share: what a request is, what a right answer looks like
 * (the body, not only the status), and — for the routes that write — which writes were accepted and whether
 * each one landed. The fixtures (a ready image, devices, a flow, a queue, a table, presigned URLs) are made
 * once per local cloud by `prepareRouteFixtures`, through the same public APIs.
 */
export interface RouteFixtures {
  url: string;
  token: string;
  endpoints: Pick<LocalEndpoints, 'accountId' | 'region' | 'credentials'> & Required<Pick<LocalEndpoints, 'oss' | 'tablestore' | 'mns' | 'fnf'>>;
  bucket: string;
  image: { imageId: string; word: string; originalUrl: string; thumbnailUrl: string; resizeUrl: string; originalBytes: number; thumbnailBytes: number };
  /** Final orders of alice's, for GET and the long poll. */
  orders: { orderId: string; version: number }[];
  devices: Pick<DeviceCredentials, 'deviceId' | 'secret'>[];
  /** Resources of the load's own on the emulators. */
  table: string;
  queue: string;
  flow: string;
}

/** One request of an HTTP route; `note` travels with it to `check`. */
export interface RouteRequest {
  method: 'GET' | 'POST';
  /** Path and query on `origin`. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  note?: unknown;
}

export interface HttpRoute {
  kind: 'http';
  name: string;
  /** Where the requests go: the gateway, or OSS for presigned URLs. */
  origin: string;
  next(): RouteRequest;
  /** undefined when the answer is right, else what is wrong with it. A status the route may answer under load is not wrong. */
  check(status: number, body: string, note: unknown, headers: Record<string, string>): string | undefined;
  /** Only for routes that write: how many accepted writes never became readable. */
  verify?(): Promise<Landing>;
}

/** One SDK call (or a short exchange) of a client straight against an emulator; resolves with what is wrong, if anything. */
export interface SdkRoute {
  kind: 'sdk';
  name: string;
  call(): Promise<string | undefined>;
  verify?(): Promise<Landing>;
}

export type Route = HttpRoute | SdkRoute;

export interface Landing {
  accepted: number;
  lost: number;
  /** The first few lost ones, for the report. */
  examples: string[];
}

/** How long an accepted write may take to land (the order saga pays a sandbox delay; the IoT ETL drains a queue). */
const LANDING_TIMEOUT_MS = 120_000;
const METRIC = 'temperature';
const READINGS_PER_REQUEST = 5;
const ORDERED_PRODUCT = 'p-glide-mouse';

const sdkCredentials = (e: RouteFixtures['endpoints']) => ({ accessKeyId: e.credentials.accessKeyId, accessKeySecret: e.credentials.accessKeySecret });

/** Path-style addressing: Node does not resolve `<bucket>.localhost` (README, "Your own OSS code"). */
export function ossClient(f: Pick<RouteFixtures, 'endpoints' | 'bucket'>): OSS {
  const credentials = { ...sdkCredentials(f.endpoints), stsToken: f.endpoints.credentials.securityToken };
  return new OSS({ ...credentials, refreshSTSToken: () => Promise.resolve(credentials), endpoint: f.endpoints.oss.endpoint, bucket: f.bucket, ...{ sldEnable: true }, region: `oss-${f.endpoints.region}` });
}

export function tableStoreClient(f: Pick<RouteFixtures, 'endpoints'>): TableStore.Client {
  const e = f.endpoints;
  return new TableStore.Client({ endpoint: e.tablestore.endpoint, instancename: e.tablestore.instance ?? '', accessKeyId: e.credentials.accessKeyId, secretAccessKey: e.credentials.accessKeySecret, stsToken: e.credentials.securityToken });
}

export function mnsClient(f: Pick<RouteFixtures, 'endpoints'>): MNS {
  const e = f.endpoints;
  return new MNS(e.accountId, { endpoint: e.mns.endpoint, ...sdkCredentials(e), securityToken: e.credentials.securityToken });
}

export function fnfClient(f: Pick<RouteFixtures, 'endpoints'>): FnF {
  const e = f.endpoints;
  return new FnF({ endpoint: e.fnf.endpoint, ...sdkCredentials(e), securityToken: e.credentials.securityToken });
}

async function call(url: string, path: string, init: RequestInit & { expect?: number } = {}): Promise<unknown> {
  const res = await fetch(`${url}${path}`, init);
  const text = await res.text();
  if (res.status !== (init.expect ?? 200)) throw new Error(`${init.method ?? 'GET'} ${path} answered ${res.status}: ${text.slice(0, 300)}`);
  return text ? JSON.parse(text) : undefined;
}

const jsonPost = (token: string | undefined, body: unknown, headers: Record<string, string> = {}) => ({
  method: 'POST',
  headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
  body: JSON.stringify(body),
});

/** Everything the routes need, made through the public APIs of a running local cloud. */
export async function prepareRouteFixtures(url: string): Promise<RouteFixtures> {
  const tag = randomUUID().slice(0, 8);
  const endpoints = (await call(url, '/_local/api/endpoints')) as RouteFixtures['endpoints'];
  const { token } = (await call(url, '/api/auth/token', jsonPost(undefined, { username: 'alice', password: 'alice-demo' }))) as { token: string };
  const admin = ((await call(url, '/api/auth/token', jsonPost(undefined, { username: 'admin', password: 'admin-demo' }))) as { token: string }).token;
  const bucket = endpoints.oss.buckets[0]!;
  const fixtures: RouteFixtures = { url, token, endpoints, bucket, image: undefined!, orders: [], devices: [], table: `loadrows${tag}`, queue: `load-${tag}`, flow: `load-${tag}` };

  // An image through the whole pipeline, so search finds it and its thumbnails exist.
  const word = `harbour${tag}`;
  const jpeg = await quadrantJpeg(640, 480);
  const ticket = (await call(url, '/api/uploads', { ...jsonPost(token, { filename: 'harbour.jpg', contentType: 'image/jpeg', size: jpeg.length, title: `${word} at dusk` }), expect: 201 })) as UploadTicket;
  const put = await fetch(ticket.uploadUrl, { method: 'PUT', headers: ticket.headers, body: new Uint8Array(jpeg) });
  if (put.status !== 200) throw new Error(`PUT to the signed URL answered ${put.status}`);
  await eventually(async () => {
    const view = (await call(url, `/api/images/${ticket.imageId}`)) as ImageView;
    if (view.status !== 'ready') throw new Error(`image is ${view.status}`);
    const hits = ((await call(url, `/api/search?q=${word}`)) as { hits: { imageId: string }[] }).hits;
    if (!hits.some((h) => h.imageId === ticket.imageId)) throw new Error('not searchable yet');
  }, { timeoutMs: 60_000, intervalMs: 100 });
  const oss = ossClient(fixtures);
  const thumb = thumbnailKey(ticket.imageId, 'small');
  const thumbnailBytes = Number((await oss.head(thumb)).res.headers['content-length' as keyof object]);
  fixtures.image = {
    imageId: ticket.imageId,
    word,
    originalUrl: oss.signatureUrl(ticket.key, { expires: 3600 }),
    thumbnailUrl: oss.signatureUrl(thumb, { expires: 3600 }),
    resizeUrl: oss.signatureUrl(ticket.key, { expires: 3600, process: 'image/resize,w_64' }),
    originalBytes: jpeg.length,
    thumbnailBytes,
  };

  // Two finished orders to read and long-poll.
  for (let i = 0; i < 2; i++) {
    const created = (await call(url, '/api/orders', { ...jsonPost(token, orderRequest('success', [{ productId: ORDERED_PRODUCT, qty: 1 }]), { 'idempotency-key': `fixture-${tag}-${i}` }), expect: 202 })) as CreateOrderResponse;
    const view = await finalOrder(url, token, created.orderId);
    fixtures.orders.push({ orderId: view.orderId, version: view.version });
  }

  for (let i = 0; i < 8; i++) {
    const device = (await call(url, '/api/iot/devices', { ...jsonPost(admin, { name: `load ${tag} ${i}`, type: 'env-sensor' }), expect: 201 })) as DeviceCredentials;
    fixtures.devices.push({ deviceId: device.deviceId, secret: device.secret });
  }

  await tableStoreClient(fixtures).createTable({
    tableMeta: { tableName: fixtures.table, primaryKey: [{ name: 'id', type: 'STRING' }] },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: -1, maxVersions: 1 },
  });
  await mnsClient(fixtures).createQueue(fixtures.queue, { VisibilityTimeout: 60 });
  await fnfClient(fixtures).createFlow({
    Name: fixtures.flow,
    Type: 'FDL',
    Description: 'load: one pass state',
    Definition: `Type: StateMachine\nName: ${fixtures.flow}\nSpecVersion: v1\nStartAt: Echo\nStates:\n  - Type: Pass\n    Name: Echo\n    End: true\n`,
  } as Parameters<FnF['createFlow']>[0]);
  return fixtures;
}

/** Follows an order with long polls, as the order page does, until it is final. */
export async function finalOrder(url: string, token: string, orderId: string, timeoutMs = LANDING_TIMEOUT_MS): Promise<OrderView> {
  const deadline = Date.now() + timeoutMs;
  let version = 0;
  for (;;) {
    const view = OrderView.parse(await call(url, `/api/orders/${orderId}?waitFor=${version}`, { headers: { authorization: `Bearer ${token}` } }));
    if (view.status === 'SUCCEEDED' || view.status === 'FAILED') return view;
    if (Date.now() > deadline) throw new Error(`order ${orderId} is still ${view.status}`);
    version = view.version;
  }
}

const parse = (body: string): Record<string, unknown> | undefined => {
  try {
    return JSON.parse(body) as Record<string, unknown>;
  } catch {
    return undefined;
  }
};

/**
 * Any status but the route's own is a wrong answer (a 4xx under load is a lie about the request), except a 5xx,
 * which the caller counts as such; so is a right status whose body fails `right`.
 */
const otherStatus = (got: number, want: number, body: string) => (got >= 500 ? undefined : `${got} instead of ${want}: ${body.slice(0, 160)}`);

const expectJson =
  (status: number, right: (body: Record<string, unknown>, note: unknown) => boolean, what: string) =>
  (got: number, body: string, note: unknown): string | undefined => {
    if (got !== status) return otherStatus(got, status, body);
    const parsed = parse(body);
    return parsed && right(parsed, note) ? undefined : `${what}: ${body.slice(0, 160)}`;
  };

/**
 * Binary answers are checked by their headers: load generators decode bodies as text, and a body shorter than its
 * content-length is a broken response the client counts as an error anyway.
 */
const imageOf = (type: RegExp, size: (n: number) => boolean, what: string) => (got: number, _body: string, _note: unknown, headers: Record<string, string>) => {
  if (got !== 200) return otherStatus(got, 200, _body);
  const n = Number(headers['content-length']);
  return type.test(headers['content-type'] ?? '') && size(n) ? undefined : `${what}: ${headers['content-type']}, ${n} bytes`;
};

/** The HTTP routes, each with its own request stream and checks. Writes are remembered per route object. */
export function httpRoutes(f: RouteFixtures): HttpRoute[] {
  const auth = { authorization: `Bearer ${f.token}` };
  const ossOrigin = f.endpoints.oss.endpoint;
  const onOss = (signed: string) => signed.slice(new URL(signed).origin.length);
  let unique = 0;
  const uniqueKey = () => `load-${process.pid}-${Date.now().toString(36)}-${++unique}`;

  const placedOrders: string[] = [];
  const readings = new Map<string, number[]>();
  const readingClock = new Map<string, number>();
  const startedAt = Date.now();

  return [
    { kind: 'http', name: 'health', origin: f.url, next: () => ({ method: 'GET', path: '/_local/api/health' }), check: expectJson(200, (b) => b.ok === true, 'not {ok:true}') },
    {
      kind: 'http',
      name: 'image-search',
      origin: f.url,
      next: () => ({ method: 'GET', path: `/api/search?q=${f.image.word}` }),
      check: expectJson(200, (b) => Array.isArray(b.hits) && (b.hits as { imageId: string }[]).some((h) => h.imageId === f.image.imageId), 'the image is missing from the hits'),
    },
    {
      kind: 'http',
      name: 'image-list',
      origin: f.url,
      next: () => ({ method: 'GET', path: '/api/search?limit=20' }),
      check: expectJson(200, (b) => Array.isArray(b.hits) && b.hits.length > 0, 'no hits'),
    },
    {
      kind: 'http',
      name: 'image-get',
      origin: f.url,
      next: () => ({ method: 'GET', path: `/api/images/${f.image.imageId}` }),
      check: expectJson(200, (b) => b.imageId === f.image.imageId && b.status === 'ready', 'not the ready image'),
    },
    {
      kind: 'http',
      name: 'upload-ticket',
      origin: f.url,
      next: () => ({ method: 'POST', path: '/api/uploads', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ filename: 'a.jpg', contentType: 'image/jpeg', size: 1000, title: 'load ticket' }) }),
      check: expectJson(201, (b) => typeof b.imageId === 'string' && typeof b.uploadUrl === 'string' && String(b.uploadUrl).startsWith('http'), 'no ticket'),
    },
    { kind: 'http', name: 'oss-original-presigned', origin: ossOrigin, next: () => ({ method: 'GET', path: onOss(f.image.originalUrl) }), check: imageOf(/^image\/jpeg/, (n) => n === f.image.originalBytes, 'not the original') },
    { kind: 'http', name: 'oss-thumbnail-presigned', origin: ossOrigin, next: () => ({ method: 'GET', path: onOss(f.image.thumbnailUrl) }), check: imageOf(/^image\/webp/, (n) => n === f.image.thumbnailBytes, 'not the thumbnail') },
    {
      kind: 'http',
      name: 'oss-resize',
      origin: ossOrigin,
      next: () => ({ method: 'GET', path: onOss(f.image.resizeUrl) }),
      // A 64 px wide JPEG of a 640 × 480 photo: some hundreds of bytes, far fewer than the original.
      check: imageOf(/^image\//, (n) => n > 100 && n < f.image.originalBytes / 2, 'not a resized image'),
    },
    {
      kind: 'http',
      name: 'order-place',
      origin: f.url,
      next: () => ({
        method: 'POST',
        path: '/api/orders',
        headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': uniqueKey() },
        body: JSON.stringify(orderRequest('success', [{ productId: ORDERED_PRODUCT, qty: 1 }])),
      }),
      check: (status, body) => {
        const wrong = expectJson(202, (b) => typeof b.orderId === 'string' && b.status === 'PENDING', 'not a pending order')(status, body, undefined);
        if (!wrong && status === 202) placedOrders.push(String(parse(body)!.orderId));
        return wrong;
      },
      verify: async () => {
        const lost: string[] = [];
        await pool(placedOrders, 16, async (orderId) => {
          await finalOrder(f.url, f.token, orderId).catch((err: Error) => lost.push(`${orderId}: ${err.message}`));
        });
        // Orders the load generator sent but stopped waiting for (in flight when its time was up) are placed too:
        // once their sagas end as well, no reservation is left held, and the stock never went below zero.
        const left = await eventually(
          async () => {
            const rows = await inventoryOf(f, ORDERED_PRODUCT);
            if (rows.some((r) => r.holds.length > 0)) throw new Error('holds left');
            return rows;
          },
          { timeoutMs: LANDING_TIMEOUT_MS, intervalMs: 250 },
        ).catch(() => inventoryOf(f, ORDERED_PRODUCT));
        for (const row of left) {
          if (row.available < 0 || row.holds.length > 0) lost.push(`${ORDERED_PRODUCT} at ${row.warehouse}: available ${row.available}, ${row.holds.length} holds (${row.holds.slice(0, 2).join(', ')})`);
        }
        return { accepted: placedOrders.length, lost: lost.length, examples: lost.slice(0, 3) };
      },
    },
    {
      kind: 'http',
      name: 'order-get',
      origin: f.url,
      next: () => ({ method: 'GET', path: `/api/orders/${f.orders[0]!.orderId}`, headers: auth }),
      check: expectJson(200, (b) => b.orderId === f.orders[0]!.orderId && b.status === 'SUCCEEDED', 'not the order'),
    },
    {
      kind: 'http',
      name: 'order-list',
      origin: f.url,
      next: () => ({ method: 'GET', path: '/api/orders?limit=10', headers: auth }),
      check: expectJson(200, (b) => OrderList.safeParse(b).success && (b.orders as unknown[]).length > 0, 'not a list of orders'),
    },
    {
      kind: 'http',
      name: 'order-long-poll',
      origin: f.url,
      // The order page's poll once the order is final: it answers at once with the final view.
      next: () => ({ method: 'GET', path: `/api/orders/${f.orders[1]!.orderId}?waitFor=${f.orders[1]!.version}`, headers: auth }),
      check: expectJson(200, (b) => b.orderId === f.orders[1]!.orderId && b.version === f.orders[1]!.version, 'not the final order'),
    },
    {
      kind: 'http',
      name: 'iot-ingest',
      origin: f.url,
      next: () => {
        const device = f.devices[unique++ % f.devices.length]!;
        // Each device's readings step back one ms from the start: unique per device, never in the future.
        const first = (readingClock.get(device.deviceId) ?? startedAt) - 1;
        readingClock.set(device.deviceId, first - READINGS_PER_REQUEST);
        const ts = Array.from({ length: READINGS_PER_REQUEST }, (_, i) => first - i);
        const body = JSON.stringify({ readings: ts.map((t) => ({ ts: t, metric: METRIC, value: 20 + (t % 10) })) });
        const timestamp = String(Date.now());
        return {
          method: 'POST',
          path: '/api/iot/events',
          headers: { 'content-type': 'application/json', [DEVICE_HEADERS.deviceId]: device.deviceId, [DEVICE_HEADERS.timestamp]: timestamp, [DEVICE_HEADERS.signature]: signDeviceRequest(device.secret, timestamp, body) },
          body,
          note: { deviceId: device.deviceId, ts },
        };
      },
      check: (status, body, note) => {
        const wrong = expectJson(202, (b) => b.accepted === READINGS_PER_REQUEST && Array.isArray(b.rejected) && b.rejected.length === 0, 'not every reading accepted')(status, body, note);
        if (!wrong && status === 202) {
          const { deviceId, ts } = note as { deviceId: string; ts: number[] };
          if (!readings.has(deviceId)) readings.set(deviceId, []);
          readings.get(deviceId)!.push(...ts);
        }
        return wrong;
      },
      verify: async () => {
        let accepted = 0;
        const missing: string[] = [];
        for (const [deviceId, ts] of readings) {
          accepted += ts.length;
          const from = Math.min(...ts);
          const to = Math.max(...ts) + 1;
          const stored = await eventually(
            async () => {
              const series = (await call(f.url, `/api/iot/devices/${deviceId}/series?metric=${METRIC}&step=raw&from=${from}&to=${to}`, { headers: auth })) as { points: { ts: number }[] };
              const seen = new Set(series.points.map((p) => p.ts));
              if (ts.some((t) => !seen.has(t))) throw new Error('not all readable yet');
              return seen;
            },
            { timeoutMs: LANDING_TIMEOUT_MS, intervalMs: 250 },
          ).catch(() => undefined);
          if (!stored) missing.push(`${deviceId}: some of ${ts.length} readings`);
        }
        return { accepted, lost: missing.length, examples: missing.slice(0, 3) };
      },
    },
    {
      kind: 'http',
      name: 'iot-latest',
      origin: f.url,
      next: () => ({ method: 'GET', path: `/api/iot/devices/${f.devices[0]!.deviceId}/latest`, headers: auth }),
      check: expectJson(200, (b) => b.deviceId === f.devices[0]!.deviceId, 'not the device'),
    },
    {
      kind: 'http',
      name: 'iot-series',
      origin: f.url,
      next: () => ({ method: 'GET', path: `/api/iot/devices/${f.devices[0]!.deviceId}/series?metric=${METRIC}`, headers: auth }),
      check: expectJson(200, (b) => b.deviceId === f.devices[0]!.deviceId && Array.isArray(b.points), 'not a series'),
    },
    {
      kind: 'http',
      name: 'iot-alerts',
      origin: f.url,
      next: () => ({ method: 'GET', path: '/api/iot/alerts', headers: auth }),
      check: expectJson(200, (b) => Array.isArray(b.items), 'not a list of alerts'),
    },
    { kind: 'http', name: 'website', origin: f.url, next: () => ({ method: 'GET', path: '/' }), check: (s, body) => (s !== 200 ? otherStatus(s, 200, body) : /<html/i.test(body) ? undefined : 'not a page') },
    {
      kind: 'http',
      name: 'console-functions',
      origin: f.url,
      next: () => ({ method: 'GET', path: '/_local/api/functions' }),
      check: (s, body) => (s !== 200 ? otherStatus(s, 200, body) : body.startsWith('[') && body.includes('order-api') ? undefined : 'not the function list'),
    },
    {
      kind: 'http',
      name: 'console-invocations',
      origin: f.url,
      next: () => ({ method: 'GET', path: '/_local/api/invocations?limit=20' }),
      check: (s, body) => (s !== 200 ? otherStatus(s, 200, body) : body.startsWith('[') ? undefined : 'not a list'),
    },
  ];
}

/** Clients of the emulators' own APIs, one client object shared by all callers of a route (as one app has one). */
export function sdkRoutes(f: RouteFixtures): SdkRoute[] {
  const ots = tableStoreClient(f);
  const oss = ossClient(f);
  const mns = mnsClient(f);
  const fnf = fnfClient(f);
  let unique = 0;
  const id = () => `${process.pid}-${Date.now().toString(36)}-${++unique}`;
  const rowsPut: string[] = [];
  const objectsPut: string[] = [];
  const sent = new Set<string>();
  const received = new Set<string>();
  const executions: string[] = [];
  const pk = (key: string) => [{ id: key }];

  return [
    {
      kind: 'sdk',
      name: 'tablestore-put-get',
      call: async () => {
        const key = id();
        await ots.putRow({ tableName: f.table, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), primaryKey: pk(key), attributeColumns: [{ v: key }] });
        rowsPut.push(key);
        const got = await ots.getRow({ tableName: f.table, primaryKey: pk(key), maxVersions: 1 });
        const value = got.row?.attributes?.[0]?.columnValue;
        return value === key ? undefined : `GetRow after PutRow answered ${JSON.stringify(value)}`;
      },
      verify: async () => {
        const lost: string[] = [];
        await pool(rowsPut, 16, async (key) => {
          const got = await ots.getRow({ tableName: f.table, primaryKey: pk(key), maxVersions: 1 });
          if (got.row?.attributes?.[0]?.columnValue !== key) lost.push(key);
        });
        return { accepted: rowsPut.length, lost: lost.length, examples: lost.slice(0, 3) };
      },
    },
    {
      kind: 'sdk',
      name: 'oss-put-get',
      call: async () => {
        const key = `load/${id()}.txt`;
        const content = Buffer.from(`object ${key}`);
        await oss.put(key, content);
        objectsPut.push(key);
        const got = await oss.get(key);
        return Buffer.compare(got.content as Buffer, content) === 0 ? undefined : `GetObject after PutObject answered ${String(got.content).slice(0, 60)}`;
      },
      verify: async () => {
        const lost: string[] = [];
        await pool(objectsPut, 16, async (key) => {
          const got = await oss.get(key).catch(() => undefined);
          if (String(got?.content) !== `object ${key}`) lost.push(key);
        });
        return { accepted: objectsPut.length, lost: lost.length, examples: lost.slice(0, 3) };
      },
    },
    {
      kind: 'sdk',
      name: 'mns-send-receive',
      call: async () => {
        const body = id();
        await mns.sendMessage(f.queue, { MessageBody: body });
        sent.add(body);
        return takeOne(mns, f.queue, received);
      },
      verify: async () => {
        // Whatever a receive did not get during the load is still in the queue: drain it.
        await eventually(
          async () => {
            if ([...sent].every((b) => received.has(b))) return;
            await takeOne(mns, f.queue, received);
            throw new Error('messages still to receive');
          },
          { timeoutMs: 30_000, intervalMs: 1 },
        ).catch(() => undefined);
        const lost = [...sent].filter((b) => !received.has(b));
        return { accepted: sent.size, lost: lost.length, examples: lost.slice(0, 3) };
      },
    },
    {
      kind: 'sdk',
      name: 'fnf-start-describe',
      call: async () => {
        const name = `e-${id()}`;
        const started = await fnf.startExecution({ FlowName: f.flow, ExecutionName: name, Input: JSON.stringify({ name }) });
        if (started.Name !== name) return `StartExecution answered ${started.Name}`;
        executions.push(name);
        const described = await fnf.describeExecution({ FlowName: f.flow, ExecutionName: name });
        return described.Name === name && ['Starting', 'Running', 'Succeeded'].includes(described.Status) ? undefined : `DescribeExecution answered ${described.Name} ${described.Status}`;
      },
      verify: async () => {
        const lost: string[] = [];
        await pool(executions, 16, async (name) => {
          const done = await eventually(
            async () => {
              const status = (await fnf.describeExecution({ FlowName: f.flow, ExecutionName: name })).Status;
              if (status !== 'Succeeded') throw new Error(status);
              return true;
            },
            { timeoutMs: LANDING_TIMEOUT_MS, intervalMs: 100 },
          ).catch(() => false);
          if (!done) lost.push(name);
        });
        return { accepted: executions.length, lost: lost.length, examples: lost.slice(0, 3) };
      },
    },
  ];
}

/** Receives (short poll) and deletes one message of the queue, if any; a body seen twice is a wrong answer. */
async function takeOne(mns: MNS, queue: string, received: Set<string>): Promise<string | undefined> {
  const got = await mns.receiveMessage(queue, 0).catch((err: { name?: string; code?: string }) => {
    if (err.code === 'MessageNotExist' || err.name === 'MNSMessageNotExistError') return undefined;
    throw err;
  });
  if (!got) return undefined;
  const message = (got as { body: { MessageBody: string; ReceiptHandle: string } }).body;
  await mns.deleteMessage(queue, message.ReceiptHandle);
  if (received.has(message.MessageBody)) return `message ${message.MessageBody} received twice after its delete`;
  received.add(message.MessageBody);
  return undefined;
}

async function inventoryOf(f: RouteFixtures, productId: string): Promise<{ warehouse: string; available: number; holds: string[] }[]> {
  const table = await localCloudTable({ ...f.endpoints, gateway: { url: f.url }, fc: { endpoint: f.url } });
  const rows = (await table.getRange(TABLES.productInventory.name, { start: { productId, warehouse: INF_MIN }, end: { productId, warehouse: INF_MAX } })).rows;
  return rows.map((r) => ({ warehouse: String(r.primaryKey.warehouse), available: Number(r.attributes.available), holds: Object.keys(r.attributes).filter((k) => k.startsWith('hold_')) }));
}

/** Runs `work` over `items` with at most `width` at a time. */
export async function pool<T>(items: readonly T[], width: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) await work(items[next++]!);
    }),
  );
}

/**
 * One request of `route` with fetch (or one SDK call), as a browser tab or a script makes it: what is wrong with
 * the answer, if anything — a 5xx, a connection error and a thrown SDK error count here too.
 */
export async function callOnce(route: Route): Promise<string | undefined> {
  try {
    if (route.kind === 'sdk') return await route.call();
    const request = route.next();
    const res = await fetch(`${route.origin}${request.path}`, { method: request.method, headers: request.headers ?? {}, ...(request.body !== undefined ? { body: request.body } : {}) });
    const body = await res.text();
    if (res.status >= 500) return `${res.status}: ${body.slice(0, 200)}`;
    return route.check(res.status, body, request.note, Object.fromEntries(res.headers));
  } catch (err) {
    const cause = (err as { cause?: { code?: string } }).cause?.code;
    return `${(err as Error).name}${cause ? ` (${cause})` : ''}: ${(err as Error).message.slice(0, 200)}`;
  }
}
