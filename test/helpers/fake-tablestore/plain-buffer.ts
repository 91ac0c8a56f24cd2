/**
 * PlainBuffer (https://www.alibabacloud.com/help/en/tablestore/developer-reference/plainbuffer) for the fake:
 * - requests are read with the SDK's `PlainBufferInputStream` and CRC-8, walking the tags the SDK's builder
 *   writes (`plian_buffer_builder.js`): cell operation types, timestamps, INF_MIN/INF_MAX and the delete marker,
 *   which the SDK's own reader (made for responses) does not understand. Every checksum is verified, so an
 *   encoding bug in a request surfaces as OTSParameterInvalid.
 * - responses are written with the SDK's `PlainBufferCodedOutputStream`, i.e. exactly what its reader expects.
 */
import { parameterInvalid } from './errors';
import { PB, PlainBufferCodedOutput, PlainBufferInput, PlainBufferOutput, crc8, int64, type PlainBufferInputStream } from './sdk';
import type { CellValue, PkBound, PkCell } from './values';

export type CellOp = 'PUT' | 'DELETE_ONE_VERSION' | 'DELETE_ALL_VERSION' | 'INCREMENT';

export interface RequestCell {
  name: string;
  value?: CellValue;
  op: CellOp;
  timestamp?: number;
}

export interface RequestRow {
  primaryKey: { name: string; value: PkBound }[];
  cells: RequestCell[];
  deleteMarker: boolean;
}

function readValue(input: PlainBufferInputStream, crcIn: number): { value: CellValue | PkBound; crc: number } {
  input.readRawLittleEndian32(); // total length of type + payload; the payload carries its own length
  const type = input.readRawByte();
  let crc = crc8.crcInt8(crcIn, type);
  switch (type) {
    case PB.VT_INTEGER: {
      const raw = input.readRawLittleEndian64();
      return { value: { type: 'INTEGER', value: raw.readBigInt64LE() }, crc: crc8.crcInt64Buf(crc, raw) };
    }
    case PB.VT_DOUBLE: {
      const raw = input.readRawLittleEndian64();
      return { value: { type: 'DOUBLE', value: raw.readDoubleLE() }, crc: crc8.crcInt64Buf(crc, raw) };
    }
    case PB.VT_BOOLEAN: {
      const flag = input.readRawByte() !== 0;
      return { value: { type: 'BOOLEAN', value: flag }, crc: crc8.crcInt8(crc, flag ? 1 : 0) };
    }
    case PB.VT_STRING:
    case PB.VT_BLOB: {
      const size = input.readRawLittleEndian32();
      const bytes = input.readBytes(size);
      crc = crc8.crcString(crc8.crcInt32(crc, size), bytes);
      return { value: type === PB.VT_STRING ? { type: 'STRING', value: bytes.toString('utf8') } : { type: 'BINARY', value: bytes }, crc };
    }
    case PB.VT_INF_MIN:
      return { value: { type: 'INF_MIN' }, crc };
    case PB.VT_INF_MAX:
      return { value: { type: 'INF_MAX' }, crc };
    case PB.VT_AUTO_INCREMENT:
      return { value: { type: 'AUTO_INCREMENT' }, crc };
    default:
      throw parameterInvalid(`Invalid column type: ${type}.`);
  }
}

const OPS: Record<number, CellOp> = { [PB.DELETE_ALL_VERSION]: 'DELETE_ALL_VERSION', [PB.DELETE_ONE_VERSION]: 'DELETE_ONE_VERSION', [PB.INCREMENT]: 'INCREMENT' };

interface RawCell {
  name: string;
  value?: CellValue | PkBound;
  op?: CellOp;
  timestamp?: number;
  crc: number;
}

function readCell(input: PlainBufferInputStream): { cell: RawCell; nextTag: number } {
  if (input.readTag() !== PB.TAG_CELL_NAME) throw parameterInvalid('Invalid PlainBuffer: expected TAG_CELL_NAME.');
  const nameSize = input.readRawLittleEndian32();
  const nameBytes = input.readBytes(nameSize);
  const cell: RawCell = { name: nameBytes.toString('utf8'), crc: crc8.crcString(0, nameBytes) };
  let tag = input.readTag();
  if (tag === PB.TAG_CELL_VALUE) {
    const { value, crc } = readValue(input, cell.crc);
    cell.value = value;
    cell.crc = crc;
    tag = input.readTag();
  }
  let opByte: number | undefined;
  if (tag === PB.TAG_CELL_TYPE) {
    opByte = input.readRawByte();
    const op = OPS[opByte];
    if (!op) throw parameterInvalid(`Invalid op type of cell: ${opByte}.`);
    cell.op = op;
    tag = input.readTag();
  }
  if (tag === PB.TAG_CELL_TIMESTAMP) {
    const raw = input.readRawLittleEndian64();
    cell.timestamp = Number(raw.readBigInt64LE());
    cell.crc = crc8.crcInt64Buf(cell.crc, raw);
    tag = input.readTag();
  }
  // The SDK folds the operation type into the checksum after the timestamp (writeUpdateColumn).
  if (opByte !== undefined) cell.crc = crc8.crcInt8(cell.crc, opByte);
  if (tag !== PB.TAG_CELL_CHECKSUM) throw parameterInvalid('Invalid PlainBuffer: expected TAG_CELL_CHECKSUM.');
  const checksum = input.readRawByte();
  if (checksum !== cell.crc) throw parameterInvalid(`Checksum mismatch in cell ${cell.name}.`);
  return { cell, nextTag: input.readTag() };
}

/** Decode one row of a request (`row`, `row_change`, `primary_key`, range bounds). */
export function readRequestRow(bytes: Uint8Array): RequestRow {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const input = new PlainBufferInput({ buffer, offset: 0, limit: buffer.length });
  if (buffer.length < 4 || input.readRawLittleEndian32() !== PB.HEADER) throw parameterInvalid('Invalid PlainBuffer header.');
  const row: RequestRow = { primaryKey: [], cells: [], deleteMarker: false };
  let rowCrc = 0;
  let tag = input.readTag();
  if (tag === PB.TAG_ROW_PK) {
    tag = input.readTag();
    while (tag === PB.TAG_CELL) {
      const { cell, nextTag } = readCell(input);
      if (!cell.value) throw parameterInvalid(`No value is given for primary key name:${cell.name}.`);
      if (cell.op) throw parameterInvalid(`OpType cannot be given for primary key name :${cell.name}.`);
      if (cell.timestamp !== undefined) throw parameterInvalid(`Timestamp cannot be given for primary key name:${cell.name}.`);
      row.primaryKey.push({ name: cell.name, value: cell.value as PkBound });
      rowCrc = crc8.crcInt8(rowCrc, cell.crc);
      tag = nextTag;
    }
  }
  if (tag === PB.TAG_ROW_DATA) {
    tag = input.readTag();
    while (tag === PB.TAG_CELL) {
      const { cell, nextTag } = readCell(input);
      const value = cell.value as CellValue | undefined;
      if (value && (value.type as string).startsWith('INF_')) throw parameterInvalid(`Invalid column type for ${cell.name}.`);
      row.cells.push({ name: cell.name, op: cell.op ?? 'PUT', ...(value ? { value } : {}), ...(cell.timestamp !== undefined ? { timestamp: cell.timestamp } : {}) });
      rowCrc = crc8.crcInt8(rowCrc, cell.crc);
      tag = nextTag;
    }
  }
  if (tag === PB.TAG_DELETE_ROW_MARKER) {
    row.deleteMarker = true;
    tag = input.readTag();
  }
  rowCrc = crc8.crcInt8(rowCrc, row.deleteMarker ? 1 : 0);
  if (tag !== PB.TAG_ROW_CHECKSUM) throw parameterInvalid('Invalid PlainBuffer: expected TAG_ROW_CHECKSUM.');
  if (input.readRawByte() !== rowCrc) throw parameterInvalid('Checksum mismatch in row.');
  // The SDK sizes its buffer before writing and over-counts INF_MIN/INF_MAX cells by a byte: zero padding may follow.
  while (!input.isAtEnd()) if (input.readRawByte() !== 0) throw parameterInvalid('Invalid PlainBuffer: trailing bytes after the row.');
  return row;
}

/** Decode a SingleColumnValueFilter's `column_value` (a bare variant: type byte + payload, no length prefix). */
export function readVariant(bytes: Uint8Array): CellValue {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Prefix a fake 4-byte length so the cell-value reader can be reused.
  const framed = Buffer.concat([Buffer.alloc(4), buffer]);
  const input = new PlainBufferInput({ buffer: framed, offset: 0, limit: framed.length });
  const { value } = readValue(input, 0);
  if ((value.type as string).startsWith('INF_') || value.type === 'AUTO_INCREMENT') throw parameterInvalid('Invalid column value in filter.');
  return value as CellValue;
}

/** A row as responses carry it: primary key, then cells with their timestamps. */
export interface ResponseRow {
  primaryKey: readonly PkCell[];
  cells: readonly { name: string; value: CellValue; timestamp: number }[];
}

function wireValue(value: CellValue): string | Buffer | number | boolean | ReturnType<typeof int64> {
  return value.type === 'INTEGER' ? int64(value.value) : value.value;
}

function sizeOf(rows: readonly ResponseRow[]): number {
  let size = 16;
  for (const row of rows) {
    size += 8;
    for (const c of [...row.primaryKey, ...row.cells]) {
      const v = c.value;
      const payload = v.type === 'STRING' ? Buffer.byteLength(v.value) : v.type === 'BINARY' ? v.value.length : 8;
      size += 40 + Buffer.byteLength(c.name) + payload;
    }
  }
  return size;
}

/**
 * Encode rows as one PlainBuffer block (header once, then each row), the format of GetRange's `rows`; with one
 * row it is the format of GetRow's `row`. Column names are ASCII (the server refuses others) because the SDK's
 * writer sizes names by character count.
 */
export function writeRows(rows: readonly ResponseRow[]): Buffer {
  const output = new PlainBufferOutput(sizeOf(rows));
  const coded = new PlainBufferCodedOutput(output);
  coded.writeHeader();
  for (const row of rows) {
    let rowCrc = 0;
    coded.writeTag(PB.TAG_ROW_PK);
    for (const pk of row.primaryKey) rowCrc = coded.writePrimaryKeyColumn(pk.name, wireValue(pk.value) as string | Buffer, rowCrc);
    if (row.cells.length > 0) {
      coded.writeTag(PB.TAG_ROW_DATA);
      for (const cell of row.cells) rowCrc = coded.writeColumn(cell.name, wireValue(cell.value), cell.timestamp, rowCrc);
    }
    coded.writeRowChecksum(crc8.crcInt8(rowCrc, 0));
  }
  return Buffer.from(output.getBuffer().subarray(0, output.count()));
}

/** A primary key alone (GetRange's `next_start_primary_key`). */
export function writePrimaryKey(primaryKey: readonly PkCell[]): Buffer {
  return writeRows([{ primaryKey, cells: [] }]);
}
