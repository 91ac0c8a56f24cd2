/**
 * A primary key's order-preserving encoding (D47, D67): `encodePk` writes complete keys in one buffer, and must
 * give exactly the bytes of the general encoder (`encodeBound` of the same complete key), whose byte order is
 * TableStore's row order.
 */
import { encodeBound, encodePk } from '#shared/adapters/pk-codec';
import { ValidationError } from '#shared/errors';
import type { PkColumn } from '#shared/ports/table';

const schema: PkColumn[] = [
  { name: 'deviceId', type: 'STRING' },
  { name: 'ts', type: 'INTEGER' },
  { name: 'blob', type: 'BINARY' },
  { name: 'metric', type: 'STRING' },
];

const INTEGERS = [0, 1, -1, 2 ** 31, -(2 ** 31), 2 ** 32, -(2 ** 32), 2 ** 32 + 7, -(2 ** 32) - 7, 1_764_214_411_123, -1_764_214_411_123, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 4_294_967_295, -4_294_967_297];
const STRINGS = ['', 'dev_a', 'temperature', 'a\u0000b', '\u0000', 'é温😀', 'x'.repeat(1024), '\ud800'];
const BLOBS = [new Uint8Array(), Uint8Array.from([0, 1, 0, 255]), Uint8Array.from([7, 7])];

describe('encodePk', () => {
  it('writes the bytes of the general encoder for every kind of value', () => {
    for (const ts of INTEGERS)
      for (const deviceId of STRINGS)
        for (const blob of BLOBS) {
          const key = { deviceId, ts, blob, metric: STRINGS[(ts >>> 0) % STRINGS.length]! };
          expect(encodePk(schema, key, 't').toString('hex')).toBe(encodeBound(schema, key, 't').toString('hex'));
        }
  });

  it('keeps the row order of integers across the 32-bit halves', () => {
    const sorted = [...INTEGERS].sort((a, b) => a - b);
    const encoded = sorted.map((ts) => encodePk([{ name: 'ts', type: 'INTEGER' }], { ts }, 't'));
    for (let i = 1; i < encoded.length; i++) expect(Buffer.compare(encoded[i - 1]!, encoded[i]!)).toBe(-1);
  });

  it('names a missing, extra or mistyped column', () => {
    const key = { deviceId: 'd', ts: 1, blob: new Uint8Array(), metric: 'm' };
    expect(() => encodePk(schema, { ...key, extra: 1 }, 't')).toThrow(new ValidationError('t has no primary key column extra'));
    const { ts: _ts, ...missing } = key;
    expect(() => encodePk(schema, missing, 't')).toThrow('primary key of t needs ts');
    expect(() => encodePk(schema, { ...key, ts: 1.5 }, 't')).toThrow('primary key column ts must be a safe integer');
    expect(() => encodePk(schema, { ...key, metric: 3 }, 't')).toThrow('primary key column metric must be STRING');
  });
});
