import { executionNameOf } from '#shared/contracts/orders';
import { holdsOf } from '#shared/inventory/stock-holds';
import { readPayment } from '#shared/orders/payments';
import { compileFlow } from '../../scripts/local/flow-engine/definition';
import type { HistoryEvent } from '../../scripts/local/flow-engine/model';
import { FcPlatformError } from '../../scripts/local/flow-engine/testbed';
import { createOrder } from '../../functions/order-api/core';
import { getInventory } from '../../functions/product-inventory/core';
import { createSagaBed, fn, orderSagaDefinition, type SagaBed } from '../helpers/order-saga-bed';
import { ALICE, createOrderWorld, orderRequest, type OrderWorld } from '../helpers/order-world';

/**
 * The order saga as written in flows/order-saga.yaml, run by the local flow engine on virtual time with
 * the real step handlers, payment sandbox and payment-callback: every path the issue names, with the order
 * of compensations and the recorded history asserted, and a restart while an execution waits.
 */
describe('order saga (flows/order-saga.yaml on the flow engine)', () => {
  let world: OrderWorld;
  let saga: SagaBed;

  beforeEach(async () => {
    world = createOrderWorld();
    await world.seedStock();
    saga = createSagaBed(world);
  });
  afterEach(() => world.table.close());

  const place = async (card = 'success', options: { postcode?: string; qty?: number } = {}) => {
    const { orderId } = await createOrder(orderRequest(card, [{ productId: 'p-kettle', qty: options.qty ?? 2 }], options.postcode ?? '310000'), `key-${card}-${Math.random()}`, ALICE, world.apiDeps);
    await saga.bed.settle();
    return { orderId, execution: executionNameOf(orderId) };
  };
  /** The provider settles and its webhook reaches payment-callback, which reports to the waiting task. */
  const webhook = async () => {
    await world.settlePayments();
    const statuses = await world.deliverWebhooks();
    await saga.bed.settle();
    return statuses;
  };
  const trail = (execution: string) => saga.bed.stateTrail(execution);
  const events = async (orderId: string) => (await world.view(orderId)).timeline.map((t) => t.event);
  const stock = async () => (await getInventory('p-kettle', 'cn-hangzhou', { table: world.table })).available;
  const taskEvents = (execution: string, state: string): HistoryEvent[] => saga.bed.history(execution).filter((e) => e.stepName === state && e.type.startsWith('Task'));

  it('loads: every task names a saga function, nothing refused', () => {
    const flow = compileFlow(orderSagaDefinition());
    const tasks = [...flow.root.states.values()].filter((s) => s.type === 'Task').map((s) => (s as { functionName: string }).functionName);
    expect(tasks.sort()).toEqual(['charge-payment', 'check-payment-status', 'create-shipment', 'order-failed', 'order-succeeded', 'refund-payment', 'release-inventory', 'reserve-inventory'].map(fn).sort());
  });

  it('success: reserve → charge (waits) → webhook → ship → succeeded', async () => {
    const { orderId, execution } = await place();
    expect(saga.bed.waitingTasks(execution).map((t) => t.stateName)).toEqual(['ChargePayment']);
    expect((await world.view(orderId)).status).toBe('PAYMENT_PENDING');
    expect(await webhook()).toEqual([200]);
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Succeeded');
    expect(trail(execution)).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'OrderSucceeded', 'Done']);
    expect(taskEvents(execution, 'ChargePayment').map((e) => e.type)).toEqual(['TaskScheduled', 'TaskStarted', 'TaskSubmitted', 'TaskSucceeded']);
    expect(taskEvents(execution, 'ChargePayment').at(-1)!.detail).toMatchObject({ Output: { orderId, paymentStatus: 'succeeded' } });
    const view = await world.view(orderId);
    expect(view.timeline.map((t) => t.status)).toEqual(['PENDING', 'RESERVED', 'PAYMENT_PENDING', 'PAID', 'SHIPPED', 'SUCCEEDED']);
    expect(await stock()).toBe(6);
    expect(await holdsOf(world.table, orderId, ['p-kettle'])).toEqual([]);
  });

  it('decline: the failed report is caught → ReleaseInventory → OrderFailed; stock back, nothing charged', async () => {
    const { orderId, execution } = await place('decline');
    await webhook();
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Failed');
    expect(trail(execution)).toEqual(['ReserveInventory', 'ChargePayment', 'ReleaseInventory', 'OrderFailed', 'Failed']);
    expect(taskEvents(execution, 'ChargePayment').at(-1)).toMatchObject({ type: 'TaskFailed', detail: { Error: 'PaymentDeclined' } });
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentDeclined', 'InventoryReleased', 'OrderFailed']);
    expect((await world.view(orderId)).status).toBe('FAILED');
    expect(await stock()).toBe(8);
    expect((await world.payments.getCharge((await readPayment(world.table, orderId)).chargeId!)).status).toBe('failed');
  });

  it('payment timeout: no webhook → TaskTimeout → status checks 10 s apart → the charge is canceled → failed', async () => {
    const { orderId, execution } = await place('noCallback');
    expect(await webhook()).toEqual([]);
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Failed');
    expect(trail(execution)).toEqual(['ReserveInventory', 'ChargePayment', 'CheckPaymentStatus', 'PaymentSettled', 'WaitForPayment', 'CheckPaymentStatus', 'PaymentSettled', 'WaitForPayment', 'CheckPaymentStatus', 'PaymentSettled', 'ReleaseInventory', 'OrderFailed', 'Failed']);
    expect(taskEvents(execution, 'ChargePayment').at(-1)).toMatchObject({ type: 'TaskTimedOut', detail: { Error: 'FnF.TaskTimeout' } });
    const checks = saga.bed.calls.filter((c) => c.stateName === 'CheckPaymentStatus').map((c) => c.at);
    expect(checks.map((at) => at - checks[0]!)).toEqual([0, 10_000, 20_000]);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentStatusChecked', 'PaymentStatusChecked', 'PaymentStatusChecked', 'PaymentTimedOut', 'InventoryReleased', 'OrderFailed']);
    expect((await world.view(orderId)).failure?.reason).toBe('payment_timeout');
    expect((await world.payments.getCharge((await readPayment(world.table, orderId)).chargeId!)).status).toBe('canceled');
    expect(await stock()).toBe(8);
  });

  it('transient provider errors: ChargePayment is retried with backoff, then the payment succeeds', async () => {
    const { orderId, execution } = await place('transient');
    await saga.bed.advance(10_000);
    expect(await webhook()).toEqual([200]);
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Succeeded');
    const attempts = saga.bed.calls.filter((c) => c.stateName === 'ChargePayment');
    expect(attempts.map((c) => (c.result.ok ? 'ok' : c.result.error))).toEqual(['PaymentProviderUnavailable', 'PaymentProviderUnavailable', 'ok']);
    // IntervalSeconds 1, BackoffRate 2: the retries come 1 s and then 2 s later.
    expect(attempts.map((c) => c.at - attempts[0]!.at)).toEqual([0, 1000, 3000]);
    expect(new Set(attempts.map((c) => c.taskToken)).size).toBe(3);
    expect(trail(execution)).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'OrderSucceeded', 'Done']);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentAttemptFailed', 'PaymentAttemptFailed', 'PaymentSucceeded', 'ShipmentCreated', 'OrderSucceeded']);
  });

  it('shipment failure: RefundPayment → ReleaseInventory → OrderFailed, in that order', async () => {
    const { orderId, execution } = await place('success', { postcode: '000000' });
    await webhook();
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Failed');
    expect(trail(execution)).toEqual(['ReserveInventory', 'ChargePayment', 'CreateShipment', 'RefundPayment', 'ReleaseInventory', 'OrderFailed', 'Failed']);
    expect(taskEvents(execution, 'CreateShipment').at(-1)).toMatchObject({ type: 'TaskFailed', detail: { Error: 'ShipmentRejected' } });
    const view = await world.view(orderId);
    expect(view.timeline.filter((t) => t.outcome === 'compensation').map((t) => t.event)).toEqual(['PaymentRefunded', 'InventoryReleased']);
    expect(view.failure?.reason).toBe('shipment_failed');
    expect((await world.payments.getCharge((await readPayment(world.table, orderId)).chargeId!)).status).toBe('refunded');
    expect(await stock()).toBe(8);
  });

  it('out of stock: ReserveInventory fails without retries → ReleaseInventory → OrderFailed', async () => {
    const { orderId, execution } = await place('success', { qty: 9 });
    const done = await saga.bed.runToEnd(execution);
    expect(done.status).toBe('Failed');
    expect(trail(execution)).toEqual(['ReserveInventory', 'ReleaseInventory', 'OrderFailed', 'Failed']);
    expect(saga.bed.calls.filter((c) => c.stateName === 'ReserveInventory')).toHaveLength(1);
    expect((await world.view(orderId)).failure?.reason).toBe('out_of_stock');
    expect(await stock()).toBe(8);
  });

  it('FC throttling on a step is retried with backoff and the order still succeeds', async () => {
    let throttled = 0;
    saga = createSagaBed(world, (tasks) => ({
      ...tasks,
      [fn('create-shipment')]: (event, ctx) => {
        if (throttled++ < 2) throw new FcPlatformError('ResourceThrottled');
        return tasks[fn('create-shipment')]!(event, ctx);
      },
    }));
    const { execution } = await place();
    await webhook();
    expect((await saga.bed.runToEnd(execution)).status).toBe('Succeeded');
    expect(saga.bed.calls.filter((c) => c.stateName === 'CreateShipment').map((c) => (c.result.ok ? 'ok' : c.result.error))).toEqual(['FC.ResourceThrottled', 'FC.ResourceThrottled', 'ok']);
  });

  it('a restart while the execution waits for the webhook keeps the wait; the webhook then finishes it', async () => {
    const { execution } = await place();
    await saga.restart();
    expect(saga.bed.waitingTasks(execution).map((t) => t.stateName)).toEqual(['ChargePayment']);
    await webhook();
    expect((await saga.bed.runToEnd(execution)).status).toBe('Succeeded');
    expect(saga.bed.calls.filter((c) => c.stateName === 'ChargePayment')).toHaveLength(1);
  });

  it('a restart during a retry backoff keeps the deadline and charges once', async () => {
    const { execution } = await place('transient');
    expect(saga.bed.calls.filter((c) => c.stateName === 'ChargePayment')).toHaveLength(1);
    await saga.restart();
    await saga.bed.advance(10_000);
    await webhook();
    expect((await saga.bed.runToEnd(execution)).status).toBe('Succeeded');
    const charges = world.fc.calls.filter((c) => (c.payload as { op?: string }).op === 'charge');
    expect(charges).toHaveLength(3);
    expect(world.fc.calls.filter((c) => c.functionName === 'sandbox-webhook')).toHaveLength(1);
  });
});
