/**
 * A small CBOR codec (RFC 8949), enough for FC's TableStore trigger, which delivers its change records
 * CBOR-encoded (https://www.alibabacloud.com/help/doc-detail/169673.htm). The local cloud encodes with it and
 * the functions decode with it, so both sides share one definition of the format.
 *
 * Supported: unsigned/negative integers up to 64 bits (values beyond 2^53 decode as bigint), byte strings
 * (→ Buffer), text strings, arrays, maps (keys decoded as strings), false/true/null/undefined, float16/32/64,
 * indefinite-length strings/arrays/maps on decode, and tags on decode (the tag is dropped, the value kept).
 * The encoder writes definite lengths only, maps from plain objects, and numbers that are not safe integers
 * as float64.
 */
export type CborValue = number | bigint | string | boolean | null | undefined | Buffer | CborValue[] | { [key: string]: CborValue };

const MAJOR_UNSIGNED = 0;
const MAJOR_NEGATIVE = 1;
const MAJOR_BYTES = 2;
const MAJOR_TEXT = 3;
const MAJOR_ARRAY = 4;
const MAJOR_MAP = 5;
const MAJOR_TAG = 6;
const MAJOR_SIMPLE = 7;
const BREAK = 0xff;

export class CborError extends Error {
  override readonly name = 'CborError';
}

/** @example decodeCbor(encodeCbor({ Version: 'Sync-v1', Records: [] })) // → { Version: 'Sync-v1', Records: [] } */
export function encodeCbor(value: unknown): Buffer {
  const chunks: Buffer[] = [];
  write(value, chunks);
  return Buffer.concat(chunks);
}

function head(major: number, length: number | bigint, chunks: Buffer[]): void {
  const n = BigInt(length);
  if (n < 24n) chunks.push(Buffer.from([(major << 5) | Number(n)]));
  else if (n < 0x100n) chunks.push(Buffer.from([(major << 5) | 24, Number(n)]));
  else if (n < 0x10000n) {
    const b = Buffer.alloc(3);
    b[0] = (major << 5) | 25;
    b.writeUInt16BE(Number(n), 1);
    chunks.push(b);
  } else if (n < 0x100000000n) {
    const b = Buffer.alloc(5);
    b[0] = (major << 5) | 26;
    b.writeUInt32BE(Number(n), 1);
    chunks.push(b);
  } else {
    const b = Buffer.alloc(9);
    b[0] = (major << 5) | 27;
    b.writeBigUInt64BE(n, 1);
    chunks.push(b);
  }
}

function write(value: unknown, chunks: Buffer[]): void {
  if (value === false) chunks.push(Buffer.from([0xf4]));
  else if (value === true) chunks.push(Buffer.from([0xf5]));
  else if (value === null) chunks.push(Buffer.from([0xf6]));
  else if (value === undefined) chunks.push(Buffer.from([0xf7]));
  else if (typeof value === 'bigint') {
    if (value >= 0n) head(MAJOR_UNSIGNED, value, chunks);
    else head(MAJOR_NEGATIVE, -1n - value, chunks);
  } else if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) {
      if (value >= 0) head(MAJOR_UNSIGNED, value, chunks);
      else head(MAJOR_NEGATIVE, -1 - value, chunks);
    } else {
      const b = Buffer.alloc(9);
      b[0] = (MAJOR_SIMPLE << 5) | 27;
      b.writeDoubleBE(value, 1);
      chunks.push(b);
    }
  } else if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    head(MAJOR_TEXT, bytes.length, chunks);
    chunks.push(bytes);
  } else if (value instanceof Uint8Array) {
    head(MAJOR_BYTES, value.length, chunks);
    chunks.push(Buffer.from(value));
  } else if (Array.isArray(value)) {
    head(MAJOR_ARRAY, value.length, chunks);
    for (const item of value) write(item, chunks);
  } else if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    head(MAJOR_MAP, entries.length, chunks);
    for (const [key, item] of entries) {
      write(key, chunks);
      write(item, chunks);
    }
  } else {
    throw new CborError(`cannot encode a ${typeof value}`);
  }
}

/** Decodes exactly one CBOR data item; trailing bytes are an error (a truncated or padded event is corrupt). */
export function decodeCbor(bytes: Uint8Array): CborValue {
  const reader = new Reader(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length));
  const value = reader.item();
  if (reader.offset !== reader.buffer.length) throw new CborError(`${reader.buffer.length - reader.offset} trailing bytes after the CBOR item`);
  return value;
}

class Reader {
  offset = 0;
  constructor(readonly buffer: Buffer) {}

  private need(n: number): void {
    if (this.offset + n > this.buffer.length) throw new CborError('unexpected end of CBOR data');
  }

  private byte(): number {
    this.need(1);
    return this.buffer[this.offset++]!;
  }

  /** The argument of a head: a length or an integer value; `undefined` for the indefinite marker (31). */
  private argument(info: number): number | bigint | undefined {
    if (info < 24) return info;
    if (info === 24) return this.byte();
    if (info === 25) {
      this.need(2);
      const v = this.buffer.readUInt16BE(this.offset);
      this.offset += 2;
      return v;
    }
    if (info === 26) {
      this.need(4);
      const v = this.buffer.readUInt32BE(this.offset);
      this.offset += 4;
      return v;
    }
    if (info === 27) {
      this.need(8);
      const v = this.buffer.readBigUInt64BE(this.offset);
      this.offset += 8;
      return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
    }
    if (info === 31) return undefined;
    throw new CborError(`reserved additional information ${info}`);
  }

  private length(info: number): number | undefined {
    const n = this.argument(info);
    if (typeof n === 'bigint') throw new CborError('length too large');
    return n;
  }

  private atBreak(): boolean {
    this.need(1);
    if (this.buffer[this.offset] !== BREAK) return false;
    this.offset++;
    return true;
  }

  private chunked(major: number): Buffer {
    const parts: Buffer[] = [];
    while (!this.atBreak()) {
      const initial = this.byte();
      if (initial >> 5 !== major) throw new CborError('indefinite string chunk of another type');
      const n = this.length(initial & 0x1f);
      if (n === undefined) throw new CborError('nested indefinite string');
      parts.push(this.take(n));
    }
    return Buffer.concat(parts);
  }

  private take(n: number): Buffer {
    this.need(n);
    const out = Buffer.from(this.buffer.subarray(this.offset, this.offset + n));
    this.offset += n;
    return out;
  }

  item(): CborValue {
    const initial = this.byte();
    const major = initial >> 5;
    const info = initial & 0x1f;
    switch (major) {
      case MAJOR_UNSIGNED: {
        const n = this.argument(info);
        if (n === undefined) throw new CborError('indefinite integer');
        return n;
      }
      case MAJOR_NEGATIVE: {
        const n = this.argument(info);
        if (n === undefined) throw new CborError('indefinite integer');
        const value = -1n - BigInt(n);
        return value >= BigInt(Number.MIN_SAFE_INTEGER) ? Number(value) : value;
      }
      case MAJOR_BYTES: {
        const n = this.length(info);
        return n === undefined ? this.chunked(MAJOR_BYTES) : this.take(n);
      }
      case MAJOR_TEXT: {
        const n = this.length(info);
        return (n === undefined ? this.chunked(MAJOR_TEXT) : this.take(n)).toString('utf8');
      }
      case MAJOR_ARRAY: {
        const n = this.length(info);
        const out: CborValue[] = [];
        if (n === undefined) while (!this.atBreak()) out.push(this.item());
        else for (let i = 0; i < n; i++) out.push(this.item());
        return out;
      }
      case MAJOR_MAP: {
        const n = this.length(info);
        const out: Record<string, CborValue> = {};
        const entry = () => {
          const key = this.item();
          out[Buffer.isBuffer(key) ? key.toString('utf8') : String(key)] = this.item();
        };
        if (n === undefined) while (!this.atBreak()) entry();
        else for (let i = 0; i < n; i++) entry();
        return out;
      }
      case MAJOR_TAG:
        this.argument(info);
        return this.item();
      default:
        return this.simple(info);
    }
  }

  private simple(info: number): CborValue {
    switch (info) {
      case 20:
        return false;
      case 21:
        return true;
      case 22:
        return null;
      case 23:
        return undefined;
      case 25: {
        this.need(2);
        const half = this.buffer.readUInt16BE(this.offset);
        this.offset += 2;
        return float16(half);
      }
      case 26: {
        this.need(4);
        const v = this.buffer.readFloatBE(this.offset);
        this.offset += 4;
        return v;
      }
      case 27: {
        this.need(8);
        const v = this.buffer.readDoubleBE(this.offset);
        this.offset += 8;
        return v;
      }
      default:
        throw new CborError(`unsupported simple value ${info}`);
    }
  }
}

/** IEEE 754 half precision → number (RFC 8949 Appendix D). */
function float16(half: number): number {
  const exponent = (half >> 10) & 0x1f;
  const mantissa = half & 0x3ff;
  const sign = half & 0x8000 ? -1 : 1;
  if (exponent === 0) return sign * 2 ** -14 * (mantissa / 1024);
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * 2 ** (exponent - 15) * (1 + mantissa / 1024);
}
