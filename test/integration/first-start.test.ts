import { cpSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DEMO_USERS } from '#shared/demo/catalog';
import { startLocalCloud, REPO_ROOT, type LocalCloud } from '../../scripts/local/cloud';
import { loadSpec } from '../../scripts/local/spec/load';
import { buildStages } from '../../scripts/local/startup';
import { tempDir } from '../helpers/temp';
import { freePort } from '../helpers/free-port';

/**
 * The first start after a clone (D32, D43): no dist/, a new data folder. The seed, then the first call tree in two
 * parts, are built and warmed before everything else; the product list asked for while the local cloud starts is
 * complete on its first answer, and once the start is done every function — those built in the background too —
 * serves, with the demo data the seed wrote in batches.
 */
const SOURCES = ['scripts', 'functions', 'website', 'infra', 'flows', 'types', 's.yaml', 'package.json', 'package-lock.json', 'tsconfig.json'];

describe('the first start after a clone', () => {
  const dir = tempDir('first-start-');
  const app = join(dir.path, 'repo');
  let starting: Promise<LocalCloud> | undefined;

  beforeAll(() => {
    // A clone: the sources, and the installed packages (without the local cloud's caches or any dist/).
    mkdirSync(join(app, 'node_modules'), { recursive: true });
    for (const entry of SOURCES) cpSync(join(REPO_ROOT, entry), join(app, entry), { recursive: true });
    for (const entry of readdirSync(join(REPO_ROOT, 'node_modules'))) {
      if (entry !== '.cache') symlinkSync(join(REPO_ROOT, 'node_modules', entry), join(app, 'node_modules', entry));
    }
  });

  afterAll(async () => {
    // A failed assertion leaves the start running: let it finish before its folder goes.
    await (await starting?.catch(() => undefined))?.stop();
    dir.cleanup();
  });

  it('builds the seed, then the product page in two parts: the BFF with what the product list asks (info, price, sales), then the rest', () => {
    const spec = loadSpec(join(app, 's.yaml'), {});
    const stages = buildStages(spec, spec.functions.find((fn) => fn.resource === 'demo-seed'));
    expect(stages.map((stage) => stage.map((fn) => fn.resource))).toEqual([
      ['demo-seed'],
      ['product-bff', 'product-info', 'product-price', 'product-sales'],
      ['product-inventory', 'product-shipping', 'product-reviews'],
    ]);
  });

  it('answers the first product list complete, then builds and serves everything', async () => {
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    starting = startLocalCloud({ root: app, port, ossPort: 0, tablestorePort: 0, mnsPort: 0, fnfPort: 0, dataDir: join(dir.path, 'data'), env: {}, watch: false });
    starting.catch(() => undefined);
    // Asked while the cloud starts: held until the seed is in, then answered by the first call tree's first part.
    let list: Response | undefined;
    while (!list) {
      list = await fetch(`${url}/api/products`).catch(() => undefined);
      if (!list) await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const first = (await list.json()) as { items: { productId: string }[]; degraded: string[] };
    expect([list.status, first.degraded, first.items.length > 0]).toEqual([200, [], true]);

    const cloud = await starting;
    const stamp = JSON.parse(readFileSync(join(app, 'dist', '.functions-build.json'), 'utf8')) as { functions: Record<string, string> };
    expect(Object.keys(stamp.functions).sort()).toEqual(cloud.spec.functions.map((fn) => fn.resource).sort());
    // The tree's second part, built once the first part was warm, serves the product the list named.
    const productId = first.items[0]!.productId;
    for (const [resource, event] of [['product-shipping', { op: 'get', productId, region: 'cn-hangzhou' }], ['product-inventory', { op: 'get', productId, region: 'cn-hangzhou' }], ['product-reviews', { op: 'get', productId }]] as const) {
      const record = await cloud.invoke(cloud.spec.functions.find((fn) => fn.resource === resource)!.name, event);
      expect([resource, record.status, JSON.parse(record.payload.toString()) as unknown]).toEqual([resource, 'succeeded', { ok: true, data: expect.objectContaining({ productId }) as unknown }]);
    }
    // auth-token is built in the background stage; the seed's users can sign in.
    const user = DEMO_USERS[0];
    const token = await fetch(`${url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: user.username, password: user.password }) });
    expect(token.status).toBe(200);
    expect(((await token.json()) as { token?: string }).token).toEqual(expect.any(String));
  }, 300_000);
});
