import type { WebProductPage } from '../../functions/_shared/contracts/product-page';
import { api, ApiError, type Region } from './api';
import { cartLines } from './cart';

/**
 * The cart priced for a region, from the product pages the shop already serves (the BFF: same prices and
 * promotions the shopper saw). The totals here are an estimate for the page; the server prices the order
 * again at checkout with the same rule (best promotion; one parcel: the dearest delivery fee, free above
 * the threshold).
 */
export interface PricedLine {
  productId: string;
  qty: number;
  name: string;
  image: string;
  unitPrice: number | undefined;
  currency: string;
  stock: 'in_stock' | 'low_stock' | 'out_of_stock' | undefined;
  available: number | undefined;
  shipping: { fee: number; freeOver: number } | undefined;
  /** The product no longer exists. */
  gone?: boolean;
}

export interface PricedCart {
  lines: PricedLine[];
  subtotal: number;
  shippingFee: number | undefined;
  total: number | undefined;
  currency: string;
  /** Some price is unknown right now (a degraded page). */
  incomplete: boolean;
}

async function priceLine(productId: string, qty: number, region: Region): Promise<PricedLine> {
  try {
    const { data: page } = await api<WebProductPage>(`/api/products/${encodeURIComponent(productId)}?client=web&region=${region}`);
    return {
      productId,
      qty,
      name: page.product.name,
      image: page.product.images[0]?.url ?? '',
      unitPrice: page.pricing?.finalPrice,
      currency: page.pricing?.currency ?? 'CNY',
      stock: page.availability?.status,
      available: page.availability?.available,
      shipping: page.shipping ? { fee: page.shipping.fee, freeOver: page.shipping.freeOver } : undefined,
    };
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return { productId, qty, name: productId, image: '', unitPrice: undefined, currency: 'CNY', stock: undefined, available: undefined, shipping: undefined, gone: true };
    throw err;
  }
}

/**
 * A line the shop says it cannot sell now (no longer sold, or out of stock on its product page) is left out of
 * the totals and of the order placed (D133): counted in, it made the total wrong and the whole order fail at
 * reservation. A line whose stock is unknown (the inventory part of the page degraded) is ordered: the saga's
 * reservation decides, as it does when the stock runs out between this page and the order.
 */
export const isOrderable = (line: PricedLine): boolean => !line.gone && line.stock !== 'out_of_stock' && !isOverStock(line);

/**
 * More units than the product page says are left ("Only 2 left", 5 in the cart): sent, it failed the whole
 * order at reservation (all or nothing). It is left out the same way until the shopper lowers the quantity.
 */
export const isOverStock = (line: PricedLine): boolean => line.available !== undefined && line.stock !== 'out_of_stock' && line.qty > line.available;

/** Why a line is not ordered, in a few words for the cart and checkout ('' when it is ordered). */
export function notOrderedBecause(line: PricedLine): string {
  if (line.gone) return 'no longer sold';
  if (line.stock === 'out_of_stock') return 'out of stock';
  return isOverStock(line) ? `only ${line.available} left` : '';
}

export async function priceCart(region: Region): Promise<PricedCart> {
  const lines = await Promise.all(cartLines().map((l) => priceLine(l.productId, l.qty, region)));
  const live = lines.filter(isOrderable);
  const incomplete = live.some((l) => l.unitPrice === undefined || !l.shipping);
  const subtotal = Math.round(live.reduce((sum, l) => sum + (l.unitPrice ?? 0) * l.qty, 0) * 100) / 100;
  const shippings = live.flatMap((l) => (l.shipping ? [l.shipping] : []));
  const shippingFee = shippings.length === 0 ? undefined : subtotal >= Math.min(...shippings.map((s) => s.freeOver)) ? 0 : Math.max(...shippings.map((s) => s.fee));
  return { lines, subtotal, shippingFee, total: incomplete || shippingFee === undefined ? undefined : subtotal + shippingFee, currency: live[0]?.currency ?? 'CNY', incomplete };
}
