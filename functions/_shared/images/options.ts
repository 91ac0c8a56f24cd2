import * as z from 'zod';
import type { ThumbnailOptions } from '../ports/image-engine';
import { parseWith } from '../validation';
import { DEFAULT_WEBP_QUALITY } from './limits';

const thumbnailOptionsSchema = z.object({
  width: z.number().int().min(1).max(4096),
  watermark: z.string().max(100).optional(),
  quality: z.number().int().min(1).max(100).default(DEFAULT_WEBP_QUALITY),
});

export type ResolvedThumbnailOptions = z.infer<typeof thumbnailOptionsSchema>;

/** Checks what a caller asks of an engine and fills in the defaults. */
export function resolveThumbnailOptions(options: ThumbnailOptions): ResolvedThumbnailOptions {
  return parseWith(thumbnailOptionsSchema, options, 'thumbnail');
}
