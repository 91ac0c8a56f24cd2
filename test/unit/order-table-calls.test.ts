import { TABLES } from '#shared/contracts/tables';
import { holdColumn } from '#shared/inventory/stock-holds';
import { OrderEventStore } from '#shared/orders/event-store';
import { recordEvents } from '#shared/orders/order-book';
import { readPayment } from '#shared/orders/payments';
import type { Table } from '#shared/ports/table';
import { chargePayment } from '../../functions/charge-payment/core';
import { createShipment } from '../../functions/create-shipment/core';
import { createOrder } from '../../functions/order-api/core';
import { orderSucceeded } from '../../functions/order-succeeded/core';
import { reserveInventory } from '../../functions/reserve-inventory/core';
import { ALICE, createOrderWorld, orderRequest, type OrderWorld } from '../helpers/order-world';

/**
 * How many TableStore requests an order costs (docs/decisions.md D53): every call on the Table port is one
 * request, so counting them on the in-memory table counts what the SDK sends the service. Also what the
 * batched record (event + projection + the step's rows in one BatchWriteRow) does when its event loses.
 */
type Calls = Map<string, number>;

function countCalls(table: Table): { calls: Calls; total: () => number; reset: () => void } {
  const calls: Calls = new Map();
  const methods = ['getRow', 'putRow', 'updateRow', 'deleteRow', 'getRange', 'batchGetRow', 'batchWriteRow'] as const;
  const target = table as unknown as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const method of methods) {
    const original = target[method]!.bind(table);
    target[method] = (...args: unknown[]) => {
      calls.set(method, (calls.get(method) ?? 0) + 1);
      return original(...args);
    };
  }
  return { calls, total: () => [...calls.values()].reduce((a, b) => a + b, 0), reset: () => calls.clear() };
}

describe('table requests per order', () => {
  let world: OrderWorld;
  beforeEach(async () => {
    world = createOrderWorld();
    await world.seedStock();
  });
  afterEach(() => world.table.close());

  it('the happy path costs 27 requests (42 before D53; 26 when the sandbox answers at once)', async () => {
    const counter = countCalls(world.table);
    const perStep: Record<string, number> = {};
    const step = async (name: string, run: () => Promise<unknown>) => {
      counter.reset();
      await run();
      perStep[name] = counter.total();
    };
    let orderId = '';
    await step('checkout', async () => ({ orderId } = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 1 }]), 'count-1', ALICE, world.apiDeps)));
    await step('reserve', () => reserveInventory({ orderId }, world.stepDeps));
    await step('charge', () => chargePayment({ orderId, taskToken: world.taskToken(orderId) }, world.stepDeps));
    await step('settle', () => world.settlePayments());
    await step('callback', () => world.deliverWebhooks());
    await step('ship', () => createShipment({ orderId }, world.stepDeps));
    await step('succeeded', () => orderSucceeded({ orderId }, world.stepDeps));

    expect((await world.view(orderId)).status).toBe('SUCCEEDED');
    // checkout: claim the key, tokenize (the sandbox's row), the first event with the projection.
    // reserve: the log, the stock rows, the hold, the check of what is held, the event.
    // charge: the log, the event with the task token; the sandbox's method, key and charge; the charge id.
    // settle (the world's sandbox waits 300 ms, so it reads the charge again after the wait): read, read, update.
    // callback: replay check, the log, the payment row, the event with the payment row, the delivery id.
    // ship: the log, the event. succeeded: the log, the held rows, the event with the stock commits.
    expect(perStep).toEqual({ checkout: 3, reserve: 5, charge: 6, settle: 3, callback: 5, ship: 2, succeeded: 3 });
  });

  it('a step that runs again writes the projection and its own rows in one request', async () => {
    const { orderId } = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 1 }]), 'count-2', ALICE, world.apiDeps);
    await reserveInventory({ orderId }, world.stepDeps);
    const counter = countCalls(world.table);
    const taskToken = world.taskToken(orderId);
    await chargePayment({ orderId, taskToken: world.taskToken(orderId) }, world.stepDeps);
    counter.reset();
    // A retry with a new token: the token is stored even though PaymentRequested is there already.
    await chargePayment({ orderId, taskToken }, world.stepDeps);
    expect(counter.calls.get('batchWriteRow')).toBe(1);
    expect((await readPayment(world.table, orderId)).taskToken).toBe(taskToken);
  });
});

describe('a batched record whose event loses its seq', () => {
  let world: OrderWorld;
  beforeEach(async () => {
    world = createOrderWorld();
    await world.seedStock();
  });
  afterEach(() => world.table.close());

  const listRow = async (orderId: string) => (await world.table.getRow(TABLES.orders.name, { owner: 'alice', orderId }))?.attributes;

  it('appends after the winner and leaves the list row folded from the true log', async () => {
    const { orderId } = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 1 }]), 'race-1', ALICE, world.apiDeps);
    const store = new OrderEventStore(world.table);
    const stale = await store.read(orderId);
    // Another writer (the webhook) lands seq 2 after this step read the log.
    await recordEvents(world.table, orderId, [{ type: 'PaymentRequested', step: 'ChargePayment', key: 'payment:requested', at: world.clock.now(), data: { amount: 48, currency: 'CNY' } }]);
    const recorded = await recordEvents(world.table, orderId, [{ type: 'InventoryReserved', step: 'ReserveInventory', key: 'inventory:reserved', at: world.clock.now(), data: { allocations: [{ productId: 'p-mug', warehouse: 'wh-hangzhou', qty: 1 }] } }], stale);

    const log = await store.read(orderId);
    expect(log.map((e) => [e.seq, e.key])).toEqual([[1, 'order:placed'], [2, 'payment:requested'], [3, 'inventory:reserved']]);
    expect(recorded.log).toEqual(log);
    expect(await listRow(orderId)).toEqual(expect.objectContaining({ version: 3, status: recorded.view.status }));
  });

  it('finds its own event already there (a duplicate run) and rewrites the list row it got wrong', async () => {
    const { orderId } = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 1 }]), 'race-2', ALICE, world.apiDeps);
    const store = new OrderEventStore(world.table);
    const stale = await store.read(orderId);
    const declined = { type: 'PaymentDeclined', step: 'ChargePayment', key: 'payment:declined', at: world.clock.now(), data: { chargeId: 'ch_1', code: 'card_declined', message: 'no' } } as const;
    await recordEvents(world.table, orderId, [declined]);
    const truth = await listRow(orderId);
    // A writer holding the stale log batches a different event at seq 2: its event fails, its list row lands.
    const racing = await recordEvents(world.table, orderId, [{ type: 'PaymentRequested', step: 'ChargePayment', key: 'payment:requested', at: world.clock.now(), data: { amount: 48, currency: 'CNY' } }], stale);
    expect(racing.log.map((e) => e.key)).toEqual(['order:placed', 'payment:declined', 'payment:requested']);
    expect((await listRow(orderId))?.version).toBe(3);
    // And a rerun of the winner's own step with a stale log: nothing new, the list row is the true fold of v2… then v3.
    const again = await recordEvents(world.table, orderId, [declined], stale);
    expect(again.log).toHaveLength(3);
    expect(truth).toEqual(expect.objectContaining({ version: 2 }));
    expect(await listRow(orderId)).toEqual(expect.objectContaining({ version: 3, status: again.view.status }));
  });

  it('order-succeeded commits the holds with its event, and a rerun changes nothing', async () => {
    const { orderId } = await createOrder(orderRequest('success', [{ productId: 'p-mug', qty: 2 }]), 'commit-1', ALICE, world.apiDeps);
    await reserveInventory({ orderId }, world.stepDeps);
    const held = async () => (await world.table.getRange(TABLES.productInventory.name, { start: { productId: 'p-mug', warehouse: '\u0000' }, end: { productId: 'p-mug', warehouse: '\uffff' } })).rows.filter((r) => r.attributes[holdColumn(orderId)] !== undefined);
    expect(await held()).toHaveLength(1);
    const counter = countCalls(world.table);
    await orderSucceeded({ orderId }, world.stepDeps);
    expect(counter.calls.get('batchWriteRow')).toBe(1);
    expect(counter.calls.get('updateRow') ?? 0).toBe(0);
    expect(await held()).toHaveLength(0);
    await orderSucceeded({ orderId }, world.stepDeps);
    const view = await world.view(orderId);
    expect(view.timeline.filter((t) => t.event === 'OrderSucceeded')).toHaveLength(1);
  });
});
