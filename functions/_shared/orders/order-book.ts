import { OrderStatus, type NewOrderEvent, type OrderEvent, type OrderList, type OrderView } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConditionFailedError, RetryableError } from '../errors';
import { INF_MAX, INF_MIN, type BatchWriteOp, type BatchWriteResult, type Table } from '../ports/table';
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
  return log.length === 0 ? undefined : loadedOrder(log);
}

/**
 * The log with its view folded on first use: a saga step decides from the log alone and most never look at
 * the view (with its timeline of sentences), so a step does not fold what it will not read (D120).
 */
function loadedOrder(log: OrderEvent[]): LoadedOrder {
  let view: OrderView | undefined;
  return {
    log,
    get view() {
      view ??= foldOrder(log);
      return view;
    },
  };
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
 *
 * `alsoWrite`: the step's own rows that go with this record (the payment row, the stock commit), written
 * in the same BatchWriteRow. They must be idempotent writes: a failed condition on one of them is taken as
 * "already done"; any other failure throws, so the step runs again.
 *
 * The usual case — one new event on a log the caller has just read — is **one** request: the event (at the
 * next seq, EXPECT_NOT_EXIST), the projection and `alsoWrite` in one BatchWriteRow (docs/decisions.md D53).
 * Its rows are not one transaction: when the event loses its seq to another writer, the projection written
 * beside it folded a log that did not happen; the writer then reads the log, appends after the winner (or
 * finds its event there) and writes the projection again from the true log, overwriting the same version.
 */
export async function recordEvents(table: Table, orderId: string, events: readonly NewOrderEvent[], known?: OrderEvent[], alsoWrite: readonly BatchWriteOp[] = []): Promise<LoadedOrder> {
  const store = new OrderEventStore(table);
  let log = known ?? (await store.read(orderId));
  const missing = OrderEventStore.missing(log, events);
  if (missing.length === 1) {
    const next = OrderEventStore.appendOp(orderId, log, missing[0]!);
    const view = foldOrder(next.log);
    const [appended, , ...others] = await writeAll(table, [next.op, projectionOp(view), ...alsoWrite]);
    if (!appended!.ok && appended!.code !== CONDITION_FAILED) throw rowError(appended!);
    throwOnFailure(others);
    if (appended!.ok) return { log: next.log, view };
    // Another writer took that seq: append after it from the log as it is.
    log = await store.read(orderId);
    log = await store.append(orderId, events, log);
    const truth = foldOrder(log);
    await projectOrder(table, truth);
    return { log, view: truth };
  }
  log = await store.append(orderId, events, log);
  const view = foldOrder(log);
  const [, ...others] = await writeAll(table, [projectionOp(view), ...alsoWrite]);
  throwOnFailure(others);
  return { log, view };
}

const CONDITION_FAILED = 'OTSConditionCheckFail';

async function writeAll(table: Table, ops: BatchWriteOp[]): Promise<BatchWriteResult[]> {
  const results = await table.batchWriteRow(ops);
  // The projection never decides anything: only a failure other than its version condition matters.
  const projection = results[ops.findIndex((op) => op.table === ORDERS)];
  if (projection && !projection.ok && projection.code !== CONDITION_FAILED) throw rowError(projection);
  return results;
}

function throwOnFailure(results: readonly (BatchWriteResult | undefined)[]): void {
  for (const r of results) if (r && !r.ok && r.code !== CONDITION_FAILED) throw rowError(r);
}

function rowError(result: Extract<BatchWriteResult, { ok: false }>): Error {
  return new RetryableError(`TableStore ${result.code}: ${result.message}`, result.code);
}

/**
 * The list row's write: unless a newer version is there. The same version is overwritten — every writer of
 * version v but one folds the true log of v, and that one (a batched write whose event lost) rewrites it.
 */
function projectionOp(view: OrderView): BatchWriteOp {
  const summary = summarize(view);
  return {
    type: 'UPDATE',
    table: ORDERS,
    primaryKey: { owner: view.owner, orderId: view.orderId },
    update: { put: { status: summary.status, version: summary.version, total: summary.total, currency: summary.currency, itemCount: summary.itemCount, title: summary.title, createdAt: summary.createdAt, updatedAt: summary.updatedAt } },
    condition: { columns: { column: 'version', op: 'LE', value: view.version, passIfMissing: true } },
  };
}

/** Write the list row unless a newer version is already there (writers may finish out of order). */
export async function projectOrder(table: Table, view: OrderView): Promise<void> {
  const op = projectionOp(view) as Extract<BatchWriteOp, { type: 'UPDATE' }>;
  try {
    await table.updateRow(op.table, op.primaryKey, op.update, { condition: op.condition });
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
