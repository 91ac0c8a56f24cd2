import type { OrderStatus, StepInput } from '#shared/contracts/orders';
import { commitOps } from '#shared/inventory/stock-holds';
import { placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import type { StockStepDeps } from '#shared/orders/step-deps';

/** OrderSucceeded (the end of the happy path): the held units are sold (holds dropped) and the order is complete. */
export async function orderSucceeded(input: StepInput, deps: StockStepDeps): Promise<{ orderId: string; status: OrderStatus }> {
  const order = await requireOrder(deps.table, input.orderId);
  // The holds are committed in the same request as the event (D53); a rerun commits whatever is still held.
  const commits = await commitOps(deps.table, input.orderId, placedOf(order).items.map((i) => i.productId));
  const { view } = await recordEvents(deps.table, input.orderId, [{ type: 'OrderSucceeded', step: 'OrderSucceeded', key: 'order:succeeded', at: deps.clock.now(), data: {} }], order.log, commits.map((c) => c.op));
  return { orderId: input.orderId, status: view.status };
}
