import { DEMO_PRODUCTS, DEMO_USERS, SHIPPING_RATES, WAREHOUSES } from '#shared/demo/catalog';
import { orderedId } from '#shared/ids';
import type { Clock } from '#shared/ports/clock';
import { BATCH_GET_LIMIT, type Table } from '#shared/ports/table';
import { TABLES } from '#shared/contracts/tables';
import { ensureUser } from '../auth-token/core';
import { putProductInfo } from '../product-info/core';
import { putStock } from '../product-inventory/core';
import { DEFAULT_REGION, putPrice } from '../product-price/core';
import { putReviews } from '../product-reviews/core';
import { putPromotion, putSalesStats } from '../product-sales/core';
import { putParcel, putRate } from '../product-shipping/core';
import { BufferedWrites } from './buffered-writes';

/**
 * demo-seed: loads the demo catalogue through each service's own write functions, and the demo users.
 * Idempotent: a product is skipped when its info row exists, and the info rows are written last, once every
 * other row of the catalogue is written, so a product is only considered seeded once every service has its part.
 * The rows are kept by `BufferedWrites` and sent in a few batches: one request per row made the seed most of a
 * new data folder's first start (D43).
 */
export interface SeedDeps {
  table: Table;
  clock: Clock;
}

const DAY = 86400_000;

export async function seedDemoData(deps: SeedDeps): Promise<{ productsCreated: number; usersCreated: number }> {
  const now = deps.clock.now();
  // Password hashing (scrypt) runs on libuv's thread pool: the users are hashed in parallel, beside the catalogue.
  const [users, products] = await Promise.allSettled([Promise.all(DEMO_USERS.map((user) => ensureUser(user, deps))), seedCatalogue(now, deps)]);
  if (users.status === 'rejected') throw users.reason;
  if (products.status === 'rejected') throw products.reason;
  return { productsCreated: products.value, usersCreated: users.value.filter(Boolean).length };
}

/** Writes the products whose info row is missing; returns how many. */
async function seedCatalogue(now: number, deps: SeedDeps): Promise<number> {
  const rows = new BufferedWrites();
  const infos = new BufferedWrites();
  const into = (table: Table) => ({ ...deps, table });
  for (const [region, rate] of Object.entries(SHIPPING_RATES)) await putRate(region, rate, into(rows));

  const seeded: unknown[] = [];
  for (let i = 0; i < DEMO_PRODUCTS.length; i += BATCH_GET_LIMIT) {
    const keys = DEMO_PRODUCTS.slice(i, i + BATCH_GET_LIMIT).map((p) => ({ productId: p.productId }));
    seeded.push(...(await deps.table.batchGetRow(TABLES.productInfo.name, keys, { columns: ['name'] })));
  }
  const missing = DEMO_PRODUCTS.filter((_, i) => !seeded[i]);
  for (const p of missing) {
    await putPrice(p.productId, DEFAULT_REGION, { currency: 'CNY', listPrice: p.listPrice, price: p.price }, into(rows));
    for (const [region, price] of Object.entries(p.regionalPrices ?? {})) await putPrice(p.productId, region, { currency: 'CNY', listPrice: p.listPrice, price }, into(rows));
    for (const [warehouse, available] of Object.entries(p.stock)) await putStock(p.productId, warehouse, WAREHOUSES[warehouse]!, available, into(rows));
    await putParcel(p.productId, p.weightKg, into(rows));
    await putSalesStats(p.productId, p.soldLast30Days, into(rows));
    for (const promo of p.promotions ?? []) {
      await putPromotion(p.productId, { promoId: promo.promoId, title: promo.title, kind: promo.kind, value: promo.value, endsAt: new Date(now + promo.daysLeft * DAY).toISOString() }, into(rows));
    }
    await putReviews(
      p.productId,
      p.reviews.map((r, i) => {
        const createdAt = now - r.daysAgo * DAY;
        return { reviewId: orderedId('rv', createdAt, `${p.productId}#${i}`), author: r.author, rating: r.rating, title: r.title, body: r.body, createdAt: new Date(createdAt).toISOString(), images: [] };
      }),
      into(rows),
    );
    await putProductInfo(
      {
        productId: p.productId,
        name: p.name,
        brand: p.brand,
        category: p.category,
        summary: p.summary,
        description: p.description,
        images: [
          { url: `/assets/products/${p.productId}.svg`, alt: p.name },
          { url: `/assets/products/${p.productId}.svg?view=side`, alt: `${p.name}, side view` },
        ],
        specs: p.specs,
        tags: p.tags,
      },
      into(infos),
    );
  }
  await rows.flushTo(deps.table);
  await infos.flushTo(deps.table);
  return missing.length;
}
