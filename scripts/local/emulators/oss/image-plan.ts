/**
 * What an `x-oss-process=image/…` value asks for, worked out without touching an image's pixels: the parsed
 * actions and the one engine operation (`ImageTransform`) that does them on the image as stored. OSS's parameter
 * semantics live here; `image-process.ts` runs the operation and answers.
 * https://www.alibabacloud.com/help/en/oss/user-guide/resize-images-4 (resize), …/custom-crop, …/rotate,
 * …/auto-orient, …/format-conversion, …/adjust-image-quality, …/query-image-information.
 *
 * Emulated actions: `resize` (m_lfit|mfit|fill|pad|fixed, w, h, l, s, p, limit, color), `format` (jpg, png,
 * webp), `quality` (q_ and Q_; the relative q_ is applied as an absolute quality because the source's own JPEG
 * quality is not estimated), `auto-orient` (on by default: the image is resized as stored and then turned by its
 * EXIF orientation, skipped from 4096 px on), `rotate` by multiples of 90°, `crop` as the first action and `info`.
 * Every other action, style, or `video/`… process is refused by name.
 */
import type { ImageFormat, ImageTransform } from '../../../../functions/_shared/ports/image-engine';
import { OssError, ossErrors } from './errors';

const FORMATS: Record<string, ImageFormat> = { jpg: 'jpeg', jpeg: 'jpeg', png: 'png', webp: 'webp' };
const NOT_EMULATED_FORMATS = new Set(['bmp', 'gif', 'tiff', 'heic', 'avif', 'jxl']);
const MODES = ['lfit', 'mfit', 'fill', 'pad', 'fixed'] as const;
type Mode = (typeof MODES)[number];

/** The parsed `x-oss-process` value. */
export interface ImageProcess {
  info: boolean;
  /** `crop` parameters (w, h, x, y, g), when a crop comes before any resize or rotate. */
  crop?: Record<string, string>;
  resize?: Record<string, string>;
  format?: ImageFormat;
  quality?: number;
  /** `auto-orient,0|1`; OSS's default is 1. */
  autoOrient: boolean;
  /** Clockwise degrees (multiples of 90) of the `rotate` actions before and after the resize. */
  rotateBeforeResize: number;
  rotateAfterResize: number;
}

export function invalid(message: string, value: string, ec?: string): OssError {
  return ossErrors.invalidArgument(message, 'x-oss-process', value, ec);
}

/** Parses `image/resize,w_100,m_fill/format,webp/quality,Q_80` (OSS's action/param syntax). */
export function parseImageProcess(value: string): ImageProcess {
  const [kind, ...actions] = value.split('/');
  if (kind === 'style') throw ossErrors.notImplemented(`Image styles (x-oss-process=style/${actions.join('/')})`);
  if (kind !== 'image') throw ossErrors.notImplemented(`Data processing "${kind}" (x-oss-process=${value})`);
  if (actions.length === 0 || actions.every((a) => a === '')) throw invalid('x-oss-process=image needs at least one action.', value);
  const out: ImageProcess = { info: false, autoOrient: true, rotateBeforeResize: 0, rotateAfterResize: 0 };
  for (const action of actions) {
    if (action === '') continue;
    const [name, ...rawParams] = action.split(',');
    switch (name) {
      case 'resize': {
        // Chained resizes each work on the previous result (a later one can be held back by limit_1); the engine
        // takes one box, so a second resize is refused rather than answered with the last one alone.
        if (out.resize) throw ossErrors.notImplemented(`A second resize in one process (x-oss-process=${value})`);
        out.resize = paramsOf('resize', rawParams, value);
        break;
      }
      case 'format': {
        const fmt = (rawParams[0] ?? '').toLowerCase();
        if (NOT_EMULATED_FORMATS.has(fmt)) throw ossErrors.notImplemented(`Image format conversion to ${fmt} (x-oss-process=image/format,${fmt})`);
        const format = FORMATS[fmt];
        if (!format) throw invalid(`format must be jpg, png, webp, bmp, gif, tiff, heic or avif; got "${fmt}".`, value);
        out.format = format;
        break;
      }
      case 'quality': {
        const [param] = rawParams;
        const m = /^([qQ])_(\d+)$/.exec(param ?? '');
        if (!m || Number(m[2]) < 1 || Number(m[2]) > 100) throw invalid('quality takes q_<1-100> or Q_<1-100>.', value);
        out.quality = Number(m[2]);
        break;
      }
      case 'info':
        out.info = true;
        break;
      case 'crop': {
        // Emulated where its coordinates are the stored image's: first, before any resize or turn.
        if (out.crop || out.resize || out.rotateBeforeResize > 0) throw ossErrors.notImplemented(`Image processing action "crop" after a resize, rotate or another crop (x-oss-process=${value})`);
        out.crop = paramsOf('crop', rawParams, value);
        break;
      }
      case 'rotate': {
        const [degrees] = rawParams;
        if (!/^\d+$/.test(degrees ?? '') || Number(degrees) > 360) throw invalid('rotate takes clockwise degrees from 0 to 360.', value);
        // Other angles grow the canvas and fill the corners; only the quarter turns are emulated.
        if (Number(degrees) % 90 !== 0) throw ossErrors.notImplemented(`Image processing action "rotate" by ${degrees}° (only multiples of 90 are emulated; x-oss-process=image/${action})`);
        if (out.resize) out.rotateAfterResize += Number(degrees);
        else out.rotateBeforeResize += Number(degrees);
        break;
      }
      case 'auto-orient': {
        const [flag] = rawParams;
        if (flag !== '0' && flag !== '1') throw invalid('auto-orient takes 0 or 1.', value);
        out.autoOrient = flag === '1';
        break;
      }
      default:
        throw ossErrors.notImplemented(`Image processing action "${name}" (x-oss-process=image/${action})`);
    }
  }
  const changes = out.resize || out.crop || out.format || out.quality !== undefined || out.rotateBeforeResize + out.rotateAfterResize > 0;
  if (out.info && changes) throw invalid('image/info cannot be combined with other actions.', value);
  return out;
}

/** An action's `<name>_<value>` parameters. */
function paramsOf(action: string, rawParams: string[], value: string): Record<string, string> {
  const params: Record<string, string> = {};
  for (const p of rawParams) {
    const cut = p.indexOf('_');
    if (cut <= 0) throw invalid(`${action} parameter "${p}" is not <name>_<value>.`, value);
    params[p.slice(0, cut)] = p.slice(cut + 1);
  }
  return params;
}

function intParam(params: Record<string, string>, name: string, min: number, max: number, value: string, action = 'resize'): number | undefined {
  const raw = params[name];
  if (raw === undefined) return undefined;
  if (!/^\d+$/.test(raw) || Number(raw) < min || Number(raw) > max) throw invalid(`${action} ${name} must be an integer from ${min} to ${max}.`, value);
  return Number(raw);
}

/** Where each `g_` puts the crop's origin, as fractions of (image − crop) size (…/custom-crop). */
const CROP_GRAVITY: Record<string, [number, number]> = {
  nw: [0, 0], north: [0.5, 0], ne: [1, 0], west: [0, 0.5], center: [0.5, 0.5], east: [1, 0.5], sw: [0, 1], south: [0.5, 1], se: [1, 1],
};

/**
 * OSS's crop on a `width`×`height` image: w/h default to the whole image (0 too), the origin comes from g and moves
 * by x/y; a start outside the image is OSS's 400 "Advance cut's position is out of image.", a region running
 * past the edge is cut at the edge.
 */
export function cropFor(params: Record<string, string>, width: number, height: number, value: string): NonNullable<ImageTransform['crop']> {
  for (const name of Object.keys(params)) {
    if (!['w', 'h', 'x', 'y', 'g'].includes(name)) throw invalid(`crop has no parameter "${name}".`, value);
  }
  const w = intParam(params, 'w', 0, 16384, value, 'crop') || width;
  const h = intParam(params, 'h', 0, 16384, value, 'crop') || height;
  const x = intParam(params, 'x', 0, 16384, value, 'crop') ?? 0;
  const y = intParam(params, 'y', 0, 16384, value, 'crop') ?? 0;
  const gravity = CROP_GRAVITY[params.g ?? 'nw'];
  if (!gravity) throw invalid(`crop g must be one of ${Object.keys(CROP_GRAVITY).join(', ')}.`, value);
  const left = Math.max(0, Math.floor((width - w) * gravity[0])) + x;
  const top = Math.max(0, Math.floor((height - h) * gravity[1])) + y;
  if (left >= width || top >= height) throw new OssError(400, 'BadRequest', "Advance cut's position is out of image.");
  return { left, top, width: Math.min(w, width - left), height: Math.min(h, height - top) };
}

/**
 * The engine resize for OSS's resize parameters on a `width`×`height` source, or undefined when the image keeps
 * its size (limit_1 and a target larger than the source).
 */
export function resizeFor(params: Record<string, string>, width: number, height: number, value: string): ImageTransform['resize'] {
  for (const name of Object.keys(params)) {
    if (!['m', 'w', 'h', 'l', 's', 'p', 'limit', 'color'].includes(name)) throw invalid(`resize has no parameter "${name}".`, value);
  }
  const mode = (params.m ?? 'lfit') as Mode;
  if (!MODES.includes(mode)) throw invalid(`resize m must be one of ${MODES.join(', ')}.`, value, '0040-00000311');
  const w = intParam(params, 'w', 1, 16384, value);
  const h = intParam(params, 'h', 1, 16384, value);
  const l = intParam(params, 'l', 1, 16384, value);
  const s = intParam(params, 's', 1, 16384, value);
  const p = intParam(params, 'p', 1, 1000, value);
  const limitRaw = params.limit ?? '1';
  if (limitRaw !== '0' && limitRaw !== '1') throw invalid('resize limit must be 0 or 1.', value);
  const limit = limitRaw === '1';
  const color = params.color ?? 'FFFFFF';
  if (!/^[0-9a-fA-F]{6}$/.test(color)) throw invalid('resize color must be six hex digits (RRGGBB).', value);

  let box: { bw: number; bh: number } | undefined;
  if (w !== undefined || h !== undefined) {
    const square = mode === 'fill' || mode === 'pad';
    box = { bw: w ?? (square ? h! : Math.round((h! * width) / height)), bh: h ?? (square ? w! : Math.round((w! * height) / width)) };
  } else if (l !== undefined || s !== undefined) {
    const landscape = width >= height;
    if (l !== undefined && s !== undefined) box = landscape ? { bw: l, bh: s } : { bw: s, bh: l };
    else {
      const scale = l !== undefined ? l / Math.max(width, height) : s! / Math.min(width, height);
      box = { bw: Math.max(1, Math.round(width * scale)), bh: Math.max(1, Math.round(height * scale)) };
    }
  } else if (p !== undefined) {
    if (limit && p > 100) return undefined;
    return { width: Math.max(1, Math.round((width * p) / 100)), height: Math.max(1, Math.round((height * p) / 100)), fit: 'fill' };
  } else {
    throw ossErrors.missingArgument('resize needs w, h, l, s or p');
  }

  const { bw, bh } = box;
  if (mode === 'lfit' || mode === 'mfit') {
    const scale = mode === 'lfit' ? Math.min(bw / width, bh / height) : Math.max(bw / width, bh / height);
    if (limit && scale > 1) return undefined;
    return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)), fit: 'fill' };
  }
  if (limit && (bw > width || bh > height)) return undefined;
  return { width: bw, height: bh, fit: mode === 'fixed' ? 'fill' : mode === 'fill' ? 'cover' : 'contain', background: color.toUpperCase() };
}

/** OSS turns a source upright by its EXIF orientation unless told not to (`auto-orient,0`) or it is 4096 px or more. */
function uprightTurn(process: ImageProcess, image: { orientation?: number; storedWidth: number; storedHeight: number }): number {
  if (!process.autoOrient || image.orientation === undefined) return 1;
  return image.storedWidth < 4096 && image.storedHeight < 4096 ? image.orientation : 1;
}

/** EXIF orientations as (mirror first, then clockwise degrees), the order the engines apply them in. */
const ORIENTATION_TURNS: Record<number, [mirror: boolean, degrees: number]> = {
  1: [false, 0], 2: [true, 0], 3: [false, 180], 4: [true, 180], 5: [true, 270], 6: [false, 90], 7: [true, 90], 8: [false, 270],
};

/** The orientation that does `orientation` and then turns `degrees` (a multiple of 90) clockwise. */
export function turnedOrientation(orientation: number, degrees: number): number {
  const [mirror, turned] = ORIENTATION_TURNS[orientation] ?? [false, 0];
  const total = (turned + degrees) % 360;
  return Number(Object.entries(ORIENTATION_TURNS).find(([, [m, d]]) => m === mirror && d === total)![0]);
}

/**
 * The engine operation for a parsed process on an image as stored: crop, resize, one turn (the EXIF orientation
 * and the rotates composed), format and quality.
 */
export function planTransform(process: ImageProcess, image: { format: ImageFormat; orientation?: number; storedWidth: number; storedHeight: number }, value: string): ImageTransform {
  // The engine resizes the image as stored and then turns it once. A resize after a quarter turn is computed on
  // the turned size and handed over turned back; turning commutes with OSS's centred fill and pad.
  const exifTurn = uprightTurn(process, image);
  // A crop's coordinates are the upright image's; only an image that needs no turn has them in stored pixels.
  if (process.crop && exifTurn !== 1) throw ossErrors.notImplemented(`Image processing action "crop" on an image with EXIF orientation ${exifTurn} (add auto-orient,0 or store it upright; x-oss-process=${value})`);
  const crop = process.crop ? cropFor(process.crop, image.storedWidth, image.storedHeight, value) : undefined;
  const source = crop ?? { width: image.storedWidth, height: image.storedHeight };
  const quarterFirst = process.rotateBeforeResize % 180 === 90;
  const [width, height] = quarterFirst ? [source.height, source.width] : [source.width, source.height];
  const box = process.resize ? resizeFor(process.resize, width, height, value) : undefined;
  const resize = box && quarterFirst ? { ...box, width: box.height, height: box.width } : box;
  const turn = turnedOrientation(exifTurn, process.rotateBeforeResize + process.rotateAfterResize);
  const orientation = turn === 1 ? undefined : turn;
  return {
    ...(crop ? { crop } : {}),
    format: process.format ?? image.format,
    ...(resize ? { resize } : {}),
    ...(process.quality !== undefined ? { quality: process.quality } : {}),
    ...(orientation !== undefined ? { orientation } : {}),
  };
}
