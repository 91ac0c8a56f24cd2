import { invokerFor } from '#shared/aliyun/deps/invoker';
import { ProductId, ProductListQuery, ProductPageQuery, type Part } from '#shared/contracts/products';
import { createHttpHandler, queryParams, type HttpRequest } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { WARM_UP_PRODUCT_ID } from '#shared/fc/warm-up';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { parseWith } from '#shared/validation';
import { TtlCache } from '#shared/ttl-cache';
import { RenderedPages } from './rendered-pages';
import { SingleFlight } from './single-flight';
import { matchesIfNoneMatch, productList, productPage, type BffDeps, type ProductPage } from './core';

/** GET /api/products and GET /api/products/{id}?client=web|mobile&region=… */
function cached(req: HttpRequest, page: ProductPage) {
  const headers: Record<string, string> = {
    etag: page.etag,
    'cache-control': page.maxAgeSeconds > 0 ? `public, max-age=${page.maxAgeSeconds}` : 'no-store',
  };
  if (page.degraded.length > 0) headers['x-degraded'] = page.degraded.join(',');
  if (matchesIfNoneMatch(req.headers['if-none-match'], page.etag)) return { status: 304, headers };
  headers['content-type'] = 'application/json; charset=utf-8';
  // The JSON the ETag was computed over, as it is: no second serialisation per request.
  return { status: 200, body: page.json, headers };
}

export const createHandler = (deps: (fc: FcContext) => BffDeps) =>
  createHttpHandler([
    {
      method: 'GET',
      path: '/api/products',
      readsQuery: true,
      handle: async (req, { fc }) => {
        const q = queryParams(req, ProductListQuery);
        return cached(req, await productList(q.limit, q.cursor, q.region, deps(fc)));
      },
    },
    {
      method: 'GET',
      path: '/api/products/:id',
      readsQuery: true,
      handle: async (req, ctx) => {
        const productId = parseWith(ProductId, req.params.id, 'path.id');
        const page = await productPage(productId, queryParams(req, ProductPageQuery), deps(ctx.fc));
        if (page.degraded.length > 0) ctx.log.warn({ productId, degraded: page.reasons }, 'product page degraded');
        return cached(req, page);
      },
    },
  ]);

// One cache per instance: FC keeps warm instances, so it serves repeated reads.
const cache = new TtlCache(systemClock);
const inFlight = new SingleFlight();
const rendered = new RenderedPages<ProductPage>();

function readFunctionNames(env: NodeJS.ProcessEnv): Record<Part, string> {
  const name = (part: string) => {
    const value = env[`PRODUCT_${part.toUpperCase()}_FUNCTION`];
    if (!value) throw new Error(`PRODUCT_${part.toUpperCase()}_FUNCTION is not set`);
    return value;
  };
  return { info: name('info'), price: name('price'), inventory: name('inventory'), shipping: name('shipping'), sales: name('sales'), reviews: name('reviews') };
}

/**
 * Read once per instance, on first use: an instance's environment does not change, and reading `process.env`
 * (six variables, each a call into the runtime) was a quarter of a cached page's cost. Not at load: a
 * missing variable fails the request that needs it, as it always did.
 */
let names: Record<Part, string> | undefined;
function functionNames(env: NodeJS.ProcessEnv): Record<Part, string> {
  return (names ??= readFunctionNames(env));
}

/** A budget from the environment in milliseconds; a value that is not a positive number fails loudly. */
function budgetMs(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0) throw new Error(`${name} must be a positive number of milliseconds, got "${raw}"`);
  return value;
}

// Read at load: a wrong value stops the instance from starting, naming the variable.
const partTimeoutMs = budgetMs(process.env, 'BFF_PART_TIMEOUT_MS', 300);
const infoTimeoutMs = budgetMs(process.env, 'BFF_INFO_TIMEOUT_MS', 5000);

export const handler = createHandler((fc) => ({
  invoker: invokerFor(fc),
  functions: functionNames(process.env),
  partTimeoutMs,
  infoTimeoutMs,
  cache,
  inFlight,
  rendered,
  clock: systemClock,
}));

/**
 * Instance initializer: one InvokeFunction of product-info (a read of a product that does not exist), so the
 * first page this instance serves does not spend its parts' budget on building and first using the FC client.
 */
export const initializer = async (context: FcContext): Promise<void> => {
  try {
    await invokerFor(context).invoke(functionNames(process.env).info, { op: 'get', productId: WARM_UP_PRODUCT_ID });
  } catch (err) {
    createLogger({ requestId: context.requestId }).warn({ err }, 'warm-up request failed');
  }
};
