import { tableFor } from '#shared/aliyun/deps/table';
import { GetRequest } from '#shared/contracts/products';
import { getByIdOverHttp } from '#shared/fc/service-http';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { getInventory, type InventoryDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => InventoryDeps) =>
  createServiceHandler(GetRequest, async (req, ctx) => getInventory(req.productId, req.region, deps(ctx.fc)), getByIdOverHttp());

export const handler = createHandler((fc) => ({ table: tableFor(fc) }));
