/**
 * PlainBuffer (https://www.alibabacloud.com/help/en/tablestore/developer-reference/plainbuffer), both ways:
 * - rows in requests (and in stream records) are read by `readRequestRow`, walking the tags the SDK's builder
 *   writes (`plian_buffer_builder.js`): cell operation types, timestamps, INF_MIN/INF_MAX and
 *   the delete marker, which the SDK's own reader (made for responses) does not understand. Every checksum
 *   (`crc8.ts`) is verified, so an encoding bug in a request surfaces as OTSParameterInvalid;
 * - rows in responses and stream records are written by `writeRows` with the same tags and checksums (the SDK's
 *   reader decodes every response in the tests; a test compares stream records with the SDK's builder).
 */
import { OtsError, parameterInvalid } from './errors';
import { crc8 } from './crc8';
import { PB } from './sdk';
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

/**
 * Little-endian reads over one buffer; reading past its end throws (a truncated row). Fields are read in place
 * (offsets, not sub-buffers): every row of a 200-row BatchWriteRow goes through here.
 */
class Input {
  at = 0;
  constructor(readonly buffer: Buffer) {}
  isAtEnd(): boolean {
    return this.at >= this.buffer.length;
  }
  /** The next tag, or 0 at the end (as the SDK's reader answers). */
  readTag(): number {
    return this.isAtEnd() ? 0 : this.readRawByte();
  }
  /** Claims `size` bytes and returns where they start. */
  need(size: number): number {
    if (this.at + size > this.buffer.length) throw new Error('the row ends early');
    const start = this.at;
    this.at += size;
    return start;
  }
  readRawByte(): number {
    return this.buffer[this.need(1)]!;
  }
  readRawLittleEndian32(): number {
    return this.buffer.readInt32LE(this.need(4));
  }
  /** Claims `size` bytes (a length read from the row) and returns where they start. */
  readBytesAt(size: number): number {
    if (size < 0) throw new Error(`negative length ${size}`);
    return this.need(size);
  }
}

const { crcRange } = crc8;

/** What `readValue` read: the value and the cell checksum with it folded in. */
interface ReadValue {
  value: CellValue | PkBound;
  crc: number;
}

function readValue(input: Input, crcIn: number): ReadValue {
  input.readRawLittleEndian32(); // total length of type + payload; the payload carries its own length
  const type = input.readRawByte();
  const crc = crc8.crcInt8(crcIn, type);
  const { buffer } = input;
  switch (type) {
    case PB.VT_INTEGER: {
      const at = input.need(8);
      return { value: { type: 'INTEGER', value: buffer.readBigInt64LE(at) }, crc: crcRange(crc, buffer, at, 8) };
    }
    case PB.VT_DOUBLE: {
      const at = input.need(8);
      return { value: { type: 'DOUBLE', value: buffer.readDoubleLE(at) }, crc: crcRange(crc, buffer, at, 8) };
    }
    case PB.VT_BOOLEAN: {
      const flag = input.readRawByte() !== 0;
      return { value: { type: 'BOOLEAN', value: flag }, crc: crc8.crcInt8(crc, flag ? 1 : 0) };
    }
    case PB.VT_STRING:
    case PB.VT_BLOB: {
      const size = input.readRawLittleEndian32();
      const at = input.readBytesAt(size);
      const folded = crcRange(crc8.crcInt32(crc, size), buffer, at, size);
      const value: CellValue = type === PB.VT_STRING ? { type: 'STRING', value: buffer.toString('utf8', at, at + size) } : { type: 'BINARY', value: buffer.subarray(at, at + size) };
      return { value, crc: folded };
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
  /** The tag after the cell. */
  nextTag: number;
}

function readCell(input: Input): RawCell {
  if (input.readTag() !== PB.TAG_CELL_NAME) throw parameterInvalid('Invalid PlainBuffer: expected TAG_CELL_NAME.');
  const nameSize = input.readRawLittleEndian32();
  const nameAt = input.readBytesAt(nameSize);
  const cell: RawCell = { name: input.buffer.toString('utf8', nameAt, nameAt + nameSize), crc: crcRange(0, input.buffer, nameAt, nameSize), nextTag: 0 };
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
    const at = input.need(8);
    cell.timestamp = Number(input.buffer.readBigInt64LE(at));
    cell.crc = crcRange(cell.crc, input.buffer, at, 8);
    tag = input.readTag();
  }
  // The SDK folds the operation type into the checksum after the timestamp (writeUpdateColumn).
  if (opByte !== undefined) cell.crc = crc8.crcInt8(cell.crc, opByte);
  if (tag !== PB.TAG_CELL_CHECKSUM) throw parameterInvalid('Invalid PlainBuffer: expected TAG_CELL_CHECKSUM.');
  const checksum = input.readRawByte();
  if (checksum !== cell.crc) throw parameterInvalid(`Checksum mismatch in cell ${cell.name}.`);
  cell.nextTag = input.readTag();
  return cell;
}

/** Decode one row of a request (`row`, `row_change`, `primary_key`, range bounds) or of a stream record. */
export function readRequestRow(bytes: Uint8Array): RequestRow {
  try {
    return readRow(bytes);
  } catch (err) {
    // The SDK's input stream throws plain Errors at the end of its buffer: a truncated row is the caller's.
    if (err instanceof OtsError) throw err;
    throw parameterInvalid(`data format is invalid: ${(err as Error).message}`);
  }
}

function readRow(bytes: Uint8Array): RequestRow {
  const buffer = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const input = new Input(buffer);
  if (buffer.length < 4 || input.readRawLittleEndian32() !== PB.HEADER) throw parameterInvalid('Invalid PlainBuffer header.');
  const row: RequestRow = { primaryKey: [], cells: [], deleteMarker: false };
  let rowCrc = 0;
  let tag = input.readTag();
  if (tag === PB.TAG_ROW_PK) {
    tag = input.readTag();
    while (tag === PB.TAG_CELL) {
      const cell = readCell(input);
      if (!cell.value) throw parameterInvalid(`No value is given for primary key name:${cell.name}.`);
      if (cell.op) throw parameterInvalid(`OpType cannot be given for primary key name :${cell.name}.`);
      if (cell.timestamp !== undefined) throw parameterInvalid(`Timestamp cannot be given for primary key name:${cell.name}.`);
      row.primaryKey.push({ name: cell.name, value: cell.value as PkBound });
      rowCrc = crc8.crcInt8(rowCrc, cell.crc);
      tag = cell.nextTag;
    }
  }
  if (tag === PB.TAG_ROW_DATA) {
    tag = input.readTag();
    while (tag === PB.TAG_CELL) {
      const cell = readCell(input);
      const value = cell.value as CellValue | undefined;
      if (value && ((value.type as string) === 'INF_MIN' || (value.type as string) === 'INF_MAX')) throw parameterInvalid(`Invalid column type for ${cell.name}.`);
      const out: RequestCell = { name: cell.name, op: cell.op ?? 'PUT' };
      if (value) out.value = value;
      if (cell.timestamp !== undefined) out.timestamp = cell.timestamp;
      row.cells.push(out);
      rowCrc = crc8.crcInt8(rowCrc, cell.crc);
      tag = cell.nextTag;
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
  const input = new Input(framed);
  let value: CellValue | PkBound;
  try {
    value = readValue(input, 0).value;
  } catch (err) {
    if (err instanceof OtsError) throw err;
    throw parameterInvalid('data format is invalid, unknown variant type occured.');
  }
  if ((value.type as string).startsWith('INF_') || value.type === 'AUTO_INCREMENT') throw parameterInvalid('Invalid column value in filter.');
  return value as CellValue;
}

/** A row as responses and stream records carry it. */
export interface WriteCell {
  name: string;
  /** Absent for the deletions of a stream record. */
  value?: CellValue;
  /** Stream records only: how the cell changed (responses carry plain cells). */
  op?: Exclude<CellOp, 'INCREMENT'>;
  timestamp?: number;
}

export interface WriteRow {
  primaryKey: readonly PkCell[];
  cells: readonly WriteCell[];
  deleteMarker?: boolean;
}

const OP_BYTES: Record<Exclude<CellOp, 'PUT' | 'INCREMENT'>, number> = { DELETE_ONE_VERSION: PB.DELETE_ONE_VERSION, DELETE_ALL_VERSION: PB.DELETE_ALL_VERSION };

/**
 * Bytes written into one scratch buffer, copied out once at the end: a response row is a few dozen one- to
 * eight-byte fields, and a Buffer per field (then a concat) cost more than the GetRow it answers. The scratch is
 * shared by every writer: `writeRows` runs to completion synchronously, so two never interleave.
 */
let scratch = Buffer.allocUnsafe(4096);

class Writer {
  private length = 0;
  private room(bytes: number): void {
    if (this.length + bytes <= scratch.length) return;
    const grown = Buffer.allocUnsafe(Math.max(scratch.length * 2, this.length + bytes));
    scratch.copy(grown, 0, 0, this.length);
    scratch = grown;
  }
  byte(value: number): void {
    this.room(1);
    scratch[this.length++] = value;
  }
  u32(value: number): void {
    this.room(4);
    scratch.writeUInt32LE(value, this.length);
    this.length += 4;
  }
  raw(bytes: Uint8Array): void {
    this.room(bytes.length);
    scratch.set(bytes, this.length);
    this.length += bytes.length;
  }
  /** The bytes written, in a buffer of their own (the scratch is reused by the next writer). */
  finish(): Buffer {
    return Buffer.from(scratch.subarray(0, this.length));
  }
}

function int64Bytes(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(value);
  return b;
}

/** TAG_CELL_VALUE with its payload; returns the cell checksum with the value folded in. */
function writeValue(out: Writer, value: CellValue, crc: number): number {
  out.byte(PB.TAG_CELL_VALUE);
  switch (value.type) {
    case 'INTEGER':
    case 'DOUBLE': {
      const bytes = value.type === 'INTEGER' ? int64Bytes(value.value) : Buffer.alloc(8);
      if (value.type === 'DOUBLE') bytes.writeDoubleLE(value.value);
      const type = value.type === 'INTEGER' ? PB.VT_INTEGER : PB.VT_DOUBLE;
      out.u32(9);
      out.byte(type);
      out.raw(bytes);
      return crc8.crcInt64Buf(crc8.crcInt8(crc, type), bytes);
    }
    case 'BOOLEAN':
      out.u32(2);
      out.byte(PB.VT_BOOLEAN);
      out.byte(value.value ? 1 : 0);
      return crc8.crcInt8(crc8.crcInt8(crc, PB.VT_BOOLEAN), value.value ? 1 : 0);
    case 'STRING':
    case 'BINARY': {
      const bytes = value.type === 'STRING' ? Buffer.from(value.value, 'utf8') : value.value;
      const type = value.type === 'STRING' ? PB.VT_STRING : PB.VT_BLOB;
      out.u32(5 + bytes.length);
      out.byte(type);
      out.u32(bytes.length);
      out.raw(bytes);
      return crc8.crcString(crc8.crcInt32(crc8.crcInt8(crc, type), bytes.length), bytes);
    }
  }
}

function writeCell(out: Writer, cell: WriteCell): number {
  out.byte(PB.TAG_CELL);
  out.byte(PB.TAG_CELL_NAME);
  const name = Buffer.from(cell.name, 'utf8');
  out.u32(name.length);
  out.raw(name);
  let crc = crc8.crcString(0, name);
  if (cell.value) crc = writeValue(out, cell.value, crc);
  const opByte = cell.op && cell.op !== 'PUT' ? OP_BYTES[cell.op] : undefined;
  if (opByte !== undefined) {
    out.byte(PB.TAG_CELL_TYPE);
    out.byte(opByte);
  }
  if (cell.timestamp !== undefined) {
    const ts = int64Bytes(BigInt(cell.timestamp));
    out.byte(PB.TAG_CELL_TIMESTAMP);
    out.raw(ts);
    crc = crc8.crcInt64Buf(crc, ts);
  }
  if (opByte !== undefined) crc = crc8.crcInt8(crc, opByte);
  out.byte(PB.TAG_CELL_CHECKSUM);
  out.byte(crc);
  return crc;
}

function writeRowBody(out: Writer, row: WriteRow): void {
  let rowCrc = 0;
  out.byte(PB.TAG_ROW_PK);
  for (const pk of row.primaryKey) rowCrc = crc8.crcInt8(rowCrc, writeCell(out, { name: pk.name, value: pk.value }));
  if (row.cells.length > 0) {
    out.byte(PB.TAG_ROW_DATA);
    for (const cell of row.cells) rowCrc = crc8.crcInt8(rowCrc, writeCell(out, cell));
  }
  if (row.deleteMarker) out.byte(PB.TAG_DELETE_ROW_MARKER);
  out.byte(PB.TAG_ROW_CHECKSUM);
  out.byte(crc8.crcInt8(rowCrc, row.deleteMarker ? 1 : 0));
}

/**
 * Rows as one PlainBuffer block (header once, then each row): the format of GetRange's `rows`; with one row it is
 * GetRow's `row`, with no cells a primary key alone (`next_start_primary_key`).
 */
export function writeRows(rows: readonly WriteRow[]): Buffer {
  const out = new Writer();
  out.u32(PB.HEADER);
  for (const row of rows) writeRowBody(out, row);
  return out.finish();
}

/** A primary key alone (GetRange's `next_start_primary_key`, ReturnContent RT_PK). */
export function writePrimaryKey(primaryKey: readonly PkCell[]): Buffer {
  return writeRows([{ primaryKey, cells: [] }]);
}
