/**
 * CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (the reflected "XZ" variant: polynomial
 * 0xC96C5795D7870F42, init and xor-out all ones; the OSS SDKs use Go's `crc64.ECMA` table with `crc64.Update`).
 * https://www.alibabacloud.com/help/en/oss/user-guide/crc-64
 * Kept as two 32-bit halves so the per-byte loop stays in small-integer arithmetic (BigInt is ~30x slower).
 */
import { endianness } from 'node:os';

/**
 * Slicing-by-8 tables: `TABLES_*[k][b]` is the CRC of byte `b` followed by `k` zero bytes, so the loop folds eight
 * input bytes per step instead of one.
 */
const TABLES_LO = Array.from({ length: 8 }, () => new Uint32Array(256));
const TABLES_HI = Array.from({ length: 8 }, () => new Uint32Array(256));
const POLY_LO = 0xd7870f42;
const POLY_HI = 0xc96c5795;

for (let i = 0; i < 256; i++) {
  let lo = i;
  let hi = 0;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLES_LO[0]![i] = lo;
  TABLES_HI[0]![i] = hi;
}
for (let k = 1; k < 8; k++) {
  for (let i = 0; i < 256; i++) {
    const lo = TABLES_LO[k - 1]![i]!;
    const hi = TABLES_HI[k - 1]![i]!;
    const index = lo & 0xff;
    TABLES_LO[k]![i] = (((lo >>> 8) | (hi << 24)) ^ TABLES_LO[0]![index]!) >>> 0;
    TABLES_HI[k]![i] = ((hi >>> 8) ^ TABLES_HI[0]![index]!) >>> 0;
  }
}
// Signed copies for the word loop: its registers stay small integers (an unsigned table entry above 2^31 is a heap
// number in V8, and XORs of them would convert back and forth).
type Eight = [Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array, Int32Array];
const [L0, L1, L2, L3, L4, L5, L6, L7] = TABLES_LO.map((t) => new Int32Array(t)) as Eight;
const [H0, H1, H2, H3, H4, H5, H6, H7] = TABLES_HI.map((t) => new Int32Array(t)) as Eight;
/** Eight input bytes are read as two 32-bit words, which is the register's byte order only on little-endian hosts. */
const WORDS = endianness() === 'LE';

/** Incremental CRC-64/ECMA. @example new Crc64().update(Buffer.from('123456789')).digest() // '11051210869376104954' */
export class Crc64 {
  // The running register, pre-inverted (init = ~0).
  private lo = 0xffffffff;
  private hi = 0xffffffff;

  /**
   * Continues a CRC from a previous `digest()`, so appending bytes to an object does not re-read what it holds.
   * @example Crc64.resume(new Crc64().update(a).digest()).update(b).digest() === new Crc64().update(a).update(b).digest()
   */
  static resume(digest: string): Crc64 {
    const crc = new Crc64();
    const value = BigInt(digest);
    crc.hi = ~Number((value >> 32n) & 0xffffffffn) >>> 0;
    crc.lo = ~Number(value & 0xffffffffn) >>> 0;
    return crc;
  }

  update(chunk: Uint8Array): this {
    let lo = this.lo | 0;
    let hi = this.hi | 0;
    let i = 0;
    // Bytes one at a time up to a 4-byte boundary, then eight at a time read as two words through an Int32Array
    // view (a third of the per-byte loads of reading them singly: ~3× faster), then the tail.
    const head = WORDS ? Math.min(chunk.length, (4 - (chunk.byteOffset & 3)) & 3) : chunk.length;
    for (; i < head; i++) {
      const index = (lo ^ chunk[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L0[index]!;
      hi = (hi >>> 8) ^ H0[index]!;
    }
    const pairs = (chunk.length - i) >>> 3;
    if (pairs > 0) {
      const words = new Int32Array(chunk.buffer, chunk.byteOffset + i, pairs * 2);
      for (let w = 0; w < words.length; w += 2) {
        const a = lo ^ words[w]!;
        const b = hi ^ words[w + 1]!;
        lo = L7[a & 0xff]! ^ L6[(a >>> 8) & 0xff]! ^ L5[(a >>> 16) & 0xff]! ^ L4[a >>> 24]! ^ L3[b & 0xff]! ^ L2[(b >>> 8) & 0xff]! ^ L1[(b >>> 16) & 0xff]! ^ L0[b >>> 24]!;
        hi = H7[a & 0xff]! ^ H6[(a >>> 8) & 0xff]! ^ H5[(a >>> 16) & 0xff]! ^ H4[a >>> 24]! ^ H3[b & 0xff]! ^ H2[(b >>> 8) & 0xff]! ^ H1[(b >>> 16) & 0xff]! ^ H0[b >>> 24]!;
      }
      i += pairs * 8;
    }
    for (; i < chunk.length; i++) {
      const index = (lo ^ chunk[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ L0[index]!;
      hi = (hi >>> 8) ^ H0[index]!;
    }
    this.lo = lo >>> 0;
    this.hi = hi >>> 0;
    return this;
  }

  /** Unsigned decimal string, the header's format. */
  digest(): string {
    const value = (BigInt((~this.hi) >>> 0) << 32n) | BigInt((~this.lo) >>> 0);
    return value.toString(10);
  }
}
