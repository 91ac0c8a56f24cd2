/**
 * Object operations: PutObject, GetObject, HeadObject, GetObjectMeta, DeleteObject, CopyObject.
 * API reference: https://www.alibabacloud.com/help/en/oss/developer-reference/putobject (and siblings).
 */
import { closeSync, createReadStream } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { receiveBody } from './body';
import { bucketOf, headerOf, keyOf, type RequestContext } from './context';
import { OssError, ossErrors } from './errors';
import { isoTime, normalizeEtag, objectHeaders, quoteEtag, requestObjectHeaders, sendEmpty, sendXml } from './respond';
import type { ObjectRecord } from './storage';

const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** `x-oss-forbid-overwrite: true` makes a write fail when the key exists. */
function forbidOverwrite(ctx: RequestContext): boolean {
  return headerOf(ctx, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true';
}

function writeResultHeaders(record: ObjectRecord): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ETag: quoteEtag(record.etag), 'x-oss-hash-crc64ecma': record.crc64 };
  if (record.contentMd5) headers['Content-MD5'] = record.contentMd5;
  return headers;
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  if (headerOf(ctx, 'x-oss-callback')) throw ossErrors.notImplemented('Upload callback (x-oss-callback)');
  const forbid = forbidOverwrite(ctx);
  if (forbid && ctx.runtime.storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
  const headers = requestObjectHeaders(ctx);
  const sha = headerOf(ctx, 'x-oss-content-sha256');
  const staged = await receiveBody(ctx.req, {
    tmpDir: ctx.runtime.storage.tmpDir,
    maxBytes: ctx.runtime.maxObjectBytes,
    contentMd5: headerOf(ctx, 'content-md5'),
    contentSha256: sha && SHA256_HEX.test(sha) ? sha : undefined,
  });
  const { record, previous } = await ctx.runtime.storage.commitObject(bucket, key, staged, headers, { type: 'Normal', forbidOverwrite: forbid });
  ctx.runtime.notify(ctx, {
    eventName: 'ObjectCreated:PutObject',
    bucket,
    key,
    size: record.size,
    deltaSize: record.size - (previous?.size ?? 0),
    eTag: record.etag,
  });
  sendEmpty(ctx, 200, writeResultHeaders(record));
}

/** If-Match / If-None-Match / If-(Un)Modified-Since, RFC 7232 precedence; `prefix` selects the copy-source variants. */
function checkConditions(ctx: RequestContext, record: ObjectRecord, prefix = ''): 'ok' | 'not-modified' {
  const ifMatch = headerOf(ctx, `${prefix}if-match`);
  const ifNoneMatch = headerOf(ctx, `${prefix}if-none-match`);
  const ifModifiedSince = headerOf(ctx, `${prefix}if-modified-since`);
  const ifUnmodifiedSince = headerOf(ctx, `${prefix}if-unmodified-since`);
  const matches = (list: string) => list.split(',').some((tag) => tag.trim() === '*' || normalizeEtag(tag) === record.etag);
  const modifiedSeconds = Math.floor(record.lastModified / 1000);
  const since = (value: string) => Math.floor(Date.parse(value) / 1000);

  if (ifMatch !== undefined && !matches(ifMatch)) throw ossErrors.preconditionFailed(`${prefix}If-Match`);
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined && !Number.isNaN(since(ifUnmodifiedSince)) && modifiedSeconds > since(ifUnmodifiedSince)) {
    throw ossErrors.preconditionFailed(`${prefix}If-Unmodified-Since`);
  }
  const notModified =
    ifNoneMatch !== undefined
      ? matches(ifNoneMatch)
      : ifModifiedSince !== undefined && !Number.isNaN(since(ifModifiedSince)) && modifiedSeconds <= since(ifModifiedSince);
  if (!notModified) return 'ok';
  // For a copy, a "not modified" source is a failed precondition, not a 304.
  if (prefix) throw ossErrors.preconditionFailed(`${prefix}${ifNoneMatch !== undefined ? 'If-None-Match' : 'If-Modified-Since'}`);
  return 'not-modified';
}

type ByteRange = { start: number; end: number } | 'ignore' | 'unsatisfiable';

/**
 * OSS range semantics (https://www.alibabacloud.com/help/en/oss/developer-reference/getobject): by default an
 * invalid or out-of-range Range is ignored (200, whole object); with `x-oss-range-behavior: standard` the end is
 * clamped and a start past the end is 416 InvalidRange. Multiple ranges are not supported.
 */
export function parseRange(header: string | undefined, size: number, standard: boolean): ByteRange {
  if (header === undefined) return 'ignore';
  const m = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!m || (m[1] === '' && m[2] === '')) return standard && header.includes(',') ? 'unsatisfiable' : 'ignore';
  if (m[1] === '') {
    const suffix = Number(m[2]);
    if (suffix === 0) return standard ? 'unsatisfiable' : 'ignore';
    if (suffix > size) return standard ? (size === 0 ? 'unsatisfiable' : { start: 0, end: size - 1 }) : 'ignore';
    return { start: size - suffix, end: size - 1 };
  }
  const start = Number(m[1]);
  const end = m[2] === '' ? size - 1 : Number(m[2]);
  if (start >= size) return standard ? 'unsatisfiable' : 'ignore';
  if (end < start) return 'ignore';
  if (end >= size) return standard ? { start, end: size - 1 } : 'ignore';
  return { start, end };
}

const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

export async function getObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const opened = ctx.runtime.storage.openObject(bucket, key);
  if (!opened) throw ossErrors.noSuchKey(key);
  const { record, fd } = opened;
  let handedOff = false;
  try {
    if (checkConditions(ctx, record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(record.etag) });
    const headers = objectHeaders(record);
    for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
      const value = ctx.params.get(param);
      if (value !== undefined) headers[header] = value;
    }
    const standard = headerOf(ctx, 'x-oss-range-behavior')?.toLowerCase() === 'standard';
    const range = parseRange(headerOf(ctx, 'range'), record.size, standard);
    if (range === 'unsatisfiable') {
      throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied', { ActualObjectSize: String(record.size) });
    }
    let status = 200;
    let start = 0;
    let end = record.size - 1;
    if (range !== 'ignore') {
      status = 206;
      ({ start, end } = range);
      headers['Content-Range'] = `bytes ${start}-${end}/${record.size}`;
      // A ranged body's MD5 is not the object's; OSS omits it there too.
      delete headers['Content-MD5'];
    }
    headers['Content-Length'] = end - start + 1;
    ctx.res.writeHead(status, headers);
    if (record.size === 0) {
      ctx.res.end();
      return;
    }
    handedOff = true;
    const stream = createReadStream('', { fd, start, end, autoClose: true });
    await new Promise<void>((resolve) => {
      stream.once('error', () => {
        ctx.res.destroy();
        resolve();
      });
      ctx.res.once('close', () => {
        stream.destroy();
        resolve();
      });
      stream.pipe(ctx.res);
    });
  } finally {
    if (!handedOff) closeSync(fd);
  }
}

export function headObject(ctx: RequestContext): void {
  const record = ctx.runtime.storage.getObject(bucketOf(ctx), keyOf(ctx));
  if (!record) throw ossErrors.noSuchKey(keyOf(ctx));
  if (checkConditions(ctx, record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(record.etag) });
  ctx.res.writeHead(200, { ...objectHeaders(record), 'Content-Length': record.size });
  ctx.res.end();
}

/** GetObjectMeta (`?objectMeta`): the basic metadata only, no user meta. */
export function getObjectMeta(ctx: RequestContext): void {
  const record = ctx.runtime.storage.getObject(bucketOf(ctx), keyOf(ctx));
  if (!record) throw ossErrors.noSuchKey(keyOf(ctx));
  sendEmpty(ctx, 200, {
    ETag: quoteEtag(record.etag),
    'x-oss-object-size': String(record.size),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'x-oss-hash-crc64ecma': record.crc64,
  });
}

export async function deleteObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const removed = await ctx.runtime.storage.deleteObject(bucket, key);
  // OSS answers 204 whether or not the key existed; only a real removal is an event.
  if (removed) {
    ctx.runtime.notify(ctx, { eventName: 'ObjectRemoved:DeleteObject', bucket, key, size: removed.size, deltaSize: -removed.size, eTag: removed.etag });
  }
  sendEmpty(ctx, 204);
}

/** `x-oss-copy-source: /<bucket>/<url-encoded key>` (ali-oss `_getSourceName`). */
export function parseCopySource(value: string): { bucket: string; key: string } {
  if (value.includes('?')) throw ossErrors.notImplemented('Copying a specific version (x-oss-copy-source with versionId)');
  const trimmed = value.startsWith('/') ? value.slice(1) : value;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) throw ossErrors.invalidArgument('x-oss-copy-source must be /<bucket>/<key>.', 'x-oss-copy-source', value);
  let key: string;
  try {
    key = decodeURIComponent(trimmed.slice(slash + 1));
  } catch {
    throw ossErrors.invalidArgument('x-oss-copy-source is not URL-encoded correctly.', 'x-oss-copy-source', value);
  }
  return { bucket: trimmed.slice(0, slash), key };
}

export async function copyObject(ctx: RequestContext, sourceHeader: string): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const source = parseCopySource(sourceHeader);
  const { storage } = ctx.runtime;
  if (!storage.hasBucket(source.bucket)) throw ossErrors.noSuchBucket(source.bucket);
  const sourceRecord = storage.getObject(source.bucket, source.key);
  if (!sourceRecord) throw ossErrors.noSuchKey(source.key);
  checkConditions(ctx, sourceRecord, 'x-oss-copy-source-');
  const directive = (headerOf(ctx, 'x-oss-metadata-directive') ?? 'COPY').toUpperCase();
  if (directive !== 'COPY' && directive !== 'REPLACE') {
    throw ossErrors.invalidArgument('x-oss-metadata-directive must be COPY or REPLACE.', 'x-oss-metadata-directive', directive);
  }
  const forbid = forbidOverwrite(ctx);
  if (forbid && storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
  const { record, previous } = await storage.copyObject(source, { bucket, key }, directive === 'REPLACE' ? requestObjectHeaders(ctx) : 'copy', {
    forbidOverwrite: forbid,
  });
  ctx.runtime.notify(ctx, {
    eventName: 'ObjectCreated:CopyObject',
    bucket,
    key,
    size: record.size,
    deltaSize: record.size - (previous?.size ?? 0),
    eTag: record.etag,
  });
  sendXml(ctx, 200, 'CopyObjectResult', [
    ['ETag', quoteEtag(record.etag)],
    ['LastModified', isoTime(record.lastModified)],
  ]);
}
