/**
 * SearchIndex port: full-text search over small documents (image metadata today).
 *
 * Semantics (`test/contract/search-index.contract.ts` checks them):
 * - `upsert` replaces the whole document with that id; `remove` of a missing id is not an error;
 * - `text` matches words of `title`, `tags` and `productId` (case-insensitive, word prefixes of at least
 *   2 characters match, e.g. `head` finds "Headphones"); several words must all match (AND);
 * - a *word* is a run of letters, digits and marks after NFKC and lower-casing; every Han, Hiragana and
 *   Katakana character is a word of its own (as TableStore's `single_word` analyzer splits them); anything
 *   else (punctuation, quotes, `*`, `:`, `-`, emoji) only separates words and is never query syntax;
 *   `AND`/`OR`/`NOT` are ordinary words; text without any word (blank, `"`, `*`) counts as no text;
 * - `text` is at most 200 characters and 32 distinct words (else `ValidationError`);
 * - `productId` and `tag` are exact, case-sensitive filters; no `text` lists every matching document,
 *   newest first;
 * - hits with `text` are ranked by relevance (title matches outrank tag/product matches), ties newest first;
 *   equal `createdAt` is ordered by `id` ascending, so every ordering is total;
 * - `limit` is an integer 1…100 (default 20; else `ValidationError`); `nextCursor` is an opaque string present
 *   only when more hits follow, and passing it back with the same text and filters continues the same
 *   ordering without repeats or gaps (over an index that does not change meanwhile); a garbled cursor, or
 *   one from another query, is a `ValidationError`;
 * - the index is eventually consistent in the cloud (TableStore search index sync takes seconds); callers
 *   poll rather than expect a write to be searchable at once.
 *
 * Adapter: `TableStoreSearchIndex` (a TableStore search index through the `tablestore` SDK), in the cloud and
 * against the local cloud's TableStore emulator. Its input rules live in `adapters/search-query.ts`.
 */
export interface SearchDocument {
  id: string;
  title: string;
  tags: string[];
  productId?: string;
  /** Epoch ms; the default order and the tie-breaker. */
  createdAt: number;
  /** Extra stored values returned with hits (not searched), e.g. thumbnail keys and dimensions. */
  fields?: Record<string, string | number | boolean>;
}

export interface SearchQuery {
  text?: string;
  productId?: string;
  tag?: string;
  limit?: number;
  cursor?: string;
}

export interface SearchHit {
  document: SearchDocument;
  /** Larger is better; comparable only within one result set. */
  score: number;
}

export interface SearchPage {
  hits: SearchHit[];
  nextCursor?: string;
}

export const SEARCH_MAX_LIMIT = 100;
export const SEARCH_DEFAULT_LIMIT = 20;

export interface SearchIndex {
  upsert(document: SearchDocument): Promise<void>;
  remove(id: string): Promise<void>;
  search(query: SearchQuery): Promise<SearchPage>;
}
