import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ValidationError } from '../errors';
import { SEARCH_DEFAULT_LIMIT, SEARCH_MAX_LIMIT, type SearchDocument, type SearchQuery } from '../ports/search-index';
import { parseWith } from '../validation';

/**
 * Input rules of the SearchIndex port (the semantics are in `ports/search-index.ts`): document and query
 * validation, the word splitter, and the cursor envelope. The adapter splits words itself instead of trusting a
 * search engine's analyzer, so what a "word" is never depends on where the index runs.
 */

export const SEARCH_MAX_TEXT_LENGTH = 200;
export const SEARCH_MAX_WORDS = 32;

const fieldValue = z.union([z.string(), z.number(), z.boolean()]);

const documentSchema = z.object({
  id: z.string().min(1).max(256),
  title: z.string().max(2048),
  tags: z.array(z.string().min(1).max(128)).max(64),
  productId: z.string().min(1).max(256).optional(),
  createdAt: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  fields: z.record(z.string().min(1), fieldValue).optional(),
});

const querySchema = z.object({
  text: z.string().max(SEARCH_MAX_TEXT_LENGTH).optional(),
  productId: z.string().min(1).max(256).optional(),
  tag: z.string().min(1).max(128).optional(),
  limit: z.number().int().min(1).max(SEARCH_MAX_LIMIT).optional(),
  cursor: z.string().min(1).max(4096).optional(),
});

/** A query after validation: the text reduced to its distinct words, the limit defaulted. */
export interface NormalizedQuery {
  words: string[];
  productId?: string;
  tag?: string;
  limit: number;
  cursor?: string;
}

/** Validates a document (throws `ValidationError` naming the fields) and returns a copy without extra keys. */
export function validDocument(document: SearchDocument): SearchDocument {
  const parsed = parseWith(documentSchema, document, 'document');
  return {
    id: parsed.id,
    title: parsed.title,
    tags: parsed.tags,
    ...(parsed.productId !== undefined ? { productId: parsed.productId } : {}),
    createdAt: parsed.createdAt,
    ...(parsed.fields !== undefined ? { fields: parsed.fields } : {}),
  };
}

export function validId(id: string): string {
  return parseWith(documentSchema.shape.id, id, 'id');
}

export function normalizeQuery(query: SearchQuery): NormalizedQuery {
  const parsed = parseWith(querySchema, query, 'query');
  const words = [...new Set(searchWords(parsed.text ?? ''))];
  if (words.length > SEARCH_MAX_WORDS) {
    throw new ValidationError(`query.text has more than ${SEARCH_MAX_WORDS} words`, [{ path: 'query.text', message: `at most ${SEARCH_MAX_WORDS} distinct words` }]);
  }
  return {
    words,
    ...(parsed.productId !== undefined ? { productId: parsed.productId } : {}),
    ...(parsed.tag !== undefined ? { tag: parsed.tag } : {}),
    limit: parsed.limit ?? SEARCH_DEFAULT_LIMIT,
    ...(parsed.cursor !== undefined ? { cursor: parsed.cursor } : {}),
  };
}

/**
 * Scripts written without spaces: each character is a word, as TableStore's `single_word` analyzer does it.
 * Everything else that is a letter, digit or mark joins the run it is in.
 */
const WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}])+/gu;

/**
 * The words of a text: NFKC, lower case, runs of letters/digits/marks, one word per Han or Kana character.
 * @example searchWords('Aurora-Headphones "NC"*') // ['aurora', 'headphones', 'nc']
 */
export function searchWords(text: string): string[] {
  return text.normalize('NFKC').toLowerCase().match(WORD) ?? [];
}

/** Words of at least this many characters (code points) also match as a prefix. */
export const PREFIX_MIN_LENGTH = 2;

export function isPrefixWord(word: string): boolean {
  return [...word].length >= PREFIX_MIN_LENGTH;
}

/** The words a document is found by, apart from its title: its tags' words and its product id's words. */
export function keywordWords(document: Pick<SearchDocument, 'tags' | 'productId'>): string[] {
  return [...document.tags, document.productId ?? ''].flatMap(searchWords);
}

// ---- cursors ----

/**
 * A cursor is base64url JSON `{q, p}`: `q` fingerprints the words and filters it was issued for, `p` is the
 * adapter's position (a sort key, a TableStore token). A cursor passed with another query is refused rather
 * than silently continuing a different ordering.
 */
function fingerprint(query: NormalizedQuery): string {
  const key = JSON.stringify([query.words, query.productId ?? null, query.tag ?? null]);
  return createHash('sha256').update(key).digest('base64url').slice(0, 16);
}

export function encodeCursor(query: NormalizedQuery, position: unknown): string {
  return Buffer.from(JSON.stringify({ q: fingerprint(query), p: position })).toString('base64url');
}

/** The position inside `query.cursor`, checked by `schema`; `undefined` when the query has no cursor. */
export function decodeCursor<S extends z.ZodType>(query: NormalizedQuery, schema: S): z.infer<S> | undefined {
  if (query.cursor === undefined) return undefined;
  const invalid = (why: string) => new ValidationError(`query.cursor is ${why}`, [{ path: 'query.cursor', message: why }]);
  if (!/^[A-Za-z0-9_-]+$/.test(query.cursor)) throw invalid('not a cursor');
  let envelope: unknown;
  try {
    envelope = JSON.parse(Buffer.from(query.cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalid('not a cursor');
  }
  const parsed = z.object({ q: z.string(), p: z.unknown() }).safeParse(envelope);
  if (!parsed.success) throw invalid('not a cursor');
  if (parsed.data.q !== fingerprint(query)) throw invalid('from another query (text and filters must stay the same)');
  const position = schema.safeParse(parsed.data.p);
  if (!position.success) throw invalid('not a cursor');
  return position.data as z.infer<S>;
}
