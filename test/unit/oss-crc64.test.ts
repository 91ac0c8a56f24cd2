import { randomBytes } from 'node:crypto';
import { Crc64 } from '../../scripts/local/emulators/oss/crc64';

/** CRC-64/XZ bit by bit with BigInt, straight from the definition: the slow reference the fast one must equal. */
function crc64Reference(bytes: Uint8Array): string {
  const poly = 0xc96c5795d7870f42n;
  const mask = (1n << 64n) - 1n;
  let crc = mask;
  for (const byte of bytes) {
    crc ^= BigInt(byte);
    for (let bit = 0; bit < 8; bit++) crc = crc & 1n ? (crc >> 1n) ^ poly : crc >> 1n;
  }
  return (crc ^ mask).toString(10);
}

describe('Crc64 (x-oss-hash-crc64ecma)', () => {
  it('gives the CRC-64/XZ check value', () => {
    expect(new Crc64().update(Buffer.from('123456789')).digest()).toBe('11051210869376104954');
    expect(new Crc64().digest()).toBe('0');
  });

  it('equals the bitwise definition at every alignment, length and split into chunks', () => {
    const data = randomBytes(4096 + 11);
    for (const offset of [0, 1, 2, 3, 5]) {
      for (const length of [0, 1, 7, 8, 9, 15, 16, 17, 100, 4096]) {
        // A subarray at `offset` is unaligned for an Int32Array view unless offset % 4 === 0.
        const bytes = data.subarray(offset, offset + length);
        const expected = crc64Reference(bytes);
        expect(new Crc64().update(bytes).digest()).toBe(expected);
        const split = Math.floor(length / 3);
        expect(new Crc64().update(bytes.subarray(0, split)).update(bytes.subarray(split)).digest()).toBe(expected);
      }
    }
  });

  it('resumes from a digest as if the bytes had come in one piece', () => {
    const [a, b] = [randomBytes(1001), randomBytes(333)];
    expect(Crc64.resume(new Crc64().update(a).digest()).update(b).digest()).toBe(crc64Reference(Buffer.concat([a, b])));
  });
});
