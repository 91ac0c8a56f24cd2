import { OrderNotification, type NewOrderEvent } from '#shared/contracts/orders';
import type { TableStreamRecord } from '#shared/contracts/table-stream';
import { TABLES } from '#shared/contracts/tables';
import { recordEvents } from '#shared/orders/order-book';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import { createOrder } from '../../functions/order-api/core';
import { publishOrderEvents, RecentOrderLogs } from '../../functions/order-notify/core';
import { sendNotification } from '../../functions/send-notification/core';
import { encodeBody } from '#shared/contracts/mns-events';
import { createHandler as createSendHandler } from '../../functions/send-notification/handler';
import { FakeTopic } from '../helpers/fake-messaging';
import { fakeContext } from '../helpers/fakes';
import { ALICE, createOrderWorld, orderRequest, type OrderWorld } from '../helpers/order-world';

/**
 * Notifications: the event log's stream → order-notify publishes what a customer hears about to the
 * `order-events` topic (tagged, with an event id); send-notification delivers each event id once.
 */
describe('order notifications', () => {
  let world: OrderWorld;
  let topic: FakeTopic;
  beforeEach(() => {
    world = createOrderWorld();
    topic = new FakeTopic();
  });
  afterEach(() => world.table.close());

  /** The stream records of an order's events, as the tablestore trigger would deliver them. */
  const streamOf = async (orderId: string): Promise<TableStreamRecord[]> =>
    (await world.table.getRange(TABLES.orderEvents.name, { start: { orderId, seq: INF_MIN }, end: { orderId, seq: INF_MAX } })).rows.map((row) => ({
      type: 'PutRow',
      primaryKey: row.primaryKey,
      timestamp: Number(row.attributes.at),
      columns: Object.entries(row.attributes).map(([name, value]) => ({ type: 'Put', name, value, timestamp: Number(row.attributes.at) })),
    }));

  it('publishes the customer-facing events with their type as tag and an event id', async () => {
    const { orderId } = await createOrder(orderRequest(), 'n1', ALICE, world.apiDeps);
    await recordEvents(world.table, orderId, [
      { type: 'InventoryReserved', step: 'ReserveInventory', key: 'inventory:reserved', at: world.clock.now(), data: { allocations: [] } },
      { type: 'PaymentRequested', step: 'ChargePayment', key: 'payment:requested', at: world.clock.now(), data: { amount: 270, currency: 'CNY' } },
      { type: 'PaymentSucceeded', step: 'ChargePayment', key: 'payment:succeeded', at: world.clock.now(), data: { chargeId: 'ch_1', via: 'callback' } },
    ]);
    const result = await publishOrderEvents(await streamOf(orderId), { table: world.table, topic, log: world.log });
    expect(result.published).toEqual([`${orderId}:1`, `${orderId}:4`]);
    expect(topic.published.map((m) => [m.topic, m.tag, m.attributes?.eventId])).toEqual([
      ['order-events', 'OrderPlaced', `${orderId}:1`],
      ['order-events', 'PaymentSucceeded', `${orderId}:4`],
    ]);
    const paid = OrderNotification.parse(JSON.parse(topic.published[1]!.body));
    expect(paid).toMatchObject({ owner: 'alice', type: 'PaymentSucceeded', status: 'PAID', subject: `Payment confirmed for order ${orderId}`, text: 'CN¥270 paid with Visa\u00a0••••\u00a04242' });
  });

  /** Counts the event-log reads order-notify makes (GetRange on order_events). */
  const countLogReads = () => {
    const calls = { n: 0 };
    const original = world.table.getRange.bind(world.table);
    world.table.getRange = ((table, range) => {
      if (table === TABLES.orderEvents.name) calls.n++;
      return original(table, range);
    }) as typeof world.table.getRange;
    return calls;
  };

  /** Reserved, requested and paid, at `at`: the events after OrderPlaced that lead to a PaymentSucceeded notification. */
  const paid = (at: number): NewOrderEvent[] => [
    { type: 'InventoryReserved', step: 'ReserveInventory', key: 'inventory:reserved', at, data: { allocations: [] } },
    { type: 'PaymentRequested', step: 'ChargePayment', key: 'payment:requested', at, data: { amount: 270, currency: 'CNY' } },
    { type: 'PaymentSucceeded', step: 'ChargePayment', key: 'payment:succeeded', at, data: { chargeId: 'ch_1', via: 'callback' } },
  ];

  it('folds a later batch from the log its instance kept, reading nothing (D120)', async () => {
    const recent = new RecentOrderLogs();
    const { orderId } = await createOrder(orderRequest(), 'n4', ALICE, world.apiDeps);
    const first = await streamOf(orderId);
    await publishOrderEvents(first, { table: world.table, topic, log: world.log, recent });
    await recordEvents(world.table, orderId, paid(world.clock.now()));
    const later = (await streamOf(orderId)).slice(first.length);
    const reads = countLogReads();
    const result = await publishOrderEvents(later, { table: world.table, topic, log: world.log, recent });
    expect(reads.n).toBe(0);
    expect(result.published).toEqual([`${orderId}:4`]);
    expect(OrderNotification.parse(JSON.parse(topic.published[1]!.body))).toMatchObject({ owner: 'alice', type: 'PaymentSucceeded', status: 'PAID', text: 'CN¥270 paid with Visa\u00a0••••\u00a04242' });
  });

  it('reads only what follows the part it knows when a batch starts after a gap', async () => {
    const recent = new RecentOrderLogs();
    const { orderId } = await createOrder(orderRequest(), 'n5', ALICE, world.apiDeps);
    await publishOrderEvents(await streamOf(orderId), { table: world.table, topic, log: world.log, recent });
    await recordEvents(world.table, orderId, paid(world.clock.now()));
    // Only the last record reaches this instance (the ones before went to another).
    const last = (await streamOf(orderId)).slice(-1);
    const ranges: unknown[] = [];
    const original = world.table.getRange.bind(world.table);
    world.table.getRange = ((table, range) => {
      ranges.push(range.start);
      return original(table, range);
    }) as typeof world.table.getRange;
    const result = await publishOrderEvents(last, { table: world.table, topic, log: world.log, recent });
    expect(ranges).toEqual([{ orderId, seq: 2 }]);
    expect(result.published).toEqual([`${orderId}:4`]);
    expect(OrderNotification.parse(JSON.parse(topic.published[1]!.body))).toMatchObject({ status: 'PAID' });
  });

  it('an instance that knows nothing of the order reads its whole log, and keeps at most its capacity', async () => {
    const recent = new RecentOrderLogs(1);
    const a = await createOrder(orderRequest(), 'n6', ALICE, world.apiDeps);
    const b = await createOrder(orderRequest(), 'n7', ALICE, world.apiDeps);
    await publishOrderEvents([...(await streamOf(a.orderId)), ...(await streamOf(b.orderId))], { table: world.table, topic, log: world.log, recent });
    expect(recent.get(a.orderId)).toEqual([]);
    expect(recent.get(b.orderId).map((e) => e.seq)).toEqual([1]);
    await recordEvents(world.table, a.orderId, paid(world.clock.now()));
    const last = (await streamOf(a.orderId)).slice(-1);
    const reads = countLogReads();
    const result = await publishOrderEvents(last, { table: world.table, topic, log: world.log, recent });
    expect(reads.n).toBe(1);
    expect(result.published).toEqual([`${a.orderId}:4`]);
  });

  it('ignores other tables\' shapes of change (deletes, rows without a notified type)', async () => {
    const result = await publishOrderEvents([{ type: 'DeleteRow', primaryKey: { orderId: 'ord_x', seq: 1 }, columns: [], timestamp: 0 }], { table: world.table, topic, log: world.log });
    expect(result.published).toEqual([]);
  });

  it('send-notification delivers each event id once, however often MNS delivers it', async () => {
    const { orderId } = await createOrder(orderRequest(), 'n2', ALICE, world.apiDeps);
    await publishOrderEvents(await streamOf(orderId), { table: world.table, topic, log: world.log });
    const body = JSON.parse(topic.published[0]!.body) as unknown;
    const deps = { table: world.table, clock: world.clock, log: world.log };
    expect(await sendNotification(body, deps)).toEqual({ eventId: `${orderId}:1`, delivered: true });
    expect(await sendNotification(body, deps)).toEqual({ eventId: `${orderId}:1`, delivered: false });
    const inbox = await world.table.getRange(TABLES.notifications.name, { start: { username: 'alice', notificationId: INF_MIN }, end: { username: 'alice', notificationId: INF_MAX } });
    expect(inbox.rows.map((r) => r.attributes.subject)).toEqual([`We received your order ${orderId}`]);
  });

  it('send-notification reads the mns_topic event in STREAM and JSON format (bodies base64, as the Topic port publishes)', async () => {
    const { orderId } = await createOrder(orderRequest(), 'n3', ALICE, world.apiDeps);
    await publishOrderEvents(await streamOf(orderId), { table: world.table, topic, log: world.log });
    const published = topic.published[0]!;
    const handler = createSendHandler(() => ({ table: world.table, clock: world.clock }));
    const stream = Buffer.from(JSON.stringify({ body: encodeBody(published.body), attrs: published.attributes }));
    expect(await handler(stream, fakeContext())).toEqual({ eventId: `${orderId}:1`, delivered: true });
    const json = Buffer.from(JSON.stringify({ TopicOwner: '1', TopicName: 'order-events', Subscriber: '1', SubscriptionName: 's', MessageId: 'M1', Message: encodeBody(published.body), MessageMD5: 'x', MessageTag: published.tag, PublishTime: 1 }));
    expect(await handler(json, fakeContext())).toEqual({ eventId: `${orderId}:1`, delivered: false });
  });

  it('send-notification refuses a message that is not an order notification (it goes to the DLQ after retries)', async () => {
    await expect(sendNotification({ hello: 'world' }, { table: world.table, clock: world.clock, log: world.log })).rejects.toThrow(/invalid message/);
  });
});
