import { NOTIFIED_EVENTS, ORDER_EVENTS_TOPIC, type OrderEvent, type OrderNotification, type OrderView } from '#shared/contracts/orders';
import type { TableStreamRecord } from '#shared/contracts/table-stream';
import type { Logger } from '#shared/log';
import { describe, foldOrder } from '#shared/orders/fold';
import { OrderEventStore } from '#shared/orders/event-store';
import type { Table } from '#shared/ports/table';
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
}

const SUBJECTS: Record<(typeof NOTIFIED_EVENTS)[number], (view: OrderView) => string> = {
  OrderPlaced: (v) => `We received your order ${v.orderId}`,
  PaymentSucceeded: (v) => `Payment confirmed for order ${v.orderId}`,
  ShipmentCreated: (v) => `Order ${v.orderId} has shipped`,
  OrderSucceeded: (v) => `Order ${v.orderId} is complete`,
  OrderFailed: (v) => `Order ${v.orderId} could not be completed`,
};

const isNotified = (type: string): type is (typeof NOTIFIED_EVENTS)[number] => (NOTIFIED_EVENTS as readonly string[]).includes(type);

export function notificationOf(event: OrderEvent, log: readonly OrderEvent[]): OrderNotification | undefined {
  if (!isNotified(event.type)) return undefined;
  const view = foldOrder(log.filter((e) => e.seq <= event.seq));
  const placed = log[0]?.type === 'OrderPlaced' ? log[0].data : undefined;
  if (!placed) return undefined;
  return {
    eventId: `${event.orderId}:${event.seq}`,
    orderId: event.orderId,
    owner: view.owner,
    type: event.type,
    status: view.status,
    at: new Date(event.at).toISOString(),
    subject: SUBJECTS[event.type](view),
    text: describe(event, placed),
  };
}

export async function publishOrderEvents(records: TableStreamRecord[], deps: NotifyDeps): Promise<{ published: string[] }> {
  const store = new OrderEventStore(deps.table);
  const published: string[] = [];
  const byOrder = new Map<string, Set<number>>();
  for (const record of records) {
    if (record.type !== 'PutRow') continue;
    const orderId = String(record.primaryKey.orderId);
    const type = String(record.columns.find((c) => c.name === 'type')?.value ?? '');
    if (!isNotified(type)) continue;
    byOrder.set(orderId, (byOrder.get(orderId) ?? new Set()).add(Number(record.primaryKey.seq)));
  }
  for (const [orderId, seqs] of byOrder) {
    const log = await store.read(orderId);
    for (const event of log.filter((e) => seqs.has(e.seq))) {
      const notification = notificationOf(event, log);
      if (!notification) continue;
      await deps.topic.publish(deps.topicName ?? ORDER_EVENTS_TOPIC, { body: JSON.stringify(notification), tag: event.type.slice(0, 16), attributes: { eventId: notification.eventId, orderId } });
      published.push(notification.eventId);
    }
  }
  if (published.length > 0) deps.log.info({ published }, 'order events published');
  return { published };
}
