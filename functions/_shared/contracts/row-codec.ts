import type { Attributes, AttrValue } from '../ports/table';

/**
 * TableStore columns are scalars; structured fields (arrays, maps) are stored as JSON strings.
 * `encodeRow` / `decodeRow` convert between a plain object and columns, naming the JSON columns once.
 */
export function encodeRow(value: Record<string, unknown>, jsonColumns: readonly string[] = []): Attributes {
  const out: Attributes = {};
  for (const [key, v] of Object.entries(value)) {
    if (v === undefined || v === null) continue;
    out[key] = jsonColumns.includes(key) ? JSON.stringify(v) : (v as AttrValue);
  }
  return out;
}

export function decodeRow(attributes: Attributes, jsonColumns: readonly string[] = []): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(attributes)) out[key] = jsonColumns.includes(key) && typeof v === 'string' ? JSON.parse(v) : v;
  return out;
}
