/**
 * Search queries (tablestore_search.proto `Query`) decoded into a tree and evaluated on indexed documents, with a
 * relevance score close enough to TableStore's: Lucene's BM25 for MATCH and MATCH_PHRASE terms, the query's
 * constant `weight` for TERM(S)/PREFIX/WILDCARD/RANGE/EXISTS, sums in BOOL (filters and must-nots score 0).
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/query-types
 */
import { notEmulated, parameterInvalid } from '../errors';
import { has } from '../handler';
import { readVariant } from '../plain-buffer';
import { protos } from '../sdk';
import { compareCell, type CellValue } from '../values';
import { analyze, type IndexedDoc, type IndexField } from './schema';

export type QueryNode =
  | { kind: 'matchAll' }
  | { kind: 'match'; field: IndexField; text: string; and: boolean; minimumShouldMatch: number; weight: number }
  | { kind: 'phrase'; field: IndexField; text: string; weight: number }
  | { kind: 'prefix'; field: IndexField; prefix: string; weight: number }
  | { kind: 'wildcard'; field: IndexField; pattern: RegExp; weight: number }
  | { kind: 'term'; field: IndexField; terms: CellValue[]; weight: number }
  | { kind: 'range'; field: IndexField; from?: CellValue; to?: CellValue; includeLower: boolean; includeUpper: boolean }
  | { kind: 'exists'; field: IndexField }
  | { kind: 'constScore'; filter: QueryNode }
  | { kind: 'bool'; must: QueryNode[]; mustNot: QueryNode[]; filter: QueryNode[]; should: QueryNode[]; minimumShouldMatch: number | undefined };

type Decoded = Record<string, unknown>;

const QUERY_TYPES = protos.search.QueryType as unknown as Record<string, number>;
const QUERY_NAMES = Object.fromEntries(Object.entries(QUERY_TYPES).map(([name, code]) => [code, name])) as Record<number, string>;

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

/** `*` any run of characters, `?` one character; everything else literal. */
function wildcard(value: string): RegExp {
  const source = [...value].map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.+^${}()|[\]\\]/g, '\\$&'))).join('');
  return new RegExp(`^${source}$`, 'su');
}

/**
 * Prefix and wildcard queries match strings: TableStore runs them on KEYWORD and TEXT fields (the prefix-query and
 * fuzzy-query docs), so on a LONG, DOUBLE or BOOLEAN field they are refused rather than answered with no hits.
 */
function stringField(field: IndexField, query: string): IndexField {
  if (field.type !== 'KEYWORD' && field.type !== 'TEXT') throw parameterInvalid(`${query} needs a KEYWORD or TEXT field: field [${field.name}] is ${field.type}.`);
  return field;
}

export function decodeQuery(query: Decoded | null | undefined, fields: ReadonlyMap<string, IndexField>): QueryNode {
  if (!query || !has(query, 'type')) throw parameterInvalid('Query is required.');
  const type = Number(query.type);
  const field = (message: Decoded) => {
    const name = String(message.fieldName ?? '');
    const found = fields.get(name);
    if (!found) throw parameterInvalid(`Field [${name}] is not in the search index schema.`);
    return found;
  };
  switch (type) {
    case QUERY_TYPES.MATCH_ALL_QUERY:
      return { kind: 'matchAll' };
    case QUERY_TYPES.MATCH_QUERY: {
      const m = decode('MatchQuery', query.query);
      return { kind: 'match', field: field(m), text: String(m.text ?? ''), and: Number(m.operator) === 2, minimumShouldMatch: has(m, 'minimumShouldMatch') ? Number(m.minimumShouldMatch) : 1, weight: weightOf(m) };
    }
    case QUERY_TYPES.MATCH_PHRASE_QUERY: {
      const m = decode('MatchPhraseQuery', query.query);
      return { kind: 'phrase', field: field(m), text: String(m.text ?? ''), weight: weightOf(m) };
    }
    case QUERY_TYPES.PREFIX_QUERY: {
      const m = decode('PrefixQuery', query.query);
      return { kind: 'prefix', field: stringField(field(m), 'PrefixQuery'), prefix: String(m.prefix ?? ''), weight: weightOf(m) };
    }
    case QUERY_TYPES.WILDCARD_QUERY: {
      const m = decode('WildcardQuery', query.query);
      const value = String(m.value ?? '');
      if (value.length > 32) throw parameterInvalid('The wildcard query value cannot be longer than 32 characters.');
      return { kind: 'wildcard', field: stringField(field(m), 'WildcardQuery'), pattern: wildcard(value), weight: weightOf(m) };
    }
    case QUERY_TYPES.TERM_QUERY: {
      const m = decode('TermQuery', query.query);
      return { kind: 'term', field: field(m), terms: [readVariant(m.term as Uint8Array)], weight: weightOf(m) };
    }
    case QUERY_TYPES.TERMS_QUERY: {
      const m = decode('TermsQuery', query.query);
      const terms = ((m.terms as Uint8Array[] | undefined) ?? []).map((t) => readVariant(t));
      if (terms.length === 0) throw parameterInvalid('TermsQuery needs at least one term.');
      return { kind: 'term', field: field(m), terms, weight: weightOf(m) };
    }
    case QUERY_TYPES.RANGE_QUERY: {
      const m = decode('RangeQuery', query.query);
      const bound = (name: string) => ((m[name] as Uint8Array | undefined)?.length ? readVariant(m[name] as Uint8Array) : undefined);
      const from = bound('rangeFrom');
      const to = bound('rangeTo');
      if (!from && !to) throw parameterInvalid('RangeQuery needs range_from or range_to.');
      return { kind: 'range', field: field(m), ...(from ? { from } : {}), ...(to ? { to } : {}), includeLower: m.includeLower === true, includeUpper: m.includeUpper === true };
    }
    case QUERY_TYPES.EXISTS_QUERY: {
      // The Node SDK encodes EXISTS_QUERY's body with TermsQuery's message; field 1 is field_name in both.
      const m = decode('ExistsQuery', query.query);
      return { kind: 'exists', field: field(m) };
    }
    case QUERY_TYPES.CONST_SCORE_QUERY: {
      const m = decode('ConstScoreQuery', query.query);
      return { kind: 'constScore', filter: decodeQuery(m.filter as Decoded | undefined, fields) };
    }
    case QUERY_TYPES.BOOL_QUERY: {
      const m = decode('BoolQuery', query.query);
      const list = (name: string) => ((m[name] as Decoded[] | undefined) ?? []).map((q) => decodeQuery(q, fields));
      const node = {
        kind: 'bool' as const,
        must: list('mustQueries'),
        mustNot: list('mustNotQueries'),
        filter: list('filterQueries'),
        should: list('shouldQueries'),
        minimumShouldMatch: has(m, 'minimumShouldMatch') ? Number(m.minimumShouldMatch) : undefined,
      };
      if (node.minimumShouldMatch !== undefined && node.minimumShouldMatch > node.should.length) {
        throw parameterInvalid(`minimum_should_match (${node.minimumShouldMatch}) is larger than the number of should queries (${node.should.length}).`);
      }
      return node;
    }
    default:
      throw notEmulated(`Query type ${QUERY_NAMES[type] ?? type}`);
  }
}

/** Collection statistics for BM25 over the documents of one index. */
export class Corpus {
  private readonly docFreq = new Map<string, Map<string, number>>();
  private readonly lengths = new Map<string, { docs: number; total: number }>();

  constructor(docs: Iterable<IndexedDoc>) {
    for (const doc of docs) {
      for (const [field, tokens] of doc.tokens) {
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

  /** Lucene's BM25 (k1 = 1.2, b = 0.75) of one term in one document's field. */
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

function sameValue(a: CellValue, b: CellValue): boolean {
  return compareCell(a, b) === 0;
}

/** The words a query text is made of, analyzed like the field (KEYWORD: the text itself). */
function queryTerms(field: IndexField, text: string): string[] {
  return field.type === 'TEXT' ? analyze(text, field.analyzer!) : [text];
}

/** A field's searchable strings: TEXT tokens, or KEYWORD values. */
function strings(doc: IndexedDoc, field: IndexField): string[] {
  const tokens = doc.tokens.get(field.name);
  if (tokens) return tokens;
  return (doc.values.get(field.name) ?? []).flatMap((v) => (v.type === 'STRING' ? [v.value] : []));
}

function containsPhrase(tokens: readonly string[], phrase: readonly string[]): boolean {
  if (phrase.length === 0) return false;
  outer: for (let i = 0; i + phrase.length <= tokens.length; i++) {
    for (let j = 0; j < phrase.length; j++) if (tokens[i + j] !== phrase[j]) continue outer;
    return true;
  }
  return false;
}

function inRange(value: CellValue, query: Extract<QueryNode, { kind: 'range' }>): boolean {
  if (query.from) {
    const order = compareCell(value, query.from);
    if (order === undefined || order < 0 || (order === 0 && !query.includeLower)) return false;
  }
  if (query.to) {
    const order = compareCell(value, query.to);
    if (order === undefined || order > 0 || (order === 0 && !query.includeUpper)) return false;
  }
  return true;
}

/** The document's score for `query`, or undefined when it does not match. */
export function evaluate(query: QueryNode, doc: IndexedDoc, corpus: Corpus): number | undefined {
  switch (query.kind) {
    case 'matchAll':
      return 1;
    case 'match': {
      const terms = [...new Set(queryTerms(query.field, query.text))];
      if (terms.length === 0) return undefined;
      const tokens = doc.tokens.get(query.field.name);
      if (!tokens) return strings(doc, query.field).includes(query.text) ? query.weight : undefined;
      const scores = terms.map((t) => corpus.bm25(query.field.name, t, tokens));
      const matched = scores.filter((s) => s > 0).length;
      if (query.and ? matched < terms.length : matched < Math.max(1, query.minimumShouldMatch)) return undefined;
      return query.weight * scores.reduce((a, b) => a + b, 0);
    }
    case 'phrase': {
      const terms = queryTerms(query.field, query.text);
      const tokens = strings(doc, query.field);
      if (!containsPhrase(tokens, terms)) return undefined;
      return query.weight * terms.reduce((sum, t) => sum + corpus.bm25(query.field.name, t, tokens), 0);
    }
    case 'prefix':
      return query.prefix.length > 0 && strings(doc, query.field).some((t) => t.startsWith(query.prefix)) ? query.weight : undefined;
    case 'wildcard':
      return strings(doc, query.field).some((t) => query.pattern.test(t)) ? query.weight : undefined;
    case 'term': {
      const tokens = doc.tokens.get(query.field.name);
      const hit = tokens ? query.terms.some((t) => t.type === 'STRING' && tokens.includes(t.value)) : query.terms.some((t) => (doc.values.get(query.field.name) ?? []).some((v) => sameValue(v, t)));
      return hit ? query.weight : undefined;
    }
    case 'range':
      return (doc.values.get(query.field.name) ?? []).some((v) => inRange(v, query)) ? 1 : undefined;
    case 'exists':
      return doc.values.has(query.field.name) ? 1 : undefined;
    case 'constScore':
      return evaluate(query.filter, doc, corpus) === undefined ? undefined : 1;
    case 'bool': {
      let score = 0;
      for (const q of query.must) {
        const s = evaluate(q, doc, corpus);
        if (s === undefined) return undefined;
        score += s;
      }
      for (const q of query.filter) if (evaluate(q, doc, corpus) === undefined) return undefined;
      for (const q of query.mustNot) if (evaluate(q, doc, corpus) !== undefined) return undefined;
      let matchedShould = 0;
      for (const q of query.should) {
        const s = evaluate(q, doc, corpus);
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
