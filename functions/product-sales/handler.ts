import * as z from 'zod';
import { tableFor } from '#shared/aliyun/deps/table';
import { GetManyRequest, GetRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import { WARM_UP_PRODUCT_ID, warmUpWith } from '#shared/fc/warm-up';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { getManySales, getSales, productsWithSales, refreshPromotions, type SalesDeps } from './core';

// `refresh-promotions` arrives from the timer trigger (its payload) or from an operator's invoke.
const Request = z.discriminatedUnion('op', [GetRequest, GetManyRequest, z.object({ op: z.literal('refresh-promotions') })]);

export const createHandler = (deps: (fc: FcContext) => SalesDeps) =>
  createServiceHandler(Request, async (req, ctx) => {
    const d = deps(ctx.fc);
    if (req.op === 'get') return getSales(req.productId, d);
    if (req.op === 'getMany') return getManySales(req.productIds, d);
    const result = await refreshPromotions(await productsWithSales(d), d);
    ctx.log.info(result, 'promotions refreshed');
    return result;
  }, getByIdOverHttp());

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock }));

/** Instance initializer: one read of a product that does not exist, so the first real request is warm. */
export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
