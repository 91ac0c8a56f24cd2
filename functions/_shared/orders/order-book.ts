import { OrderStatus, type NewOrderEvent, type OrderEvent, type OrderList, type OrderView } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConditionFailedError } from '../errors';
import { INF_MAX, INF_MIN, type Table } from '../ports/table';
import { OrderNotFound } from './errors';
import { OrderEventStore } from './event-store';
import { foldOrder, summarize } from './fold';

/**
 * Reading and recording orders: the event log is the truth, the view its fold, and the `orders` row per
 * owner a projection kept for "my orders" (written after every append, never read back to decide anything).
 */
export interface LoadedOrder {
  log: OrderEvent[];
  view: OrderView;
}

const ORDERS = TABLES.orders.name;

/** The order, or undefined when it has no events. */
export async function findOrder(table: Table, orderId: string): Promise<LoadedOrder | undefined> {
  const log = await new OrderEventStore(table).read(orderId);
  return log.length === 0 ? undefined : { log, view: foldOrder(log) };
}

/** For saga steps: the order must exist (a step for an unknown order is a mistake, not a retry). */
export async function requireOrder(table: Table, orderId: string): Promise<LoadedOrder> {
  const order = await findOrder(table, orderId);
  if (!order) throw new OrderNotFound(`order ${orderId} does not exist`);
  return order;
}

/**
 * Append events (those not recorded yet, by key) and refresh the projection; answers the new state.
 * The projection is refreshed even when nothing was appended, so a step that died between its append and
 * its projection write repairs the list when it runs again.
 */
export async function recordEvents(table: Table, orderId: string, events: readonly NewOrderEvent[], known?: OrderEvent[]): Promise<LoadedOrder> {
  const log = await new OrderEventStore(table).append(orderId, events, known);
  const view = foldOrder(log);
  await projectOrder(table, view);
  return { log, view };
}

/** Write the list row unless a newer version is already there (writers may finish out of order). */
export async function projectOrder(table: Table, view: OrderView): Promise<void> {
  const summary = summarize(view);
  try {
    await table.updateRow(
      ORDERS,
      { owner: view.owner, orderId: view.orderId },
      { put: { status: summary.status, version: summary.version, total: summary.total, currency: summary.currency, itemCount: summary.itemCount, title: summary.title, createdAt: summary.createdAt, updatedAt: summary.updatedAt } },
      { condition: { columns: { column: 'version', op: 'LT', value: view.version, passIfMissing: true } } },
    );
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
}

/** The owner's orders, newest first (order ids sort by creation time). */
export async function listOrders(table: Table, owner: string, limit: number, cursor?: string): Promise<OrderList> {
  // A cursor is the last id of the previous page; BACKWARD ranges include their start, so it comes back and is skipped.
  const page = await table.getRange(ORDERS, {
    start: { owner, orderId: cursor ?? INF_MAX },
    end: { owner, orderId: INF_MIN },
    direction: 'BACKWARD',
    limit: limit + 1 + (cursor ? 1 : 0),
  });
  const rows = page.rows.filter((row) => row.primaryKey.orderId !== cursor);
  const orders = rows.slice(0, limit).map((row) => {
    const a = row.attributes;
    return {
      orderId: String(row.primaryKey.orderId),
      status: OrderStatus.parse(a.status),
      version: Number(a.version),
      total: Number(a.total),
      currency: 'CNY' as const,
      createdAt: String(a.createdAt),
      updatedAt: String(a.updatedAt),
      itemCount: Number(a.itemCount),
      title: String(a.title),
    };
  });
  const last = orders.at(-1);
  const more = rows.length > limit || (!!page.nextStartPrimaryKey && rows.length === orders.length);
  return { orders, ...(more && last ? { nextCursor: last.orderId } : {}) };
}

/** The first event of a type in the log, typed. */
export function findEvent<T extends OrderEvent['type']>(log: readonly OrderEvent[], type: T): Extract<OrderEvent, { type: T }> | undefined {
  return log.find((e): e is Extract<OrderEvent, { type: T }> => e.type === type);
}

export function countEvents(log: readonly OrderEvent[], type: OrderEvent['type']): number {
  return log.filter((e) => e.type === type).length;
}

/** The OrderPlaced data every step works from. */
export function placedOf(order: LoadedOrder) {
  return findEvent(order.log, 'OrderPlaced')!.data;
}
