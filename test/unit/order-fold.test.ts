import { OrderView, type EventData, type NewOrderEvent, type OrderEvent } from '#shared/contracts/orders';
import { formatMoney } from '#shared/money';
import { foldOrder, nextStatus, summarize } from '#shared/orders/fold';

/**
 * The order view is the fold of its events: each saga path's events give the statuses and timeline a
 * shopper sees, late events never move the order backwards, and the fold is strict about its input.
 */
const ORDER = 'ord_01jd3k9x4m8r0v6t2c7b5n1q3w';
const T0 = Date.UTC(2026, 10, 25, 12, 0, 0);

const placed: EventData<'OrderPlaced'> = {
  owner: 'alice',
  region: 'cn-hangzhou',
  items: [
    { productId: 'p-kettle', name: 'Kettle', qty: 2, unitPrice: 270, lineTotal: 540 },
    { productId: 'p-mug', name: 'Mug', qty: 1, unitPrice: 40, lineTotal: 40 },
  ],
  subtotal: 580,
  shippingFee: 0,
  total: 580,
  currency: 'CNY',
  address: { name: 'Alice', line1: '1 Lake Rd', city: 'Hangzhou', postcode: '310000', country: 'CN' },
  payment: { methodId: 'pm_1', brand: 'Visa', last4: '4242' },
  delivery: { carrier: 'SF Express', etaDays: { min: 1, max: 2 } },
};
const allocations = [
  { productId: 'p-kettle', warehouse: 'wh-hangzhou', qty: 2 },
  { productId: 'p-mug', warehouse: 'wh-hangzhou', qty: 1 },
];

function log(...events: NewOrderEvent[]): OrderEvent[] {
  return events.map((e, i) => ({ ...e, orderId: ORDER, seq: i + 1, at: T0 + i * 1000 }) as OrderEvent);
}
const ev = <T extends NewOrderEvent['type']>(type: T, step: NewOrderEvent['step'], data: EventData<T>, key: string = type): NewOrderEvent => ({ type, step, key, at: 0, data }) as NewOrderEvent;

const PLACED = ev('OrderPlaced', 'PlaceOrder', placed);
const RESERVED = ev('InventoryReserved', 'ReserveInventory', { allocations });
const REQUESTED = ev('PaymentRequested', 'ChargePayment', { amount: 580, currency: 'CNY' });
const PAID = ev('PaymentSucceeded', 'ChargePayment', { chargeId: 'ch_1', via: 'callback' });
const SHIPPED = ev('ShipmentCreated', 'CreateShipment', { shipmentId: 'shp_1', carrier: 'SF Express', trackingNumber: 'SB1CN', etaDays: { min: 1, max: 2 } });
const RELEASED = ev('InventoryReleased', 'ReleaseInventory', { allocations });

describe('order fold', () => {
  it('walks the happy path: pending → reserved → payment pending → paid → shipped → succeeded', () => {
    const events = log(PLACED, RESERVED, REQUESTED, PAID, SHIPPED, ev('OrderSucceeded', 'OrderSucceeded', {}));
    const view = OrderView.parse(foldOrder(events));
    expect(view.timeline.map((t) => t.status)).toEqual(['PENDING', 'RESERVED', 'PAYMENT_PENDING', 'PAID', 'SHIPPED', 'SUCCEEDED']);
    expect(view).toMatchObject({ orderId: ORDER, owner: 'alice', status: 'SUCCEEDED', version: 6, total: 580, payment: { brand: 'Visa', last4: '4242' }, shipment: { trackingNumber: 'SB1CN' } });
    expect(view.createdAt).toBe(new Date(T0).toISOString());
    expect(view.updatedAt).toBe(new Date(T0 + 5000).toISOString());
    expect(view.timeline[0]!.detail).toBe('3 items, CN¥580, paying with Visa\u00a0••••\u00a04242');
    expect(view.timeline.every((t) => t.outcome === 'ok')).toBe(true);
    expect(view).not.toHaveProperty('payment.methodId');
  });

  it('writes amounts as the website does (CN¥1,195.10, never CNY 1195.10)', () => {
    const view = foldOrder(log(ev('OrderPlaced', 'PlaceOrder', { ...placed, subtotal: 1195.1, total: 1195.1 }), RESERVED, ev('PaymentRequested', 'ChargePayment', { amount: 1195.1, currency: 'CNY' })));
    expect(view.timeline.map((t) => t.detail)).toEqual([
      '3 items, CN¥1,195.10, paying with Visa\u00a0••••\u00a04242',
      '3 units reserved',
      'Charging CN¥1,195.10; waiting for the payment provider',
    ]);
  });

  it('formats whole and fractional amounts alike however they alternate (one formatter per precision, D120)', () => {
    expect([999, 1195.1, 999, 0.5, 1195.1].map((n) => formatMoney(n))).toEqual(['CN¥999', 'CN¥1,195.10', 'CN¥999', 'CN¥0.50', 'CN¥1,195.10']);
    expect(formatMoney(12.5, 'USD')).toBe('$12.50');
  });

  it('shows a decline, the stock coming back and the failure, in that order', () => {
    const events = log(PLACED, RESERVED, REQUESTED, ev('PaymentDeclined', 'ChargePayment', { chargeId: 'ch_1', code: 'card_declined', message: 'The issuing bank refused the charge.' }), RELEASED, ev('OrderFailed', 'OrderFailed', { reason: 'payment_declined', message: 'The card was declined' }));
    const view = foldOrder(events);
    expect(view.timeline.map((t) => [t.event, t.status, t.outcome])).toEqual([
      ['OrderPlaced', 'PENDING', 'ok'],
      ['InventoryReserved', 'RESERVED', 'ok'],
      ['PaymentRequested', 'PAYMENT_PENDING', 'ok'],
      ['PaymentDeclined', 'COMPENSATING', 'failed'],
      ['InventoryReleased', 'COMPENSATING', 'compensation'],
      ['OrderFailed', 'FAILED', 'failed'],
    ]);
    expect(view.failure).toEqual({ reason: 'payment_declined', message: 'The card was declined' });
    expect(view.timeline[3]!.detail).toBe('Card declined: The issuing bank refused the charge.');
    expect(view.timeline[4]!.detail).toBe('3 units back in stock');
  });

  it('keeps retries and status checks as notes that do not move the status', () => {
    const events = log(PLACED, RESERVED, REQUESTED, ev('PaymentAttemptFailed', 'ChargePayment', { attempt: 1, message: 'down' }, 'a1'), ev('PaymentStatusChecked', 'CheckPaymentStatus', { chargeId: 'ch_1', check: 1, status: 'pending' }, 'c1'));
    const view = foldOrder(events);
    expect(view.status).toBe('PAYMENT_PENDING');
    expect(view.timeline.slice(3).map((t) => [t.outcome, t.detail])).toEqual([
      ['info', 'Payment provider unavailable (attempt 1); trying again'],
      ['info', 'No answer from the payment provider yet; status check 1: pending'],
    ]);
  });

  it('never moves the order backwards when a webhook overtakes its own request', () => {
    const events = log(PLACED, RESERVED, PAID, REQUESTED);
    expect(foldOrder(events).status).toBe('PAID');
    expect(nextStatus('SHIPPED', 'PaymentSucceeded')).toBe('SHIPPED');
    expect(nextStatus('COMPENSATING', 'InventoryReserved')).toBe('COMPENSATING');
    expect(nextStatus('SUCCEEDED', 'OrderFailed')).toBe('SUCCEEDED');
    expect(nextStatus('FAILED', 'ShipmentCreated')).toBe('FAILED');
    expect(nextStatus('PAID', 'PaymentStatusChecked')).toBe('PAID');
  });

  it('summarizes for the list', () => {
    expect(summarize(foldOrder(log(PLACED, RESERVED)))).toEqual({
      orderId: ORDER,
      status: 'RESERVED',
      version: 2,
      total: 580,
      currency: 'CNY',
      createdAt: new Date(T0).toISOString(),
      updatedAt: new Date(T0 + 1000).toISOString(),
      itemCount: 3,
      title: 'Kettle and 1 more',
    });
  });

  it('refuses a log that does not start with OrderPlaced, or mixes orders', () => {
    expect(() => foldOrder([])).toThrow(/first event is OrderPlaced/);
    expect(() => foldOrder(log(RESERVED))).toThrow(/first event is OrderPlaced, not InventoryReserved/);
    const mixed = log(PLACED, RESERVED);
    mixed[1] = { ...mixed[1]!, orderId: 'ord_other' } as OrderEvent;
    expect(() => foldOrder(mixed)).toThrow(/belongs to ord_other/);
  });

  it('is a pure function of the events', () => {
    const events = log(PLACED, RESERVED, REQUESTED);
    expect(foldOrder(events)).toEqual(foldOrder(structuredClone(events)));
  });
});
