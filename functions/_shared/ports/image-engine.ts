/**
 * ImageEngine port: what the image pipeline needs from an image library — look at an upload without
 * decoding it, and turn it into upright, metadata-free WebP thumbnails.
 *
 * Adapters (`functions/_shared/images/`): `SharpImageEngine` (libvips, native) and `JimpImageEngine`
 * (pure JS, WebP through the `@jsquash/webp` wasm codec), chosen by `imageEngineFromEnv()`. Both share the
 * byte sniffing and the limits in `images/inspect.ts`, so they accept and reject exactly the same files.
 */
import { UnprocessableError } from '../errors';

export const IMAGE_FORMATS = ['jpeg', 'png', 'webp'] as const;
export type ImageFormat = (typeof IMAGE_FORMATS)[number];

/**
 * Why an upload is refused, as stored on the `images` row. Every check that can be made from the header is
 * made before any pixel is decoded.
 */
export const IMAGE_REJECT_REASONS = ['unsupported-type', 'corrupt', 'too-many-pixels', 'too-small', 'too-large-bytes'] as const;
export type ImageRejectReason = (typeof IMAGE_REJECT_REASONS)[number];

export interface ImageProbe {
  /** Sniffed from the magic numbers, never from a file name or a declared content type. */
  format: ImageFormat;
  /** Upright size: what a viewer shows once the EXIF orientation is applied. */
  width: number;
  height: number;
  /** EXIF orientation (1–8) when the file carries one; 5–8 swap the stored width and height. */
  orientation?: number;
  bytes: number;
}

export interface ThumbnailOptions {
  /** Target width of the upright image; the height keeps the aspect ratio. Never upscales. */
  width: number;
  /** Text drawn in a semi-transparent bar along the bottom edge (the large size is marked, the small is not). */
  watermark?: string;
  /** WebP quality 1–100 (default `DEFAULT_WEBP_QUALITY`). */
  quality?: number;
}

export interface Thumbnail {
  /** WebP, upright, with no EXIF/XMP/ICC metadata. */
  body: Buffer;
  width: number;
  height: number;
  contentType: 'image/webp';
}

/**
 * A general image operation, for the OSS emulator's `x-oss-process` (the pipeline itself only makes thumbnails):
 * an optional crop, an optional resize to an exact box, an optional turn upright, then an encode. No metadata is kept.
 */
export interface ImageTransform {
  /** A region of the image as stored (inside it), cut out before anything else. */
  crop?: { left: number; top: number; width: number; height: number };
  /**
   * Resize to exactly `width`×`height`: `fill` stretches, `cover` scales to cover the box and crops the centre,
   * `contain` scales to fit inside and pads the rest with `background` (`RRGGBB`, default white).
   */
  resize?: { width: number; height: number; fit: 'fill' | 'cover' | 'contain'; background?: string };
  format: ImageFormat;
  /** 1–100, for JPEG and WebP (default: the encoder's, 80 here as in the pipeline). */
  quality?: number;
  /**
   * An EXIF orientation (1–8) to turn the result upright by, after the resize — OSS's `auto-orient`, which resizes
   * the image as stored and then turns it. 5–8 swap the output's width and height. Absent: no turn.
   */
  orientation?: number;
}

export interface TransformedImage {
  body: Buffer;
  width: number;
  height: number;
  format: ImageFormat;
  contentType: string;
}

export interface ImageEngine {
  readonly name: 'sharp' | 'jimp';
  /**
   * Reads format, size and orientation from the header. Rejects with `ImageRejectedError` exactly like
   * `thumbnail` would for every reason that the header can tell (all but a corrupt body).
   */
  probe(bytes: Buffer): Promise<ImageProbe>;
  /**
   * One WebP thumbnail.
   *
   * @example
   * ```ts
   * const engine = await imageEngineFromEnv();
   * const { body, width, height } = await engine.thumbnail(upload, { width: 256 });
   * ```
   */
  thumbnail(bytes: Buffer, options: ThumbnailOptions): Promise<Thumbnail>;
  /**
   * Several thumbnails of one image, in the order asked; engines that decode in JS decode only once.
   *
   * @example
   * ```ts
   * const [small, large] = await engine.thumbnails(upload, [{ width: 256 }, { width: 1024, watermark: 'FC EVENT SUITE' }]);
   * ```
   */
  thumbnails(bytes: Buffer, options: ThumbnailOptions[]): Promise<Thumbnail[]>;
  /**
   * A resize and/or re-encode (`transform` refuses what `inspectForTransform` refuses, with `ImageRejectedError`).
   *
   * @example
   * ```ts
   * const out = await engine.transform(photo, { resize: { width: 200, height: 100, fit: 'fill' }, format: 'png' });
   * ```
   */
  transform(bytes: Buffer, transform: ImageTransform): Promise<TransformedImage>;
}

/**
 * The upload is not an image the pipeline accepts; `reason` is the machine-readable cause (422 if it
 * ever reaches HTTP). Retrying cannot help, so an async invocation should record it and succeed.
 *
 * @example
 * ```ts
 * try { await engine.thumbnail(bytes, { width: 256 }); }
 * catch (err) { if (err instanceof ImageRejectedError) await markRejected(imageId, err.reason); else throw err; }
 * ```
 */
export class ImageRejectedError extends UnprocessableError {
  readonly reason: ImageRejectReason;

  constructor(reason: ImageRejectReason, message: string) {
    super(message, 'ImageRejected');
    this.reason = reason;
  }
}

export function isImageRejectedError(err: unknown): err is ImageRejectedError {
  return err instanceof ImageRejectedError;
}
