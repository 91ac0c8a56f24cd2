/**
 * What a page says when a part of it failed (`degraded`). The BFF then still sends what it last had for that
 * part, if anything (D31): the words must match what is on the screen — "unavailable" beside prices that are
 * shown reads as a contradiction.
 */

/** The product list's note when the price service failed: prices missing, or shown but possibly old. */
export function listPriceNotice(items: readonly { price?: unknown }[], degraded: readonly string[]): string | undefined {
  if (!degraded.includes('price')) return undefined;
  const priced = items.filter((item) => item.price).length;
  if (priced === 0) return 'Prices are unavailable right now; the catalogue is shown without them.';
  if (priced < items.length) return 'Some prices are unavailable right now, and those shown could not be checked just now; checkout uses the current ones.';
  return 'Prices could not be checked just now, so they may be out of date; checkout uses the current ones.';
}

/** The product page's note: the parts (in words) that failed, each missing or shown as last known. */
export function pageDegradedNotice(names: readonly string[]): string | undefined {
  if (names.length === 0) return undefined;
  return `Some information could not be loaded just now (${names.join(', ')}): it is missing or may be out of date. Everything else on this page is current.`;
}

/**
 * Why a whole page could not load, for a person: a 503/502/504 is a service that is down or busy for now (the
 * API says only "internal error", which reads as the shopper's fault or a crash); anything else keeps its message.
 */
export function pageFailureText(error: { status?: number; message: string }): string {
  if (error.status === 503 || error.status === 502 || error.status === 504) return 'a service it needs is unavailable right now. Try again in a moment';
  return error.message;
}
