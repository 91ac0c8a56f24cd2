import { CreateOrderResponse, OrderList, OrderRequest, OrderView, executionNameOf } from '#shared/contracts/orders';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError, UnprocessableError, ValidationError } from '#shared/errors';
import { issueToken } from '#shared/auth';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { PaymentProviderUnavailable } from '#shared/orders/errors';
import { recordEvents } from '#shared/orders/order-book';
import { InvokeTimeoutError } from '#shared/aliyun/fc-invoker';
import { deadlineIn } from '#shared/deadline';
import { SandboxPaymentProvider } from '#shared/payments/sandbox-provider';
import type { FunctionInvoker } from '#shared/ports/function-invoker';
import { TtlCache } from '#shared/ttl-cache';
import { FINISH_RESERVE_MS, createOrder, getOrder, listMyOrders } from '../../functions/order-api/core';
import { createHandler } from '../../functions/order-api/handler';
import { fakeContext, httpEvent } from '../helpers/fakes';
import { ADMIN, ALICE, BOB, createOrderWorld, orderRequest, type OrderWorld } from '../helpers/order-world';

/**
 * order-api: checkout idempotent by key (concurrent retries → one order, one execution), pricing from the
 * product services, the owner-or-admin rule, long polling on a virtual clock, my orders newest first, and
 * the HTTP edge's 400s.
 */
describe('order-api', () => {
  let world: OrderWorld;
  beforeEach(() => {
    world = createOrderWorld();
  });
  afterEach(() => world.table.close());

  it('places an order: priced like the product page, card tokenized, saga started as order-<id>', async () => {
    const created = await createOrder(orderRequest('success', [{ productId: 'p-kettle', qty: 2 }, { productId: 'p-mug', qty: 1 }]), 'key-1', ALICE, world.apiDeps);
    expect(CreateOrderResponse.parse(created)).toEqual({ orderId: expect.stringMatching(/^ord_/), status: 'PENDING' });
    const view = OrderView.parse(await world.view(created.orderId));
    expect(view.items).toEqual([
      { productId: 'p-kettle', name: 'Kettle', qty: 2, unitPrice: 270, lineTotal: 540 },
      { productId: 'p-mug', name: 'Mug', qty: 1, unitPrice: 40, lineTotal: 40 },
    ]);
    expect(view).toMatchObject({ subtotal: 580, shippingFee: 0, total: 580, region: 'cn-hangzhou', owner: 'alice', payment: { brand: 'Visa', last4: '4242' } });
    expect(world.starts()).toEqual([{ flowName: 'order-saga', executionName: executionNameOf(created.orderId), input: { orderId: created.orderId, correlationId: '' } }]);
    // The card number never reaches the shop's tables.
    const stored = JSON.stringify((await world.table.getRange(TABLES.orderEvents.name, { start: { orderId: created.orderId, seq: 0 }, end: { orderId: created.orderId, seq: 99 } })).rows);
    expect(stored).not.toContain('4242424242424242');
  });

  it('prices from the instance cache within the product page\'s TTLs', async () => {
    const deps = { ...world.apiDeps, cache: new TtlCache(world.clock) };
    await createOrder(orderRequest(), 'cache-1', ALICE, deps);
    const pricingCalls = () => world.fc.calls.filter((c) => ['info', 'price', 'sales', 'shipping'].includes(c.functionName)).length;
    expect(pricingCalls()).toBe(4);
    await createOrder(orderRequest(), 'cache-2', ALICE, deps);
    expect(pricingCalls()).toBe(4);
    world.clock.advance(11_000); // the price's TTL (10 s) has passed; info, sales and shipping are still fresh
    await createOrder(orderRequest(), 'cache-3', ALICE, deps);
    expect(world.fc.calls.filter((c) => c.functionName === 'price')).toHaveLength(2);
    expect(pricingCalls()).toBe(5);
  });

  it('answers 503 (retry with the same key) when the payment provider is unavailable at checkout', async () => {
    const payments = Object.assign(Object.create(world.payments) as typeof world.payments, { tokenize: () => Promise.reject(new PaymentProviderUnavailable('down')) });
    const down = { ...world.apiDeps, payments };
    await expect(createOrder(orderRequest(), 'down-1', ALICE, down)).rejects.toMatchObject({ status: 503 });
    // The failed request gave its key back: the retry places the order at once, without waiting for it.
    const sleep = jest.fn(world.sleep);
    expect((await createOrder(orderRequest(), 'down-1', ALICE, { ...world.apiDeps, sleep })).status).toBe('PENDING');
    expect(sleep).not.toHaveBeenCalled();
  });

  describe('on a busy platform (a callee waits in line for an instance)', () => {
    /** FC InvokeFunction on the world's clock: `price` answers after `priceMs`; a caller's timeout is enforced. */
    function busyFc(priceMs: number) {
      const timeouts: Record<string, number | undefined> = {};
      const invoker: FunctionInvoker = {
        async invoke(functionName, payload, options = {}) {
          const started = world.clock.now();
          const label = functionName === 'sandbox' ? 'tokenize' : functionName;
          timeouts[label] = options.timeoutMs;
          if (functionName === 'price') world.clock.advance(priceMs);
          const result = await world.fc.invoke(functionName, payload, options);
          if (options.timeoutMs !== undefined && world.clock.now() - started > options.timeoutMs) throw new InvokeTimeoutError(functionName, options.timeoutMs);
          return result;
        },
      };
      const deps = { ...world.apiDeps, invoker, payments: new SandboxPaymentProvider(invoker, 'sandbox'), deadline: deadlineIn(30_000, world.clock) };
      return { deps, timeouts };
    }

    it('checkout is slower, not a 503: its calls may use what is left of the request\'s own time', async () => {
      // 12 s for a price: more than any fixed per-call timeout of 10 s, well within order-api's 30 s.
      const { deps, timeouts } = busyFc(12_000);
      const created = await createOrder(orderRequest(), 'busy-1', ALICE, deps);
      expect(created.status).toBe('PENDING');
      expect(timeouts.price).toBe(30_000 - FINISH_RESERVE_MS);
      // Tokenizing comes after pricing took 12 s: it gets the rest, less the time kept to record and start.
      expect(timeouts.tokenize).toBe(30_000 - 12_000 - FINISH_RESERVE_MS);
    });

    it('answers 503 only when a call would outlast the request (and gives the key back for the retry)', async () => {
      const { deps } = busyFc(30_000 - FINISH_RESERVE_MS + 1);
      await expect(createOrder(orderRequest(), 'busy-2', ALICE, deps)).rejects.toMatchObject({ status: 503, code: 'ServiceUnavailable' });
      expect((await createOrder(orderRequest(), 'busy-2', ALICE, world.apiDeps)).status).toBe('PENDING');
    });
  });

  it('charges delivery below the free-delivery threshold', async () => {
    const created = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 1 }]), 'key-fee', ALICE, world.apiDeps);
    expect(await world.view(created.orderId)).toMatchObject({ subtotal: 40, shippingFee: 8, total: 48 });
  });

  it('answers the same order for the same key and body, and 422 for another body', async () => {
    const first = await createOrder(orderRequest(), 'key-2', ALICE, world.apiDeps);
    const again = await createOrder(orderRequest(), 'key-2', ALICE, world.apiDeps);
    expect(again.orderId).toBe(first.orderId);
    await expect(createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 3 }]), 'key-2', ALICE, world.apiDeps)).rejects.toThrow(UnprocessableError);
    // Keys are per user: Bob's key-2 is his own.
    const bobs = await createOrder(orderRequest(), 'key-2', BOB, world.apiDeps);
    expect(bobs.orderId).not.toBe(first.orderId);
    expect(new Set(world.starts().map((s) => s.executionName)).size).toBe(2);
  });

  it('concurrent retries with one key: one order, one execution', async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => createOrder(orderRequest(), 'key-race', ALICE, world.apiDeps)));
    expect(new Set(results.map((r) => r.orderId)).size).toBe(1);
    expect(world.workflow.fake.executions.size).toBe(1);
    const orders = await listMyOrders(ALICE, 50, undefined, world.apiDeps);
    expect(orders.orders).toHaveLength(1);
    // One OrderPlaced was written. (Retries that found the order not yet placed each priced it and made a
    // card token — they finish the work if the first request died — but only one event could land.)
    expect((await world.view(results[0]!.orderId)).version).toBe(1);
  });

  it('lets a key whose first request failed be used for the corrected request', async () => {
    await expect(createOrder(orderRequest('success', [{ productId: 'p-nope', qty: 1 }]), 'key-3', ALICE, world.apiDeps)).rejects.toThrow(ValidationError);
    const fixed = await createOrder(orderRequest(), 'key-3', ALICE, world.apiDeps);
    expect((await world.view(fixed.orderId)).items[0]!.productId).toBe('p-kettle');
  });

  it('names the wrong field: unknown product, expired card', async () => {
    const unknown = createOrder(orderRequest('success', [{ productId: 'p-kettle', qty: 1 }, { productId: 'p-nope', qty: 1 }]), 'k4', ALICE, world.apiDeps);
    await expect(unknown).rejects.toMatchObject({ status: 400, details: [{ path: 'body.items.1.productId', message: 'no such product' }] });
    const expired = { ...orderRequest(), card: { ...orderRequest().card, expYear: 2026, expMonth: 1 } };
    await expect(createOrder(expired, 'k5', ALICE, world.apiDeps)).rejects.toMatchObject({ status: 400, details: [{ path: 'body.card.expYear' }] });
    expect(world.starts()).toEqual([]);
  });

  it('calls a product that does not exist "no such product" whichever service answers first', async () => {
    // The product services answer in parallel; shipping knowing no such product must not make it "cannot be
    // delivered to cn-hangzhou" because its answer came before product-info's.
    // Product info answers only once shipping has (a 5 ms head start for shipping was no promise on a busy machine).
    let shippingAnswered = () => {};
    const shippingFirst = new Promise<void>((resolve) => (shippingAnswered = resolve));
    const invoker: FunctionInvoker = {
      invoke: async (name, payload, options) => {
        if (name === 'info') await shippingFirst;
        try {
          return await world.fc.invoke(name, payload, options);
        } finally {
          if (name === 'shipping') shippingAnswered();
        }
      },
    };
    const unknown = createOrder(orderRequest('success', [{ productId: 'p-nope', qty: 1 }]), 'k-slow-info', ALICE, { ...world.apiDeps, invoker });
    await expect(unknown).rejects.toMatchObject({ status: 400, details: [{ path: 'body.items.0.productId', message: 'no such product' }] });
  });

  it('shows an order to its owner and admins only', async () => {
    const { orderId } = await createOrder(orderRequest(), 'k6', ALICE, world.apiDeps);
    expect((await getOrder(orderId, ALICE, undefined, world.apiDeps)).orderId).toBe(orderId);
    expect((await getOrder(orderId, ADMIN, undefined, world.apiDeps)).owner).toBe('alice');
    await expect(getOrder(orderId, BOB, undefined, world.apiDeps)).rejects.toThrow(NotFoundError);
    await expect(getOrder('ord_00000000000000000000000000', ALICE, undefined, world.apiDeps)).rejects.toThrow(NotFoundError);
  });

  it('long-polls: answers when the order moves past the version, or after 25 s unchanged', async () => {
    const { orderId } = await createOrder(orderRequest(), 'k7', ALICE, world.apiDeps);
    const start = world.clock.now();
    const unchanged = await getOrder(orderId, ALICE, 1, world.apiDeps);
    expect(unchanged.version).toBe(1);
    expect(world.clock.now() - start).toBe(25_000);

    // An event lands while the request waits (the sleep hook appends it on the 3rd poll).
    let polls = 0;
    const deps = {
      ...world.apiDeps,
      sleep: async (ms: number) => {
        world.clock.advance(ms);
        if (++polls === 3) await recordEvents(world.table, orderId, [{ type: 'InventoryReserved', step: 'ReserveInventory', key: 'inventory:reserved', at: world.clock.now(), data: { allocations: [] } }]);
      },
    };
    const moved = await getOrder(orderId, ALICE, 1, deps);
    expect(moved).toMatchObject({ version: 2, status: 'RESERVED' });
    expect(polls).toBe(3);
    // Already past the version: no waiting at all.
    expect((await getOrder(orderId, ALICE, 0, { ...world.apiDeps, sleep: () => Promise.reject(new Error('should not wait')) })).version).toBe(2);
  });

  it('lists my orders newest first, paged', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      world.clock.advance(1000);
      ids.push((await createOrder(orderRequest(), `list-${i}`, ALICE, world.apiDeps)).orderId);
    }
    await createOrder(orderRequest(), 'bobs', BOB, world.apiDeps);
    const first = OrderList.parse(await listMyOrders(ALICE, 2, undefined, world.apiDeps));
    expect(first.orders.map((o) => o.orderId)).toEqual([ids[4], ids[3]]);
    expect(first.orders[0]).toMatchObject({ status: 'PENDING', title: 'Kettle', itemCount: 1, total: 270 });
    const second = await listMyOrders(ALICE, 2, first.nextCursor, world.apiDeps);
    expect(second.orders.map((o) => o.orderId)).toEqual([ids[2], ids[1]]);
    const last = await listMyOrders(ALICE, 2, second.nextCursor, world.apiDeps);
    expect(last.orders.map((o) => o.orderId)).toEqual([ids[0]]);
    expect(last.nextCursor).toBeUndefined();
  });

  describe('HTTP edge', () => {
    const SECRET = 'order-api-test-secret-0123456789abcdef';
    const handler = () => createHandler(() => world.apiDeps, () => SECRET);
    const call = async (method: string, path: string, options: { body?: unknown; headers?: Record<string, string>; query?: Record<string, string>; token?: string } = {}) => {
      const token = options.token ?? (await issueToken(ALICE, SECRET)).token;
      const res = (await handler()(
        httpEvent(method, path, { ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}), ...(options.query ? { query: options.query } : {}), headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...options.headers } }),
        fakeContext(),
      )) as HttpTriggerResponse;
      return { status: res.statusCode, headers: res.headers ?? {}, body: JSON.parse(res.body || 'null') as Record<string, unknown> };
    };

    it('202 with Location; the same key again answers the same order', async () => {
      const res = await call('POST', '/api/orders', { body: orderRequest(), headers: { 'idempotency-key': 'http-1' } });
      expect(res.status).toBe(202);
      expect(res.headers.location).toBe(`/api/orders/${String(res.body.orderId)}`);
      const again = await call('POST', '/api/orders', { body: orderRequest(), headers: { 'idempotency-key': 'http-1' } });
      expect(again.body.orderId).toBe(res.body.orderId);
      const got = await call('GET', `/api/orders/${String(res.body.orderId)}`);
      expect(got.status).toBe(200);
      expect(got.headers.etag).toBe('"v1"');
    });

    it('400 without an Idempotency-Key, naming it; 400 naming bad fields; 401 without a token', async () => {
      const missing = await call('POST', '/api/orders', { body: orderRequest() });
      expect(missing.status).toBe(400);
      expect(missing.body.error).toMatchObject({ code: 'ValidationError', details: [{ path: 'headers.Idempotency-Key' }] });
      // A key that is there but too long is told so, not asked to be sent (it once was: the schema's message
      // for a missing header answered every issue).
      const long = await call('POST', '/api/orders', { body: orderRequest(), headers: { 'idempotency-key': 'k'.repeat(256) } });
      expect(long.status).toBe(400);
      expect(long.body.error).toMatchObject({ details: [{ path: 'headers.Idempotency-Key', message: 'must be at most 255 characters' }] });
      const bad = await call('POST', '/api/orders', { body: { ...orderRequest(), card: { ...orderRequest().card, number: '4242 4242 4242 4241' } }, headers: { 'idempotency-key': 'http-2' } });
      expect(bad.status).toBe(400);
      expect(bad.body.error).toMatchObject({ details: [{ path: 'body.card.number', message: expect.stringContaining('checksum') }] });
      const dup = await call('POST', '/api/orders', { body: orderRequest('success', [{ productId: 'p-mug', qty: 1 }, { productId: 'p-mug', qty: 2 }]), headers: { 'idempotency-key': 'http-3' } });
      expect(dup.body.error).toMatchObject({ details: [{ path: 'body.items.1.productId' }] });
      const anon = await call('POST', '/api/orders', { body: orderRequest(), headers: { 'idempotency-key': 'http-4' }, token: 'nope' });
      expect(anon.status).toBe(401);
      const reused = await call('POST', '/api/orders', { body: orderRequest(), headers: { 'idempotency-key': 'http-5' } });
      const otherBody = await call('POST', '/api/orders', { body: orderRequest('decline'), headers: { 'idempotency-key': 'http-5' } });
      expect([reused.status, otherBody.status]).toEqual([202, 422]);
      expect(otherBody.body.error).toMatchObject({ code: 'IdempotencyKeyReused' });
    });

    it('400 for a bad waitFor or cursor; 404 for someone else\'s order', async () => {
      const { orderId } = await createOrder(orderRequest(), 'http-6', BOB, world.apiDeps);
      expect((await call('GET', `/api/orders/${orderId}`)).status).toBe(404);
      expect((await call('GET', `/api/orders/${orderId}`, { query: { waitFor: '-1' } })).status).toBe(400);
      expect((await call('GET', '/api/orders', { query: { cursor: 'x' } })).status).toBe(400);
    });

    it('400 naming path.orderId for an id that cannot be an order id, as images and devices answer; 404 for a well-formed unknown one', async () => {
      for (const malformed of ['nope', 'ord_123', 'ORD_01JD3K9X4M8R0V6T2C7B5N1Q3W', "ord_01jd3k9x4m8r0v6t2c7b5n1q3w'"]) {
        const res = await call('GET', `/api/orders/${encodeURIComponent(malformed)}`);
        expect({ malformed, status: res.status, error: res.body.error }).toMatchObject({ malformed, status: 400, error: { code: 'ValidationError', details: [{ path: 'path.orderId', message: 'must be an order id (ord_…)' }] } });
      }
      const unknown = await call('GET', '/api/orders/ord_01jd3k9x4m8r0v6t2c7b5n1q3w');
      expect([unknown.status, unknown.body.error]).toEqual([404, expect.objectContaining({ code: 'NotFound' })]);
      expect((await call('GET', '/api/orders/nope', { token: 'bad' })).status).toBe(401);
    });
  });

  it('the request schema refuses what a client must not send', () => {
    expect(OrderRequest.safeParse({ ...orderRequest(), status: 'SUCCEEDED' }).success).toBe(false);
    expect(OrderRequest.safeParse({ ...orderRequest(), items: [] }).success).toBe(false);
    expect(OrderRequest.safeParse({ ...orderRequest(), address: { ...orderRequest().address, country: 'US' } }).success).toBe(false);
    expect(OrderRequest.parse({ ...orderRequest(), card: { ...orderRequest().card, number: '4242-4242 4242-4242' } }).card.number).toBe('4242424242424242');
  });
});
