import type { Price } from '#shared/contracts/products';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import type { Table } from '#shared/ports/table';

/**
 * product-price: list and selling prices. Owns `product_price` with one default row per product
 * (region `*`) and optional regional overrides (region = `cn-hongkong`, …).
 */
export interface PriceDeps {
  table: Table;
}

export const DEFAULT_REGION = '*';
const T = TABLES.productPrice.name;

function toPrice(productId: string, region: string, attributes: Record<string, unknown>): Price {
  return { productId, region, currency: String(attributes.currency), listPrice: Number(attributes.listPrice), price: Number(attributes.price) };
}

export async function getPrice(productId: string, region: string, deps: PriceDeps): Promise<Price> {
  const [regional, fallback] = await deps.table.batchGetRow(T, [
    { productId, region },
    { productId, region: DEFAULT_REGION },
  ]);
  const row = regional ?? fallback;
  if (!row) throw new NotFoundError(`no price for ${productId}`);
  return toPrice(productId, region, row.attributes);
}

/** Prices for a page of products; products without a price are left out. */
export async function getPrices(productIds: string[], region: string, deps: PriceDeps): Promise<Price[]> {
  if (productIds.length === 0) return [];
  const keys = productIds.flatMap((productId) => [
    { productId, region },
    { productId, region: DEFAULT_REGION },
  ]);
  const rows: Awaited<ReturnType<Table['batchGetRow']>> = [];
  for (let i = 0; i < keys.length; i += 100) rows.push(...(await deps.table.batchGetRow(T, keys.slice(i, i + 100))));
  return productIds.flatMap((productId, i) => {
    const row = rows[2 * i] ?? rows[2 * i + 1];
    return row ? [toPrice(productId, region, row.attributes)] : [];
  });
}

export async function putPrice(productId: string, region: string, price: { currency: string; listPrice: number; price: number }, deps: PriceDeps): Promise<void> {
  await deps.table.putRow(T, { productId, region }, { currency: price.currency, listPrice: price.listPrice, price: price.price });
}
