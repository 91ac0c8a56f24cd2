import { type ImageFormat, ImageRejectedError, type ImageProbe } from '../ports/image-engine';
import { describeUnsupported, type ImageHeader, MalformedImageError, readHeader, sniffFormat } from './header';
import { MAX_IMAGE_BYTES, MAX_IMAGE_PIXELS, MIN_IMAGE_SIDE } from './limits';

export interface InspectedImage extends ImageProbe {
  /** Size as stored; differs from `width`×`height` when the orientation turns the image by 90°. */
  storedWidth: number;
  storedHeight: number;
}

/**
 * Every acceptance check that needs no decoding, in the order that costs least: byte size, type from the
 * magic number, header structure, pixel budget, minimum size, completeness. Both engines call this first, so
 * they reject the same files for the same reasons, and a 40-MP+ canvas is refused before any allocation.
 *
 * @example
 * ```ts
 * const image = inspectImage(upload); // throws ImageRejectedError('too-many-pixels') for a 16000×3000 JPEG
 * image.width; // upright width
 * ```
 */
export function inspectImage(bytes: Buffer): InspectedImage {
  const { format, header } = checkImage(bytes, MIN_IMAGE_SIDE);
  const { storedWidth, storedHeight, orientation } = header;
  const turned = orientation !== undefined && turnsQuarter(orientation);
  return {
    format,
    width: turned ? storedHeight : storedWidth,
    height: turned ? storedWidth : storedHeight,
    ...(orientation === undefined ? {} : { orientation }),
    bytes: bytes.length,
    storedWidth,
    storedHeight,
  };
}

/**
 * The checks `transform` makes before decoding: a JPEG, PNG or still WebP within the byte and pixel budgets, with
 * a sound header. Unlike `inspectImage` there is no minimum size (a 1×1 pixel is a fine image to re-encode).
 */
export function inspectForTransform(bytes: Buffer): InspectedImage {
  const { format, header } = checkImage(bytes);
  const { storedWidth, storedHeight, orientation } = header;
  return { format, width: storedWidth, height: storedHeight, ...(orientation === undefined ? {} : { orientation }), bytes: bytes.length, storedWidth, storedHeight };
}

/**
 * What both inspections refuse: too many bytes, a format that is not JPEG, PNG or WebP, a header that does not
 * parse, too many pixels, a side shorter than `minSide` (when given), an animated WebP, a truncated file. The
 * checks run in that order so the cheapest reason is the one reported.
 */
function checkImage(bytes: Buffer, minSide?: number): { format: ImageFormat; header: ImageHeader } {
  if (bytes.length > MAX_IMAGE_BYTES) throw new ImageRejectedError('too-large-bytes', `image is ${bytes.length} bytes; the limit is ${MAX_IMAGE_BYTES}`);
  const format = sniffFormat(bytes);
  if (format === undefined) throw new ImageRejectedError('unsupported-type', `${describeUnsupported(bytes)} is not accepted (JPEG, PNG or WebP only)`);
  let header;
  try {
    header = readHeader(bytes, format);
  } catch (err) {
    if (err instanceof MalformedImageError) throw new ImageRejectedError('corrupt', err.message);
    throw err;
  }
  const { storedWidth, storedHeight } = header;
  if (storedWidth * storedHeight > MAX_IMAGE_PIXELS) {
    throw new ImageRejectedError('too-many-pixels', `${storedWidth}×${storedHeight} is ${(storedWidth * storedHeight) / 1e6} MP; the limit is ${MAX_IMAGE_PIXELS / 1e6} MP`);
  }
  if (minSide !== undefined && Math.min(storedWidth, storedHeight) < minSide) {
    throw new ImageRejectedError('too-small', `${storedWidth}×${storedHeight} is smaller than ${minSide} px on a side`);
  }
  if (header.animated) throw new ImageRejectedError('unsupported-type', 'animated WebP is not accepted');
  if (!header.complete) throw new ImageRejectedError('corrupt', `${format} is truncated`);
  return { format, header };
}

/** EXIF orientations 5–8 include a quarter turn, so width and height swap. */
export function turnsQuarter(orientation: number | undefined): boolean {
  return orientation !== undefined && orientation >= 5;
}

/**
 * Size of a thumbnail `targetWidth` wide of an upright `width`×`height` image: aspect kept, never upscaled,
 * at least 1 px. Both engines resize to exactly this, so they agree to the pixel.
 */
export function thumbnailSize(image: { width: number; height: number }, targetWidth: number): { width: number; height: number } {
  const width = Math.min(targetWidth, image.width);
  return { width, height: Math.max(1, Math.round((image.height * width) / image.width)) };
}
