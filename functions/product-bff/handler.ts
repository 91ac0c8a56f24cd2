import { invokerFor } from '#shared/aliyun/deps/invoker';
import { ProductId, ProductListQuery, ProductPageQuery, type Part } from '#shared/contracts/products';
import { createHttpHandler, json, queryParams, type HttpRequest } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { parseWith } from '#shared/validation';
import { TtlCache } from '#shared/ttl-cache';
import { matchesIfNoneMatch, productList, productPage, type BffDeps, type ProductPage } from './core';

/** GET /api/products and GET /api/products/{id}?client=web|mobile&region=… */
function cached(req: HttpRequest, page: ProductPage) {
  const headers: Record<string, string> = {
    etag: page.etag,
    'cache-control': page.maxAgeSeconds > 0 ? `public, max-age=${page.maxAgeSeconds}` : 'no-store',
  };
  if (page.degraded.length > 0) headers['x-degraded'] = page.degraded.join(',');
  if (matchesIfNoneMatch(req.headers['if-none-match'], page.etag)) return { status: 304, headers };
  return json(200, page.body, headers);
}

export const createHandler = (deps: (fc: FcContext) => BffDeps) =>
  createHttpHandler([
    {
      method: 'GET',
      path: '/api/products',
      handle: async (req, { fc }) => {
        const q = queryParams(req, ProductListQuery);
        return cached(req, await productList(q.limit, q.cursor, q.region, deps(fc)));
      },
    },
    {
      method: 'GET',
      path: '/api/products/:id',
      handle: async (req, { fc, log }) => {
        const productId = parseWith(ProductId, req.params.id, 'path.id');
        const page = await productPage(productId, queryParams(req, ProductPageQuery), deps(fc));
        if (page.degraded.length > 0) log.warn({ productId, degraded: page.reasons }, 'product page degraded');
        return cached(req, page);
      },
    },
  ]);

// One cache per instance: FC keeps warm instances, so it serves repeated reads.
const cache = new TtlCache(systemClock);

function functionNames(env: NodeJS.ProcessEnv): Record<Part, string> {
  const name = (part: string) => {
    const value = env[`PRODUCT_${part.toUpperCase()}_FUNCTION`];
    if (!value) throw new Error(`PRODUCT_${part.toUpperCase()}_FUNCTION is not set`);
    return value;
  };
  return { info: name('info'), price: name('price'), inventory: name('inventory'), shipping: name('shipping'), sales: name('sales'), reviews: name('reviews') };
}

export const handler = createHandler((fc) => ({
  invoker: invokerFor(fc),
  functions: functionNames(process.env),
  partTimeoutMs: Number(process.env.BFF_PART_TIMEOUT_MS ?? 300),
  cache,
  clock: systemClock,
}));
