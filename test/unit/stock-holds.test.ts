import { ALL_TABLES, TABLES } from '#shared/contracts/tables';
import { commitStock, holdColumn, holdsOf, releaseStock, reserveStock, type StockDeps } from '#shared/inventory/stock-holds';
import { Contention } from '#shared/orders/errors';
import { ManualClock, manualSleep } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';
import { getInventory, putStock } from '../../functions/product-inventory/core';
import { createMemoryTable } from '../helpers/memory-table';

/**
 * Order holds on `product_inventory`: all-or-nothing reservations split across warehouses, idempotent
 * release and commit, and the race the issue names — 100 orders at once for 10 units.
 */
const T = TABLES.productInventory.name;
const order = (n: number) => `ord_${String(n).padStart(26, '0')}`;

/** Records every `available` value a successful write left on a row. */
function watched(table: Table): { table: Table; written: number[] } {
  const written: number[] = [];
  const proxy: Table = Object.create(table) as Table;
  proxy.updateRow = async (name, pk, update, options) => {
    const result = await table.updateRow(name, pk, update, options);
    if (name === T && typeof update.put?.available === 'number') written.push(update.put.available);
    return result;
  };
  return { table: proxy, written };
}

describe('stock holds', () => {
  let table: Table & { close(): void };
  let deps: StockDeps;
  const clock = new ManualClock();

  beforeEach(async () => {
    table = createMemoryTable(ALL_TABLES, clock);
    deps = { table, sleep: manualSleep(clock), random: Math.random };
    await putStock('p-kettle', 'wh-beijing', 'cn-beijing', 3, { table });
    await putStock('p-kettle', 'wh-hangzhou', 'cn-hangzhou', 5, { table });
    await putStock('p-mug', 'wh-hangzhou', 'cn-hangzhou', 2, { table });
  });
  afterEach(() => table.close());

  const available = async (productId: string) => (await getInventory(productId, 'cn-hangzhou', { table })).available;

  it('holds from the nearest warehouse first and splits a line when it must', async () => {
    const outcome = await reserveStock(deps, order(1), [{ productId: 'p-kettle', qty: 7 }], 'cn-hangzhou');
    expect(outcome).toEqual({
      ok: true,
      allocations: [
        { productId: 'p-kettle', warehouse: 'wh-beijing', qty: 2 },
        { productId: 'p-kettle', warehouse: 'wh-hangzhou', qty: 5 },
      ],
    });
    expect(await available('p-kettle')).toBe(1);
    const row = await table.getRow(T, { productId: 'p-kettle', warehouse: 'wh-hangzhou' });
    expect(row?.attributes).toMatchObject({ available: 0, [holdColumn(order(1))]: 5 });
  });

  it('is all or nothing across lines, and says which product was short', async () => {
    const outcome = await reserveStock(deps, order(2), [{ productId: 'p-kettle', qty: 2 }, { productId: 'p-mug', qty: 3 }], 'cn-hangzhou');
    expect(outcome).toEqual({ ok: false, productId: 'p-mug', requested: 3, available: 2 });
    expect(await available('p-kettle')).toBe(8);
    expect(await available('p-mug')).toBe(2);
    expect(await holdsOf(table, order(2), ['p-kettle', 'p-mug'])).toEqual([]);
  });

  it('counts its own holds when it runs again, and never holds twice', async () => {
    const first = await reserveStock(deps, order(3), [{ productId: 'p-kettle', qty: 4 }], 'cn-hangzhou');
    const again = await reserveStock(deps, order(3), [{ productId: 'p-kettle', qty: 4 }], 'cn-hangzhou');
    expect(again).toEqual(first);
    expect(await available('p-kettle')).toBe(4);
  });

  it('survives two runs of one order at once (a retry overlapping the first attempt)', async () => {
    const runs = await Promise.allSettled([1, 2, 3].map(() => reserveStock(deps, order(4), [{ productId: 'p-kettle', qty: 6 }], 'cn-hangzhou')));
    const held = (await holdsOf(table, order(4), ['p-kettle'])).reduce((n, a) => n + a.qty, 0);
    // Each run either reports the holds or backs off with Contention; the order never holds more than asked.
    for (const run of runs) if (run.status === 'rejected') expect(run.reason).toBeInstanceOf(Contention);
    expect([0, 6]).toContain(held);
    expect(await available('p-kettle')).toBe(8 - held);
  });

  it('releases exactly once, however often it runs', async () => {
    await reserveStock(deps, order(5), [{ productId: 'p-kettle', qty: 6 }], 'cn-hangzhou');
    const released = await releaseStock(deps, order(5), ['p-kettle']);
    expect(released.reduce((n, a) => n + a.qty, 0)).toBe(6);
    expect(await releaseStock(deps, order(5), ['p-kettle'])).toEqual([]);
    await Promise.all([releaseStock(deps, order(5), ['p-kettle']), releaseStock(deps, order(5), ['p-kettle'])]);
    expect(await available('p-kettle')).toBe(8);
  });

  it('commits: the units stay sold, the hold columns go, and a later release returns nothing', async () => {
    await reserveStock(deps, order(6), [{ productId: 'p-mug', qty: 2 }], 'cn-hangzhou');
    expect(await commitStock(deps, order(6), ['p-mug'])).toEqual([{ productId: 'p-mug', warehouse: 'wh-hangzhou', qty: 2 }]);
    expect(await commitStock(deps, order(6), ['p-mug'])).toEqual([]);
    expect(await releaseStock(deps, order(6), ['p-mug'])).toEqual([]);
    const row = await table.getRow(T, { productId: 'p-mug', warehouse: 'wh-hangzhou' });
    expect(row?.attributes).toEqual({ region: 'cn-hangzhou', available: 0 });
  });

  it('100 orders at once for 10 units: exactly 10 hold one, stock ends at 0 and is never below', async () => {
    await putStock('p-last', 'wh-hangzhou', 'cn-hangzhou', 10, { table });
    const { table: observed, written } = watched(table);
    const racing: StockDeps = { table: observed, sleep: () => new Promise((ok) => setImmediate(ok)), random: Math.random };
    const outcomes = await Promise.all(Array.from({ length: 100 }, (_, i) => reserveStock(racing, order(100 + i), [{ productId: 'p-last', qty: 1 }], 'cn-hangzhou')));
    const winners = outcomes.map((o, i) => ({ o, id: order(100 + i) })).filter((x) => x.o.ok);
    expect(winners).toHaveLength(10);
    expect(await available('p-last')).toBe(0);
    expect(written.length).toBeGreaterThanOrEqual(10);
    expect(Math.min(...written)).toBeGreaterThanOrEqual(0);
    // The losers hold nothing; the winners hold one each.
    const row = await table.getRow(T, { productId: 'p-last', warehouse: 'wh-hangzhou' });
    const holds = Object.keys(row!.attributes).filter((k) => k.startsWith('hold_'));
    expect(holds.sort()).toEqual(winners.map((w) => holdColumn(w.id)).sort());

    // Half the winners fail later and release; the others commit: nothing is left held, stock is exact.
    await Promise.all(winners.map((w, i) => (i % 2 === 0 ? releaseStock(racing, w.id, ['p-last']) : commitStock(racing, w.id, ['p-last']))));
    const after = await table.getRow(T, { productId: 'p-last', warehouse: 'wh-hangzhou' });
    expect(after?.attributes).toEqual({ region: 'cn-hangzhou', available: 5 });
  });
});
