/**
 * OSS's S3-compatible API as S3 users reach it: `@aws-sdk/client-s3` in its default settings (SigV4, CRC32
 * checksums, aws-chunked bodies for streams), path-style and virtual-hosted (`<bucket>.localhost`), presigned URLs
 * from `@aws-sdk/s3-request-presigner` used by curl, and signatures V2 and streaming V4 as other S3 tools send them.
 * Each operation OSS documents for S3 clients works; what OSS does not offer them is refused by name and leaves
 * nothing behind; wrong keys and signatures are 403s.
 */
import { execFile } from 'node:child_process';
import { createHash, createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateBucketCommand,
  CreateMultipartUploadCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  DeleteObjectsCommand,
  GetBucketAclCommand,
  GetBucketLifecycleConfigurationCommand,
  GetBucketLocationCommand,
  GetObjectAclCommand,
  GetObjectAttributesCommand,
  GetObjectCommand,
  GetObjectTaggingCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListBucketsCommand,
  ListObjectVersionsCommand,
  ListObjectsCommand,
  ListObjectsV2Command,
  ListPartsCommand,
  PutBucketAclCommand,
  PutBucketCorsCommand,
  PutBucketLifecycleConfigurationCommand,
  PutBucketVersioningCommand,
  PutObjectAclCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { SignatureV4 } from '@smithy/signature-v4';
import { resolveLocalhostNames } from '../../scripts/local/runtime/localhost-names';
import { errorCode, rawRequest, startTestOss, uniqueBucket, type TestOss } from '../helpers/oss';
import { S3_CREDENTIALS, s3Failure, withContentMd5 } from '../helpers/s3';

const run = promisify(execFile);
const BUCKET = uniqueBucket('s3');
let oss: TestOss;
let scratch: string;

const credentials = S3_CREDENTIALS;

beforeAll(async () => {
  resolveLocalhostNames();
  oss = await startTestOss({ buckets: [BUCKET] });
  scratch = mkdtempSync(join(tmpdir(), 'oss-s3-'));
});
afterEach(() => oss.resetClock());
afterAll(async () => {
  await oss.stop();
  rmSync(scratch, { recursive: true, force: true });
});

/** An S3 client as OSS's docs set one up: the endpoint, a region and the AccessKey; nothing else changed. */
function s3(options: Partial<S3ClientConfig> = {}): S3Client {
  return new S3Client({ endpoint: oss.emulator.endpoint, region: 'cn-hangzhou', credentials, ...options });
}

const failure = s3Failure;

/** The client, and the headers of the last request it sent (as they went on the wire). */
function recordingHeaders(client: S3Client): { client: S3Client; seen: Record<string, string> } {
  const seen: Record<string, string> = {};
  client.middlewareStack.add(
    (next) => async (args) => {
      Object.assign(seen, (args.request as { headers: Record<string, string> }).headers);
      return next(args);
    },
    { step: 'finalizeRequest', priority: 'low' },
  );
  return { client, seen };
}

const text = (body: { transformToString(): Promise<string> } | undefined) => body!.transformToString();

describe.each([
  ['path-style', { forcePathStyle: true }],
  ['virtual-hosted <bucket>.localhost', {}],
] as const)('@aws-sdk/client-s3 %s, default settings', (_style, style) => {
  const client = () => s3(style);

  test('PutObject (CRC32 header) / GetObject / HeadObject with metadata, content type and storage class', async () => {
    const key = `put/${Date.now()}-héllo wörld+&=.txt`;
    const put = await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'hello s3', ContentType: 'text/plain', Metadata: { owner: 'ana' }, StorageClass: 'STANDARD_IA' }));
    expect(put.ETag).toBe(`"${createHash('md5').update('hello s3').digest('hex').toUpperCase()}"`);
    const got = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(await text(got.Body)).toBe('hello s3');
    expect(got.ContentType).toBe('text/plain');
    expect(got.Metadata).toEqual({ owner: 'ana' });
    expect(got.StorageClass).toBe('STANDARD_IA');
    const head = await client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(head.ContentLength).toBe(8);
    expect(head.ETag).toBe(put.ETag);
    const listed = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }));
    expect(listed.Contents!.map((o) => [o.Key, o.StorageClass])).toEqual([[key, 'STANDARD_IA']]);
    const ranged = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key, Range: 'bytes=0-4' }));
    expect(await text(ranged.Body)).toBe('hello');
  });

  test('PutObject of a stream: refused as OSS refuses a checksum trailer; sent plain when checksums are computed only when required', async () => {
    const key = `stream/${Date.now()}.bin`;
    const bytes = Buffer.alloc(300 * 1024, 7);
    const body = () => Readable.from([bytes.subarray(0, 1000), bytes.subarray(1000)]);
    const { client: c, seen } = recordingHeaders(client());
    const refused = await failure(c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body(), ContentLength: bytes.length })));
    expect([seen['x-amz-content-sha256'], seen['x-amz-trailer'], refused.name, refused.status]).toEqual(['STREAMING-UNSIGNED-PAYLOAD-TRAILER', 'x-amz-checksum-crc32', 'NotImplemented', 400]);
    const { client: plain, seen: sent } = recordingHeaders(s3({ ...style, requestChecksumCalculation: 'WHEN_REQUIRED' }));
    await plain.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: body(), ContentLength: bytes.length }));
    expect(sent['x-amz-trailer']).toBeUndefined();
    const got = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
    expect(got.ContentEncoding).toBeUndefined();
  });

  test('a 3 MB PutObject (the SDK waits for 100-continue) and its GetObject', async () => {
    const key = `big/${Date.now()}.bin`;
    const bytes = Buffer.alloc(3 * 1024 * 1024);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    const { client: c, seen } = recordingHeaders(client());
    await c.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
    expect(seen.Expect ?? seen.expect).toBe('100-continue');
    const got = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(bytes)).toBe(true);
  });

  test('a checksum that does not match the body is refused and nothing is stored', async () => {
    const key = `bad-crc/${Date.now()}`;
    const err = await failure(client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'abc', ChecksumCRC32: 'AAAAAA==' })));
    expect(err).toMatchObject({ name: 'InvalidDigest', status: 400 });
    expect((await failure(client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: key })))).status).toBe(404);
  });

  test('ListObjectsV2 (prefix, delimiter, pages) and ListObjects', async () => {
    const prefix = `list-${Date.now()}/`;
    for (const name of ['a', 'b', 'c', 'd/1', 'd/2']) await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${prefix}${name}`, Body: name }));
    const page1 = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, Delimiter: '/', MaxKeys: 2 }));
    expect(page1.Contents!.map((o) => o.Key)).toEqual([`${prefix}a`, `${prefix}b`]);
    expect(page1.IsTruncated).toBe(true);
    const page2 = await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: prefix, Delimiter: '/', ContinuationToken: page1.NextContinuationToken }));
    expect(page2.Contents!.map((o) => o.Key)).toEqual([`${prefix}c`]);
    expect(page2.CommonPrefixes).toEqual([{ Prefix: `${prefix}d/` }]);
    const v1 = await client().send(new ListObjectsCommand({ Bucket: BUCKET, Prefix: `${prefix}d/` }));
    expect(v1.Contents!.map((o) => [o.Key, o.Size])).toEqual([
      [`${prefix}d/1`, 3],
      [`${prefix}d/2`, 3],
    ]);
  });

  test('CopyObject (REPLACE metadata) and DeleteObjects (with the Content-MD5 OSS requires)', async () => {
    const key = `copy-${Date.now()}`;
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${key}/src k`, Body: 'copied', Metadata: { a: '1' } }));
    const copy = await client().send(new CopyObjectCommand({ Bucket: BUCKET, Key: `${key}/dst`, CopySource: `${BUCKET}/${encodeURIComponent(`${key}/src k`)}`, MetadataDirective: 'REPLACE', Metadata: { b: '2' } }));
    expect(copy.CopyObjectResult?.ETag).toBeDefined();
    const head = await client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key}/dst` }));
    expect(head.Metadata).toEqual({ b: '2' });
    const deleted = await withContentMd5(client()).send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: `${key}/src k` }, { Key: `${key}/dst` }] } }));
    expect(deleted.Deleted!.map((d) => d.Key).sort()).toEqual([`${key}/dst`, `${key}/src k`]);
    expect((await client().send(new ListObjectsV2Command({ Bucket: BUCKET, Prefix: key }))).KeyCount).toBe(0);
    await client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: `${key}/never-existed` }));
  });

  test('multipart upload: initiate, parts (one copied), list parts, complete; abort', async () => {
    const key = `mpu-${Date.now()}`;
    const part1 = Buffer.alloc(200 * 1024, 1);
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: `${key}/source`, Body: Buffer.alloc(1000, 2) }));
    const { UploadId } = await client().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: key, ContentType: 'application/x-test' }));
    const p1 = await client().send(new UploadPartCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 1, Body: part1 }));
    const p2 = await client().send(new UploadPartCopyCommand({ Bucket: BUCKET, Key: key, UploadId, PartNumber: 2, CopySource: `${BUCKET}/${key}/source`, CopySourceRange: 'bytes=0-499' }));
    const parts = await client().send(new ListPartsCommand({ Bucket: BUCKET, Key: key, UploadId }));
    expect(parts.Parts!.map((p) => [p.PartNumber, p.Size])).toEqual([
      [1, part1.length],
      [2, 500],
    ]);
    await client().send(new CompleteMultipartUploadCommand({ Bucket: BUCKET, Key: key, UploadId, MultipartUpload: { Parts: [{ PartNumber: 1, ETag: p1.ETag }, { PartNumber: 2, ETag: p2.CopyPartResult!.ETag }] } }));
    const got = await client().send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat([part1, Buffer.alloc(500, 2)]))).toBe(true);
    expect(got.ContentType).toBe('application/x-test');

    const other = await client().send(new CreateMultipartUploadCommand({ Bucket: BUCKET, Key: `${key}/aborted` }));
    await client().send(new AbortMultipartUploadCommand({ Bucket: BUCKET, Key: `${key}/aborted`, UploadId: other.UploadId }));
    expect((await failure(client().send(new ListPartsCommand({ Bucket: BUCKET, Key: `${key}/aborted`, UploadId: other.UploadId })))).name).toBe('NoSuchUpload');
  });

  test('object tagging and canned ACLs (shown to S3 clients as grants)', async () => {
    const key = `tags-${Date.now()}`;
    await client().send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'x', Tagging: 'team=web' }));
    expect((await client().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([{ Key: 'team', Value: 'web' }]);
    await client().send(new PutObjectTaggingCommand({ Bucket: BUCKET, Key: key, Tagging: { TagSet: [{ Key: 'a', Value: '1' }] } }));
    expect((await client().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet).toEqual([{ Key: 'a', Value: '1' }]);
    await client().send(new DeleteObjectTaggingCommand({ Bucket: BUCKET, Key: key }));
    expect((await client().send(new GetObjectTaggingCommand({ Bucket: BUCKET, Key: key }))).TagSet ?? []).toEqual([]);

    const before = await client().send(new GetObjectAclCommand({ Bucket: BUCKET, Key: key }));
    expect(before.Grants!.map((g) => g.Permission)).toEqual(['FULL_CONTROL']);
    expect((await fetch(`${oss.emulator.endpoint}/${BUCKET}/${key}`)).status).toBe(403);
    await client().send(new PutObjectAclCommand({ Bucket: BUCKET, Key: key, ACL: 'public-read' }));
    const after = await client().send(new GetObjectAclCommand({ Bucket: BUCKET, Key: key }));
    expect(after.Grants!.map((g) => [g.Grantee?.URI ?? 'owner', g.Permission])).toEqual([
      ['owner', 'FULL_CONTROL'],
      ['http://acs.amazonaws.com/groups/global/AllUsers', 'READ'],
    ]);
    expect((await fetch(`${oss.emulator.endpoint}/${BUCKET}/${key}`)).status).toBe(200);
    const odd = await failure(client().send(new PutObjectAclCommand({ Bucket: BUCKET, Key: key, ACL: 'authenticated-read' })));
    expect(odd).toMatchObject({ name: 'InvalidArgument', status: 400 });
  });

  test('buckets: CreateBucket, HeadBucket, ListBuckets, GetBucketLocation, bucket ACL, DeleteBucket (409 when not empty)', async () => {
    const bucket = uniqueBucket('s3b');
    await client().send(new CreateBucketCommand({ Bucket: bucket }));
    await client().send(new HeadBucketCommand({ Bucket: bucket }));
    expect((await client().send(new ListBucketsCommand({}))).Buckets!.map((b) => b.Name)).toContain(bucket);
    expect((await client().send(new GetBucketLocationCommand({ Bucket: bucket }))).LocationConstraint).toBe('oss-cn-hangzhou');
    await client().send(new PutBucketAclCommand({ Bucket: bucket, ACL: 'public-read' }));
    expect((await client().send(new GetBucketAclCommand({ Bucket: bucket }))).Grants!.map((g) => g.Permission)).toEqual(['FULL_CONTROL', 'READ']);
    expect((await failure(client().send(new CreateBucketCommand({ Bucket: bucket })))).name).toBe('BucketAlreadyExists');
    await client().send(new PutObjectCommand({ Bucket: bucket, Key: 'k', Body: 'v' }));
    expect(await failure(client().send(new DeleteBucketCommand({ Bucket: bucket })))).toMatchObject({ name: 'BucketNotEmpty', status: 409 });
    await client().send(new DeleteObjectCommand({ Bucket: bucket, Key: 'k' }));
    await client().send(new DeleteBucketCommand({ Bucket: bucket }));
    expect((await failure(client().send(new HeadBucketCommand({ Bucket: bucket })))).status).toBe(404);

    const located = uniqueBucket('s3c');
    await client().send(new CreateBucketCommand({ Bucket: located, CreateBucketConfiguration: { LocationConstraint: 'cn-hangzhou' as never } }));
    await client().send(new PutBucketLifecycleConfigurationCommand({ Bucket: located, LifecycleConfiguration: { Rules: [{ ID: 'logs', Status: 'Enabled', Filter: { Prefix: 'logs/' }, Expiration: { Days: 7 } }] } }));
    const rules = (await client().send(new GetBucketLifecycleConfigurationCommand({ Bucket: located }))).Rules!;
    expect(rules.map((r) => [r.ID, r.Filter?.Prefix ?? r.Prefix, r.Status, r.Expiration?.Days])).toEqual([['logs', 'logs/', 'Enabled', 7]]);
    await client().send(new DeleteBucketCommand({ Bucket: located }));
  });

  test('missing objects and buckets: NoSuchKey, NotFound on HEAD, NoSuchBucket', async () => {
    expect(await failure(client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'no/such/key' })))).toMatchObject({ name: 'NoSuchKey', status: 404 });
    expect(await failure(client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'no/such/key' })))).toMatchObject({ name: 'NotFound', status: 404 });
    expect(await failure(client().send(new ListObjectsV2Command({ Bucket: uniqueBucket('gone') })))).toMatchObject({ name: 'NoSuchBucket', status: 404 });
  });

  test('wrong secret, unknown key and wrong session token are 403s', async () => {
    const wrongSecret = s3({ ...style, credentials: { ...credentials, secretAccessKey: 'not-the-secret' } });
    expect(await failure(wrongSecret.send(new GetObjectCommand({ Bucket: BUCKET, Key: 'x' })))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    expect(await failure(wrongSecret.send(new PutObjectCommand({ Bucket: BUCKET, Key: 'never-written', Body: 'x' })))).toMatchObject({ name: 'SignatureDoesNotMatch', status: 403 });
    const unknown = s3({ ...style, credentials: { ...credentials, accessKeyId: 'LTAInobody' } });
    expect(await failure(unknown.send(new ListBucketsCommand({})))).toMatchObject({ name: 'InvalidAccessKeyId', status: 403 });
    const badToken = s3({ ...style, credentials: { ...credentials, sessionToken: 'stale' } });
    expect(await failure(badToken.send(new HeadBucketCommand({ Bucket: BUCKET })))).toMatchObject({ status: 403 });
    expect((await failure(client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'never-written' })))).status).toBe(404);
  });

  test('what OSS does not offer S3 clients is refused by name (501), and nothing is stored', async () => {
    const refusals: Array<[string, Promise<unknown>, RegExp]> = [
      ['PutBucketCors', client().send(new PutBucketCorsCommand({ Bucket: BUCKET, CORSConfiguration: { CORSRules: [{ AllowedMethods: ['GET'], AllowedOrigins: ['*'] }] } })), /Bucket CORS/],
      ['PutBucketVersioning', client().send(new PutBucketVersioningCommand({ Bucket: BUCKET, VersioningConfiguration: { Status: 'Enabled' } })), /versioning/],
      ['GetObjectAttributes', client().send(new GetObjectAttributesCommand({ Bucket: BUCKET, Key: 'x', ObjectAttributes: ['ETag'] })), /GetObjectAttributes/],
      ['GetObject PartNumber', client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'x', PartNumber: 1 })), /partNumber/],
      ['Object Lock', client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'locked', Body: 'x', ObjectLockMode: 'GOVERNANCE', ObjectLockRetainUntilDate: new Date(Date.now() + 86400000) })), /Object Lock/],
      ['SSE-C', client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'ssec', Body: 'x', SSECustomerAlgorithm: 'AES256', SSECustomerKey: 'a'.repeat(32) })), /SSE-C/],
      ['ACL grants', client().send(new PutObjectAclCommand({ Bucket: BUCKET, Key: 'x', AccessControlPolicy: { Owner: { ID: 'o' }, Grants: [] } })), /AccessControlPolicy/],
      // Object versions are emulated for OSS's own API only (D156).
      ['ListObjectVersions', client().send(new ListObjectVersionsCommand({ Bucket: BUCKET })), /ListObjectVersions/],
      ['GetObject VersionId', client().send(new GetObjectCommand({ Bucket: BUCKET, Key: 'x', VersionId: 'CAEQabc' })), /versionId/],
      ['DeleteObject VersionId', client().send(new DeleteObjectCommand({ Bucket: BUCKET, Key: 'x', VersionId: 'CAEQabc' })), /versionId/],
      ['CopyObject of a version', client().send(new CopyObjectCommand({ Bucket: BUCKET, Key: 'copy', CopySource: `${BUCKET}/x?versionId=CAEQabc` })), /x-amz-copy-source/],
      ['DeleteObjects VersionId', withContentMd5(client()).send(new DeleteObjectsCommand({ Bucket: BUCKET, Delete: { Objects: [{ Key: 'x', VersionId: 'CAEQabc' }] } })), /VersionId/],
    ];
    for (const [name, call, message] of refusals) {
      const err = await failure(call);
      expect({ call: name, code: err.name, status: err.status, named: message.test(err.message) }).toEqual({ call: name, code: 'NotImplemented', status: 501, named: true });
    }
    expect((await failure(client().send(new HeadObjectCommand({ Bucket: BUCKET, Key: 'locked' })))).status).toBe(404);
    const lifecycle = await failure(
      client().send(new PutBucketLifecycleConfigurationCommand({ Bucket: BUCKET, LifecycleConfiguration: { Rules: [{ ID: 'r', Status: 'Enabled', Filter: { And: { Prefix: 'logs/', Tags: [{ Key: 'a', Value: '1' }] } }, Expiration: { Days: 1 } }] } })),
    );
    expect({ code: lifecycle.name, status: lifecycle.status, named: /filters with And/.test(lifecycle.message) }).toEqual({ code: 'NotImplemented', status: 501, named: true });
    const unmapped = await failure(client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'deep', Body: 'x', StorageClass: 'DEEP_ARCHIVE' })));
    expect(unmapped).toMatchObject({ name: 'InvalidArgument', status: 400 });
  });
});

test('a PostObject form signed the S3 way is verified: a wrong V2 signature is 403 and stores nothing', async () => {
  const form = new FormData();
  form.set('key', 's3-form');
  form.set('AWSAccessKeyId', credentials.accessKeyId);
  form.set('x-amz-security-token', credentials.sessionToken);
  form.set('policy', Buffer.from('{}').toString('base64'));
  form.set('signature', 'x');
  form.set('file', new Blob(['body']));
  const res = await fetch(`${oss.emulator.endpoint}/${BUCKET}`, { method: 'POST', body: form });
  expect([res.status, errorCode(await res.text())]).toEqual([403, 'SignatureDoesNotMatch']);
  expect((await failure(s3({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: 's3-form' })))).status).toBe(404);
});

describe('presigned URLs (@aws-sdk/s3-request-presigner) from curl', () => {
  let curlSeq = 0;
  async function curl(url: string, method: string, body?: Buffer): Promise<{ status: number; body: string }> {
    const id = ++curlSeq;
    const out = join(scratch, `o${id}`);
    const args = ['-sS', '-o', out, '-w', '%{http_code}', '-X', method];
    if (body) {
      const file = join(scratch, `u${id}`);
      writeFileSync(file, body);
      args.push('-T', file);
    }
    const { stdout } = await run('curl', [...args, url]);
    return { status: Number(stdout), body: readFileSync(out, 'utf8') };
  }

  test.each([
    ['path-style', { forcePathStyle: true }],
    ['virtual-hosted', {}],
  ] as const)('%s: PUT then GET; expired and tampered URLs are 403s', async (_name, style) => {
    const client = s3(style);
    const key = `presigned/${Date.now()} ü.txt`;
    const putUrl = await getSignedUrl(client, new PutObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 300 });
    expect(putUrl).toContain('X-Amz-Signature=');
    expect(await curl(putUrl, 'PUT', Buffer.from('from curl'))).toMatchObject({ status: 200 });
    const getUrl = await getSignedUrl(client, new GetObjectCommand({ Bucket: BUCKET, Key: key }), { expiresIn: 60 });
    expect(await curl(getUrl, 'GET')).toEqual({ status: 200, body: 'from curl' });

    const tampered = getUrl.replace(/X-Amz-Signature=([0-9a-f])/, (_m, c: string) => `X-Amz-Signature=${c === '0' ? '1' : '0'}`);
    const bad = await curl(tampered, 'GET');
    expect([bad.status, errorCode(bad.body)]).toEqual([403, 'SignatureDoesNotMatch']);
    oss.advance(61_000);
    const late = await curl(getUrl, 'GET');
    expect([late.status, errorCode(late.body), late.body.includes('0002-00000418')]).toEqual([403, 'AccessDenied', true]);
  });
});

/** SHA-256 / HMAC-SHA256 for smithy's signer, from node:crypto. */
class NodeSha256 {
  private hash;
  constructor(secret?: string | ArrayBuffer | ArrayBufferView) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', typeof secret === 'string' ? secret : Buffer.from(secret instanceof ArrayBuffer ? new Uint8Array(secret) : new Uint8Array(secret.buffer, secret.byteOffset, secret.byteLength)));
  }
  update(data: Uint8Array | string): void {
    this.hash.update(data);
  }
  digest(): Promise<Uint8Array> {
    return Promise.resolve(new Uint8Array(this.hash.digest()));
  }
}

describe('other S3 tools: V2 signatures and signed streaming (STREAMING-AWS4-HMAC-SHA256-PAYLOAD)', () => {
  /** S3's signature V2 as its documentation defines it (boto3 `signature_version='s3'`, which OSS's boto3 example uses). */
  function signV2(method: string, resource: string, headers: Record<string, string>, date: string): string {
    const amz = Object.keys(headers)
      .filter((name) => name.startsWith('x-amz-'))
      .sort()
      .map((name) => `${name}:${headers[name]}\n`)
      .join('');
    const stringToSign = `${method}\n${headers['content-md5'] ?? ''}\n${headers['content-type'] ?? ''}\n${date}\n${amz}${resource}`;
    return createHmac('sha1', credentials.secretAccessKey).update(stringToSign).digest('base64');
  }

  test('V2 header signature: PUT with x-amz-meta, GET; a wrong one is SignatureDoesNotMatch', async () => {
    const key = `v2-${Date.now()}.txt`;
    const date = new Date().toUTCString();
    const putHeaders = { 'content-type': 'text/plain', 'x-amz-meta-via': 'v2', 'x-amz-security-token': credentials.sessionToken };
    const put = await rawRequest(oss.emulator.port, 'PUT', `/${BUCKET}/${key}`, {
      ...putHeaders,
      Date: date,
      Authorization: `AWS ${credentials.accessKeyId}:${signV2('PUT', `/${BUCKET}/${key}`, putHeaders, date)}`,
    }, 'v2 body');
    expect(put.status).toBe(200);
    const getHeaders = { 'x-amz-security-token': credentials.sessionToken };
    const get = await rawRequest(oss.emulator.port, 'GET', `/${BUCKET}/${key}`, { ...getHeaders, Date: date, Authorization: `AWS ${credentials.accessKeyId}:${signV2('GET', `/${BUCKET}/${key}`, getHeaders, date)}` });
    expect([get.status, get.text, get.headers['x-amz-meta-via']]).toEqual([200, 'v2 body', 'v2']);
    const wrong = await rawRequest(oss.emulator.port, 'GET', `/${BUCKET}/${key}`, { ...getHeaders, Date: date, Authorization: `AWS ${credentials.accessKeyId}:${signV2('GET', `/${BUCKET}/other`, getHeaders, date)}` });
    expect([wrong.status, errorCode(wrong.text)]).toEqual([403, 'SignatureDoesNotMatch']);
  });

  test('V2 presigned URL (AWSAccessKeyId/Expires/Signature)', async () => {
    const key = `v2url-${Date.now()}.txt`;
    await s3({ forcePathStyle: true }).send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: 'v2 url' }));
    const expires = String(Math.floor(Date.now() / 1000) + 60);
    const signature = signV2('GET', `/${BUCKET}/${key}?x-amz-security-token=${credentials.sessionToken}`.replace(/\?.*/, ''), {}, expires);
    const query = `AWSAccessKeyId=${encodeURIComponent(credentials.accessKeyId)}&Expires=${expires}&Signature=${encodeURIComponent(signature)}&x-amz-security-token=${credentials.sessionToken}`;
    const got = await fetch(`${oss.emulator.endpoint}/${BUCKET}/${key}?${query}`);
    expect([got.status, await got.text()]).toEqual([200, 'v2 url']);
    const noExpires = await fetch(`${oss.emulator.endpoint}/${BUCKET}/${key}?AWSAccessKeyId=${encodeURIComponent(credentials.accessKeyId)}&Signature=x`);
    expect([noExpires.status, (await noExpires.text()).includes('0002-00000301')]).toEqual([400, true]);
  });

  /** A V4 streaming upload as the AWS CLI and Java SDK send it: seed signed by smithy's signer, chunks per AWS's spec. */
  async function signedStreamingPut(key: string, chunks: Buffer[], tamper = false) {
    const host = `localhost:${oss.emulator.port}`;
    const now = new Date();
    const decoded = chunks.reduce((n, c) => n + c.length, 0);
    const signer = new SignatureV4({ service: 's3', region: 'cn-hangzhou', credentials, sha256: NodeSha256, uriEscapePath: false });
    const signed = await signer.sign(
      {
        method: 'PUT',
        protocol: 'http:',
        hostname: 'localhost',
        port: oss.emulator.port,
        path: `/${BUCKET}/${key}`,
        query: {},
        headers: { host, 'content-encoding': 'aws-chunked', 'x-amz-content-sha256': 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD', 'x-amz-decoded-content-length': String(decoded) },
      },
      { signingDate: now },
    );
    const headers = signed.headers as Record<string, string>;
    const timestamp = headers['x-amz-date']!;
    const scope = `${timestamp.slice(0, 8)}/cn-hangzhou/s3/aws4_request`;
    let previous = /Signature=([0-9a-f]{64})/.exec(headers.authorization!)![1]!;
    const key4 = ['aws4_request', 's3', 'cn-hangzhou', timestamp.slice(0, 8)].reduceRight<Buffer>((k, part) => createHmac('sha256', k).update(part).digest(), Buffer.from(`AWS4${credentials.secretAccessKey}`));
    const sha = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');
    const parts: Buffer[] = [];
    for (const chunk of [...chunks, Buffer.alloc(0)]) {
      const stringToSign = ['AWS4-HMAC-SHA256-PAYLOAD', timestamp, scope, previous, sha(''), sha(chunk)].join('\n');
      previous = createHmac('sha256', key4).update(stringToSign).digest('hex');
      const signature = tamper && chunk.length > 0 ? previous.replace(/^./, (c) => (c === '0' ? '1' : '0')) : previous;
      parts.push(Buffer.from(`${chunk.length.toString(16)};chunk-signature=${signature}\r\n`), chunk, Buffer.from('\r\n'));
    }
    return rawRequest(oss.emulator.port, 'PUT', `/${BUCKET}/${key}`, { ...headers, Host: host }, Buffer.concat(parts));
  }

  test('signed streaming V4 upload is stored; a tampered chunk signature stores nothing', async () => {
    const key = `chunked-${Date.now()}`;
    const chunks = [Buffer.alloc(64 * 1024, 'a'), Buffer.alloc(1024, 'b')];
    const ok = await signedStreamingPut(key, chunks);
    expect(ok.status).toBe(200);
    const got = await s3({ forcePathStyle: true }).send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
    expect(Buffer.from(await got.Body!.transformToByteArray()).equals(Buffer.concat(chunks))).toBe(true);

    const bad = await signedStreamingPut(`${key}-tampered`, chunks, true);
    expect([bad.status, errorCode(bad.text), bad.text.includes('0002-00000430')]).toEqual([403, 'SignatureDoesNotMatch', true]);
    expect((await failure(s3({ forcePathStyle: true }).send(new HeadObjectCommand({ Bucket: BUCKET, Key: `${key}-tampered` })))).status).toBe(404);
  });

  test('aws-chunked with a plain payload hash is OSS 0017-00000804', async () => {
    const res = await rawRequest(oss.emulator.port, 'PUT', `/${BUCKET}/x`, {
      'content-encoding': 'aws-chunked',
      'x-amz-content-sha256': 'UNSIGNED-PAYLOAD',
      'x-amz-date': '20261127T000000Z',
      authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20261127/cn-hangzhou/s3/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
    }, '0\r\n\r\n');
    expect([res.status, errorCode(res.text), res.headers['x-oss-ec']]).toEqual([400, 'InvalidArgument', '0017-00000804']);
  });
});
