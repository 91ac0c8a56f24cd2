import type { FailureReason, OrderEvent, OrderStatus, StepInput } from '#shared/contracts/orders';
import { releaseStock } from '#shared/inventory/stock-holds';
import { findEvent, placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import type { StockStepDeps } from '#shared/orders/step-deps';

/**
 * OrderFailed (the end of every failure path, after the compensations): record why, in the customer's
 * words. As a last safety net it returns any stock the order still holds (normally ReleaseInventory did).
 */
export function failureOf(log: readonly OrderEvent[]): { reason: FailureReason; message: string } {
  const placed = findEvent(log, 'OrderPlaced')?.data;
  const unavailable = findEvent(log, 'InventoryUnavailable');
  if (unavailable) {
    const name = placed?.items.find((i) => i.productId === unavailable.data.productId)?.name ?? unavailable.data.productId;
    return { reason: 'out_of_stock', message: `${name} is out of stock (${unavailable.data.available} of ${unavailable.data.requested} left); nothing was charged` };
  }
  if (findEvent(log, 'PaymentDeclined')) return { reason: 'payment_declined', message: 'The card was declined; nothing was charged and the items are back in stock' };
  if (findEvent(log, 'PaymentTimedOut')) return { reason: 'payment_timeout', message: 'The payment was not confirmed in time; the charge was canceled and the items are back in stock' };
  // Say only what the log shows: a refund that has not happened yet is not called done.
  const money = findEvent(log, 'PaymentRefunded')
    ? 'the payment was refunded'
    : findEvent(log, 'PaymentSucceeded')
      ? 'the refund is pending and support has been told'
      : 'nothing was charged';
  if (findEvent(log, 'ShipmentFailed')) return { reason: 'shipment_failed', message: `The carrier could not take the parcel; ${money} and the items are back in stock` };
  return { reason: 'error', message: `Something went wrong while processing the order; ${money}` };
}

export async function orderFailed(input: StepInput, deps: StockStepDeps): Promise<{ orderId: string; status: OrderStatus }> {
  const order = await requireOrder(deps.table, input.orderId);
  const leftover = await releaseStock(deps, input.orderId, placedOf(order).items.map((i) => i.productId));
  if (leftover.length > 0) deps.log.warn({ orderId: input.orderId, leftover }, 'stock was still held when the order failed; returned it');
  const failure = failureOf(order.log);
  if (findEvent(order.log, 'PaymentSucceeded') && !findEvent(order.log, 'PaymentRefunded')) deps.log.error({ orderId: input.orderId }, 'order failed after a payment that was not refunded: refund it by hand');
  const { view } = await recordEvents(deps.table, input.orderId, [{ type: 'OrderFailed', step: 'OrderFailed', key: 'order:failed', at: deps.clock.now(), data: failure }], order.log);
  return { orderId: input.orderId, status: view.status };
}
