/**
 * The `tablestore` SDK's PlainBuffer encoding of a PutRow row, written in one pass into one buffer.
 *
 * Every row a function writes (PutRow, and each PUT of a BatchWriteRow) goes through the SDK's
 * `PlainBufferBuilder.serializeForPutRow`, which sizes the row by turning every string into a `Buffer`, writes
 * it byte by byte through a stream object, converts each number through an `Int64LE` and computes the CRC-8
 * over fresh copies: ~half of `iot-etl`'s CPU per reading (D47, D67). This writes the very same bytes — the
 * SDK's layout, checksums and quirks (a cell name's length is its character count) — for the rows the adapters
 * build (one column per object, names of ASCII letters, digits and `_`, which TableStore requires anyway), and
 * answers `undefined` for anything else, which the SDK's own encoder then handles as before.
 * `test/unit/tablestore-plain-buffer.test.ts` checks the bytes against the SDK's encoder.
 */
import TableStore from 'tablestore';

const HEADER = 0x75;
const TAG_ROW_PK = 0x1;
const TAG_ROW_DATA = 0x2;
const TAG_CELL = 0x3;
const TAG_CELL_NAME = 0x4;
const TAG_CELL_VALUE = 0x5;
const TAG_ROW_CHECKSUM = 0x9;
const TAG_CELL_CHECKSUM = 0x0a;
const VT_INTEGER = 0x0;
const VT_DOUBLE = 0x1;
const VT_BOOLEAN = 0x2;
const VT_STRING = 0x3;
const VT_BLOB = 0x7;

const CRC8_TABLE = (() => {
  const table = new Uint8Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x80 ? ((crc << 1) ^ 0x07) & 0xff : (crc << 1) & 0xff;
    table[i] = crc;
  }
  return table;
})();

const crc8 = (crc: number, byte: number) => CRC8_TABLE[(crc ^ byte) & 0xff]!;

function crcRange(crc: number, bytes: Uint8Array, start: number, end: number): number {
  for (let i = start; i < end; i++) crc = CRC8_TABLE[(crc ^ bytes[i]!) & 0xff]!;
  return crc;
}

/** The SDK's Int64: `int64-buffer`'s Int64LE (8 little-endian bytes in `buffer` at `offset`). */
interface Int64Like {
  buffer: ArrayLike<number>;
  offset?: number;
  toNumber(): number;
}

/** The SDK's integer class (`TableStore.Long.fromNumber` makes one). */
const int64Class = (TableStore.Long.fromNumber(0) as unknown as { constructor: new (...args: never[]) => unknown }).constructor;

/** Names the SDK writes with their character count as length: only ASCII keeps that equal to the byte count. */
const SIMPLE_NAME = /^[A-Za-z0-9_]+$/;

type Cell = { name: string; value: unknown; kind: number; bytes: number };

function cellOf(object: unknown, primaryKey: boolean): Cell | undefined {
  if (!object || typeof object !== 'object') return undefined;
  let name: string | undefined;
  for (const key in object) {
    if (name !== undefined) return undefined; // one column per object, as the adapters write
    name = key;
  }
  if (name === undefined || name === 'timestamp' || !SIMPLE_NAME.test(name)) return undefined;
  const value = (object as Record<string, unknown>)[name];
  if (typeof value === 'string') return { name, value, kind: VT_STRING, bytes: 5 + Buffer.byteLength(value) };
  if (Buffer.isBuffer(value)) return { name, value, kind: VT_BLOB, bytes: 5 + value.length };
  if (value instanceof int64Class) return { name, value, kind: VT_INTEGER, bytes: 9 };
  if (primaryKey) return undefined; // INF_MIN, INF_MAX, AUTO_INCREMENT and the rest: the SDK's own encoder
  if (typeof value === 'number') return { name, value, kind: VT_DOUBLE, bytes: 9 };
  if (typeof value === 'boolean') return { name, value, kind: VT_BOOLEAN, bytes: 2 };
  return undefined;
}

/** The PutRow row the SDK's `serializeForPutRow(primaryKey, attributeColumns)` would produce, or undefined. */
export function serializePutRow(primaryKey: unknown, attributeColumns: unknown): Buffer | undefined {
  if (!Array.isArray(primaryKey) || !Array.isArray(attributeColumns)) return undefined;
  const cells: Cell[] = [];
  for (const object of primaryKey) {
    const cell = cellOf(object, true);
    if (!cell) return undefined;
    cells.push(cell);
  }
  const keyCount = cells.length;
  for (const object of attributeColumns) {
    const cell = cellOf(object, false);
    if (!cell) return undefined;
    cells.push(cell);
  }
  return writeRow(cells, keyCount);
}

/**
 * A PUT row's PlainBuffer straight from the Table port's values (`BatchWriteOp`'s key, in the schema's order, and
 * attributes, in their own order), without the SDK's row objects between: the bytes `serializeForPutRow` writes for
 * the objects the adapter would build from them (`{ name: value }` per column, safe integers as `Long`, other
 * numbers as DOUBLE, `Uint8Array` as `Buffer`) — D91. Undefined where that encoder would not be the fast one
 * (`cellOf` above: a name the SDK treats apart or that is not ASCII, a value of another kind), or where a key
 * column is missing or not a value (an INF bound): the adapter then builds the SDK's objects as before.
 */
export function encodePortPutRow(keyColumns: readonly { name: string }[], primaryKey: Readonly<Record<string, unknown>>, attributes: Readonly<Record<string, unknown>>): Buffer | undefined {
  const cells: Cell[] = [];
  for (const column of keyColumns) {
    const cell = portCellOf(column.name, primaryKey[column.name], true);
    if (!cell) return undefined;
    cells.push(cell);
  }
  const keyCount = cells.length;
  for (const name in attributes) {
    if (!Object.prototype.hasOwnProperty.call(attributes, name)) continue;
    const cell = portCellOf(name, attributes[name], false);
    if (!cell) return undefined;
    cells.push(cell);
  }
  return writeRow(cells, keyCount);
}

function portCellOf(name: string, value: unknown, primaryKey: boolean): Cell | undefined {
  if (name === 'timestamp' || !SIMPLE_NAME.test(name)) return undefined;
  if (typeof value === 'string') return { name, value, kind: VT_STRING, bytes: 5 + Buffer.byteLength(value) };
  if (typeof value === 'number' && Number.isSafeInteger(value)) return { name, value, kind: VT_INTEGER, bytes: 9 };
  if (value instanceof Uint8Array) return { name, value, kind: VT_BLOB, bytes: 5 + value.length };
  if (primaryKey) return undefined;
  if (typeof value === 'number') return { name, value, kind: VT_DOUBLE, bytes: 9 };
  if (typeof value === 'boolean') return { name, value, kind: VT_BOOLEAN, bytes: 2 };
  return undefined;
}

/** Writes the cells (the key's first) in the SDK's layout, summing the CRC-8 as it goes. */
function writeRow(cells: readonly Cell[], keyCount: number): Buffer | undefined {
  // header (4) + TAG_ROW_PK + row checksum (2), and TAG_ROW_DATA when there are attributes
  let size = 4 + 1 + 2;
  if (cells.length > keyCount) size += 1;
  // TAG_CELL, TAG_CELL_NAME, length, name, TAG_CELL_VALUE, length, value, TAG_CELL_CHECKSUM, checksum
  for (const cell of cells) size += 1 + 1 + 4 + cell.name.length + 1 + 4 + cell.bytes + 2;

  const out = Buffer.allocUnsafe(size);
  let pos = out.writeUInt32LE(HEADER, 0);
  out[pos++] = TAG_ROW_PK;
  let rowCrc = 0;
  cells.forEach((cell, i) => {
    if (i === keyCount) out[pos++] = TAG_ROW_DATA;
    out[pos++] = TAG_CELL;
    out[pos++] = TAG_CELL_NAME;
    pos = out.writeUInt32LE(cell.name.length, pos);
    let crc = 0;
    for (let c = 0; c < cell.name.length; c++) {
      const code = cell.name.charCodeAt(c);
      out[pos++] = code;
      crc = CRC8_TABLE[crc ^ code]!;
    }
    out[pos++] = TAG_CELL_VALUE;
    pos = out.writeUInt32LE(cell.bytes, pos);
    out[pos++] = cell.kind;
    crc = crc8(crc, cell.kind);
    if (cell.kind === VT_STRING || cell.kind === VT_BLOB) {
      const length = cell.bytes - 5;
      pos = out.writeUInt32LE(length, pos);
      for (let shift = 0; shift < 32; shift += 8) crc = crc8(crc, (length >> shift) & 0xff);
      const start = pos;
      if (cell.kind === VT_BLOB) {
        out.set(cell.value as Uint8Array, pos);
        pos += length;
      }
      else if (length === (cell.value as string).length) {
        // ASCII (as many bytes as characters): written and summed in one loop.
        const text = cell.value as string;
        for (let c = 0; c < length; c++) out[pos++] = text.charCodeAt(c);
      } else pos += out.write(cell.value as string, pos, 'utf8');
      crc = crcRange(crc, out, start, pos);
    } else if (cell.kind === VT_INTEGER) {
      const start = pos;
      if (typeof cell.value === 'number') {
        // A safe integer as 8 little-endian two's-complement bytes, as `Long.fromNumber` holds it.
        const high = Math.floor(cell.value / 2 ** 32);
        pos = out.writeUInt32LE(cell.value - high * 2 ** 32, pos);
        pos = out.writeInt32LE(high, pos);
      } else {
        const { buffer, offset = 0 } = cell.value as Int64Like;
        for (let b = 0; b < 8; b++) out[pos++] = buffer[offset + b]! & 0xff;
      }
      crc = crcRange(crc, out, start, pos);
    } else if (cell.kind === VT_DOUBLE) {
      const start = pos;
      pos = out.writeDoubleLE(cell.value as number, pos);
      crc = crcRange(crc, out, start, pos);
    } else {
      const bit = cell.value ? 1 : 0;
      out[pos++] = bit;
      crc = crc8(crc, bit);
    }
    out[pos++] = TAG_CELL_CHECKSUM;
    out[pos++] = crc;
    rowCrc = crc8(rowCrc, crc);
  });
  // No delete marker: the row checksum takes a 0.
  rowCrc = crc8(rowCrc, 0);
  out[pos++] = TAG_ROW_CHECKSUM;
  out[pos++] = rowCrc;
  return pos === size ? out : undefined;
}

interface PlainBufferBuilderLike {
  serializeForPutRow(primaryKey: unknown, attributeColumns: unknown): Buffer;
  fastPutRow?: boolean;
}

/**
 * A PUT row the adapter encoded itself (`encodePortPutRow`), handed to the SDK as the row's `primaryKey`: the
 * SDK's BatchWriteRow encoder passes a row's key and columns to `serializeForPutRow` and reads them nowhere else,
 * and the encoder `useFastPutRowEncoding` installs answers these bytes for it.
 */
export class EncodedPutRow {
  constructor(readonly bytes: Buffer) {}
}

/** True once `useFastPutRowEncoding` stands in front of the SDK's encoder: only then may rows go as `EncodedPutRow`. */
export function fastPutRowInstalled(): boolean {
  return (TableStore as unknown as { PlainBufferBuilder?: PlainBufferBuilderLike }).PlainBufferBuilder?.fastPutRow === true;
}

/**
 * Puts `serializePutRow` in front of the SDK's `serializeForPutRow` (once): the rows it takes are written by
 * it, every other row by the SDK as before. The bytes on the wire do not change.
 */
export function useFastPutRowEncoding(): void {
  const builder = (TableStore as unknown as { PlainBufferBuilder?: PlainBufferBuilderLike }).PlainBufferBuilder;
  if (!builder || builder.fastPutRow) return;
  const original = builder.serializeForPutRow.bind(builder);
  builder.serializeForPutRow = (primaryKey, attributeColumns) =>
    primaryKey instanceof EncodedPutRow ? primaryKey.bytes : (serializePutRow(primaryKey, attributeColumns) ?? original(primaryKey, attributeColumns));
  builder.fastPutRow = true;
}
