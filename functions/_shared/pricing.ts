import type { Promotion } from './contracts/products';

/**
 * The one pricing rule the product page and checkout share: the best promotion wins, the price never goes
 * below zero, amounts keep 2 decimals. The page shows what checkout charges because both call this.
 */
export function applyBestPromotion(price: number, promotions: Promotion[]): { finalPrice: number; promotion?: Promotion } {
  let best: { finalPrice: number; promotion?: Promotion } = { finalPrice: price };
  for (const promotion of promotions) {
    const discounted = promotion.kind === 'percent' ? price * (1 - promotion.value / 100) : price - promotion.value;
    const finalPrice = Math.max(0, roundMoney(discounted));
    if (finalPrice < best.finalPrice) best = { finalPrice, promotion };
  }
  return best;
}

/** Money in CNY with 2 decimals, rounded half away from zero on the cent. */
export function roundMoney(amount: number): number {
  return Math.round(amount * 100) / 100;
}
