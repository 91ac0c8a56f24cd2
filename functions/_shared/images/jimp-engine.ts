import type * as jimp from 'jimp';
import { ImageRejectedError, type ImageEngine, type ImageProbe, type ImageTransform, type Thumbnail, type ThumbnailOptions, type TransformedImage } from '../ports/image-engine';
import { blendOver, orient, type RgbaBitmap } from './bitmap';
import { inspectForTransform, inspectImage, thumbnailSize, turnsQuarter, type InspectedImage } from './inspect';
import { DEFAULT_WEBP_QUALITY } from './limits';
import { checkCropInside, resolveTransform } from './transform';
import { resolveThumbnailOptions, type ResolvedThumbnailOptions } from './options';
import { watermarkOverlay } from './watermark';
import { decodeWebp, encodeWebp } from './webp-codec';

type JimpModule = typeof jimp;
type JimpImage = Awaited<ReturnType<JimpModule['Jimp']['fromBuffer']>>;

let loading: Promise<JimpModule> | undefined;
// Loaded on first use: a function running the sharp engine never parses jimp.
const loadJimp = () => (loading ??= import('jimp'));

/**
 * The ImageEngine in pure JavaScript (jimp decodes JPEG/PNG and resizes, @jsquash/webp's wasm codec decodes
 * and encodes WebP): slow, but runs wherever Node does. The image is decoded once per call; each size is
 * resized from the previous, larger one, then oriented and marked at thumbnail size.
 *
 * @example
 * ```ts
 * const [small, large] = await new JimpImageEngine().thumbnails(upload, [{ width: 256 }, { width: 1024, watermark: 'FC EVENT SUITE' }]);
 * ```
 */
export class JimpImageEngine implements ImageEngine {
  readonly name = 'jimp';

  async probe(bytes: Buffer): Promise<ImageProbe> {
    const { storedWidth: _w, storedHeight: _h, ...probe } = inspectImage(bytes);
    return probe;
  }

  async thumbnail(bytes: Buffer, options: ThumbnailOptions): Promise<Thumbnail> {
    const [thumb] = await this.thumbnails(bytes, [options]);
    return thumb!;
  }

  async thumbnails(bytes: Buffer, options: ThumbnailOptions[]): Promise<Thumbnail[]> {
    const resolved = options.map(resolveThumbnailOptions);
    const image = inspectImage(bytes);
    const source = await this.decode(bytes, image);
    const results = new Map<ResolvedThumbnailOptions, Thumbnail>();
    // Largest first, each resized from the one before: shrinking 12 MP once is the expensive step.
    for (const o of [...resolved].sort((a, b) => b.width - a.width)) {
      const size = thumbnailSize(image, o.width);
      const stored = turnsQuarter(image.orientation) ? { w: size.height, h: size.width } : { w: size.width, h: size.height };
      // In place: the full-size bitmap is not needed once the largest thumbnail is made.
      if (source.bitmap.width !== stored.w || source.bitmap.height !== stored.h) source.resize(stored);
      const upright = orient(copyOf(source.bitmap), image.orientation);
      if (o.watermark) {
        const mark = watermarkOverlay(upright.width, upright.height, o.watermark);
        blendOver(upright, mark, mark.left, mark.top);
      }
      results.set(o, { body: await encodeWebp(upright, o.quality), width: upright.width, height: upright.height, contentType: 'image/webp' });
    }
    return resolved.map((o) => results.get(o)!);
  }

  async transform(bytes: Buffer, transform: ImageTransform): Promise<TransformedImage> {
    const t = resolveTransform(transform);
    const image = inspectForTransform(bytes);
    const source = await this.decode(bytes, image);
    if (t.crop) {
      checkCropInside(t.crop, source.bitmap.width, source.bitmap.height);
      const { left, top, width, height } = t.crop;
      source.crop({ x: left, y: top, w: width, h: height });
    }
    const box = t.resize;
    if (box) {
      const { width: w, height: h } = source.bitmap;
      if (box.fit === 'fill') source.resize({ w: box.width, h: box.height });
      else {
        const scale = box.fit === 'cover' ? Math.max(box.width / w, box.height / h) : Math.min(box.width / w, box.height / h);
        source.resize({ w: Math.max(1, Math.round(w * scale)), h: Math.max(1, Math.round(h * scale)) });
        if (box.fit === 'cover') {
          source.crop({ x: Math.floor((source.bitmap.width - box.width) / 2), y: Math.floor((source.bitmap.height - box.height) / 2), w: box.width, h: box.height });
        }
      }
    }
    let bitmap: RgbaBitmap = copyOf(source.bitmap);
    if (box?.fit === 'contain') bitmap = padded(bitmap, box.width, box.height, box.background);
    bitmap = orient(bitmap, t.orientation);
    if (t.format === 'jpeg') bitmap = padded(bitmap, bitmap.width, bitmap.height, { r: 255, g: 255, b: 255 });
    const quality = t.quality ?? DEFAULT_WEBP_QUALITY;
    let body: Buffer;
    if (t.format === 'webp') body = await encodeWebp(bitmap, quality);
    else {
      const { defaultFormats } = await loadJimp();
      const mime = `image/${t.format}`;
      const format = defaultFormats.map((make) => make()).find((f) => f.mime === mime) as unknown as { encode(bitmap: RawBitmap, options?: object): Buffer | Promise<Buffer> };
      body = Buffer.from(await format.encode({ data: Buffer.from(bitmap.data.buffer, bitmap.data.byteOffset, bitmap.data.length), width: bitmap.width, height: bitmap.height }, t.format === 'jpeg' ? { quality } : {}));
    }
    return { body, width: bitmap.width, height: bitmap.height, format: t.format, contentType: mime(t.format) };
  }

  private async decode(bytes: Buffer, image: InspectedImage): Promise<JimpImage> {
    const { Jimp, defaultFormats } = await loadJimp();
    let bitmap: RawBitmap;
    try {
      if (image.format === 'webp') {
        const decoded = await decodeWebp(bytes);
        bitmap = { data: Buffer.from(decoded.data.buffer, decoded.data.byteOffset, decoded.data.length), width: decoded.width, height: decoded.height };
      } else {
        // jimp's own decoders, called directly: `Jimp.fromBuffer` would sniff the type again (through the ESM-only
        // file-type package) and turn the full-size bitmap by its EXIF, where `orient` turns the thumbnail.
        const mime = `image/${image.format}`;
        const format = defaultFormats.map((make) => make()).find((f) => f.mime === mime) as unknown as { decode(data: Buffer, options?: object): RawBitmap | Promise<RawBitmap> };
        bitmap = await format.decode(bytes, image.format === 'jpeg' ? { maxResolutionInMP: 100, maxMemoryUsageInMB: 1024 } : {});
      }
    } catch (err) {
      throw new ImageRejectedError('corrupt', `cannot decode the ${image.format}: ${(err as Error).message}`);
    }
    if (bitmap.width !== image.storedWidth || bitmap.height !== image.storedHeight) {
      throw new ImageRejectedError('corrupt', `the ${image.format} decodes to ${bitmap.width}×${bitmap.height}, its header says ${image.storedWidth}×${image.storedHeight}`);
    }
    return Jimp.fromBitmap(bitmap) as JimpImage;
  }
}

interface RawBitmap {
  data: Buffer;
  width: number;
  height: number;
}

function mime(format: string): string {
  return `image/${format}`;
}

/** `bitmap` centred on an opaque `width`×`height` canvas of `background` (also flattens transparency). */
function padded(bitmap: RgbaBitmap, width: number, height: number, background: { r: number; g: number; b: number }): RgbaBitmap {
  const canvas: RgbaBitmap = { data: new Uint8Array(width * height * 4), width, height };
  for (let i = 0; i < canvas.data.length; i += 4) {
    canvas.data[i] = background.r;
    canvas.data[i + 1] = background.g;
    canvas.data[i + 2] = background.b;
    canvas.data[i + 3] = 255;
  }
  blendOver(canvas, bitmap, Math.floor((width - bitmap.width) / 2), Math.floor((height - bitmap.height) / 2));
  return canvas;
}

/** The thumbnail's pixels as our own bitmap (jimp keeps using its buffer). */
function copyOf(bitmap: { data: Buffer; width: number; height: number }): RgbaBitmap {
  return { data: new Uint8Array(bitmap.data), width: bitmap.width, height: bitmap.height };
}
