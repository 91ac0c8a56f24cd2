/**
 * What the image pipeline accepts and produces (PRODUCT.md §3 Images and §4 Image pipeline). One place, so
 * `upload-url`'s early checks, both image engines and the tests agree.
 */

/** Uploads larger than this are refused (`upload-url` refuses to sign them; the engine re-checks the bytes). */
export const MAX_IMAGE_BYTES = 20 * 1024 * 1024;

/**
 * Decoding budget: 40 megapixels (a 160 MB RGBA bitmap in the pure-JS engine). Checked from the header,
 * before anything is decoded, so a small file claiming a huge canvas ("decompression bomb") costs nothing.
 */
export const MAX_IMAGE_PIXELS = 40_000_000;

/** A photo's title, in characters (code points): the upload request's limit and the default title's. */
export const MAX_TITLE_CHARS = 120;

/** Images narrower or shorter than this make no useful thumbnail. */
export const MIN_IMAGE_SIDE = 16;

/** The thumbnail widths the pipeline writes: `thumbs/{imageId}/256.webp` and `thumbs/{imageId}/1024.webp`. */
export const THUMBNAIL_WIDTHS = { small: 256, large: 1024 } as const;

export const DEFAULT_WEBP_QUALITY = 80;

/** Text of the watermark on the large thumbnail. */
export const DEFAULT_WATERMARK = 'FC EVENT SUITE';
