/**
 * Object operations: PutObject, GetObject, HeadObject, GetObjectMeta, DeleteObject, CopyObject, AppendObject,
 * PutSymlink/GetSymlink, object ACL and tagging, RestoreObject.
 * API reference: https://www.alibabacloud.com/help/en/oss/developer-reference/putobject (and siblings).
 */
import { closeSync } from 'node:fs';
import type { OutgoingHttpHeaders } from 'node:http';
import { tagPairs, tagSetNodes, tagSetOf } from './bucket-config';
import { objectTagsFromXml } from './object-tags';
import { readSmallBody, receiveBody } from './body';
import { bucketOf, eventOf, headerOf, keyOf, type RequestContext } from './context';
import { OssError, ossErrors } from './errors';
import {
  encryptionHeaders,
  isoTime,
  normalizeEtag,
  objectHeaders,
  quoteEtag,
  requestObjectAttributes,
  requestObjectHeaders,
  sendEmpty,
  sendXml,
  versionHeaders,
} from './respond';
import { sendFileRange } from './send-file';
import { utf8AsBytes } from './signature-v1';
import { OBJECT_ACLS, headersOf, type ObjectAcl, type ObjectHeaders, type ObjectRecord, type StorageClass } from './storage';
import { aclGrants } from './s3-compat';
import { parseXmlBody, textOf } from './xml';

const SHA256_HEX = /^[0-9a-f]{64}$/i;
/** OSS caps an Appendable object at 5 GB. */
const MAX_APPENDABLE_BYTES = 5 * 1024 ** 3;
const ARCHIVED: readonly StorageClass[] = ['Archive', 'ColdArchive', 'DeepColdArchive'];

/**
 * `x-oss-forbid-overwrite: true` makes a write fail when the key exists — in a bucket that never had versioning:
 * OSS ignores the header once versioning was enabled, where a write overwrites nothing (D156).
 */
export function forbidOverwrite(ctx: RequestContext): boolean {
  return headerOf(ctx, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true' && ctx.runtime.storage.versioningOf(bucketOf(ctx)) === undefined;
}

/** The `versionId` a request names, if any: never empty (InvalidArgument naming it). */
export function versionIdOf(ctx: RequestContext): string | undefined {
  const versionId = ctx.params.get('versionId');
  if (versionId === '') throw ossErrors.invalidArgument('versionId must not be empty.', 'versionId', '');
  return versionId;
}

/** 404 NoSuchKey for a key whose current version is a delete marker carries the marker's headers, as OSS's does. */
function noSuchKey(ctx: RequestContext, bucket: string, key: string): OssError {
  const err = ossErrors.noSuchKey(key);
  const marker = ctx.runtime.storage.currentDeleteMarker(bucket, key);
  if (marker) err.headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': marker.versionId };
  return err;
}

/**
 * The object a `?versionId=` read names. A delete marker cannot be read: 405 MethodNotAllowed with
 * `x-oss-delete-marker` (OSS and S3); an id the key does not have is 404 NoSuchVersion.
 */
export function objectVersion(ctx: RequestContext, bucket: string, key: string, versionId: string): ObjectRecord {
  const entry = ctx.runtime.storage.getVersion(bucket, key, versionId);
  if (!entry) throw ossErrors.noSuchVersion(key, versionId);
  if (entry.kind === 'marker') {
    const err = ossErrors.methodNotAllowed(ctx.method);
    err.headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionId, 'Last-Modified': new Date(entry.marker.lastModified).toUTCString() };
    throw err;
  }
  return entry.record;
}

/**
 * A delete marker named by `?versionId=` on an ACL, tagging or restore request: it has no ACL, tags or archived copy.
 * OSS's PutObjectACL, GetObjectACL, Put/GetObjectTagging pages say 404 Not Found, and its error centre gives the
 * case its own code, 0017-00000002 ("the operation is not supported on a delete marker"); the `Code` is not
 * documented — NoSuchKey, the 404 of a key that reads as deleted, with the marker's headers as GetObject gives them.
 */
function deleteMarkerHasNone(key: string, versionId: string): OssError {
  const err = new OssError(404, 'NoSuchKey', 'The specified version is a delete marker: it has no ACL, tags or archived copy.', { Key: key, VersionId: versionId }, '0017-00000002');
  err.headers = { 'x-oss-delete-marker': 'true', 'x-oss-version-id': versionId };
  return err;
}

/**
 * The version an ACL, tagging or restore request works on (D156): the current object, or with `?versionId=` that
 * version, current or previous. A current delete marker is NoSuchKey with its headers; an id the key does not have
 * is NoSuchVersion; a delete marker's id is `deleteMarkerHasNone`.
 */
function attributeVersion(ctx: RequestContext, bucket: string, key: string): ObjectRecord {
  const versionId = versionIdOf(ctx);
  if (versionId === undefined) {
    const record = ctx.runtime.storage.getObject(bucket, key);
    if (!record) throw noSuchKey(ctx, bucket, key);
    return record;
  }
  const entry = ctx.runtime.storage.getVersion(bucket, key, versionId);
  if (!entry) throw ossErrors.noSuchVersion(key, versionId);
  if (entry.kind === 'marker') throw deleteMarkerHasNone(key, versionId);
  return entry.record;
}

/**
 * Changes the ACL, tags or restore state of the version a request names (`attributeVersion`'s rules), in one
 * transaction that reads the version and writes it; `change` may refuse by throwing. Returns the version as written.
 */
function changeAttributes(ctx: RequestContext, change: (headers: ObjectHeaders) => ObjectHeaders): ObjectRecord {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const versionId = versionIdOf(ctx);
  const { storage } = ctx.runtime;
  if (versionId === undefined) {
    if (!storage.getObject(bucket, key)) throw noSuchKey(ctx, bucket, key);
    return storage.updateObject(bucket, key, change);
  }
  const entry = storage.updateVersion(bucket, key, versionId, change);
  if (!entry) throw ossErrors.noSuchVersion(key, versionId);
  if (entry.kind === 'marker') throw deleteMarkerHasNone(key, versionId);
  return entry.record;
}

function writeResultHeaders(record: ObjectRecord): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = { ETag: quoteEtag(record.etag), 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record), ...versionHeaders(record) };
  if (record.contentMd5) headers['Content-MD5'] = record.contentMd5;
  return headers;
}

function bucketConfig(ctx: RequestContext) {
  return ctx.runtime.storage.getBucket(bucketOf(ctx))?.config ?? {};
}

/** Headers and attributes a new object gets from a write request. */
export function newObjectHeaders(ctx: RequestContext): ObjectHeaders {
  return { ...requestObjectHeaders(ctx), ...requestObjectAttributes(ctx, bucketConfig(ctx)) };
}

export async function putObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  if (headerOf(ctx, 'x-oss-callback')) throw ossErrors.notImplemented('Upload callback (x-oss-callback)');
  const forbid = forbidOverwrite(ctx);
  if (forbid && ctx.runtime.storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
  const headers = newObjectHeaders(ctx);
  const sha = headerOf(ctx, 'x-oss-content-sha256');
  const staged = await receiveBody(ctx.req, {
    tmpDir: ctx.runtime.storage.tmpDir,
    maxBytes: ctx.runtime.maxObjectBytes,
    contentMd5: headerOf(ctx, 'content-md5'),
    contentSha256: sha && SHA256_HEX.test(sha) ? sha : undefined,
  });
  const { record } = await ctx.runtime.storage.commitObject(bucket, key, staged, headers, { type: 'Normal', forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:PutObject') });
  sendEmpty(ctx, 200, writeResultHeaders(record));
}

/** If-Match / If-None-Match / If-(Un)Modified-Since, RFC 7232 precedence, for GetObject and HeadObject. */
function checkConditions(ctx: RequestContext, record: ObjectRecord): 'ok' | 'not-modified' {
  const ifMatch = headerOf(ctx, 'if-match');
  const ifNoneMatch = headerOf(ctx, 'if-none-match');
  const ifModifiedSince = headerOf(ctx, 'if-modified-since');
  const ifUnmodifiedSince = headerOf(ctx, 'if-unmodified-since');
  if (ifMatch !== undefined && !etagMatches(ifMatch, record)) throw ossErrors.preconditionFailed('If-Match');
  if (ifMatch === undefined && ifUnmodifiedSince !== undefined && modifiedAfter(record, ifUnmodifiedSince)) throw ossErrors.preconditionFailed('If-Unmodified-Since');
  const notModified =
    ifNoneMatch !== undefined ? etagMatches(ifNoneMatch, record) : ifModifiedSince !== undefined && modifiedAfter(record, ifModifiedSince) === false;
  return notModified ? 'not-modified' : 'ok';
}

function etagMatches(list: string, record: ObjectRecord): boolean {
  return list.split(',').some((tag) => tag.trim() === '*' || normalizeEtag(tag) === record.etag);
}

/** Whether the object changed after an HTTP date (second precision); undefined for an unparseable date. */
function modifiedAfter(record: ObjectRecord, httpDate: string): boolean | undefined {
  const since = Date.parse(httpDate);
  if (Number.isNaN(since)) return undefined;
  return Math.floor(record.lastModified / 1000) > Math.floor(since / 1000);
}

/**
 * CopyObject / UploadPartCopy source conditions, with OSS's statuses: a failed `if-match` or
 * `if-unmodified-since` is 412 PreconditionFailed, a failed `if-none-match` or `if-modified-since` is 304.
 */
export function checkCopySourceConditions(ctx: RequestContext, source: ObjectRecord): 'ok' | 'not-modified' {
  const prefix = 'x-oss-copy-source-';
  const ifMatch = headerOf(ctx, `${prefix}if-match`);
  const ifNoneMatch = headerOf(ctx, `${prefix}if-none-match`);
  const ifModifiedSince = headerOf(ctx, `${prefix}if-modified-since`);
  const ifUnmodifiedSince = headerOf(ctx, `${prefix}if-unmodified-since`);
  if (ifMatch !== undefined && !etagMatches(ifMatch, source)) throw ossErrors.preconditionFailed('x-oss-copy-source-if-match');
  if (ifUnmodifiedSince !== undefined && modifiedAfter(source, ifUnmodifiedSince) === true) throw ossErrors.preconditionFailed('x-oss-copy-source-if-unmodified-since');
  if (ifNoneMatch !== undefined && etagMatches(ifNoneMatch, source)) return 'not-modified';
  if (ifModifiedSince !== undefined && modifiedAfter(source, ifModifiedSince) === false) return 'not-modified';
  return 'ok';
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

export const RESPONSE_OVERRIDES: Record<string, string> = {
  'response-content-type': 'Content-Type',
  'response-content-language': 'Content-Language',
  'response-expires': 'Expires',
  'response-cache-control': 'Cache-Control',
  'response-content-disposition': 'Content-Disposition',
  'response-content-encoding': 'Content-Encoding',
};

/**
 * The `response-*` overrides a GET asks for, as header values: the query's text as its UTF-8 bytes (a download name
 * in Chinese arrives percent-encoded and goes out as the bytes it named, as OSS answers it).
 */
export function responseOverrides(ctx: RequestContext): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [param, header] of Object.entries(RESPONSE_OVERRIDES)) {
    const value = ctx.params.get(param);
    if (value !== undefined) headers[header] = utf8AsBytes(value);
  }
  return headers;
}

/**
 * Follows a symlink to the object it names (one level, as OSS does, to the target's current version). With a
 * `versionId` the key's version is read instead of its current object.
 */
export function resolveObject(ctx: RequestContext, bucket: string, key: string, versionId?: string): ObjectRecord {
  const record = versionId === undefined ? ctx.runtime.storage.getObject(bucket, key) : objectVersion(ctx, bucket, key, versionId);
  if (!record) throw noSuchKey(ctx, bucket, key);
  if (record.type !== 'Symlink') return record;
  const target = ctx.runtime.storage.getObject(bucket, record.symlinkTarget ?? '');
  if (!target || target.type === 'Symlink') throw ossErrors.symlinkTargetNotExist(record.symlinkTarget ?? '');
  return target;
}

/** Archive classes are readable only while a restored copy exists (InvalidObjectState otherwise). */
export function checkReadable(record: ObjectRecord, now: number): void {
  if (!ARCHIVED.includes(record.storageClass ?? 'Standard')) return;
  const restore = record.restore;
  if (!restore || now < restore.readyAt || now >= restore.expiresAt) throw ossErrors.invalidObjectState();
}

export async function getObject(ctx: RequestContext, key = keyOf(ctx), status = 200): Promise<void> {
  const bucket = bucketOf(ctx);
  // The website's index and error documents are other keys: the request's versionId is not theirs.
  const versionId = key === ctx.key ? versionIdOf(ctx) : undefined;
  const target = resolveObject(ctx, bucket, key, versionId);
  checkReadable(target, ctx.now);
  // A version read opens that version's bytes; through a symlink, its target's current ones.
  const opened = ctx.runtime.storage.openObject(bucket, target.key, target.key === key ? versionId : undefined);
  if (!opened) throw noSuchKey(ctx, bucket, key);
  const { record, fd } = opened;
  let handedOff = false;
  try {
    if (checkConditions(ctx, record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(record.etag) });
    const headers = { ...objectHeaders(record, ctx.now), ...responseOverrides(ctx) };
    const standard = headerOf(ctx, 'x-oss-range-behavior')?.toLowerCase() === 'standard';
    const range = parseRange(headerOf(ctx, 'range'), record.size, standard);
    if (range === 'unsatisfiable') {
      throw new OssError(416, 'InvalidRange', 'The requested range cannot be satisfied', { ActualObjectSize: String(record.size) });
    }
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
    await sendFileRange(ctx.res, fd, start, end);
  } finally {
    if (!handedOff) closeSync(fd);
  }
}

export function headObject(ctx: RequestContext): void {
  const record = resolveObject(ctx, bucketOf(ctx), keyOf(ctx), versionIdOf(ctx));
  if (checkConditions(ctx, record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(record.etag) });
  ctx.res.writeHead(200, { ...objectHeaders(record, ctx.now), 'Content-Length': record.size });
  ctx.res.end();
}

/**
 * GetObjectMeta (`HEAD ?objectMeta`): the basic metadata only, no user meta. OSS gives the object's size as the
 * HEAD answer's Content-Length (what ali-oss and the other SDKs read it from); a GET has no body to announce.
 */
export function getObjectMeta(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const versionId = versionIdOf(ctx);
  const record = versionId === undefined ? ctx.runtime.storage.getObject(bucket, key) : objectVersion(ctx, bucket, key, versionId);
  if (!record) throw noSuchKey(ctx, bucket, key);
  ctx.res.writeHead(200, {
    ...versionHeaders(record),
    ETag: quoteEtag(record.etag),
    'x-oss-object-size': String(record.size),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'x-oss-hash-crc64ecma': record.crc64,
    'Content-Length': ctx.method === 'HEAD' ? record.size : 0,
  });
  ctx.res.end();
}

/**
 * DeleteObject. OSS answers 204 whether or not the key existed; only a real removal is an event. In a versioned bucket
 * (D156) it leaves a delete marker (`x-oss-delete-marker: true` and its `x-oss-version-id`); with `?versionId=` it
 * removes that version for good (the headers name it, and say whether it was a marker).
 */
export async function deleteObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const versionId = versionIdOf(ctx);
  const event = eventOf(ctx, 'ObjectRemoved:DeleteObject');
  const headers: OutgoingHttpHeaders = {};
  if (versionId !== undefined) {
    const removed = await ctx.runtime.storage.deleteVersion(bucket, key, versionId, event);
    headers['x-oss-version-id'] = versionId;
    if (removed?.kind === 'marker') headers['x-oss-delete-marker'] = 'true';
  } else {
    const { deleteMarker } = await ctx.runtime.storage.deleteObject(bucket, key, event);
    if (deleteMarker) Object.assign(headers, { 'x-oss-delete-marker': 'true', 'x-oss-version-id': deleteMarker.versionId });
  }
  sendEmpty(ctx, 204, headers);
}

/**
 * `x-oss-copy-source: /<bucket>/<url-encoded key>` (ali-oss `_getSourceName`), optionally `?versionId=<id>` to copy
 * one version (D156); any other query is refused by name.
 */
export function parseCopySource(value: string): { bucket: string; key: string; versionId?: string } {
  const query = value.indexOf('?');
  let versionId: string | undefined;
  if (query >= 0) {
    const params = new URLSearchParams(value.slice(query + 1));
    const names = [...params.keys()];
    if (names.length !== 1 || names[0] !== 'versionId' || !params.get('versionId')) {
      throw ossErrors.invalidArgument('x-oss-copy-source may carry only ?versionId=<id> after the key.', 'x-oss-copy-source', value);
    }
    versionId = params.get('versionId')!;
    value = value.slice(0, query);
  }
  const trimmed = value.startsWith('/') ? value.slice(1) : value;
  const slash = trimmed.indexOf('/');
  if (slash <= 0 || slash === trimmed.length - 1) throw ossErrors.invalidArgument('x-oss-copy-source must be /<bucket>/<key>.', 'x-oss-copy-source', value);
  let key: string;
  try {
    key = decodeURIComponent(trimmed.slice(slash + 1));
  } catch {
    throw ossErrors.invalidArgument('x-oss-copy-source is not URL-encoded correctly.', 'x-oss-copy-source', value);
  }
  return { bucket: trimmed.slice(0, slash), key, ...(versionId !== undefined ? { versionId } : {}) };
}

/** The copy source named by `x-oss-copy-source`, which must exist and be readable (a version, when it names one). */
export function copySourceOf(ctx: RequestContext, header: string): { bucket: string; key: string; versionId?: string; record: ObjectRecord } {
  const source = parseCopySource(header);
  const { storage } = ctx.runtime;
  if (!storage.hasBucket(source.bucket)) throw ossErrors.noSuchBucket(source.bucket);
  if (source.versionId !== undefined) {
    const entry = storage.getVersion(source.bucket, source.key, source.versionId);
    if (!entry) throw ossErrors.noSuchVersion(source.key, source.versionId);
    // S3 and OSS: a delete marker is no copy source.
    if (entry.kind === 'marker') throw ossErrors.invalidArgument('The copy source version is a delete marker.', 'x-oss-copy-source', header);
    return { ...source, record: entry.record };
  }
  const record = storage.getObject(source.bucket, source.key);
  if (!record) throw noSuchKey(ctx, source.bucket, source.key);
  return { ...source, record };
}

/** `x-oss-copy-source-version-id`: the version a copy read, when its source bucket keeps versions. */
export function copySourceVersionHeaders(source: { record: ObjectRecord }): OutgoingHttpHeaders {
  return source.record.versionId === undefined ? {} : { 'x-oss-copy-source-version-id': source.record.versionId };
}

function directive(ctx: RequestContext, header: string, values: [string, string]): string {
  const value = headerOf(ctx, header) ?? values[0];
  const upper = value.toUpperCase();
  if (!values.includes(upper)) throw ossErrors.invalidArgument(`${header} must be ${values.join(' or ')}.`, header, value);
  return upper;
}

export async function copyObject(ctx: RequestContext, sourceHeader: string): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const { storage } = ctx.runtime;
  const source = copySourceOf(ctx, sourceHeader);
  if (checkCopySourceConditions(ctx, source.record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(source.record.etag) });
  const metadata = directive(ctx, 'x-oss-metadata-directive', ['COPY', 'REPLACE']);
  const tagging = directive(ctx, 'x-oss-tagging-directive', ['COPY', 'REPLACE']);
  const forbid = forbidOverwrite(ctx);
  if (forbid && storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
  const attributes = requestObjectAttributes(ctx, bucketConfig(ctx));
  const standard = metadata === 'REPLACE' ? requestObjectHeaders(ctx) : headersOf(source.record);
  const headers: ObjectHeaders = {
    ...standard,
    // The source's encryption, ACL and restore state are not copied; its storage class and tags are by default.
    storageClass: headerOf(ctx, 'x-oss-storage-class') !== undefined ? attributes.storageClass : (source.record.storageClass ?? attributes.storageClass),
    acl: attributes.acl,
    tags: tagging === 'REPLACE' ? (attributes.tags ?? {}) : source.record.tags,
    encryption: attributes.encryption,
    restore: undefined,
    symlinkTarget: undefined,
  };
  let result: { record: ObjectRecord; previous: ObjectRecord | undefined };
  if (source.record.type === 'Symlink') {
    // OSS copies the symlink itself, not what it points to.
    result = await storage.putSymlink(bucket, key, { ...headers, symlinkTarget: source.record.symlinkTarget }, { forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:CopyObject') });
  } else {
    checkReadable(source.record, ctx.now);
    result = await storage.copyObject(source, { bucket, key }, headers, { forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:CopyObject') });
  }
  const { record } = result;
  sendXml(ctx, 200, 'CopyObjectResult', [['ETag', quoteEtag(record.etag)], ['LastModified', isoTime(record.lastModified)]], {
    ...encryptionHeaders(record),
    ...versionHeaders(record),
    ...copySourceVersionHeaders(source),
  });
}

/** AppendObject: `POST /<key>?append&position=<n>`; the first append (position 0) creates an Appendable object. */
export async function appendObject(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  // OSS: AppendObject takes no versionId (it appends to the current version), error centre 0016-00000504.
  if (ctx.params.has('versionId')) throw ossErrors.invalidArgument('AppendObject does not take a versionId.', 'versionId', ctx.params.get('versionId'), '0016-00000504');
  const raw = ctx.params.get('position');
  if (raw === undefined || raw === '') throw ossErrors.missingArgument('position', '0016-00000501');
  if (!/^\d+$/.test(raw)) throw ossErrors.invalidArgument('position must be a non-negative integer.', 'position', raw);
  const position = Number(raw);
  const existing = ctx.runtime.storage.getObject(bucket, key);
  // Checked before the body is read, and again under the per-key lock once it has been.
  if (existing && existing.type !== 'Appendable') throw ossErrors.objectNotAppendable();
  if (position !== (existing?.size ?? 0)) throw ossErrors.positionNotEqualToLength(existing?.size ?? 0);
  const headers = newObjectHeaders(ctx);
  if (headers.encryption?.keyId) throw ossErrors.invalidArgument('Appendable objects cannot be encrypted with a specified KMS key.', 'x-oss-server-side-encryption-key-id', headers.encryption.keyId);
  const staged = await receiveBody(ctx.req, {
    tmpDir: ctx.runtime.storage.tmpDir,
    maxBytes: Math.min(ctx.runtime.maxObjectBytes, MAX_APPENDABLE_BYTES - position),
    contentMd5: headerOf(ctx, 'content-md5'),
  });
  const { record } = await ctx.runtime.storage.appendObject(bucket, key, position, staged, headers, eventOf(ctx, 'ObjectCreated:AppendObject'));
  sendEmpty(ctx, 200, { ETag: quoteEtag(record.etag), 'x-oss-next-append-position': String(record.size), 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record), ...versionHeaders(record) });
}

/** PutSymlink: `PUT /<key>?symlink` with `x-oss-symlink-target` (URL-encoded key in the same bucket). */
export async function putSymlink(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const raw = headerOf(ctx, 'x-oss-symlink-target');
  if (!raw) throw ossErrors.missingArgument('x-oss-symlink-target');
  let target: string;
  try {
    target = decodeURIComponent(raw);
  } catch {
    throw ossErrors.invalidArgument('x-oss-symlink-target is not URL-encoded correctly.', 'x-oss-symlink-target', raw);
  }
  if (target.startsWith('/') || Buffer.byteLength(target) > 1023) throw ossErrors.invalidArgument('x-oss-symlink-target must be a valid object name.', 'x-oss-symlink-target', raw);
  const forbid = forbidOverwrite(ctx);
  const { record } = await ctx.runtime.storage.putSymlink(bucket, key, { ...newObjectHeaders(ctx), symlinkTarget: target }, { forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:PutSymlink') });
  sendEmpty(ctx, 200, { ETag: quoteEtag(record.etag), ...versionHeaders(record) });
}

/**
 * GetSymlink: the current version, or with `?versionId=` that version (D156) — a delete marker's id is 405 as a
 * GetObject of it is; a current delete marker is 404 with `x-oss-delete-marker` (OSS's GetSymlink page).
 */
export function getSymlink(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  const versionId = versionIdOf(ctx);
  const record = versionId === undefined ? ctx.runtime.storage.getObject(bucket, key) : objectVersion(ctx, bucket, key, versionId);
  if (!record) throw noSuchKey(ctx, bucket, key);
  if (record.type !== 'Symlink') throw ossErrors.notSymlink();
  const headers: OutgoingHttpHeaders = {
    ...versionHeaders(record),
    'x-oss-symlink-target': encodeURIComponent(record.symlinkTarget ?? ''),
    ETag: quoteEtag(record.etag),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
  };
  for (const [name, value] of Object.entries(record.meta)) headers[`x-oss-meta-${name}`] = value;
  sendEmpty(ctx, 200, headers);
}

export function putObjectAcl(ctx: RequestContext): void {
  const acl = headerOf(ctx, 'x-oss-object-acl');
  if (acl === undefined) throw ossErrors.missingArgument('x-oss-object-acl');
  if (!OBJECT_ACLS.includes(acl as ObjectAcl)) throw ossErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', acl);
  const record = changeAttributes(ctx, (headers) => ({ ...headers, acl: acl as ObjectAcl }));
  sendEmpty(ctx, 200, versionHeaders(record));
}

export function getObjectAcl(ctx: RequestContext): void {
  const record = attributeVersion(ctx, bucketOf(ctx), keyOf(ctx));
  const acl = record.acl ?? 'default';
  // S3 has no `default`: an S3 client is shown the ACL that applies, the bucket's.
  const effective = ctx.s3 && acl === 'default' ? (bucketConfig(ctx).acl ?? 'private') : acl;
  sendXml(ctx, 200, 'AccessControlPolicy', aclGrants(ctx.runtime.accountId, effective, ctx.s3 !== undefined), versionHeaders(record));
}

export async function putObjectTagging(ctx: RequestContext): Promise<void> {
  const body = await readSmallBody(ctx.req, 64 * 1024, headerOf(ctx, 'content-md5'));
  const tags = objectTagsFromXml(tagPairs(tagSetOf(parseXmlBody(body.toString('utf8'), 'Tagging', ['Tag']))));
  const record = changeAttributes(ctx, (headers) => ({ ...headers, tags }));
  sendEmpty(ctx, 200, versionHeaders(record));
}

export function getObjectTagging(ctx: RequestContext): void {
  const record = attributeVersion(ctx, bucketOf(ctx), keyOf(ctx));
  sendXml(ctx, 200, 'Tagging', tagSetNodes(record.tags ?? {}), versionHeaders(record));
}

export function deleteObjectTagging(ctx: RequestContext): void {
  const record = changeAttributes(ctx, (headers) => ({ ...headers, tags: {} }));
  sendEmpty(ctx, 204, versionHeaders(record));
}

const HOUR = 3_600_000;
/**
 * How long a restore takes on the emulator's clock: OSS's documented minimum for the class and tier (Archive about
 * a minute; Cold Archive Expedited 1 h / Standard 2 h / Bulk 5 h; Deep Cold Archive Expedited 12 h / Standard 48 h).
 */
const RESTORE_DELAY_MS: Record<string, Record<string, number>> = {
  Archive: { Standard: 60_000, Expedited: 60_000, Bulk: 60_000 },
  ColdArchive: { Expedited: HOUR, Standard: 2 * HOUR, Bulk: 5 * HOUR },
  DeepColdArchive: { Expedited: 12 * HOUR, Standard: 48 * HOUR },
};

/**
 * RestoreObject: `POST /<key>?restore` with an optional `<RestoreRequest>` (Days, JobParameters/Tier); with
 * `?versionId=` it restores that version (D156), whose restore state is its own.
 */
export async function restoreObject(ctx: RequestContext): Promise<void> {
  const record = attributeVersion(ctx, bucketOf(ctx), keyOf(ctx));
  const cls = record.storageClass ?? 'Standard';
  const delays = RESTORE_DELAY_MS[cls];
  if (!delays) throw ossErrors.operationNotSupported(`RestoreObject applies to Archive, ColdArchive and DeepColdArchive objects; this object is ${cls}.`);
  const body = await readSmallBody(ctx.req, 16 * 1024, headerOf(ctx, 'content-md5'));
  let days = 1;
  let tier = 'Standard';
  if (body.length > 0) {
    const doc = parseXmlBody(body.toString('utf8'), 'RestoreRequest', []);
    const rawDays = textOf(doc.Days)?.trim();
    const maxDays = cls === 'Archive' ? 7 : 365;
    if (rawDays !== undefined) {
      if (!/^\d+$/.test(rawDays) || Number(rawDays) < 1 || Number(rawDays) > maxDays) throw ossErrors.invalidArgument(`Days must be an integer from 1 to ${maxDays}.`, 'Days', rawDays);
      days = Number(rawDays);
    }
    const params = doc.JobParameters;
    const rawTier = params && typeof params === 'object' ? textOf((params as Record<string, unknown>).Tier)?.trim() : undefined;
    if (rawTier !== undefined) {
      if (!delays[rawTier]) throw ossErrors.invalidArgument(`Tier must be one of ${Object.keys(delays).join(', ')} for ${cls} objects.`, 'Tier', rawTier);
      tier = rawTier;
    }
  }
  const now = ctx.now;
  let status = 202;
  // Decided on the version as it is inside the write's transaction, so two restores cannot both start one.
  const written = changeAttributes(ctx, (headers) => {
    const restore = headers.restore;
    if (restore && now < restore.readyAt) throw ossErrors.restoreInProgress();
    if (restore && now < restore.expiresAt) {
      // Already restored: the request extends how long the copy stays readable.
      status = 200;
      return { ...headers, restore: { readyAt: restore.readyAt, expiresAt: now + days * 86_400_000 } };
    }
    const readyAt = now + delays[tier]!;
    return { ...headers, restore: { readyAt, expiresAt: readyAt + days * 86_400_000 } };
  });
  sendEmpty(ctx, status, versionHeaders(written));
}
