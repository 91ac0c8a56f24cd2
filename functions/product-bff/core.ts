import { createHash } from 'node:crypto';
import {
  Inventory,
  Price,
  PriceMany,
  ProductInfo,
  ProductList,
  Reviews,
  Sales,
  SalesMany,
  Shipping,
  PART_TTL_SECONDS,
  type Part,
  type ProductPageQuery,
  type ServiceResult,
} from '#shared/contracts/products';
import { withDeadline } from '#shared/deadline';
import { applyBestPromotion } from '#shared/pricing';
import { NotFoundError, RetryableError } from '#shared/errors';
import type { Clock } from '#shared/ports/clock';
import type { FunctionInvoker } from '#shared/ports/function-invoker';
import type { z } from 'zod';
import type { TtlCache } from '#shared/ttl-cache';
import type { RenderedPages } from './rendered-pages';
import type { SingleFlight } from './single-flight';
import { shapeMobile, shapeWeb, type PageParts } from './views';

/**
 * product-bff (seed 002): one product page from six microservices, called in parallel through FC
 * InvokeFunction with a per-call budget. A part that fails or misses the budget is left out and named in
 * `degraded`; the page still renders unless the product's info itself is unavailable (503) or unknown (404).
 */
export interface BffDeps {
  invoker: FunctionInvoker;
  /** FC function name of each service. */
  functions: Record<Part, string>;
  /** How long one service call may take before the page goes without it. */
  partTimeoutMs: number;
  /**
   * The budget of the one essential call, product info (and the product list): without it there is no
   * page, so on a busy machine it may take longer than the other parts before the answer is 503.
   */
  infoTimeoutMs: number;
  cache: TtlCache;
  /** Concurrent misses for the same part in this instance share one call. */
  inFlight: SingleFlight;
  /** Complete pages as last rendered from the same part values (served again without re-rendering). */
  rendered?: RenderedPages<ProductPage>;
  clock: Clock;
}

export { PART_TTL_SECONDS };

const SCHEMAS = { info: ProductInfo, price: Price, inventory: Inventory, shipping: Shipping, sales: Sales, reviews: Reviews } as const;

type PartOutcome<T> = { status: 'ok'; value: T; fromCache: boolean } | { status: 'not-found' } | { status: 'failed'; reason: string; stale?: T };

/**
 * Call one service (or answer from cache, or join the same call already running) within the budget; never
 * throws. The call itself may outlive the budget (up to the info budget): the page goes without a late
 * part, but the late answer still fills the cache, so the page asked again a moment later is complete
 * (the website asks once more for a degraded page) — on a busy machine the part is not lost, only late.
 */
export async function fetchPart<S extends z.ZodType>(part: Part, schema: S, request: Record<string, unknown>, cacheKey: string, deps: BffDeps): Promise<PartOutcome<z.infer<S>>> {
  const cached = deps.cache.fresh<z.infer<S>>(cacheKey);
  if (cached !== undefined) return { status: 'ok', value: cached, fromCache: true };
  const budgetMs = part === 'info' ? deps.infoTimeoutMs : deps.partTimeoutMs;
  const call = deps.inFlight.run(cacheKey, () => callService(part, schema, request, cacheKey, deps));
  try {
    const answer = await withDeadline(call, budgetMs, () => new Error(`${part}: no answer within ${budgetMs} ms`));
    return answer.status === 'ok' ? { ...answer, fromCache: false } : answer;
  } catch (err) {
    const stale = deps.cache.stale<z.infer<S>>(cacheKey);
    return { status: 'failed', reason: (err as Error).message, ...(stale !== undefined ? { stale } : {}) };
  }
}

/** One service call, parsed and cached when it answers (even after the page stopped waiting); throws on failure. */
async function callService<S extends z.ZodType>(part: Part, schema: S, request: Record<string, unknown>, cacheKey: string, deps: BffDeps): Promise<{ status: 'ok'; value: z.infer<S> } | { status: 'not-found' }> {
  const result = await deps.invoker.invoke(deps.functions[part], request, { timeoutMs: Math.max(deps.partTimeoutMs, deps.infoTimeoutMs) });
  if (result.functionError) throw new Error(`${part}: ${result.functionError.type}: ${result.functionError.message}`);
  const envelope = JSON.parse(result.body.toString('utf8')) as ServiceResult<unknown>;
  if (!envelope.ok) {
    if (envelope.error.code === 'NotFound') return { status: 'not-found' };
    throw new Error(`${part}: ${envelope.error.message}`);
  }
  const value = schema.parse(envelope.data) as z.infer<S>;
  deps.cache.set(cacheKey, value, PART_TTL_SECONDS[part]);
  return { status: 'ok', value };
}

export interface ProductPage {
  body: Record<string, unknown>;
  /** `body` as JSON, the exact bytes the ETag is computed over. */
  json: string;
  degraded: Part[];
  /** Why each degraded part is missing (for logs; never sent to clients). */
  reasons?: Partial<Record<Part, string>>;
  /** Seconds a browser/CDN may reuse the page: the shortest TTL of its parts; 0 when degraded. */
  maxAgeSeconds: number;
  etag: string;
}

/** The cache key of each part of a product page, in the order of `PageParts`' values. */
function partKeys(productId: string, region: string): [string, string, string, string, string, string] {
  return [`info:${productId}`, `price:${productId}:${region}`, `inventory:${productId}:${region}`, `shipping:${productId}:${region}`, `sales:${productId}`, `reviews:${productId}`];
}

function renderKeyOf(productId: string, query: ProductPageQuery): string {
  return `${productId}|${query.client}|${query.region}`;
}

/**
 * The page as last rendered when all six parts are fresh in this instance's cache and are the very values it was
 * rendered from: what the full path below would return in that case (every part `ok` from the cache, nothing
 * degraded, the rendered page unchanged), found without six part lookups through promises (D101).
 */
function renderedFromFreshParts(productId: string, query: ProductPageQuery, keys: readonly string[], deps: BffDeps): ProductPage | undefined {
  if (!deps.rendered) return undefined;
  const values: unknown[] = [];
  for (const key of keys) {
    const value = deps.cache.fresh(key);
    if (value === undefined) return undefined;
    values.push(value);
  }
  return deps.rendered.get(renderKeyOf(productId, query), values);
}

export async function productPage(productId: string, query: ProductPageQuery, deps: BffDeps): Promise<ProductPage> {
  const { region } = query;
  const keys = partKeys(productId, region);
  const rendered = renderedFromFreshParts(productId, query, keys, deps);
  if (rendered) return rendered;
  const get = { op: 'get', productId, region };
  const [info, price, inventory, shipping, sales, reviews] = await Promise.all([
    fetchPart('info', SCHEMAS.info, get, keys[0], deps),
    fetchPart('price', SCHEMAS.price, get, keys[1], deps),
    fetchPart('inventory', SCHEMAS.inventory, get, keys[2], deps),
    fetchPart('shipping', SCHEMAS.shipping, get, keys[3], deps),
    fetchPart('sales', SCHEMAS.sales, get, keys[4], deps),
    fetchPart('reviews', SCHEMAS.reviews, { ...get, limit: 10 }, keys[5], deps),
  ]);
  if (info.status === 'not-found') throw new NotFoundError(`product ${productId} does not exist`);
  const infoValue = info.status === 'ok' ? info.value : info.stale;
  if (!infoValue) throw new RetryableError(`product information is unavailable (${info.status === 'failed' ? info.reason : ''})`, 'ServiceUnavailable');

  const outcomes = { info, price, inventory, shipping, sales, reviews };
  const degraded = (Object.keys(outcomes) as Part[]).filter((part) => outcomes[part].status === 'failed');
  const reasons = Object.fromEntries(degraded.map((part) => [part, (outcomes[part] as { reason: string }).reason]));
  const valueOf = <T>(o: PartOutcome<T>): T | undefined => (o.status === 'ok' ? o.value : o.status === 'failed' ? o.stale : undefined);
  const parts: PageParts = {
    info: infoValue,
    price: valueOf(price),
    inventory: valueOf(inventory),
    shipping: valueOf(shipping),
    sales: valueOf(sales),
    reviews: valueOf(reviews),
  };
  const renderKey = renderKeyOf(productId, query);
  const values = [parts.info, parts.price, parts.inventory, parts.shipping, parts.sales, parts.reviews];
  const unchanged = degraded.length === 0 ? deps.rendered?.get(renderKey, values) : undefined;
  if (unchanged) return unchanged;
  const view = query.client === 'mobile' ? shapeMobile(parts) : shapeWeb(parts);
  const body = { client: query.client, region, ...view, degraded };
  const present = (Object.keys(outcomes) as Part[]).filter((part) => outcomes[part].status === 'ok');
  const maxAgeSeconds = degraded.length > 0 ? 0 : Math.min(...present.map((part) => PART_TTL_SECONDS[part]));
  const page = { body, degraded, reasons, maxAgeSeconds, ...serialized(body) };
  if (degraded.length === 0) deps.rendered?.set(renderKey, values, page);
  return page;
}

/**
 * A page of the catalogue with each product's price as the shopper pays it: the price service's price with
 * the best running promotion applied (the rule of the product page and checkout, `applyBestPromotion`).
 * Prices and sales are asked for in parallel once the page's ids are known; without sales the cards show
 * the price before promotions and the list names `sales` in `degraded` (the website asks again).
 */
export async function productList(limit: number, cursor: string | undefined, region: string, deps: BffDeps): Promise<ProductPage> {
  const list = await fetchPart('info', ProductList, { op: 'list', limit, ...(cursor ? { cursor } : {}) }, `list:${limit}:${cursor ?? ''}`, deps);
  const listValue = list.status === 'ok' ? list.value : list.status === 'failed' ? list.stale : undefined;
  if (!listValue) throw new RetryableError('the product list is unavailable', 'ServiceUnavailable');
  const ids = listValue.items.map((item) => item.productId);
  const [prices, sales] = await Promise.all([
    fetchPart('price', PriceMany, { op: 'getMany', productIds: ids, region }, `prices:${region}:${ids.join(',')}`, deps),
    fetchPart('sales', SalesMany, { op: 'getMany', productIds: ids }, `sales:${ids.join(',')}`, deps),
  ]);
  const valueOf = <T>(o: PartOutcome<T>): T | undefined => (o.status === 'ok' ? o.value : o.status === 'failed' ? o.stale : undefined);
  const priceOf = new Map((valueOf(prices)?.prices ?? []).map((p) => [p.productId, p]));
  const promotionsOf = new Map((valueOf(sales)?.sales ?? []).map((s) => [s.productId, s.promotions]));
  const outcomes = { info: list, price: prices, sales } as const;
  const degraded = (Object.keys(outcomes) as (keyof typeof outcomes)[]).filter((part) => outcomes[part].status === 'failed');
  const body = {
    region,
    items: listValue.items.map((item) => {
      const p = priceOf.get(item.productId);
      if (!p) return item;
      const { finalPrice, promotion } = applyBestPromotion(p.price, promotionsOf.get(item.productId) ?? []);
      return { ...item, price: { currency: p.currency, amount: p.price, listPrice: p.listPrice, finalPrice, ...(promotion ? { promotion: promotion.title } : {}) } };
    }),
    ...(listValue.nextCursor ? { nextCursor: listValue.nextCursor } : {}),
    degraded,
  };
  return { body, degraded, maxAgeSeconds: degraded.length > 0 ? 0 : Math.min(PART_TTL_SECONDS.price, PART_TTL_SECONDS.sales), ...serialized(body) };
}

/** The body as JSON once, and a strong ETag over exactly those bytes. */
function serialized(body: unknown): { json: string; etag: string } {
  const json = JSON.stringify(body);
  return { json, etag: `"${createHash('sha1').update(json).digest('hex').slice(0, 20)}"` };
}

/** Strong ETag over the exact response body. */
export function etagOf(body: unknown): string {
  return serialized(body).etag;
}

/** RFC 9110 If-None-Match: `*`, or a list of (weak or strong) tags compared weakly. */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (!header) return false;
  if (header.trim() === '*') return true;
  const strip = (tag: string) => tag.trim().replace(/^W\//, '');
  return header.split(',').some((tag) => strip(tag) === strip(etag));
}
