import { DEMO_PRODUCTS, DEMO_USERS, SHIPPING_RATES, WAREHOUSES } from '#shared/demo/catalog';
import { orderedId } from '#shared/ids';
import type { Clock } from '#shared/ports/clock';
import type { Table } from '#shared/ports/table';
import { TABLES } from '#shared/contracts/tables';
import { ensureUser } from '../auth-token/core';
import { putProductInfo } from '../product-info/core';
import { putStock } from '../product-inventory/core';
import { DEFAULT_REGION, putPrice } from '../product-price/core';
import { putReviews } from '../product-reviews/core';
import { putPromotion, putSalesStats } from '../product-sales/core';
import { putParcel, putRate } from '../product-shipping/core';

/**
 * demo-seed: loads the demo catalogue through each service's own write functions, and the demo users.
 * Idempotent: a product is skipped when its info row exists, and the info row is written last, so a
 * product is only considered seeded once every service has its part.
 */
export interface SeedDeps {
  table: Table;
  clock: Clock;
}

const DAY = 86400_000;

export async function seedDemoData(deps: SeedDeps): Promise<{ productsCreated: number; usersCreated: number }> {
  const now = deps.clock.now();
  // Password hashing (scrypt) runs on libuv's thread pool: the users are hashed in parallel.
  const usersCreated = (await Promise.all(DEMO_USERS.map((user) => ensureUser(user, deps)))).filter(Boolean).length;
  for (const [region, rate] of Object.entries(SHIPPING_RATES)) await putRate(region, rate, deps);

  let productsCreated = 0;
  for (const p of DEMO_PRODUCTS) {
    if (await deps.table.getRow(TABLES.productInfo.name, { productId: p.productId })) continue;
    await putPrice(p.productId, DEFAULT_REGION, { currency: 'CNY', listPrice: p.listPrice, price: p.price }, deps);
    for (const [region, price] of Object.entries(p.regionalPrices ?? {})) await putPrice(p.productId, region, { currency: 'CNY', listPrice: p.listPrice, price }, deps);
    for (const [warehouse, available] of Object.entries(p.stock)) await putStock(p.productId, warehouse, WAREHOUSES[warehouse]!, available, deps);
    await putParcel(p.productId, p.weightKg, deps);
    await putSalesStats(p.productId, p.soldLast30Days, deps);
    for (const promo of p.promotions ?? []) {
      await putPromotion(p.productId, { promoId: promo.promoId, title: promo.title, kind: promo.kind, value: promo.value, endsAt: new Date(now + promo.daysLeft * DAY).toISOString() }, deps);
    }
    await putReviews(
      p.productId,
      p.reviews.map((r, i) => {
        const createdAt = now - r.daysAgo * DAY;
        return { reviewId: orderedId('rv', createdAt, `${p.productId}#${i}`), author: r.author, rating: r.rating, title: r.title, body: r.body, createdAt: new Date(createdAt).toISOString(), images: [] };
      }),
      deps,
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
      deps,
    );
    productsCreated++;
  }
  return { productsCreated, usersCreated };
}
