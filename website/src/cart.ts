/**
 * The shopping cart lives in the browser (localStorage), like most shops before sign-in: a list of product
 * ids and quantities. Prices are never stored here; every page that shows the cart asks the API for them,
 * and the server prices the order again at checkout.
 */
export interface CartLine {
  productId: string;
  qty: number;
}

const CART_KEY = 'fcsuite.cart';
export const MAX_QTY = 10;
/** Fired on `window` whenever the cart changes (the header badge listens). */
export const CART_CHANGED = 'cart-changed';

export function cartLines(): CartLine[] {
  try {
    const raw = JSON.parse(localStorage.getItem(CART_KEY) ?? '[]') as unknown;
    if (!Array.isArray(raw)) return [];
    return raw
      .filter((l): l is CartLine => !!l && typeof (l as CartLine).productId === 'string' && Number.isInteger((l as CartLine).qty))
      .map((l) => ({ productId: l.productId, qty: Math.min(MAX_QTY, Math.max(1, l.qty)) }));
  } catch {
    return [];
  }
}

function save(lines: CartLine[]): void {
  localStorage.setItem(CART_KEY, JSON.stringify(lines));
  window.dispatchEvent(new CustomEvent(CART_CHANGED));
}

/**
 * Add units of a product (merged into its line, capped at MAX_QTY and at `left`, the units its page says are
 * left); answers the line's new quantity. A line already above the cap is not lowered here: the cart says so.
 */
export function addToCart(productId: string, qty = 1, left = MAX_QTY): number {
  const lines = cartLines();
  const line = lines.find((l) => l.productId === productId);
  const current = line?.qty ?? 0;
  const next = Math.max(current, Math.min(MAX_QTY, left, current + qty));
  if (line) line.qty = next;
  else lines.push({ productId, qty: next });
  save(lines);
  return next;
}

export function setQty(productId: string, qty: number): void {
  save(cartLines().flatMap((l) => (l.productId !== productId ? [l] : qty > 0 ? [{ productId, qty: Math.min(MAX_QTY, qty) }] : [])));
}

export function removeFromCart(productId: string): void {
  setQty(productId, 0);
}

export function cartCount(): number {
  return cartLines().reduce((n, l) => n + l.qty, 0);
}
