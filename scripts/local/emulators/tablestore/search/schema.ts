/**
 * A search index's schema as the emulator understands it (tablestore_search.proto `IndexSchema`), and what a row
 * looks like to it: analyzed TEXT tokens (with positions, for phrases) and typed values of the other fields.
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/data-types-of-search-index
 */
import { notEmulated, parameterInvalid } from '../errors';
import { has } from '../handler';
import { protos } from '../sdk';
import { latestCells, NAME_PATTERN, type LiveRow } from '../table';
import type { CellValue } from '../values';

export type IndexFieldType = 'LONG' | 'DOUBLE' | 'BOOLEAN' | 'KEYWORD' | 'TEXT';

export interface Analyzer {
  kind: 'single_word' | 'split';
  caseSensitive: boolean;
  /** single_word: split letters from digits (`delimitWord`). */
  delimitWord: boolean;
  /** split: the delimiter (default: whitespace). */
  delimiter?: string;
}

export interface IndexField {
  name: string;
  type: IndexFieldType;
  array: boolean;
  /** TEXT only. */
  analyzer?: Analyzer;
  /** `enable_sort_and_agg` (doc_values): the field can be sorted on. */
  sortable: boolean;
}

/**
 * Which of an array field's values a field sort uses (SortMode): by default the smallest ascending and the
 * largest descending (https://www.alibabacloud.com/help/en/tablestore/developer-reference/sortmode).
 */
export type SortMode = 'min' | 'max' | 'avg';
const SORT_MODES: Record<number, SortMode> = { 0: 'min', 1: 'max', 2: 'avg' };

export type Sorter = { kind: 'score'; desc: boolean } | { kind: 'field'; field: string; desc: boolean; mode: SortMode } | { kind: 'pk'; desc: boolean };

export interface IndexSchema {
  fields: IndexField[];
  /** The presort (`index_sort`): the order without a sort in the request. Default: primary key. */
  indexSort: Sorter[];
}

const FIELD_TYPES: Record<number, IndexFieldType> = { 1: 'LONG', 2: 'DOUBLE', 3: 'BOOLEAN', 4: 'KEYWORD', 5: 'TEXT' };
const UNSUPPORTED_TYPES: Record<number, string> = { 6: 'NESTED', 7: 'GEO_POINT', 8: 'DATE', 9: 'VECTOR' };

type Decoded = Record<string, unknown>;

function decodeAnalyzer(field: Decoded, name: string): Analyzer {
  const analyzer = typeof field.analyzer === 'string' && field.analyzer ? field.analyzer : 'single_word';
  const parameter = field.analyzerParameter as Uint8Array | undefined;
  if (analyzer === 'single_word') {
    const p = parameter && parameter.length > 0 ? (protos.search.SingleWordAnalyzerParameter!.decode(parameter) as Decoded) : {};
    return { kind: 'single_word', caseSensitive: p.caseSensitive === true, delimitWord: p.delimitWord === true };
  }
  if (analyzer === 'split') {
    const p = parameter && parameter.length > 0 ? (protos.search.SplitAnalyzerParameter!.decode(parameter) as Decoded) : {};
    return { kind: 'split', caseSensitive: false, delimitWord: false, ...(typeof p.delimiter === 'string' && p.delimiter ? { delimiter: p.delimiter } : {}) };
  }
  throw notEmulated(`The ${analyzer} analyzer (field ${name}); use single_word or split`);
}

export function decodeSorters(sort: Decoded | undefined, fields: ReadonlyMap<string, IndexField>, where: string): Sorter[] {
  return ((sort?.sorter as Decoded[] | undefined) ?? []).map((s): Sorter => {
    const desc = (part: unknown) => Number((part as Decoded).order) === 1;
    if (s.scoreSort) return { kind: 'score', desc: desc(s.scoreSort) };
    if (s.pkSort) return { kind: 'pk', desc: desc(s.pkSort) };
    if (s.docSort) return { kind: 'pk', desc: desc(s.docSort) };
    if (s.fieldSort) {
      const fs = s.fieldSort as Decoded;
      const field = fields.get(String(fs.fieldName));
      if (!field) throw parameterInvalid(`${where}: field [${String(fs.fieldName)}] is not in the search index schema.`);
      if (!field.sortable || field.type === 'TEXT') throw parameterInvalid(`${where}: field [${field.name}] does not enable sort and agg.`);
      if (fs.nestedFilter || (fs.missingValue as Uint8Array | undefined)?.length || fs.missingField) throw notEmulated(`${where}: FieldSort nested_filter, missing_value and missing_field`);
      const descending = desc(fs);
      const mode = has(fs, 'mode') && fs.mode !== null && fs.mode !== undefined ? SORT_MODES[Number(fs.mode)] : descending ? 'max' : 'min';
      if (!mode) throw parameterInvalid(`${where}: invalid sort mode ${String(fs.mode)} for field [${field.name}].`);
      if (mode === 'avg' && field.type !== 'LONG' && field.type !== 'DOUBLE') throw parameterInvalid(`${where}: SORT_MODE_AVG needs a LONG or DOUBLE field, [${field.name}] is ${field.type}.`);
      return { kind: 'field', field: field.name, desc: descending, mode };
    }
    if (s.geoDistanceSort) throw notEmulated(`${where}: GeoDistanceSort`);
    throw parameterInvalid(`${where}: a sorter needs one of score_sort, pk_sort, field_sort, doc_sort.`);
  });
}

/** The checked schema of a CreateSearchIndex request. */
export function decodeIndexSchema(schema: Decoded | undefined): IndexSchema {
  const list = (schema?.fieldSchemas as Decoded[] | undefined) ?? [];
  if (list.length === 0) throw parameterInvalid('field_schemas is required.');
  const seen = new Set<string>();
  const fields = list.map((f): IndexField => {
    const name = String(f.fieldName ?? '');
    if (!NAME_PATTERN.test(name)) throw parameterInvalid(`Invalid field name: '${name}'.`);
    if (seen.has(name)) throw parameterInvalid(`Duplicated field name: ${name}.`);
    seen.add(name);
    const code = Number(f.fieldType);
    if (UNSUPPORTED_TYPES[code]) throw notEmulated(`Search index fields of type ${UNSUPPORTED_TYPES[code]} (field ${name})`);
    const type = FIELD_TYPES[code];
    if (!type) throw parameterInvalid(`Invalid field type: ${code} (field ${name}).`);
    if (f.isVirtualField) throw notEmulated(`Virtual fields (field ${name})`);
    if (f.enableHighlighting) throw notEmulated(`Highlighting (field ${name})`);
    if (has(f, 'index') && f.index === false) throw notEmulated(`Fields that are stored but not indexed (index: false, field ${name})`);
    if (type === 'TEXT' && f.docValues) throw parameterInvalid(`Field [${name}]: TEXT fields cannot enable sort and agg.`);
    return { name, type, array: f.isArray === true, ...(type === 'TEXT' ? { analyzer: decodeAnalyzer(f, name) } : {}), sortable: f.docValues === true };
  });
  if ((schema?.indexSetting as Decoded | undefined)?.routingFields && ((schema!.indexSetting as Decoded).routingFields as unknown[]).length > 0) throw notEmulated('Routing fields (index_setting.routing_fields)');
  const byName = new Map(fields.map((f) => [f.name, f]));
  const indexSort = decodeSorters(schema?.indexSort as Decoded | undefined, byName, 'index_sort');
  if (indexSort.some((s) => s.kind === 'score')) throw parameterInvalid('index_sort cannot sort by score.');
  return { fields, indexSort };
}

// ---- analysis ----

const HAN_OR_KANA = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const SINGLE_WORD = /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]|(?:(?![\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}])[\p{L}\p{N}\p{M}])+/gu;

/**
 * TableStore's analyzers as documented: `single_word` splits Chinese (and Japanese kana) into single characters
 * and other text at spaces and punctuation, lower-casing unless case-sensitive; with `delimitWord` letters and
 * digits are separated too. `split` splits at its delimiter (whitespace by default).
 */
export function analyze(text: string, analyzer: Analyzer): string[] {
  const source = analyzer.caseSensitive ? text : text.toLowerCase();
  if (analyzer.kind === 'split') return source.split(analyzer.delimiter ?? /\s+/u).filter((t) => t.length > 0);
  const words = source.match(SINGLE_WORD) ?? [];
  if (!analyzer.delimitWord) return words;
  return words.flatMap((w) => (HAN_OR_KANA.test(w) ? [w] : (w.match(/\p{N}+|[\p{L}\p{M}]+/gu) ?? [])));
}

/** A row as the index sees it: tokens of TEXT fields (in order), typed values of the others. */
export interface IndexedDoc {
  row: LiveRow;
  tokens: Map<string, string[]>;
  values: Map<string, CellValue[]>;
  /** When a cell of the row expires by TTL (ms), so the document must be looked at again. */
  expiresAt: number;
}

/**
 * An array field's values: a STRING column holding a JSON array of the field's type. Anything else — another
 * column type, text that is not a JSON array, an item of another type — is undefined: the row is dirty data.
 */
function arrayItems(cell: CellValue, type: IndexFieldType): CellValue[] | undefined {
  if (cell.type !== 'STRING') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(cell.value);
  } catch {
    return undefined;
  }
  if (!Array.isArray(parsed)) return undefined;
  const items: CellValue[] = [];
  for (const item of parsed) {
    const value = jsonItem(item, type);
    if (!value || !matchesType(value, type)) return undefined;
    items.push(value);
  }
  return items;
}

/** One item of an array field's JSON as a cell value (JSON has one number type: whole numbers are LONG in a LONG field). */
function jsonItem(item: unknown, type: IndexFieldType): CellValue | undefined {
  if (typeof item === 'string') return { type: 'STRING', value: item };
  if (typeof item === 'boolean') return { type: 'BOOLEAN', value: item };
  if (typeof item === 'number') return type === 'LONG' && Number.isInteger(item) ? { type: 'INTEGER', value: BigInt(item) } : { type: 'DOUBLE', value: item };
  return undefined;
}

/** TableStore's data-type mapping is one to one: LONG ↔ INTEGER, DOUBLE ↔ DOUBLE, BOOLEAN ↔ BOOLEAN, KEYWORD and TEXT ↔ STRING. */
function matchesType(value: CellValue, type: IndexFieldType): boolean {
  if (type === 'KEYWORD' || type === 'TEXT') return value.type === 'STRING';
  if (type === 'LONG') return value.type === 'INTEGER';
  if (type === 'DOUBLE') return value.type === 'DOUBLE';
  return value.type === 'BOOLEAN';
}

/**
 * The row as the index sees it, or undefined when it is dirty data: a value of an indexed column whose type does not
 * map to its field's (a JS number, which the SDK writes as DOUBLE, in a LONG field is the usual one). TableStore
 * syncs no such row to the index at all, though the table keeps it
 * (https://www.alibabacloud.com/help/en/tablestore/data-type-mappings-of-search-index).
 */
export function indexDoc(row: LiveRow, fields: readonly IndexField[], expiresAt: number): IndexedDoc | undefined {
  const tokens = new Map<string, string[]>();
  const values = new Map<string, CellValue[]>();
  const cells = latestCells(row);
  for (const field of fields) {
    const cell = cells.find((c) => c.name === field.name)?.value ?? row.primaryKey.find((c) => c.name === field.name)?.value;
    if (!cell) continue;
    const items = field.array ? arrayItems(cell, field.type) : matchesType(cell, field.type) ? [cell] : undefined;
    if (!items) return undefined;
    if (items.length === 0) continue;
    values.set(field.name, items);
    if (field.type === 'TEXT') tokens.set(field.name, items.flatMap((v) => (v.type === 'STRING' ? analyze(v.value, field.analyzer!) : [])));
  }
  return { row, tokens, values, expiresAt };
}
