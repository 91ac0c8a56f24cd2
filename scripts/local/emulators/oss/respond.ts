/** Writing OSS-shaped responses: XML bodies, error documents, object headers. */
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext } from './context';
import { headerOf } from './context';
import type { EncryptionConfig } from './bucket-config';
import { ossErrors, type OssError } from './errors';
import { OBJECT_ACLS, STORAGE_CLASSES, type BucketConfig, type Encryption, type ObjectAcl, type ObjectHeaders, type ObjectRecord, type StorageClass } from './storage';
import { contentTypeFor } from './mime';
import { objectTagsFromHeader } from './object-tags';
import { renderXml, type XmlNode } from './xml';

export function sendXml(ctx: RequestContext, status: number, root: string, children: XmlNode[] | string, headers: OutgoingHttpHeaders = {}): void {
  const body = Buffer.from(renderXml(root, children));
  ctx.res.writeHead(status, { ...headers, 'Content-Type': 'application/xml', 'Content-Length': body.length });
  ctx.res.end(body);
}

export function sendEmpty(ctx: RequestContext, status: number, headers: OutgoingHttpHeaders = {}): void {
  ctx.res.writeHead(status, { ...headers, 'Content-Length': 0 });
  ctx.res.end();
}

/**
 * OSS error document. HEAD responses cannot carry a body, so OSS puts the same XML base64-encoded in
 * `x-oss-err` (ali-oss decodes it in `requestError`).
 */
export function sendError(ctx: RequestContext, err: OssError): void {
  const children: XmlNode[] = [
    ['Code', err.code],
    ['Message', err.message],
    ['RequestId', ctx.requestId],
    ['HostId', ctx.host],
    ...Object.entries(err.extra),
  ];
  const headers: OutgoingHttpHeaders = { ...err.headers, 'Content-Type': 'application/xml' };
  if (err.ec) {
    children.push(['EC', err.ec], ['RecommendDoc', `https://api.aliyun.com/troubleshoot?q=${err.ec}`]);
    headers['x-oss-ec'] = err.ec;
  }
  const xml = renderXml('Error', children);
  // A body we stopped reading (e.g. EntityTooLarge) must not be parsed as the next request on this socket.
  if (!ctx.req.complete) headers.Connection = 'close';
  if (ctx.method === 'HEAD') {
    ctx.res.writeHead(err.status, { ...headers, 'x-oss-err': Buffer.from(xml).toString('base64'), 'Content-Length': 0 });
    ctx.res.end();
    return;
  }
  const body = Buffer.from(xml);
  ctx.res.writeHead(err.status, { ...headers, 'Content-Length': body.length });
  ctx.res.end(body);
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** `"ABC"`, `W/"abc"` or `abc` → `ABC`, for comparisons. */
export function normalizeEtag(etag: string): string {
  return etag.trim().replace(/^W\//, '').replace(/^"|"$/g, '').toUpperCase();
}

export function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** `x-oss-restore` as OSS shows it on HEAD/GET, or undefined when no restore was asked for. */
export function restoreHeader(record: ObjectRecord, now: number): string | undefined {
  const restore = record.restore;
  if (!restore || now >= restore.expiresAt) return undefined;
  if (now < restore.readyAt) return 'ongoing-request="true"';
  return `ongoing-request="false", expiry-date="${new Date(restore.expiresAt).toUTCString()}"`;
}

/** Response headers for an object's server-side encryption, on writes and reads alike. */
export function encryptionHeaders(record: ObjectHeaders): OutgoingHttpHeaders {
  const enc = record.encryption;
  if (!enc) return {};
  const headers: OutgoingHttpHeaders = { 'x-oss-server-side-encryption': enc.algorithm };
  if (enc.keyId) headers['x-oss-server-side-encryption-key-id'] = enc.keyId;
  if (enc.dataEncryption) headers['x-oss-server-side-data-encryption'] = enc.dataEncryption;
  return headers;
}

/** `x-oss-version-id` of an object written in a versioned bucket (D156); nothing for one that never was. */
export function versionHeaders(record: { versionId?: string }): OutgoingHttpHeaders {
  return record.versionId === undefined ? {} : { 'x-oss-version-id': record.versionId };
}

/** Response headers OSS returns for an object on GET and HEAD. */
export function objectHeaders(record: ObjectRecord, now: number): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': record.contentType,
    ETag: quoteEtag(record.etag),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': record.type,
    'x-oss-storage-class': record.storageClass ?? 'Standard',
    'x-oss-hash-crc64ecma': record.crc64,
    ...encryptionHeaders(record),
    ...versionHeaders(record),
  };
  if (record.contentMd5) headers['Content-MD5'] = record.contentMd5;
  if (record.cacheControl) headers['Cache-Control'] = record.cacheControl;
  if (record.contentDisposition) headers['Content-Disposition'] = record.contentDisposition;
  if (record.contentEncoding) headers['Content-Encoding'] = record.contentEncoding;
  if (record.contentLanguage) headers['Content-Language'] = record.contentLanguage;
  if (record.expires) headers.Expires = record.expires;
  if (record.type === 'Appendable') headers['x-oss-next-append-position'] = String(record.size);
  const tagCount = Object.keys(record.tags ?? {}).length;
  if (tagCount > 0) headers['x-oss-tagging-count'] = String(tagCount);
  const restore = restoreHeader(record, now);
  if (restore) headers['x-oss-restore'] = restore;
  for (const [name, value] of Object.entries(record.meta)) headers[`x-oss-meta-${name}`] = value;
  return headers;
}

/** Object attributes a write request sets by header, with the bucket's defaults (storage class, encryption). */
export function requestObjectAttributes(ctx: RequestContext, bucket: BucketConfig): Pick<ObjectHeaders, 'storageClass' | 'acl' | 'tags' | 'encryption'> {
  const out: Pick<ObjectHeaders, 'storageClass' | 'acl' | 'tags' | 'encryption'> = {};
  const storageClass = headerOf(ctx, 'x-oss-storage-class');
  if (storageClass !== undefined && !STORAGE_CLASSES.includes(storageClass as StorageClass)) {
    throw ossErrors.invalidArgument(`x-oss-storage-class must be one of ${STORAGE_CLASSES.join(', ')}.`, 'x-oss-storage-class', storageClass);
  }
  out.storageClass = (storageClass as StorageClass | undefined) ?? bucket.storageClass ?? 'Standard';
  const acl = headerOf(ctx, 'x-oss-object-acl');
  if (acl !== undefined) {
    if (!OBJECT_ACLS.includes(acl as ObjectAcl)) throw ossErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', acl);
    out.acl = acl as ObjectAcl;
  }
  const tagging = headerOf(ctx, 'x-oss-tagging');
  if (tagging !== undefined) out.tags = objectTagsFromHeader(tagging);
  const sse = requestEncryption(ctx) ?? defaultEncryption(bucket);
  if (sse) out.encryption = sse;
  return out;
}

function requestEncryption(ctx: RequestContext): Encryption | undefined {
  const algorithm = headerOf(ctx, 'x-oss-server-side-encryption');
  const keyId = headerOf(ctx, 'x-oss-server-side-encryption-key-id');
  const data = headerOf(ctx, 'x-oss-server-side-data-encryption');
  if (algorithm === undefined) {
    if (keyId !== undefined || data !== undefined) throw ossErrors.invalidArgument('x-oss-server-side-encryption-key-id and -data-encryption need x-oss-server-side-encryption: KMS.', 'x-oss-server-side-encryption', '');
    return undefined;
  }
  if (algorithm !== 'AES256' && algorithm !== 'KMS' && algorithm !== 'SM4') {
    throw ossErrors.invalidArgument('x-oss-server-side-encryption must be AES256, KMS or SM4.', 'x-oss-server-side-encryption', algorithm);
  }
  if (algorithm !== 'KMS' && (keyId !== undefined || data !== undefined)) {
    throw ossErrors.invalidArgument('A KMS key id or data encryption can only be given with x-oss-server-side-encryption: KMS.', 'x-oss-server-side-encryption', algorithm);
  }
  if (data !== undefined && data !== 'SM4') throw ossErrors.invalidArgument('x-oss-server-side-data-encryption must be SM4.', 'x-oss-server-side-data-encryption', data);
  return { algorithm, ...(keyId ? { keyId } : {}), ...(data === 'SM4' ? { dataEncryption: 'SM4' as const } : {}) };
}

function defaultEncryption(bucket: BucketConfig): Encryption | undefined {
  const config = bucket.encryption as EncryptionConfig | undefined;
  if (!config) return undefined;
  return { algorithm: config.algorithm, ...(config.kmsKeyId ? { keyId: config.kmsKeyId } : {}), ...(config.dataEncryption ? { dataEncryption: config.dataEncryption } : {}) };
}

const MAX_USER_META_BYTES = 8 * 1024;

/**
 * OSS: all user metadata, `x-oss-meta-` names and values, at most 8 KB (EC 0011-00000002); it was stored (D147).
 * Values are byte strings here (one char per byte sent, as Node decodes headers), so lengths are bytes.
 */
export function checkUserMetaSize(meta: Readonly<Record<string, string>>): void {
  let bytes = 0;
  for (const [name, value] of Object.entries(meta)) bytes += 'x-oss-meta-'.length + name.length + value.length;
  if (bytes > MAX_USER_META_BYTES) throw ossErrors.invalidArgument('Your metadata headers exceed the maximum allowed metadata size.', 'x-oss-meta-*', `${bytes} bytes`, '0011-00000002');
}

/** Reads the standard headers and `x-oss-meta-*` of a PutObject / InitiateMultipartUpload / CopyObject(REPLACE). */
export function requestObjectHeaders(ctx: RequestContext): ObjectHeaders {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined) meta[name.slice('x-oss-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  checkUserMetaSize(meta);
  return {
    // Absent: from the key's extension, as OSS does.
    contentType: headerOf(ctx, 'content-type') || (ctx.key === undefined ? 'application/octet-stream' : contentTypeFor(ctx.key)),
    cacheControl: headerOf(ctx, 'cache-control'),
    contentDisposition: headerOf(ctx, 'content-disposition'),
    contentEncoding: headerOf(ctx, 'content-encoding'),
    contentLanguage: headerOf(ctx, 'content-language'),
    expires: headerOf(ctx, 'expires'),
    meta,
  };
}
