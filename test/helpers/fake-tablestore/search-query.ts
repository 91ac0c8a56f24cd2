/**
 * Query evaluation for the fake's `Search` operation: the search index's view of a row (analyzed TEXT tokens,
 * KEYWORD/LONG values), the query tree decoded from `tablestore_search.proto`, and a relevance score close
 * enough to TableStore's (Lucene BM25 for MATCH, constant `weight` for PREFIX/TERM, sums in BOOL).
 * See `search.ts` for the operation itself and its LIMITATIONS.
 */
import { parameterInvalid } from './errors';
import { has, notEmulated } from './handler';
import { readVariant } from './plain-buffer';
import { protos } from './sdk';
import type { LiveRow } from './store';
import type { CellValue } from './values';

export type IndexFieldType = 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'KEYWORD' | 'TEXT';

export interface IndexField {
  name: string;
  type: IndexFieldType;
  array: boolean;
  /** TEXT only; every analyzer is approximated by `singleWord` (see LIMITATIONS in search.ts). */
  analyzer?: string;
  sortable: boolean;
}

const FIELD_TYPES: Record<number, IndexFieldType> = { 1: 'LONG', 2: 'DOUBLE', 3: 'BOOLEAN', 4: 'KEYWORD', 5: 'TEXT' };

export function fieldTypeOf(code: number, field: string): IndexFieldType {
  const type = FIELD_TYPES[code];
  if (!type) throw notEmulated(`field type ${code} (field ${field})`);
  return type;
}

/**
 * TableStore's `single_word` analyzer as documented: case-insensitive, Chinese (and Japanese kana) split into
 * single characters, other text split at spaces and punctuation; letters and digits stay together
 * (`delimitWord` false).
 */
export function singleWord(text: string): string[] {
  return text.toLowerCase().match(/[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}])+/gu) ?? [];
}

/** A row as the index sees it. */
export interface IndexedRow {
  row: LiveRow;
  tokens: Map<string, string[]>;
  values: Map<string, CellValue[]>;
}

export function indexRow(row: LiveRow, fields: readonly IndexField[]): IndexedRow {
  const tokens = new Map<string, string[]>();
  const values = new Map<string, CellValue[]>();
  for (const field of fields) {
    const cell = row.cells.find((c) => c.name === field.name)?.value ?? row.primaryKey.find((c) => c.name === field.name)?.value;
    if (!cell) continue;
    const items = field.array ? arrayItems(cell, field.type) : [cell];
    if (field.type === 'TEXT') tokens.set(field.name, items.flatMap((v) => (v.type === 'STRING' ? singleWord(v.value) : [])));
    else values.set(field.name, items.filter((v) => matchesType(v, field.type)));
  }
  return { row, tokens, values };
}

/** Array fields hold a JSON array in a STRING column; anything else is not indexed (as TableStore skips it). */
function arrayItems(cell: CellValue, type: IndexFieldType): CellValue[] {
  if (cell.type !== 'STRING') return [];
  try {
    const parsed = JSON.parse(cell.value) as unknown;
    if (!Array.isArray(parsed)) return [];
    return parsed.map((item): CellValue | undefined => {
      if (typeof item === 'string') return { type: 'STRING', value: item };
      if (typeof item === 'boolean') return { type: 'BOOLEAN', value: item };
      if (typeof item === 'number') return type === 'LONG' && Number.isInteger(item) ? { type: 'INTEGER', value: BigInt(item) } : { type: 'DOUBLE', value: item };
      return undefined;
    }).filter((v): v is CellValue => v !== undefined);
  } catch {
    return [];
  }
}

function matchesType(value: CellValue, type: IndexFieldType): boolean {
  if (type === 'KEYWORD') return value.type === 'STRING';
  if (type === 'LONG') return value.type === 'INTEGER';
  if (type === 'DOUBLE') return value.type === 'DOUBLE' || value.type === 'INTEGER';
  return value.type === 'BOOLEAN';
}

/** Collection statistics for BM25 over the rows of one table. */
export class Corpus {
  private readonly docFreq = new Map<string, Map<string, number>>();
  private readonly lengths = new Map<string, { docs: number; total: number }>();

  constructor(readonly rows: readonly IndexedRow[]) {
    for (const row of rows) {
      for (const [field, tokens] of row.tokens) {
        const length = this.lengths.get(field) ?? { docs: 0, total: 0 };
        length.docs += 1;
        length.total += tokens.length;
        this.lengths.set(field, length);
        const df = this.docFreq.get(field) ?? new Map<string, number>();
        for (const token of new Set(tokens)) df.set(token, (df.get(token) ?? 0) + 1);
        this.docFreq.set(field, df);
      }
    }
  }

  /** Lucene's BM25 (k1 = 1.2, b = 0.75) of one term in one row's field. */
  bm25(field: string, term: string, tokens: readonly string[]): number {
    const tf = tokens.filter((t) => t === term).length;
    if (tf === 0) return 0;
    const { docs, total } = this.lengths.get(field) ?? { docs: 1, total: tokens.length };
    const df = this.docFreq.get(field)?.get(term) ?? 1;
    const idf = Math.log(1 + (docs - df + 0.5) / (df + 0.5));
    const avg = total / Math.max(docs, 1) || 1;
    return (idf * tf * 2.2) / (tf + 1.2 * (0.25 + (0.75 * tokens.length) / avg));
  }
}

// ---- the query tree ----

export type QueryNode =
  | { kind: 'matchAll' }
  | { kind: 'match'; field: string; text: string; and: boolean; minimumShouldMatch: number; weight: number }
  | { kind: 'prefix'; field: string; prefix: string; weight: number }
  | { kind: 'term'; field: string; terms: CellValue[]; weight: number }
  | { kind: 'bool'; must: QueryNode[]; mustNot: QueryNode[]; filter: QueryNode[]; should: QueryNode[]; minimumShouldMatch: number | undefined };

type Decoded = Record<string, unknown>;

const QUERY_TYPES = { MATCH: 1, TERM: 3, PREFIX: 5, BOOL: 6, MATCH_ALL: 11, TERMS: 15 } as const;

function weightOf(message: Decoded): number {
  return has(message, 'weight') && Number(message.weight) > 0 ? Number(message.weight) : 1;
}

function decode(name: string, bytes: unknown): Decoded {
  try {
    return protos.search[name]!.decode(bytes as Uint8Array) as Decoded;
  } catch (err) {
    throw parameterInvalid(`Invalid ${name}: ${(err as Error).message}`);
  }
}

export function decodeQuery(query: Decoded | null | undefined, fields: ReadonlyMap<string, IndexField>): QueryNode {
  if (!query || !has(query, 'type')) throw parameterInvalid('Query is required.');
  const type = Number(query.type);
  const field = (message: Decoded) => {
    const name = String(message.fieldName ?? '');
    if (!fields.has(name)) throw parameterInvalid(`Field [${name}] is not in the search index schema.`);
    return name;
  };
  switch (type) {
    case QUERY_TYPES.MATCH_ALL:
      return { kind: 'matchAll' };
    case QUERY_TYPES.MATCH: {
      const m = decode('MatchQuery', query.query);
      return { kind: 'match', field: field(m), text: String(m.text ?? ''), and: Number(m.operator) === 2, minimumShouldMatch: has(m, 'minimumShouldMatch') ? Number(m.minimumShouldMatch) : 1, weight: weightOf(m) };
    }
    case QUERY_TYPES.PREFIX: {
      const m = decode('PrefixQuery', query.query);
      return { kind: 'prefix', field: field(m), prefix: String(m.prefix ?? ''), weight: weightOf(m) };
    }
    case QUERY_TYPES.TERM: {
      const m = decode('TermQuery', query.query);
      return { kind: 'term', field: field(m), terms: [readVariant(m.term as Uint8Array)], weight: weightOf(m) };
    }
    case QUERY_TYPES.TERMS: {
      const m = decode('TermsQuery', query.query);
      return { kind: 'term', field: field(m), terms: (m.terms as Uint8Array[]).map((t) => readVariant(t)), weight: weightOf(m) };
    }
    case QUERY_TYPES.BOOL: {
      const m = decode('BoolQuery', query.query);
      const list = (name: string) => ((m[name] as Decoded[] | undefined) ?? []).map((q) => decodeQuery(q, fields));
      return {
        kind: 'bool',
        must: list('mustQueries'),
        mustNot: list('mustNotQueries'),
        filter: list('filterQueries'),
        should: list('shouldQueries'),
        minimumShouldMatch: has(m, 'minimumShouldMatch') ? Number(m.minimumShouldMatch) : undefined,
      };
    }
    default:
      throw notEmulated(`query type ${type}`);
  }
}

function sameValue(a: CellValue, b: CellValue): boolean {
  if ((a.type === 'INTEGER' || a.type === 'DOUBLE') && (b.type === 'INTEGER' || b.type === 'DOUBLE')) return Number(a.value) === Number(b.value);
  return a.type === b.type && (a.type === 'BINARY' ? Buffer.compare(a.value, b.value as Buffer) === 0 : a.value === b.value);
}

/** The row's score for `query`, or undefined when it does not match. */
export function evaluate(query: QueryNode, row: IndexedRow, corpus: Corpus): number | undefined {
  switch (query.kind) {
    case 'matchAll':
      return 1;
    case 'match': {
      const tokens = row.tokens.get(query.field);
      if (!tokens) {
        const values = row.values.get(query.field) ?? [];
        return values.some((v) => v.type === 'STRING' && v.value === query.text) ? query.weight : undefined;
      }
      const terms = [...new Set(singleWord(query.text))];
      const scores = terms.map((t) => corpus.bm25(query.field, t, tokens));
      const matched = scores.filter((s) => s > 0).length;
      if (terms.length === 0 || (query.and ? matched < terms.length : matched < Math.max(1, query.minimumShouldMatch))) return undefined;
      return query.weight * scores.reduce((a, b) => a + b, 0);
    }
    case 'prefix': {
      const tokens = row.tokens.get(query.field);
      const candidates = tokens ?? (row.values.get(query.field) ?? []).flatMap((v) => (v.type === 'STRING' ? [v.value] : []));
      return query.prefix.length > 0 && candidates.some((t) => t.startsWith(query.prefix)) ? query.weight : undefined;
    }
    case 'term': {
      const tokens = row.tokens.get(query.field);
      const hit = tokens
        ? query.terms.some((t) => t.type === 'STRING' && tokens.includes(t.value))
        : query.terms.some((t) => (row.values.get(query.field) ?? []).some((v) => sameValue(v, t)));
      return hit ? query.weight : undefined;
    }
    case 'bool': {
      let score = 0;
      for (const q of query.must) {
        const s = evaluate(q, row, corpus);
        if (s === undefined) return undefined;
        score += s;
      }
      for (const q of query.filter) if (evaluate(q, row, corpus) === undefined) return undefined;
      for (const q of query.mustNot) if (evaluate(q, row, corpus) !== undefined) return undefined;
      let matchedShould = 0;
      for (const q of query.should) {
        const s = evaluate(q, row, corpus);
        if (s === undefined) continue;
        matchedShould += 1;
        score += s;
      }
      const required = query.minimumShouldMatch ?? (query.should.length > 0 && query.must.length === 0 && query.filter.length === 0 ? 1 : 0);
      if (matchedShould < required) return undefined;
      // A bool made only of filters scores 0 in Lucene; TableStore reports the same.
      return score;
    }
  }
}
