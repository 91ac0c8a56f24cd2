import { DEMO_PRODUCTS, WAREHOUSES } from '../functions/_shared/demo/catalog';
import { systemClock } from '../functions/_shared/ports/clock';
import type { Table } from '../functions/_shared/ports/table';
import { putProductInfo } from '../functions/product-info/core';
import { putStock } from '../functions/product-inventory/core';
import { DEFAULT_REGION, putPrice } from '../functions/product-price/core';
import { putReviews } from '../functions/product-reviews/core';
import { putSalesStats } from '../functions/product-sales/core';
import { putParcel } from '../functions/product-shipping/core';

/**
 * Products for the product-page benchmarks. The BFF caches every part per instance (info, sales and
 * reviews by product alone), so a page is only uncached for a product no request has asked for before:
 * the benchmarks write their own (`<prefix>-<n>`) and hand each out once.
 */
export class FreshProducts {
  private next = 0;
  constructor(private readonly ids: string[]) {}

  take(): string {
    const id = this.ids[this.next++];
    if (!id) throw new Error('ran out of fresh products');
    return id;
  }

  /** The next `count` ids at once (e.g. for a load generator in another process). */
  takeMany(count: number): string[] {
    return Array.from({ length: count }, () => this.take());
  }
}

/** The demo seed's write path (each service's own `put*`), for `count` copies of the demo products. */
export async function writeBenchProducts(table: Table, count: number, prefix = 'p-bench'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const p = DEMO_PRODUCTS[i % DEMO_PRODUCTS.length]!;
    const productId = `${prefix}-${i}`;
    await putPrice(productId, DEFAULT_REGION, { currency: 'CNY', listPrice: p.listPrice, price: p.price }, { table });
    for (const [warehouse, available] of Object.entries(p.stock)) await putStock(productId, warehouse, WAREHOUSES[warehouse]!, available, { table });
    await putParcel(productId, p.weightKg, { table });
    await putSalesStats(productId, p.soldLast30Days, { table, clock: systemClock });
    const now = Date.now();
    await putReviews(
      productId,
      p.reviews.map((r, n) => ({ reviewId: `rv-${productId}-${n}`, author: r.author, rating: r.rating, title: r.title, body: r.body, createdAt: new Date(now - r.daysAgo * 86400_000).toISOString(), images: [] })),
      { table },
    );
    await putProductInfo({ productId, name: p.name, brand: p.brand, category: p.category, summary: p.summary, description: p.description, images: [], specs: p.specs, tags: p.tags }, { table });
    ids.push(productId);
  }
  return ids;
}
