/**
 * How an amount reads wherever a person sees it — the website's prices and totals, the order timeline, the
 * notifications — so one order never shows `CNY 1195.10` beside `CN¥1,195.10`. Whole amounts drop the cents
 * (`CN¥999`), others keep two (`CN¥1,195.10`). Pure, no dependencies: the website bundles it too.
 */
export function formatMoney(amount: number, currency = 'CNY'): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: amount % 1 === 0 ? 0 : 2 }).format(amount);
}
