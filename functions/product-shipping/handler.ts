import { tableFor } from '#shared/aliyun/deps/table';
import { GetRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import { WARM_UP_PRODUCT_ID, warmUpWith } from '#shared/fc/warm-up';
import type { FcContext } from '#shared/fc/types';
import { getShipping, type ShippingDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => ShippingDeps) =>
  createServiceHandler(GetRequest, async (req, ctx) => getShipping(req.productId, req.region, deps(ctx.fc)), getByIdOverHttp());

export const handler = createHandler((fc) => ({ table: tableFor(fc) }));

/** Instance initializer: one read of a product that does not exist, so the first real request is warm. */
export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
