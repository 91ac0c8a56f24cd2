/**
 * Reads what the pipeline must know about an upload from its container structure alone — type, stored size,
 * EXIF orientation, and whether the file is complete — without decoding any pixel.
 *
 * Specs: JPEG ITU T.81 B.1 (markers and segments), Exif 2.32 §4.5.4 (APP1, TIFF IFD0 tag 0x0112),
 * PNG (ISO 15948) §5 (chunks, IHDR, IEND) and the eXIf extension, WebP container
 * (https://developers.google.com/speed/webp/docs/riff_container) and VP8/VP8L frame headers (RFC 6386 §9.1,
 * WebP lossless bitstream §3).
 */
import type { ImageFormat } from '../ports/image-engine';

export interface ImageHeader {
  format: ImageFormat;
  /** Size as stored, before the EXIF orientation is applied. */
  storedWidth: number;
  storedHeight: number;
  /** EXIF orientation 1–8 when present and valid. */
  orientation?: number;
  /** False when the file ends before its container says it should (a truncated upload). */
  complete: boolean;
  /** Animated WebP (VP8X animation flag). */
  animated: boolean;
}

/** The structure is not what the magic number promises. */
export class MalformedImageError extends Error {}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const EXIF_PREFIX = Buffer.from('Exif\0\0', 'latin1');
const JPEG_EOI = Buffer.from([0xff, 0xd9]);

/** The accepted format announced by the first bytes, or undefined. */
export function sniffFormat(bytes: Buffer): ImageFormat | undefined {
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  if (bytes.length >= 8 && bytes.subarray(0, 8).equals(PNG_SIGNATURE)) return 'png';
  if (bytes.length >= 12 && bytes.toString('latin1', 0, 4) === 'RIFF' && bytes.toString('latin1', 8, 12) === 'WEBP') return 'webp';
  return undefined;
}

/** A name for a refused type, for the rejection message only ("GIF is not accepted"). */
export function describeUnsupported(bytes: Buffer): string {
  const head = bytes.toString('latin1', 0, 12);
  if (head.startsWith('GIF8')) return 'GIF';
  if (head.startsWith('%PDF')) return 'PDF';
  if (head.startsWith('BM')) return 'BMP';
  if (head.startsWith('II*\0') || head.startsWith('MM\0*')) return 'TIFF';
  if (head.slice(4, 8) === 'ftyp') return `ISO media (${head.slice(8, 12).trim()})`;
  if (head.startsWith('<svg') || head.startsWith('<?xml')) return 'SVG/XML';
  return bytes.length === 0 ? 'an empty file' : 'an unknown type';
}

export function readHeader(bytes: Buffer, format: ImageFormat): ImageHeader {
  try {
    if (format === 'jpeg') return readJpeg(bytes);
    if (format === 'png') return readPng(bytes);
    return readWebp(bytes);
  } catch (err) {
    // A length field pointing outside the buffer surfaces as a RangeError from Buffer reads.
    if (err instanceof RangeError) throw new MalformedImageError(`${format} header runs past the end of the file`);
    throw err;
  }
}

function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
}

function readJpeg(b: Buffer): ImageHeader {
  let width: number | undefined;
  let height: number | undefined;
  let orientation: number | undefined;
  let pos = 2;
  while (pos + 4 <= b.length) {
    if (b[pos] !== 0xff) throw new MalformedImageError(`JPEG: no marker at byte ${pos}`);
    let marker = b[pos + 1]!;
    while (marker === 0xff && pos + 2 < b.length) marker = b[++pos + 1]!; // fill bytes (T.81 B.1.1.2)
    if (marker === 0xd8 || marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      pos += 2; // stand-alone markers carry no length
      continue;
    }
    if (marker === 0xd9) throw new MalformedImageError('JPEG ends before its image data');
    const length = b.readUInt16BE(pos + 2);
    const end = pos + 2 + length;
    if (length < 2 || end > b.length) throw new MalformedImageError('JPEG segment runs past the end of the file');
    const data = b.subarray(pos + 4, end);
    if (isStartOfFrame(marker)) {
      height = data.readUInt16BE(1);
      width = data.readUInt16BE(3);
    } else if (marker === 0xe1 && orientation === undefined && data.subarray(0, 6).equals(EXIF_PREFIX)) {
      orientation = exifOrientation(data.subarray(6));
    } else if (marker === 0xda) {
      if (width === undefined || height === undefined || width === 0 || height === 0) throw new MalformedImageError('JPEG has no usable frame header (SOF)');
      // Entropy-coded data escapes 0xFF as 0xFF00, so the only FFD9 after the first scan is the real end. Searched
      // from the tail (an FFD9 at or after `end` exists iff the last one is there): a complete file ends with it, so
      // this reads a few bytes instead of scanning megabytes of scan data, twice per upload (D69).
      return { format: 'jpeg', storedWidth: width, storedHeight: height, ...withOrientation(orientation), complete: b.lastIndexOf(JPEG_EOI) >= end, animated: false };
    }
    pos = end;
  }
  throw new MalformedImageError('JPEG ends before its image data');
}

function readPng(b: Buffer): ImageHeader {
  let width: number | undefined;
  let height: number | undefined;
  let orientation: number | undefined;
  let complete = false;
  for (let pos = 8; pos + 8 <= b.length; ) {
    const length = b.readUInt32BE(pos);
    const type = b.toString('latin1', pos + 4, pos + 8);
    const dataStart = pos + 8;
    const next = dataStart + length + 4; // data + CRC
    if (pos === 8 && type !== 'IHDR') throw new MalformedImageError('PNG does not start with IHDR');
    if (next > b.length) break;
    if (type === 'IHDR') {
      width = b.readUInt32BE(dataStart);
      height = b.readUInt32BE(dataStart + 4);
    } else if (type === 'eXIf') {
      orientation = exifOrientation(b.subarray(dataStart, dataStart + length));
    } else if (type === 'IEND') {
      complete = true;
      break;
    }
    pos = next;
  }
  if (width === undefined || height === undefined || width === 0 || height === 0) throw new MalformedImageError('PNG has no usable IHDR');
  return { format: 'png', storedWidth: width, storedHeight: height, ...withOrientation(orientation), complete, animated: false };
}

function readWebp(b: Buffer): ImageHeader {
  const complete = 8 + b.readUInt32LE(4) <= b.length;
  const first = b.toString('latin1', 12, 16);
  const data = 20;
  if (first === 'VP8 ') {
    if (b[data + 3] !== 0x9d || b[data + 4] !== 0x01 || b[data + 5] !== 0x2a) throw new MalformedImageError('WebP VP8 frame has no start code');
    return size('webp', b.readUInt16LE(data + 6) & 0x3fff, b.readUInt16LE(data + 8) & 0x3fff, undefined, complete, false);
  }
  if (first === 'VP8L') {
    if (b[data] !== 0x2f) throw new MalformedImageError('WebP VP8L frame has no signature');
    const bits = b.readUInt32LE(data + 1);
    return size('webp', (bits & 0x3fff) + 1, ((bits >>> 14) & 0x3fff) + 1, undefined, complete, false);
  }
  if (first === 'VP8X') {
    const animated = (b[data]! & 0x02) !== 0;
    const width = b.readUIntLE(data + 4, 3) + 1;
    const height = b.readUIntLE(data + 7, 3) + 1;
    return size('webp', width, height, webpExifOrientation(b), complete, animated);
  }
  throw new MalformedImageError(`WebP starts with an unknown chunk ${JSON.stringify(first)}`);
}

function webpExifOrientation(b: Buffer): number | undefined {
  for (let pos = 12; pos + 8 <= b.length; ) {
    const type = b.toString('latin1', pos, pos + 4);
    const length = b.readUInt32LE(pos + 4);
    if (type === 'EXIF') {
      const exif = b.subarray(pos + 8, Math.min(b.length, pos + 8 + length));
      // Some writers keep the JPEG-style "Exif\0\0" prefix inside the chunk.
      return exifOrientation(exif.subarray(0, 6).equals(EXIF_PREFIX) ? exif.subarray(6) : exif);
    }
    pos += 8 + length + (length & 1); // chunks are padded to an even size
  }
  return undefined;
}

function size(format: ImageFormat, width: number, height: number, orientation: number | undefined, complete: boolean, animated: boolean): ImageHeader {
  if (width === 0 || height === 0) throw new MalformedImageError(`${format} declares an empty canvas`);
  return { format, storedWidth: width, storedHeight: height, ...withOrientation(orientation), complete, animated };
}

function withOrientation(orientation: number | undefined): { orientation?: number } {
  return orientation === undefined ? {} : { orientation };
}

/**
 * Orientation (tag 0x0112, SHORT) from a TIFF structure (the body of an Exif block). Malformed EXIF is
 * ignored — it must never make an otherwise good image unreadable.
 */
export function exifOrientation(tiff: Buffer): number | undefined {
  if (tiff.length < 8) return undefined;
  const order = tiff.toString('latin1', 0, 2);
  if (order !== 'II' && order !== 'MM') return undefined;
  const little = order === 'II';
  const u16 = (at: number) => (at + 2 <= tiff.length ? (little ? tiff.readUInt16LE(at) : tiff.readUInt16BE(at)) : undefined);
  const u32 = (at: number) => (at + 4 <= tiff.length ? (little ? tiff.readUInt32LE(at) : tiff.readUInt32BE(at)) : undefined);
  if (u16(2) !== 42) return undefined;
  const ifd = u32(4);
  const count = ifd === undefined ? undefined : u16(ifd);
  if (ifd === undefined || count === undefined) return undefined;
  for (let i = 0; i < count; i++) {
    const entry = ifd + 2 + i * 12;
    if (entry + 12 > tiff.length) return undefined;
    if (u16(entry) !== 0x0112) continue;
    const value = u16(entry + 2) === 3 ? u16(entry + 8) : undefined;
    return value !== undefined && value >= 1 && value <= 8 ? value : undefined;
  }
  return undefined;
}
