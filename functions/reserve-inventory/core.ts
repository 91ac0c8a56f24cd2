import type { Allocation, StepInput } from '#shared/contracts/orders';
import { reserveStock } from '#shared/inventory/stock-holds';
import { OutOfStock } from '#shared/orders/errors';
import { findEvent, placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import type { StockStepDeps } from '#shared/orders/step-deps';

/**
 * ReserveInventory (saga step 1): hold every line's units in `product_inventory` (all or nothing, see
 * `stock-holds.ts`) and record `InventoryReserved`; when a line cannot be filled, record
 * `InventoryUnavailable` and fail with `OutOfStock` (the saga then ends the order as failed). Running it
 * again answers what the first run decided.
 */
export async function reserveInventory(input: StepInput, deps: StockStepDeps): Promise<{ orderId: string; allocations: Allocation[] }> {
  const order = await requireOrder(deps.table, input.orderId);
  const reserved = findEvent(order.log, 'InventoryReserved');
  if (reserved) return { orderId: input.orderId, allocations: reserved.data.allocations };
  const unavailable = findEvent(order.log, 'InventoryUnavailable');
  if (unavailable) throw new OutOfStock(`${unavailable.data.productId}: ${unavailable.data.available} of ${unavailable.data.requested} in stock`);

  const placed = placedOf(order);
  const outcome = await reserveStock(deps, input.orderId, placed.items.map((i) => ({ productId: i.productId, qty: i.qty })), placed.region);
  const at = deps.clock.now();
  if (!outcome.ok) {
    await recordEvents(deps.table, input.orderId, [{ type: 'InventoryUnavailable', step: 'ReserveInventory', key: 'inventory:unavailable', at, data: { productId: outcome.productId, requested: outcome.requested, available: outcome.available } }], order.log);
    deps.log.info({ orderId: input.orderId, productId: outcome.productId }, 'out of stock');
    throw new OutOfStock(`${outcome.productId}: ${outcome.available} of ${outcome.requested} in stock`);
  }
  await recordEvents(deps.table, input.orderId, [{ type: 'InventoryReserved', step: 'ReserveInventory', key: 'inventory:reserved', at, data: { allocations: outcome.allocations } }], order.log);
  return { orderId: input.orderId, allocations: outcome.allocations };
}
