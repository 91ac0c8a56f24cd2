import * as z from 'zod';
import { tableFor } from '#shared/aliyun/deps/table';
import { GetRequest, ListRequest } from '#shared/contracts/products';
import type { FcContext } from '#shared/fc/types';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import { WARM_UP_PRODUCT_ID, warmUpWith } from '#shared/fc/warm-up';
import { getProductInfo, listProducts, type InfoDeps } from './core';

const Request = z.discriminatedUnion('op', [GetRequest, ListRequest]);

export const createHandler = (deps: (fc: FcContext) => InfoDeps) =>
  createServiceHandler(Request, async (req, ctx) => (req.op === 'get' ? getProductInfo(req.productId, deps(ctx.fc)) : listProducts(req.limit, req.cursor, deps(ctx.fc))), getByIdOverHttp());

export const handler = createHandler((fc) => ({ table: tableFor(fc) }));

/** Instance initializer: one read of a product that does not exist, so the first real request is warm. */
export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
