import type { Allocation } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConditionFailedError } from '../errors';
import { Contention } from '../orders/errors';
import type { Sleep } from '../ports/clock';
import { INF_MAX, INF_MIN, type BatchWriteOp, type Row, type Table } from '../ports/table';

/**
 * Order holds on stock, in the inventory service's own table (`product_inventory`: one row per product and
 * warehouse with an `available` count), so the product page always shows what checkout can still sell.
 *
 * A hold is a column `hold_<orderId>` = units on the warehouse row, written in the **same conditional
 * update** that lowers `available`:
 *   put available = v − n, hold_<orderId> = n   if available = v and hold_<orderId> is absent
 * TableStore applies a row's update and its condition atomically, so
 * - `available` never goes below zero (n ≤ v, and v is what the row holds at that instant);
 * - an order holds a row at most once (a second run finds its column and counts it instead);
 * - releasing is the mirror update (`available = v + n`, delete the column, if both are as read), so a
 *   release that runs twice returns the units once.
 * A lost race (another order changed `available`) re-reads the row and tries again; every loss means
 * somebody else's update succeeded, so the loop ends after at most one round per competing order.
 */
const T = TABLES.productInventory.name;
const MAX_ROUNDS_PER_ROW = 200;

export const holdColumn = (orderId: string) => `hold_${orderId}`;

export interface StockDeps {
  table: Table;
  sleep: Sleep;
  /** Jitter between lost races, so a crowd of orders does not retry in lockstep. */
  random?: () => number;
}

export interface ReserveLine {
  productId: string;
  qty: number;
}

export type ReserveOutcome = { ok: true; allocations: Allocation[] } | { ok: false; productId: string; requested: number; available: number };

async function warehouseRows(table: Table, productId: string): Promise<Row[]> {
  const page = await table.getRange(T, { start: { productId, warehouse: INF_MIN }, end: { productId, warehouse: INF_MAX }, limit: 100 });
  return page.rows;
}

const heldOn = (row: Row, column: string): number => {
  const value = row.attributes[column];
  return typeof value === 'number' ? value : 0;
};

/** Rows in the region first (nearest warehouse), then by name: every run of one order visits rows in the same order. */
function preferenceOrder(rows: Row[], region: string): Row[] {
  const name = (r: Row) => String(r.primaryKey.warehouse);
  return [...rows].sort((a, b) => Number(b.attributes.region === region) - Number(a.attributes.region === region) || (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
}

async function backoff(deps: StockDeps, round: number): Promise<void> {
  const random = deps.random ?? Math.random;
  await deps.sleep(Math.min(50, 1 + round) * random());
}

/**
 * Hold up to `wanted` units on one warehouse row for the order; answers how many the order holds there
 * now (including a hold an earlier run left).
 */
async function holdOnRow(deps: StockDeps, row: Row, orderId: string, wanted: number): Promise<number> {
  const column = holdColumn(orderId);
  let current: Row | undefined = row;
  for (let round = 0; round < MAX_ROUNDS_PER_ROW; round++) {
    if (!current) return 0;
    const already = heldOn(current, column);
    if (already > 0) return already;
    const available = Number(current.attributes.available ?? 0);
    const take = Math.min(Math.max(0, available), wanted);
    if (take === 0) return 0;
    try {
      await deps.table.updateRow(T, current.primaryKey, { put: { available: available - take, [column]: take } }, {
        condition: {
          row: 'EXPECT_EXIST',
          columns: { and: [{ column: 'available', op: 'EQ', value: available, passIfMissing: false }, { column, op: 'LT', value: 0, passIfMissing: true }] },
        },
      });
      return take;
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      await backoff(deps, round);
      current = await deps.table.getRow(T, current.primaryKey);
    }
  }
  throw new Contention(`stock of ${String(row.primaryKey.productId)} at ${String(row.primaryKey.warehouse)} kept changing`);
}

/**
 * Hold every line's quantity, nearest warehouse first, splitting a line across warehouses when needed.
 * All or nothing: when a line cannot be filled, every hold of this order is returned and the outcome says
 * which product was short. Safe to run again for the same order (holds are counted, never doubled).
 */
export async function reserveStock(deps: StockDeps, orderId: string, lines: readonly ReserveLine[], region: string): Promise<ReserveOutcome> {
  const column = holdColumn(orderId);
  for (const line of lines) {
    let held = 0;
    for (const row of preferenceOrder(await warehouseRows(deps.table, line.productId), region)) {
      if (held >= line.qty) break;
      const already = heldOn(row, column);
      held += already > 0 ? already : await holdOnRow(deps, row, orderId, line.qty - held);
    }
    if (held < line.qty) {
      await releaseStock(deps, orderId, lines.map((l) => l.productId));
      return { ok: false, productId: line.productId, requested: line.qty, available: held };
    }
  }
  // Check what is held now. Two runs of one order at once (a retry overlapping a slow first attempt) could
  // each fill a line from different rows while stock came back in between; then start over cleanly.
  const allocations = await holdsOf(deps.table, orderId, lines.map((l) => l.productId));
  const over = lines.some((line) => allocations.filter((a) => a.productId === line.productId).reduce((n, a) => n + a.qty, 0) !== line.qty);
  if (over) {
    await releaseStock(deps, orderId, lines.map((l) => l.productId));
    throw new Contention(`order ${orderId}: overlapping reservations were undone; reserve again`);
  }
  return { ok: true, allocations };
}

/** The warehouse rows of these products on which the order holds units, with how many. */
async function heldRows(table: Table, orderId: string, productIds: readonly string[]): Promise<{ productId: string; row: Row; qty: number }[]> {
  const column = holdColumn(orderId);
  const held: { productId: string; row: Row; qty: number }[] = [];
  for (const productId of productIds) {
    for (const row of await warehouseRows(table, productId)) {
      const qty = heldOn(row, column);
      if (qty > 0) held.push({ productId, row, qty });
    }
  }
  return held;
}

const allocationOf = ({ productId, row, qty }: { productId: string; row: Row; qty: number }): Allocation => ({ productId, warehouse: String(row.primaryKey.warehouse), qty });

/** What the order holds now, per product and warehouse. */
export async function holdsOf(table: Table, orderId: string, productIds: readonly string[]): Promise<Allocation[]> {
  return (await heldRows(table, orderId, productIds)).map(allocationOf);
}

/**
 * Return every unit the order holds on these products to `available`. Idempotent: a row without the
 * order's hold is left alone. Answers what was returned by this call.
 */
export async function releaseStock(deps: StockDeps, orderId: string, productIds: readonly string[]): Promise<Allocation[]> {
  const column = holdColumn(orderId);
  const released: Allocation[] = [];
  for (const productId of productIds) {
    for (const row of await warehouseRows(deps.table, productId)) {
      let current: Row | undefined = row;
      for (let round = 0; current && heldOn(current, column) > 0; round++) {
        if (round >= MAX_ROUNDS_PER_ROW) throw new Contention(`stock of ${productId} kept changing while releasing`);
        const qty = heldOn(current, column);
        const available = Number(current.attributes.available ?? 0);
        try {
          await deps.table.updateRow(T, current.primaryKey, { put: { available: available + qty }, delete: [column] }, {
            condition: { row: 'EXPECT_EXIST', columns: { and: [{ column: 'available', op: 'EQ', value: available, passIfMissing: false }, { column, op: 'EQ', value: qty, passIfMissing: false }] } },
          });
          released.push({ productId, warehouse: String(current.primaryKey.warehouse), qty });
          break;
        } catch (err) {
          if (!(err instanceof ConditionFailedError)) throw err;
          await backoff(deps, round);
          current = await deps.table.getRow(T, current.primaryKey);
        }
      }
    }
  }
  return released;
}

/**
 * The order went through: its held units are sold. The hold columns are dropped (the units stay out of
 * `available`); the record of what was taken lives on in the order's events.
 */
export async function commitStock(deps: StockDeps, orderId: string, productIds: readonly string[]): Promise<Allocation[]> {
  const committed: Allocation[] = [];
  for (const { op, allocation } of await commitOps(deps.table, orderId, productIds)) {
    try {
      await deps.table.updateRow(op.table, op.primaryKey, op.update, { condition: op.condition });
      committed.push(allocation);
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
    }
  }
  return committed;
}

/**
 * The writes that commit the order's holds (one conditional update per held row: a hold already committed
 * or released fails its condition and changes nothing), for a caller that sends them in its own
 * BatchWriteRow — `order-succeeded` sends them with its event (docs/decisions.md D53).
 */
export async function commitOps(table: Table, orderId: string, productIds: readonly string[]): Promise<{ op: Extract<BatchWriteOp, { type: 'UPDATE' }>; allocation: Allocation }[]> {
  const column = holdColumn(orderId);
  return (await heldRows(table, orderId, productIds)).map((held) => ({
    op: { type: 'UPDATE', table: T, primaryKey: held.row.primaryKey, update: { delete: [column] }, condition: { row: 'EXPECT_EXIST', columns: { column, op: 'EQ', value: held.qty, passIfMissing: false } } },
    allocation: allocationOf(held),
  }));
}
