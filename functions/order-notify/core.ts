import { NOTIFIED_EVENTS, ORDER_EVENTS_TOPIC, type OrderEvent, type OrderNotification, type OrderStatus, type OrderView } from '#shared/contracts/orders';
import type { TableStreamRecord } from '#shared/contracts/table-stream';
import type { Logger } from '#shared/log';
import { describe, nextStatus } from '#shared/orders/fold';
import { OrderEventStore, toEvent } from '#shared/orders/event-store';
import type { Row, Table } from '#shared/ports/table';
import type { Topic } from '#shared/ports/topic';

/**
 * order-notify: fired by the TableStore stream of `order_events` (the log is the outbox: an event that
 * was written will be published, even if the step that wrote it died right after). The events a customer
 * hears about are published to MNS topic `order-events`, tagged with their type, carrying `eventId =
 * <orderId>:<seq>` so subscribers deduplicate (the stream and MNS both deliver at least once).
 */
export interface NotifyDeps {
  table: Table;
  topic: Topic;
  topicName?: string;
  log: Logger;
  /** The logs this instance already knows (kept across invocations by the handler); none: every batch reads. */
  recent?: RecentOrderLogs;
}

const SUBJECTS: Record<(typeof NOTIFIED_EVENTS)[number], (view: Pick<OrderView, 'orderId' | 'owner'>) => string> = {
  OrderPlaced: (v) => `We received your order ${v.orderId}`,
  PaymentSucceeded: (v) => `Payment confirmed for order ${v.orderId}`,
  ShipmentCreated: (v) => `Order ${v.orderId} has shipped`,
  OrderSucceeded: (v) => `Order ${v.orderId} is complete`,
  OrderFailed: (v) => `Order ${v.orderId} could not be completed`,
};

const isNotified = (type: string): type is (typeof NOTIFIED_EVENTS)[number] => (NOTIFIED_EVENTS as readonly string[]).includes(type);

/**
 * The notifications for the events at `seqs` of one order's whole log (from seq 1): one pass over the log,
 * each event's status being the fold's status after it (`nextStatus`, as `foldOrder` moves it).
 */
export function notificationsOf(log: readonly OrderEvent[], seqs: ReadonlySet<number>): OrderNotification[] {
  const placed = log[0]?.type === 'OrderPlaced' ? log[0].data : undefined;
  if (!placed) return [];
  const out: OrderNotification[] = [];
  let status: OrderStatus = 'PENDING';
  for (const event of log) {
    status = nextStatus(status, event.type) ?? status;
    if (!seqs.has(event.seq) || !isNotified(event.type)) continue;
    const view = { orderId: event.orderId, owner: placed.owner };
    out.push({
      eventId: `${event.orderId}:${event.seq}`,
      orderId: event.orderId,
      owner: placed.owner,
      type: event.type,
      status,
      at: new Date(event.at).toISOString(),
      subject: SUBJECTS[event.type](view),
      text: describe(event, placed),
    });
  }
  return out;
}

/**
 * The logs of the orders this instance published lately, each from seq 1 without gaps. The stream delivers
 * every event of `order_events`, usually the next ones of an order seen in an earlier batch, so the log a
 * notification is folded from is mostly known already: only what is missing is read (docs/decisions.md D120).
 * Events are never changed once written (each seq is written once, EXPECT_NOT_EXIST), so a kept log stays true.
 */
export class RecentOrderLogs {
  private readonly logs = new Map<string, OrderEvent[]>();

  constructor(private readonly capacity = 2000) {}

  /** The order's log from seq 1 as far as it is known without a gap (empty when unknown). */
  get(orderId: string): OrderEvent[] {
    return this.logs.get(orderId) ?? [];
  }

  set(orderId: string, log: OrderEvent[]): void {
    // Newest last: a Map keeps insertion order, so the first key is the order published longest ago.
    this.logs.delete(orderId);
    this.logs.set(orderId, log);
    if (this.logs.size > this.capacity) this.logs.delete(this.logs.keys().next().value!);
  }
}

/** `log` (from seq 1, no gaps) extended by those of `events` that continue it, in seq order. */
function extend(log: OrderEvent[], events: OrderEvent[]): OrderEvent[] {
  const next = [...log];
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) if (event.seq === next.length + 1) next.push(event);
  return next;
}

const rowOf = (record: TableStreamRecord): Row => ({ primaryKey: record.primaryKey, attributes: Object.fromEntries(record.columns.filter((c) => c.type === 'Put' && c.value !== undefined).map((c) => [c.name, c.value!])) });

export async function publishOrderEvents(records: TableStreamRecord[], deps: NotifyDeps): Promise<{ published: string[] }> {
  const store = new OrderEventStore(deps.table);
  const recent = deps.recent ?? new RecentOrderLogs();
  const published: string[] = [];
  const byOrder = new Map<string, { seqs: Set<number>; events: OrderEvent[] }>();
  for (const record of records) {
    if (record.type !== 'PutRow') continue;
    const event = toEvent(rowOf(record));
    const order = byOrder.get(event.orderId) ?? { seqs: new Set<number>(), events: [] };
    byOrder.set(event.orderId, order);
    // Every event continues the kept log; only the customer-facing ones are published.
    order.events.push(event);
    if (isNotified(event.type)) order.seqs.add(event.seq);
  }
  for (const [orderId, { seqs, events }] of byOrder) {
    let log = extend(recent.get(orderId), events);
    const last = Math.max(0, ...seqs);
    if (last === 0) {
      recent.set(orderId, log);
      continue;
    }
    // A gap before the last event to publish (an earlier batch went to another instance, or this one forgot
    // the order): read what follows the known part.
    if (log.length < last) log = extend(log, await store.read(orderId, log.length));
    recent.set(orderId, log);
    for (const notification of notificationsOf(log, seqs)) {
      await deps.topic.publish(deps.topicName ?? ORDER_EVENTS_TOPIC, { body: JSON.stringify(notification), tag: notification.type.slice(0, 16), attributes: { eventId: notification.eventId, orderId } });
      published.push(notification.eventId);
    }
  }
  if (published.length > 0) deps.log.info({ published }, 'order events published');
  return { published };
}
