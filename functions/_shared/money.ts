/**
 * How an amount reads wherever a person sees it — the website's prices and totals, the order timeline, the
 * notifications — so one order never shows `CNY 1195.10` beside `CN¥1,195.10`. Whole amounts drop the cents
 * (`CN¥999`), others keep two (`CN¥1,195.10`). Pure, no dependencies: the website bundles it too.
 */
export function formatMoney(amount: number, currency = 'CNY'): string {
  return formatterFor(currency, amount % 1 === 0 ? 0 : 2).format(amount);
}

/**
 * One formatter per currency and precision, made on first use: building an `Intl.NumberFormat` costs far more
 * than formatting with it, and every fold of an order formats its amounts again (docs/decisions.md D120).
 */
const formatters = new Map<string, Intl.NumberFormat>();

function formatterFor(currency: string, maximumFractionDigits: number): Intl.NumberFormat {
  const key = `${currency}:${maximumFractionDigits}`;
  let formatter = formatters.get(key);
  if (!formatter) {
    formatter = new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits });
    formatters.set(key, formatter);
  }
  return formatter;
}
