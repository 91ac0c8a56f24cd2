import type { EventData, OrderEvent, OrderEventType, OrderStatus, OrderSummary, OrderView, TimelineEntry } from '../contracts/orders';
import { isTerminal } from '../contracts/orders';
import { formatMoney as money } from '../money';

/**
 * The order view is the fold of its events (event sourcing): no stored status is ever read to answer
 * `GET /api/orders/{id}`. Pure: the same events always give the same view.
 */

type Outcome = TimelineEntry['outcome'];

/** How each event moves the order: the status it leads to (`undefined`: unchanged) and its kind. */
const EFFECT: Record<OrderEventType, { status?: OrderStatus; outcome: Outcome }> = {
  OrderPlaced: { status: 'PENDING', outcome: 'ok' },
  InventoryReserved: { status: 'RESERVED', outcome: 'ok' },
  InventoryUnavailable: { status: 'COMPENSATING', outcome: 'failed' },
  PaymentRequested: { status: 'PAYMENT_PENDING', outcome: 'ok' },
  PaymentAttemptFailed: { outcome: 'info' },
  PaymentStatusChecked: { outcome: 'info' },
  PaymentSucceeded: { status: 'PAID', outcome: 'ok' },
  PaymentDeclined: { status: 'COMPENSATING', outcome: 'failed' },
  PaymentTimedOut: { status: 'COMPENSATING', outcome: 'failed' },
  ShipmentCreated: { status: 'SHIPPED', outcome: 'ok' },
  ShipmentFailed: { status: 'COMPENSATING', outcome: 'failed' },
  PaymentRefunded: { status: 'COMPENSATING', outcome: 'compensation' },
  PaymentCanceled: { status: 'COMPENSATING', outcome: 'compensation' },
  InventoryReleased: { status: 'COMPENSATING', outcome: 'compensation' },
  OrderSucceeded: { status: 'SUCCEEDED', outcome: 'ok' },
  OrderFailed: { status: 'FAILED', outcome: 'failed' },
};

/**
 * The forward path only moves forward: a late event of an earlier stage (a webhook that overtook its own
 * request) never takes the status back. Compensation and the end states are not ranked.
 */
const FORWARD_RANK: Partial<Record<OrderStatus, number>> = { PENDING: 0, RESERVED: 1, PAYMENT_PENDING: 2, PAID: 3, SHIPPED: 4 };

export function nextStatus(current: OrderStatus | undefined, event: OrderEventType): OrderStatus | undefined {
  const target = EFFECT[event].status;
  if (!target || !current) return target ?? current;
  if (isTerminal(current)) return current;
  if (current === 'COMPENSATING' && FORWARD_RANK[target] !== undefined) return current;
  const from = FORWARD_RANK[current];
  const to = FORWARD_RANK[target];
  if (from !== undefined && to !== undefined && to < from) return current;
  return target;
}

const units = (n: number) => `${n} unit${n === 1 ? '' : 's'}`;
/** "Visa •••• 4242" with no-break spaces: a narrow screen must not put the last four digits on a line of their own. */
const cardText = (payment: { brand: string; last4: string }) => `${payment.brand}\u00a0••••\u00a0${payment.last4}`;

/** One human sentence per event, in the words a shopper understands. */
export function describe(event: OrderEvent, placed: EventData<'OrderPlaced'>): string {
  const nameOf = (productId: string) => placed.items.find((i) => i.productId === productId)?.name ?? productId;
  switch (event.type) {
    case 'OrderPlaced': {
      const count = event.data.items.reduce((n, i) => n + i.qty, 0);
      return `${count} item${count === 1 ? '' : 's'}, ${money(event.data.total, event.data.currency)}, paying with ${cardText(event.data.payment)}`;
    }
    case 'InventoryReserved':
      return `${units(event.data.allocations.reduce((n, a) => n + a.qty, 0))} reserved`;
    case 'InventoryUnavailable':
      return `Only ${event.data.available} of ${event.data.requested} × ${nameOf(event.data.productId)} in stock`;
    case 'PaymentRequested':
      return `Charging ${money(event.data.amount, event.data.currency)}; waiting for the payment provider`;
    case 'PaymentAttemptFailed':
      return `Payment provider unavailable (attempt ${event.data.attempt}); trying again`;
    case 'PaymentStatusChecked':
      return `No answer from the payment provider yet; status check ${event.data.check}: ${event.data.status}`;
    case 'PaymentSucceeded':
      return `${money(placed.total, placed.currency)} paid with ${cardText(placed.payment)}${event.data.via === 'status-check' ? ' (confirmed by a status check)' : ''}`;
    case 'PaymentDeclined':
      return `Card declined: ${event.data.message}`;
    case 'PaymentTimedOut':
      return `No payment confirmation after ${event.data.checks} status checks; the charge was canceled`;
    case 'ShipmentCreated':
      return `Shipped with ${event.data.carrier}, tracking ${event.data.trackingNumber}, arrives in ${event.data.etaDays.min}–${event.data.etaDays.max} days`;
    case 'ShipmentFailed':
      return `The carrier refused the parcel: ${event.data.message}`;
    case 'PaymentRefunded':
      return `${money(event.data.amount, placed.currency)} refunded`;
    case 'PaymentCanceled':
      return 'The pending charge was canceled; nothing was taken';
    case 'InventoryReleased':
      return `${units(event.data.allocations.reduce((n, a) => n + a.qty, 0))} back in stock`;
    case 'OrderSucceeded':
      return 'Paid, shipped and done: thank you for your order';
    case 'OrderFailed':
      return event.data.message;
  }
}

/**
 * Events (in `seq` order, starting with `OrderPlaced`) → the order view.
 * @example const view = foldOrder(await events.read(orderId));
 */
export function foldOrder(events: readonly OrderEvent[]): OrderView {
  const first = events[0];
  if (!first || first.type !== 'OrderPlaced') throw new Error(`an order's first event is OrderPlaced, not ${first?.type ?? 'nothing'}`);
  const placed = first.data;
  let status: OrderStatus = 'PENDING';
  const view: Omit<OrderView, 'status' | 'version' | 'updatedAt' | 'timeline'> = {
    orderId: first.orderId,
    owner: placed.owner,
    items: placed.items,
    subtotal: placed.subtotal,
    shippingFee: placed.shippingFee,
    total: placed.total,
    currency: placed.currency,
    region: placed.region,
    address: placed.address,
    payment: { brand: placed.payment.brand, last4: placed.payment.last4 },
    createdAt: new Date(first.at).toISOString(),
  };
  const timeline: TimelineEntry[] = [];
  let last: OrderEvent = first;
  for (const event of events) {
    if (event.orderId !== first.orderId) throw new Error(`event ${event.seq} belongs to ${event.orderId}, not ${first.orderId}`);
    status = nextStatus(status, event.type) ?? status;
    if (event.type === 'ShipmentCreated') view.shipment = event.data;
    if (event.type === 'OrderFailed') view.failure = event.data;
    timeline.push({ step: event.step, event: event.type, status, outcome: EFFECT[event.type].outcome, at: new Date(event.at).toISOString(), detail: describe(event, placed) });
    last = event;
  }
  return { ...view, status, version: last.seq, updatedAt: new Date(last.at).toISOString(), timeline };
}

/** The list row of an order ("My orders"). */
export function summarize(view: OrderView): OrderSummary {
  const [firstLine, ...others] = view.items;
  return {
    orderId: view.orderId,
    status: view.status,
    version: view.version,
    total: view.total,
    currency: view.currency,
    createdAt: view.createdAt,
    updatedAt: view.updatedAt,
    itemCount: view.items.reduce((n, i) => n + i.qty, 0),
    title: others.length > 0 ? `${firstLine?.name ?? ''} and ${others.length} more` : (firstLine?.name ?? ''),
  };
}
