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

function encodeValue(value: PkValue, out: number[]): void {
  if (value.type === 'INTEGER') {
    const flipped = BigInt.asUintN(64, value.value) ^ SIGN;
    out.push(INT_TAG);
    for (let shift = 56n; shift >= 0n; shift -= 8n) out.push(Number((flipped >> shift) & 0xffn));
    return;
  }
  const bytes = value.type === 'STRING' ? Buffer.from(value.value, 'utf8') : value.value;
  out.push(BYTES_TAG);
  for (const byte of bytes) {
    out.push(byte);
    if (byte === 0x00) out.push(0xff);
  }
  out.push(0x00, 0x01);
}

/** A complete key (already checked against the schema, in schema order). */
export function encodeKey(key: readonly PkCell[]): Buffer {
  const out: number[] = [];
  for (const cell of key) encodeValue(cell.value, out);
  return Buffer.from(out);
}

/** A range bound, whose columns may be INF_MIN or INF_MAX. */
export function encodeBound(bound: readonly PkBound[]): Buffer {
  const out: number[] = [];
  for (const value of bound) {
    if (value.type === 'INF_MIN') return Buffer.from(out);
    if (value.type === 'INF_MAX') {
      out.push(0xff);
      return Buffer.from(out);
    }
    if (value.type === 'AUTO_INCREMENT') throw new Error('AUTO_INCREMENT is not a bound');
    encodeValue(value, out);
  }
  return Buffer.from(out);
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
