/**
 * The OSS emulator refuses what OSS refuses, with OSS's status and error code, and leaves nothing behind:
 * every rejected write is checked against the object listing, the SQLite rows and the files on disk.
 * Requests are sent with plain fetch (as a browser would) or raw node:http where fetch would normalise the path.
 */
import { createHash, randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import OSS from 'ali-oss';
import Database from 'better-sqlite3';
import { OssObjectStore } from '#shared/aliyun/oss-object-store';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startOssEmulator, type OssEmulator, type OssNotification } from '../../scripts/local/emulators/oss';

const REGION = 'cn-hangzhou';
const BUCKET = 'security-tests';
const WEBSITE_ORIGIN = 'http://127.0.0.1:9000';
const MAX_BYTES = 64 * 1024;

let dir: string;
let db: Database.Database;
let emulator: OssEmulator;
let store: OssObjectStore;
/** Added to the real time to form the emulator's clock; tests move it instead of sleeping. */
let clockOffsetMs = 0;
const events: OssNotification[] = [];
let seq = 0;
const uniqueKey = (name: string) => `s-${randomUUID().slice(0, 8)}-${++seq}/${name}`;

function storeFor(credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, region = REGION): OssObjectStore {
  return new OssObjectStore({ bucket: BUCKET, region, endpoint: emulator.endpoint, credentials });
}

/** Every file under <dir>/oss with its size: the on-disk half of "nothing left behind". */
function filesOnDisk(): string[] {
  const root = join(dir, 'oss');
  const out: string[] = [];
  const walk = (path: string) => {
    for (const name of readdirSync(path)) {
      const child = join(path, name);
      if (statSync(child).isDirectory()) walk(child);
      else out.push(`${relative(root, child)}:${statSync(child).size}`);
    }
  };
  walk(root);
  return out.sort();
}

function snapshot() {
  return {
    objects: emulator.listObjects(BUCKET).map((o) => `${o.key}:${o.etag}`),
    rows: db.prepare('SELECT bucket, key, etag FROM oss_objects ORDER BY bucket, key').all(),
    uploads: db.prepare('SELECT upload_id FROM oss_uploads').all(),
    files: filesOnDisk(),
    events: events.length,
  };
}

/** Runs `act` and asserts the OSS error it gets back and that storage did not change. */
async function expectRejected(act: () => Promise<Response>, status: number, code: string): Promise<string> {
  const before = snapshot();
  const response = await act();
  const text = await response.text();
  expect({ status: response.status, code: /<Code>([^<]*)<\/Code>/.exec(text)?.[1] }).toEqual({ status, code });
  expect(response.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
  expect(snapshot()).toEqual(before);
  return text;
}

function rawRequest(method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: emulator.port, method, path, headers: { Host: `localhost:${emulator.port}`, ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oss-security-'));
  db = new Database(join(dir, 'local.db'));
  emulator = await startOssEmulator({
    dataDir: dir,
    db,
    region: REGION,
    buckets: [BUCKET],
    corsOrigins: [WEBSITE_ORIGIN],
    maxObjectBytes: MAX_BYTES,
    clock: () => Date.now() + clockOffsetMs,
    onEvent: (n) => events.push(n),
  });
  store = storeFor(LOCAL_CREDENTIALS);
});

afterEach(() => {
  clockOffsetMs = 0;
});

afterAll(async () => {
  await emulator.close();
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('signature V4 on presigned URLs', () => {
  it('accepts the untouched URL (control)', async () => {
    const key = uniqueKey('ok.png');
    const signed = await store.signUrl('PUT', key, { expiresInSeconds: 60, contentType: 'image/png' });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('png') });
    expect(response.status).toBe(200);
    expect(emulator.listObjects(BUCKET, key).map((o) => o.key)).toEqual([key]);
  });

  it('rejects a tampered signature: 403 SignatureDoesNotMatch', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('tampered.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    const url = new URL(signed.url);
    const signature = url.searchParams.get('x-oss-signature')!;
    url.searchParams.set('x-oss-signature', `${signature.slice(0, -1)}${signature.endsWith('0') ? '1' : '0'}`);
    const text = await expectRejected(() => fetch(url, { method: 'PUT', headers: signed.headers, body: Buffer.from('evil') }), 403, 'SignatureDoesNotMatch');
    expect(text).toContain('<CanonicalRequest>');
  });

  it('rejects a valid signature used for another key: 403 SignatureDoesNotMatch', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('allowed.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    const url = new URL(signed.url);
    url.pathname = `/${BUCKET}/${uniqueKey('other.png')}`;
    await expectRejected(() => fetch(url, { method: 'PUT', headers: signed.headers, body: Buffer.from('x') }), 403, 'SignatureDoesNotMatch');
  });

  it('rejects a GET URL used to PUT: 403 SignatureDoesNotMatch', async () => {
    const signed = await store.signUrl('GET', uniqueKey('read-only.png'), { expiresInSeconds: 60 });
    await expectRejected(() => fetch(signed.url, { method: 'PUT', body: Buffer.from('x') }), 403, 'SignatureDoesNotMatch');
  });

  it('rejects an expired URL: 403 AccessDenied "Request has expired."', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('late.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    clockOffsetMs = 61_000;
    const text = await expectRejected(() => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('late') }), 403, 'AccessDenied');
    expect(text).toContain('<Message>Request has expired.</Message>');
  });

  it('rejects another Content-Type than the signed one: 403 SignatureDoesNotMatch', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('typed.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    await expectRejected(
      () => fetch(signed.url, { method: 'PUT', headers: { 'Content-Type': 'text/html' }, body: Buffer.from('<script>') }),
      403,
      'SignatureDoesNotMatch',
    );
    // Leaving the header out is a different request too.
    await expectRejected(() => fetch(signed.url, { method: 'PUT', body: Buffer.from('untyped') }), 403, 'SignatureDoesNotMatch');
  });

  it('rejects an unknown access key: 403 InvalidAccessKeyId', async () => {
    const stranger = storeFor({ accessKeyId: 'LTAI5tUnknownKey', accessKeySecret: 'guessed-secret' });
    const signed = await stranger.signUrl('PUT', uniqueKey('stranger.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    await expectRejected(() => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('x') }), 403, 'InvalidAccessKeyId');
  });

  it('checks the STS security token: wrong → InvalidSecurityToken, missing → InvalidAccessKeyId', async () => {
    const wrongToken = storeFor({ ...LOCAL_CREDENTIALS, securityToken: 'not-the-token' });
    let signed = await wrongToken.signUrl('PUT', uniqueKey('token.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    await expectRejected(() => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('x') }), 403, 'InvalidSecurityToken');

    const noToken = storeFor({ accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret });
    signed = await noToken.signUrl('PUT', uniqueKey('token.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    await expectRejected(() => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('x') }), 403, 'InvalidAccessKeyId');
  });

  it('rejects a credential scoped to another region: 400 InvalidArgument', async () => {
    const elsewhere = storeFor(LOCAL_CREDENTIALS, 'cn-beijing');
    const signed = await elsewhere.signUrl('PUT', uniqueKey('region.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    await expectRejected(() => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.from('x') }), 400, 'InvalidArgument');
  });

  it('rejects requests without any signature: 403 AccessDenied (no public buckets)', async () => {
    const url = `${emulator.endpoint}/${BUCKET}/${uniqueKey('anonymous.txt')}`;
    await expectRejected(() => fetch(url, { method: 'PUT', body: Buffer.from('anonymous') }), 403, 'AccessDenied');
    await expectRejected(() => fetch(url), 403, 'AccessDenied');
    await expectRejected(() => fetch(`${emulator.endpoint}/${BUCKET}?list-type=2`), 403, 'AccessDenied');
  });
});

describe('signature V4 on Authorization headers (ali-oss)', () => {
  it('rejects a request dated more than 15 minutes off the server clock: 403 RequestTimeTooSkewed', async () => {
    clockOffsetMs = 16 * 60_000;
    const key = uniqueKey('skewed.txt');
    const before = snapshot();
    await expect(store.put(key, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'RequestTimeTooSkewed' });
    expect(snapshot()).toEqual(before);
  });

  it('rejects a wrong secret: 403 SignatureDoesNotMatch', async () => {
    const forged = storeFor({ ...LOCAL_CREDENTIALS, accessKeySecret: 'not-the-secret' });
    const before = snapshot();
    await expect(forged.put(uniqueKey('forged.txt'), Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    await expect(forged.head(uniqueKey('forged.txt'))).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
    expect(snapshot()).toEqual(before);
  });
});

describe('keys that look like paths', () => {
  /** Every stored byte is inside the bucket folder, under a random blob name. */
  function expectOnlyBlobFiles(): void {
    const root = join(dir, 'oss');
    for (const entry of filesOnDisk()) {
      const path = entry.slice(0, entry.lastIndexOf(':'));
      expect(path).toMatch(new RegExp(`^${BUCKET}\\${sep}[0-9a-f]{2}\\${sep}[0-9a-f]{32}$`));
      expect(join(root, path).startsWith(join(root, BUCKET) + sep)).toBe(true);
    }
  }

  /** Rewrites a presigned URL so the key travels as one encoded segment (`..%2Fx`), which no client resolves. */
  function encodeKeyInUrl(url: string, key: string): string {
    const parsed = new URL(url);
    return `${parsed.origin}/${BUCKET}/${encodeURIComponent(key)}${parsed.search}`;
  }

  it.each([
    ['../x', 400, 'InvalidBucketName'],
    ['a/../../b', 400, 'InvalidBucketName'],
    ['../../../../etc/passwd', 404, 'NoSuchBucket'],
    ['./.', 403, 'SignatureDoesNotMatch'],
  ])('ali-oss resolves the dot segments of %j before sending, and the emulator refuses the result', async (key, status, code) => {
    // urllib resolves `/bucket/../x` to `/x`, so the request no longer names the bucket (or the signed path).
    const before = snapshot();
    await expect(store.put(key, Buffer.from('escape attempt'))).rejects.toMatchObject({ status, code });
    expect(snapshot()).toEqual(before);
  });

  it.each(['../x', 'a/../../b', '../../../../etc/passwd', './.', 'a//b'])('stores %j sent as an encoded segment as an opaque key', async (key) => {
    const signed = await store.signUrl('PUT', key, { expiresInSeconds: 60, contentType: 'text/plain' });
    const put = await fetch(encodeKeyInUrl(signed.url, key), { method: 'PUT', headers: signed.headers, body: Buffer.from(`body of ${key}`) });
    expect(put.status).toBe(200);
    expect(emulator.listObjects(BUCKET, key).find((o) => o.key === key)?.size).toBe(`body of ${key}`.length);

    const read = await store.signUrl('GET', key, { expiresInSeconds: 60 });
    const get = await fetch(encodeKeyInUrl(read.url, key));
    expect(await get.text()).toBe(`body of ${key}`);
    expectOnlyBlobFiles();
  });

  it('never resolves a literal `..` that reaches it unnormalised (raw HTTP): it is part of the key', async () => {
    const key = '../raw-dots';
    const signed = new URL((await store.signUrl('PUT', key, { expiresInSeconds: 60, contentType: 'text/plain' })).url);
    const response = await rawRequest('PUT', `/${BUCKET}/../raw-dots${signed.search}`, { 'Content-Type': 'text/plain' }, Buffer.from('raw'));
    expect(response.status).toBe(200);
    expect(emulator.listObjects(BUCKET, key).map((o) => o.key)).toEqual([key]);
    expectOnlyBlobFiles();
  });

  it('rejects a path whose first segment is `..`: 400 InvalidBucketName', async () => {
    const before = snapshot();
    const response = await rawRequest('PUT', `/../${BUCKET}/evil`, { 'Content-Type': 'text/plain' }, Buffer.from('x'));
    expect(response.status).toBe(400);
    expect(/<Code>([^<]*)<\/Code>/.exec(response.text)?.[1]).toBe('InvalidBucketName');
    expect(snapshot()).toEqual(before);
  });

  it('rejects a key starting with "/": 400 InvalidObjectName', async () => {
    const before = snapshot();
    const response = await rawRequest('PUT', `/${BUCKET}//etc/passwd`, {}, Buffer.from('x'));
    expect(response.status).toBe(400);
    expect(/<Code>([^<]*)<\/Code>/.exec(response.text)?.[1]).toBe('InvalidObjectName');
    expect(snapshot()).toEqual(before);
  });
});

describe('size limit', () => {
  it('rejects a body over the limit: 400 EntityTooLarge', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('huge.bin'), { expiresInSeconds: 60, contentType: 'application/octet-stream' });
    const text = await expectRejected(
      () => fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.alloc(MAX_BYTES + 1) }),
      400,
      'EntityTooLarge',
    );
    expect(text).toContain(`<MaxAllowedSize>${MAX_BYTES}</MaxAllowedSize>`);
  });

  it('rejects a chunked body that grows over the limit, and cleans the partial file', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('stream.bin'), { expiresInSeconds: 60, contentType: 'application/octet-stream' });
    const chunks = [Buffer.alloc(MAX_BYTES / 2, 1), Buffer.alloc(MAX_BYTES / 2, 2), Buffer.alloc(16, 3)];
    await expectRejected(
      () =>
        fetch(signed.url, {
          method: 'PUT',
          headers: signed.headers,
          body: new ReadableStream({
            pull(controller) {
              const next = chunks.shift();
              if (next) controller.enqueue(next);
              else controller.close();
            },
          }),
          duplex: 'half',
        } as RequestInit),
      400,
      'EntityTooLarge',
    );
  });

  it('accepts a body exactly at the limit (control)', async () => {
    const key = uniqueKey('exact.bin');
    const signed = await store.signUrl('PUT', key, { expiresInSeconds: 60, contentType: 'application/octet-stream' });
    const response = await fetch(signed.url, { method: 'PUT', headers: signed.headers, body: Buffer.alloc(MAX_BYTES) });
    expect(response.status).toBe(200);
    await store.delete(key);
  });
});

describe('request bodies', () => {
  it('rejects a malformed DeleteMultipleObjects body: 400 MalformedXML', async () => {
    const key = uniqueKey('survivor.txt');
    await store.put(key, Buffer.from('still here'));
    const signer = new OSS({
      bucket: BUCKET,
      region: `oss-${REGION}`,
      endpoint: emulator.endpoint,
      sldEnable: true,
      authorizationV4: true,
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
      stsToken: LOCAL_CREDENTIALS.securityToken,
      refreshSTSToken: async () => ({ ...LOCAL_CREDENTIALS, stsToken: LOCAL_CREDENTIALS.securityToken }),
    } as OSS.Options);
    for (const body of ['<Delete><Object><Key>', 'not xml at all', '<Delete><Quiet>maybe</Quiet></Delete>', '<Other/>']) {
      // With the Content-MD5 OSS requires here (D121), so that it is the body that is refused.
      const md5 = createHash('md5').update(body).digest('base64');
      const url = await signer.signatureUrlV4('POST', 60, { headers: { 'content-type': 'application/xml', 'content-md5': md5 }, queries: { delete: null } }, '');
      await expectRejected(() => fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/xml', 'Content-MD5': md5 }, body }), 400, 'MalformedXML');
    }
    expect((await store.get(key))?.body.toString()).toBe('still here');
  });

  it('rejects a body that does not match its Content-MD5: 400 InvalidDigest', async () => {
    const signer = new OSS({
      bucket: BUCKET,
      region: `oss-${REGION}`,
      endpoint: emulator.endpoint,
      sldEnable: true,
      authorizationV4: true,
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret,
      stsToken: LOCAL_CREDENTIALS.securityToken,
      refreshSTSToken: async () => ({ ...LOCAL_CREDENTIALS, stsToken: LOCAL_CREDENTIALS.securityToken }),
    } as OSS.Options);
    const md5OfSomethingElse = 'XrY7u+Ae7tCTyyK7j1rNww=='; // md5("hello world")
    const url = await signer.signatureUrlV4('PUT', 60, { headers: { 'content-type': 'text/plain', 'content-md5': md5OfSomethingElse } }, uniqueKey('digest.txt'));
    await expectRejected(
      () => fetch(url, { method: 'PUT', headers: { 'Content-Type': 'text/plain', 'Content-MD5': md5OfSomethingElse }, body: 'goodbye world' }),
      400,
      'InvalidDigest',
    );
  });
});

describe('CORS for the website origin', () => {
  it('answers the preflight of a signed PUT', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('cors.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    const response = await fetch(signed.url, {
      method: 'OPTIONS',
      headers: { Origin: WEBSITE_ORIGIN, 'Access-Control-Request-Method': 'PUT', 'Access-Control-Request-Headers': 'content-type' },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(WEBSITE_ORIGIN);
    expect(response.headers.get('access-control-allow-methods')).toContain('PUT');
    expect(response.headers.get('access-control-allow-headers')).toContain('content-type');
    expect(response.headers.get('access-control-expose-headers')).toMatch(/ETag/);
    expect(response.headers.get('access-control-expose-headers')).toMatch(/x-oss-request-id/);
    expect(response.headers.get('x-oss-request-id')).toMatch(/^[0-9A-F]{24}$/);
  });

  it('exposes ETag and x-oss-request-id on the actual request', async () => {
    const signed = await store.signUrl('PUT', uniqueKey('cors-put.png'), { expiresInSeconds: 60, contentType: 'image/png' });
    const response = await fetch(signed.url, { method: 'PUT', headers: { ...signed.headers, Origin: WEBSITE_ORIGIN }, body: Buffer.from('png') });
    expect(response.status).toBe(200);
    expect(response.headers.get('access-control-allow-origin')).toBe(WEBSITE_ORIGIN);
    expect(response.headers.get('access-control-expose-headers')).toMatch(/ETag/);
  });

  it('refuses a preflight from another origin: 403 AccessForbidden without CORS headers', async () => {
    const response = await fetch(`${emulator.endpoint}/${BUCKET}/x.png`, {
      method: 'OPTIONS',
      headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'PUT' },
    });
    const text = await response.text();
    expect(response.status).toBe(403);
    expect(/<Code>([^<]*)<\/Code>/.exec(text)?.[1]).toBe('AccessForbidden');
    expect(response.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('unknown buckets', () => {
  it('answers NoSuchBucket 404 for a bucket that does not exist', async () => {
    await expectRejected(() => fetch(`${emulator.endpoint}/no-such-bucket-here/k`), 404, 'NoSuchBucket');
  });
});
