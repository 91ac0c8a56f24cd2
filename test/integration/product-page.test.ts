import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { MobileProductPage, ProductListResponse, WebProductPage } from '#shared/contracts/product-page';
import { PARTS, type Part } from '#shared/contracts/products';
import { DEMO_PRODUCTS } from '#shared/demo/catalog';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The product page as a user meets it: the real s.yaml in the local cloud, plain HTTP to the API domain's
 * routes, the BFF fanning out to the six services through the FC InvokeFunction emulator. Slow and failing
 * backends are made with the console's fault API (`PUT /_local/api/functions/<fn>/fault`).
 *
 * The BFF caches parts per instance, so every degradation case uses a product no earlier test has asked
 * for: a missing part is then `null`, not a stale copy.
 */
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

const ids = DEMO_PRODUCTS.map((p) => p.productId);
const [PAGE, SLOW, FAILING, INFO_DOWN, WARM] = ids;
/** Which s.yaml resource serves each part of the page. */
const SERVICE: Record<Part, string> = {
  info: 'product-info',
  price: 'product-price',
  inventory: 'product-inventory',
  shipping: 'product-shipping',
  sales: 'product-sales',
  reviews: 'product-reviews',
};

interface Answer {
  status: number;
  headers: Headers;
  body: unknown;
  /** When the response had fully arrived (Date.now()). */
  at: number;
}

describe('product page through the local cloud', () => {
  const dir = tempDir('product-page-');
  let cloud: LocalCloud;

  async function get(path: string, headers: Record<string, string> = {}): Promise<Answer> {
    const res = await fetch(`${cloud.url}${path}`, { headers });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? (JSON.parse(text) as unknown) : undefined, at: Date.now() };
  }

  async function setFault(resource: string, fault: { delayMs?: number; error?: string } | undefined): Promise<void> {
    const res = await fetch(`${cloud.url}/_local/api/functions/${resource}/fault`, fault ? { method: 'PUT', body: JSON.stringify(fault) } : { method: 'DELETE' });
    expect(res.status).toBe(200);
  }

  /** A page with every part present; the first calls start cold instances, so retry until none missed its budget. */
  async function completePage(id: string, client: 'web' | 'mobile', region = 'cn-hangzhou'): Promise<Answer> {
    return eventually(async () => {
      const answer = await get(`/api/products/${id}?client=${client}&region=${region}`);
      expect(answer.status).toBe(200);
      expect((answer.body as { degraded: Part[] }).degraded).toEqual([]);
      return answer;
    });
  }

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
    // One warm instance per service, so the budget of 300 ms measures calls, not cold starts.
    for (const resource of Object.values(SERVICE)) await cloud.invoke(resource, { op: 'get', productId: WARM, region: 'cn-hangzhou' });
  });
  afterEach(async () => {
    for (const resource of Object.values(SERVICE)) await setFault(resource, undefined);
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  describe('GET /api/products', () => {
    it('lists the seeded products with their prices', async () => {
      const answer = await eventually(async () => {
        const a = await get('/api/products?limit=100');
        expect(a.status).toBe(200);
        expect((a.body as { degraded: Part[] }).degraded).toEqual([]);
        return a;
      });
      const list = ProductListResponse.parse(answer.body);
      expect(list.items.map((item) => item.productId).sort()).toEqual([...ids].sort());
      expect(list.items.every((item) => item.price && item.price.amount > 0)).toBe(true);
      expect(answer.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      // A promoted product's card shows the page's price, the one checkout charges.
      const promoted = list.items.find((item) => item.productId === PAGE)!;
      expect(promoted.price!.finalPrice).toBeLessThan(promoted.price!.amount);
      const page = WebProductPage.parse((await completePage(PAGE!, 'web')).body);
      expect([promoted.price!.finalPrice, promoted.price!.promotion]).toEqual([page.pricing!.finalPrice, page.pricing!.promotion!.title]);
    });

    it.each([
      ['cursor=garbage', 'query.cursor'],
      ['cursor=', 'query.cursor'],
      ['limit=0x10', 'query.limit'],
      ['limit=1e1', 'query.limit'],
      ['page=2', 'query.page'],
    ])('answers 400 naming the parameter for ?%s, not a page that starts somewhere (D127)', async (query, field) => {
      const answer = await get(`/api/products?${query}`);
      expect(answer.status).toBe(400);
      expect((answer.body as { error: { details: { path: string }[] } }).error.details.map((d) => d.path)).toEqual([field]);
    });
  });

  describe('CORS', () => {
    it("lets a page on the local cloud's own origin, either loopback spelling, read the API and its request id", async () => {
      // The cloud started on a free port with WEBSITE_ORIGIN unset: s.yaml's default names port 9000.
      for (const origin of [`http://localhost:${cloud.port}`, `http://127.0.0.1:${cloud.port}`]) {
        const preflight = await fetch(`${cloud.url}/api/products`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET' } });
        expect([preflight.status, preflight.headers.get('access-control-allow-origin')]).toEqual([204, origin]);
        const answer = await get('/api/products?limit=1', { Origin: origin });
        expect(answer.headers.get('access-control-allow-origin')).toBe(origin);
        expect(answer.headers.get('x-fc-request-id')).toBeTruthy();
        expect(answer.headers.get('access-control-expose-headers')).toContain('x-fc-request-id');
      }
      // Any other origin gets no CORS headers: on its answers, and on its preflight (204 with Allow, D127).
      const other = await get('/api/products?limit=1', { Origin: 'http://127.0.0.1:1' });
      expect(other.headers.get('access-control-allow-origin')).toBeNull();
      const refused = await fetch(`${cloud.url}/api/products`, { method: 'OPTIONS', headers: { Origin: 'http://127.0.0.1:1', 'Access-Control-Request-Method': 'GET' } });
      expect([refused.status, refused.headers.get('access-control-allow-origin'), refused.headers.get('allow')]).toEqual([204, null, 'GET, OPTIONS']);
    });
  });

  describe('GET /api/products/{id}', () => {
    it('returns all six parts in the web shape', async () => {
      const answer = await completePage(PAGE!, 'web');
      const page = WebProductPage.parse(answer.body);
      expect(page).toMatchObject({ client: 'web', region: 'cn-hangzhou', product: { productId: PAGE } });
      expect(page.product.description.length).toBeGreaterThan(0);
      for (const part of ['pricing', 'availability', 'shipping', 'sales', 'rating', 'reviews'] as const) expect({ part, value: page[part] }).toEqual({ part, value: expect.anything() });
      expect(page.reviews!.length).toBeGreaterThan(0);
    });

    it('returns the smaller mobile shape for the same product and region', async () => {
      const web = WebProductPage.parse((await completePage(PAGE!, 'web', 'cn-beijing')).body);
      const answer = await completePage(PAGE!, 'mobile', 'cn-beijing');
      const mobile = MobileProductPage.parse(answer.body);
      expect(mobile).toMatchObject({ client: 'mobile', region: 'cn-beijing', product: { productId: PAGE } });
      // No long description, at most 3 reviews, at most 3 product images (PRODUCT.md §3).
      expect(answer.body).not.toHaveProperty('product.description');
      expect(mobile.reviews!.length).toBe(Math.min(3, web.reviews!.length));
      expect(mobile.product.images.length).toBeLessThanOrEqual(3);
      for (const part of ['pricing', 'availability', 'shipping', 'sales', 'rating', 'reviews'] as const) expect({ part, value: mobile[part] }).toEqual({ part, value: expect.anything() });
      // Smaller, not other numbers: a phone crosses out the same list price as a desktop.
      const { currency, listPrice, price, finalPrice } = web.pricing!;
      expect(mobile.pricing).toMatchObject({ currency, listPrice, price, finalPrice });
    });

    it('quotes the delivery fee one unit pays at checkout: free when its price reaches the free-delivery threshold', async () => {
      // Aurora (CN¥899) ships free to Hangzhou (over CN¥99); the planter (CN¥159) pays to Singapore (over CN¥499).
      const cases = [
        { id: PAGE!, region: 'cn-hangzhou', free: true },
        { id: 'p-juniper-planter', region: 'ap-southeast-1', free: false },
      ];
      for (const { id, region, free } of cases) {
        const web = WebProductPage.parse((await completePage(id, 'web', region)).body);
        const mobile = MobileProductPage.parse((await completePage(id, 'mobile', region)).body);
        expect({ id, region, reachesThreshold: web.pricing!.finalPrice >= web.shipping!.freeOver }).toEqual({ id, region, reachesThreshold: free });
        const fees = { web: web.shipping!.fee, mobile: mobile.shipping!.fee };
        if (free) expect(fees).toEqual({ web: 0, mobile: 0 });
        else expect(fees).toEqual({ web: expect.any(Number), mobile: web.shipping!.fee });
        if (!free) expect(web.shipping!.fee).toBeGreaterThan(0);
      }
    });

    it('answers 304 to If-None-Match with the current ETag, and sets Cache-Control', async () => {
      const first = await completePage(PAGE!, 'web');
      const etag = first.headers.get('etag');
      expect(etag).toMatch(/^"[0-9a-f]+"$/);
      expect(first.headers.get('cache-control')).toMatch(/^public, max-age=\d+$/);
      const again = await eventually(async () => {
        const a = await get(`/api/products/${PAGE}?client=web&region=cn-hangzhou`, { 'if-none-match': etag! });
        expect(a.status).toBe(304);
        return a;
      });
      expect(again.body).toBeUndefined();
      expect(again.headers.get('etag')).toBe(etag);
    });

    it('answers 404 with an error body for an unknown product', async () => {
      const answer = await get('/api/products/p-no-such-product?client=web');
      expect(answer.status).toBe(404);
      expect(answer.body).toEqual({ error: { code: 'NotFound', message: expect.stringContaining('p-no-such-product') } });
    });

    it.each([
      ['client=tv&region=cn-hangzhou', 'query.client'],
      ['client=web&region=mars-1', 'query.region'],
    ])('answers 400 naming the field for ?%s', async (query, field) => {
      const answer = await get(`/api/products/${PAGE}?${query}`);
      expect(answer.status).toBe(400);
      const body = answer.body as { error: { code: string; message: string; details: { path: string }[] } };
      expect(body.error.code).toBe('ValidationError');
      expect(body.error.message).toContain(field);
      expect(body.error.details.map((d) => d.path)).toContain(field);
    });
  });

  describe('degradation', () => {
    it('answers without a slow backend, before that backend finishes, and marks the page uncacheable', async () => {
      const delayMs = 3000; // ten times the 300 ms budget
      await setFault(SERVICE.inventory, { delayMs });
      const sent = Date.now();
      const answer = await get(`/api/products/${SLOW}?client=web&region=cn-hangzhou`);
      expect(answer.status).toBe(200);
      const page = WebProductPage.parse(answer.body);
      expect(page.degraded).toContain('inventory');
      expect(page.availability).toBeNull();
      expect(page.product.productId).toBe(SLOW);
      expect(answer.headers.get('cache-control')).toBe('no-store');
      expect(answer.headers.get('x-degraded')).toContain('inventory');
      // A logical bound, not a performance number: the page did not wait for the slow call.
      expect(answer.at - sent).toBeLessThan(delayMs);
      const slowCall = await eventually(() => {
        const record = cloud.runtime.recent({ functionName: SERVICE.inventory, limit: 50 }).find((r) => r.startedAt >= sent && r.durationMs >= delayMs);
        expect(record).toBeDefined();
        return record!;
      });
      expect(answer.at).toBeLessThan(slowCall.startedAt + slowCall.durationMs);
    });

    it('answers without a failing backend', async () => {
      await setFault(SERVICE.reviews, { error: 'injected by product-page.test' });
      const answer = await get(`/api/products/${FAILING}?client=mobile&region=cn-hangzhou`);
      expect(answer.status).toBe(200);
      const page = MobileProductPage.parse(answer.body);
      expect(page.degraded).toContain('reviews');
      expect(page.reviews).toBeNull();
      expect(page.rating).toBeNull();
      expect(page.product.productId).toBe(FAILING);
      expect(answer.headers.get('cache-control')).toBe('no-store');
    });

    it('answers 503 when product-info fails, and recovers when the fault is cleared', async () => {
      await setFault(SERVICE.info, { error: 'injected by product-page.test' });
      const answer = await get(`/api/products/${INFO_DOWN}?client=web&region=cn-hangzhou`);
      expect(answer.status).toBe(503);
      expect(answer.body).toEqual({ error: expect.objectContaining({ code: 'ServiceUnavailable', message: expect.any(String) }) });
      await setFault(SERVICE.info, undefined);
      await completePage(INFO_DOWN!, 'web');
    });

    it('covers every part of the page (the faults above are cleared for all of them)', () => {
      expect(Object.keys(SERVICE).sort()).toEqual([...PARTS].sort());
    });
  });

  describe('demo data', () => {
    it('is seeded idempotently: running demo-seed again adds nothing', async () => {
      const count = async () => {
        const record = await cloud.invoke('product-info', { op: 'list', limit: 100 });
        expect(record.status).toBe('succeeded');
        return (JSON.parse(record.payload.toString('utf8')) as { data: { items: unknown[] } }).data.items.length;
      };
      const before = await count();
      expect(before).toBe(ids.length);
      for (let i = 0; i < 2; i++) {
        const record = await cloud.invoke('demo-seed', { op: 'seed' });
        expect(record.status).toBe('succeeded');
        expect(JSON.parse(record.payload.toString('utf8'))).toEqual({ ok: true, data: { productsCreated: 0, usersCreated: 0 } });
      }
      expect(await count()).toBe(before);
    });
  });
});

describe('npm run invoke', () => {
  const dir = tempDir('invoke-cli-');
  afterAll(() => dir.cleanup());

  it('runs product-price on the HTTP fixture in-process and prints the price', async () => {
    const { stdout } = await run('npm', ['run', 'invoke', '--', 'product-price', '--event', 'test/fixtures/events/http/get-price.json'], {
      cwd: ROOT,
      env: { ...process.env, DATA_DIR: join(dir.path, 'data'), NO_COLOR: '1' },
      timeout: 120_000,
    });
    expect(stdout).toMatch(/product-price .*succeeded/);
    const result = JSON.parse(stdout.slice(stdout.indexOf('\nresult\n') + '\nresult\n'.length)) as { statusCode: number; body: Record<string, unknown> };
    expect(result.statusCode).toBe(200);
    expect(result.body).toEqual({ productId: 'p-aurora-headphones', region: 'ap-southeast-1', currency: expect.any(String), listPrice: expect.any(Number), price: expect.any(Number) });
  });

  /** The CLI alone (no cloud starts before the arguments are read): its exit code and what it printed. */
  async function invokeCli(args: string[]): Promise<{ code: number; out: string }> {
    return run(process.execPath, ['--import', 'tsx', 'scripts/invoke.ts', ...args], { cwd: ROOT, env: { ...process.env, DATA_DIR: join(dir.path, 'cli'), NO_COLOR: '1' }, timeout: 60_000 }).then(
      ({ stdout, stderr }) => ({ code: 0, out: stdout + stderr }),
      (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, out: err.stdout + err.stderr }),
    );
  }

  it('prints its usage for --help and exits 0', async () => {
    const { code, out } = await invokeCli(['--help']);
    expect({ code, out }).toEqual({ code: 0, out: expect.stringContaining('usage: npm run invoke -- <function>') });
    expect(out).toContain('--event <file.json>');
  });

  it('says which option lacks its file, and which file it could not read, instead of a bare ENOENT', async () => {
    expect(await invokeCli(['product-price', '--event'])).toEqual({ code: 2, out: expect.stringContaining('--event needs a file') });
    const missing = await invokeCli(['product-price', '--event', 'no/such/event.json']);
    expect(missing).toEqual({ code: 2, out: expect.stringContaining('cannot read the event file no/such/event.json') });
  });
});
