import type { PkColumn, PkValue, PrimaryKey, RangeBound } from '../ports/table';
import { INF_MAX, INF_MIN } from '../ports/table';
import { ValidationError } from '../errors';

/**
 * Order-preserving binary encoding of a primary key, whose byte order (memcmp) is TableStore's row order:
 * columns in schema order; STRING and BINARY byte-wise, INTEGER as a signed 64-bit number. The TableStore
 * adapter uses it to check keys before sending them (ValidationError naming the column), to find a key named
 * twice in a batch, and to check that a range starts below (or, BACKWARD, above) its end.
 *
 * - INTEGER: 0x01 + 8 bytes big-endian with the sign bit flipped (negatives sort first).
 * - STRING/BINARY: 0x02 + bytes with 0x00 escaped as 0x00 0xFF, then the terminator 0x00 0x01, so a
 *   string sorts before every longer string it prefixes.
 * - INF_MIN ends the key right there (smaller than any continuation); INF_MAX appends 0xFF (larger).
 */
const INT_TAG = 0x01;
/** TableStore's limit on a STRING or BINARY primary key value (https://www.alibabacloud.com/help/en/tablestore/product-overview/limits). */
export const MAX_PK_VALUE_BYTES = 1024;
const BYTES_TAG = 0x02;

function checkValue(column: PkColumn, value: unknown): PkValue {
  const ok =
    (column.type === 'STRING' && typeof value === 'string') ||
    (column.type === 'INTEGER' && typeof value === 'number' && Number.isSafeInteger(value)) ||
    (column.type === 'BINARY' && value instanceof Uint8Array);
  if (!ok) throw new ValidationError(`primary key column ${column.name} must be ${column.type === 'INTEGER' ? 'a safe integer' : column.type}`, [{ path: `primaryKey.${column.name}`, message: `expected ${column.type}` }]);
  const size = typeof value === 'string' ? Buffer.byteLength(value) : value instanceof Uint8Array ? value.length : 0;
  if (size > MAX_PK_VALUE_BYTES) throw new ValidationError(`primary key column ${column.name} is ${size} bytes; TableStore allows ${MAX_PK_VALUE_BYTES}`, [{ path: `primaryKey.${column.name}`, message: 'too long' }]);
  return value as PkValue;
}

/** The encoded parts of a key, joined once at the end (keys are encoded for every row of every batch). */
class KeyBytes {
  private readonly parts: Buffer[] = [];
  private length = 0;

  add(part: Buffer): void {
    this.parts.push(part);
    this.length += part.length;
  }

  column(column: PkColumn, value: PkValue): void {
    if (column.type === 'INTEGER') {
      const part = Buffer.allocUnsafe(9);
      part[0] = INT_TAG;
      part.writeBigUInt64BE(BigInt.asUintN(64, BigInt(value as number)) ^ SIGN, 1);
      this.add(part);
      return;
    }
    const bytes = typeof value === 'string' ? Buffer.from(value, 'utf8') : Buffer.from(value as Uint8Array);
    let zeros = 0;
    for (let i = bytes.indexOf(0); i !== -1; i = bytes.indexOf(0, i + 1)) zeros++;
    const part = Buffer.allocUnsafe(bytes.length + zeros + 3);
    part[0] = BYTES_TAG;
    let at = 1;
    if (zeros === 0) at += bytes.copy(part, 1);
    else {
      for (const byte of bytes) {
        part[at++] = byte;
        if (byte === 0x00) part[at++] = 0xff;
      }
    }
    part[at++] = 0x00;
    part[at] = 0x01;
    this.add(part);
  }

  done(): Buffer {
    return Buffer.concat(this.parts, this.length);
  }
}

const SIGN = 1n << 63n;

/** Encode a complete primary key; missing, extra or mistyped columns are a ValidationError. */
export function encodePk(schema: readonly PkColumn[], pk: PrimaryKey, table: string): Buffer {
  const extra = Object.keys(pk).filter((name) => !schema.some((c) => c.name === name));
  if (extra.length > 0) throw new ValidationError(`${table} has no primary key column ${extra.join(', ')}`, extra.map((name) => ({ path: `primaryKey.${name}`, message: 'not a primary key column' })));
  // Every row of every batch is encoded here (D67): sized first, then written into one buffer, integers
  // without BigInt. The bytes are KeyBytes' (encodeBound of a complete key; a unit test compares them).
  let size = 0;
  let plain = true;
  for (const column of schema) {
    if (!(column.name in pk)) throw new ValidationError(`primary key of ${table} needs ${column.name}`, [{ path: `primaryKey.${column.name}`, message: 'required' }]);
    const value = checkValue(column, pk[column.name]);
    if (typeof value === 'number') size += 9;
    else if (typeof value === 'string' && !value.includes('\u0000')) size += Buffer.byteLength(value) + 3;
    else plain = false;
  }
  if (!plain) {
    const out = new KeyBytes();
    for (const column of schema) out.column(column, pk[column.name] as PkValue);
    return out.done();
  }
  const out = Buffer.allocUnsafe(size);
  let at = 0;
  for (const column of schema) {
    const value = pk[column.name] as number | string;
    if (typeof value === 'number') {
      // Two's complement in two 32-bit halves (|value| < 2^53), the sign bit flipped.
      const high = Math.floor(value / 0x1_0000_0000);
      out[at] = INT_TAG;
      out.writeUInt32BE(((high >>> 0) ^ 0x8000_0000) >>> 0, at + 1);
      out.writeUInt32BE(value - high * 0x1_0000_0000, at + 5);
      at += 9;
    } else {
      out[at++] = BYTES_TAG;
      at += out.write(value, at, 'utf8');
      out[at++] = 0x00;
      out[at++] = 0x01;
    }
  }
  return out;
}

export function encodeBound(schema: readonly PkColumn[], bound: RangeBound, table: string): Buffer {
  const out = new KeyBytes();
  for (const column of schema) {
    if (!(column.name in bound)) throw new ValidationError(`range bound of ${table} needs ${column.name} (a value, INF_MIN or INF_MAX)`, [{ path: `range.${column.name}`, message: 'required' }]);
    const value = bound[column.name];
    if (value === INF_MIN) return out.done();
    if (value === INF_MAX) {
      out.add(Buffer.from([0xff]));
      return out.done();
    }
    out.column(column, checkValue(column, value));
  }
  return out.done();
}
