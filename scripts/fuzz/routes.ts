import { createHmac } from 'node:crypto';
import type { Json } from './values';

/**
 * Every HTTP route the functions declare (`createHttpHandler` in functions/*\/handler.ts) and the console's
 * `/_local/api`, each as one valid request the fuzzer then breaks one way at a time. `optional` lists the body
 * fields a request may leave out; `strict` says unknown body fields are refused (every body but the webhook's,
 * whose provider may add fields). `watch` names the state a refused request must leave as it was (see state.ts).
 */
export type AuthKind = 'none' | 'user' | 'admin' | 'device' | 'webhook';

export interface RouteTemplate {
  method: string;
  /** The path with `:name` parameters, filled from `params`. */
  path: string;
  params?: Record<string, string>;
  /** Valid query parameters; routes without this refuse any (D127). */
  query?: Record<string, string>;
  body?: Json;
  optional?: string[];
  strict?: boolean;
  auth: AuthKind;
  /** The body is passed on as it is (the console's invoke: any body is an event), so no break must be refused. */
  opaqueBody?: true;
  /** A fresh `Idempotency-Key` per request (the order route requires one). */
  idempotent?: boolean;
  watch: string[];
}

/** What valid requests need: tokens, a device and its secret, ids that exist. */
export interface RouteWorld {
  userToken: string;
  adminToken: string;
  deviceId: string;
  deviceSecret: string;
  productId: string;
  webhookSecret: string;
}

const ID_TAIL = '01abcdefghjkmnpqrstvwxyz23';

export function routeTemplates(world: RouteWorld): Record<string, RouteTemplate> {
  const now = Date.now();
  const device = { deviceId: world.deviceId };
  const order = {
    items: [{ productId: world.productId, qty: 1 }],
    address: { name: 'Fuzz Tester', line1: '1 Test Road', city: 'Hangzhou', postcode: '310000', country: 'CN' },
    // 4000 0000 0000 0002 is the sandbox's "declined" card: a body that slips through places an order that fails.
    card: { number: '4000000000000002', expMonth: 12, expYear: 2030, cvc: '123' },
  };
  return {
    'POST /api/auth/token': { method: 'POST', path: '/api/auth/token', body: { username: 'alice', password: 'alice-demo' }, auth: 'none', watch: ['users'] },
    'POST /api/uploads': {
      method: 'POST',
      path: '/api/uploads',
      body: { filename: 'photo.jpg', contentType: 'image/jpeg', size: 1234, productId: world.productId, title: 'A photo', tags: ['red', 'shoe'] },
      optional: ['productId', 'title', 'tags'],
      auth: 'user',
      watch: ['images'],
    },
    'GET /api/images/:imageId': { method: 'GET', path: '/api/images/:imageId', params: { imageId: `img_${ID_TAIL}` }, auth: 'none', watch: [] },
    'GET /api/images/:imageId/thumbnail/:size': { method: 'GET', path: '/api/images/:imageId/thumbnail/:size', params: { imageId: `img_${ID_TAIL}`, size: '256' }, auth: 'none', watch: [] },
    'GET /api/search': { method: 'GET', path: '/api/search', query: { q: 'shoe', tag: 'red', limit: '5' }, auth: 'none', watch: [] },
    'POST /api/iot/devices': { method: 'POST', path: '/api/iot/devices', body: { name: 'fuzz pump', type: 'env-sensor' }, auth: 'admin', watch: ['devices'] },
    'GET /api/iot/devices': { method: 'GET', path: '/api/iot/devices', auth: 'user', watch: [] },
    'GET /api/iot/devices/:deviceId': { method: 'GET', path: '/api/iot/devices/:deviceId', params: device, auth: 'user', watch: [] },
    'GET /api/iot/devices/:deviceId/latest': { method: 'GET', path: '/api/iot/devices/:deviceId/latest', params: device, auth: 'user', watch: [] },
    'POST /api/iot/devices/:deviceId/secret': { method: 'POST', path: '/api/iot/devices/:deviceId/secret', params: { deviceId: `dev_${ID_TAIL}` }, auth: 'admin', watch: ['devices'] },
    'GET /api/iot/devices/:deviceId/series': {
      method: 'GET',
      path: '/api/iot/devices/:deviceId/series',
      params: device,
      query: { metric: 'temperature', from: String(now - 3_600_000), to: String(now), step: '1m' },
      auth: 'user',
      watch: [],
    },
    'GET /api/iot/alerts': { method: 'GET', path: '/api/iot/alerts', query: { deviceId: world.deviceId, since: new Date(now - 86_400_000).toISOString(), limit: '10' }, auth: 'user', watch: [] },
    'POST /api/iot/events': {
      method: 'POST',
      path: '/api/iot/events',
      body: { readings: [{ ts: now, metric: 'temperature', value: 21.5, seq: 1, unit: 'C' }] },
      optional: ['readings.0.seq', 'readings.0.unit'],
      auth: 'device',
      watch: ['iot_requests', 'queue:fcsuite-dev-iot-readings'],
    },
    'POST /api/iot/reports': { method: 'POST', path: '/api/iot/reports', body: { from: now - 3_600_000, to: now }, auth: 'admin', watch: ['reports'] },
    'GET /api/iot/reports': { method: 'GET', path: '/api/iot/reports', auth: 'admin', watch: [] },
    'POST /api/orders': {
      method: 'POST',
      path: '/api/orders',
      body: { ...order, region: 'cn-hangzhou' },
      optional: ['region', 'address.line2'],
      auth: 'user',
      idempotent: true,
      // Not `idempotency`: charge-payment and payment-callback write it for orders already placed, in the background.
      watch: ['orders'],
    },
    'GET /api/orders': { method: 'GET', path: '/api/orders', query: { limit: '5' }, auth: 'user', watch: [] },
    'GET /api/orders/:orderId': { method: 'GET', path: '/api/orders/:orderId', params: { orderId: `ord_${ID_TAIL}` }, auth: 'user', watch: [] },
    'POST /api/payments/callback': {
      method: 'POST',
      path: '/api/payments/callback',
      body: {
        id: 'evt_fuzz',
        type: 'charge.succeeded',
        created: now,
        data: { chargeId: 'ch_fuzz', status: 'succeeded', amount: 100, currency: 'CNY', metadata: { orderId: `ord_${ID_TAIL}` } },
      },
      strict: false,
      auth: 'webhook',
      // Orders the sweep placed (valid bodies with a harmless break) move on in the background, writing both tables:
      // the webhook names an order that does not exist, so there is nothing it could change.
      watch: [],
    },
    'GET /api/products': { method: 'GET', path: '/api/products', query: { limit: '3', region: 'cn-hangzhou' }, auth: 'none', watch: [] },
    'GET /api/products/:id': { method: 'GET', path: '/api/products/:id', params: { id: world.productId }, query: { client: 'mobile', region: 'cn-hangzhou' }, auth: 'none', watch: [] },
    'PUT /_local/api/functions/:fn/fault': {
      method: 'PUT',
      path: '/_local/api/functions/:fn/fault',
      params: { fn: 'product-reviews' },
      body: { delayMs: 1, times: 1 },
      optional: ['delayMs', 'times'],
      auth: 'none',
      watch: [],
    },
    'POST /_local/api/functions/:fn/invoke': { method: 'POST', path: '/_local/api/functions/:fn/invoke', params: { fn: 'product-info' }, body: { op: 'get', productId: world.productId }, opaqueBody: true, auth: 'none', watch: [] },
    'GET /_local/api/invocations': { method: 'GET', path: '/_local/api/invocations', query: { fn: 'product-info', limit: '3' }, auth: 'none', watch: [] },
    'GET /_local/api/executions': { method: 'GET', path: '/_local/api/executions', query: { status: 'Running', limit: '3' }, auth: 'none', watch: [] },
    'GET /_local/api/async': { method: 'GET', path: '/_local/api/async', query: { limit: '3' }, auth: 'none', watch: [] },
    'GET /_local/api/queues/:queue': { method: 'GET', path: '/_local/api/queues/:queue', params: { queue: 'fcsuite-dev-dlq' }, auth: 'none', watch: [] },
    'POST /_local/api/queues/:queue/redrive': { method: 'POST', path: '/_local/api/queues/:queue/redrive', params: { queue: 'fcsuite-dev-payment-webhook-dlq' }, auth: 'none', watch: [] },
    'POST /_local/api/timers/:fn/run': { method: 'POST', path: '/_local/api/timers/:fn/run', params: { fn: 'product-sales' }, auth: 'none', watch: [] },
  };
}

/** The signature headers a request of this kind carries over exactly these body bytes. */
export function signatureHeaders(auth: AuthKind, world: RouteWorld, body: Buffer): Record<string, string> {
  switch (auth) {
    case 'user':
      return { authorization: `Bearer ${world.userToken}` };
    case 'admin':
      return { authorization: `Bearer ${world.adminToken}` };
    case 'device': {
      const timestamp = String(Date.now());
      const signature = createHmac('sha256', world.deviceSecret).update(`${timestamp}.`).update(body).digest('hex');
      return { 'x-device-id': world.deviceId, 'x-timestamp': timestamp, 'x-signature': signature };
    }
    case 'webhook': {
      const t = Date.now();
      return { 'x-sandbox-signature': `t=${t},v1=${createHmac('sha256', world.webhookSecret).update(`${t}.${body.toString('utf8')}`).digest('hex')}` };
    }
    case 'none':
      return {};
  }
}
