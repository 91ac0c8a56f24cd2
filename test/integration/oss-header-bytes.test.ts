/**
 * D138: non-ASCII text in object headers comes back as the bytes the client sent, on every way in. OSS keeps a
 * header value as bytes (ali-oss sends UTF-8 and decodes what it reads itself); a browser form sends its fields as
 * UTF-8 text and a presigned URL carries `response-content-disposition` percent-encoded — both must come back as
 * those UTF-8 bytes, never as one byte per character (or a 500 for characters past U+00FF).
 */
import { S3Client, PutObjectCommand, HeadObjectCommand, CreateMultipartUploadCommand } from '@aws-sdk/client-s3';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { ossClient, rawRequest, startTestOss, uniqueBucket, type LooseOss, type TestOss } from '../helpers/oss';
import { S3_CREDENTIALS, s3Failure } from '../helpers/s3';

const BUCKET = uniqueBucket('bytes');
let oss: TestOss;
let client: LooseOss;

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET] });
  client = ossClient(oss.emulator, { bucket: BUCKET });
});
afterAll(() => oss.stop());

const CAPTION = '海边的照片 – café';
const DISPOSITION = 'attachment; filename="照片 ü.jpg"';

/** A header as the bytes on the wire, read as UTF-8 (what a client that sent UTF-8 decodes). */
function utf8Header(headers: Record<string, string | string[] | undefined>, name: string): string {
  return Buffer.from(String(headers[name]), 'latin1').toString('utf8');
}

async function rawHead(key: string) {
  const url = new URL(client.signatureUrl(key, { method: 'HEAD', expires: 60 }));
  return rawRequest(oss.emulator.port, 'HEAD', `${url.pathname}${url.search}`);
}

it('a PostObject form with non-ASCII x-oss-meta-* and Content-Disposition fields: HEAD and GET answer the UTF-8 bytes the form sent', async () => {
  const key = `form/${Date.now()}.jpg`;
  const { OSSAccessKeyId, Signature, policy } = client.calculatePostSignature({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: BUCKET }] });
  const form = new FormData();
  for (const [name, value] of Object.entries({ key, OSSAccessKeyId, Signature, policy, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken, 'x-oss-meta-caption': CAPTION, 'Content-Disposition': DISPOSITION })) form.append(name, value);
  form.append('file', new Blob(['jpeg bytes'], { type: 'image/jpeg' }), 'photo.jpg');
  expect((await fetch(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', body: form })).status).toBe(204);

  const head = await rawHead(key);
  expect(head.status).toBe(200);
  expect([utf8Header(head.headers, 'x-oss-meta-caption'), utf8Header(head.headers, 'content-disposition')]).toEqual([CAPTION, DISPOSITION]);
  const got = await client.get(key);
  expect(utf8Header(got.res.headers, 'x-oss-meta-caption')).toBe(CAPTION);
  expect(oss.emulator.listObjects(BUCKET, key)[0]?.meta).toEqual({ caption: CAPTION });
});

it('a presigned URL with a non-ASCII response-content-disposition answers its UTF-8 bytes (a download name in Chinese)', async () => {
  const key = `download/${Date.now()}.jpg`;
  await client.put(key, Buffer.from('jpeg bytes'));
  const url = client.signatureUrl(key, { expires: 60, response: { 'content-disposition': DISPOSITION } });
  const response = await fetch(url);
  expect(response.status).toBe(200);
  // fetch reads header bytes as latin1, like Node's parser; the bytes are UTF-8.
  expect(Buffer.from(response.headers.get('content-disposition') ?? '', 'latin1').toString('utf8')).toBe(DISPOSITION);
  expect(await response.text()).toBe('jpeg bytes');
});

it('ali-oss headers keep their bytes through PutObject, CopyObject and multipart, and the console reads them as text', async () => {
  const utf8 = ossClient(oss.emulator, { bucket: BUCKET, headerEncoding: 'latin1' });
  const key = `sdk/${Date.now()}.txt`;
  await utf8.put(key, Buffer.from('x'), { meta: { caption: CAPTION } });
  await utf8.copy(`${key}.copy`, key);
  await utf8.multipartUpload(`${key}.mpu`, Buffer.from('parts'), { meta: { caption: CAPTION } });
  for (const k of [key, `${key}.copy`, `${key}.mpu`]) {
    expect(utf8Header((await utf8.head(k)).res.headers, 'x-oss-meta-caption')).toBe(CAPTION);
    expect(oss.emulator.listObjects(BUCKET, k)[0]?.meta).toEqual({ caption: CAPTION });
  }
});

describe('@aws-sdk/client-s3 with non-ASCII Metadata (the D121 leftover)', () => {
  const s3 = () => new S3Client({ endpoint: oss.emulator.endpoint, region: 'cn-hangzhou', credentials: S3_CREDENTIALS, forcePathStyle: true });

  it('PutObject with a string body: the bytes sent (UTF-8) are the bytes answered, readable as the value put', async () => {
    const key = `s3/${Date.now()}`;
    // Node refuses header strings past U+00FF before anything is sent, so the SDK's values are Latin-1 text.
    const caption = 'héllo wörld';
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'meta', Metadata: { caption } }));
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    // The SDK hands header bytes over as Node's parser read them (latin1); the bytes themselves are what it sent.
    expect(Buffer.from(head.Metadata?.caption ?? '', 'latin1').toString('utf8')).toBe(caption);
    expect(oss.emulator.listObjects(BUCKET, key)[0]?.meta).toEqual({ caption });
  });

  it('a request without a body sends Latin-1 bytes the SDK signed as UTF-8: SignatureDoesNotMatch, as over the bytes OSS receives', async () => {
    const failure = await s3Failure(s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `s3/${Date.now()}.mpu`, Metadata: { caption: 'café' } })));
    expect(failure).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
  });
});
