/**
 * TableStore's value model as the emulator stores it: typed cells, so INTEGER and DOUBLE stay distinct exactly
 * as they travel in PlainBuffer (`VT_INTEGER` vs `VT_DOUBLE`), and INTEGER keeps all 64 bits (bigint).
 */
export type CellValue =
  | { type: 'INTEGER'; value: bigint }
  | { type: 'DOUBLE'; value: number }
  | { type: 'BOOLEAN'; value: boolean }
  | { type: 'STRING'; value: string }
  | { type: 'BINARY'; value: Buffer };

export type PkValue = Extract<CellValue, { type: 'INTEGER' | 'STRING' | 'BINARY' }>;

/** A primary key value in a request: a value, or one of the range sentinels. */
export type PkBound = PkValue | { type: 'INF_MIN' } | { type: 'INF_MAX' } | { type: 'AUTO_INCREMENT' };

export interface PkCell {
  name: string;
  value: PkValue;
}

/** Order of two primary key values of one column: INTEGER signed, STRING and BINARY byte-wise. */
export function comparePkValue(a: PkValue, b: PkValue): number {
  if (a.type === 'INTEGER' && b.type === 'INTEGER') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
  return Buffer.compare(bytesOf(a), bytesOf(b));
}

function bytesOf(v: PkValue): Buffer {
  if (v.type === 'STRING') return Buffer.from(v.value, 'utf8');
  if (v.type === 'BINARY') return v.value;
  throw new Error(`not a byte value: ${v.type}`);
}

/** Compare primary keys column by column; a bound's INF_MIN/INF_MAX sorts before/after every value. */
export function compareKeyToBound(key: readonly PkCell[], bound: readonly PkBound[]): number {
  for (let i = 0; i < key.length; i++) {
    const b = bound[i];
    const k = key[i];
    if (!b || !k) return 0;
    if (b.type === 'INF_MIN') return 1;
    if (b.type === 'INF_MAX') return -1;
    if (b.type === 'AUTO_INCREMENT') throw new Error('AUTO_INCREMENT is not a bound');
    const order = comparePkValue(k.value, b);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareBounds(a: readonly PkBound[], b: readonly PkBound[]): number {
  const rank = (v: PkBound | undefined) => (v?.type === 'INF_MIN' ? -1 : v?.type === 'INF_MAX' ? 1 : 0);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (rank(x) !== 0 || rank(y) !== 0) {
      if (rank(x) !== rank(y)) return rank(x) - rank(y);
      return 0; // both the same sentinel: equal from here on
    }
    const order = comparePkValue(x as PkValue, y as PkValue);
    if (order !== 0) return order;
  }
  return 0;
}

export function compareKeys(a: readonly PkCell[], b: readonly PkCell[]): number {
  return compareKeyToBound(a, b.map((c) => c.value));
}

/**
 * Column condition comparison. INTEGER and DOUBLE compare numerically (assumed; TableStore does not document
 * cross-type comparisons); any other pair of different types is "not comparable" (undefined).
 */
export function compareCell(a: CellValue, b: CellValue): number | undefined {
  const numeric = (v: CellValue) => (v.type === 'INTEGER' ? Number(v.value) : v.type === 'DOUBLE' ? v.value : undefined);
  const na = numeric(a);
  const nb = numeric(b);
  if (na !== undefined && nb !== undefined) {
    if (a.type === 'INTEGER' && b.type === 'INTEGER') return a.value < b.value ? -1 : a.value > b.value ? 1 : 0;
    return na < nb ? -1 : na > nb ? 1 : 0;
  }
  if (a.type !== b.type) return undefined;
  if (a.type === 'BOOLEAN' && b.type === 'BOOLEAN') return Number(a.value) - Number(b.value);
  if (a.type === 'STRING' && b.type === 'STRING') return Buffer.compare(Buffer.from(a.value), Buffer.from(b.value));
  if (a.type === 'BINARY' && b.type === 'BINARY') return Buffer.compare(a.value, b.value);
  return undefined;
}

export function describePk(key: readonly PkCell[]): string {
  return key.map((c) => `${c.name}=${c.value.type === 'BINARY' ? c.value.value.toString('hex') : String(c.value.value)}`).join(',');
}
