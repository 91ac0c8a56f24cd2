import type sharp from 'sharp';
import type { Sharp } from 'sharp';
import { ImageRejectedError, type ImageEngine, type ImageProbe, type ImageTransform, type Thumbnail, type ThumbnailOptions, type TransformedImage } from '../ports/image-engine';
import { blendOver } from './bitmap';
import { inspectForTransform, inspectImage, thumbnailSize, type InspectedImage } from './inspect';
import { DEFAULT_WEBP_QUALITY, MAX_IMAGE_PIXELS } from './limits';
import { resolveTransform } from './transform';
import { resolveThumbnailOptions, type ResolvedThumbnailOptions } from './options';
import { watermarkOverlay } from './watermark';

export type SharpModule = typeof sharp;

/**
 * EXIF orientation as sharp operations: a mirror (`flop`, applied before any rotation) then a clockwise
 * rotation. Applied from our own header parse rather than `autoOrient`, so the orientation (and the output
 * size computed from it) is the one both engines read.
 */
const ORIENT: Record<number, { flop: boolean; rotate: number; flip?: boolean }> = {
  2: { flop: true, rotate: 0 },
  3: { flop: false, rotate: 180 },
  4: { flop: false, rotate: 0, flip: true },
  5: { flop: true, rotate: 270 },
  6: { flop: false, rotate: 90 },
  7: { flop: true, rotate: 90 },
  8: { flop: false, rotate: 270 },
};

let loading: Promise<SharpModule> | undefined;

/** Loads the native module once; rejects when its binary cannot load on this machine. */
export function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then((mod) => mod.default);
  return loading;
}

/**
 * The ImageEngine on sharp/libvips: one streaming pipeline per size (JPEG shrink-on-load keeps a 12-MP decode
 * cheap), metadata dropped by default.
 *
 * @example
 * ```ts
 * const engine = new SharpImageEngine(await loadSharp());
 * const thumb = await engine.thumbnail(upload, { width: 1024, watermark: 'FC EVENT SUITE' });
 * ```
 */
export class SharpImageEngine implements ImageEngine {
  readonly name = 'sharp';

  constructor(private readonly sharp: SharpModule) {}

  async probe(bytes: Buffer): Promise<ImageProbe> {
    const { storedWidth: _w, storedHeight: _h, ...probe } = inspectImage(bytes);
    return probe;
  }

  async thumbnail(bytes: Buffer, options: ThumbnailOptions): Promise<Thumbnail> {
    const resolved = resolveThumbnailOptions(options);
    return this.render(bytes, inspectImage(bytes), resolved);
  }

  async thumbnails(bytes: Buffer, options: ThumbnailOptions[]): Promise<Thumbnail[]> {
    const resolved = options.map(resolveThumbnailOptions);
    const image = inspectImage(bytes);
    return Promise.all(resolved.map((o) => this.render(bytes, image, o)));
  }

  async transform(bytes: Buffer, transform: ImageTransform): Promise<TransformedImage> {
    const image = inspectForTransform(bytes);
    const t = resolveTransform(transform);
    let pipeline = this.sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, autoOrient: false });
    let width = image.storedWidth;
    let height = image.storedHeight;
    if (t.resize) {
      const { r, g, b } = t.resize.background;
      pipeline = pipeline.resize(t.resize.width, t.resize.height, { fit: t.resize.fit, position: 'centre', background: { r, g, b, alpha: 1 } });
      ({ width, height } = t.resize);
    }
    const quality = t.quality ?? DEFAULT_WEBP_QUALITY;
    if (t.format === 'jpeg') pipeline = pipeline.flatten({ background: '#ffffff' }).jpeg({ quality });
    else if (t.format === 'webp') pipeline = pipeline.webp({ quality });
    else pipeline = pipeline.png();
    try {
      const body = await pipeline.toBuffer();
      return { body, width, height, format: t.format, contentType: `image/${t.format}` };
    } catch (err) {
      throw new ImageRejectedError('corrupt', `cannot decode the ${image.format}: ${(err as Error).message}`);
    }
  }

  private async render(bytes: Buffer, image: InspectedImage, options: ResolvedThumbnailOptions): Promise<Thumbnail> {
    const size = thumbnailSize(image, options.width);
    // failOn 'error' refuses broken pixel data but not the harmless warnings many camera JPEGs raise;
    // limitInputPixels repeats the header check inside libvips.
    let pipeline = this.sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, autoOrient: false });
    const turn = image.orientation === undefined ? undefined : ORIENT[image.orientation];
    if (turn?.flop) pipeline = pipeline.flop();
    if (turn?.flip) pipeline = pipeline.flip();
    if (turn && turn.rotate !== 0) pipeline = pipeline.rotate(turn.rotate);
    pipeline = pipeline.resize(size.width, size.height, { fit: 'fill' });
    try {
      const body = options.watermark ? await this.watermarked(pipeline, size, options.watermark, options.quality) : await pipeline.webp({ quality: options.quality }).toBuffer();
      return { body, width: size.width, height: size.height, contentType: 'image/webp' };
    } catch (err) {
      // The header was sound (inspectImage passed), so a failure here is in the pixel data.
      throw new ImageRejectedError('corrupt', `cannot decode the ${image.format}: ${(err as Error).message}`);
    }
  }

  /**
   * The resized pixels with the watermark blended in JS, then encoded. libvips' own composite costs ~25 ms on
   * a 1024 px thumbnail (it processes the whole frame); blending the bar's few rows here costs ~1 ms.
   */
  private async watermarked(pipeline: Sharp, size: { width: number; height: number }, text: string, quality: number): Promise<Buffer> {
    // sRGB first: greyscale or CMYK sources would otherwise hand out 1, 2 or 4 colour channels.
    const { data, info } = await pipeline.toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    const channels = info.channels === 3 ? 3 : 4;
    if (info.channels !== channels) throw new Error(`unexpected ${info.channels}-channel pixels`);
    const mark = watermarkOverlay(size.width, size.height, text);
    blendOver({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels }, mark, mark.left, mark.top);
    return this.sharp(data, { raw: { width: info.width, height: info.height, channels } }).webp({ quality }).toBuffer();
  }
}
