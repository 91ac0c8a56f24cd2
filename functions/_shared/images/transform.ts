import * as z from 'zod';
import { IMAGE_FORMATS, type ImageTransform } from '../ports/image-engine';
import { parseWith } from '../validation';

const transformSchema = z.object({
  crop: z
    .object({ left: z.number().int().min(0), top: z.number().int().min(0), width: z.number().int().min(1).max(16384), height: z.number().int().min(1).max(16384) })
    .optional(),
  resize: z
    .object({
      width: z.number().int().min(1).max(16384),
      height: z.number().int().min(1).max(16384),
      fit: z.enum(['fill', 'cover', 'contain']),
      background: z
        .string()
        .regex(/^[0-9a-fA-F]{6}$/)
        .default('FFFFFF'),
    })
    .optional(),
  format: z.enum(IMAGE_FORMATS),
  quality: z.number().int().min(1).max(100).optional(),
  orientation: z.number().int().min(1).max(8).optional(),
});

export interface ResolvedTransform {
  crop?: { left: number; top: number; width: number; height: number };
  resize?: { width: number; height: number; fit: 'fill' | 'cover' | 'contain'; background: { r: number; g: number; b: number } };
  format: ImageTransform['format'];
  quality?: number;
  /** 2–8 (1, the identity, is dropped). */
  orientation?: number;
}

/** Checks a transform and turns its background colour into channels; both engines read it the same way. */
export function resolveTransform(transform: ImageTransform): ResolvedTransform {
  const t = parseWith(transformSchema, transform, 'transform');
  const rest = {
    ...(t.crop ? { crop: t.crop } : {}),
    format: t.format,
    ...(t.quality === undefined ? {} : { quality: t.quality }),
    ...(t.orientation === undefined || t.orientation === 1 ? {} : { orientation: t.orientation }),
  };
  if (!t.resize) return rest;
  const hex = Number.parseInt(t.resize.background, 16);
  return {
    resize: { width: t.resize.width, height: t.resize.height, fit: t.resize.fit, background: { r: (hex >> 16) & 0xff, g: (hex >> 8) & 0xff, b: hex & 0xff } },
    ...rest,
  };
}

/** A crop must lie inside the image it is cut from; both engines check it the same way. */
export function checkCropInside(crop: NonNullable<ResolvedTransform['crop']>, width: number, height: number): void {
  if (crop.left + crop.width > width || crop.top + crop.height > height) throw new Error(`crop ${JSON.stringify(crop)} is outside the ${width}×${height} image`);
}
