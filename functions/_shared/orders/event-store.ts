import { parseEvent, type NewOrderEvent, type OrderEvent } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConditionFailedError } from '../errors';
import { INF_MAX, INF_MIN, type BatchWriteOp, type RangeBound, type Row, type Table } from '../ports/table';
import { Contention } from './errors';

/**
 * The order event log on the Table port: `order_events` (orderId, seq) rows, seq 1, 2, 3… without gaps.
 *
 * Appending is optimistic: read the log, write the next seq with EXPECT_NOT_EXIST, and start over when
 * another writer took that seq. Because a write at seq N+1 only succeeds while the writer has seen events
 * 1…N, each event's `key` is unique within its order: a step that runs again (a flow retry, an MNS or FC
 * redelivery, a restart) finds its events already there and appends nothing — that is how every step is
 * idempotent per (orderId, step).
 */
const T = TABLES.orderEvents.name;
/** Writers racing on one order (a webhook and a step) settle within a few rounds; more means something loops. */
const MAX_APPEND_ROUNDS = 25;

/** A stored event row (from a read, or a stream record's columns) as the event it holds, its data checked by type. */
export function toEvent(row: Row): OrderEvent {
  const a = row.attributes;
  return parseEvent({
    orderId: String(row.primaryKey.orderId),
    seq: Number(row.primaryKey.seq),
    at: Number(a.at),
    step: String(a.step),
    key: String(a.key),
    type: String(a.type),
    data: JSON.parse(String(a.data)) as unknown,
  });
}

export class OrderEventStore {
  constructor(private readonly table: Table) {}

  /** Every event of the order in seq order (empty when the order does not exist). */
  async read(orderId: string, afterSeq = 0): Promise<OrderEvent[]> {
    const events: OrderEvent[] = [];
    let start: RangeBound = { orderId, seq: afterSeq > 0 ? afterSeq + 1 : INF_MIN };
    for (;;) {
      const page = await this.table.getRange(T, { start, end: { orderId, seq: INF_MAX }, limit: 500 });
      events.push(...page.rows.map(toEvent));
      if (!page.nextStartPrimaryKey) return events;
      start = page.nextStartPrimaryKey;
    }
  }

  /** The order's current version (its last seq), 0 when it does not exist: one small read, for long polls. */
  async version(orderId: string): Promise<number> {
    const page = await this.table.getRange(T, { start: { orderId, seq: INF_MAX }, end: { orderId, seq: INF_MIN }, direction: 'BACKWARD', limit: 1, columns: ['key'] });
    const row = page.rows[0];
    return row ? Number(row.primaryKey.seq) : 0;
  }

  /** The events the log does not have yet (by key), in the order given. */
  static missing(log: readonly OrderEvent[], events: readonly NewOrderEvent[]): NewOrderEvent[] {
    const keys = new Set(log.map((e) => e.key));
    return events.filter((e) => !keys.has(e.key));
  }

  /** The write that appends `event` after `log` (at the next seq, only if nobody took it): for a BatchWriteRow. */
  static appendOp(orderId: string, log: readonly OrderEvent[], event: NewOrderEvent): { op: BatchWriteOp; log: OrderEvent[] } {
    const seq = (log.at(-1)?.seq ?? 0) + 1;
    return {
      op: { type: 'PUT', table: T, primaryKey: { orderId, seq }, attributes: { type: event.type, step: event.step, key: event.key, at: event.at, data: JSON.stringify(event.data) }, condition: { row: 'EXPECT_NOT_EXIST' } },
      log: [...log, { ...event, orderId, seq } as OrderEvent],
    };
  }

  /**
   * Append the events whose keys the log does not have yet, in order; answers the whole log afterwards.
   * @example const log = await store.append(orderId, [{ type: 'OrderSucceeded', step: 'OrderSucceeded', key: 'order:succeeded', at: now, data: {} }]);
   */
  async append(orderId: string, events: readonly NewOrderEvent[], known?: OrderEvent[]): Promise<OrderEvent[]> {
    let log = known ?? (await this.read(orderId));
    for (let round = 0; round < MAX_APPEND_ROUNDS; round++) {
      const missing = OrderEventStore.missing(log, events);
      if (missing.length === 0) return log;
      try {
        for (const event of missing) {
          const next = OrderEventStore.appendOp(orderId, log, event);
          const { table, primaryKey, attributes, condition } = next.op as Extract<BatchWriteOp, { type: 'PUT' }>;
          await this.table.putRow(table, primaryKey, attributes, { condition });
          log = next.log;
        }
        return log;
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
        // Another writer took that seq: read what it wrote and try again.
        log = await this.read(orderId);
      }
    }
    throw new Contention(`order ${orderId}: the event log kept changing while appending`);
  }
}
