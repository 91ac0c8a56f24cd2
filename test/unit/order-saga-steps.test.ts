import { PaymentResult } from '#shared/contracts/orders';
import { TABLES } from '#shared/contracts/tables';
import { holdsOf } from '#shared/inventory/stock-holds';
import { OutOfStock, PaymentProviderUnavailable, ShipmentRejected } from '#shared/orders/errors';
import { readPayment } from '#shared/orders/payments';
import { signWebhook } from '#shared/payments/webhook-signature';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { chargePayment } from '../../functions/charge-payment/core';
import { checkPaymentStatus, MAX_STATUS_CHECKS } from '../../functions/check-payment-status/core';
import { createShipment } from '../../functions/create-shipment/core';
import { createOrder } from '../../functions/order-api/core';
import { orderFailed } from '../../functions/order-failed/core';
import { orderSucceeded } from '../../functions/order-succeeded/core';
import { getInventory } from '../../functions/product-inventory/core';
import { refundPayment } from '../../functions/refund-payment/core';
import { releaseInventory } from '../../functions/release-inventory/core';
import { reserveInventory } from '../../functions/reserve-inventory/core';
import { fakeContext, httpEvent } from '../helpers/fakes';
import { ALICE, createOrderWorld, orderRequest, WEBHOOK_SECRET, type OrderWorld } from '../helpers/order-world';

/**
 * The saga's steps with the real payment sandbox and payment-callback, driven by hand in the order the
 * flow runs them (the flow definition itself runs on the engine in test/flows/): each path's events and
 * side effects, each step's idempotency, and the callback's checks. Flow-level retries and timeouts are
 * played by the test: a new task token per attempt, a finished execution for a timeout.
 */
describe('order saga steps', () => {
  let world: OrderWorld;
  beforeEach(async () => {
    world = createOrderWorld();
    await world.seedStock();
  });
  afterEach(() => world.table.close());

  const place = async (card = 'success', postcode = '310000', qty = 2) => (await createOrder(orderRequest(card, [{ productId: 'p-kettle', qty }], postcode), `k-${card}-${postcode}-${qty}`, ALICE, world.apiDeps)).orderId;
  const events = async (orderId: string) => (await world.view(orderId)).timeline.map((t) => t.event);
  const stock = async () => (await getInventory('p-kettle', 'cn-hangzhou', { table: world.table })).available;
  const charge = async (orderId: string) => {
    const { chargeId } = await readPayment(world.table, orderId);
    return world.payments.getCharge(chargeId!);
  };
  /** ChargePayment as the flow runs it: a task token, then the provider's webhook (settled and posted). */
  const chargeAndSettle = async (orderId: string) => {
    const token = world.taskToken(orderId);
    await chargePayment({ orderId, taskToken: token }, world.stepDeps);
    await world.settlePayments();
    return { token, statuses: await world.deliverWebhooks() };
  };

  it('success: reserve → charge → webhook → ship → succeeded; stock sold, nothing left held', async () => {
    const orderId = await place();
    await reserveInventory({ orderId }, world.stepDeps);
    expect(await stock()).toBe(6);
    const { token, statuses } = await chargeAndSettle(orderId);
    expect(statuses).toEqual([200]);
    expect(world.reports()).toEqual([{ token, outcome: 'succeeded', output: expect.objectContaining({ orderId, paymentStatus: 'succeeded' }) }]);
    PaymentResult.parse((world.reports()[0] as { output: object }).output);
    await createShipment({ orderId }, world.stepDeps);
    await orderSucceeded({ orderId }, world.stepDeps);
    const view = await world.view(orderId);
    expect(view.timeline.map((t) => t.status)).toEqual(['PENDING', 'RESERVED', 'PAYMENT_PENDING', 'PAID', 'SHIPPED', 'SUCCEEDED']);
    expect(view.shipment).toMatchObject({ carrier: 'SF Express', trackingNumber: expect.stringMatching(/^SB\d{12}CN$/) });
    expect(await stock()).toBe(6);
    expect(await holdsOf(world.table, orderId, ['p-kettle'])).toEqual([]);
    expect((await charge(orderId)).status).toBe('succeeded');
  });

  it('decline: the webhook fails the task; release → failed; stock restored, nothing charged', async () => {
    const orderId = await place('decline');
    await reserveInventory({ orderId }, world.stepDeps);
    const { token } = await chargeAndSettle(orderId);
    expect(world.reports()).toEqual([{ token, outcome: 'failed', error: 'PaymentDeclined', cause: expect.stringContaining('card_declined') }]);
    await releaseInventory({ orderId }, world.stepDeps);
    await orderFailed({ orderId }, world.stepDeps);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentDeclined', 'InventoryReleased', 'OrderFailed']);
    expect(await world.view(orderId)).toMatchObject({ status: 'FAILED', failure: { reason: 'payment_declined' } });
    expect(await stock()).toBe(8);
    expect((await charge(orderId)).status).toBe('failed');
  });

  it('no callback: the task times out; status checks; the charge is canceled; release → failed', async () => {
    const orderId = await place('noCallback');
    await reserveInventory({ orderId }, world.stepDeps);
    const { statuses } = await chargeAndSettle(orderId);
    expect(statuses).toEqual([]);
    world.timeOut(orderId);
    const answers = [];
    for (let i = 0; i < MAX_STATUS_CHECKS; i++) answers.push((await checkPaymentStatus({ orderId }, world.stepDeps)).paymentStatus);
    expect(answers).toEqual(['pending', 'pending', 'failed']);
    await releaseInventory({ orderId }, world.stepDeps);
    await orderFailed({ orderId }, world.stepDeps);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentStatusChecked', 'PaymentStatusChecked', 'PaymentStatusChecked', 'PaymentTimedOut', 'InventoryReleased', 'OrderFailed']);
    expect((await world.view(orderId)).failure?.reason).toBe('payment_timeout');
    expect((await charge(orderId)).status).toBe('canceled');
    expect(await stock()).toBe(8);
    // Asking again after the end changes nothing.
    expect((await checkPaymentStatus({ orderId }, world.stepDeps)).paymentStatus).toBe('failed');
  });

  it('transient: the provider fails twice (each attempt a new task), the third charges once', async () => {
    const orderId = await place('transient');
    await reserveInventory({ orderId }, world.stepDeps);
    for (let attempt = 1; attempt <= 2; attempt++) {
      await expect(chargePayment({ orderId, taskToken: world.taskToken(orderId) }, world.stepDeps)).rejects.toThrow(PaymentProviderUnavailable);
    }
    const { token } = await chargeAndSettle(orderId);
    expect(world.reports()).toEqual([{ token, outcome: 'succeeded', output: expect.objectContaining({ paymentStatus: 'succeeded' }) }]);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryReserved', 'PaymentRequested', 'PaymentAttemptFailed', 'PaymentAttemptFailed', 'PaymentSucceeded']);
    const charges = (await world.table.getRange(TABLES.paymentSandbox.name, { start: { id: 'ch_' }, end: { id: 'ch`' } })).rows;
    expect(charges).toHaveLength(1);
  });

  it('shipment refused: refund → release → failed, compensations in reverse order', async () => {
    const orderId = await place('success', '000000');
    await reserveInventory({ orderId }, world.stepDeps);
    await chargeAndSettle(orderId);
    await expect(createShipment({ orderId }, world.stepDeps)).rejects.toThrow(ShipmentRejected);
    await refundPayment({ orderId }, world.stepDeps);
    await releaseInventory({ orderId }, world.stepDeps);
    await orderFailed({ orderId }, world.stepDeps);
    const view = await world.view(orderId);
    expect(view.timeline.map((t) => [t.event, t.outcome])).toEqual([
      ['OrderPlaced', 'ok'],
      ['InventoryReserved', 'ok'],
      ['PaymentRequested', 'ok'],
      ['PaymentSucceeded', 'ok'],
      ['ShipmentFailed', 'failed'],
      ['PaymentRefunded', 'compensation'],
      ['InventoryReleased', 'compensation'],
      ['OrderFailed', 'failed'],
    ]);
    expect(view.failure?.reason).toBe('shipment_failed');
    expect((await charge(orderId)).status).toBe('refunded');
    expect(await stock()).toBe(8);
  });

  it('out of stock: OutOfStock, nothing held, failed with the product named', async () => {
    const orderId = await place('success', '310000', 9);
    await expect(reserveInventory({ orderId }, world.stepDeps)).rejects.toThrow(OutOfStock);
    await expect(reserveInventory({ orderId }, world.stepDeps)).rejects.toThrow(OutOfStock);
    await releaseInventory({ orderId }, world.stepDeps);
    await orderFailed({ orderId }, world.stepDeps);
    expect(await events(orderId)).toEqual(['OrderPlaced', 'InventoryUnavailable', 'OrderFailed']);
    expect((await world.view(orderId)).failure).toEqual({ reason: 'out_of_stock', message: 'Kettle is out of stock (8 of 9 left); nothing was charged' });
    expect(await stock()).toBe(8);
  });

  it('every step run twice records once and has its side effect once', async () => {
    const orderId = await place('success', '000000');
    const twice = async (step: () => Promise<unknown>) => {
      await step().catch(() => undefined);
      const version = (await world.view(orderId)).version;
      await step().catch(() => undefined);
      expect((await world.view(orderId)).version).toBe(version);
    };
    await twice(() => reserveInventory({ orderId }, world.stepDeps));
    expect(await stock()).toBe(6);
    const token = world.taskToken(orderId);
    await chargePayment({ orderId, taskToken: token }, world.stepDeps);
    await world.settlePayments();
    await world.deliverWebhooks();
    await twice(() => createShipment({ orderId }, world.stepDeps));
    await twice(() => refundPayment({ orderId }, world.stepDeps));
    await twice(() => releaseInventory({ orderId }, world.stepDeps));
    expect(await stock()).toBe(8);
    await twice(() => orderFailed({ orderId }, world.stepDeps));
    const refunds = world.fc.calls.filter((c) => (c.payload as { op?: string }).op === 'refund');
    expect(refunds).toHaveLength(1);
  });

  it('a rerun of ChargePayment after the answer came reports it to the new task at once', async () => {
    const orderId = await place();
    await reserveInventory({ orderId }, world.stepDeps);
    // Both attempts got their tokens while the execution ran; the first one's webhook came back.
    const first = world.taskToken(orderId);
    const second = world.taskToken(orderId);
    await chargePayment({ orderId, taskToken: first }, world.stepDeps);
    await world.settlePayments();
    await world.deliverWebhooks();
    await chargePayment({ orderId, taskToken: second }, world.stepDeps);
    expect(world.reports().map((r) => [r.token, r.outcome])).toEqual([
      [first, 'succeeded'],
      [second, 'succeeded'],
    ]);
    expect(world.fc.calls.filter((c) => (c.payload as { op?: string }).op === 'charge')).toHaveLength(1);
  });

  it('a webhook that arrives after the task timed out is recorded; the status check then finds it', async () => {
    const orderId = await place();
    await reserveInventory({ orderId }, world.stepDeps);
    const token = world.taskToken(orderId);
    await chargePayment({ orderId, taskToken: token }, world.stepDeps);
    world.timeOut(orderId);
    await world.settlePayments();
    expect(await world.deliverWebhooks()).toEqual([200]);
    // The report was tried and refused (the task no longer waits); the callback still answered 200.
    expect(world.reports()).toMatchObject([{ token, outcome: 'succeeded' }]);
    expect(world.workflow.fake.executions.get(`order-saga/order-${orderId}`)?.status).toBe('TimedOut');
    expect((await checkPaymentStatus({ orderId }, world.stepDeps)).paymentStatus).toBe('succeeded');
    expect((await events(orderId)).filter((e) => e === 'PaymentSucceeded')).toHaveLength(1);
  });

  describe('payment-callback checks', () => {
    let orderId: string;
    let hook: { body: string; headers: Record<string, string> };
    const post = async (body: string, headers: Record<string, string>) => ((await world.callback(httpEvent('POST', '/api/payments/callback', { body, headers }), fakeContext())) as HttpTriggerResponse).statusCode;
    const unchanged = async (version: number) => {
      expect((await world.view(orderId)).version).toBe(version);
      expect(world.reports()).toEqual([]);
    };

    beforeEach(async () => {
      orderId = await place();
      await reserveInventory({ orderId }, world.stepDeps);
      await chargePayment({ orderId, taskToken: world.taskToken(orderId) }, world.stepDeps);
      await world.settlePayments();
      hook = world.webhooks.shift()!;
    });

    it('401 for a tampered body, another secret, a missing or malformed header — nothing changes', async () => {
      const version = (await world.view(orderId)).version;
      const tampered = hook.body.replace('"amount":540', '"amount":1');
      expect(tampered).not.toBe(hook.body);
      expect(await post(tampered, hook.headers)).toBe(401);
      expect(await post(hook.body, { ...hook.headers, 'x-sandbox-signature': signWebhook('another-secret-0123456789', hook.body, world.clock.now()) })).toBe(401);
      expect(await post(hook.body, {})).toBe(401);
      expect(await post(hook.body, { 'x-sandbox-signature': 't=abc,v1=zz' })).toBe(401);
      await unchanged(version);
    });

    it('401 for a stale delivery, even correctly signed', async () => {
      const version = (await world.view(orderId)).version;
      world.clock.advance(6 * 60 * 1000);
      expect(await post(hook.body, hook.headers)).toBe(401);
      // Re-signing the old body with a fresh timestamp needs the secret: an attacker cannot.
      await unchanged(version);
    });

    it('409 for a replay; the first delivery counted once', async () => {
      expect(await post(hook.body, hook.headers)).toBe(200);
      const version = (await world.view(orderId)).version;
      expect(await post(hook.body, hook.headers)).toBe(409);
      expect((await world.view(orderId)).version).toBe(version);
      expect(world.reports()).toHaveLength(1);
    });

    it('404 for an order it does not know; 400 when the status contradicts the type', async () => {
      const version = (await world.view(orderId)).version;
      const stranger = JSON.stringify({ ...JSON.parse(hook.body), id: 'evt_other', data: { ...JSON.parse(hook.body).data, metadata: { orderId: 'ord_00000000000000000000000000' } } });
      expect(await post(stranger, { 'x-sandbox-signature': signWebhook(WEBHOOK_SECRET, stranger, world.clock.now()) })).toBe(404);
      const odd = JSON.stringify({ ...JSON.parse(hook.body), id: 'evt_odd', data: { ...JSON.parse(hook.body).data, status: 'pending' } });
      expect(await post(odd, { 'x-sandbox-signature': signWebhook(WEBHOOK_SECRET, odd, world.clock.now()) })).toBe(400);
      await unchanged(version);
    });
  });
});
