import { join } from 'node:path';
import sharp from 'sharp';
import { OssObjectStore } from '#shared/aliyun/oss-object-store';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { encodeTableStreamEvent } from '#shared/contracts/table-stream';
import { TABLES } from '#shared/contracts/tables';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import type { ImageView, SearchHitView, UploadTicket } from '#shared/contracts/images';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The image pipeline through the local cloud on the real s.yaml, as the browser uses it: sign in, ask
 * for an upload URL, PUT the bytes straight to the OSS emulator with plain fetch, then watch the image go
 * from pending to ready (OSS trigger → make-thumbnail → OSS trigger → catalog-image → TableStore stream →
 * index-image) and find it with search. Once with each image engine.
 */
const MEDIA_BUCKET = 'fcsuite-dev-media';

interface Pipeline {
  cloud: LocalCloud;
  token: string;
  /** Offset added to the OSS emulator's clock (to expire signed URLs). */
  skewMs: { value: number };
  store: OssObjectStore;
}

async function startPipeline(dir: ReturnType<typeof tempDir>, env: NodeJS.ProcessEnv): Promise<Pipeline> {
  const skewMs = { value: 0 };
  const cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env, asyncRetryBaseMs: 20, ossClock: () => Date.now() + skewMs.value });
  const res = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'alice', password: 'alice-demo' }) });
  const { token } = (await res.json()) as { token: string };
  const store = new OssObjectStore({ bucket: MEDIA_BUCKET, region: cloud.spec.region, endpoint: cloud.oss.endpoint, credentials: LOCAL_CREDENTIALS });
  return { cloud, token, skewMs, store };
}

async function photo(width = 1200, height = 900, format: 'jpeg' | 'png' | 'webp' = 'jpeg'): Promise<Buffer> {
  // A gradient with some structure, so encoders have real work and thumbnails can be looked at.
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><defs><linearGradient id="g"><stop offset="0" stop-color="#f60"/><stop offset="1" stop-color="#06c"/></linearGradient></defs><rect width="100%" height="100%" fill="url(#g)"/><circle cx="${width / 2}" cy="${height / 2}" r="${height / 3}" fill="#fff" fill-opacity="0.6"/></svg>`;
  return sharp(Buffer.from(svg))[format]().toBuffer();
}

async function requestUpload(p: Pipeline, body: Record<string, unknown>, token: string | null = p.token): Promise<Response> {
  return fetch(`${p.cloud.url}/api/uploads`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body),
  });
}

async function ticketFor(p: Pipeline, bytes: Buffer, extra: Record<string, unknown> = {}): Promise<UploadTicket> {
  const res = await requestUpload(p, { filename: 'holiday.jpg', contentType: 'image/jpeg', size: bytes.length, ...extra });
  expect(res.status).toBe(201);
  return (await res.json()) as UploadTicket;
}

const putSigned = (url: string, bytes: Buffer, headers: Record<string, string>) => fetch(url, { method: 'PUT', headers, body: new Uint8Array(bytes) });

async function imageView(p: Pipeline, imageId: string): Promise<ImageView> {
  const res = await fetch(`${p.cloud.url}/api/images/${imageId}`);
  expect(res.status).toBe(200);
  return (await res.json()) as ImageView;
}

async function waitForStatus(p: Pipeline, imageId: string, status: ImageView['status']): Promise<ImageView> {
  return eventually(
    async () => {
      const view = await imageView(p, imageId);
      expect(view.status).toBe(status);
      return view;
    },
    { timeoutMs: 30000, intervalMs: 100 },
  );
}

async function search(p: Pipeline, query: string): Promise<SearchHitView[]> {
  const res = await fetch(`${p.cloud.url}/api/search?${query}`);
  expect(res.status).toBe(200);
  return ((await res.json()) as { hits: SearchHitView[] }).hits;
}

/** Every object key under `prefix` in the media bucket. */
async function keysUnder(p: Pipeline, prefix: string): Promise<string[]> {
  return (await p.store.list({ prefix })).objects.map((o) => o.key);
}

describe.each([
  ['sharp', {}],
  ['jimp', { IMAGE_ENGINE: 'jimp' }],
])('image pipeline with the %s engine', (engine, env) => {
  const dir = tempDir(`img-${engine}-`);
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline(dir, env);
  });
  afterAll(async () => {
    await p?.cloud.stop();
    dir.cleanup();
  });

  it('takes a signed direct upload to ready, with a real 256-px WebP thumbnail, and finds it by search', async () => {
    const word = `lighthouse${engine}${Date.now().toString(36)}`;
    const bytes = await photo();
    const ticket = await ticketFor(p, bytes, { title: `Evening ${word}`, tags: ['Coast', 'evening'], productId: 'p-aurora-headphones' });
    expect(ticket.key).toBe(`uploads/${ticket.imageId}.jpg`);
    expect(ticket.headers).toEqual({ 'Content-Type': 'image/jpeg' });
    expect((await imageView(p, ticket.imageId)).status).toBe('pending');

    const put = await putSigned(ticket.uploadUrl, bytes, ticket.headers);
    expect(put.status).toBe(200);

    const ready = await waitForStatus(p, ticket.imageId, 'ready');
    expect(ready).toMatchObject({ width: 1200, height: 900, format: 'jpeg', size: bytes.length, tags: ['coast', 'evening'], productId: 'p-aurora-headphones' });
    // The engine asked for really ran (sharp must not fall back to jimp unnoticed, e.g. when an instance cannot load it).
    const written = p.cloud.runtime
      .recent({ functionName: 'make-thumbnail', limit: 100 })
      .flatMap((r) => r.logs.split('\n'))
      .find((line) => line.includes('thumbnails written') && line.includes(ticket.imageId));
    expect((JSON.parse(written!) as { engine: string }).engine).toBe(engine);

    const thumb = await fetch(`${p.cloud.url}${ready.thumbnails!.small}`);
    expect(thumb.status).toBe(200);
    expect(thumb.headers.get('content-type')).toBe('image/webp');
    const meta = await sharp(Buffer.from(await thumb.arrayBuffer())).metadata();
    expect(meta).toMatchObject({ format: 'webp', width: 256, height: 192 });
    const large = await sharp(Buffer.from(await (await fetch(`${p.cloud.url}${ready.thumbnails!.large}`)).arrayBuffer())).metadata();
    expect(large).toMatchObject({ format: 'webp', width: 1024, height: 768 });

    const hits = await eventually(async () => {
      const found = await search(p, `q=${word}`);
      expect(found.map((h) => h.imageId)).toEqual([ticket.imageId]);
      return found;
    });
    expect(hits[0]).toMatchObject({ title: `Evening ${word}`, width: 1200, height: 900, thumbnails: ready.thumbnails });
    expect((await search(p, `tag=coast&productId=p-aurora-headphones`)).map((h) => h.imageId)).toContain(ticket.imageId);

    // The buyer show on the product page picks it up (reviews part; the BFF caches it up to a minute,
    // so ask for a region this test has not asked for before).
    await eventually(async () => {
      const res = await fetch(`${p.cloud.url}/api/products/p-aurora-headphones?client=web&region=ap-southeast-1`);
      const page = (await res.json()) as { buyerShow?: { imageId: string }[] };
      expect(page.buyerShow?.map((b) => b.imageId)).toContain(ticket.imageId);
    });
  });

  it('rejects bytes that are not an image, deleting the upload and leaving no thumbnails or search document', async () => {
    const bytes = Buffer.from('%PDF-1.7 this is not a photo at all '.repeat(20));
    const ticket = await ticketFor(p, bytes, { title: 'sneaky pdf' });
    expect((await putSigned(ticket.uploadUrl, bytes, ticket.headers)).status).toBe(200);
    const rejected = await waitForStatus(p, ticket.imageId, 'rejected');
    expect(rejected.reason).toBe('unsupported-type');
    expect(rejected.thumbnails).toBeUndefined();
    await eventually(async () => expect(await keysUnder(p, ticket.key)).toEqual([]));
    expect(await keysUnder(p, `thumbs/${ticket.imageId}/`)).toEqual([]);
    expect((await fetch(`${p.cloud.url}/api/images/${ticket.imageId}/thumbnail/256`)).status).toBe(404);
  });
});

describe('image pipeline security and idempotency', () => {
  const dir = tempDir('img-sec-');
  let p: Pipeline;
  beforeAll(async () => {
    p = await startPipeline(dir, {});
  });
  afterAll(async () => {
    await p?.cloud.stop();
    dir.cleanup();
  });

  /** The upload was refused: the row stays pending (true), no object exists, nothing is searchable. */
  async function expectNothingStored(ticket: UploadTicket): Promise<void> {
    expect(await keysUnder(p, ticket.key)).toEqual([]);
    expect((await imageView(p, ticket.imageId)).status).toBe('pending');
    expect(await keysUnder(p, `thumbs/${ticket.imageId}/`)).toEqual([]);
  }

  it('gives the media bucket the template\'s CORS rule with the local site as its origin: PUT preflights pass, DELETE ones do not', async () => {
    const preflight = (method: string) =>
      fetch(`${p.cloud.oss.endpoint}/${MEDIA_BUCKET}/uploads/x.jpg`, { method: 'OPTIONS', headers: { Origin: p.cloud.url, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' } });
    const put = await preflight('PUT');
    expect([put.status, put.headers.get('access-control-allow-origin'), put.headers.get('access-control-max-age')]).toEqual([200, p.cloud.url, '600']);
    expect((await preflight('DELETE')).status).toBe(403);
  });

  it('refuses a tampered signature with OSS’s 403 SignatureDoesNotMatch', async () => {
    const bytes = await photo(400, 300);
    const ticket = await ticketFor(p, bytes);
    const url = new URL(ticket.uploadUrl);
    const signature = url.searchParams.get('x-oss-signature')!;
    url.searchParams.set('x-oss-signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const res = await putSigned(url.toString(), bytes, ticket.headers);
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<Code>SignatureDoesNotMatch</Code>');
    await expectNothingStored(ticket);
  });

  it('refuses an expired URL with 403 AccessDenied', async () => {
    const bytes = await photo(400, 300);
    const ticket = await ticketFor(p, bytes);
    p.skewMs.value = 16 * 60 * 1000;
    try {
      const res = await putSigned(ticket.uploadUrl, bytes, ticket.headers);
      expect(res.status).toBe(403);
      expect(await res.text()).toMatch(/<Code>AccessDenied<\/Code>[\s\S]*expired/);
    } finally {
      p.skewMs.value = 0;
    }
    await expectNothingStored(ticket);
  });

  it('refuses another Content-Type than the signed one', async () => {
    const bytes = await photo(400, 300, 'png');
    const ticket = await ticketFor(p, bytes);
    const res = await putSigned(ticket.uploadUrl, bytes, { 'Content-Type': 'image/png' });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('SignatureDoesNotMatch');
    await expectNothingStored(ticket);
  });

  it('refuses to write outside uploads/ with the URL, and never lets the client choose the key', async () => {
    const bytes = await photo(400, 300);
    const ticket = await ticketFor(p, bytes);
    const url = new URL(ticket.uploadUrl);
    url.pathname = url.pathname.replace('/uploads/', '/thumbs/');
    const res = await putSigned(url.toString(), bytes, ticket.headers);
    expect(res.status).toBe(403);
    expect(await keysUnder(p, `thumbs/${ticket.imageId}`)).toEqual([]);
    await expectNothingStored(ticket);

    const smuggled = await requestUpload(p, { filename: 'a.jpg', contentType: 'image/jpeg', size: 10, key: 'thumbs/evil.webp' });
    expect(smuggled.status).toBe(400);
    expect(JSON.stringify(await smuggled.json())).toContain('key');
  });

  it.each([
    ['path traversal in the filename', { filename: '../../etc/passwd.jpg', contentType: 'image/jpeg', size: 100 }, 'filename'],
    ['a folder in the filename', { filename: 'a\\b.jpg', contentType: 'image/jpeg', size: 100 }, 'filename'],
    ['an oversize declaration', { filename: 'big.jpg', contentType: 'image/jpeg', size: 20 * 1024 * 1024 + 1 }, 'size'],
    ['a type that is not an image', { filename: 'doc.pdf', contentType: 'application/pdf', size: 100 }, 'contentType'],
    ['a bad product id', { filename: 'a.jpg', contentType: 'image/jpeg', size: 100, productId: '../p' }, 'productId'],
    ['a product that does not exist', { filename: 'a.jpg', contentType: 'image/jpeg', size: 100, productId: 'p-no-such-product' }, 'productId'],
  ])('answers 400 naming the field for %s, and records nothing', async (_case, body, field) => {
    const before = await imageRowCount();
    const res = await requestUpload(p, body);
    expect(res.status).toBe(400);
    const error = (await res.json()) as { error: { code: string; details: { path: string }[] } };
    expect(error.error.code).toBe('ValidationError');
    expect(error.error.details.map((d) => d.path)).toContain(`body.${field}`);
    expect(await imageRowCount()).toBe(before);
  });

  /** Rows of the local `images` table, read through the local TableStore with the SDK adapter. */
  async function imageRowCount(): Promise<number> {
    const table = new TableStoreTable({ endpoint: p.cloud.tablestore.endpoint, instance: p.cloud.tablestore.instance!, credentials: LOCAL_CREDENTIALS, schemas: [TABLES.images] });
    return (await table.getRange(TABLES.images.name, { start: { imageId: INF_MIN }, end: { imageId: INF_MAX } })).rows.length;
  }

  it('answers 401 without a token', async () => {
    const res = await requestUpload(p, { filename: 'a.jpg', contentType: 'image/jpeg', size: 100 }, null);
    expect(res.status).toBe(401);
  });

  it('rejects bytes larger than 20 MB even when the declaration was small, and deletes them', async () => {
    const bytes = Buffer.concat([await photo(400, 300), Buffer.alloc(20 * 1024 * 1024)]);
    const ticket = await ticketFor(p, Buffer.alloc(1000));
    expect((await putSigned(ticket.uploadUrl, bytes, ticket.headers)).status).toBe(200);
    const rejected = await waitForStatus(p, ticket.imageId, 'rejected');
    expect(rejected.reason).toBe('too-large-bytes');
    await eventually(async () => expect(await keysUnder(p, ticket.key)).toEqual([]));
  });

  it('rejects a truncated JPEG as corrupt', async () => {
    const whole = await photo(800, 600);
    const bytes = whole.subarray(0, Math.floor(whole.length / 3));
    const ticket = await ticketFor(p, bytes);
    expect((await putSigned(ticket.uploadUrl, bytes, ticket.headers)).status).toBe(200);
    expect((await waitForStatus(p, ticket.imageId, 'rejected')).reason).toBe('corrupt');
  });

  it('treats redelivered OSS and stream events as done: one thumbnail set, one search document', async () => {
    const word = `redeliver${Date.now().toString(36)}`;
    const bytes = await photo(640, 480);
    const ticket = await ticketFor(p, bytes, { title: word });
    expect((await putSigned(ticket.uploadUrl, bytes, ticket.headers)).status).toBe(200);
    const ready = await waitForStatus(p, ticket.imageId, 'ready');
    await eventually(async () => expect(await search(p, `q=${word}`)).toHaveLength(1));

    const { cloud } = p;
    const fnName = (resource: string) => cloud.spec.functions.find((f) => f.resource === resource)!.name;

    // Deliver the same OSS events again, as OSS may (at-least-once).
    const asyncEvents = cloud.asyncInvoker.list(1000).filter((row) => row.payload.toString().includes(ticket.imageId));
    const uploads = asyncEvents.filter((row) => row.function_name === fnName('make-thumbnail'));
    const thumbs = asyncEvents.filter((row) => row.function_name === fnName('catalog-image'));
    expect(uploads).toHaveLength(1);
    expect(thumbs).toHaveLength(1);
    const again = [...uploads, ...uploads, ...thumbs, ...thumbs].map((row) => cloud.asyncInvoker.enqueue(row.function_name, row.payload, row.source));
    await eventually(() => expect(again.map((id) => cloud.asyncInvoker.get(id)?.status)).toEqual(again.map(() => 'succeeded')), { timeoutMs: 30000 });
    // And a stream record of the row, twice, as the TableStore trigger may.
    const streamEvent = encodeTableStreamEvent([{ type: 'UpdateRow', primaryKey: { imageId: ticket.imageId }, columns: [{ type: 'Put', name: 'status', value: 'ready', timestamp: Date.now() }], timestamp: Date.now() }]);
    for (let i = 0; i < 2; i++) expect((await cloud.invoke(fnName('index-image'), streamEvent, 'test')).status).toBe('succeeded');

    expect((await keysUnder(p, `thumbs/${ticket.imageId}/`)).sort()).toEqual([`thumbs/${ticket.imageId}/1024.webp`, `thumbs/${ticket.imageId}/256.webp`]);
    expect(await imageView(p, ticket.imageId)).toEqual(ready);
    expect((await search(p, `q=${word}`)).map((h) => h.imageId)).toEqual([ticket.imageId]);
  });
});
