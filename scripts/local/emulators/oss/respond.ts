/** Writing OSS-shaped responses: XML bodies, error documents, object headers. */
import type { OutgoingHttpHeaders } from 'node:http';
import type { RequestContext } from './context';
import { headerOf } from './context';
import type { OssError } from './errors';
import type { ObjectHeaders, ObjectRecord } from './storage';
import { renderXml, type XmlNode } from './xml';

export function sendXml(ctx: RequestContext, status: number, root: string, children: XmlNode[], headers: OutgoingHttpHeaders = {}): void {
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
  const xml = renderXml('Error', children);
  const headers: OutgoingHttpHeaders = { 'Content-Type': 'application/xml' };
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

/** Response headers OSS returns for an object on GET and HEAD. */
export function objectHeaders(record: ObjectRecord): OutgoingHttpHeaders {
  const headers: OutgoingHttpHeaders = {
    'Content-Type': record.contentType,
    ETag: quoteEtag(record.etag),
    'Last-Modified': new Date(record.lastModified).toUTCString(),
    'Accept-Ranges': 'bytes',
    'x-oss-object-type': record.type,
    'x-oss-storage-class': 'Standard',
    'x-oss-hash-crc64ecma': record.crc64,
  };
  if (record.contentMd5) headers['Content-MD5'] = record.contentMd5;
  if (record.cacheControl) headers['Cache-Control'] = record.cacheControl;
  if (record.contentDisposition) headers['Content-Disposition'] = record.contentDisposition;
  if (record.contentEncoding) headers['Content-Encoding'] = record.contentEncoding;
  if (record.contentLanguage) headers['Content-Language'] = record.contentLanguage;
  if (record.expires) headers.Expires = record.expires;
  for (const [name, value] of Object.entries(record.meta)) headers[`x-oss-meta-${name}`] = value;
  return headers;
}

/** Reads the standard headers and `x-oss-meta-*` of a PutObject / InitiateMultipartUpload / CopyObject(REPLACE). */
export function requestObjectHeaders(ctx: RequestContext): ObjectHeaders {
  const meta: Record<string, string> = {};
  for (const [name, value] of Object.entries(ctx.req.headers)) {
    if (name.startsWith('x-oss-meta-') && value !== undefined) meta[name.slice('x-oss-meta-'.length)] = Array.isArray(value) ? value.join(',') : value;
  }
  return {
    // OSS guesses from the key's extension when absent; the emulator does not carry a MIME table (LIMITATIONS).
    contentType: headerOf(ctx, 'content-type') || 'application/octet-stream',
    cacheControl: headerOf(ctx, 'cache-control'),
    contentDisposition: headerOf(ctx, 'content-disposition'),
    contentEncoding: headerOf(ctx, 'content-encoding'),
    contentLanguage: headerOf(ctx, 'content-language'),
    expires: headerOf(ctx, 'expires'),
    meta,
  };
}
