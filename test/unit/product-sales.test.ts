import { ALL_TABLES } from '#shared/contracts/tables';
import { ManualClock } from '#shared/ports/clock';
import { getManySales, getSales, putPromotion, putSalesStats, type SalesDeps } from '../../functions/product-sales/core';
import { createMemoryTable, type MemoryTable } from '../helpers/memory-table';

/** product-sales: one product's sales, and the product list's page of them in one read. */
describe('product sales', () => {
  const clock = new ManualClock(Date.parse('2026-12-01T00:00:00Z'));
  let table: MemoryTable;
  let deps: SalesDeps;
  const promo = (promoId: string, value: number, endsAt: string) => ({ promoId, title: `${value} off`, kind: 'amount' as const, value, endsAt });

  beforeAll(async () => {
    table = createMemoryTable(ALL_TABLES, clock);
    deps = { table, clock };
    await putSalesStats('p-a', 1500, deps);
    await putPromotion('p-a', promo('running', 10, '2026-12-12T00:00:00Z'), deps);
    await putPromotion('p-a', promo('ended', 50, '2026-11-30T00:00:00Z'), deps);
    await putSalesStats('p-b', 3, deps);
    await putSalesStats('p-c', 7, deps);
    await putPromotion('p-c', promo('c', 5, '2026-12-24T00:00:00Z'), deps);
  });
  afterAll(() => table.close());

  it('answers the running promotions of each product asked for, in the order asked, and leaves out unknown ones', async () => {
    const { sales } = await getManySales(['p-c', 'p-a', 'p-zz'], deps);
    expect(sales.map((s) => [s.productId, s.promotions.map((p) => p.promoId), s.badge ?? null])).toEqual([
      ['p-c', ['c'], null],
      ['p-a', ['running'], 'Bestseller'],
    ]);
    // Each product's answer is the one `get` gives.
    expect(sales[1]).toEqual(await getSales('p-a', deps));
    expect((await getManySales([], deps)).sales).toEqual([]);
  });

  it('skips products in the key span that were not asked for', async () => {
    const { sales } = await getManySales(['p-a', 'p-c'], deps);
    expect(sales.map((s) => s.productId)).toEqual(['p-a', 'p-c']);
  });
});
