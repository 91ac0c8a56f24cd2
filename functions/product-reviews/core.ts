import type { Review, ReviewImage, Reviews } from '#shared/contracts/products';
import { decodeRow, encodeRow } from '#shared/contracts/row-codec';
import { TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import type { Logger } from '#shared/log';
import type { SearchIndex } from '#shared/ports/search-index';
import { INF_MAX, INF_MIN, type Row, type Table } from '#shared/ports/table';

/**
 * product-reviews: ratings and reviews (with buyer-show images). Owns `product_reviews`
 * (productId, reviewId). Review ids are time-ordered, so a BACKWARD range scan reads the newest first;
 * the `~summary` row holds the rating histogram. It sorts after every `rv_` id, so one BACKWARD scan from the
 * end of the product's rows reads the summary and then the newest reviews: one TableStore call per page part
 * instead of a GetRow beside a GetRange. (Data written before this layout has the summary under `#summary`,
 * which sorts before the reviews: read on its own when the scan does not find the new one.)
 */
export interface ReviewsDeps {
  table: Table;
  /** The image search index, for buyer-show photos; without it the part has none. */
  search?: SearchIndex;
  log?: Logger;
}

export const BUYER_SHOW_LIMIT = 8;

const T = TABLES.productReviews.name;
export const SUMMARY_ID = '~summary';
/** Where the summary was kept before `SUMMARY_ID` (sorted before the reviews). */
export const LEGACY_SUMMARY_ID = '#summary';

export async function getReviews(productId: string, limit: number, deps: ReviewsDeps): Promise<Reviews> {
  const [page, buyerShow] = await Promise.all([
    // The summary, then the newest `limit` reviews: BACKWARD from the end of the product's rows.
    deps.table.getRange(T, { start: { productId, reviewId: INF_MAX }, end: { productId, reviewId: INF_MIN }, direction: 'BACKWARD', limit: limit + 1 }),
    buyerShowPhotos(productId, deps),
  ]);
  const summary = page.rows.find((row) => row.primaryKey.reviewId === SUMMARY_ID) ?? (await legacySummary(productId, deps));
  if (!summary) throw new NotFoundError(`no reviews for ${productId}`);
  const histogram = JSON.parse(String(summary.attributes.histogram)) as number[];
  const count = histogram.reduce((a, b) => a + b, 0);
  const average = count === 0 ? 0 : Math.round((histogram.reduce((sum, n, i) => sum + n * (i + 1), 0) / count) * 10) / 10;
  const reviews = page.rows
    .filter((row) => String(row.primaryKey.reviewId).startsWith('rv_'))
    .slice(0, limit)
    .map((row) => ({ reviewId: String(row.primaryKey.reviewId), ...decodeRow(row.attributes, ['images']) }) as Review);
  return { productId, rating: { average, count, histogram }, reviews, buyerShow };
}

async function legacySummary(productId: string, deps: ReviewsDeps): Promise<Row | undefined> {
  return deps.table.getRow(T, { productId, reviewId: LEGACY_SUMMARY_ID });
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
