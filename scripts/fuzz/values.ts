import type { Random } from './random';

/**
 * Hostile values and raw JSON texts. A body is built as text, not through `JSON.stringify`, because several of the
 * inputs worth sending cannot be made from a JS value: duplicate keys, `1e999`, a lone surrogate as `\ud800`,
 * bare `NaN`, 100 000 nested brackets.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A value spliced into a body as raw text (e.g. `1e999`, `"\ud800"`), in place of a JSON value. */
export class RawJson {
  constructor(readonly text: string) {}
}

export type Mutant = Json | RawJson | DuplicateKeys | Mutant[] | { [key: string]: Mutant };

/** JSON text of a mutated value; `RawJson` goes in as written. Object keys may repeat through `DuplicateKeys`. */
export function toJsonText(value: Mutant): string {
  if (value instanceof RawJson) return value.text;
  if (value instanceof DuplicateKeys) return `{${value.entries.map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  if (Array.isArray(value)) return `[${value.map(toJsonText).join(',')}]`;
  if (value !== null && typeof value === 'object') return `{${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}:${toJsonText(v)}`).join(',')}}`;
  return JSON.stringify(value);
}

/** An object written with its keys as listed, repeats included (`JSON.parse` keeps the last). */
export class DuplicateKeys {
  constructor(readonly entries: [string, Mutant][]) {}
}

/** Strings a careless or hostile client sends; `valid` says whether the text is still a well-formed Unicode string. */
export function hostileString(rng: Random): { text: Mutant; label: string } {
  const choices: [string, () => Mutant][] = [
    ['empty', () => ''],
    ['spaces', () => '   '],
    ['long 10k', () => 'a'.repeat(10_000)],
    ['long 300k', () => 'x'.repeat(300_000)],
    ['lone high surrogate', () => new RawJson('"pump\\ud800"')],
    ['lone low surrogate', () => new RawJson('"\\udc00name"')],
    ['NUL', () => 'a\u0000b'],
    ['newline', () => 'line\nbreak'],
    ['C1 control', () => 'a\u0085b'],
    ['bidi override', () => 'pump\u202e1'],
    ['emoji', () => 'café 🚀👩‍💻'],
    ['CJK', () => '温度传感器'],
    ['path traversal', () => '../../etc/passwd'],
    ['encoded traversal', () => '..%2f..%2fetc%2fpasswd'],
    ['NaN-ish', () => rng.pick(['NaN', 'Infinity', '-Infinity', 'undefined', 'null', '0x10', '1e999', '-0'])],
    ['html', () => '<script>alert(1)</script>'],
    ['sql', () => "' OR '1'='1"],
    ['format string', () => '%s%s%n%x'],
    ['BOM and ZWSP', () => '\ufeff\u200bname'],
    ['noncharacter', () => 'a\uffffb'],
  ];
  const [label, make] = rng.pick(choices);
  return { text: make(), label };
}

/** Numbers at and past every edge JSON and JavaScript have. */
export function hostileNumber(rng: Random): { value: Mutant; label: string } {
  const choices: [string, Mutant][] = [
    ['1e999 (Infinity)', new RawJson('1e999')],
    ['-1e999', new RawJson('-1e999')],
    ['1e308', 1e308],
    ['2^53+1', new RawJson('9007199254740993')],
    ['-2^63', new RawJson('-9223372036854775808')],
    ['-0', new RawJson('-0')],
    ['0', 0],
    ['-1', -1],
    ['fraction', 1.5],
    ['tiny', 5e-324],
    ['exponent form', new RawJson('1E2')],
    ['long digits', new RawJson('1'.repeat(400))],
  ];
  const [label, value] = rng.pick(choices);
  return { value, label };
}

/** A value of another JSON type than `original` (so a typed field must refuse it). */
export function otherType(rng: Random, original: Json): { value: Mutant; label: string } {
  const kind = original === null ? 'null' : Array.isArray(original) ? 'array' : typeof original;
  const choices: [string, Mutant][] = (
    [
      ['string', 'string', 'text'],
      ['number', 'number', 42],
      ['number-as-string', 'string', typeof original === 'number' ? String(original) : '7'],
      ['boolean', 'boolean', true],
      ['object', 'object', { value: typeof original === 'object' ? 'x' : (original as Json) }],
      ['array', 'array', [original]],
      ['null', 'null', null],
    ] as [string, string, Mutant][]
  )
    .filter(([, type]) => type !== kind)
    .map(([label, , value]) => [label, value]);
  const [label, value] = rng.pick(choices);
  return { value, label };
}

/** `[[[…]]]` or `{"a":{"a":…}}` this deep: a recursive parser or validator would overflow its stack. */
export function deepNesting(rng: Random): { value: Mutant; label: string } {
  const depth = rng.pick([1_000, 20_000, 200_000]);
  const objects = rng.chance(0.5);
  const text = objects ? `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}` : `${'['.repeat(depth)}${']'.repeat(depth)}`;
  return { value: new RawJson(text), label: `${objects ? 'objects' : 'arrays'} nested ${depth} deep` };
}

/** Texts that are not JSON, or not one JSON value. */
export function brokenJson(rng: Random, valid: string): { text: string; label: string } {
  const choices: [string, () => string][] = [
    ['truncated', () => valid.slice(0, Math.max(1, Math.floor(valid.length / 2)))],
    ['trailing comma', () => valid.replace(/}$/, ',}')],
    ['single quotes', () => valid.replace(/"/g, "'")],
    ['bare NaN', () => valid.replace(/:(\s*)("[^"]*"|-?\d+(\.\d+)?)/, ':NaN')],
    ['two values', () => `${valid}${valid}`],
    ['comment', () => `/* x */${valid}`],
    ['unquoted keys', () => valid.replace(/"(\w+)":/g, '$1:')],
    ['bad escape', () => valid.replace(/"[^"]*"/, '"\\uZZZZ"')],
    ['only whitespace', () => ' \n\t '],
    ['a lone brace', () => '{'],
  ];
  const [label, make] = rng.pick(choices);
  return { text: make(), label };
}
