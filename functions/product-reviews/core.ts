import type { Review, ReviewImage, Reviews } from '#shared/contracts/products';
import { decodeRow, encodeRow } from '#shared/contracts/row-codec';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import type { Logger } from '#shared/log';
import type { SearchIndex } from '#shared/ports/search-index';
import { INF_MIN, type Table } from '#shared/ports/table';

/**
 * product-reviews: ratings and reviews (with buyer-show images). Owns `product_reviews`
 * (productId, reviewId). Review ids are time-ordered, so a BACKWARD range scan reads the newest first;
 * the `#summary` row (sorts before every `rv_` id) holds the rating histogram.
 */
export interface ReviewsDeps {
  table: Table;
  /** The image search index, for buyer-show photos; without it the part has none. */
  search?: SearchIndex;
  log?: Logger;
}

export const BUYER_SHOW_LIMIT = 8;

const T = TABLES.productReviews.name;
export const SUMMARY_ID = '#summary';

export async function getReviews(productId: string, limit: number, deps: ReviewsDeps): Promise<Reviews> {
  const [summary, page, buyerShow] = await Promise.all([
    deps.table.getRow(T, { productId, reviewId: SUMMARY_ID }),
    deps.table.getRange(T, { start: { productId, reviewId: 'rv_~' }, end: { productId, reviewId: INF_MIN }, direction: 'BACKWARD', limit }),
    buyerShowPhotos(productId, deps),
  ]);
  if (!summary) throw new NotFoundError(`no reviews for ${productId}`);
  const histogram = JSON.parse(String(summary.attributes.histogram)) as number[];
  const count = histogram.reduce((a, b) => a + b, 0);
  const average = count === 0 ? 0 : Math.round((histogram.reduce((sum, n, i) => sum + n * (i + 1), 0) / count) * 10) / 10;
  const reviews = page.rows
    .filter((row) => String(row.primaryKey.reviewId).startsWith('rv_'))
    .map((row) => ({ reviewId: String(row.primaryKey.reviewId), ...decodeRow(row.attributes, ['images']) }) as Review);
  return { productId, rating: { average, count, histogram }, reviews, buyerShow };
}

/**
 * The newest ready photos uploaded for the product (the image pipeline's search index). Photos are an
 * extra: if the index cannot answer, the reviews still do, without them.
 */
async function buyerShowPhotos(productId: string, deps: ReviewsDeps): Promise<ReviewImage[]> {
  if (!deps.search) return [];
  try {
    const page = await deps.search.search({ productId, limit: BUYER_SHOW_LIMIT });
    return page.hits.map(({ document }) => ({ imageId: document.id, alt: document.title }));
  } catch (err) {
    deps.log?.warn({ err, productId }, 'buyer-show photos unavailable');
    return [];
  }
}

/** Store reviews and their summary (used by the seed; a review API would add one row and increment). */
export async function putReviews(productId: string, reviews: Review[], deps: ReviewsDeps): Promise<void> {
  const histogram = [0, 0, 0, 0, 0];
  for (const review of reviews) histogram[review.rating - 1]!++;
  await deps.table.batchWriteRow([
    { type: 'PUT', table: T, primaryKey: { productId, reviewId: SUMMARY_ID }, attributes: { histogram: JSON.stringify(histogram) } },
    ...reviews.map(({ reviewId, ...rest }) => ({ type: 'PUT' as const, table: T, primaryKey: { productId, reviewId }, attributes: encodeRow(rest, ['images']) })),
  ]);
}
