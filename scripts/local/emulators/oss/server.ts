/**
 * HTTP front of the OSS emulator: parses bucket and key (path-style `/<bucket>/<key>`, or leniently from a
 * `<bucket>.localhost` / `<bucket>.oss-<region>.aliyuncs.com` Host), answers CORS preflights from the bucket's
 * rules, verifies the signature (V1 or V4) or treats the request as anonymous, checks ACLs and referer rules, and
 * dispatches through the operation table (routes.ts). Every response carries `x-oss-request-id`; every error is
 * OSS's XML; a malformed HTTP request gets a 400 XML answer, and a client that goes away is logged as an abort.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ImageEngine } from '../../../../functions/_shared/ports/image-engine';
import { createClientErrorHandler as edgeClientErrorHandler, isClientAbort } from '../http-edge';
import { authorize, checkReferer } from './access';
import type { CorsConfig, RefererConfig } from './bucket-config';
import { listBuckets } from './bucket-ops';
import type { EmulatorRuntime, RequestContext } from './context';
import { corsHeaders, preflightHeaders } from './cors';
import { OssError, ossErrors } from './errors';
import { processImage, saveProcessedImage } from './image-process';
import { discardUnreadBody } from './body';
import { RESPONSE_OVERRIDES } from './object-ops';
import { postObject } from './post-object';
import { renderXml } from './xml';
import { sendEmpty, sendError } from './respond';
import { checkVersionIdUse, routeFor, subResourceOf, type Route } from './routes';
import { authenticateS3Request, checkS3Operation, prepareS3Request } from './s3-compat';
import { isS3Signed } from './s3-signature';
import { authenticate, type Caller, type CredentialLookup } from './signature';
import { checkRamAccess, ossRamAction } from './ram-actions';
import { checkBucketPolicy, type PolicyDecision } from './bucket-policy';
import type { AccessControl } from '../../ram/access';
import { BUCKET_NAME, type BucketRecord } from './storage';
import { servedAsWebsite } from './website';

export interface Target {
  bucket: string | undefined;
  key: string | undefined;
  query: Array<[string, string]>;
  /** The path as sent, and the bucket when it came in the Host: what S3 signatures cover. */
  rawPath: string;
  hostBucket: string | undefined;
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
  // `<bucket>.s3.oss-<region>.aliyuncs.com` is the endpoint OSS gives S3 clients.
  const virtual = /^([a-z0-9][a-z0-9-]{1,61}[a-z0-9])\.(?:localhost|(?:s3\.)?oss-[a-z0-9-]+\.aliyuncs\.com)$/.exec(hostname);
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
  return { bucket, key, query, rawPath, hostBucket: virtual ? bucket : undefined };
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

/** Where the emulator reports what is not an OSS answer. */
export interface OssLogger {
  /** A client closed its connection before the exchange finished (not an error of the emulator). */
  aborted(info: { requestId: string; method: string; url: string; reason: string }): void;
  /** Unexpected (non-OSS) errors; they become 500 InternalError on the wire. */
  internalError(err: unknown, info: { requestId: string; method: string; url: string }): void;
}

export interface ServerDeps {
  runtime: EmulatorRuntime;
  clock: () => number;
  lookup: CredentialLookup;
  /** RAM: a function's role key is held to its role's policies (D144); the account's key may do anything. */
  access?: AccessControl;
  logger: OssLogger;
  /** The image engine for `x-oss-process`, loaded on first use. */
  imageEngine: () => Promise<ImageEngine>;
}

/** The `request` listener of the emulator's HTTP server. */
export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    void handleRequest(deps, req, res);
  };
}

function newRequestId(): string {
  return randomBytes(12).toString('hex').toUpperCase();
}

/**
 * The server's `clientError` listener (http-edge.ts): a request Node's HTTP parser refuses (both Content-Length
 * and chunked encoding, a broken request line, oversized headers…) gets OSS's XML answer instead of an empty 400.
 */
export function createClientErrorHandler(deps: Pick<ServerDeps, 'logger' | 'clock'>): (err: Error & { code?: string }, socket: Socket) => void {
  return edgeClientErrorHandler({
    newRequestId,
    onAbort: (info) => deps.logger.aborted(info),
    render: ({ requestId, status, message }) => ({
      contentType: 'application/xml',
      body: renderXml('Error', [
        ['Code', status === 431 ? 'RequestHeaderFieldsTooLarge' : status === 408 ? 'RequestTimeout' : 'InvalidRequest'],
        ['Message', message],
        ['RequestId', requestId],
        ['HostId', 'localhost'],
      ]),
      headers: { Server: 'AliyunOSS', Date: new Date(deps.clock()).toUTCString(), 'x-oss-request-id': requestId },
    }),
  });
}

/** Whether the client went away (reset, closed mid-body) rather than the emulator failing. */
function clientWentAway(req: IncomingMessage, err: unknown): boolean {
  if (err instanceof OssError && err.code === 'RequestAborted') return true;
  // The connection's own request, not an S3 body reader standing in for it (one that failed a check is not an abort).
  return isClientAbort(req, err);
}

async function handleRequest(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
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
  const info = () => ({ requestId, method: ctx.method, url: req.url ?? '' });
  try {
    const target = parseTarget(req.url ?? '/', host);
    ctx.bucket = target.bucket;
    ctx.key = target.key;
    ctx.query = target.query;
    ctx.params = new Map(target.query);
    if (isS3Signed(req.headers, ctx.params)) ctx.s3 = prepareS3Request(ctx, target.rawPath, target.hostBucket);
    await dispatch(deps, ctx);
  } catch (err) {
    if (clientWentAway(req, err)) {
      deps.logger.aborted({ ...info(), reason: err instanceof Error ? err.message : String(err) });
      res.destroy();
      return;
    }
    if (res.headersSent) {
      deps.logger.internalError(err, info());
      res.destroy();
      return;
    }
    if (err instanceof OssError) {
      await discardUnreadBody(req);
      sendError(ctx, err);
      return;
    }
    deps.logger.internalError(err, info());
    sendError(ctx, ossErrors.internal());
  } finally {
    // Whatever the handler did not read of the body is discarded, so keep-alive stays in sync.
    if (!req.complete) req.resume();
  }
}

async function dispatch(deps: ServerDeps, ctx: RequestContext): Promise<void> {
  const { storage } = ctx.runtime;
  const bucket = ctx.bucket === undefined ? undefined : storage.getBucket(ctx.bucket);
  if (ctx.method === 'OPTIONS') return preflight(ctx, bucket?.config.cors as CorsConfig | undefined);
  for (const [name, value] of Object.entries(corsHeaders(bucket?.config.cors as CorsConfig | undefined, ctx.method, ctx.req.headers))) ctx.res.setHeader(name, value);

  if (ctx.bucket === undefined) {
    const caller = callerOf(deps, ctx);
    if (ctx.method !== 'GET') throw ossErrors.methodNotAllowed(ctx.method);
    subResourceOf(ctx.params);
    authorize(caller, 'owner', undefined);
    if (caller.mode !== 'anonymous') checkRamAccess(deps.access, caller.accessKeyId, 'oss:ListBuckets', undefined, undefined);
    return listBuckets(ctx);
  }

  const sub = subResourceOf(ctx.params);
  const level = ctx.key === undefined ? 'bucket' : 'object';
  if (ctx.s3) checkS3Operation(level, sub, ctx.method);
  checkTrafficLimit(ctx);
  if (level === 'bucket' && sub === '' && ctx.method === 'POST') {
    if (!bucket) throw ossErrors.noSuchBucket(ctx.bucket);
    return postObject(ctx, deps.lookup, deps.access);
  }
  if (sub === 'x-oss-process' && level === 'bucket') throw ossErrors.notImplemented('Image processing on a bucket (x-oss-process)');
  if (sub === 'x-oss-process' && ctx.method !== 'GET' && ctx.method !== 'POST') throw ossErrors.methodNotAllowed(ctx.method);
  // GET renders the processed object; POST (ProcessObject, sys/saveas) stores it — signed requests only.
  const route: Route | undefined =
    sub !== 'x-oss-process' ? routeFor(level, ctx.method, sub) : ctx.method === 'POST' ? { need: 'owner', run: (c) => saveProcessedImage(c, deps.imageEngine) } : undefined;
  checkVersionIdUse(level, ctx.method, sub, ctx.params);
  const creating = level === 'bucket' && sub === '' && ctx.method === 'PUT';
  if (!bucket && !creating) throw ossErrors.noSuchBucket(ctx.bucket);

  const caller = callerOf(deps, ctx);
  if (bucket) checkReferer(caller, bucket.config.referer as RefererConfig | undefined, headerText(ctx, 'referer'));
  const need = route?.need ?? 'read';
  if (need !== 'form') {
    const action = ossRamAction(level, ctx.method, sub, ctx.params.has('versionId'));
    const policy = bucketPolicyOf(bucket, caller, action, ctx.bucket, ctx.key, sub);
    if (caller.mode === 'anonymous' && (await servedAsWebsite(ctx, caller, need, sub))) return;
    const objectAcl = caller.mode === 'anonymous' && ctx.key !== undefined ? requestedObject(ctx, ctx.bucket, ctx.key)?.acl : undefined;
    if (policy !== 'allow' || caller.mode !== 'anonymous') authorize(caller, need, bucket, objectAcl);
    if (caller.mode !== 'anonymous') checkRamAccess(deps.access, caller.accessKeyId, action, ctx.bucket, ctx.key);
  }
  // OSS takes response-* overrides from signed requests only; an anonymous reader of a public object asking for
  // one is refused (GetObject's reference; users report the message), not served with or without it.
  if (caller.mode === 'anonymous' && level === 'object' && Object.keys(RESPONSE_OVERRIDES).some((name) => ctx.params.has(name))) {
    throw new OssError(400, 'InvalidRequest', 'Can not override response header for an anonymous user.');
  }
  if (!route) return processImage(ctx, deps.imageEngine);
  await route.run(ctx);
}

/** The object an anonymous request is judged by: the version it names (each keeps its own ACL, D156), else the current one. */
function requestedObject(ctx: RequestContext, bucket: string, key: string) {
  const versionId = ctx.params.get('versionId');
  const { storage } = ctx.runtime;
  return versionId ? storage.getObjectVersion(bucket, key, versionId) : storage.getObject(bucket, key);
}

/**
 * The bucket policy's word on a request (D155). The policy sub-resource itself stays the account's to read and
 * change whatever the policy denies, so a Deny written too widely can always be taken back.
 */
function bucketPolicyOf(bucket: BucketRecord | undefined, caller: Caller, action: string, bucketName: string, key: string | undefined, sub: string): PolicyDecision {
  if (caller.mode !== 'anonymous' && sub === 'policy') return 'none';
  return checkBucketPolicy(bucket?.config.policy, caller.mode === 'anonymous' ? undefined : caller.accessKeyId, action, bucketName, key);
}

/**
 * Single-connection throttling (`x-oss-traffic-limit`, header or query, in bit/s) is accepted and not applied
 * locally, but its value is checked as OSS checks it: 819200–838860800, and not in both places at once.
 */
function checkTrafficLimit(ctx: RequestContext): void {
  const header = headerText(ctx, 'x-oss-traffic-limit');
  const query = ctx.params.get('x-oss-traffic-limit');
  if (header !== undefined && query !== undefined) {
    throw ossErrors.invalidArgument('x-oss-traffic-limit may be given as a header or as a query parameter, not both.', 'x-oss-traffic-limit', query, '0004-00000501');
  }
  const value = header ?? query;
  if (value === undefined) return;
  if (!/^\d+$/.test(value) || Number(value) < 819200 || Number(value) > 838860800) {
    throw ossErrors.invalidArgument('x-oss-traffic-limit must be an integer from 819200 to 838860800 (bit/s).', 'x-oss-traffic-limit', value, '0004-00000502');
  }
}

function headerText(ctx: RequestContext, name: string): string | undefined {
  const value = ctx.req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

/** The caller: an AWS signature through the S3-compatible API, else OSS's V1/V4 (or anonymous). */
function callerOf(deps: ServerDeps, ctx: RequestContext): Caller {
  if (ctx.s3) return authenticateS3Request(ctx, ctx.s3, verifyContext(deps, ctx));
  return authenticate(signedRequest(ctx), verifyContext(deps, ctx));
}

function signedRequest(ctx: RequestContext) {
  return { method: ctx.method, bucket: ctx.bucket, key: ctx.key, query: ctx.query, headers: ctx.req.headers };
}

function verifyContext(deps: ServerDeps, ctx: RequestContext) {
  return { now: ctx.now, region: deps.runtime.region, lookup: deps.lookup };
}

function preflight(ctx: RequestContext, cors: CorsConfig | undefined): void {
  if (ctx.bucket !== undefined && !ctx.runtime.storage.hasBucket(ctx.bucket)) throw ossErrors.noSuchBucket(ctx.bucket);
  const headers = preflightHeaders(cors, ctx.req.headers);
  if (!headers) throw ossErrors.corsForbidden();
  sendEmpty(ctx, 200, headers);
}
