/**
 * SearchIndex port: full-text search over small documents (image metadata today).
 *
 * Semantics (both adapters keep them; `test/contract/search-index.contract.ts` checks):
 * - `upsert` replaces the whole document with that id; `remove` of a missing id is not an error;
 * - `text` matches words of `title`, `tags` and `productId` (case-insensitive, word prefixes of at least
 *   2 characters match, e.g. `head` finds "Headphones"); several words must all match (AND);
 * - `productId` and `tag` are exact filters; no `text` lists every matching document, newest first;
 * - hits with `text` are ranked by relevance (title matches outrank tag/product matches), ties newest first;
 * - `limit` is 1…100 (default 20); `nextCursor` is an opaque string present only when more hits follow,
 *   and passing it back continues the same ordering without repeats;
 * - the index is eventually consistent in the cloud (TableStore search index sync takes seconds); callers
 *   poll rather than expect a write to be searchable at once.
 *
 * Adapters: `SqliteSearchIndex` (FTS5, local) and `TableStoreSearchIndex` (TableStore search index, cloud).
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
