/**
 * Order-preserving binary encoding of a primary key, so SQLite's memcmp order on a BLOB is TableStore's row
 * order: columns in schema order; INTEGER as a signed 64-bit number, STRING and BINARY byte-wise.
 *
 * - INTEGER: 0x01 + 8 bytes big-endian with the sign bit flipped (negatives sort first).
 * - STRING/BINARY: 0x02 + the bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01, so a value
 *   sorts before every longer value it prefixes.
 * - In a range bound, INF_MIN ends the key right there (below any continuation) and INF_MAX appends 0xFF
 *   (above any continuation, since every column starts with 0x01 or 0x02).
 */
import type { PkBound, PkCell, PkValue } from './values';

const INT_TAG = 0x01;
const BYTES_TAG = 0x02;
const SIGN = 1n << 63n;

export type PkType = 'INTEGER' | 'STRING' | 'BINARY';

/** Encoded size of one value (see the format above). */
function encodedSize(value: PkValue): number {
  if (value.type === 'INTEGER') return 9;
  if (value.type === 'STRING') {
    // UTF-8 has a zero byte only for U+0000.
    return 3 + Buffer.byteLength(value.value, 'utf8') + (value.value.includes('\0') ? countZeros(Buffer.from(value.value, 'utf8')) : 0);
  }
  return 3 + value.value.length + countZeros(value.value);
}

function countZeros(bytes: Buffer): number {
  let zeros = 0;
  for (let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, i + 1)) zeros++;
  return zeros;
}

/** Writes one value at `at` into `out` (sized by `encodedSize`); returns where the next one goes. */
function writeValue(value: PkValue, out: Buffer, at: number): number {
  if (value.type === 'INTEGER') {
    out[at] = INT_TAG;
    out.writeBigUInt64BE(BigInt.asUintN(64, value.value) ^ SIGN, at + 1);
    return at + 9;
  }
  out[at++] = BYTES_TAG;
  if (value.type === 'STRING' && !value.value.includes('\0')) at += out.write(value.value, at, 'utf8');
  else {
    const bytes = value.type === 'STRING' ? Buffer.from(value.value, 'utf8') : value.value;
    for (let i = 0; i < bytes.length; i++) {
      out[at++] = bytes[i]!;
      if (bytes[i] === 0x00) out[at++] = 0xff;
    }
  }
  out[at++] = 0x00;
  out[at++] = 0x01;
  return at;
}

/** Encodes `values` into one buffer sized up front (keys are encoded for every row a request names). */
function encodeValues(values: readonly PkValue[], suffix?: number): Buffer {
  let size = suffix === undefined ? 0 : 1;
  for (const value of values) size += encodedSize(value);
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const value of values) at = writeValue(value, out, at);
  if (suffix !== undefined) out[at] = suffix;
  return out;
}

/** A complete key (already checked against the schema, in schema order). */
export function encodeKey(key: readonly PkCell[]): Buffer {
  return encodeValues(key.map((cell) => cell.value));
}

/** A range bound, whose columns may be INF_MIN or INF_MAX. */
export function encodeBound(bound: readonly PkBound[]): Buffer {
  const values: PkValue[] = [];
  for (const value of bound) {
    if (value.type === 'INF_MIN') return encodeValues(values);
    if (value.type === 'INF_MAX') return encodeValues(values, 0xff);
    if (value.type === 'AUTO_INCREMENT') throw new Error('AUTO_INCREMENT is not a bound');
    values.push(value);
  }
  return encodeValues(values);
}

/** The key back from its encoding, given the schema's column names and types. */
export function decodeKey(bytes: Buffer, schema: readonly { name: string; type: PkType }[]): PkCell[] {
  let at = 0;
  return schema.map((column) => {
    const tag = bytes[at++];
    if (tag === INT_TAG) {
      const raw = BigInt.asUintN(64, bytes.readBigUInt64BE(at)) ^ SIGN;
      at += 8;
      return { name: column.name, value: { type: 'INTEGER', value: BigInt.asIntN(64, raw) } };
    }
    if (tag !== BYTES_TAG) throw new Error(`corrupt key: tag ${String(tag)} at ${at - 1}`);
    const out: number[] = [];
    for (;;) {
      const byte = bytes[at++];
      if (byte === undefined) throw new Error('corrupt key: unterminated value');
      if (byte !== 0x00) {
        out.push(byte);
        continue;
      }
      const next = bytes[at++];
      if (next === 0x01) break;
      out.push(0x00); // 0x00 0xFF: an escaped zero byte
    }
    const raw = Buffer.from(out);
    return column.type === 'STRING' ? { name: column.name, value: { type: 'STRING', value: raw.toString('utf8') } } : { name: column.name, value: { type: 'BINARY', value: raw } };
  });
}
