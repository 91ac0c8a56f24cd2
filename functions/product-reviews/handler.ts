import { searchIndexFor } from '#shared/aliyun/deps/search-index';
import { tableFor } from '#shared/aliyun/deps/table';
import { ReviewsRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { getReviews, type ReviewsDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => ReviewsDeps) =>
  createServiceHandler(ReviewsRequest, async (req, ctx) => getReviews(req.productId, req.limit, { ...deps(ctx.fc), log: ctx.log }), getByIdOverHttp(10));

export const handler = createHandler((fc) => ({ table: tableFor(fc), search: searchIndexFor(fc) }));
