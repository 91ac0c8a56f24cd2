/**
 * Signatures as real clients make them: ali-oss with its default options (V1 in the Authorization header), with
 * `authorizationV4: true`, `signatureUrl()` (always V1) used by fetch and curl, STS tokens in both versions, and
 * header values signed as the bytes that were sent (non-ASCII user metadata). Wrong ones get OSS's 403 codes.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { errorCode, ossClient, rawRequest, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';

const run = promisify(execFile);
let oss: TestOss;
const BUCKET = uniqueBucket('sig');
let seq = 0;
const key = (name: string) => `k${++seq}/${name}`;

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET] });
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

describe.each([
  ['V1 (ali-oss defaults)', false],
  ['V4 (authorizationV4: true)', true],
])('ali-oss %s', (_name, v4) => {
  const client = () => ossClient(oss.emulator, { bucket: BUCKET, v4 });

  it('puts, reads, lists, copies and deletes', async () => {
    const k = key('hello.txt');
    await client().put(k, Buffer.from('hello'), { meta: { owner: 'alice' } });
    const got = await client().get(k);
    expect(got.content.toString()).toBe('hello');
    expect((await client().head(k)).meta).toEqual({ owner: 'alice' });
    const listed = await client().list({ prefix: k, 'max-keys': 10 }, {});
    expect(listed.objects.map((o: { name: string }) => o.name)).toEqual([k]);
    const listedV2 = await client().listV2({ prefix: k, 'max-keys': '10' }, {});
    expect(listedV2.objects.map((o: { name: string }) => o.name)).toEqual([k]);
    await client().copy(`${k}.copy`, k);
    expect((await client().get(`${k}.copy`)).content.toString()).toBe('hello');
    await client().deleteMulti([k, `${k}.copy`]);
    await expect(client().head(k)).rejects.toMatchObject({ status: 404 });
  });

  it('signs sub-resources (ACL, tagging) and listBuckets', async () => {
    const k = key('acl.txt');
    await client().put(k, Buffer.from('x'));
    await client().putACL(k, 'public-read');
    expect((await client().getACL(k)).acl).toBe('public-read');
    await client().putObjectTagging(k, { team: 'imaging' });
    expect((await client().getObjectTagging(k)).tag).toEqual({ team: 'imaging' });
    const buckets = await client().listBuckets({});
    expect(buckets.buckets?.map((b: { name: string }) => b.name)).toContain(BUCKET);
  });

  it('keeps non-ASCII user metadata when the client sends and signs UTF-8 bytes', async () => {
    const k = key('unicode.txt');
    const utf8 = ossClient(oss.emulator, { bucket: BUCKET, v4, headerEncoding: 'latin1' });
    await utf8.put(k, Buffer.from('x'), { meta: { title: '海滩 at dusk – ü' } });
    const head = await utf8.head(k);
    expect(Buffer.from(String(head.res.headers['x-oss-meta-title']), 'latin1').toString('utf8')).toBe('海滩 at dusk – ü');
  });

  it('refuses a request whose header bytes differ from the signed ones: SignatureDoesNotMatch', async () => {
    // With its default encoding ali-oss signs "ü" as UTF-8 but Node sends the single byte 0xFC: OSS refuses that.
    await expect(client().put(key('latin.txt'), Buffer.from('x'), { meta: { title: 'ü' } })).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch' });
  });

  it('refuses a wrong secret, an unknown key, a wrong or missing STS token, and a skewed clock', async () => {
    const with_ = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }) => ossClient(oss.emulator, { bucket: BUCKET, v4, credentials });
    const k = key('denied.txt');
    // The EC of each is the OSS error centre's (D167): 0002-00000040 for a V1 header signature, 0002-00000201 for V4.
    await expect(with_({ ...LOCAL_CREDENTIALS, accessKeySecret: 'wrong' }).put(k, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'SignatureDoesNotMatch', ecCode: v4 ? '0002-00000201' : '0002-00000040' });
    await expect(with_({ accessKeyId: 'LTAI5tNobody', accessKeySecret: 'x' }).put(k, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'InvalidAccessKeyId' });
    await expect(with_({ ...LOCAL_CREDENTIALS, securityToken: 'forged' }).put(k, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'InvalidSecurityToken', ecCode: '0002-00000006' });
    // An STS key without its token: OSS says the token may be lost (EC 0002-00000003).
    const noToken = with_({ accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret }).put(k, Buffer.from('x'));
    await expect(noToken).rejects.toMatchObject({ status: 403, code: 'InvalidAccessKeyId', ecCode: '0002-00000003' });
    await expect(noToken).rejects.toThrow(/The Security Token may be lost to specify that it is a STS Access Id\./);
    oss.advance(16 * 60_000);
    await expect(client().put(k, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'RequestTimeTooSkewed', ecCode: '0002-00000504' });
    oss.resetClock();
    expect(oss.emulator.listObjects(BUCKET, k)).toEqual([]);
  });
});

describe('signatureUrl (V1 presigned URLs) with plain HTTP clients', () => {
  const signer = () => ossClient(oss.emulator, { bucket: BUCKET });

  it('PUTs with fetch and the signed Content-Type, then GETs with curl', async () => {
    const k = key('presigned photo.png');
    const putUrl = signer().signatureUrl(k, { method: 'PUT', expires: 60, 'Content-Type': 'image/png' });
    expect(putUrl).toContain('security-token=');
    const put = await fetch(putUrl, { method: 'PUT', headers: { 'Content-Type': 'image/png' }, body: Buffer.from('png bytes') });
    expect(put.status).toBe(200);
    const getUrl = signer().signatureUrl(k, { expires: 60 });
    const { stdout } = await run('curl', ['-sS', '--fail', getUrl]);
    expect(stdout).toBe('png bytes');
  });

  it('signs response-* overrides as sub-resources', async () => {
    const k = key('report.csv');
    await signer().put(k, Buffer.from('a,b\n'));
    const url = signer().signatureUrl(k, { expires: 60, response: { 'content-disposition': 'attachment; filename="r.csv"' } });
    const response = await fetch(url);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-disposition')).toBe('attachment; filename="r.csv"');
  });

  it('uploads a file with curl -T', async () => {
    const k = key('curl.txt');
    const file = join(oss.dataDir, 'curl-upload.txt');
    writeFileSync(file, 'sent by curl');
    const url = signer().signatureUrl(k, { method: 'PUT', expires: 60, 'Content-Type': 'text/plain' });
    await run('curl', ['-sS', '--fail', '-T', file, '-H', 'Content-Type: text/plain', url]);
    expect((await signer().get(k)).content.toString()).toBe('sent by curl');
  });

  it('refuses expired, tampered, wrong-key and wrong-token URLs with 403 and leaves nothing behind', async () => {
    const k = key('refused.txt');
    const url = new URL(signer().signatureUrl(k, { method: 'PUT', expires: 60 }));
    const put = (u: URL) => fetch(u, { method: 'PUT', body: 'x' });

    const tampered = new URL(url);
    tampered.searchParams.set('Signature', `A${url.searchParams.get('Signature')!.slice(1)}`);
    let response = await put(tampered);
    expect([response.status, errorCode(await response.text())]).toEqual([403, 'SignatureDoesNotMatch']);

    const otherKey = new URL(url);
    otherKey.pathname = `/${BUCKET}/${key('elsewhere.txt')}`;
    response = await put(otherKey);
    expect([response.status, errorCode(await response.text())]).toEqual([403, 'SignatureDoesNotMatch']);

    const stranger = new URL(url);
    stranger.searchParams.set('OSSAccessKeyId', 'LTAI5tNobody');
    response = await put(stranger);
    expect([response.status, errorCode(await response.text())]).toEqual([403, 'InvalidAccessKeyId']);

    const token = new URL(url);
    token.searchParams.set('security-token', 'forged');
    response = await put(token);
    expect([response.status, errorCode(await response.text()), response.headers.get('x-oss-ec')]).toEqual([403, 'InvalidSecurityToken', '0002-00000006']);

    const noToken = new URL(url);
    noToken.searchParams.delete('security-token');
    response = await put(noToken);
    expect([response.status, errorCode(await response.text()), response.headers.get('x-oss-ec')]).toEqual([403, 'InvalidAccessKeyId', '0002-00000003']);

    // Expires that is not a Unix time (EC 0002-00000070), and no Expires at all (EC 0002-00000067).
    const badExpires = new URL(url);
    badExpires.searchParams.set('Expires', 'soon');
    response = await put(badExpires);
    expect([response.status, errorCode(await response.text()), response.headers.get('x-oss-ec')]).toEqual([400, 'InvalidArgument', '0002-00000070']);
    const noExpires = new URL(url);
    noExpires.searchParams.delete('Expires');
    response = await put(noExpires);
    expect([response.status, errorCode(await response.text()), response.headers.get('x-oss-ec')]).toEqual([403, 'AccessDenied', '0002-00000067']);

    oss.advance(61_000);
    response = await put(url);
    const text = await response.text();
    expect([response.status, errorCode(text), response.headers.get('x-oss-ec')]).toEqual([403, 'AccessDenied', '0002-00000069']);
    expect(text).toContain('Request has expired.');
    expect(oss.emulator.listObjects(BUCKET, k)).toEqual([]);
  });
});

describe('signatureUrlV4 links', () => {
  it('refuses an x-oss-expires outside 1 s … 7 days with EC 0002-00000232 (D167)', async () => {
    const url = new URL(await ossClient(oss.emulator, { bucket: BUCKET, v4: true }).signatureUrlV4('GET', 60, undefined, key('v4.txt')));
    for (const expires of ['691200', '0']) {
      url.searchParams.set('x-oss-expires', expires);
      const response = await fetch(url);
      expect([response.status, errorCode(await response.text()), response.headers.get('x-oss-ec')]).toEqual([400, 'InvalidArgument', '0002-00000232']);
    }
  });
});

describe('anonymous requests', () => {
  it('are refused on a private bucket with AccessDenied', async () => {
    const response = await rawRequest(oss.emulator.port, 'GET', `/${BUCKET}/anything`);
    expect([response.status, errorCode(response.text)]).toEqual([403, 'AccessDenied']);
  });
});
