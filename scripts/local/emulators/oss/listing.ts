/**
 * The listing walk shared by ListObjects (V1) and ListObjectsV2: keys in UTF-8 byte order, `prefix` filter,
 * `delimiter` roll-up into CommonPrefixes, and `max-keys` counting objects and prefixes together, as OSS does
 * (https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectsv2).
 * Storage is reached through `next`, one seek per emitted entry, so a common prefix with a million keys under
 * it costs one seek, not a million.
 */
import type { ObjectRecord } from './storage';

export interface Cursor {
  key: string;
  inclusive: boolean;
}

export type SeekNext = (from: string, inclusive: boolean) => ObjectRecord | undefined;

export interface ListInput {
  prefix: string;
  delimiter: string;
  maxKeys: number;
  /** Resume point (continuation token, start-after or marker); keys before it are skipped. */
  after?: Cursor;
}

export interface ListResult {
  objects: ObjectRecord[];
  prefixes: string[];
  truncated: boolean;
  /** Where the next page starts; set when truncated. */
  next?: Cursor;
  /** The last key or common prefix returned (V1 NextMarker). */
  lastEntry?: string;
}

export function listPage(next: SeekNext, input: ListInput): ListResult {
  const { prefix, delimiter, maxKeys } = input;
  const objects: ObjectRecord[] = [];
  const prefixes: string[] = [];
  let cursor: Cursor = { key: prefix, inclusive: true };
  let skipPrefix: string | undefined;
  if (input.after && compareBytes(input.after.key, prefix) >= 0) {
    cursor = input.after;
    // Resuming right after a common prefix: do not roll the same prefix up again.
    if (!input.after.inclusive && delimiter && input.after.key.endsWith(delimiter) && input.after.key.startsWith(prefix)) {
      skipPrefix = input.after.key;
    }
  }
  let lastEntry: string | undefined;
  let resume: Cursor | undefined;

  for (;;) {
    const record = next(cursor.key, cursor.inclusive);
    if (!record || !record.key.startsWith(prefix)) return { objects, prefixes, truncated: false, lastEntry };
    if (skipPrefix !== undefined && record.key.startsWith(skipPrefix)) {
      cursor = successor(skipPrefix) ?? { key: record.key, inclusive: false };
      continue;
    }
    skipPrefix = undefined;
    if (objects.length + prefixes.length >= maxKeys) return { objects, prefixes, truncated: true, next: resume, lastEntry };

    const cut = delimiter ? record.key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const common = record.key.slice(0, cut + delimiter.length);
      prefixes.push(common);
      lastEntry = common;
      resume = { key: common, inclusive: false };
      skipPrefix = common;
      cursor = successor(common) ?? { key: record.key, inclusive: false };
    } else {
      objects.push(record);
      lastEntry = record.key;
      resume = { key: record.key, inclusive: false };
      cursor = resume;
    }
  }
}

/**
 * The smallest string greater than every string starting with `text`: its last code point plus one. UTF-8
 * byte order follows code point order, so this holds in SQLite's ordering too. Undefined at U+10FFFF.
 */
export function successor(text: string): Cursor | undefined {
  const points = [...text];
  const last = points.pop();
  if (last === undefined) return undefined;
  let code = last.codePointAt(0)! + 1;
  if (code === 0xd800) code = 0xe000; // surrogates are not code points
  if (code > 0x10ffff) return undefined;
  return { key: points.join('') + String.fromCodePoint(code), inclusive: true };
}

export function compareBytes(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Opaque V2 continuation token: base64url (no `+` for careless clients to turn into a space) of the resume cursor. */
export function encodeToken(cursor: Cursor): string {
  return Buffer.from(`${cursor.inclusive ? 'i' : 'x'}:${cursor.key}`, 'utf8').toString('base64url');
}

export function decodeToken(token: string): Cursor | undefined {
  const text = Buffer.from(token, 'base64url').toString('utf8');
  if (text.startsWith('i:')) return { key: text.slice(2), inclusive: true };
  if (text.startsWith('x:')) return { key: text.slice(2), inclusive: false };
  return undefined;
}
