/**
 * CRC-64/ECMA-182 as OSS reports it in `x-oss-hash-crc64ecma` (the reflected "XZ" variant: polynomial
 * 0xC96C5795D7870F42, init and xor-out all ones; the OSS SDKs use Go's `crc64.ECMA` table with `crc64.Update`).
 * https://www.alibabacloud.com/help/en/oss/user-guide/crc-64
 * Kept as two 32-bit halves so the per-byte loop stays in small-integer arithmetic (BigInt is ~30x slower).
 */
const TABLE_LO = new Uint32Array(256);
const TABLE_HI = new Uint32Array(256);
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
  TABLE_LO[i] = lo;
  TABLE_HI[i] = hi;
}

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
    let lo = this.lo;
    let hi = this.hi;
    for (let i = 0; i < chunk.length; i++) {
      const index = (lo ^ chunk[i]!) & 0xff;
      lo = ((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]!;
      hi = (hi >>> 8) ^ TABLE_HI[index]!;
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
