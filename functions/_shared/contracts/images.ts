import * as z from 'zod';
import { MAX_IMAGE_BYTES, MAX_TITLE_CHARS, THUMBNAIL_WIDTHS } from '../images/limits';
import type { ImageFormat, ImageRejectReason } from '../ports/image-engine';
import { ProductId } from './products';
import { queryInt } from './query';
import { isPlainText, PLAIN_TEXT_ERROR } from './text';

/**
 * Contracts of the image pipeline (PRODUCT.md §3 Images, §4 Image pipeline): the upload request, the
 * `images` row every hop reads and writes, the object keys, and the read API's views.
 */

/** Accepted upload types → the extension of the object key. Anything else is refused before a URL is signed. */
export const UPLOAD_TYPES = { 'image/jpeg': 'jpg', 'image/png': 'png', 'image/webp': 'webp' } as const;
export type UploadContentType = keyof typeof UPLOAD_TYPES;
export const FORMAT_CONTENT_TYPES: Record<ImageFormat, UploadContentType> = { jpeg: 'image/jpeg', png: 'image/png', webp: 'image/webp' };

/** Signed upload URLs live 15 minutes (OSS signature V4, content-type bound). */
export const UPLOAD_URL_TTL_SECONDS = 900;
/** Signed thumbnail URLs behind `GET /api/images/{id}/thumbnail/{size}`. */
export const THUMBNAIL_URL_TTL_SECONDS = 900;

export const ImageId = z.string().regex(/^img_[0-9a-z]{26}$/, 'must be an image id (img_…)');

/** A file name is only a label: it never becomes part of a key, and path-like names are refused outright. */
const FileName = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .refine((name) => !/[/\\]/.test(name) && !name.split('.').every((part) => part === '') && !name.includes('..'), 'must be a plain file name (no folders, no "..")')
  .refine(isPlainText, PLAIN_TEXT_ERROR);

const Tag = z
  .string()
  .trim()
  .toLowerCase()
  .regex(/^[\p{L}\p{N}][\p{L}\p{N}_-]{0,31}$/u, 'tags are 1–32 letters, digits, "-" or "_"');

/** Strict: a client cannot smuggle in a `key` or a `status`; the function chooses both. */
export const UploadRequest = z.strictObject({
  filename: FileName,
  contentType: z.enum(Object.keys(UPLOAD_TYPES) as [UploadContentType, ...UploadContentType[]], { message: 'must be image/jpeg, image/png or image/webp' }),
  size: z.number().int().min(1).max(MAX_IMAGE_BYTES, `must be at most ${MAX_IMAGE_BYTES} bytes (20 MB)`),
  productId: ProductId.optional(),
  title: z.string().trim().min(1).max(MAX_TITLE_CHARS).refine(isPlainText, PLAIN_TEXT_ERROR).optional(),
  tags: z
    .array(Tag)
    .max(10)
    .optional()
    .transform((tags) => (tags ? [...new Set(tags)] : undefined)),
});
export type UploadRequest = z.infer<typeof UploadRequest>;

export interface UploadTicket {
  imageId: string;
  key: string;
  uploadUrl: string;
  /** Send exactly these headers with the PUT (the content type is part of the signature). */
  headers: Record<string, string>;
  expiresAt: string;
}

export const IMAGE_STATUSES = ['pending', 'ready', 'rejected'] as const;
export type ImageStatus = (typeof IMAGE_STATUSES)[number];

/** Why an image was refused: the engine's reasons, plus a type that differs from the declared one. */
export type RejectReason = ImageRejectReason;

/** The `images` row (table `images`, PK `imageId`); `tags` is stored as JSON. */
export interface ImageRecord {
  imageId: string;
  status: ImageStatus;
  owner: string;
  filename: string;
  title: string;
  tags: string[];
  productId?: string;
  /** What the client declared; the pipeline trusts only what it sniffs (`format`). */
  contentType: UploadContentType;
  declaredSize: number;
  uploadKey: string;
  createdAt: number;
  updatedAt: number;
  reason?: RejectReason;
  format?: ImageFormat;
  /** Upright dimensions of the original. */
  width?: number;
  height?: number;
  /** Bytes of the original. */
  size?: number;
  thumbSmallKey?: string;
  thumbLargeKey?: string;
}
export const IMAGE_JSON_COLUMNS = ['tags'] as const;

export const uploadKey = (imageId: string, contentType: UploadContentType) => `uploads/${imageId}.${UPLOAD_TYPES[contentType]}`;
/** `uploads/<imageId>.<ext>` → the image id, or undefined for keys the pipeline did not hand out. */
export function imageIdFromUploadKey(key: string): string | undefined {
  return /^uploads\/(img_[0-9a-z]{26})\.(jpg|png|webp)$/.exec(key)?.[1];
}

export type ThumbnailSize = keyof typeof THUMBNAIL_WIDTHS;
export const thumbnailKey = (imageId: string, size: ThumbnailSize) => `thumbs/${imageId}/${THUMBNAIL_WIDTHS[size]}.webp`;
/** `thumbs/<imageId>/256.webp` → the image id (the key `catalog-image` is triggered by). */
export function imageIdFromSmallThumbnailKey(key: string): string | undefined {
  return /^thumbs\/(img_[0-9a-z]{26})\/256\.webp$/.exec(key)?.[1];
}

/** Object metadata `make-thumbnail` writes on the small thumbnail for `catalog-image` (x-oss-meta-*, lower-case). */
export interface ThumbnailMeta {
  imageid: string;
  format: ImageFormat;
  width: string;
  height: string;
  size: string;
}

/** Same-origin API paths that redirect to short-lived signed OSS URLs (the bucket stays private). */
export const thumbnailPath = (imageId: string, size: ThumbnailSize) => `/api/images/${imageId}/thumbnail/${THUMBNAIL_WIDTHS[size]}`;
export const thumbnails = (imageId: string) => ({ small: thumbnailPath(imageId, 'small'), large: thumbnailPath(imageId, 'large') });

/** `GET /api/images/{id}`. */
export interface ImageView {
  imageId: string;
  status: ImageStatus;
  reason?: RejectReason;
  title: string;
  tags: string[];
  productId?: string;
  width?: number;
  height?: number;
  format?: ImageFormat;
  size?: number;
  thumbnails?: { small: string; large: string };
  createdAt: string;
  updatedAt: string;
}

export const SearchQueryParams = z.strictObject({
  q: z.string().max(200).optional(),
  productId: ProductId.optional(),
  tag: Tag.optional(),
  limit: queryInt(1, 100).default(20),
  /** Opaque (the search index's token); checked where it is decoded. Empty is refused, not taken as the first page. */
  cursor: z.string().min(1, 'is empty: leave it out for the first page').max(2000).optional(),
});

/** `GET /api/search` hit. */
export interface SearchHitView {
  imageId: string;
  title: string;
  tags: string[];
  productId?: string;
  width: number;
  height: number;
  thumbnails: { small: string; large: string };
  score: number;
  createdAt: string;
}
