/**
 * The bucket API and bucket configurations through ali-oss (default V1 client) against the OSS emulator: each one
 * stored and returned as OSS returns it, refused with OSS's codes when malformed, and — for ACL, CORS, referer,
 * website, encryption and lifecycle — applied the way OSS applies them.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { errorCode, ossClient, rawRequest, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';

let oss: TestOss;
let client: LooseOss;
const DECLARED = uniqueBucket('declared');
const DAY = 86_400_000;

beforeAll(async () => {
  oss = await startTestOss({ buckets: [DECLARED], corsOrigins: ['http://127.0.0.1:9000'] });
  client = ossClient(oss.emulator);
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

/** A new bucket for one test. */
async function newBucket(options: { acl?: 'private' | 'public-read' | 'public-read-write'; StorageClass?: 'Standard' | 'IA' | 'Archive' } = {}): Promise<string> {
  const name = uniqueBucket();
  await client.putBucket(name, options);
  client.useBucket(name);
  return name;
}

/** A V4 presigned URL for a bucket-level request with a body, to send what ali-oss would never build. */
async function bucketRequestUrl(bucket: string, method: string, sub: string, contentType = 'application/xml'): Promise<string> {
  const signer = ossClient(oss.emulator, { bucket, v4: true });
  return signer.signatureUrlV4(method, 60, { headers: { 'content-type': contentType }, queries: { [sub]: null } }, '');
}

describe('PutBucket, GetBucketInfo, GetBucketLocation, ListBuckets, DeleteBucket', () => {
  it('creates a bucket with a storage class and an ACL, and describes it as OSS does', async () => {
    const name = await newBucket({ StorageClass: 'IA', acl: 'public-read' });
    const info = (await client.getBucketInfo(name)) as unknown as { bucket: Record<string, unknown> };
    expect(info.bucket).toMatchObject({ Name: name, StorageClass: 'IA', Location: 'oss-cn-hangzhou', AccessControlList: { Grant: 'public-read' }, DataRedundancyType: 'LRS' });
    expect((await client.getBucketLocation(name)).location).toBe('oss-cn-hangzhou');
    expect((await client.getBucketACL(name)).acl).toBe('public-read');
    const listed = await client.listBuckets({});
    expect(listed.buckets?.find((b: { name: string }) => b.name === name)).toMatchObject({ region: 'oss-cn-hangzhou' });
    await client.put('x.txt', Buffer.from('x'));
    expect((await client.head('x.txt')).res.headers['x-oss-storage-class']).toBe('IA');
  });

  it('pages ListBuckets with prefix, marker and max-keys', async () => {
    const prefix = uniqueBucket('page');
    for (const n of ['a', 'b', 'c']) await client.putBucket(`${prefix}-${n}`);
    const first = await client.listBuckets({ prefix, 'max-keys': 2 });
    expect(first.buckets.map((b: { name: string }) => b.name)).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect([first.isTruncated, first.nextMarker]).toEqual([true, `${prefix}-b`]);
    const second = await client.listBuckets({ prefix, marker: first.nextMarker, 'max-keys': 2 });
    expect(second.buckets.map((b: { name: string }) => b.name)).toEqual([`${prefix}-c`]);
    expect(second.isTruncated).toBe(false);
  });

  it('lists 100 buckets when max-keys is not given, as OSS and ali-oss document (D155)', async () => {
    const prefix = uniqueBucket('hundred');
    for (let i = 0; i < 101; i++) await client.putBucket(`${prefix}-${String(i).padStart(3, '0')}`);
    const first = await client.listBuckets({ prefix });
    expect([first.buckets.length, first.isTruncated, first.nextMarker]).toEqual([100, true, `${prefix}-099`]);
    const rest = await client.listBuckets({ prefix, marker: first.nextMarker });
    expect([rest.buckets.map((b: { name: string }) => b.name), rest.isTruncated]).toEqual([[`${prefix}-100`], false]);
  });

  it('lists buckets by tag and by resource group instead of ignoring the filter (D155)', async () => {
    const prefix = uniqueBucket('tagged');
    for (const n of ['a', 'b', 'c']) await client.putBucket(`${prefix}-${n}`);
    await client.putBucketTags(`${prefix}-a`, { team: 'shop' });
    await client.putBucketTags(`${prefix}-b`, { team: 'iot' });
    const names = async (query: object, options?: object) => ((await client.listBuckets({ prefix, ...query }, options)).buckets ?? []).map((b: { name: string }) => b.name);
    expect(await names({ 'tag-key': 'team' })).toEqual([`${prefix}-a`, `${prefix}-b`]);
    expect(await names({ 'tag-key': 'team', 'tag-value': 'iot' })).toEqual([`${prefix}-b`]);
    expect(await names({ 'tag-key': 'owner' })).toEqual([]);
    await expect(client.listBuckets({ 'tag-value': 'iot' })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringMatching(/tag-key/) });
    expect(await names({}, { headers: { 'x-oss-resource-group-id': 'rg-default-id' } })).toHaveLength(3);
    expect(await names({}, { headers: { 'x-oss-resource-group-id': 'rg-aek27tc0000' } })).toEqual([]);
    await expect(client.listBuckets({}, { headers: { 'x-oss-resource-group-id': 'group-1' } })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });

  it('refuses a second PutBucket with 409 BucketAlreadyExists', async () => {
    const name = await newBucket();
    await expect(client.putBucket(name)).rejects.toMatchObject({ status: 409, code: 'BucketAlreadyExists' });
  });

  it('refuses to delete a bucket with objects or unfinished uploads (409 BucketNotEmpty), then deletes it', async () => {
    const name = await newBucket();
    await client.put('keep.txt', Buffer.from('x'));
    await expect(client.deleteBucket(name)).rejects.toMatchObject({ status: 409, code: 'BucketNotEmpty' });
    await client.delete('keep.txt');
    const { uploadId } = await client.initMultipartUpload('pending.bin');
    await expect(client.deleteBucket(name)).rejects.toMatchObject({ status: 409, code: 'BucketNotEmpty' });
    await client.abortMultipartUpload('pending.bin', uploadId);
    await client.deleteBucket(name);
    await expect(client.getBucketInfo(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchBucket' });
  });

  it('keeps new buckets and their objects and configuration in the data folder across restarts', async () => {
    const name = uniqueBucket('persist');
    const first = await startTestOss({ buckets: [] });
    const c1 = ossClient(first.emulator, { bucket: name });
    await c1.putBucket(name);
    await c1.put('kept.txt', Buffer.from('still here'));
    await c1.putBucketTags(name, { env: 'dev' });
    await first.stop(true);
    const second = await startTestOss({ dataDir: first.dataDir, buckets: [] });
    try {
      const c2 = ossClient(second.emulator, { bucket: name });
      expect((await c2.get('kept.txt')).content.toString()).toBe('still here');
      expect((await c2.getBucketTags(name)).tag).toEqual({ env: 'dev' });
    } finally {
      await second.stop();
    }
  });

  it('imports the buckets and objects of a data folder from before the emulator had its own database', async () => {
    const name = uniqueBucket('legacy');
    const dir = mkdtempSync(join(tmpdir(), 'oss-legacy-'));
    // Before, the emulator kept its rows in the local cloud's cloud.sqlite.
    const legacyDb = new Database(join(dir, 'cloud.sqlite'));
    const old = await startTestOss({ dataDir: dir, db: legacyDb, buckets: [name] });
    await ossClient(old.emulator, { bucket: name }).put('old.txt', Buffer.from('from before'));
    await old.stop(true);
    legacyDb.close();
    const upgraded = await startTestOss({ dataDir: dir, buckets: [] });
    try {
      expect((await ossClient(upgraded.emulator, { bucket: name }).get('old.txt')).content.toString()).toBe('from before');
    } finally {
      await upgraded.stop();
    }
  });

  it('has the buckets declared in configuration at start, with their CORS rule', async () => {
    expect(oss.emulator.listBuckets().map((b) => b.name)).toContain(DECLARED);
    const rules = (await client.getBucketCORS(DECLARED)).rules;
    expect(rules[0]).toMatchObject({ allowedOrigin: 'http://127.0.0.1:9000' });
  });
});

describe('CORS rules declared for a bucket (a ROS template\'s CORSConfiguration)', () => {
  const ORIGIN = 'http://127.0.0.1:9000';
  const RULED = uniqueBucket('ruled');
  const BARE = uniqueBucket('bare');
  let declared: TestOss;
  beforeAll(async () => {
    declared = await startTestOss({
      buckets: [RULED, BARE],
      corsOrigins: [ORIGIN],
      bucketCors: { [RULED]: [{ allowedOrigins: [ORIGIN], allowedMethods: ['GET', 'PUT', 'HEAD'], allowedHeaders: ['*'], exposeHeaders: ['ETag', 'x-oss-request-id'], maxAgeSeconds: 600 }], [BARE]: [] },
    });
  });
  afterAll(() => declared.stop());

  const preflight = (bucket: string, method: string) =>
    rawRequest(declared.emulator.port, 'OPTIONS', `/${bucket}/photo.jpg`, { Origin: ORIGIN, 'Access-Control-Request-Method': method, 'Access-Control-Request-Headers': 'content-type' });

  it('is the rule the bucket has after start, exactly as declared, and decides preflights by its methods', async () => {
    const rules = (await ossClient(declared.emulator).getBucketCORS(RULED)).rules;
    expect(rules).toEqual([{ allowedOrigin: ORIGIN, allowedMethod: ['GET', 'PUT', 'HEAD'], allowedHeader: '*', exposeHeader: ['ETag', 'x-oss-request-id'], maxAgeSeconds: '600' }]);
    const put = await preflight(RULED, 'PUT');
    expect([put.status, put.headers['access-control-allow-origin'], put.headers['access-control-max-age']]).toEqual([200, ORIGIN, '600']);
    // DELETE and POST are not in the template's rule: refused locally as the deployed bucket refuses them.
    for (const method of ['DELETE', 'POST']) expect([(await preflight(RULED, method)).status, errorCode((await preflight(RULED, method)).text)]).toEqual([403, 'AccessForbidden']);
  });

  it('a declared bucket whose template has no CORSConfiguration has none locally either', async () => {
    await expect(ossClient(declared.emulator).getBucketCORS(BARE)).rejects.toMatchObject({ status: 404, code: 'NoSuchCORSConfiguration' });
    expect((await preflight(BARE, 'GET')).status).toBe(403);
  });
});

describe('ACL', () => {
  it('decides anonymous access from the bucket ACL, overridden by the object ACL', async () => {
    const name = await newBucket();
    await client.put('doc.txt', Buffer.from('public?'));
    const anonymousGet = () => rawRequest(oss.emulator.port, 'GET', `/${name}/doc.txt`);
    const anonymousPut = () => rawRequest(oss.emulator.port, 'PUT', `/${name}/anon.txt`, { 'Content-Length': 4 }, 'anon');
    expect((await anonymousGet()).status).toBe(403);
    await client.putBucketACL(name, 'public-read');
    expect((await anonymousGet()).text).toBe('public?');
    expect(errorCode((await anonymousPut()).text)).toBe('AccessDenied');
    await client.putBucketACL(name, 'public-read-write');
    expect((await anonymousPut()).status).toBe(200);
    await client.putACL('doc.txt', 'private');
    expect((await anonymousGet()).status).toBe(403);
    // Bucket configuration is never anonymous.
    expect((await rawRequest(oss.emulator.port, 'GET', `/${name}?acl`)).status).toBe(403);
  });

  it('refuses an unknown ACL with 400 InvalidArgument', async () => {
    const name = await newBucket();
    await expect(client.putBucketACL(name, 'world-writable')).rejects.toMatchObject({ status: 400, code: 'InvalidArgument' });
  });
});

describe('CORS', () => {
  it('stores rules, answers preflights from them, and forgets them on delete', async () => {
    const name = await newBucket();
    const preflight = (origin: string) =>
      fetch(`${oss.emulator.endpoint}/${name}/x.png`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' } });
    expect((await preflight('https://shop.example')).status).toBe(403);
    await client.putBucketCORS(name, [{ allowedOrigin: 'https://*.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag', maxAgeSeconds: '60' }]);
    const rules = (await client.getBucketCORS(name)).rules;
    expect(rules).toEqual([{ allowedOrigin: 'https://*.example', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag', maxAgeSeconds: '60' }]);
    const ok = await preflight('https://shop.example');
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(ok.headers.get('access-control-max-age')).toBe('60');
    expect((await preflight('https://evil.test')).status).toBe(403);
    await client.deleteBucketCORS(name);
    await expect(client.getBucketCORS(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchCORSConfiguration' });
    expect((await preflight('https://shop.example')).status).toBe(403);
  });

  it('refuses a rule without an origin, and malformed XML', async () => {
    const name = await newBucket();
    const url = await bucketRequestUrl(name, 'PUT', 'cors');
    for (const [body, code] of [
      ['<CORSConfiguration><CORSRule><AllowedMethod>GET</AllowedMethod></CORSRule></CORSConfiguration>', 'InvalidArgument'],
      ['<CORSConfiguration><CORSRule><AllowedOrigin>*</AllowedOrigin><AllowedMethod>PATCH</AllowedMethod></CORSRule></CORSConfiguration>', 'InvalidArgument'],
      ['<CORSConfiguration><CORSRule>', 'MalformedXML'],
    ] as const) {
      const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/xml' }, body });
      const text = await response.text();
      expect([response.status, errorCode(text)]).toEqual([400, code]);
    }
    await expect(client.getBucketCORS(name)).rejects.toMatchObject({ code: 'NoSuchCORSConfiguration' });
  });
});

describe('Referer', () => {
  it('stores the lists and applies them to anonymous and presigned requests, not to signed headers', async () => {
    const name = await newBucket({ acl: 'public-read' });
    await client.put('pic.png', Buffer.from('png'));
    expect(await client.getBucketReferer(name)).toMatchObject({ allowEmpty: true, referers: null });
    await client.putBucketReferer(name, false, ['https://shop.example/*', 'https://*.cdn.example/*']);
    expect(await client.getBucketReferer(name)).toMatchObject({ allowEmpty: false, referers: ['https://shop.example/*', 'https://*.cdn.example/*'] });
    const get = (referer?: string) => rawRequest(oss.emulator.port, 'GET', `/${name}/pic.png`, referer ? { Referer: referer } : {});
    expect((await get('https://shop.example/p/1')).status).toBe(200);
    expect((await get('https://img.cdn.example/a')).status).toBe(200);
    expect(errorCode((await get('https://evil.test/')).text)).toBe('AccessDenied');
    expect((await get()).status).toBe(403);
    const presigned = client.signatureUrl('pic.png', { expires: 60 });
    expect((await fetch(presigned, { headers: { Referer: 'https://evil.test/' } })).status).toBe(403);
    expect((await client.get('pic.png')).content.toString()).toBe('png');
  });
});

describe('Website', () => {
  it('stores the configuration and serves index and error documents to anonymous readers', async () => {
    const name = await newBucket({ acl: 'public-read' });
    await client.put('index.html', Buffer.from('<h1>home</h1>'), { mime: 'text/html' });
    await client.put('docs/index.html', Buffer.from('<h1>docs</h1>'), { mime: 'text/html' });
    await client.put('404.html', Buffer.from('<h1>not here</h1>'), { mime: 'text/html' });
    await client.putBucketWebsite(name, { index: 'index.html', supportSubDir: true, error: '404.html' });
    expect(await client.getBucketWebsite(name)).toMatchObject({ index: 'index.html', supportSubDir: 'true', error: '404.html' });
    expect((await rawRequest(oss.emulator.port, 'GET', `/${name}/`)).text).toBe('<h1>home</h1>');
    expect((await rawRequest(oss.emulator.port, 'GET', `/${name}/docs/`)).text).toBe('<h1>docs</h1>');
    const missing = await rawRequest(oss.emulator.port, 'GET', `/${name}/nope.html`);
    expect([missing.status, missing.text]).toEqual([404, '<h1>not here</h1>']);
    await client.deleteBucketWebsite(name);
    await expect(client.getBucketWebsite(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchWebsiteConfiguration' });
  });

  it('serves the root index for a sub-directory when SupportSubDir is false, its default (D155)', async () => {
    const name = await newBucket({ acl: 'public-read' });
    await client.put('index.html', Buffer.from('<h1>home</h1>'), { mime: 'text/html' });
    await client.put('docs/index.html', Buffer.from('<h1>docs</h1>'), { mime: 'text/html' });
    await client.putBucketWebsite(name, { index: 'index.html' });
    expect((await rawRequest(oss.emulator.port, 'GET', `/${name}/docs/`)).text).toBe('<h1>home</h1>');
    expect((await rawRequest(oss.emulator.port, 'GET', `/${name}/docs/index.html`)).text).toBe('<h1>docs</h1>');
  });

  /** A public-read bucket with a root index, `docs/index.html`, `my docs/index.html` and an error document. */
  async function site(website: { supportSubDir?: boolean; type?: string; error?: boolean }): Promise<((path: string) => Promise<Response>) & { bucket: string }> {
    const name = await newBucket({ acl: 'public-read' });
    await client.put('index.html', Buffer.from('<h1>home</h1>'), { mime: 'text/html' });
    await client.put('docs/index.html', Buffer.from('<h1>docs</h1>'), { mime: 'text/html' });
    await client.put('my docs/index.html', Buffer.from('<h1>my docs</h1>'), { mime: 'text/html' });
    if (website.error !== false) await client.put('404.html', Buffer.from('<h1>not here</h1>'), { mime: 'text/html' });
    await client.putBucketWebsite(name, { index: 'index.html', ...(website.error !== false ? { error: '404.html' } : {}), ...(website.supportSubDir ? { supportSubDir: true } : {}), ...(website.type ? { type: website.type } : {}) });
    return Object.assign((path: string) => fetch(`${oss.emulator.endpoint}/${name}/${path}`, { redirect: 'manual' }), { bucket: name });
  }
  const answer = async (response: Promise<Response>) => {
    const r = await response;
    return [r.status, r.headers.get('location'), await r.text()];
  };

  it('with SupportSubDir, Type 0 (the default) redirects a directory named without its slash, URL-encoded, to the path with it (D160)', async () => {
    const get = await site({ supportSubDir: true });
    const docs = await answer(get('docs'));
    expect(docs.slice(0, 2)).toEqual([302, `/${get.bucket}/docs/`]);
    expect(await answer(fetch(`${oss.emulator.endpoint}${String(docs[1])}`))).toEqual([200, null, '<h1>docs</h1>']);
    expect((await answer(get('my%20docs')))[1]).toBe(`/${get.bucket}/my%20docs/`);
    // Addressed by host (`<bucket>.localhost`), the path has no bucket in it: `/docs/`, as OSS's `/abc/`.
    const virtual = await rawRequest(oss.emulator.port, 'GET', '/docs', { Host: `${get.bucket}.localhost:${oss.emulator.port}` });
    expect([virtual.status, virtual.headers.location]).toEqual([302, '/docs/']);
    // No `<path>/index.html`: the error document, as for any missing object.
    expect(await answer(get('nowhere'))).toEqual([404, null, '<h1>not here</h1>']);
  });

  it('with SupportSubDir, Type 1 looks no further (the error document, else NoSuchKey) and Type 2 serves the directory index itself (D160)', async () => {
    const one = await site({ supportSubDir: true, type: '1' });
    expect(await answer(one('docs'))).toEqual([404, null, '<h1>not here</h1>']);
    const bare = await site({ supportSubDir: true, type: '1', error: false });
    const noSuchKey = await answer(bare('docs'));
    expect(noSuchKey[0]).toBe(404);
    expect(noSuchKey[2]).toContain('<Code>NoSuchKey</Code>');
    const two = await site({ supportSubDir: true, type: '2' });
    expect(await answer(two('docs'))).toEqual([200, null, '<h1>docs</h1>']);
    expect(await answer(two('my%20docs'))).toEqual([200, null, '<h1>my docs</h1>']);
    expect(await answer(two('nowhere'))).toEqual([404, null, '<h1>not here</h1>']);
  });

  it('without SupportSubDir, Type is kept and returned but not applied: a path without its slash is missing (D160)', async () => {
    const get = await site({ type: '2' });
    expect(await answer(get('docs'))).toEqual([404, null, '<h1>not here</h1>']);
    expect(await answer(get('docs/'))).toEqual([200, null, '<h1>home</h1>']);
  });

  it('stores Type and refuses one OSS does not have, naming it (D160)', async () => {
    const name = await newBucket();
    await client.putBucketWebsite(name, { index: 'index.html', supportSubDir: true, type: '2' });
    expect(await client.getBucketWebsite(name)).toMatchObject({ index: 'index.html', supportSubDir: 'true', type: '2' });
    await expect(client.putBucketWebsite(name, { index: 'index.html', type: '3' })).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', message: expect.stringMatching(/Type must be 0, 1 or 2/) });
    expect(await client.getBucketWebsite(name)).toMatchObject({ type: '2' });
  });

  it('reads each website document as a GET of its own key: the bucket policy first, else the ACL (D160)', async () => {
    const name = await newBucket();
    await client.put('index.html', Buffer.from('<h1>home</h1>'), { mime: 'text/html' });
    await client.put('docs/index.html', Buffer.from('<h1>docs</h1>'), { mime: 'text/html' });
    await client.put('404.html', Buffer.from('<h1>not here</h1>'), { mime: 'text/html' });
    await client.putBucketWebsite(name, { index: 'index.html', supportSubDir: true, type: '2', error: '404.html' });
    const get = (path: string) => answer(fetch(`${oss.emulator.endpoint}/${name}/${path}`, { redirect: 'manual' }));
    // A private bucket: no document is anyone's to read.
    expect((await get('')).slice(0, 1)).toEqual([403]);
    expect((await get('nowhere')).slice(0, 1)).toEqual([403]);
    await client.putBucketPolicy(name, {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/index.html`, `acs:oss:*:*:${name}/404.html`, `acs:oss:*:*:${name}/docs/*`] },
        { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/docs/index.html`] },
      ],
    });
    expect(await get('')).toEqual([200, null, '<h1>home</h1>']);
    expect(await get('nowhere')).toEqual([404, null, '<h1>not here</h1>']);
    // The directory's index is denied whichever way it is reached: docs/, or docs with Type 2.
    const denied = await get('docs/');
    expect(denied[0]).toBe(403);
    expect(denied[2]).toContain('Access denied by bucket policy');
    expect((await get('docs'))[0]).toBe(403);
    // The ACL alone, once the policy is gone: a public-read index is served in a private bucket, the rest is not.
    await client.deleteBucketPolicy(name);
    await client.putACL('index.html', 'public-read');
    expect(await get('')).toEqual([200, null, '<h1>home</h1>']);
    expect((await get('nowhere'))[0]).toBe(403);
  });
});

describe('Tagging, versioning, encryption, policy', () => {
  it('round-trips bucket tags and deletes them', async () => {
    const name = await newBucket();
    expect((await client.getBucketTags(name)).tag).toEqual({});
    await client.putBucketTags(name, { env: 'dev', team: 'imaging' });
    expect((await client.getBucketTags(name)).tag).toEqual({ env: 'dev', team: 'imaging' });
    await client.deleteBucketTags(name);
    expect((await client.getBucketTags(name)).tag).toEqual({});
  });

  it('refuses duplicate and reserved bucket tag keys, and duplicate lifecycle tag keys, with the error centre EC (D167)', async () => {
    const name = await newBucket();
    await client.putBucketTags(name, { keep: 'me' });
    // ali-oss checks bucket tags before sending, so these go out as another client would send them.
    const putTags = (pairs: Array<[string, string]>) => {
      const xml = `<Tagging><TagSet>${pairs.map(([k, v]) => `<Tag><Key>${k}</Key><Value>${v}</Value></Tag>`).join('')}</TagSet></Tagging>`;
      return client.request({ ...client._bucketRequestParams('PUT', name, 'tagging'), content: Buffer.from(xml), mime: 'xml', successStatuses: [200] });
    };
    await expect(putTags([['A', '1'], ['A', '2']])).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: '0010-00000210' });
    // Bucket tag keys: at most 64 bytes, never starting with http://, https:// or Aliyun; values at most 128 bytes
    // (EC 0010-00000219; ali-oss's own checks say the same).
    for (const pair of [['k'.repeat(65), 'v'], ['Aliyun-team', 'v'], ['http://x', 'v'], ['https://x', 'v'], ['k', 'v'.repeat(129)]] as Array<[string, string]>) {
      await expect(putTags([pair])).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: '0010-00000219' });
    }
    await expect(client.putBucketTags(name, { ['k'.repeat(64)]: 'v'.repeat(128) })).resolves.toMatchObject({ status: 200 });
    await client.putBucketTags(name, { keep: 'me' });
    expect((await client.getBucketTags(name)).tag).toEqual({ keep: 'me' });
    const rule = { id: 'dup', prefix: 'logs/', status: 'Enabled', days: 1, tag: [{ key: 't', value: '1' }, { key: 't', value: '2' }] };
    await expect(client.putBucketLifecycle(name, [rule])).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: '0014-00000029' });
    await expect(client.getBucketLifecycle(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchLifecycle' });
  });

  it('refuses lifecycle rules whose prefixes overlap as OSS does, unless x-oss-allow-same-action-overlap is true (D167)', async () => {
    const name = await newBucket();
    const expire = (id: string, prefix: string, days: number) => ({ id, prefix, status: 'Enabled', expiration: { days } });
    const toIA = (id: string, prefix: string, days: number) => ({ id, prefix, status: 'Enabled', transition: { days, storageClass: 'IA' } });
    const cases: Array<[string, object[], string]> = [
      ['the same prefix twice', [expire('a', 'test', 200), toIA('b', 'test', 100)], '0014-00000085'],
      ['overlapping prefixes that both expire', [expire('a', 'test', 200), expire('b', 'test/log', 100)], '0014-00000084'],
      ['overlapping prefixes that both move to IA', [toIA('a', 'test', 30), toIA('b', 'test/log', 60)], '0014-00000079'],
    ];
    for (const [, rules, ec] of cases) {
      await expect(client.putBucketLifecycle(name, rules)).rejects.toMatchObject({ status: 400, code: 'InvalidArgument', ecCode: ec });
    }
    await expect(client.getBucketLifecycle(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchLifecycle' });
    // Separate prefixes, or different actions on overlapping ones, are fine; so is an overlap the caller allows.
    await client.putBucketLifecycle(name, [expire('a', 'test/', 200), expire('b', 'logs/', 100), toIA('c', 'test/log', 30)]);
    await client.putBucketLifecycle(name, [expire('a', 'test', 200), expire('b', 'test/log', 100)], { headers: { 'x-oss-allow-same-action-overlap': 'true' } });
    expect((await client.getBucketLifecycle(name)).rules.map((r: { id: string }) => r.id)).toEqual(['a', 'b']);
  });

  it('enables and suspends versioning; a bucket never enabled cannot be suspended (D156; object versions: oss-versioning.test.ts)', async () => {
    const name = await newBucket();
    expect((await client.getBucketVersioning(name)).versionStatus).toBeUndefined();
    // ali-oss sets no success statuses for PutBucketVersioning: OSS's error comes back as the result, not thrown.
    expect((await client.putBucketVersioning(name, 'Suspended')).status).toBe(400);
    expect((await client.getBucketVersioning(name)).versionStatus).toBeUndefined();
    // Unversioned, an overwrite replaces the object and says nothing of versions.
    await client.put('v.txt', Buffer.from('one'));
    const second = await client.put('v.txt', Buffer.from('two'));
    expect(second.res.headers['x-oss-version-id']).toBeUndefined();
    expect((await client.putBucketVersioning(name, 'Enabled')).status).toBe(200);
    expect((await client.getBucketVersioning(name)).versionStatus).toBe('Enabled');
    expect((await client.put('v.txt', Buffer.from('three'))).res.headers['x-oss-version-id']).toMatch(/^CAEQ/);
    expect((await client.putBucketVersioning(name, 'Suspended')).status).toBe(200);
    expect((await client.getBucketVersioning(name)).versionStatus).toBe('Suspended');
  });

  it('stores the default encryption and applies it to new objects', async () => {
    const name = await newBucket();
    await expect(client.getBucketEncryption(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchServerSideEncryptionRule' });
    await client.putBucketEncryption(name, { SSEAlgorithm: 'AES256' });
    expect((await client.getBucketEncryption(name)).encryption).toMatchObject({ SSEAlgorithm: 'AES256' });
    const put = await client.put('secret.txt', Buffer.from('s'));
    expect(put.res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256' });
    expect((await client.head('secret.txt')).res.headers).toMatchObject({ 'x-oss-server-side-encryption': 'AES256' });
    await client.deleteBucketEncryption(name);
    await client.put('plain.txt', Buffer.from('p'));
    expect((await client.head('plain.txt')).res.headers['x-oss-server-side-encryption']).toBeUndefined();
  });

  it('stores a policy document as sent and refuses one that is not a policy', async () => {
    const name = await newBucket();
    const policy = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/*`] }] };
    await client.putBucketPolicy(name, policy);
    expect((await client.getBucketPolicy(name)).policy).toEqual(policy);
    await expect(client.putBucketPolicy(name, { Version: '1' })).rejects.toMatchObject({ status: 400, code: 'InvalidPolicyDocument' });
    await client.deleteBucketPolicy(name);
    // ali-oss does not throw here: it answers `policy: null` with the 404.
    const gone = await client.getBucketPolicy(name);
    expect([gone.policy, gone.status, errorCode(String(gone.res.data))]).toEqual([null, 404, 'NoSuchBucketPolicy']);
  });

  it('applies a bucket policy instead of only storing it: Allow for anonymous readers, Deny for those it names (D155)', async () => {
    const name = await newBucket();
    await client.put('open/a.txt', Buffer.from('public by policy'));
    await client.put('closed/b.txt', Buffer.from('private'));
    const anonymous = (key: string) => fetch(`${oss.emulator.endpoint}/${name}/${key}`);
    expect((await anonymous('open/a.txt')).status).toBe(403);
    await client.putBucketPolicy(name, {
      Version: '1',
      Statement: [
        { Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/open/*`] },
        { Effect: 'Deny', Action: ['oss:PutObject', 'oss:DeleteObject'], Principal: [LOCAL_ACCOUNT_ID], Resource: [`acs:oss:*:*:${name}/closed/*`] },
        // `*` without a condition is everyone but the bucket owner (OSS's Bucket Policy page).
        { Effect: 'Deny', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/open/hidden*`] },
      ],
    });
    const read = await anonymous('open/a.txt');
    expect([read.status, await read.text()]).toEqual([200, 'public by policy']);
    expect((await anonymous('closed/b.txt')).status).toBe(403);
    await client.put('open/hidden.txt', Buffer.from('owner only'));
    expect((await anonymous('open/hidden.txt')).status).toBe(403);
    expect((await client.get('open/hidden.txt')).content.toString()).toBe('owner only');
    // A Deny naming the account holds for its own signed requests; elsewhere they go on as before.
    await expect(client.put('closed/c.txt', Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'AccessDenied', message: expect.stringMatching(/bucket policy/) });
    await expect(client.delete('closed/b.txt')).rejects.toMatchObject({ status: 403, code: 'AccessDenied' });
    await client.put('open/c.txt', Buffer.from('x'));
    // The policy itself stays the owner's to change, whatever it denies.
    await client.deleteBucketPolicy(name);
    await client.put('closed/c.txt', Buffer.from('x'));
    expect((await anonymous('open/a.txt')).status).toBe(403);
  });

  it('applies a bucket policy to PostObject forms too (D155)', async () => {
    const name = await newBucket({ acl: 'public-read-write' });
    const post = async (key: string) => {
      const form = new FormData();
      form.append('key', key);
      form.append('file', new Blob(['posted']), 'posted.txt');
      return (await fetch(`${oss.emulator.endpoint}/${name}`, { method: 'POST', body: form })).status;
    };
    await client.putBucketPolicy(name, { Version: '1', Statement: [{ Effect: 'Deny', Action: ['oss:PutObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/locked/*`] }] });
    expect(await post('locked/a.txt')).toBe(403);
    await expect(client.head('locked/a.txt')).rejects.toMatchObject({ status: 404 });
    expect(await post('open/a.txt')).toBe(204);
    // An Allow opens an unsigned form to a bucket whose ACL would refuse it.
    await client.putBucketACL(name, 'private');
    expect(await post('open/b.txt')).toBe(403);
    await client.putBucketPolicy(name, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:PutObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/inbox/*`] }] });
    expect(await post('inbox/c.txt')).toBe(204);
    expect((await client.get('inbox/c.txt')).content.toString()).toBe('posted');
  });

  it('refuses by name what of a bucket policy it would not apply: conditions (D155)', async () => {
    const name = await newBucket();
    const withCondition = { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${name}/*`], Condition: { IpAddress: { 'acs:SourceIp': ['10.0.0.0/8'] } } }] };
    await expect(client.putBucketPolicy(name, withCondition)).rejects.toMatchObject({ status: 501, code: 'NotImplemented', message: expect.stringMatching(/Condition/) });
    const gone = await client.getBucketPolicy(name);
    expect(gone.policy).toBeNull();
  });

  it('reports bucket statistics', async () => {
    const name = await newBucket();
    await client.put('a.txt', Buffer.from('12345'));
    await client.put('b.txt', Buffer.from('678'), { headers: { 'x-oss-storage-class': 'IA' } });
    const { stat } = (await client.getBucketStat(name)) as unknown as { stat: Record<string, string> };
    expect(stat).toMatchObject({ Storage: '8', ObjectCount: '2', StandardObjectCount: '1', InfrequentAccessObjectCount: '1' });
  });
});

describe('Lifecycle on the emulator clock', () => {
  it('expires, transitions and aborts what its rules name once they are due, and nothing else', async () => {
    const name = await newBucket();
    await client.putBucketLifecycle(name, [
      { id: 'logs', prefix: 'logs/', status: 'Enabled', expiration: { days: 1 } },
      { id: 'cold', prefix: 'archive/', status: 'Enabled', transition: { days: 30, storageClass: 'Archive' } },
      { id: 'uploads', prefix: 'tmp/', status: 'Enabled', abortMultipartUpload: { days: 2 } },
      { id: 'tagged', prefix: 'tagged/', status: 'Enabled', expiration: { days: 1 }, tag: { key: 'temp', value: 'yes' } },
      { id: 'off', prefix: 'keep/', status: 'Disabled', expiration: { days: 1 } },
    ]);
    const rules = (await client.getBucketLifecycle(name)).rules;
    expect(rules?.map((r: { id: string }) => r.id)).toEqual(['logs', 'cold', 'uploads', 'tagged', 'off']);
    expect(rules?.[0]).toMatchObject({ prefix: 'logs/', status: 'Enabled', expiration: { days: '1' } });

    for (const k of ['logs/a.log', 'archive/2020.tar', 'keep/a.log', 'other.txt']) await client.put(k, Buffer.from(k));
    await client.put('tagged/t.txt', Buffer.from('t'), { headers: { 'x-oss-tagging': 'temp=yes' } });
    await client.put('tagged/u.txt', Buffer.from('u'));
    const { uploadId } = await client.initMultipartUpload('tmp/big.bin');

    expect(await oss.emulator.runLifecycle()).toEqual({ expired: [], transitioned: [], aborted: [], versionsRemoved: [], versionsTransitioned: [] });
    oss.advance(DAY + 1000);
    const day1 = await oss.emulator.runLifecycle();
    expect(day1.expired.map((e) => e.key).sort()).toEqual(['logs/a.log', 'tagged/t.txt']);
    expect(day1.aborted).toEqual([]);
    oss.advance(DAY);
    expect((await oss.emulator.runLifecycle()).aborted.map((a) => a.uploadId)).toEqual([uploadId]);
    oss.advance(28 * DAY);
    expect((await oss.emulator.runLifecycle()).transitioned).toEqual([{ bucket: name, key: 'archive/2020.tar', storageClass: 'Archive' }]);

    oss.resetClock(); // the client signs with the real time
    expect(oss.emulator.listObjects(name).map((o) => `${o.key}:${o.storageClass}`)).toEqual([
      'archive/2020.tar:Archive',
      'keep/a.log:Standard',
      'other.txt:Standard',
      'tagged/u.txt:Standard',
    ]);
    await expect(client.get('archive/2020.tar')).rejects.toMatchObject({ status: 403, code: 'InvalidObjectState' });
    await client.deleteBucketLifecycle(name);
    await expect(client.getBucketLifecycle(name)).rejects.toMatchObject({ status: 404, code: 'NoSuchLifecycle' });
  });

  it('refuses a rule without an action and a non-positive Days', async () => {
    const name = await newBucket();
    const url = await bucketRequestUrl(name, 'PUT', 'lifecycle');
    for (const [body, code] of [
      ['<LifecycleConfiguration><Rule><ID>a</ID><Prefix>x/</Prefix><Status>Enabled</Status></Rule></LifecycleConfiguration>', 'MalformedXML'],
      ['<LifecycleConfiguration><Rule><ID>a</ID><Prefix>x/</Prefix><Status>Enabled</Status><Expiration><Days>0</Days></Expiration></Rule></LifecycleConfiguration>', 'InvalidArgument'],
      ['<LifecycleConfiguration><Rule><ID>a</ID><Prefix>x/</Prefix><Status>Maybe</Status><Expiration><Days>1</Days></Expiration></Rule></LifecycleConfiguration>', 'MalformedXML'],
    ] as const) {
      const response = await fetch(url, { method: 'PUT', headers: { 'Content-Type': 'application/xml' }, body });
      expect([response.status, errorCode(await response.text())]).toEqual([400, code]);
    }
  });
});
