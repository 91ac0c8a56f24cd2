/**
 * The last page rendered for each (product, client, region), with the part values it was made from. The
 * part cache hands out the same object for a part until it is fetched again, so a page whose six parts are
 * the very same objects as last time is the very same page: it is served as it was rendered (body text and
 * ETag), without shaping, serialising and hashing it again. This is what lets a warm BFF instance answer a
 * cached page in a few microseconds. Only complete pages are kept; the oldest entries go beyond `maxEntries`.
 */
export class RenderedPages<Page> {
  private readonly pages = new Map<string, { parts: readonly unknown[]; page: Page }>();

  constructor(private readonly maxEntries = 2000) {}

  /** The page rendered from exactly these part values, if it is still here. */
  get(key: string, parts: readonly unknown[]): Page | undefined {
    const entry = this.pages.get(key);
    if (!entry || entry.parts.length !== parts.length || entry.parts.some((value, i) => value !== parts[i])) return undefined;
    return entry.page;
  }

  set(key: string, parts: readonly unknown[], page: Page): void {
    this.pages.delete(key);
    this.pages.set(key, { parts, page });
    if (this.pages.size > this.maxEntries) this.pages.delete(this.pages.keys().next().value as string);
  }
}
