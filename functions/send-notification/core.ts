import { OrderNotification } from '#shared/contracts/orders';
import { TABLES } from '#shared/contracts/tables';
import { ConditionFailedError } from '#shared/errors';
import type { Logger } from '#shared/log';
import type { Clock } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';
import { parseWith } from '#shared/validation';

/**
 * send-notification: consumes MNS topic `order-events` (an `mns_topic` trigger, invoked asynchronously:
 * FC retries a failed delivery and, when the retries are spent, sends the event to the `onFailure`
 * destination, MNS queue `dlq`). "Sending" delivers to the customer's in-app inbox (`notifications`); the
 * write is conditional on the event id, so a redelivered message is delivered once.
 */
export interface SendDeps {
  table: Table;
  clock: Clock;
  log: Logger;
}

const T = TABLES.notifications.name;

export async function sendNotification(body: unknown, deps: SendDeps): Promise<{ eventId: string; delivered: boolean }> {
  const n = parseWith(OrderNotification, body, 'message');
  try {
    await deps.table.putRow(T, { username: n.owner, notificationId: n.eventId }, { orderId: n.orderId, type: n.type, subject: n.subject, text: n.text, at: n.at, deliveredAt: deps.clock.now() }, { condition: { row: 'EXPECT_NOT_EXIST' } });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    deps.log.info({ eventId: n.eventId }, 'notification already delivered');
    return { eventId: n.eventId, delivered: false };
  }
  deps.log.info({ eventId: n.eventId, to: n.owner, subject: n.subject }, 'notification delivered');
  return { eventId: n.eventId, delivered: true };
}
