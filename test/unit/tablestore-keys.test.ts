import { decodeKey, encodeBound, encodeKey, type PkType } from '../../scripts/local/emulators/tablestore/keys';
import { comparePkValue, type PkBound, type PkCell, type PkValue } from '../../scripts/local/emulators/tablestore/values';

/**
 * The TableStore emulator's key encoding: SQLite orders rows by memcmp of these bytes, so the encoding must sort
 * exactly as TableStore orders keys, and decode back to the same key. The values include what breaks naive
 * encodings: zero bytes inside strings and binaries, a value that prefixes another, negative integers and the
 * 64-bit extremes, multi-byte UTF-8.
 */
const integers = [-(2n ** 63n), -(2n ** 32n), -256n, -1n, 0n, 1n, 255n, 256n, 2n ** 32n, 2n ** 53n + 1n, 2n ** 63n - 1n].map((value): PkValue => ({ type: 'INTEGER', value }));
const strings = ['', 'a', 'a\0', 'a\0b', 'a\0\0', 'ab', 'b', '\0', 'é', 'éa', '日本', 'z'.repeat(300)].map((value): PkValue => ({ type: 'STRING', value }));
const binaries = [[], [0], [0, 0], [0, 1], [0, 0xff], [1], [0xff], [0xff, 0]].map((bytes): PkValue => ({ type: 'BINARY', value: Buffer.from(bytes) }));

function compareKeys(a: PkValue[], b: PkValue[]): number {
  for (let i = 0; i < a.length; i++) {
    const order = comparePkValue(a[i]!, b[i]!);
    if (order !== 0) return order;
  }
  return 0;
}

const cells = (values: PkValue[]): PkCell[] => values.map((value, i) => ({ name: `k${i}`, value }));
const sign = (n: number) => Math.sign(n);

describe('TableStore emulator key encoding', () => {
  it.each([
    ['INTEGER', integers],
    ['STRING', strings],
    ['BINARY', binaries],
  ] as const)('sorts %s keys as TableStore does and decodes them back', (type, values) => {
    for (const a of values) {
      for (const b of values) {
        expect(sign(Buffer.compare(encodeKey(cells([a])), encodeKey(cells([b]))))).toBe(sign(comparePkValue(a, b)));
      }
      expect(decodeKey(encodeKey(cells([a])), [{ name: 'k0', type: type as PkType }])).toEqual(cells([a]));
    }
  });

  it('orders multi-column keys column by column, a shorter value before every longer one it prefixes', () => {
    const keys: PkValue[][] = [];
    for (const s of strings.slice(0, 8)) for (const n of integers.slice(0, 6)) for (const b of binaries.slice(0, 4)) keys.push([s, n, b]);
    const schema = [
      { name: 'k0', type: 'STRING' as const },
      { name: 'k1', type: 'INTEGER' as const },
      { name: 'k2', type: 'BINARY' as const },
    ];
    const encoded = keys.map((key) => encodeKey(cells(key)));
    keys.forEach((key, i) => expect(decodeKey(encoded[i]!, schema)).toEqual(cells(key)));
    const wrong = [];
    for (let i = 0; i < keys.length; i++) {
      for (let j = 0; j < keys.length; j++) if (sign(Buffer.compare(encoded[i]!, encoded[j]!)) !== sign(compareKeys(keys[i]!, keys[j]!))) wrong.push([i, j]);
    }
    expect(wrong).toEqual([]);
  });

  it('places INF_MIN bounds below and INF_MAX bounds above every key that shares their prefix', () => {
    const prefix: PkValue = { type: 'STRING', value: 'dev\0a' };
    const low = encodeBound([prefix, { type: 'INF_MIN' }] as PkBound[]);
    const high = encodeBound([prefix, { type: 'INF_MAX' }] as PkBound[]);
    for (const n of integers) {
      const key = encodeKey(cells([prefix, n]));
      expect(Buffer.compare(low, key)).toBe(-1);
      expect(Buffer.compare(key, high)).toBe(-1);
    }
    // Keys of the next prefix stay above INF_MAX of this one.
    expect(Buffer.compare(high, encodeKey(cells([{ type: 'STRING', value: 'dev\0b' }, integers[0]!])))).toBe(-1);
    expect(encodeBound([{ type: 'INF_MIN' }])).toEqual(Buffer.alloc(0));
    expect(() => encodeBound([{ type: 'AUTO_INCREMENT' }])).toThrow('AUTO_INCREMENT');
  });

  it('writes the documented bytes', () => {
    expect(encodeKey(cells([{ type: 'INTEGER', value: -1n }]))).toEqual(Buffer.from([0x01, 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]));
    expect(encodeKey(cells([{ type: 'STRING', value: 'a\0' }]))).toEqual(Buffer.from([0x02, 0x61, 0x00, 0xff, 0x00, 0x01]));
    expect(encodeKey(cells([{ type: 'BINARY', value: Buffer.from([0, 7]) }]))).toEqual(Buffer.from([0x02, 0x00, 0xff, 0x07, 0x00, 0x01]));
  });
});
