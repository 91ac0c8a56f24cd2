import type sharp from 'sharp';
import { ImageRejectedError, type ImageEngine, type ImageProbe, type ImageTransform, type Thumbnail, type ThumbnailOptions, type TransformedImage } from '../ports/image-engine';
import { blendOver } from './bitmap';
import { inspectForTransform, inspectImage, thumbnailSize, turnsQuarter, type InspectedImage } from './inspect';
import { DEFAULT_WEBP_QUALITY, MAX_IMAGE_PIXELS } from './limits';
import { checkCropInside, resolveTransform } from './transform';
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

/** libvips threads per image (`sharp.concurrency`, process-wide): see the constructor. */
export const LIBVIPS_THREADS_PER_IMAGE = 1;

let loading: Promise<SharpModule> | undefined;

/** Loads the native module once; rejects when its binary cannot load on this machine. */
export function loadSharp(): Promise<SharpModule> {
  loading ??= import('sharp').then((mod) => mod.default);
  return loading;
}

/**
 * The ImageEngine on sharp/libvips: one decode per upload (JPEG shrink-on-load keeps a 12-MP decode cheap), every
 * size resized from the pixels of the one above it; metadata dropped by default.
 *
 * @example
 * ```ts
 * const engine = new SharpImageEngine(await loadSharp());
 * const thumb = await engine.thumbnail(upload, { width: 1024, watermark: 'FC EVENT SUITE' });
 * ```
 */
export class SharpImageEngine implements ImageEngine {
  readonly name = 'sharp';

  constructor(private readonly sharp: SharpModule) {
    // One libvips thread per image (D69). An FC instance serves one request at a time, so images run in parallel
    // as instances, and all instances' libvips work shares the process's libuv pool (4 threads): libvips' own
    // default of one thread per CPU would multiply that by the CPU count on 2 cores or 16. sharp already picks 1 on
    // glibc Linux without jemalloc (FC's runtime and this machine); macOS and musl would otherwise pick the CPUs.
    if (typeof sharp.concurrency === 'function') sharp.concurrency(LIBVIPS_THREADS_PER_IMAGE);
  }

  async probe(bytes: Buffer): Promise<ImageProbe> {
    const { storedWidth: _w, storedHeight: _h, ...probe } = inspectImage(bytes);
    return probe;
  }

  async thumbnail(bytes: Buffer, options: ThumbnailOptions): Promise<Thumbnail> {
    const [thumb] = await this.thumbnails(bytes, [options]);
    return thumb!;
  }

  /**
   * One decode for every size: the largest is made from the upload (JPEG shrink-on-load), each smaller one from the
   * unmarked pixels of the one before, so the upload is decoded once however many sizes are asked for (two
   * pipelines from the bytes decoded a 12-MP JPEG twice: a third more CPU for the same two thumbnails). Once every
   * size's pixels exist, each is marked in place and all are encoded at once.
   */
  async thumbnails(bytes: Buffer, options: ThumbnailOptions[]): Promise<Thumbnail[]> {
    const resolved = options.map(resolveThumbnailOptions);
    const image = inspectImage(bytes);
    const largestFirst = resolved.map((o, index) => ({ options: o, index, size: thumbnailSize(image, o.width) })).sort((a, b) => b.size.width - a.size.width);
    const pixels: RawPixels[] = [];
    for (const { size } of largestFirst) {
      const above = pixels[pixels.length - 1];
      if (above === undefined) pixels.push(await this.decodeUpright(bytes, image, size));
      // The same size twice (a plain and a marked copy): the marked one gets its own pixels to draw on.
      else if (above.width === size.width && above.height === size.height) pixels.push({ ...above, data: Buffer.from(above.data) });
      else pixels.push(await this.resized(above, size));
    }
    const thumbnails: Thumbnail[] = [];
    await Promise.all(largestFirst.map(async (step, i) => (thumbnails[step.index] = await this.encode(pixels[i]!, step.options))));
    return thumbnails;
  }

  async transform(bytes: Buffer, transform: ImageTransform): Promise<TransformedImage> {
    const image = inspectForTransform(bytes);
    const t = resolveTransform(transform);
    let pipeline = this.sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, autoOrient: false });
    let width = image.storedWidth;
    let height = image.storedHeight;
    if (t.crop) {
      checkCropInside(t.crop, width, height);
      pipeline = pipeline.extract(t.crop);
      ({ width, height } = t.crop);
    }
    // Resizing to the box and then turning equals turning and then resizing to the turned box; sharp does the
    // latter (its turns come before its resize).
    const turn = t.orientation === undefined ? undefined : ORIENT[t.orientation];
    if (turn?.flop) pipeline = pipeline.flop();
    if (turn?.flip) pipeline = pipeline.flip();
    if (turn && turn.rotate !== 0) pipeline = pipeline.rotate(turn.rotate);
    const quarter = turnsQuarter(t.orientation);
    if (t.resize) {
      const { r, g, b } = t.resize.background;
      ({ width, height } = t.resize);
      pipeline = pipeline.resize(quarter ? height : width, quarter ? width : height, { fit: t.resize.fit, position: 'centre', background: { r, g, b, alpha: 1 } });
    }
    if (quarter) [width, height] = [height, width];
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

  /** The upload decoded, turned upright and resized to `size`, as sRGB(A) pixels. */
  private async decodeUpright(bytes: Buffer, image: InspectedImage, size: { width: number; height: number }): Promise<RawPixels> {
    // failOn 'error' refuses broken pixel data but not the harmless warnings many camera JPEGs raise;
    // limitInputPixels repeats the header check inside libvips.
    let pipeline = this.sharp(bytes, { failOn: 'error', limitInputPixels: MAX_IMAGE_PIXELS, autoOrient: false });
    const turn = image.orientation === undefined ? undefined : ORIENT[image.orientation];
    if (turn?.flop) pipeline = pipeline.flop();
    if (turn?.flip) pipeline = pipeline.flip();
    if (turn && turn.rotate !== 0) pipeline = pipeline.rotate(turn.rotate);
    try {
      // sRGB: greyscale or CMYK sources would otherwise hand out 1, 2 or 4 colour channels.
      return rawPixels(await pipeline.resize(size.width, size.height, { fit: 'fill' }).toColourspace('srgb').raw().toBuffer({ resolveWithObject: true }));
    } catch (err) {
      // The header was sound (inspectImage passed), so a failure here is in the pixel data.
      throw new ImageRejectedError('corrupt', `cannot decode the ${image.format}: ${(err as Error).message}`);
    }
  }

  private async resized(pixels: RawPixels, size: { width: number; height: number }): Promise<RawPixels> {
    const { data, width, height, channels } = pixels;
    return rawPixels(await this.sharp(data, { raw: { width, height, channels } }).resize(size.width, size.height, { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true }));
  }

  /**
   * WebP of the pixels, the watermark blended in JS over the bar's rows first (in place). libvips' own composite
   * costs ~25 ms on a 1024 px thumbnail (it processes the whole frame); blending the bar here costs ~1 ms.
   */
  private async encode(pixels: RawPixels, options: ResolvedThumbnailOptions): Promise<Thumbnail> {
    const { data, width, height, channels } = pixels;
    if (options.watermark) {
      const mark = watermarkOverlay(width, height, options.watermark);
      blendOver({ data: new Uint8Array(data.buffer, data.byteOffset, data.length), width, height, channels }, mark, mark.left, mark.top);
    }
    const body = await this.sharp(data, { raw: { width, height, channels } }).webp({ quality: options.quality }).toBuffer();
    return { body, width, height, contentType: 'image/webp' };
  }
}

interface RawPixels {
  data: Buffer;
  width: number;
  height: number;
  channels: 3 | 4;
}

function rawPixels({ data, info }: { data: Buffer; info: { width: number; height: number; channels: number } }): RawPixels {
  if (info.channels !== 3 && info.channels !== 4) throw new Error(`unexpected ${info.channels}-channel pixels`);
  return { data, width: info.width, height: info.height, channels: info.channels };
}
