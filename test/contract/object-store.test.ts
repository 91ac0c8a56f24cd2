/**
 * ObjectStore contract, run against the OssObjectStore adapter (ali-oss) pointed at the local OSS emulator — the
 * same pairing functions use locally — twice: with signature V4 (what the functions use) and with V1 (ali-oss's
 * default, and `signatureUrl()` URLs). Presigned URLs are exercised with plain fetch, as a browser would use them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { OssObjectStore, ossObjectStoreFromEnv } from '#shared/aliyun/oss-object-store';
import { AppError, NotFoundError } from '#shared/errors';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startOssEmulator, type OssEmulator, type OssNotification } from '../../scripts/local/emulators/oss';
import { Crc64 } from '../../scripts/local/emulators/oss/crc64';

const REGION = 'cn-hangzhou';
const BUCKET = 'contract-objects';

let dir: string;
let db: Database.Database;
let emulator: OssEmulator;
let store: OssObjectStore;
const events: OssNotification[] = [];
const run = randomUUID().slice(0, 8);
let seq = 0;
/** A key no other test (or earlier run over the same data) uses. */
const uniqueKey = (name: string) => `t-${run}-${++seq}/${name}`;
const md5Hex = (bytes: Buffer) => createHash('md5').update(bytes).digest('hex').toUpperCase();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oss-contract-'));
  db = new Database(join(dir, 'local.db'));
  emulator = await startOssEmulator({ dataDir: dir, db, region: REGION, buckets: [BUCKET], corsOrigins: '*', onEvent: (n) => events.push(n) });
  store = new OssObjectStore({ bucket: BUCKET, region: REGION, endpoint: emulator.endpoint, credentials: LOCAL_CREDENTIALS });
});

afterAll(async () => {
  await emulator.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe.each([4, 1] as const)('ObjectStore contract, signature V%i', (signatureVersion) => {
  beforeAll(() => {
    store = new OssObjectStore({ bucket: BUCKET, region: REGION, endpoint: emulator.endpoint, credentials: LOCAL_CREDENTIALS, signatureVersion });
  });

  describe('put / get / head', () => {
    it('round-trips bytes, content type, metadata and an MD5 ETag', async () => {
      const key = uniqueKey('photo.png');
      const body = Buffer.from('not really a png');
      const { etag } = await store.put(key, body, { contentType: 'image/png', meta: { imageid: 'img_1', owner: 'alice' } });
      expect(etag).toBe(md5Hex(body));

      const got = await store.get(key);
      expect(got?.body.equals(body)).toBe(true);
      expect(got?.info).toMatchObject({ key, size: body.length, etag, contentType: 'image/png', meta: { imageid: 'img_1', owner: 'alice' } });
      expect(got?.info.lastModified).toBeInstanceOf(Date);

      const head = await store.head(key);
      expect(head).toMatchObject({ key, size: body.length, etag, contentType: 'image/png', meta: { imageid: 'img_1', owner: 'alice' } });
    });

    it('emits ObjectCreated:PutObject with the ETag, size and request id', async () => {
      const key = uniqueKey('event.txt');
      const { etag } = await store.put(key, Buffer.from('hello'));
      const event = events.find((n) => n.key === key);
      expect(event).toMatchObject({ eventName: 'ObjectCreated:PutObject', bucket: BUCKET, key, size: 5, deltaSize: 5, eTag: etag });
      expect(event?.requestId).toMatch(/^[0-9A-F]{24}$/);
      expect(event?.sourceIp).toMatch(/127\.0\.0\.1|::1/);
    });

    it('overwrites: the latest body wins and deltaSize is the difference', async () => {
      const key = uniqueKey('overwrite.txt');
      await store.put(key, Buffer.from('first version'));
      await store.put(key, Buffer.from('v2'));
      expect((await store.get(key))?.body.toString()).toBe('v2');
      expect(events.filter((n) => n.key === key).map((n) => n.deltaSize)).toEqual([13, 2 - 13]);
    });

    it('keeps keys with spaces, unicode and reserved characters intact', async () => {
      const key = uniqueKey("dir/ü späce+plus(1)!*'~.txt");
      await store.put(key, Buffer.from('odd key'));
      expect((await store.get(key))?.body.toString()).toBe('odd key');
      const page = await store.list({ prefix: key });
      expect(page.objects.map((o) => o.key)).toEqual([key]);
    });

    it('reads a byte range and reports the full object size', async () => {
      const key = uniqueKey('range.bin');
      const body = Buffer.from('0123456789abcdef');
      await store.put(key, body);
      const got = await store.get(key, { range: { start: 4, end: 9 } });
      expect(got?.body.toString()).toBe('456789');
      expect(got?.info.size).toBe(16);
    });

    it('rejects a range that starts past the end with 416 instead of sending the whole object', async () => {
      const key = uniqueKey('short.bin');
      await store.put(key, Buffer.from('abc'));
      await expect(store.get(key, { range: { start: 10, end: 20 } })).rejects.toMatchObject({ status: 416, code: 'InvalidRange' });
      await expect(store.get(key, { range: { start: 10, end: 20 } })).rejects.toBeInstanceOf(AppError);
    });

    it('returns undefined for a missing object on get and head', async () => {
      await expect(store.get(uniqueKey('missing'))).resolves.toBeUndefined();
      await expect(store.head(uniqueKey('missing'))).resolves.toBeUndefined();
    });

    it('serves Cache-Control and CRC-64 headers like OSS', async () => {
      const key = uniqueKey('cached.txt');
      const body = Buffer.from('cache me');
      await store.put(key, body, { contentType: 'text/plain', cacheControl: 'public, max-age=60' });
      const { url } = await store.signUrl('GET', key, { expiresInSeconds: 60 });
      const response = await fetch(url);
      expect(response.status).toBe(200);
      expect(response.headers.get('cache-control')).toBe('public, max-age=60');
      expect(response.headers.get('x-oss-hash-crc64ecma')).toBe(new Crc64().update(body).digest());
      expect(response.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
      expect(response.headers.get('etag')).toBe(`"${md5Hex(body)}"`);
    });
  });

  describe('delete', () => {
    it('deletes one object, and deleting a missing one is not an error', async () => {
      const key = uniqueKey('gone.txt');
      await store.put(key, Buffer.from('bye'));
      await store.delete(key);
      await expect(store.head(key)).resolves.toBeUndefined();
      await expect(store.delete(key)).resolves.toBeUndefined();
      expect(events.filter((n) => n.key === key).map((n) => n.eventName)).toEqual(['ObjectCreated:PutObject', 'ObjectRemoved:DeleteObject']);
    });

    it('deletes many objects at once, ignoring missing keys', async () => {
      const keys = [uniqueKey("it's & <odd>"), uniqueKey('b 007'), uniqueKey('c')];
      for (const key of keys) await store.put(key, Buffer.from(key));
      await store.deleteMany([keys[0]!, keys[1]!, uniqueKey('never-existed')]);
      await expect(store.head(keys[0]!)).resolves.toBeUndefined();
      await expect(store.head(keys[1]!)).resolves.toBeUndefined();
      await expect(store.head(keys[2]!)).resolves.toBeDefined();
      expect(events.filter((n) => n.eventName === 'ObjectRemoved:DeleteObjects').map((n) => n.key)).toEqual(expect.arrayContaining([keys[0], keys[1]]));
      await expect(store.deleteMany([])).resolves.toBeUndefined();
    });
  });

  describe('copy', () => {
    it('copies bytes, content type and metadata', async () => {
      const from = uniqueKey('source.png');
      const to = uniqueKey('copy.png');
      const { etag } = await store.put(from, Buffer.from('copied bytes'), { contentType: 'image/webp', meta: { imageid: 'img_9' } });
      await store.copy(from, to);
      const copy = await store.get(to);
      expect(copy?.body.toString()).toBe('copied bytes');
      expect(copy?.info).toMatchObject({ etag, contentType: 'image/webp', meta: { imageid: 'img_9' } });
      expect(events.find((n) => n.key === to)?.eventName).toBe('ObjectCreated:CopyObject');
    });

    it('fails with NotFoundError when the source does not exist', async () => {
      await expect(store.copy(uniqueKey('nope'), uniqueKey('dest'))).rejects.toBeInstanceOf(NotFoundError);
    });
  });

  describe('list', () => {
    const base = uniqueKey('tree');
    const files = ['a.txt', 'b.txt', 'sub/c.txt', 'sub/d.txt', 'sub/deeper/e.txt', 'z.txt'].map((name) => `${base}/${name}`);

    beforeAll(async () => {
      for (const key of files) await store.put(key, Buffer.from(key));
    });

    it('lists everything under a prefix in key order', async () => {
      const page = await store.list({ prefix: `${base}/` });
      expect(page.objects.map((o) => o.key)).toEqual([...files].sort());
      expect(page.prefixes).toEqual([]);
      expect(page.nextContinuationToken).toBeUndefined();
      expect(page.objects[0]).toMatchObject({ size: files[0]!.length, etag: md5Hex(Buffer.from(files[0]!)) });
    });

    it('rolls keys up into common prefixes with a delimiter', async () => {
      const page = await store.list({ prefix: `${base}/`, delimiter: '/' });
      expect(page.objects.map((o) => o.key)).toEqual([`${base}/a.txt`, `${base}/b.txt`, `${base}/z.txt`]);
      expect(page.prefixes).toEqual([`${base}/sub/`]);
    });

    it('pages with max-keys and continuation tokens, counting prefixes as entries', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      let pages = 0;
      do {
        const page = await store.list({ prefix: `${base}/`, delimiter: '/', maxKeys: 2, ...(token ? { continuationToken: token } : {}) });
        seen.push(...page.objects.map((o) => o.key), ...page.prefixes);
        expect(page.objects.length + page.prefixes.length).toBeLessThanOrEqual(2);
        token = page.nextContinuationToken;
        pages++;
      } while (token);
      expect(pages).toBe(2);
      expect(seen.sort()).toEqual([`${base}/a.txt`, `${base}/b.txt`, `${base}/sub/`, `${base}/z.txt`].sort());
    });

    it('pages through a flat listing without repeats', async () => {
      const seen: string[] = [];
      let token: string | undefined;
      do {
        const page = await store.list({ prefix: `${base}/sub/`, maxKeys: 1, ...(token ? { continuationToken: token } : {}) });
        seen.push(...page.objects.map((o) => o.key));
        token = page.nextContinuationToken;
      } while (token);
      expect(seen).toEqual([`${base}/sub/c.txt`, `${base}/sub/d.txt`, `${base}/sub/deeper/e.txt`]);
    });
  });

  describe('multipart upload (ali-oss multipartUpload)', () => {
    it('uploads a 6 MB buffer in parts and reads it back whole', async () => {
      const client = new OSS({
        bucket: BUCKET,
        region: `oss-${REGION}`,
        endpoint: emulator.endpoint,
        sldEnable: true,
        authorizationV4: signatureVersion === 4,
        accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
        accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
        stsToken: LOCAL_CREDENTIALS.securityToken,
        refreshSTSToken: async () => ({ ...LOCAL_CREDENTIALS, stsToken: LOCAL_CREDENTIALS.securityToken }),
      } as OSS.Options);
      const key = uniqueKey('big.bin');
      const body = Buffer.alloc(6 * 1024 * 1024 + 123);
      for (let i = 0; i < body.length; i++) body[i] = (i * 31 + (i >> 10)) & 0xff;

      await client.multipartUpload(key, body, { partSize: 1024 * 1024, parallel: 3, mime: 'application/octet-stream', meta: { kind: 'big' } as unknown as OSS.UserMeta });

      const got = await store.get(key);
      expect(got?.body.length).toBe(body.length);
      expect(got?.body.equals(body)).toBe(true);
      expect(got?.info.etag).toMatch(/^[0-9A-F]{32}-7$/);
      expect(got?.info.meta).toEqual({ kind: 'big' });
      expect(events.filter((n) => n.key === key).map((n) => n.eventName)).toEqual([
        'ObjectCreated:InitiateMultipartUpload',
        ...Array<string>(7).fill('ObjectCreated:UploadPart'),
        'ObjectCreated:CompleteMultipartUpload',
      ]);
      const event = events.find((n) => n.key === key && n.eventName === 'ObjectCreated:CompleteMultipartUpload');
      expect(event).toMatchObject({ size: body.length, eTag: got?.info.etag });

      const { url } = await store.signUrl('GET', key, { expiresInSeconds: 60 });
      const response = await fetch(url, { headers: { Range: 'bytes=0-0' } });
      expect(response.headers.get('x-oss-object-type')).toBe('Multipart');
      expect(response.headers.get('x-oss-hash-crc64ecma')).toBe(new Crc64().update(body).digest());
    });
  });

  describe('signed URLs + plain fetch (the browser path)', () => {
    it('PUTs with the bound Content-Type and GETs the object back', async () => {
      const key = uniqueKey('browser.jpg');
      const before = Date.now();
      const signed = await store.signUrl('PUT', key, { expiresInSeconds: 900, contentType: 'image/jpeg' });
      expect(signed.headers).toEqual({ 'Content-Type': 'image/jpeg' });
      expect(signed.url).toContain(signatureVersion === 4 ? 'x-oss-signature-version=OSS4-HMAC-SHA256' : 'OSSAccessKeyId=');
      expect(signed.expiresAt.getTime()).toBeGreaterThanOrEqual(Math.floor(before / 1000) * 1000 + 900_000);
      // ali-oss rounds the V1 `Expires` second to the nearest, so it may lie up to half a second ahead.
      expect(signed.expiresAt.getTime()).toBeLessThanOrEqual(Date.now() + 901_000);

      const body = Buffer.from('jpeg bytes from the browser');
      const put = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body });
      expect(put.status).toBe(200);
      expect(put.headers.get('etag')).toBe(`"${md5Hex(body)}"`);

      const get = await store.signUrl('GET', key, { expiresInSeconds: 60 });
      const response = await fetch(get.url);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/jpeg');
      expect(Buffer.from(await response.arrayBuffer()).equals(body)).toBe(true);
    });

    it('rejects expiry outside 1 s … 7 days before signing', async () => {
      await expect(store.signUrl('GET', 'k', { expiresInSeconds: 0 })).rejects.toMatchObject({ status: 400 });
      await expect(store.signUrl('GET', 'k', { expiresInSeconds: 604801 })).rejects.toMatchObject({ status: 400 });
    });
  });
});

describe('addressing', () => {
  it('also accepts virtual-hosted requests (`Host: <bucket>.oss-<region>.aliyuncs.com`, path `/<key>`)', async () => {
    // ali-oss with an IP endpoint and no sldEnable rewrites Host to the bucket's cloud domain (createRequest.js).
    const client = new OSS({
      bucket: BUCKET,
      region: `oss-${REGION}`,
      endpoint: `http://127.0.0.1:${emulator.port}`,
      authorizationV4: true,
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
      stsToken: LOCAL_CREDENTIALS.securityToken,
      refreshSTSToken: async () => ({ ...LOCAL_CREDENTIALS, stsToken: LOCAL_CREDENTIALS.securityToken }),
    });
    const key = uniqueKey('virtual.txt');
    await client.put(key, Buffer.from('virtual host'));
    expect((await store.get(key))?.body.toString()).toBe('virtual host');
    const listed = await client.listV2({ prefix: key }, {});
    expect(listed.objects.map((o) => o.name)).toEqual([key]);
  });
});

describe('ossObjectStoreFromEnv', () => {
  it('builds a working store from OSS_ENDPOINT and FC_REGION', async () => {
    const fromEnv = ossObjectStoreFromEnv({ OSS_ENDPOINT: emulator.endpoint, FC_REGION: REGION }, LOCAL_CREDENTIALS, BUCKET);
    const key = uniqueKey('env.txt');
    await fromEnv.put(key, Buffer.from('env'));
    expect((await store.get(key))?.body.toString()).toBe('env');
  });

  it('treats a loopback IP endpoint as localhost (ali-oss cannot presign against IPs)', async () => {
    const viaIp = ossObjectStoreFromEnv({ OSS_ENDPOINT: emulator.endpoint.replace('localhost', '127.0.0.1'), OSS_REGION: REGION }, LOCAL_CREDENTIALS, BUCKET);
    const key = uniqueKey('ip.txt');
    await viaIp.put(key, Buffer.from('ip'));
    const { url } = await viaIp.signUrl('GET', key, { expiresInSeconds: 60 });
    expect(url.startsWith(`${emulator.endpoint}/${BUCKET}/`)).toBe(true);
  });

  it('needs a region', () => {
    expect(() => ossObjectStoreFromEnv({}, LOCAL_CREDENTIALS, BUCKET)).toThrow(/OSS_REGION/);
  });
});
