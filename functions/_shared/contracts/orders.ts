import * as z from 'zod';
import { ProductId, Region } from './products';
import { queryInt } from './query';
import { isPlainText, PLAIN_TEXT_ERROR } from './text';

/**
 * Contracts of the order flow (PRODUCT.md §3 Orders and payments, §4 Order flow): the checkout request,
 * the order view with its timeline, the events the order is folded from, the saga steps' inputs and
 * outputs, and the payment provider's API and webhook. Producer and consumer import the same schemas.
 */

// ---------------------------------------------------------------------------------------------------------
// Identifiers and statuses

export const OrderId = z.string().regex(/^ord_[0-9a-z]{26}$/, 'must be an order id (ord_…)');
export type OrderId = z.infer<typeof OrderId>;

/** The CloudFlow flow every order runs through, and the execution name an order gets (StartExecution is idempotent by it). */
export const ORDER_SAGA_FLOW = 'order-saga';
export const executionNameOf = (orderId: string) => `order-${orderId}`;

export const ORDER_STATUSES = ['PENDING', 'RESERVED', 'PAYMENT_PENDING', 'PAID', 'SHIPPED', 'SUCCEEDED', 'FAILED', 'COMPENSATING'] as const;
export const OrderStatus = z.enum(ORDER_STATUSES);
export type OrderStatus = z.infer<typeof OrderStatus>;
export const TERMINAL_STATUSES: readonly OrderStatus[] = ['SUCCEEDED', 'FAILED'];
export const isTerminal = (status: OrderStatus) => TERMINAL_STATUSES.includes(status);

/** Only these currencies are priced (every product service answers in CNY). */
export const Currency = z.literal('CNY');

// ---------------------------------------------------------------------------------------------------------
// POST /api/orders

/**
 * `Idempotency-Key` header: 1–255 visible ASCII characters, chosen by the client once per checkout attempt
 * (a UUID is typical). Keys are scoped to the signed-in user and kept 24 hours.
 */
export const IdempotencyKey = z
  .string({ message: 'send an Idempotency-Key header (e.g. a UUID) so a retried checkout never orders twice' })
  .min(1, 'send an Idempotency-Key header (e.g. a UUID) so a retried checkout never orders twice')
  // Each check names its own message: the schema's message above would otherwise answer every issue.
  .max(255, 'must be at most 255 characters')
  .regex(/^[\x21-\x7e]+$/, 'must be visible ASCII characters without spaces');

/** The Luhn checksum every card number carries; catches most typos before the provider sees them. */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

/** Card number as typed (spaces and dashes allowed) → digits only. */
export const CardNumber = z
  .string()
  .transform((s) => s.replace(/[\s-]/g, ''))
  .pipe(z.string().regex(/^\d{12,19}$/, 'must be 12–19 digits').refine(luhnValid, 'is not a valid card number (checksum)'));

export const Card = z.strictObject({
  number: CardNumber,
  expMonth: z.number().int().min(1).max(12),
  expYear: z.number().int().min(2000).max(2099),
  cvc: z.string().regex(/^\d{3,4}$/, 'must be 3 or 4 digits'),
});
export type Card = z.infer<typeof Card>;

/** Where the shop delivers: a country → the region that prices and ships the order. */
export const SHIP_TO_COUNTRIES = { CN: 'cn-hangzhou', HK: 'cn-hongkong', SG: 'ap-southeast-1' } as const satisfies Record<string, Region>;
export type ShipToCountry = keyof typeof SHIP_TO_COUNTRIES;
export const COUNTRY_NAMES: Record<ShipToCountry, string> = { CN: 'China (mainland)', HK: 'Hong Kong', SG: 'Singapore' };

const line = (max: number) => z.string().trim().min(1, 'is required').max(max).refine(isPlainText, PLAIN_TEXT_ERROR);
export const Address = z.strictObject({
  name: line(100),
  line1: line(200),
  line2: z.string().trim().max(200).refine(isPlainText, PLAIN_TEXT_ERROR).optional(),
  city: line(100),
  postcode: z.string().trim().regex(/^[A-Za-z0-9][A-Za-z0-9 -]{1,11}$/, 'must be 2–12 letters, digits, spaces or dashes'),
  country: z.enum(Object.keys(SHIP_TO_COUNTRIES) as [ShipToCountry, ...ShipToCountry[]], { message: `we deliver to ${Object.keys(SHIP_TO_COUNTRIES).join(', ')}` }),
});
export type Address = z.infer<typeof Address>;

export const MAX_ORDER_LINES = 20;
export const MAX_LINE_QTY = 99;
export const OrderItemRequest = z.strictObject({ productId: ProductId, qty: z.number().int().min(1).max(MAX_LINE_QTY) });

export const OrderRequest = z
  .strictObject({
    items: z.array(OrderItemRequest).min(1, 'an order has at least one item').max(MAX_ORDER_LINES),
    address: Address,
    card: Card,
    /** Price list to charge (the "Deliver to" region the shopper saw prices for); default: the address's region. */
    region: Region.optional(),
  })
  .superRefine((order, ctx) => {
    const seen = new Set<string>();
    order.items.forEach((item, i) => {
      if (seen.has(item.productId)) ctx.addIssue({ code: 'custom', path: ['items', i, 'productId'], message: 'is listed twice; put the quantity on one line' });
      seen.add(item.productId);
    });
  });
export type OrderRequest = z.infer<typeof OrderRequest>;

export const CreateOrderResponse = z.object({ orderId: OrderId, status: OrderStatus });
export type CreateOrderResponse = z.infer<typeof CreateOrderResponse>;

// ---------------------------------------------------------------------------------------------------------
// Order events (event sourcing: `order_events` rows; the order view is their fold)

export const OrderLine = z.object({
  productId: ProductId,
  name: z.string(),
  qty: z.number().int().min(1),
  /** Price after the best promotion, per unit. */
  unitPrice: z.number().nonnegative(),
  lineTotal: z.number().nonnegative(),
});
export type OrderLine = z.infer<typeof OrderLine>;

export const PaymentMethodSummary = z.object({ methodId: z.string(), brand: z.string(), last4: z.string().length(4) });
export const Allocation = z.object({ productId: ProductId, warehouse: z.string(), qty: z.number().int().min(1) });
export type Allocation = z.infer<typeof Allocation>;

/** Why an order failed, for people and for the notification. */
export const FAILURE_REASONS = ['out_of_stock', 'payment_declined', 'payment_timeout', 'shipment_failed', 'error'] as const;
export const FailureReason = z.enum(FAILURE_REASONS);
export type FailureReason = z.infer<typeof FailureReason>;

/** Each event type and its data. */
export const EVENT_DATA = {
  OrderPlaced: z.object({
    owner: z.string(),
    region: Region,
    items: z.array(OrderLine).min(1),
    subtotal: z.number().nonnegative(),
    shippingFee: z.number().nonnegative(),
    total: z.number().nonnegative(),
    currency: Currency,
    address: Address,
    payment: PaymentMethodSummary,
    /** The carrier and delivery estimate quoted at checkout (product-shipping). */
    delivery: z.object({ carrier: z.string(), etaDays: z.object({ min: z.number().int(), max: z.number().int() }) }),
  }),
  InventoryReserved: z.object({ allocations: z.array(Allocation) }),
  InventoryUnavailable: z.object({ productId: ProductId, requested: z.number().int(), available: z.number().int() }),
  /** Recorded before the provider is asked, so a fast webhook always lands after it. */
  PaymentRequested: z.object({ amount: z.number(), currency: Currency }),
  PaymentAttemptFailed: z.object({ attempt: z.number().int().min(1), message: z.string() }),
  PaymentSucceeded: z.object({ chargeId: z.string(), via: z.enum(['callback', 'status-check']) }),
  PaymentDeclined: z.object({ chargeId: z.string(), code: z.string(), message: z.string() }),
  PaymentStatusChecked: z.object({ chargeId: z.string(), check: z.number().int().min(1), status: z.string() }),
  PaymentTimedOut: z.object({ chargeId: z.string(), checks: z.number().int() }),
  ShipmentCreated: z.object({ shipmentId: z.string(), carrier: z.string(), trackingNumber: z.string(), etaDays: z.object({ min: z.number().int(), max: z.number().int() }) }),
  ShipmentFailed: z.object({ code: z.string(), message: z.string() }),
  PaymentRefunded: z.object({ chargeId: z.string(), refundId: z.string(), amount: z.number() }),
  PaymentCanceled: z.object({ chargeId: z.string() }),
  InventoryReleased: z.object({ allocations: z.array(Allocation) }),
  OrderSucceeded: z.object({}),
  OrderFailed: z.object({ reason: FailureReason, message: z.string() }),
} as const;
export type OrderEventType = keyof typeof EVENT_DATA;
export const ORDER_EVENT_TYPES = Object.keys(EVENT_DATA) as OrderEventType[];
export type EventData<T extends OrderEventType> = z.infer<(typeof EVENT_DATA)[T]>;

/** The saga's steps (CloudFlow state names in flows/order-saga.yaml); `PlaceOrder` is order-api. */
export const SAGA_STEPS = ['PlaceOrder', 'ReserveInventory', 'ChargePayment', 'CheckPaymentStatus', 'CreateShipment', 'OrderSucceeded', 'RefundPayment', 'ReleaseInventory', 'OrderFailed'] as const;
export const SagaStep = z.enum(SAGA_STEPS);
export type SagaStep = z.infer<typeof SagaStep>;

interface EventBase {
  orderId: string;
  /** 1, 2, 3… without gaps: the order's version after this event. */
  seq: number;
  /** Epoch ms. */
  at: number;
  step: SagaStep;
  /**
   * What makes this event unique within its order (e.g. `ReserveInventory:reserved`): a step that runs
   * again (a retry, a redelivery, a restart) finds its event and does not append it twice.
   */
  key: string;
}
export type OrderEvent = { [T in OrderEventType]: EventBase & { type: T; data: EventData<T> } }[OrderEventType];
/** An event before it has a place in the log. */
export type NewOrderEvent = { [T in OrderEventType]: Omit<EventBase, 'seq' | 'orderId'> & { type: T; data: EventData<T> } }[OrderEventType];

/** Parse stored event data with its type's schema (a row written by another version fails loudly, naming it). */
export function parseEvent(raw: { orderId: string; seq: number; at: number; step: string; key: string; type: string; data: unknown }): OrderEvent {
  const type = raw.type as OrderEventType;
  const schema = EVENT_DATA[type];
  if (!schema) throw new Error(`order ${raw.orderId} event ${raw.seq}: unknown type ${raw.type}`);
  return { orderId: raw.orderId, seq: raw.seq, at: raw.at, step: SagaStep.parse(raw.step), key: raw.key, type, data: schema.parse(raw.data) } as OrderEvent;
}

// ---------------------------------------------------------------------------------------------------------
// GET /api/orders/{id}, GET /api/orders

export const TimelineEntry = z.object({
  /** The saga step that recorded it. */
  step: SagaStep,
  /** The event, e.g. `PaymentDeclined`. */
  event: z.enum(ORDER_EVENT_TYPES as [OrderEventType, ...OrderEventType[]]),
  /** The order's status once this happened. */
  status: OrderStatus,
  /** `ok` moved the order on, `failed` is a failure, `compensation` undoes earlier work, `info` is a note. */
  outcome: z.enum(['ok', 'failed', 'compensation', 'info']),
  at: z.string(),
  detail: z.string().optional(),
});
export type TimelineEntry = z.infer<typeof TimelineEntry>;

export const OrderView = z.object({
  orderId: OrderId,
  owner: z.string(),
  status: OrderStatus,
  /** Number of events so far: `?waitFor=<version>` answers once the order has moved past it. */
  version: z.number().int().min(1),
  items: z.array(OrderLine),
  subtotal: z.number(),
  shippingFee: z.number(),
  total: z.number(),
  currency: Currency,
  region: Region,
  address: Address,
  payment: PaymentMethodSummary.omit({ methodId: true }),
  shipment: EVENT_DATA.ShipmentCreated.optional(),
  failure: EVENT_DATA.OrderFailed.optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  timeline: z.array(TimelineEntry),
});
export type OrderView = z.infer<typeof OrderView>;

export const OrderSummary = OrderView.pick({ orderId: true, status: true, version: true, total: true, currency: true, createdAt: true, updatedAt: true }).extend({
  itemCount: z.number().int(),
  /** The first line's product name, for a list that says what was bought. */
  title: z.string(),
});
export type OrderSummary = z.infer<typeof OrderSummary>;
export const OrderList = z.object({ orders: z.array(OrderSummary), nextCursor: z.string().optional() });
export type OrderList = z.infer<typeof OrderList>;

/** Long-poll: wait for a version above `waitFor`, at most `LONG_POLL_MAX_SECONDS`. */
export const LONG_POLL_MAX_SECONDS = 25;
export const OrderQuery = z.strictObject({ waitFor: queryInt(0).optional() });
export const OrderListQuery = z.strictObject({ limit: queryInt(1, 50).default(20), cursor: OrderId.optional() });

// ---------------------------------------------------------------------------------------------------------
// Saga steps: what CloudFlow passes each task (`Parameters.body`) and what each returns

export const StepInput = z.object({ orderId: OrderId });
export type StepInput = z.infer<typeof StepInput>;
/** ChargePayment runs as `WaitForCustomCallback`: it gets the task token the callback reports to. */
export const ChargeInput = StepInput.extend({ taskToken: z.string().min(1) });
export type ChargeInput = z.infer<typeof ChargeInput>;

export const ReserveOutput = z.object({ orderId: OrderId, allocations: z.array(Allocation) });
export const ChargeOutput = z.object({ orderId: OrderId, chargeId: z.string(), status: z.literal('pending') });
/** What payment-callback reports to the waiting ChargePayment task (it becomes that task's result). */
export const PaymentResult = z.object({ orderId: OrderId, chargeId: z.string(), paymentStatus: z.literal('succeeded') });
export type PaymentResult = z.infer<typeof PaymentResult>;
export const CheckPaymentOutput = z.object({ orderId: OrderId, chargeId: z.string(), paymentStatus: z.enum(['succeeded', 'pending', 'failed']), checks: z.number().int() });
export type CheckPaymentOutput = z.infer<typeof CheckPaymentOutput>;
export const ShipmentOutput = z.object({ orderId: OrderId, shipmentId: z.string() });
export const OrderOutcome = z.object({ orderId: OrderId, status: OrderStatus });

/**
 * Errors the steps raise, by name: FC reports a thrown error's `name` as its type and CloudFlow matches
 * `Retry`/`Catch` rules on it (flows/order-saga.yaml).
 */
export const STEP_ERRORS = {
  /** Not enough stock for an item: not retried, the saga compensates. */
  OutOfStock: 'OutOfStock',
  /** The provider declined the card (also the error reported by payment-callback). */
  PaymentDeclined: 'PaymentDeclined',
  /** The provider could not be reached or answered 5xx: retried with backoff. */
  PaymentProviderUnavailable: 'PaymentProviderUnavailable',
  /** The carrier refused the parcel: not retried, the saga refunds and releases. */
  ShipmentRejected: 'ShipmentRejected',
  /** A concurrent writer won too often (stock, event log): retried. */
  Contention: 'Contention',
} as const;

/** The sandbox carrier refuses parcels to this postcode: the "test card" of the shipment failure path. */
export const UNDELIVERABLE_POSTCODE = '000000';

// ---------------------------------------------------------------------------------------------------------
// Payment provider: the sandbox's API (FC InvokeFunction payloads) and its webhook

/** The sandbox's test cards (PRODUCT.md §3); any other valid number succeeds. */
export const SANDBOX_CARDS = {
  success: '4242424242424242',
  decline: '4000000000000002',
  noCallback: '4000000000009995',
  transient: '4000000000000119',
} as const;
export type SandboxScenario = keyof typeof SANDBOX_CARDS;

export const ChargeStatus = z.enum(['pending', 'succeeded', 'failed', 'canceled', 'refunded']);
export type ChargeStatus = z.infer<typeof ChargeStatus>;

export const ProviderRequest = z.discriminatedUnion('op', [
  z.object({ op: z.literal('tokenize'), card: Card }),
  z.object({
    op: z.literal('charge'),
    paymentMethodId: z.string(),
    amount: z.number().positive(),
    currency: Currency,
    /** The same key answers the same charge (the provider's own idempotency). */
    idempotencyKey: z.string().min(1).max(255),
    metadata: z.record(z.string(), z.string()).default({}),
  }),
  z.object({ op: z.literal('get'), chargeId: z.string() }),
  z.object({ op: z.literal('cancel'), chargeId: z.string() }),
  z.object({ op: z.literal('refund'), chargeId: z.string(), idempotencyKey: z.string().min(1).max(255) }),
]);
export type ProviderRequest = z.infer<typeof ProviderRequest>;

/** The sandbox's settlement job (`payment-webhook`, invoked asynchronously): settle a charge, send its webhook. */
export const SettlementJob = z.object({ chargeId: z.string().min(1) });
export type SettlementJob = z.infer<typeof SettlementJob>;

export const PaymentMethod = z.object({ paymentMethodId: z.string(), brand: z.string(), last4: z.string() });
export type PaymentMethod = z.infer<typeof PaymentMethod>;
export const Charge = z.object({
  chargeId: z.string(),
  status: ChargeStatus,
  amount: z.number(),
  currency: Currency,
  failureCode: z.string().optional(),
  failureMessage: z.string().optional(),
  refundId: z.string().optional(),
  metadata: z.record(z.string(), z.string()),
});
export type Charge = z.infer<typeof Charge>;

/** Signature header of a webhook: `t=<epoch ms>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>`. */
export const WEBHOOK_SIGNATURE_HEADER = 'x-sandbox-signature';
/** A webhook older (or newer) than this is refused as stale. */
export const WEBHOOK_TOLERANCE_MS = 5 * 60 * 1000;

export const PaymentWebhook = z.object({
  /** Unique per delivery content: a replay of the same id is refused (409). */
  id: z.string().min(1).max(100),
  type: z.enum(['charge.succeeded', 'charge.failed']),
  created: z.number().int(),
  data: Charge,
});
export type PaymentWebhook = z.infer<typeof PaymentWebhook>;

// ---------------------------------------------------------------------------------------------------------
// Notifications: what order-notify publishes to MNS topic `order-events`

export const ORDER_EVENTS_TOPIC = 'order-events';
/** The events a customer hears about. */
export const NOTIFIED_EVENTS = ['OrderPlaced', 'PaymentSucceeded', 'ShipmentCreated', 'OrderSucceeded', 'OrderFailed'] as const satisfies readonly OrderEventType[];
export const OrderNotification = z.object({
  /** `<orderId>:<seq>`: consumers deduplicate on it (MNS delivers at least once). */
  eventId: z.string(),
  orderId: OrderId,
  owner: z.string(),
  type: z.enum(NOTIFIED_EVENTS),
  status: OrderStatus,
  at: z.string(),
  subject: z.string(),
  text: z.string(),
});
export type OrderNotification = z.infer<typeof OrderNotification>;
