/**
 * HTTP front of the OSS emulator: parses bucket and key (path-style `/<bucket>/<key>`, or leniently from a
 * `<bucket>.localhost` / `<bucket>.oss-<region>.aliyuncs.com` Host), answers CORS preflights, verifies the V4
 * signature, and dispatches to the operation handlers. Every response carries `x-oss-request-id`.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { abortMultipartUpload, completeMultipartUpload, initiateMultipartUpload, listParts, uploadPart } from './multipart-ops';
import { deleteMultipleObjects, listBuckets, listObjectsV1, listObjectsV2 } from './bucket-ops';
import type { EmulatorRuntime, RequestContext } from './context';
import { headerOf } from './context';
import { corsHeaders, preflightHeaders } from './cors';
import { OssError, ossErrors } from './errors';
import { copyObject, deleteObject, getObject, getObjectMeta, headObject, putObject } from './object-ops';
import { sendEmpty, sendError } from './respond';
import { authenticate, type CredentialLookup } from './signature';
import { BUCKET_NAME } from './storage';

/** OSS sub-resources (bucket configuration, versioning, ACLs, image processing…) the emulator does not implement. */
const NOT_EMULATED = new Map<string, string>([
  ['acl', 'ACLs (?acl)'],
  ['tagging', 'Tagging (?tagging)'],
  ['symlink', 'Symbolic links (?symlink)'],
  ['append', 'AppendObject (?append)'],
  ['restore', 'RestoreObject (?restore)'],
  ['versionId', 'Object versions (?versionId)'],
  ['versions', 'ListObjectVersions (?versions)'],
  ['versioning', 'Bucket versioning (?versioning)'],
  ['x-oss-process', 'Image processing (x-oss-process)'],
  ['x-oss-async-process', 'Asynchronous processing (x-oss-async-process)'],
  ['cors', 'Bucket CORS configuration (?cors)'],
  ['lifecycle', 'Bucket lifecycle (?lifecycle)'],
  ['location', 'GetBucketLocation (?location)'],
  ['bucketInfo', 'GetBucketInfo (?bucketInfo)'],
  ['stat', 'GetBucketStat (?stat)'],
  ['logging', 'Bucket logging (?logging)'],
  ['website', 'Static website hosting (?website)'],
  ['referer', 'Referer allow-lists (?referer)'],
  ['policy', 'Bucket policies (?policy)'],
  ['encryption', 'Bucket encryption (?encryption)'],
  ['inventory', 'Bucket inventory (?inventory)'],
  ['worm', 'Retention policies (?worm)'],
  ['replication', 'Replication (?replication)'],
  ['callback', 'Upload callback (callback)'],
]);

export interface Target {
  bucket: string | undefined;
  key: string | undefined;
  query: Array<[string, string]>;
}

/**
 * Splits the raw request target. The path is never normalised (`a/../b` is a key like any other) and the key is
 * only ever used as a database value, never as a file path.
 */
export function parseTarget(url: string, host: string): Target {
  let target = url;
  const scheme = /^https?:\/\/[^/]*/i.exec(target);
  if (scheme) target = target.slice(scheme[0].length) || '/';
  const q = target.indexOf('?');
  const rawPath = q >= 0 ? target.slice(0, q) : target;
  const rawQuery = q >= 0 ? target.slice(q + 1) : '';

  const query: Array<[string, string]> = [];
  for (const pair of rawQuery.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    query.push([decodeQueryPart(eq >= 0 ? pair.slice(0, eq) : pair), decodeQueryPart(eq >= 0 ? pair.slice(eq + 1) : '')]);
  }

  const hostname = host.replace(/:\d+$/, '').toLowerCase();
  const virtual = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.(?:localhost|oss-[a-z0-9-]+\.aliyuncs\.com)$/.exec(hostname);
  let bucket: string | undefined;
  let rawKey: string;
  if (virtual) {
    bucket = virtual[1];
    rawKey = rawPath.slice(1);
  } else {
    const rest = rawPath.slice(1);
    const slash = rest.indexOf('/');
    const rawBucket = slash >= 0 ? rest.slice(0, slash) : rest;
    rawKey = slash >= 0 ? rest.slice(slash + 1) : '';
    bucket = rawBucket === '' ? undefined : decodePathPart(rawBucket);
  }
  if (bucket !== undefined && !BUCKET_NAME.test(bucket)) throw ossErrors.invalidBucketName(bucket);
  const key = rawKey === '' ? undefined : decodePathPart(rawKey);
  if (key !== undefined) validateKey(key);
  return { bucket, key, query };
}

function decodePathPart(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw ossErrors.invalidUri();
  }
}

function decodeQueryPart(raw: string): string {
  return decodePathPart(raw.replace(/\+/g, ' '));
}

/** OSS object naming: 1–1023 bytes of UTF-8, not starting with `/` or `\`. */
function validateKey(key: string): void {
  if (key.startsWith('/') || key.startsWith('\\')) throw ossErrors.invalidObjectName('The object name must not start with "/" or "\\".');
  if (Buffer.byteLength(key) > 1023) throw ossErrors.invalidObjectName('The object name must be at most 1023 bytes long.');
}

export interface ServerDeps {
  runtime: EmulatorRuntime;
  clock: () => number;
  lookup: CredentialLookup;
  /** Reports unexpected (non-OSS) errors; they become 500 InternalError on the wire. */
  onInternalError: (err: unknown) => void;
}

/** The `request` listener of the emulator's HTTP server. */
export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handleRequest(deps, req, res);
  };
}

async function handleRequest(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = randomBytes(12).toString('hex').toUpperCase();
  const now = deps.clock();
  const host = req.headers.host ?? 'localhost';
  res.setHeader('x-oss-request-id', requestId);
  res.setHeader('Server', 'AliyunOSS');
  res.setHeader('Date', new Date(now).toUTCString());
  const ctx: RequestContext = {
    req,
    res,
    runtime: deps.runtime,
    requestId,
    method: (req.method ?? 'GET').toUpperCase(),
    host,
    bucket: undefined,
    key: undefined,
    query: [],
    params: new Map(),
    sourceIp: (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, ''),
    now,
  };
  try {
    const target = parseTarget(req.url ?? '/', host);
    ctx.bucket = target.bucket;
    ctx.key = target.key;
    ctx.query = target.query;
    ctx.params = new Map(target.query);
    if (ctx.method === 'OPTIONS') return preflight(ctx);
    for (const [name, value] of Object.entries(corsHeaders(deps.runtime.corsOrigins, req.headers))) res.setHeader(name, value);
    if (ctx.bucket !== undefined && !deps.runtime.storage.hasBucket(ctx.bucket)) throw ossErrors.noSuchBucket(ctx.bucket);
    authenticate(
      { method: ctx.method, bucket: ctx.bucket, key: ctx.key, query: ctx.query, headers: req.headers },
      { now, region: deps.runtime.region, lookup: deps.lookup },
    );
    await route(ctx);
  } catch (err) {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (err instanceof OssError) {
      sendError(ctx, err);
      return;
    }
    deps.onInternalError(err);
    sendError(ctx, ossErrors.internal());
  } finally {
    // Whatever the handler did not read of the body is discarded, so keep-alive stays in sync.
    if (!req.complete) req.resume();
  }
}

function preflight(ctx: RequestContext): void {
  if (ctx.bucket !== undefined && !ctx.runtime.storage.hasBucket(ctx.bucket)) throw ossErrors.noSuchBucket(ctx.bucket);
  const headers = preflightHeaders(ctx.runtime.corsOrigins, ctx.req.headers);
  if (!headers) throw ossErrors.corsForbidden();
  sendEmpty(ctx, 200, headers);
}

function rejectNotEmulated(ctx: RequestContext): void {
  for (const name of ctx.params.keys()) {
    const what = NOT_EMULATED.get(name);
    if (what) throw ossErrors.notImplemented(what);
  }
}

async function route(ctx: RequestContext): Promise<void> {
  const { method, params } = ctx;
  if (ctx.bucket === undefined) {
    if (method === 'GET') return listBuckets(ctx);
    throw ossErrors.methodNotAllowed(method);
  }
  rejectNotEmulated(ctx);

  if (ctx.key === undefined) {
    switch (method) {
      case 'GET':
        if (params.has('uploads')) throw ossErrors.notImplemented('ListMultipartUploads (?uploads)');
        return params.has('list-type') ? listObjectsV2(ctx) : listObjectsV1(ctx);
      case 'HEAD':
        return sendEmpty(ctx, 200);
      case 'POST':
        if (params.has('delete')) return deleteMultipleObjects(ctx);
        throw ossErrors.notImplemented('PostObject (HTML form upload)');
      case 'PUT':
      case 'DELETE':
        throw ossErrors.notImplemented('Bucket management (PutBucket, DeleteBucket); buckets come from s.yaml');
      default:
        throw ossErrors.methodNotAllowed(method);
    }
  }

  const copySource = headerOf(ctx, 'x-oss-copy-source');
  switch (method) {
    case 'PUT':
      if (params.has('uploadId') || params.has('partNumber')) {
        if (copySource) throw ossErrors.notImplemented('UploadPartCopy');
        return uploadPart(ctx);
      }
      return copySource ? copyObject(ctx, copySource) : putObject(ctx);
    case 'GET':
      if (params.has('uploadId')) return listParts(ctx);
      if (params.has('objectMeta')) return getObjectMeta(ctx);
      return getObject(ctx);
    case 'HEAD':
      return headObject(ctx);
    case 'DELETE':
      return params.has('uploadId') ? abortMultipartUpload(ctx) : deleteObject(ctx);
    case 'POST':
      if (params.has('uploads')) return initiateMultipartUpload(ctx);
      if (params.has('uploadId')) return completeMultipartUpload(ctx);
      throw ossErrors.methodNotAllowed(method);
    default:
      throw ossErrors.methodNotAllowed(method);
  }
}
