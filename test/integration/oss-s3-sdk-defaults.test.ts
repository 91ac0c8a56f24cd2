/**
 * D121: `@aws-sdk/client-s3` in its default settings (CRC32 request checksums, `x-amz-checksum-mode` on reads,
 * aws-chunked trailers for stream bodies) against the local OSS, answered as OSS's S3-compatible API answers it:
 * - checksum headers it sends are taken (verified when they name a body's checksum), none is stored or returned —
 *   OSS keeps no S3 checksums, so `ChecksumMode: 'ENABLED'` reads come back without them and the SDK has nothing to
 *   validate;
 * - DeleteObjects needs a Content-MD5 (OSS requires one; the SDK now sends a CRC32 instead);
 * - a stream body sent as `STREAMING-UNSIGNED-PAYLOAD-TRAILER` is refused as OSS refuses it, and stored once the
 *   client computes checksums only when required;
 * - browser forms signed the S3 way (V4 `x-amz-*` fields, or V2 `AWSAccessKeyId`/`signature`) upload, with their
 *   policy's conditions checked.
 */
import { createHmac } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { errorCode, rawRequest, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';
import { S3_CREDENTIALS, s3Failure, withContentMd5 } from '../helpers/s3';

const BUCKET = uniqueBucket('s3d');
let oss: TestOss;

const credentials = S3_CREDENTIALS;

beforeAll(async () => {
  oss = await startTestOss({ buckets: [BUCKET] });
});
afterEach(() => oss.resetClock());
afterAll(() => oss.stop());

function s3(options: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint: oss.emulator.endpoint, region: 'cn-hangzhou', credentials, forcePathStyle: true, ...options });
}

const failure = s3Failure;

async function exists(key: string): Promise<boolean> {
  try {
    await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    return true;
  } catch (err) {
    if ((err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
    throw err;
  }
}

describe('checksums as the SDK sends and asks for them', () => {
  test('CreateMultipartUpload and CopyObject with ChecksumAlgorithm are taken; parts carry verified CRC32s; Complete with part checksums', async () => {
    const key = `mpu-crc/${Date.now()}`;
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${key}.src`, Body: 'source' }));
    const copy = await s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${key}.copy`, CopySource: `${BUCKET}/${key}.src`, ChecksumAlgorithm: 'CRC32' }));
    expect(copy.CopyObjectResult?.ETag).toBeDefined();

    const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ChecksumAlgorithm: 'CRC32' }));
    const first = Buffer.alloc(5 * 1024 * 1024, 1);
    const p1 = await s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: first, ChecksumAlgorithm: 'CRC32' }));
    const p2 = await s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, Body: 'tail', ChecksumAlgorithm: 'SHA256' }));
    const parts = [
      { PartNumber: 1, ETag: p1.ETag, ChecksumCRC32: 'bGF0ZXI=' },
      { PartNumber: 2, ETag: p2.ETag },
    ];
    await s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: parts } }));
    const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect((await got.Body!.transformToByteArray()).length).toBe(first.length + 4);

    // A part whose checksum does not match its bytes is refused, as a PutObject's is.
    const other = await s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${key}.bad`, ChecksumAlgorithm: 'CRC32' }));
    const bad = await failure(s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: `${key}.bad`, UploadId: other.UploadId, PartNumber: 1, Body: 'abc', ChecksumCRC32: 'AAAAAA==' })));
    expect(bad).toMatchObject({ name: 'InvalidDigest', status: 400 });
  });

  test('GetObject and HeadObject with ChecksumMode ENABLED answer without checksums (OSS keeps none), and the SDK reads them', async () => {
    const key = `cks/${Date.now()}`;
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'checked', ChecksumAlgorithm: 'SHA256' }));
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect([head.ContentLength, head.ChecksumCRC32, head.ChecksumSHA256]).toEqual([7, undefined, undefined]);
    const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, ChecksumMode: 'ENABLED' }));
    expect([await got.Body!.transformToString(), got.ChecksumSHA256]).toEqual(['checked', undefined]);
    const raw = await rawRequest(oss.emulator.port, 'HEAD', `/${BUCKET}/${key}`, {});
    expect(Object.keys(raw.headers).filter((name) => name.startsWith('x-amz-checksum'))).toEqual([]);
  });
});

describe('DeleteObjects needs a Content-MD5, as OSS requires', () => {
  test('the default client (a CRC32, no Content-MD5) gets OSS MissingArgument and nothing is deleted', async () => {
    const key = `del/${Date.now()}`;
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'keep' }));
    const err = await failure(s3().send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: key }] } })));
    expect(err).toMatchObject({ name: 'MissingArgument', status: 400 });
    expect(err.message).toMatch(/Content-MD5/);
    expect(await exists(key)).toBe(true);
  });

  test('with Content-MD5 added (the SDK documents this middleware for S3-compatible stores) it deletes; a wrong MD5 is InvalidDigest', async () => {
    const key = `del-md5/${Date.now()}`;
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'gone' }));
    let corrupt = false;
    const client = withContentMd5(s3(), () => corrupt);
    corrupt = true;
    expect(await failure(client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: key }] } })))).toMatchObject({ name: 'InvalidDigest', status: 400 });
    expect(await exists(key)).toBe(true);
    corrupt = false;
    const deleted = await client.send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: key }, { Key: `${key}.never` }] } }));
    expect(deleted.Deleted!.map((d) => d.Key).sort()).toEqual([key, `${key}.never`]);
    expect(await exists(key)).toBe(false);
  });

  test('an OSS V1-signed request without Content-MD5 gets the same MissingArgument (EC 0016-00000606)', async () => {
    const date = new Date().toUTCString();
    const token = credentials.sessionToken;
    const stringToSign = `POST\n\napplication/xml\n${date}\nx-oss-security-token:${token}\n/${BUCKET}/?delete`;
    const res = await rawRequest(oss.emulator.port, 'POST', `/${BUCKET}/?delete`, {
      Date: date,
      'Content-Type': 'application/xml',
      'x-oss-security-token': token,
      Authorization: `OSS ${credentials.accessKeyId}:${createHmac('sha1', credentials.secretAccessKey).update(stringToSign).digest('base64')}`,
    }, '<Delete><Object><Key>x</Key></Object></Delete>');
    expect([res.status, errorCode(res.text), res.headers['x-oss-ec'], res.text.includes('Content-MD5')]).toEqual([400, 'MissingArgument', '0016-00000606', true]);
  });
});

describe('stream bodies: OSS does not take aws-chunked with a checksum trailer', () => {
  test('PutObject of a stream in default settings is refused by name (400 NotImplemented) and stores nothing', async () => {
    const key = `stream/${Date.now()}`;
    const bytes = Buffer.alloc(100 * 1024, 5);
    const err = await failure(s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Readable.from([bytes]), ContentLength: bytes.length })));
    expect(err).toMatchObject({ name: 'NotImplemented', status: 400 });
    expect(err.message).toMatch(/STREAMING-UNSIGNED-PAYLOAD-TRAILER is not supported/);
    expect(await exists(key)).toBe(false);
  });

  test('the signed trailer form (what the same clients send over plain HTTP) is refused the same way', async () => {
    const res = await rawRequest(oss.emulator.port, 'PUT', `/${BUCKET}/signed-trailer`, {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER',
      'x-amz-trailer': 'x-amz-checksum-crc32',
      'x-amz-decoded-content-length': '3',
      'x-amz-date': '20261127T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20261127/cn-hangzhou/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
    }, '3;chunk-signature=00\r\nabc\r\n0;chunk-signature=00\r\n\r\n');
    expect([res.status, errorCode(res.text), res.text.includes('STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER is not supported')]).toEqual([400, 'NotImplemented', true]);
    expect(await exists('signed-trailer')).toBe(false);
  });

  test("with requestChecksumCalculation: 'WHEN_REQUIRED' the same stream is stored", async () => {
    const key = `stream-ok/${Date.now()}`;
    const bytes = Buffer.alloc(100 * 1024, 6);
    await s3({ requestChecksumCalculation: 'WHEN_REQUIRED' }).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: Readable.from([bytes]), ContentLength: bytes.length }));
    const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });
});

describe('what the walk found answered as the SDK expects (kept as regression tests)', () => {
  test('ranges and read preconditions: suffix and open ranges are 206; If-None-Match is 304, If-Match 412 (as with S3, the SDK throws for both)', async () => {
    const key = `ranges/${Date.now()}`;
    const put = await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: '0123456789' }));
    const suffix = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=-3' }));
    expect([await suffix.Body!.transformToString(), suffix.ContentRange, suffix.$metadata.httpStatusCode]).toEqual(['789', 'bytes 7-9/10', 206]);
    const open = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=8-' }));
    expect([await open.Body!.transformToString(), open.ContentLength]).toEqual(['89', 2]);
    expect((await failure(s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfNoneMatch: put.ETag })))).status).toBe(304);
    expect((await failure(s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key, IfModifiedSince: new Date(Date.now() + 3_600_000) })))).status).toBe(304);
    expect(await failure(s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfUnmodifiedSince: new Date(Date.now() - 3_600_000) })))).toMatchObject({ name: 'PreconditionFailed', status: 412 });
    const matched = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: put.ETag, ResponseContentType: 'text/x-digits' }));
    expect([matched.ContentType, await matched.Body!.transformToString()]).toEqual(['text/x-digits', '0123456789']);
  });

  test('ListObjectsV2 with start-after, encoding-type=url and continuation tokens; ListObjects V1 markers', async () => {
    const prefix = `walk list ${Date.now()}/`;
    for (const name of ['a 1', 'a 2', 'a 3', 'b+c']) await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: name }));
    const first = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, StartAfter: `${prefix}a 1`, EncodingType: 'url', MaxKeys: 2 }));
    expect([first.Contents!.map((o) => decodeURIComponent(o.Key!)), first.IsTruncated, decodeURIComponent(first.StartAfter!)]).toEqual([[`${prefix}a 2`, `${prefix}a 3`], true, `${prefix}a 1`]);
    const rest = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, EncodingType: 'url', ContinuationToken: first.NextContinuationToken }));
    expect([rest.Contents!.map((o) => decodeURIComponent(o.Key!)), rest.IsTruncated]).toEqual([[`${prefix}b+c`], false]);
    const v1 = await s3().send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: prefix, Marker: `${prefix}a 2`, MaxKeys: 1 }));
    expect([v1.Contents!.map((o) => o.Key), v1.IsTruncated, v1.NextMarker]).toEqual([[`${prefix}a 3`], true, `${prefix}a 3`]);
  });

  test('CopyObject: COPY keeps the source metadata and tags (new ones ignored), REPLACE takes the request\'s; ListMultipartUploads pages', async () => {
    const key = `copy-walk/${Date.now()}`;
    await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'src', Metadata: { from: 'source' }, Tagging: 'a=1' }));
    await s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${key}.copy`, CopySource: `${BUCKET}/${key}`, Metadata: { ignored: 'yes' } }));
    await s3().send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${key}.replaced`, CopySource: `${BUCKET}/${key}`, MetadataDirective: 'REPLACE', Metadata: { to: 'copy' }, TaggingDirective: 'REPLACE', Tagging: 'b=2' }));
    const copied = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key}.copy` }));
    const replaced = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key}.replaced` }));
    expect([copied.Metadata, copied.TagCount, replaced.Metadata, replaced.TagCount]).toEqual([{ from: 'source' }, 1, { to: 'copy' }, 1]);

    const uploads = [];
    for (let i = 0; i < 3; i++) uploads.push((await s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${key}.mpu` }))).UploadId);
    const page = await s3().send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${key}.mpu`, MaxUploads: 2 }));
    const next = await s3().send(new ListMultipartUploadsCommand({ Bucket: BUCKET, Prefix: `${key}.mpu`, KeyMarker: page.NextKeyMarker, UploadIdMarker: page.NextUploadIdMarker }));
    expect([...page.Uploads!, ...next.Uploads!].map((u) => u.UploadId).sort()).toEqual([...uploads].sort());
    expect([page.IsTruncated, next.IsTruncated]).toEqual([true, false]);
  });
});

test('S3 conditional writes (If-None-Match / If-Match on PutObject and CompleteMultipartUpload) are refused by name, never an overwrite', async () => {
  const key = `conditional/${Date.now()}`;
  await s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'first' }));
  const createOnly = await failure(s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'second', IfNoneMatch: '*' })));
  const compareAndSwap = await failure(s3().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'third', IfMatch: '"0"' })));
  const { UploadId } = await s3().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key }));
  const part = await s3().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: 'fourth' }));
  const complete = await failure(s3().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, IfNoneMatch: '*', MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag }] } })));
  for (const [err, header] of [[createOnly, 'If-None-Match'], [compareAndSwap, 'If-Match'], [complete, 'If-None-Match']] as const) {
    expect({ header, name: err.name, status: err.status, named: err.message.includes(header) }).toEqual({ header, name: 'NotImplemented', status: 501, named: true });
  }
  const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
  expect(await got.Body!.transformToString()).toBe('first');
  // On reads they are HTTP's preconditions, answered as OSS answers them.
  expect((await failure(s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, IfMatch: '"0"' })))).status).toBe(412);
});

test('presigned PUT, GET and HEAD URLs used by plain fetch', async () => {
  const key = `presigned-fetch/${Date.now()} ä+b.txt`;
  const putUrl = await getSignedUrl(s3(), new PutObjectCommand({ Bucket: BUCKET, Key: key, ContentType: 'text/plain' }), { expiresIn: 60 });
  const put = await fetch(putUrl, { method: 'PUT', body: 'from fetch', headers: { 'Content-Type': 'text/plain' } });
  expect(put.status).toBe(200);
  const getUrl = await getSignedUrl(s3(), new GetObjectCommand({ Bucket: BUCKET, Key: key, ResponseContentDisposition: 'attachment; filename="a.txt"' }), { expiresIn: 60 });
  const got = await fetch(getUrl);
  expect([got.status, got.headers.get('content-type'), got.headers.get('content-disposition'), await got.text()]).toEqual([200, 'text/plain', 'attachment; filename="a.txt"', 'from fetch']);
  const headUrl = await getSignedUrl(s3(), new HeadObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 });
  const head = await fetch(headUrl, { method: 'HEAD' });
  expect([head.status, head.headers.get('content-length')]).toEqual([200, '10']);
});

describe('PostObject forms signed the S3 way', () => {
  const region = 'cn-hangzhou';

  /** S3's V4 POST policy signature (AWS's "browser-based uploads using POST"): hex HMAC of the base64 policy. */
  function v4Form(fields: Record<string, string>, conditions: unknown[], options: { secret?: string; expiresInMs?: number; signedAt?: Date } = {}): FormData {
    const at = options.signedAt ?? new Date();
    const amzDate = at.toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
    const day = amzDate.slice(0, 8);
    const credential = `${credentials.accessKeyId}/${day}/${region}/s3/aws4_request`;
    const signing = { 'x-amz-algorithm': 'AWS4-HMAC-SHA256', 'x-amz-credential': credential, 'x-amz-date': amzDate, 'x-amz-security-token': credentials.sessionToken };
    const policy = Buffer.from(
      JSON.stringify({
        expiration: new Date(at.getTime() + (options.expiresInMs ?? 600_000)).toISOString(),
        conditions: [...conditions, ...Object.entries(signing).map(([name, value]) => ({ [name]: value }))],
      }),
    ).toString('base64');
    const key = [day, region, 's3', 'aws4_request'].reduce<Buffer>((k, part) => createHmac('sha256', k).update(part).digest(), Buffer.from(`AWS4${options.secret ?? credentials.secretAccessKey}`));
    const form = new FormData();
    for (const [name, value] of Object.entries({ ...fields, ...signing, policy, 'x-amz-signature': createHmac('sha256', key).update(policy).digest('hex') })) form.set(name, value);
    return form;
  }

  const post = (form: FormData, body = 'form body') => {
    form.set('file', new Blob([body]), 'photo.txt');
    return fetch(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', body: form });
  };

  test('V4: stored with its metadata, ACL and content type; 201 answers the PostResponse', async () => {
    const key = `s3form/${Date.now()}/\${filename}`;
    const form = v4Form(
      { key, acl: 'public-read', 'Content-Type': 'text/plain', 'x-amz-meta-owner': 'ana', success_action_status: '201' },
      [{ bucket: BUCKET }, ['starts-with', '$key', 's3form/'], { acl: 'public-read' }, ['starts-with', '$Content-Type', 'text/'], ['content-length-range', 1, 1024]],
    );
    const res = await post(form);
    const text = await res.text();
    expect([res.status, /<Key>s3form\/\d+\/photo.txt<\/Key>/.test(text)]).toEqual([201, true]);
    const stored = key.replace('${filename}', 'photo.txt');
    const head = await s3().send(new HeadObjectCommand({ Bucket: BUCKET, Key: stored }));
    expect([head.ContentType, head.Metadata]).toEqual(['text/plain', { owner: 'ana' }]);
    expect((await fetch(`${oss.emulator.endpoint}/${BUCKET}/${stored.split('/').map(encodeURIComponent).join('/')}`)).status).toBe(200);
  });

  test('V4: wrong secret, an expired policy and a failed condition are 403s and store nothing', async () => {
    const key = `s3form-bad/${Date.now()}`;
    const cases: Array<[string, FormData, RegExp]> = [
      ['wrong secret', v4Form({ key }, [{ bucket: BUCKET }], { secret: 'not-the-secret' }), /SignatureDoesNotMatch/],
      ['expired', v4Form({ key }, [{ bucket: BUCKET }], { expiresInMs: -1000 }), /expired/],
      ['condition', v4Form({ key }, [{ bucket: BUCKET }, ['starts-with', '$key', 'elsewhere/']]), /Policy Condition failed/],
    ];
    for (const [name, form, message] of cases) {
      const res = await post(form);
      const text = await res.text();
      expect({ name, status: res.status, named: message.test(text) }).toEqual({ name, status: 403, named: true });
    }
    const range = await post(v4Form({ key }, [{ bucket: BUCKET }, ['content-length-range', 0, 3]]), 'longer than three');
    expect([range.status, errorCode(await range.text())]).toEqual([400, 'EntityTooLarge']);
    expect(await exists(key)).toBe(false);
  });

  test('V4: a credential scope for another service or a malformed date is 400 naming the field', async () => {
    const form = v4Form({ key: 'x' }, [{ bucket: BUCKET }]);
    form.set('x-amz-credential', String(form.get('x-amz-credential')).replace('/s3/', '/oss/'));
    const res = await post(form);
    const text = await res.text();
    expect([res.status, errorCode(text), text.includes('x-amz-credential')]).toEqual([400, 'InvalidArgument', true]);
  });

  test('V4: S3 form fields OSS has no twin for (tagging, an unmapped storage class) are refused by name and store nothing', async () => {
    const key = `s3form-refused/${Date.now()}`;
    const tagged = await post(v4Form({ key, tagging: '<Tagging><TagSet></TagSet></Tagging>' }, [{ bucket: BUCKET }]));
    const taggedText = await tagged.text();
    expect([tagged.status, errorCode(taggedText), taggedText.includes('tagging')]).toEqual([501, 'NotImplemented', true]);
    const deep = await post(v4Form({ key, 'x-amz-storage-class': 'DEEP_ARCHIVE' }, [{ bucket: BUCKET }]));
    expect([deep.status, errorCode(await deep.text())]).toEqual([400, 'InvalidArgument']);
    expect(await exists(key)).toBe(false);
  });

  test('V2 (AWSAccessKeyId, signature = base64 HMAC-SHA1 of the policy) uploads; a wrong signature is 403', async () => {
    const key = `s3form-v2/${Date.now()}`;
    const policy = Buffer.from(JSON.stringify({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [{ bucket: BUCKET }, { key }] })).toString('base64');
    const form = (signature: string) => {
      const f = new FormData();
      for (const [name, value] of Object.entries({ key, AWSAccessKeyId: credentials.accessKeyId, 'x-amz-security-token': credentials.sessionToken, policy, signature })) f.set(name, value);
      return f;
    };
    const wrong = await post(form(createHmac('sha1', 'not-the-secret').update(policy).digest('base64')));
    expect([wrong.status, errorCode(await wrong.text())]).toEqual([403, 'SignatureDoesNotMatch']);
    expect(await exists(key)).toBe(false);
    const ok = await post(form(createHmac('sha1', credentials.secretAccessKey).update(policy).digest('base64')), 'v2 form');
    expect(ok.status).toBe(204);
    const got = await s3().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await got.Body!.transformToString()).toBe('v2 form');
    const listed = await s3().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: 's3form-v2/' }));
    expect(listed.KeyCount).toBe(1);
  });
});
