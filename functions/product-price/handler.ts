import * as z from 'zod';
import { tableFor } from '#shared/aliyun/deps/table';
import { GetManyRequest, GetRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import { WARM_UP_PRODUCT_ID, warmUpWith } from '#shared/fc/warm-up';
import type { FcContext } from '#shared/fc/types';
import { getPrice, getPrices, type PriceDeps } from './core';

const Request = z.discriminatedUnion('op', [GetRequest, GetManyRequest]);

export const createHandler = (deps: (fc: FcContext) => PriceDeps) =>
  createServiceHandler(Request, async (req, ctx) =>
    req.op === 'get' ? getPrice(req.productId, req.region, deps(ctx.fc)) : { prices: await getPrices(req.productIds, req.region, deps(ctx.fc)) }, getByIdOverHttp());

export const handler = createHandler((fc) => ({ table: tableFor(fc) }));

/** Instance initializer: one read of a product that does not exist, so the first real request is warm. */
export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
