import { DEMO_PRODUCTS, DEMO_USERS, SHIPPING_RATES } from '#shared/demo/catalog';
import { ALL_TABLES, TABLES } from '#shared/contracts/tables';
import { ManualClock } from '#shared/ports/clock';
import { INF_MAX, INF_MIN, type BatchWriteOp, type Table } from '#shared/ports/table';
import { seedDemoData } from '../../functions/demo-seed/core';
import { BufferedWrites } from '../../functions/demo-seed/buffered-writes';
import { getProductInfo, listProducts } from '../../functions/product-info/core';
import { getInventory } from '../../functions/product-inventory/core';
import { DEFAULT_REGION, getPrice } from '../../functions/product-price/core';
import { getReviews } from '../../functions/product-reviews/core';
import { getSales } from '../../functions/product-sales/core';
import { getShipping } from '../../functions/product-shipping/core';
import { createMemoryTable, type MemoryTable } from '../helpers/memory-table';

/** Counts the requests a Table receives (the seed writes its catalogue in a few batches, D43). */
function counting(table: Table): { table: Table; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const counted = new Proxy(table, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        calls[String(name)] = (calls[String(name)] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { table: counted, calls };
}

describe('demo-seed', () => {
  const clock = new ManualClock(Date.parse('2026-11-26T00:00:00Z'));
  let table: MemoryTable;

  beforeEach(() => {
    table = createMemoryTable(ALL_TABLES, clock);
  });
  afterEach(() => table.close());

  it('writes the whole catalogue and the users in a few requests, readable by every service', async () => {
    const { table: counted, calls } = counting(table);
    expect(await seedDemoData({ table: counted, clock })).toEqual({ productsCreated: DEMO_PRODUCTS.length, usersCreated: DEMO_USERS.length });
    // One request per row was ~130 requests; now: the users (a read and a conditional put each), one existence
    // check of the catalogue, and the rows in batches of up to 200 with the info rows last.
    expect(calls).toEqual({ getRow: DEMO_USERS.length, putRow: DEMO_USERS.length, batchGetRow: 1, batchWriteRow: expect.any(Number) as number });
    expect(calls.batchWriteRow).toBeLessThanOrEqual(4);
    const deps = { table, clock };
    const region = 'cn-hangzhou';
    expect((await listProducts(100, undefined, deps)).items.map((item) => item.productId).sort()).toEqual(DEMO_PRODUCTS.map((p) => p.productId).sort());
    for (const p of DEMO_PRODUCTS) {
      expect(await getProductInfo(p.productId, deps)).toMatchObject({ productId: p.productId, name: p.name });
      expect(await getPrice(p.productId, DEFAULT_REGION, deps)).toMatchObject({ price: p.price, listPrice: p.listPrice });
      expect((await getInventory(p.productId, region, deps)).available).toBe(Object.values(p.stock).reduce((sum, n) => sum + n, 0));
      expect(await getShipping(p.productId, region, deps)).toMatchObject({ productId: p.productId, carrier: SHIPPING_RATES[region]!.carrier });
      expect((await getSales(p.productId, deps)).soldLast30Days).toBe(p.soldLast30Days);
      expect((await getReviews(p.productId, 50, deps)).rating.count).toBe(p.reviews.length);
    }
  });

  it('is idempotent: a second run creates nothing and writes nothing', async () => {
    await seedDemoData({ table, clock });
    const { table: counted, calls } = counting(table);
    expect(await seedDemoData({ table: counted, clock })).toEqual({ productsCreated: 0, usersCreated: 0 });
    expect(calls.putRow).toBeUndefined();
  });

  it('seeds again a product whose info row is missing (a seed stopped before its info rows)', async () => {
    await seedDemoData({ table, clock });
    const [first] = DEMO_PRODUCTS;
    await table.deleteRow(TABLES.productInfo.name, { productId: first!.productId });
    expect(await seedDemoData({ table, clock })).toEqual({ productsCreated: 1, usersCreated: 0 });
    expect(await getProductInfo(first!.productId, { table })).toMatchObject({ name: first!.name });
  });

  it('writes no info row when another row of the catalogue was refused, and says which', async () => {
    const refusing = new Proxy(table, {
      get(target, name, receiver) {
        if (name !== 'batchWriteRow') return Reflect.get(target, name, receiver) as unknown;
        return async (ops: BatchWriteOp[]) => {
          const results = await target.batchWriteRow(ops);
          return results.map((result, i) => (ops[i]!.table === TABLES.productSales.name ? { ok: false, code: 'OTSServerBusy', message: 'try again' } : result));
        };
      },
    });
    await expect(seedDemoData({ table: refusing, clock })).rejects.toThrow(/seeding product_sales .* failed: OTSServerBusy/);
    expect((await table.getRange(TABLES.productInfo.name, { start: { productId: INF_MIN }, end: { productId: INF_MAX } })).rows).toEqual([]);
  });
});

describe('BufferedWrites', () => {
  it('refuses what it cannot keep, by name', async () => {
    const writes = new BufferedWrites();
    await expect(writes.putRow('t', { k: 'a' }, { v: 1 }, { condition: { row: 'EXPECT_NOT_EXIST' } })).rejects.toThrow(/putRow with a condition is not buffered/);
    await expect(writes.batchWriteRow([{ type: 'DELETE', table: 't', primaryKey: { k: 'a' } }])).rejects.toThrow(/batchWriteRow with a DELETE is not buffered/);
    expect(() => writes.getRow()).toThrow(/getRow is not buffered/);
  });

  it('keeps the last put of a row once (a batch may not name a row twice) and splits batches at 200 rows', async () => {
    const writes = new BufferedWrites();
    for (let i = 0; i < 250; i++) await writes.putRow('t', { k: `r${i}` }, { v: i });
    await writes.putRow('t', { k: 'r0' }, { v: 'last' });
    expect(writes.size).toBe(250);
    const batches: BatchWriteOp[][] = [];
    const sink = { batchWriteRow: (ops: BatchWriteOp[]) => (batches.push(ops), Promise.resolve(ops.map(() => ({ ok: true }) as const))) } as unknown as Table;
    await writes.flushTo(sink);
    expect(batches.map((b) => b.length)).toEqual([200, 50]);
    expect(batches[0]![0]).toEqual({ type: 'PUT', table: 't', primaryKey: { k: 'r0' }, attributes: { v: 'last' } });
    expect(writes.size).toBe(0);
  });
});
