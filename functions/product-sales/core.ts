import type { Promotion, Sales } from '#shared/contracts/products';
import { TABLES } from '#shared/contracts/tables';
import { ConditionFailedError, NotFoundError } from '#shared/errors';
import type { Clock } from '#shared/ports/clock';
import { INF_MAX, INF_MIN, type Row, type Table } from '#shared/ports/table';

/**
 * product-sales: sales counters and promotions. Owns `product_sales` (productId, recordId) with a
 * `stats` row and one `promo#<id>` row per promotion. A timer retires ended promotions so reads stay cheap.
 */
export interface SalesDeps {
  table: Table;
  clock: Clock;
}

/** "Bestseller" badge above this many units sold in 30 days. */
export const BESTSELLER_THRESHOLD = 1000;
const T = TABLES.productSales.name;

export async function getSales(productId: string, deps: SalesDeps): Promise<Sales> {
  const page = await deps.table.getRange(T, { start: { productId, recordId: INF_MIN }, end: { productId, recordId: INF_MAX }, limit: 200 });
  const sales = salesOf(productId, page.rows, deps.clock.now());
  if (!sales) throw new NotFoundError(`no sales records for ${productId}`);
  return sales;
}

/**
 * The sales of several products (the product list's page: its promotions decide the price a shopper pays).
 * One range read from the first to the last id in key order, as the list is a run of consecutive product
 * ids; rows of products not asked for in that span are skipped. A product without sales records is left out.
 */
export async function getManySales(productIds: string[], deps: SalesDeps): Promise<{ sales: Sales[] }> {
  if (productIds.length === 0) return { sales: [] };
  const wanted = new Set(productIds);
  const ids = [...wanted].sort();
  const rowsOf = new Map<string, Row[]>();
  let start: Record<string, string | typeof INF_MIN> = { productId: ids[0]!, recordId: INF_MIN };
  for (;;) {
    const page = await deps.table.getRange(T, { start, end: { productId: ids[ids.length - 1]!, recordId: INF_MAX }, limit: 1000 });
    for (const row of page.rows) {
      const id = String(row.primaryKey.productId);
      if (!wanted.has(id)) continue;
      const rows = rowsOf.get(id);
      if (rows) rows.push(row);
      else rowsOf.set(id, [row]);
    }
    if (!page.nextStartPrimaryKey) break;
    start = page.nextStartPrimaryKey as Record<string, string>;
  }
  const now = deps.clock.now();
  const sales = productIds.flatMap((id) => salesOf(id, rowsOf.get(id) ?? [], now) ?? []);
  return { sales };
}

/** A product's sales from its rows: the stats row, and the promotions still running at `now`. */
function salesOf(productId: string, rows: Row[], now: number): Sales | undefined {
  const stats = rows.find((r) => r.primaryKey.recordId === 'stats');
  if (!stats) return undefined;
  const promotions: Promotion[] = rows
    .filter((r) => String(r.primaryKey.recordId).startsWith('promo#') && r.attributes.active === true && Date.parse(String(r.attributes.endsAt)) > now)
    .map((r) => ({
      promoId: String(r.primaryKey.recordId).slice('promo#'.length),
      title: String(r.attributes.title),
      kind: r.attributes.kind === 'percent' ? 'percent' : 'amount',
      value: Number(r.attributes.value),
      endsAt: String(r.attributes.endsAt),
    }));
  const sold = Number(stats.attributes.soldLast30Days);
  return { productId, soldLast30Days: sold, promotions, ...(sold >= BESTSELLER_THRESHOLD ? { badge: 'Bestseller' } : {}) };
}

/**
 * Timer job: mark promotions whose end time passed as inactive. Idempotent and safe to run twice at
 * once: each row flips with a condition on `active = true`, so a concurrent run skips it.
 */
export async function refreshPromotions(productIds: string[], deps: SalesDeps): Promise<{ retired: number }> {
  const now = deps.clock.now();
  let retired = 0;
  for (const productId of productIds) {
    const page = await deps.table.getRange(T, { start: { productId, recordId: 'promo#' }, end: { productId, recordId: 'promo$' }, limit: 200 });
    for (const row of page.rows) {
      if (row.attributes.active !== true || Date.parse(String(row.attributes.endsAt)) > now) continue;
      try {
        await deps.table.updateRow(T, row.primaryKey, { put: { active: false, retiredAt: new Date(now).toISOString() } }, {
          condition: { row: 'EXPECT_EXIST', columns: { column: 'active', op: 'EQ', value: true } },
        });
        retired++;
      } catch (err) {
        if (!(err instanceof ConditionFailedError)) throw err;
      }
    }
  }
  return { retired };
}

/** Every product that has sales records (distinct first PK column), for the timer job. */
export async function productsWithSales(deps: SalesDeps): Promise<string[]> {
  const ids = new Set<string>();
  let start: Record<string, string | typeof INF_MIN> = { productId: INF_MIN, recordId: INF_MIN };
  for (;;) {
    const page = await deps.table.getRange(T, { start, end: { productId: INF_MAX, recordId: INF_MAX }, limit: 1000, columns: ['active'] });
    for (const row of page.rows) ids.add(String(row.primaryKey.productId));
    if (!page.nextStartPrimaryKey) return [...ids];
    start = page.nextStartPrimaryKey as Record<string, string>;
  }
}

export async function putSalesStats(productId: string, soldLast30Days: number, deps: SalesDeps): Promise<void> {
  await deps.table.putRow(T, { productId, recordId: 'stats' }, { soldLast30Days });
}

export async function putPromotion(productId: string, promotion: Promotion, deps: SalesDeps): Promise<void> {
  const { promoId, ...rest } = promotion;
  await deps.table.putRow(T, { productId, recordId: `promo#${promoId}` }, { ...rest, active: true });
}
