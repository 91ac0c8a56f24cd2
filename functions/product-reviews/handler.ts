import { searchIndexFor } from '#shared/aliyun/deps/search-index';
import { tableFor } from '#shared/aliyun/deps/table';
import { ReviewsRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import { WARM_UP_PRODUCT_ID, warmUpWith } from '#shared/fc/warm-up';
import type { FcContext } from '#shared/fc/types';
import { getReviews, type ReviewsDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => ReviewsDeps) =>
  createServiceHandler(ReviewsRequest, async (req, ctx) => getReviews(req.productId, req.limit, { ...deps(ctx.fc), log: ctx.log }), getByIdOverHttp(10));

export const handler = createHandler((fc) => ({ table: tableFor(fc), search: searchIndexFor(fc) }));

/** Instance initializer: one read of a product that does not exist, so the first real request is warm. */
export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
