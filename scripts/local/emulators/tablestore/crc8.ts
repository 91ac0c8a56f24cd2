/**
 * PlainBuffer's checksum: CRC-8 with polynomial 0x07 and initial value 0, fed byte by byte
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/plainbuffer). Integers are fed little-endian,
 * as they are written. A test checks these against the `tablestore` SDK's own implementation.
 */
const TABLE = Uint8Array.from({ length: 256 }, (_, i) => {
  let crc = i;
  for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
  return crc;
});

export const crc8 = {
  crcInt8(crc: number, byte: number): number {
    return TABLE[(crc ^ byte) & 0xff]!;
  },
  crcString(crc: number, bytes: Uint8Array): number {
    // Indexed: a Buffer's iterator costs more than the table lookups (every name and string of every row).
    for (let i = 0; i < bytes.length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]!;
    return crc;
  },
  crcInt32(crc: number, value: number): number {
    for (let i = 0; i < 4; i++) crc = TABLE[(crc ^ (value >>> (i * 8))) & 0xff]!;
    return crc;
  },
  crcInt64Buf(crc: number, bytes: Uint8Array): number {
    for (let i = 0; i < 8; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]!;
    return crc;
  },
  /** crcString over `length` bytes of `bytes` from `start`, without a sub-buffer (the PlainBuffer reader's fields). */
  crcRange(crc: number, bytes: Uint8Array, start: number, length: number): number {
    for (let i = start; i < start + length; i++) crc = TABLE[(crc ^ bytes[i]!) & 0xff]!;
    return crc;
  },
};
