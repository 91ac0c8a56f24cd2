/**
 * Every public method of the installed `ali-oss` client, one row each: how a user calls it against a bucket and
 * what OSS answers — the operation's own result, or OSS's XML error naming the feature the emulator does not
 * emulate. `test/integration/oss-ali-oss-methods.test.ts` runs the table with the client's defaults (V1) and with
 * `authorizationV4: true`; a method ali-oss adds later fails the completeness check until it has a row.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { LooseOss } from './oss';
import { rowExpectations, type RowExpected, type SdkMethodRow } from './row-outcome';

/** What a row's call can use: the client, its bucket, a second bucket, unique keys and a JPEG. */
export interface MethodEnv {
  client: LooseOss;
  /** The same client options, for `otherBucket` (ali-oss addresses one bucket per client). */
  otherClient: LooseOss;
  bucket: string;
  otherBucket: string;
  /** A key no other row uses, under the row's own prefix. */
  key(name: string): string;
  /** Makes an object (text unless a body is given) and returns its key. */
  object(name: string, body?: Buffer | string, options?: object): Promise<string>;
  photo: Buffer;
  /** The OSS endpoint as the client was given it (`http://localhost:<port>`). */
  endpoint: string;
  v4: boolean;
}

export type Expected = RowExpected<MethodEnv>;
export type MethodRow = SdkMethodRow<MethodEnv>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const { ok, refused } = rowExpectations<MethodEnv>();
const notImplemented = (names: RegExp): Expected => refused(501, 'NotImplemented', names);
/** A few ali-oss methods set no success statuses and resolve whatever OSS answers: the refusal is in the result. */
const refusedButResolved = (names: RegExp): Expected =>
  ok((r) => {
    const body = Buffer.from(r.res.data ?? '').toString();
    must(r.status === 501 && body.includes('<Code>NotImplemented</Code>') && names.test(body), `a 501 NotImplemented naming ${names}`, { status: r.status, body });
  });

/** Fails the row with what came back unless `condition` holds (rows check results without jest's expect). */
function must(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}; got ${typeof got === 'string' ? got : JSON.stringify(got)}`);
}

async function fetchText(url: string, init?: RequestInit): Promise<{ status: number; text: string; headers: Headers }> {
  const response = await fetch(url, init);
  return { status: response.status, text: await response.text(), headers: response.headers };
}

/** A PostObject form for `key` with the given signature fields, sent by fetch. */
async function postForm(env: MethodEnv, fields: Record<string, string>, key: string): Promise<{ status: number; text: string }> {
  const form = new FormData();
  for (const [name, value] of Object.entries({ key, ...fields, 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken })) form.append(name, value);
  form.append('file', new Blob(['posted']), 'posted.txt');
  const response = await fetch(`${env.endpoint}/${env.bucket}`, { method: 'POST', body: form });
  return { status: response.status, text: await response.text() };
}

const text = (result: Loose) => Buffer.from(result.content).toString();

/** Methods that only compute locally (no request) or are internals the other methods use. */
export const LOCAL_ONLY_METHODS: Record<string, string> = {
  authorization: 'computes a V1 Authorization header',
  authorizationV4: 'computes a V4 Authorization header',
  signature: 'computes a V1 signature',
  cancel: 'stops a running multipartUpload in this process',
  isCancel: 'reads the cancel flag',
  resetCancelFlag: 'resets the cancel flag',
  checkBrowserAndVersion: 'inspects the browser user agent',
  parseXML: 'parses XML',
  getBucket: 'reads the client option',
  useBucket: 'sets the client option',
  setBucket: 'sets the client option',
  setSLDEnabled: 'sets the client option',
  getRtmpUrl: 'formats an rtmp:// URL for a LiveChannel (LiveChannel itself is refused: see putChannel)',
  request: 'the transport every other method uses',
  requestError: 'turns an error response into an Error',
};

export const METHOD_ROWS: MethodRow[] = [
  // ---- objects ----
  { method: 'put', call: (e) => e.client.put(e.key('put.txt'), Buffer.from('hello'), { meta: { owner: 'alice' }, headers: { 'x-oss-tagging': 'a=1' } }), expected: ok((r) => must(r.res.status === 200 && /^"[0-9A-F]{32}"$/.test(r.res.headers.etag), 'put answers 200 with an ETag', r.res)) },
  {
    method: 'put (with an upload callback)',
    call: (e) => e.client.put(e.key('callback.txt'), Buffer.from('x'), { callback: { url: 'http://app.example.com/done', body: 'object=${object}' } }),
    expected: notImplemented(/Upload callback/),
  },
  {
    method: 'put (Content-Type from the name, headers kept)',
    call: async (e) => {
      const name = e.key('page.html');
      await e.client.put(name, Buffer.from('<p>hi</p>'), { headers: { 'Cache-Control': 'max-age=60', 'Content-Disposition': 'inline', 'x-oss-storage-class': 'IA', 'x-oss-server-side-encryption': 'AES256' } });
      return e.client.head(name);
    },
    expected: ok((r) => {
      const h = r.res.headers;
      must(h['content-type'] === 'text/html' && h['cache-control'] === 'max-age=60' && h['content-disposition'] === 'inline' && h['x-oss-storage-class'] === 'IA' && h['x-oss-server-side-encryption'] === 'AES256', 'type, headers, class and encryption echoed', h);
    }),
  },
  {
    method: 'putStream',
    call: async (e) => {
      const name = e.key('stream.txt');
      await e.client.putStream(name, Readable.from([Buffer.from('chunk-1 '), Buffer.from('chunk-2')]));
      return e.client.get(name);
    },
    expected: ok((r) => must(text(r) === 'chunk-1 chunk-2', 'a chunked upload stores every chunk', text(r))),
  },
  {
    method: 'append',
    call: async (e) => {
      const name = e.key('log.txt');
      const first = await e.client.append(name, Buffer.from('one,'));
      await e.client.append(name, Buffer.from('two'), { position: first.nextAppendPosition });
      const wrong = await e.client.append(name, Buffer.from('x'), { position: 1 }).catch((err: Loose) => err);
      return { got: await e.client.get(name), wrong };
    },
    expected: ok((r) => must(text(r.got) === 'one,two' && r.wrong.status === 409 && r.wrong.code === 'PositionNotEqualToLength', 'appends at the position and refuses a wrong one', { got: text(r.got), code: r.wrong.code })),
  },
  { method: 'get', call: async (e) => e.client.get(await e.object('get.txt', 'body')), expected: ok((r) => must(text(r) === 'body', 'get returns the body', text(r))) },
  {
    method: 'get (to a file)',
    call: async (e) => {
      const dir = mkdtempSync(join(tmpdir(), 'ali-oss-get-'));
      try {
        await e.client.get(await e.object('file.txt', 'to disk'), join(dir, 'out.txt'));
        return readFileSync(join(dir, 'out.txt'), 'utf8');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    expected: ok((r) => must(r === 'to disk', 'the file holds the body', r)),
  },
  {
    method: 'put (a key with spaces, +, %, ?, # and non-ASCII)',
    call: async (e) => {
      const name = e.key('dir/a b+c%20d?e#f ü 海.txt');
      await e.client.put(name, Buffer.from('odd'));
      return { got: text(await e.client.get(name)), listed: (await e.client.list({ prefix: e.key('dir/') }, {})).objects.map((o: Loose) => o.name), name };
    },
    expected: ok((r) => must(r.got === 'odd' && r.listed.length === 1 && r.listed[0] === r.name, 'the key round-trips', r)),
  },
  {
    method: 'get (If-Modified-Since the object was written)',
    call: async (e) => e.client.get(await e.object('conditional.txt'), { headers: { 'If-Modified-Since': new Date(Date.now() + 60_000).toUTCString() } }),
    expected: ok((r) => must(r.res.status === 304, '304 Not Modified', r.res.status)),
  },
  { method: 'get (a range)', call: async (e) => e.client.get(await e.object('range.txt', '0123456789'), { headers: { Range: 'bytes=2-4' } }), expected: ok((r) => must(r.res.status === 206 && text(r) === '234', 'the range', text(r))) },
  // An object written while the bucket never had versioning is its `null` version (D156); an unknown id is NoSuchVersion.
  { method: 'get (a version)', call: async (e) => e.client.get(await e.object('versioned.txt', 'null version'), { versionId: 'null' }), expected: ok((r) => must(text(r) === 'null version', 'the null version', text(r))) },
  { method: 'get (an unknown version)', call: async (e) => e.client.get(await e.object('unversioned.txt'), { versionId: 'CAEQMxiBgICbof2D0BYiIGRhZjgwMzJiMjA3MjQ0ODE5MWYxZDYwMzJlZjU1' }), expected: refused(404, 'NoSuchVersion', /version/) },
  { method: 'get (a missing key)', call: (e) => e.client.get(e.key('missing.txt')), expected: { kind: 'refused', status: 404, code: 'NoSuchKey', names: /does not exist/ } },
  {
    method: 'getStream',
    call: async (e) => {
      const { stream } = await e.client.getStream(await e.object('stream-get.txt', 'streamed'));
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      return Buffer.concat(chunks).toString();
    },
    expected: ok((r) => must(r === 'streamed', 'the stream carries the body', r)),
  },
  { method: 'head', call: async (e) => e.client.head(await e.object('head.txt', 'abc', { meta: { k: 'v' } })), expected: ok((r) => must(r.status === 200 && r.meta.k === 'v' && r.res.headers['content-length'] === '3', 'head gives status, meta and length', r.res.headers)) },
  { method: 'getObjectMeta', call: async (e) => e.client.getObjectMeta(await e.object('meta.txt', 'abcd')), expected: ok((r) => must(r.status === 200 && r.res.headers['content-length'] === '4', 'GetObjectMeta gives the size', r.res.headers)) },
  {
    method: 'delete',
    call: async (e) => {
      const name = await e.object('delete.txt');
      await e.client.delete(name);
      return e.client.head(name).catch((err: Loose) => err);
    },
    expected: ok((r) => must(r.status === 404, 'the object is gone', r.status)),
  },
  {
    method: 'deleteMulti',
    call: async (e) => {
      const names = [await e.object('multi-1.txt'), await e.object('multi-2.txt')];
      return e.client.deleteMulti(names, { quiet: false });
    },
    expected: ok((r) => must(r.deleted.length === 2, 'both keys are reported deleted', r.deleted)),
  },
  {
    method: 'deleteMulti (with a key that does not exist)',
    call: async (e) => e.client.deleteMulti([await e.object('multi-3.txt'), e.key('never-written.txt')], { quiet: false }),
    expected: ok((r) => must(r.deleted.length === 2, 'OSS reports both keys deleted', r.deleted)),
  },
  {
    method: 'copy',
    call: async (e) => {
      const source = await e.object('copy-src.txt', 'copied');
      const inBucket = e.key('copy-dst.txt');
      await e.client.copy(inBucket, source);
      const across = e.key('copy-across.txt');
      await e.otherClient.copy(across, source, e.bucket);
      return [text(await e.client.get(inBucket)), await fetchText(await e.otherClient.asyncSignatureUrl(across, { expires: 60 }))];
    },
    expected: ok(([inBucket, across]) => must(inBucket === 'copied' && across.text === 'copied', 'copies within and across buckets', [inBucket, across.text])),
  },
  {
    method: 'putMeta',
    call: async (e) => {
      const name = await e.object('put-meta.txt', 'x', { meta: { old: '1' } });
      await e.client.putMeta(name, { fresh: '2' });
      return e.client.head(name);
    },
    expected: ok((r) => must(r.meta.fresh === '2' && r.meta.old === undefined, 'putMeta replaces the metadata', r.meta)),
  },
  { method: 'list', call: async (e) => (await e.object('list/a.txt'), e.client.list({ prefix: e.key('list/') }, {})), expected: ok((r) => must(r.objects.length === 1, 'one object under the prefix', r.objects)) },
  { method: 'listV2', call: async (e) => (await e.object('list2/a.txt'), e.client.listV2({ prefix: e.key('list2/'), 'max-keys': '10' }, {})), expected: ok((r) => must(r.objects.length === 1 && r.keyCount === 1, 'one object under the prefix', r)) },
  {
    method: 'getBucketVersions',
    call: async (e) => (await e.object('versions/a.txt'), e.client.getBucketVersions({ prefix: e.key('versions/') })),
    expected: ok((r) => must(r.objects.length === 1 && r.objects[0].versionId === 'null' && r.objects[0].isLatest && r.deleteMarker.length === 0, 'the null version of one object', r.objects)),
  },
  {
    method: 'listObjectVersions',
    call: async (e) => (await e.object('versions2/a.txt'), e.client.listObjectVersions({ prefix: e.key('versions2/') })),
    expected: ok((r) => must(r.objects.length === 1 && r.objects[0].versionId === 'null', 'the null version of one object', r.objects)),
  },
  {
    method: 'putACL',
    call: async (e) => {
      const name = await e.object('acl.txt', 'public');
      await e.client.putACL(name, 'public-read');
      return fetchText(`${e.endpoint}/${e.bucket}/${name}`);
    },
    expected: ok((r) => must(r.status === 200 && r.text === 'public', 'an anonymous GET reads a public-read object', r)),
  },
  { method: 'getACL', call: async (e) => e.client.getACL(await e.object('get-acl.txt', 'x', { headers: { 'x-oss-object-acl': 'private' } })), expected: ok((r) => must(r.acl === 'private' && r.owner.id !== undefined, 'the object ACL and owner', r)) },
  { method: 'restore', call: async (e) => e.client.restore(await e.object('standard.txt')), expected: { kind: 'refused', status: 400, code: 'OperationNotSupported', names: /Archive.*this object is Standard/ } },
  {
    method: 'restore (Archive)',
    call: async (e) => e.client.restore(await e.object('archive.txt', 'cold', { headers: { 'x-oss-storage-class': 'Archive' } })),
    expected: ok((r) => must(r.res.status === 202, 'RestoreObject starts with 202', r.res.status)),
  },
  {
    method: 'putSymlink',
    call: async (e) => {
      const target = await e.object('target.txt', 'pointed at');
      const link = e.key('link');
      await e.client.putSymlink(link, target);
      return e.client.get(link);
    },
    expected: ok((r) => must(text(r) === 'pointed at', 'a GET on the link serves the target', text(r))),
  },
  {
    method: 'getSymlink',
    call: async (e) => {
      const target = await e.object('target2.txt');
      await e.client.putSymlink(e.key('link2'), target);
      return [await e.client.getSymlink(e.key('link2')), target];
    },
    expected: ok(([r, target]) => must(r.targetName === target, 'the link names its target', r.targetName)),
  },
  { method: 'putObjectTagging', call: async (e) => e.client.putObjectTagging(await e.object('tag.txt'), { team: 'a' }), expected: ok((r) => must(r.status === 200, 'tags stored', r.status)) },
  { method: 'getObjectTagging', call: async (e) => e.client.getObjectTagging(await e.object('tag2.txt', 'x', { headers: { 'x-oss-tagging': 'team=b' } })), expected: ok((r) => must(r.tag.team === 'b', 'the tags come back', r.tag)) },
  {
    method: 'deleteObjectTagging',
    call: async (e) => {
      const name = await e.object('tag3.txt', 'x', { headers: { 'x-oss-tagging': 'team=c' } });
      await e.client.deleteObjectTagging(name);
      return e.client.getObjectTagging(name);
    },
    expected: ok((r) => must(Object.keys(r.tag).length === 0, 'no tags left', r.tag)),
  },
  // ---- URLs and forms the client signs for others ----
  { method: 'signatureUrl', call: async (e) => fetchText(e.client.signatureUrl(await e.object('signed.txt', 'signed'), { expires: 60 })), expected: ok((r) => must(r.status === 200 && r.text === 'signed', 'the URL reads the object', r)) },
  { method: 'asyncSignatureUrl', call: async (e) => fetchText(await e.client.asyncSignatureUrl(await e.object('async-signed.txt', 'signed'), { expires: 60 })), expected: ok((r) => must(r.status === 200 && r.text === 'signed', 'the URL reads the object', r)) },
  { method: 'signatureUrlV4', call: async (e) => fetchText(await e.client.signatureUrlV4('GET', 60, { headers: {} }, await e.object('signed-v4.txt', 'v4'))), expected: ok((r) => must(r.status === 200 && r.text === 'v4', 'the URL reads the object', r)) },
  {
    method: 'getObjectUrl',
    call: async (e) => {
      const name = await e.object('public-url.txt', 'public', { headers: { 'x-oss-object-acl': 'public-read' } });
      return fetchText(e.client.getObjectUrl(name, `${e.endpoint}/${e.bucket}/`));
    },
    expected: ok((r) => must(r.status === 200 && r.text === 'public', 'the public URL reads the object', r)),
  },
  {
    method: 'generateObjectUrl',
    call: async (e) => {
      const name = await e.object('public-url2.txt', 'public', { headers: { 'x-oss-object-acl': 'public-read' } });
      return fetchText(e.client.generateObjectUrl(name, `${e.endpoint}/${e.bucket}/`));
    },
    expected: ok((r) => must(r.status === 200 && r.text === 'public', 'the public URL reads the object', r)),
  },
  {
    method: 'generateObjectUrl (its default <bucket>.<endpoint> base)',
    call: async (e) => {
      const name = await e.object('public-url3.txt', 'public', { headers: { 'x-oss-object-acl': 'public-read' } });
      return fetchText(e.client.generateObjectUrl(name));
    },
    expected: ok((r) => must(r.status === 200 && r.text === 'public', 'the public URL reads the object', r)),
  },
  {
    method: 'calculatePostSignature',
    call: async (e) => {
      const name = e.key('form-v1.txt');
      const signed = e.client.calculatePostSignature({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [['eq', '$key', name]] });
      const posted = await postForm(e, { OSSAccessKeyId: signed.OSSAccessKeyId, policy: signed.policy, Signature: signed.Signature }, name);
      return { posted, stored: text(await e.client.get(name)) };
    },
    expected: ok((r) => must(r.posted.status === 204 && r.stored === 'posted', 'the form upload is stored', r)),
  },
  {
    method: 'signPostObjectPolicyV4',
    call: async (e) => {
      const name = e.key('form-v4.txt');
      const date = new Date();
      const day = date.toISOString().slice(0, 10).replace(/-/g, '');
      const credential = `${LOCAL_CREDENTIALS.accessKeyId}/${day}/cn-hangzhou/oss/aliyun_v4_request`;
      const xOssDate = `${day}T${date.toISOString().slice(11, 19).replace(/:/g, '')}Z`;
      const policy = {
        expiration: new Date(Date.now() + 60_000).toISOString(),
        conditions: [{ bucket: e.bucket }, ['eq', '$key', name], { 'x-oss-signature-version': 'OSS4-HMAC-SHA256' }, { 'x-oss-credential': credential }, { 'x-oss-date': xOssDate }, { 'x-oss-security-token': LOCAL_CREDENTIALS.securityToken }],
      };
      const signature = e.client.signPostObjectPolicyV4(policy, date);
      const fields = { policy: Buffer.from(JSON.stringify(policy)).toString('base64'), 'x-oss-signature-version': 'OSS4-HMAC-SHA256', 'x-oss-credential': credential, 'x-oss-date': xOssDate, 'x-oss-signature': signature };
      const posted = await postForm(e, fields, name);
      return { posted, stored: text(await e.client.get(name)) };
    },
    expected: ok((r) => must(r.posted.status === 204 && r.stored === 'posted', 'the V4 form upload is stored', r)),
  },
  // ---- image processing ----
  {
    method: 'processObjectSave',
    call: async (e) => {
      const source = await e.object('photo.jpg', e.photo);
      const target = e.key('thumb.jpg');
      const saved = await e.client.processObjectSave(source, target, 'image/resize,w_40');
      return { saved, head: await e.client.head(target) };
    },
    expected: ok((r) => must(r.saved.status === 200 && r.head.res.headers['content-type'] === 'image/jpeg', 'the processed image is saved as the target', r.head.res.headers)),
  },
  {
    method: 'processObjectSave (to another bucket)',
    call: async (e) => {
      const source = await e.object('photo2.png', e.photo);
      const target = e.key('thumb.webp');
      await e.client.processObjectSave(source, target, 'image/resize,m_fill,w_16,h_16/format,webp', e.otherBucket);
      return e.otherClient.head(target);
    },
    expected: ok((r) => must(r.res.headers['content-type'] === 'image/webp', 'the processed image is in the other bucket', r.res.headers)),
  },
  {
    method: 'processObjectSave (an action not emulated)',
    call: async (e) => e.client.processObjectSave(await e.object('photo3.jpg', e.photo), e.key('x.jpg'), 'image/watermark,text_SGVsbG8'),
    expected: ok((r) => must(r.status === 501, 'ali-oss resolves any status here; the emulator refuses watermark by name', r.status)),
  },
  { method: 'postAsyncFetch', call: (e) => e.client.postAsyncFetch(e.key('fetched'), 'https://example.com/x.png'), expected: notImplemented(/Asynchronous fetch/) },
  { method: 'getAsyncFetch', call: (e) => e.client.getAsyncFetch('task-1'), expected: notImplemented(/Asynchronous fetch/) },
  // ---- multipart ----
  {
    method: 'multipartUpload',
    call: async (e) => {
      const name = e.key('big.bin');
      const body = Buffer.alloc(250 * 1024, 7);
      await e.client.multipartUpload(name, body, { partSize: 100 * 1024 });
      return { stored: (await e.client.get(name)).content as Buffer, body };
    },
    expected: ok((r) => must(r.stored.equals(r.body), 'the parts make the object', r.stored.length)),
  },
  {
    method: 'multipartUpload (from a file)',
    call: async (e) => {
      const dir = mkdtempSync(join(tmpdir(), 'ali-oss-mpu-'));
      try {
        const file = join(dir, 'in.bin');
        writeFileSync(file, Buffer.alloc(150 * 1024, 3));
        const name = e.key('from-file.bin');
        await e.client.multipartUpload(name, file, { partSize: 100 * 1024 });
        return (await e.client.head(name)).res.headers['content-length'];
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    expected: ok((r) => must(r === String(150 * 1024), 'the object has the file size', r)),
  },
  {
    method: 'multipartUploadCopy',
    call: async (e) => {
      const source = await e.object('mpu-copy-src.bin', Buffer.alloc(250 * 1024, 5));
      const name = e.key('mpu-copy-dst.bin');
      await e.client.multipartUploadCopy(name, { sourceKey: source, sourceBucketName: e.bucket }, { partSize: 100 * 1024 });
      return (await e.client.get(name)).content as Buffer;
    },
    expected: ok((r) => must(r.length === 250 * 1024 && r.every((b: number) => b === 5), 'the copy has the source bytes', r.length)),
  },
  {
    method: 'initMultipartUpload',
    call: (e) => e.client.initMultipartUpload(e.key('init.bin'), { headers: { 'x-oss-storage-class': 'IA' } }),
    expected: ok((r) => must(/^[0-9A-F]{32}$/i.test(r.uploadId), 'an upload id', r.uploadId)),
  },
  {
    method: 'uploadPart',
    call: async (e) => {
      const dir = mkdtempSync(join(tmpdir(), 'ali-oss-part-'));
      try {
        const file = join(dir, 'part.bin');
        writeFileSync(file, Buffer.alloc(1024, 1));
        const name = e.key('part.bin');
        const { uploadId } = await e.client.initMultipartUpload(name);
        const part = await e.client.uploadPart(name, uploadId, 1, file, 0, 1024);
        return e.client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: part.etag }]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
    expected: ok((r) => must(r.res.status === 200, 'the upload completes', r.res.status)),
  },
  {
    method: 'uploadPartCopy',
    call: async (e) => {
      const source = await e.object('part-copy-src.txt', '0123456789');
      const name = e.key('part-copy.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      const part = await e.client.uploadPartCopy(name, uploadId, 1, '2-5', { sourceKey: source, sourceBucketName: e.bucket });
      await e.client.completeMultipartUpload(name, uploadId, [{ number: 1, etag: part.etag }]);
      return text(await e.client.get(name));
    },
    expected: ok((r) => must(r === '2345', 'the copied range', r)),
  },
  {
    method: 'completeMultipartUpload',
    call: async (e) => {
      const name = e.key('complete.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      const { etag } = await e.client.uploadPart(name, uploadId, 1, Buffer.from('whole'), 0, 5);
      await e.client.completeMultipartUpload(name, uploadId, [{ number: 1, etag }]);
      const unknown = await e.client.completeMultipartUpload(name, 'F00D', [{ number: 1, etag }]).catch((err: Loose) => err);
      return { stored: text(await e.client.get(name)), unknown };
    },
    expected: ok((r) => must(r.stored === 'whole' && r.unknown.code === 'NoSuchUpload', 'completes, and an unknown upload id is NoSuchUpload', { stored: r.stored, code: r.unknown.code })),
  },
  {
    method: 'completeMultipartUpload (with an upload callback)',
    call: async (e) => {
      const name = e.key('complete-callback.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      const { etag } = await e.client.uploadPart(name, uploadId, 1, Buffer.from('x'), 0, 1);
      return e.client.completeMultipartUpload(name, uploadId, [{ number: 1, etag }], { callback: { url: 'http://app.example.com/done', body: 'object=${object}' } });
    },
    expected: notImplemented(/Upload callback/),
  },
  {
    method: 'listParts',
    call: async (e) => {
      const name = e.key('list-parts.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      await e.client.uploadPart(name, uploadId, 1, Buffer.from('p1'), 0, 2);
      return e.client.listParts(name, uploadId, { 'max-parts': 10 });
    },
    // ali-oss hands a single <Part> back as an object, not an array (as it does against OSS).
    expected: ok((r) => must([r.parts].flat().length === 1 && [r.parts].flat()[0].PartNumber === '1', 'the one part', r.parts)),
  },
  {
    method: 'listUploads',
    call: async (e) => {
      const name = e.key('list-uploads.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      return [await e.client.listUploads({ prefix: name, 'max-uploads': 10 }), uploadId];
    },
    expected: ok(([r, uploadId]) => must(r.uploads.length === 1 && r.uploads[0].uploadId === uploadId, 'the open upload', r.uploads)),
  },
  {
    method: 'abortMultipartUpload',
    call: async (e) => {
      const name = e.key('abort.txt');
      const { uploadId } = await e.client.initMultipartUpload(name);
      await e.client.abortMultipartUpload(name, uploadId);
      return e.client.listParts(name, uploadId).catch((err: Loose) => err);
    },
    expected: ok((r) => must(r.code === 'NoSuchUpload', 'the upload is gone', r.code)),
  },
  // ---- LiveChannel (rtmp) ----
  { method: 'putChannel', call: (e) => e.client.putChannel(e.key('ch').replace(/\//g, '-'), { Description: 'd', Status: 'enabled', Target: { Type: 'HLS', FragDuration: '10', FragCount: '5', PlaylistName: 'p.m3u8' } }), expected: notImplemented(/LiveChannel/) },
  { method: 'getChannel', call: (e) => e.client.getChannel('channel-1'), expected: notImplemented(/LiveChannel/) },
  { method: 'deleteChannel', call: (e) => e.client.deleteChannel('channel-1'), expected: notImplemented(/LiveChannel/) },
  { method: 'putChannelStatus', call: (e) => e.client.putChannelStatus('channel-1', 'disabled'), expected: notImplemented(/LiveChannel/) },
  { method: 'getChannelStatus', call: (e) => e.client.getChannelStatus('channel-1'), expected: notImplemented(/LiveChannel/) },
  { method: 'listChannels', call: (e) => e.client.listChannels({ prefix: 'channel' }), expected: notImplemented(/LiveChannel/) },
  { method: 'getChannelHistory', call: (e) => e.client.getChannelHistory('channel-1'), expected: notImplemented(/LiveChannel/) },
  { method: 'createVod', call: (e) => e.client.createVod('channel-1', 'vod.m3u8', { startTime: 1, endTime: 2 }), expected: notImplemented(/LiveChannel/) },
  // ---- buckets ----
  { method: 'listBuckets', call: (e) => e.client.listBuckets({ prefix: e.bucket }), expected: ok((r, e) => must(r.buckets.some((b: Loose) => b.name === e.bucket), 'the bucket is listed', r.buckets)) },
  {
    method: 'listBuckets (by tag)',
    call: async (e) => (await e.client.putBucketTags(e.bucket, { row: 'listed' }), e.client.listBuckets({ prefix: e.bucket, 'tag-key': 'row', 'tag-value': 'listed' })),
    expected: ok((r, e) => must(r.buckets.length === 1 && r.buckets[0].name === e.bucket, 'only the tagged bucket', r.buckets)),
  },
  {
    method: 'putBucket',
    call: async (e) => {
      const name = `${e.bucket}-new`;
      await e.client.putBucket(name, { StorageClass: 'IA', acl: 'public-read' });
      const info = await e.client.getBucketInfo(name);
      await e.client.deleteBucket(name);
      return info.bucket;
    },
    expected: ok((r) => must(r.StorageClass === 'IA' && r.AccessControlList.Grant === 'public-read', 'storage class and ACL kept', r)),
  },
  {
    method: 'deleteBucket',
    call: async (e) => {
      const full = await e.client.deleteBucket(e.bucket).catch((err: Loose) => err);
      const missing = await e.client.deleteBucket(`${e.bucket}-none`).catch((err: Loose) => err);
      return { full, missing };
    },
    expected: ok((r) => must(r.full.code === 'BucketNotEmpty' && r.full.status === 409 && r.missing.code === 'NoSuchBucket', 'BucketNotEmpty and NoSuchBucket', { full: r.full.code, missing: r.missing.code })),
  },
  { method: 'getBucketInfo', call: (e) => e.client.getBucketInfo(e.bucket), expected: ok((r, e) => must(r.bucket.Name === e.bucket && r.bucket.Location === 'oss-cn-hangzhou', 'the bucket and its region', r.bucket)) },
  { method: 'getBucketInfo (a bucket that does not exist)', call: (e) => e.client.getBucketInfo(`${e.bucket}-none`), expected: { kind: 'refused', status: 404, code: 'NoSuchBucket', names: /bucket does not exist/ } },
  { method: 'getBucketLocation', call: (e) => e.client.getBucketLocation(e.bucket), expected: ok((r) => must(r.location === 'oss-cn-hangzhou', 'the region', r.location)) },
  { method: 'getBucketStat', call: (e) => e.client.getBucketStat(e.bucket), expected: ok((r) => must(Number(r.stat.ObjectCount) >= 0 && r.stat.Storage !== undefined, 'storage statistics', r.stat)) },
  { method: 'putBucketACL', call: (e) => e.client.putBucketACL(e.otherBucket, 'private'), expected: ok((r) => must(r.res.status === 200, 'ACL set', r.res.status)) },
  { method: 'getBucketACL', call: (e) => e.client.getBucketACL(e.bucket), expected: ok((r) => must(r.acl === 'private', 'the bucket ACL', r.acl)) },
  { method: 'putBucketLogging', call: (e) => e.client.putBucketLogging(e.bucket, 'logs/'), expected: notImplemented(/Bucket logging/) },
  { method: 'getBucketLogging', call: (e) => e.client.getBucketLogging(e.bucket), expected: notImplemented(/Bucket logging/) },
  { method: 'deleteBucketLogging', call: (e) => e.client.deleteBucketLogging(e.bucket), expected: notImplemented(/Bucket logging/) },
  { method: 'putBucketWebsite', call: (e) => e.client.putBucketWebsite(e.otherBucket, { index: 'index.html', error: 'error.html' }), expected: ok((r) => must(r.res.status === 200, 'website set', r.res.status)) },
  {
    method: 'putBucketWebsite (with routing rules)',
    call: (e) => e.client.putBucketWebsite(e.otherBucket, { index: 'index.html', routingRules: [{ RuleNumber: 1, Condition: { HttpErrorCodeReturnedEquals: 404 }, Redirect: { RedirectType: 'External', HostName: 'example.com' } }] }),
    expected: notImplemented(/Website routing rules/),
  },
  {
    method: 'getBucketWebsite',
    call: async (e) => (await e.client.putBucketWebsite(e.otherBucket, { index: 'index.html', supportSubDir: true }), e.client.getBucketWebsite(e.otherBucket)),
    expected: ok((r) => must(r.index === 'index.html' && r.supportSubDir === 'true', 'the website configuration', r)),
  },
  {
    method: 'deleteBucketWebsite',
    call: async (e) => (await e.client.putBucketWebsite(e.otherBucket, { index: 'index.html' }), await e.client.deleteBucketWebsite(e.otherBucket), e.client.getBucketWebsite(e.otherBucket).catch((err: Loose) => err)),
    expected: ok((r) => must(r.code === 'NoSuchWebsiteConfiguration', 'no website left', r.code)),
  },
  { method: 'putBucketReferer', call: (e) => e.client.putBucketReferer(e.otherBucket, true, ['https://*.example.com']), expected: ok((r) => must(r.res.status === 200, 'referer set', r.res.status)) },
  {
    method: 'getBucketReferer',
    call: async (e) => (await e.client.putBucketReferer(e.otherBucket, false, ['https://shop.example.com']), e.client.getBucketReferer(e.otherBucket)),
    expected: ok((r) => must(r.allowEmpty === false && r.referers[0] === 'https://shop.example.com', 'the referer list', r)),
  },
  {
    method: 'deleteBucketReferer',
    call: async (e) => (await e.client.putBucketReferer(e.otherBucket, false, ['https://a.example.com']), await e.client.deleteBucketReferer(e.otherBucket), e.client.getBucketReferer(e.otherBucket)),
    // ali-oss reads an empty <RefererList/> as null.
    expected: ok((r) => must(r.allowEmpty === true && (r.referers ?? []).length === 0, 'referers reset', r)),
  },
  { method: 'putBucketLifecycle', call: (e) => e.client.putBucketLifecycle(e.otherBucket, [{ id: 'expire-tmp', prefix: 'tmp/', status: 'Enabled', days: 1 }]), expected: ok((r) => must(r.res.status === 200, 'lifecycle set', r.res.status)) },
  {
    method: 'getBucketLifecycle',
    call: async (e) => (await e.client.putBucketLifecycle(e.otherBucket, [{ id: 'expire-logs', prefix: 'logs/', status: 'Enabled', days: 3 }]), e.client.getBucketLifecycle(e.otherBucket)),
    expected: ok((r) => must(r.rules[0].id === 'expire-logs' && r.rules[0].expiration.days === '3', 'the rule', r.rules)),
  },
  {
    method: 'deleteBucketLifecycle',
    call: async (e) => (await e.client.putBucketLifecycle(e.otherBucket, [{ id: 'r', prefix: 'x/', status: 'Enabled', days: 1 }]), await e.client.deleteBucketLifecycle(e.otherBucket), e.client.getBucketLifecycle(e.otherBucket).catch((err: Loose) => err)),
    expected: ok((r) => must(r.code === 'NoSuchLifecycle', 'no lifecycle left', r.code)),
  },
  { method: 'putBucketCORS', call: (e) => e.client.putBucketCORS(e.otherBucket, [{ allowedOrigin: 'https://app.example.com', allowedMethod: ['GET', 'PUT'], allowedHeader: '*', exposeHeader: 'ETag', maxAgeSeconds: '60' }]), expected: ok((r) => must(r.res.status === 200, 'CORS set', r.res.status)) },
  {
    method: 'getBucketCORS',
    call: async (e) => (await e.client.putBucketCORS(e.otherBucket, [{ allowedOrigin: 'https://app.example.com', allowedMethod: 'GET' }]), e.client.getBucketCORS(e.otherBucket)),
    expected: ok((r) => must(r.rules[0].allowedOrigin === 'https://app.example.com', 'the rule', r.rules)),
  },
  {
    method: 'deleteBucketCORS',
    call: async (e) => (await e.client.putBucketCORS(e.otherBucket, [{ allowedOrigin: '*', allowedMethod: 'GET' }]), await e.client.deleteBucketCORS(e.otherBucket), e.client.getBucketCORS(e.otherBucket).catch((err: Loose) => err)),
    expected: ok((r) => must(r.code === 'NoSuchCORSConfiguration', 'no CORS left', r.code)),
  },
  {
    method: 'putBucketPolicy',
    call: (e) => e.client.putBucketPolicy(e.otherBucket, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${e.otherBucket}/*`] }] }),
    expected: ok((r) => must(r.status === 200, 'policy set', r.status)),
  },
  {
    method: 'getBucketPolicy',
    call: async (e) => (await e.client.putBucketPolicy(e.otherBucket, { Version: '1', Statement: [{ Effect: 'Allow', Action: ['oss:GetObject'], Principal: ['*'], Resource: [`acs:oss:*:*:${e.otherBucket}/*`] }] }), e.client.getBucketPolicy(e.otherBucket)),
    expected: ok((r) => must(r.policy.Version === '1', 'the policy document', r.policy)),
  },
  {
    method: 'deleteBucketPolicy',
    call: async (e) => (await e.client.deleteBucketPolicy(e.otherBucket), e.client.getBucketPolicy(e.otherBucket)),
    expected: ok((r) => must(r.policy === null, 'no policy left (ali-oss reads NoSuchBucketPolicy as null)', r.policy)),
  },
  { method: 'putBucketRequestPayment', call: (e) => e.client.putBucketRequestPayment(e.bucket, 'Requester'), expected: notImplemented(/Pay-by-requester/) },
  { method: 'getBucketRequestPayment', call: (e) => e.client.getBucketRequestPayment(e.bucket), expected: notImplemented(/Pay-by-requester/) },
  { method: 'putBucketEncryption', call: (e) => e.client.putBucketEncryption(e.otherBucket, { SSEAlgorithm: 'AES256' }), expected: ok((r) => must(r.status === 200, 'encryption set', r.status)) },
  {
    method: 'getBucketEncryption',
    call: async (e) => (await e.client.putBucketEncryption(e.otherBucket, { SSEAlgorithm: 'AES256' }), e.client.getBucketEncryption(e.otherBucket)),
    expected: ok((r) => must(r.encryption.SSEAlgorithm === 'AES256', 'the default encryption', r.encryption)),
  },
  {
    method: 'deleteBucketEncryption',
    call: async (e) => (await e.client.putBucketEncryption(e.otherBucket, { SSEAlgorithm: 'AES256' }), await e.client.deleteBucketEncryption(e.otherBucket), e.client.getBucketEncryption(e.otherBucket).catch((err: Loose) => err)),
    expected: ok((r) => must(r.code === 'NoSuchServerSideEncryptionRule', 'no encryption left', r.code)),
  },
  { method: 'putBucketTags', call: (e) => e.client.putBucketTags(e.otherBucket, { env: 'local' }), expected: ok((r) => must(r.status === 200, 'tags set', r.status)) },
  { method: 'getBucketTags', call: async (e) => (await e.client.putBucketTags(e.otherBucket, { env: 'dev' }), e.client.getBucketTags(e.otherBucket)), expected: ok((r) => must(r.tag.env === 'dev', 'the tags', r.tag)) },
  { method: 'deleteBucketTags', call: async (e) => (await e.client.putBucketTags(e.otherBucket, { env: 'x' }), await e.client.deleteBucketTags(e.otherBucket), e.client.getBucketTags(e.otherBucket)), expected: ok((r) => must(Object.keys(r.tag).length === 0, 'no tags left', r.tag)) },
  // Object versions are kept (D156); a bucket of its own, so the other rows' buckets stay unversioned.
  {
    method: 'putBucketVersioning',
    call: async (e) => {
      const name = `ver-${randomUUID().slice(0, 12)}`;
      await e.client.putBucket(name);
      const put = await e.client.putBucketVersioning(name, 'Enabled');
      return { status: put.status, now: (await e.client.getBucketVersioning(name)).versionStatus };
    },
    expected: ok((r) => must(r.status === 200 && r.now === 'Enabled', 'versioning enabled', r)),
  },
  { method: 'getBucketVersioning', call: (e) => e.client.getBucketVersioning(e.otherBucket), expected: ok((r) => must(r.status === 200 && r.versionStatus === undefined, 'an unversioned bucket: no status', r.versionStatus)) },
  {
    method: 'putBucketInventory',
    call: (e) => e.client.putBucketInventory(e.bucket, { id: 'inv', isEnabled: true, OSSBucketDestination: { format: 'CSV', accountId: '1', rolename: 'r', bucket: e.otherBucket, prefix: 'inv/' }, frequency: 'Daily', includedObjectVersions: 'Current' }),
    expected: notImplemented(/Bucket inventory/),
  },
  { method: 'getBucketInventory', call: (e) => e.client.getBucketInventory(e.bucket, 'inv'), expected: notImplemented(/Bucket inventory/) },
  { method: 'deleteBucketInventory', call: (e) => e.client.deleteBucketInventory(e.bucket, 'inv'), expected: notImplemented(/Bucket inventory/) },
  { method: 'listBucketInventory', call: (e) => e.client.listBucketInventory(e.bucket), expected: notImplemented(/Bucket inventory/) },
  { method: 'initiateBucketWorm', call: (e) => e.client.initiateBucketWorm(e.bucket, 1), expected: notImplemented(/Retention policies/) },
  { method: 'abortBucketWorm', call: (e) => e.client.abortBucketWorm(e.bucket), expected: refusedButResolved(/Retention policies/) },
  { method: 'completeBucketWorm', call: (e) => e.client.completeBucketWorm(e.bucket, 'worm-1'), expected: refusedButResolved(/Retention policies/) },
  { method: 'extendBucketWorm', call: (e) => e.client.extendBucketWorm(e.bucket, 'worm-1', 2), expected: notImplemented(/Retention policies/) },
  { method: 'getBucketWorm', call: (e) => e.client.getBucketWorm(e.bucket), expected: notImplemented(/Retention policies/) },
];
