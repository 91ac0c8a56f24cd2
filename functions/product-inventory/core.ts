import type { Inventory } from '#shared/contracts/products';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import { INF_MAX, INF_MIN, type Table } from '#shared/ports/table';

/**
 * product-inventory: stock per warehouse. Owns `product_inventory` (productId, warehouse) → available,
 * region. The order flow's inventory steps (reserve-inventory, release-inventory and the commit in
 * order-succeeded) hold units on these same rows (`_shared/inventory/stock-holds.ts`, decision D37), so the
 * page's `available` is what checkout can still sell.
 */
export interface InventoryDeps {
  table: Table;
}

/** Below this many units the page says "only a few left". */
export const LOW_STOCK_THRESHOLD = 10;
const T = TABLES.productInventory.name;

export async function getInventory(productId: string, region: string, deps: InventoryDeps): Promise<Inventory> {
  const page = await deps.table.getRange(T, { start: { productId, warehouse: INF_MIN }, end: { productId, warehouse: INF_MAX }, limit: 100 });
  if (page.rows.length === 0) throw new NotFoundError(`no stock records for ${productId}`);
  const warehouses = page.rows.map((row) => ({
    warehouse: String(row.primaryKey.warehouse),
    region: String(row.attributes.region),
    available: Math.max(0, Number(row.attributes.available)),
  }));
  const available = warehouses.reduce((sum, w) => sum + w.available, 0);
  const stocked = warehouses.filter((w) => w.available > 0);
  const nearest = stocked.find((w) => w.region === region) ?? stocked.sort((a, b) => b.available - a.available)[0];
  return {
    productId,
    status: available === 0 ? 'out_of_stock' : available < LOW_STOCK_THRESHOLD ? 'low_stock' : 'in_stock',
    available,
    ...(nearest ? { nearest } : {}),
    warehouses,
  };
}

export async function putStock(productId: string, warehouse: string, region: string, available: number, deps: InventoryDeps): Promise<void> {
  await deps.table.putRow(T, { productId, warehouse }, { region, available });
}
