import type { Allocation, StepInput } from '#shared/contracts/orders';
import { releaseStock } from '#shared/inventory/stock-holds';
import { findEvent, placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import type { StockStepDeps } from '#shared/orders/step-deps';

/**
 * ReleaseInventory (compensation): return every unit the order holds to `available` (idempotent: a row
 * without the order's hold is left alone) and record `InventoryReleased` with what the order had reserved
 * — also when an earlier run already returned the units but died before recording it.
 */
export async function releaseInventory(input: StepInput, deps: StockStepDeps): Promise<{ orderId: string; released: Allocation[] }> {
  const order = await requireOrder(deps.table, input.orderId);
  const released = await releaseStock(deps, input.orderId, placedOf(order).items.map((i) => i.productId));
  const reserved = findEvent(order.log, 'InventoryReserved');
  if (reserved) {
    await recordEvents(deps.table, input.orderId, [{ type: 'InventoryReleased', step: 'ReleaseInventory', key: 'inventory:released', at: deps.clock.now(), data: { allocations: reserved.data.allocations } }], order.log);
  }
  return { orderId: input.orderId, released };
}
