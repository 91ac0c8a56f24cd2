import { MobileProductPage, ProductListResponse, WebProductPage } from '#shared/contracts/product-page';
import type { Part } from '#shared/contracts/products';
import type { HttpTriggerResponse } from '#shared/fc/types';
import { ManualClock } from '#shared/ports/clock';
import { TtlCache } from '#shared/ttl-cache';
import { matchesIfNoneMatch, productList, productPage, type BffDeps } from '../../functions/product-bff/core';
import { RenderedPages } from '../../functions/product-bff/rendered-pages';
import { SingleFlight } from '../../functions/product-bff/single-flight';
import { createHandler } from '../../functions/product-bff/handler';
import { applyBestPromotion, shapeMobile, shapeWeb, type PageParts } from '../../functions/product-bff/views';
import { FakeInvoker, fakeContext, httpEvent } from '../helpers/fakes';

const ID = 'p-test-kettle';
const FUNCTIONS: Record<Part, string> = { info: 'info', price: 'price', inventory: 'inventory', shipping: 'shipping', sales: 'sales', reviews: 'reviews' };

const reviews = Array.from({ length: 5 }, (_, i) => ({ reviewId: `rv_${i}`, author: `a${i}`, rating: 5 - (i % 2), title: `t${i}`, body: 'x'.repeat(200), createdAt: '2026-11-01T00:00:00Z', images: [] }));
const answers: Record<Part, unknown> = {
  info: { productId: ID, name: 'Kettle', brand: 'B', category: 'Kitchen', summary: 's', description: 'a long description', images: [1, 2, 3, 4].map((n) => ({ url: `/i${n}.svg`, alt: `i${n}` })), specs: { Capacity: '1 L' }, tags: ['tea'] },
  price: { productId: ID, region: 'cn-hangzhou', currency: 'CNY', listPrice: 400, price: 300 },
  inventory: { productId: ID, status: 'low_stock', available: 4, warehouses: [{ warehouse: 'w', region: 'cn-hangzhou', available: 4 }], nearest: { warehouse: 'w', region: 'cn-hangzhou', available: 4 } },
  shipping: { productId: ID, region: 'cn-hangzhou', carrier: 'SF', currency: 'CNY', fee: 10, freeOver: 499, etaDays: { min: 1, max: 2 } },
  sales: { productId: ID, soldLast30Days: 1200, promotions: [{ promoId: 'p', title: '10% off', kind: 'percent', value: 10, endsAt: '2026-12-31T00:00:00Z' }], badge: 'Bestseller' },
  reviews: { productId: ID, rating: { average: 4.6, count: 5, histogram: [0, 0, 0, 2, 3] }, reviews },
};

type Behaviour = 'ok' | 'fail' | 'hang' | 'not-found';

function setup(behaviour: Partial<Record<Part, Behaviour>> = {}, budgets: { partTimeoutMs?: number; infoTimeoutMs?: number } = {}) {
  const clock = new ManualClock();
  const services = Object.fromEntries(
    (Object.keys(FUNCTIONS) as Part[]).map((part) => [
      part,
      async () => {
        const b = behaviour[part] ?? 'ok';
        if (b === 'fail') throw new Error(`${part} is down`);
        if (b === 'hang') return new Promise(() => undefined);
        if (b === 'not-found') return { ok: false, error: { code: 'NotFound', message: 'nope' } };
        return { ok: true, data: answers[part] };
      },
    ]),
  );
  const invoker = new FakeInvoker(services);
  const deps: BffDeps = {
    invoker,
    functions: FUNCTIONS,
    partTimeoutMs: budgets.partTimeoutMs ?? 50,
    infoTimeoutMs: budgets.infoTimeoutMs ?? 50,
    cache: new TtlCache(clock),
    inFlight: new SingleFlight(),
    rendered: new RenderedPages(),
    clock,
  };
  return { deps, invoker, clock, behaviour };
}

describe('product page BFF', () => {
  it('calls the six services in parallel and shapes the web view', async () => {
    const { deps, invoker } = setup();
    const page = await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    expect(invoker.calls.map((c) => c.functionName).sort()).toEqual(['info', 'inventory', 'price', 'reviews', 'sales', 'shipping']);
    expect(invoker.calls.every((c) => c.options?.timeoutMs === 50)).toBe(true);
    const view = WebProductPage.parse(page.body);
    expect(view.degraded).toEqual([]);
    expect(view.pricing).toMatchObject({ price: 300, finalPrice: 270, savings: 130, promotion: { promoId: 'p' } });
    expect(view.reviews).toHaveLength(5);
    expect(page.maxAgeSeconds).toBe(5); // inventory has the shortest TTL
  });

  it('gives mobile clients the smaller shape from the same calls', async () => {
    const { deps } = setup();
    const view = MobileProductPage.parse((await productPage(ID, { client: 'mobile', region: 'cn-hangzhou' }, deps)).body);
    expect(view.product).not.toHaveProperty('description');
    expect(view.product.images).toHaveLength(3);
    expect(view.reviews).toHaveLength(3);
    expect(view.reviews![0]!.body.length).toBeLessThanOrEqual(140);
  });

  it('prices the mobile shape as the web shape: the same list price, price and final price', async () => {
    // The mobile page once crossed out `price` (300) where the web page crossed out `listPrice` (400): its
    // shape had no list price. Smaller means fewer parts and fields, never other numbers (PRODUCT.md §3).
    const { deps } = setup();
    const web = WebProductPage.parse((await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps)).body);
    const mobile = MobileProductPage.parse((await productPage(ID, { client: 'mobile', region: 'cn-hangzhou' }, deps)).body);
    const numbers = ({ currency, listPrice, price, finalPrice }: { currency: string; listPrice: number; price: number; finalPrice: number }) => ({ currency, listPrice, price, finalPrice });
    expect(numbers(web.pricing!)).toEqual({ currency: 'CNY', listPrice: 400, price: 300, finalPrice: 270 });
    expect(numbers(mobile.pricing!)).toEqual(numbers(web.pricing!));
    expect(mobile.pricing!.promotion).toBe(web.pricing!.promotion!.title);
  });

  it.each(['fail', 'hang'] as const)('leaves out a part that is %s and names it in degraded', async (behaviour) => {
    const { deps } = setup({ shipping: behaviour, reviews: behaviour });
    const page = await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    const view = WebProductPage.parse(page.body);
    expect(view.degraded.sort()).toEqual(['reviews', 'shipping']);
    expect(view.shipping).toBeNull();
    expect(view.reviews).toBeNull();
    expect(view.pricing?.finalPrice).toBe(270);
    expect(page.maxAgeSeconds).toBe(0);
  });

  it('answers 404 for an unknown product and 503 when product info is unavailable', async () => {
    await expect(productPage(ID, { client: 'web', region: 'cn-hangzhou' }, setup({ info: 'not-found' }).deps)).rejects.toMatchObject({ status: 404 });
    await expect(productPage(ID, { client: 'web', region: 'cn-hangzhou' }, setup({ info: 'fail' }).deps)).rejects.toMatchObject({ status: 503 });
  });

  it('caches each part for its own TTL', async () => {
    const { deps, invoker, clock } = setup();
    await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    expect(invoker.calls).toHaveLength(6);
    clock.advance(11_000); // past price (10 s) and inventory (5 s), within the others
    await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    expect(invoker.calls.slice(6).map((c) => c.functionName).sort()).toEqual(['inventory', 'price']);
  });

  it('makes one call per part for concurrent misses of the same product in one instance', async () => {
    const { deps, invoker } = setup();
    const pages = await Promise.all(Array.from({ length: 5 }, () => productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps)));
    expect(invoker.calls.map((c) => c.functionName).sort()).toEqual(['info', 'inventory', 'price', 'reviews', 'sales', 'shipping']);
    expect(pages.map((p) => p.degraded)).toEqual(pages.map(() => []));
    expect(new Set(pages.map((p) => p.etag)).size).toBe(1);
    expect(deps.inFlight.size).toBe(0);
  });

  it('shares a failed call with the requests that joined it, and calls afresh on the next miss', async () => {
    const { deps, invoker, behaviour } = setup({ price: 'fail' });
    const pages = await Promise.all([1, 2, 3].map(() => productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps)));
    expect(pages.map((p) => p.degraded)).toEqual([['price'], ['price'], ['price']]);
    expect(invoker.calls.filter((c) => c.functionName === 'price')).toHaveLength(1);
    behaviour.price = 'ok';
    const next = await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    expect(next.degraded).toEqual([]);
    expect(invoker.calls.filter((c) => c.functionName === 'price')).toHaveLength(2);
  });

  it('keys shared calls by everything the answer depends on (region, list page)', async () => {
    const { deps, invoker } = setup();
    await Promise.all((['cn-hangzhou', 'cn-beijing'] as const).map((region) => productPage(ID, { client: 'web', region }, deps)));
    // info, sales and reviews do not depend on the region; price, inventory and shipping do.
    expect(invoker.calls.map((c) => c.functionName).sort()).toEqual(['info', 'inventory', 'inventory', 'price', 'price', 'reviews', 'sales', 'shipping', 'shipping']);
  });

  it('gives product info its own budget: a slow info call still makes a page, a slow part is degraded', async () => {
    const { deps, invoker } = setup({}, { partTimeoutMs: 30, infoTimeoutMs: 1000 });
    const later = (value: unknown) => new Promise((resolve) => setTimeout(() => resolve({ ok: true, data: value }), 80));
    // Reviews answer only once the page is made (a timer could fire late on a busy machine, and the fair deadline
    // rightly takes an answer that has already arrived).
    let answerReviews: () => void = () => undefined;
    Object.assign((invoker as unknown as { services: Record<string, unknown> }).services, {
      info: (req: { op: string }) => later(req.op === 'list' ? { items: [] } : answers.info),
      reviews: () => new Promise((resolve) => (answerReviews = () => resolve({ ok: true, data: answers.reviews }))),
    });
    const page = await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    answerReviews();
    expect(page.degraded).toEqual(['reviews']);
    // Every call may run as long as the info budget: the page stops waiting for a part at 30 ms, the call does not.
    expect(invoker.calls.find((c) => c.functionName === 'info')?.options?.timeoutMs).toBe(1000);
    expect(invoker.calls.find((c) => c.functionName === 'price')?.options?.timeoutMs).toBe(1000);
    const list = await productList(10, undefined, 'cn-hangzhou', deps);
    expect(list.degraded).not.toContain('info');
    expect(invoker.calls.find((c) => (c.payload as { op: string }).op === 'list')?.options?.timeoutMs).toBe(1000);
  });

  it('keeps a late answer: the page goes without the part, the next page has it from the cache with no new call', async () => {
    const { deps, invoker } = setup({}, { partTimeoutMs: 30, infoTimeoutMs: 1000 });
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    Object.assign((invoker as unknown as { services: Record<string, unknown> }).services, {
      shipping: () => answered.then(() => ({ ok: true, data: answers.shipping })),
    });
    const query = { client: 'web', region: 'cn-hangzhou' } as const;
    const first = await productPage(ID, query, deps);
    expect(first.degraded).toEqual(['shipping']);
    expect(first.reasons?.shipping).toBe('shipping: no answer within 30 ms');
    // A second page while the call is still running joins it instead of calling again.
    const second = productPage(ID, query, deps);
    answer();
    expect((await second).degraded).toEqual([]);
    const third = await productPage(ID, query, deps);
    expect(third.degraded).toEqual([]);
    expect(WebProductPage.parse(third.body).shipping).toMatchObject({ carrier: 'SF', fee: 10 });
    expect(invoker.calls.filter((c) => c.functionName === 'shipping')).toHaveLength(1);
  });

  it('serves a page rendered from the same part values again as it was, and renders anew when a part changes', async () => {
    const { deps, clock } = setup();
    const query = { client: 'web', region: 'cn-hangzhou' } as const;
    const first = await productPage(ID, query, deps);
    expect(first.json).toBe(JSON.stringify(first.body));
    expect(await productPage(ID, query, deps)).toBe(first);
    expect(await productPage(ID, { ...query, client: 'mobile' }, deps)).not.toBe(first);
    clock.advance(6_000); // inventory (5 s) is fetched again: a new value, so a new rendering with the same content
    const later = await productPage(ID, query, deps);
    expect(later).not.toBe(first);
    expect(later.etag).toBe(first.etag);
  });

  it('serves a page whose six parts are all fresh without a service call, and goes the whole way when one is not', async () => {
    const { deps, invoker, clock } = setup();
    const query = { client: 'web', region: 'cn-hangzhou' } as const;
    const first = await productPage(ID, query, deps);
    const calls = invoker.calls.length;
    expect(await productPage(ID, query, deps)).toBe(first);
    expect(invoker.calls).toHaveLength(calls);
    // Another region shares info, sales and reviews but not price, inventory and shipping: those three are fetched.
    const other = await productPage(ID, { ...query, region: 'cn-shanghai' }, deps);
    expect(other).not.toBe(first);
    expect(invoker.calls.slice(calls).map((c) => c.functionName).sort()).toEqual(['inventory', 'price', 'shipping']);
    // A part cached past its TTL is not fresh: the page is not served from the rendered pages until it is fetched again.
    deps.cache.set(`inventory:${ID}:cn-hangzhou`, { stale: true }, 0);
    clock.advance(1);
    const refetched = await productPage(ID, query, deps);
    expect(invoker.calls.filter((c) => c.functionName === 'inventory')).toHaveLength(3);
    expect(refetched.etag).toBe(first.etag);
  });

  it('never serves a degraded page from the rendered pages', async () => {
    const { deps, behaviour } = setup({ sales: 'fail' });
    const query = { client: 'web', region: 'cn-hangzhou' } as const;
    const degraded = await productPage(ID, query, deps);
    expect(degraded.degraded).toEqual(['sales']);
    behaviour.sales = 'ok';
    const complete = await productPage(ID, query, deps);
    expect(complete.degraded).toEqual([]);
    expect(complete.etag).not.toBe(degraded.etag);
  });

  it('serves a stale part when its service fails, still naming it degraded', async () => {
    const { deps, clock, behaviour } = setup();
    await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps);
    clock.advance(11_000);
    behaviour.price = 'fail';
    const view = WebProductPage.parse((await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps)).body);
    expect(view.degraded).toEqual(['price']);
    expect(view.pricing?.price).toBe(300);
  });
});

describe('product list', () => {
  const card = { productId: ID, name: 'Kettle', brand: 'B', category: 'Kitchen', summary: 's', image: '/i1.svg' };
  const other = { ...card, productId: 'p-test-mug', name: 'Mug' };
  function listSetup(behaviour: Partial<Record<Part, Behaviour>> = {}) {
    const ctx = setup(behaviour);
    const services = (ctx.invoker as unknown as { services: Record<string, (req: { op: string }) => Promise<unknown>> }).services;
    const answer = (part: Part, data: unknown) => {
      const original = services[part]!;
      services[part] = async (req) => (req.op !== 'get' && (ctx.behaviour[part] ?? 'ok') === 'ok' ? { ok: true, data } : original(req));
    };
    answer('info', { items: [card, other] });
    answer('price', { prices: [answers.price, { productId: other.productId, region: 'cn-hangzhou', currency: 'CNY', listPrice: 60, price: 50 }] });
    answer('sales', { sales: [answers.sales, { productId: other.productId, soldLast30Days: 3, promotions: [] }] });
    return ctx;
  }
  const priceOf = (body: unknown, id: string) => ProductListResponse.parse(body).items.find((item) => item.productId === id)?.price;

  it('prices each card as the product page and checkout do: the best running promotion applied', async () => {
    const { deps, invoker } = listSetup();
    const list = await productList(10, undefined, 'cn-hangzhou', deps);
    expect(list.degraded).toEqual([]);
    expect(priceOf(list.body, ID)).toEqual({ currency: 'CNY', amount: 300, listPrice: 400, finalPrice: 270, promotion: '10% off' });
    expect(priceOf(list.body, other.productId)).toEqual({ currency: 'CNY', amount: 50, listPrice: 60, finalPrice: 50 });
    // The page's own rule: the card shows what the product page shows.
    const page = WebProductPage.parse((await productPage(ID, { client: 'web', region: 'cn-hangzhou' }, deps)).body);
    expect(priceOf(list.body, ID)?.finalPrice).toBe(page.pricing?.finalPrice);
    // Prices and sales are one call each for the whole page, asked for together.
    const sales = invoker.calls.filter((c) => c.functionName === 'sales' && (c.payload as { op: string }).op === 'getMany');
    expect(sales.map((c) => c.payload)).toEqual([{ op: 'getMany', productIds: [ID, other.productId] }]);
    expect(list.maxAgeSeconds).toBe(10);
  });

  it('shows the price before promotions and names sales degraded when the sales service fails', async () => {
    const { deps } = listSetup({ sales: 'fail' });
    const list = await productList(10, undefined, 'cn-hangzhou', deps);
    expect(list.degraded).toEqual(['sales']);
    expect(list.maxAgeSeconds).toBe(0);
    expect(priceOf(list.body, ID)).toEqual({ currency: 'CNY', amount: 300, listPrice: 400, finalPrice: 300 });
  });
});

describe('BFF HTTP route', () => {
  const { deps } = setup();
  const handler = createHandler(() => deps);
  const get = async (path: string, query: Record<string, string> = {}, headers: Record<string, string> = {}) =>
    (await handler(httpEvent('GET', path, { query, headers }), fakeContext())) as HttpTriggerResponse;

  it('sets ETag and Cache-Control and answers 304 on If-None-Match', async () => {
    const first = await get(`/api/products/${ID}`);
    expect(first.statusCode).toBe(200);
    expect(first.headers?.['cache-control']).toBe('public, max-age=5');
    expect(first.headers?.['content-type']).toBe('application/json; charset=utf-8');
    expect(WebProductPage.parse(JSON.parse(first.body!)).product.productId).toBe(ID);
    const etag = first.headers!.etag!;
    const second = await get(`/api/products/${ID}`, {}, { 'If-None-Match': `W/${etag}` });
    expect(second.statusCode).toBe(304);
    expect(second.body).toBe('');
  });

  it('rejects a bad query or id with 400 naming the field', async () => {
    const res = await get(`/api/products/${ID}`, { client: 'tv' });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body!)).toMatchObject({ error: { details: [{ path: 'query.client' }] } });
    expect(JSON.parse((await get('/api/products/DROP TABLE')).body!)).toMatchObject({ error: { details: [{ path: 'path.id' }] } });
  });
});

describe('pricing helpers', () => {
  it('applies the best promotion and never goes below zero', () => {
    expect(applyBestPromotion(100, [{ promoId: 'a', title: '', kind: 'percent', value: 10, endsAt: '' }, { promoId: 'b', title: '', kind: 'amount', value: 15, endsAt: '' }])).toMatchObject({ finalPrice: 85, promotion: { promoId: 'b' } });
    expect(applyBestPromotion(10, [{ promoId: 'c', title: '', kind: 'amount', value: 50, endsAt: '' }]).finalPrice).toBe(0);
  });

  it('quotes delivery as checkout charges one unit: free once the price reaches freeOver, the service fee without a price', () => {
    const parts = (price: number | undefined, freeOver: number) =>
      ({ info: answers.info, shipping: { ...(answers.shipping as object), fee: 12, freeOver }, ...(price === undefined ? {} : { price: { ...(answers.price as object), price } }) }) as PageParts;
    const fees = (p: PageParts) => [shapeWeb(p).shipping!.fee, shapeMobile(p).shipping!.fee];
    expect(fees(parts(99, 99))).toEqual([0, 0]);
    expect(fees(parts(98.99, 99))).toEqual([12, 12]);
    expect(fees(parts(undefined, 99))).toEqual([12, 12]);
  });

  it('compares ETags weakly and understands lists and *', () => {
    expect(matchesIfNoneMatch('"a", W/"b"', '"b"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"x"')).toBe(true);
    expect(matchesIfNoneMatch('"a"', '"b"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"b"')).toBe(false);
  });
});
