/**
 * AWS signatures for OSS's S3-compatible API: what `@aws-sdk/client-s3`, boto3, the AWS CLI and rclone send when
 * pointed at an OSS endpoint with an OSS AccessKey.
 *
 * - V4 (`AWS4-HMAC-SHA256`) in the Authorization header and in presigned URLs (`X-Amz-Algorithm`, `X-Amz-Credential`,
 *   `X-Amz-Date`, `X-Amz-Expires`, `X-Amz-SignedHeaders`, `X-Amz-Signature`), as AWS specifies it: canonical URI
 *   (each path segment RFC 3986-encoded once, as S3 does — no double encoding), canonical query (every parameter,
 *   sorted, `k=` for empty values), the signed headers (trimmed, inner whitespace collapsed) and the payload hash of
 *   `x-amz-content-sha256` (`UNSIGNED-PAYLOAD` for URLs). The key is derived from `AWS4<secret>` and the credential
 *   scope `<date>/<region>/s3/aws4_request`. OSS's own examples sign `us-east-1` against `oss-cn-hangzhou` hosts (and
 *   its Java example signs AWS_GLOBAL), so any region in the scope is accepted: it takes part in the key, so a
 *   signature still verifies only for the scope the client signed.
 * - V2 (`Authorization: AWS <id>:<sig>`, `AWSAccessKeyId/Expires/Signature` URLs): OSS V1's algorithm with `x-amz-`
 *   headers and S3's sub-resource list (what boto3's `signature_version='s3'`, which OSS's boto3 example uses, sends).
 *
 * - PostObject forms signed the S3 way (`verifyS3Form`): V4 (`x-amz-algorithm`, `x-amz-credential`, `x-amz-date`,
 *   `x-amz-signature` = hex HMAC-SHA256 of the base64 policy with the V4 signing key) and V2 (`AWSAccessKeyId`,
 *   `signature` = base64 HMAC-SHA1 of the policy), the STS token in `x-amz-security-token`.
 *
 * Errors follow the OSS error centre's S3-compatible entries (EC 0002-000003xx/4xx/5xx) where it has one.
 */
import { createHash, createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { OssError, ossErrors } from './errors';
import { bytesAsText, buildV1StringToSign, signV1, utf8AsBytes } from './signature-v1';
import {
  MAX_CLOCK_SKEW_MS,
  MAX_PRESIGN_EXPIRES_SECONDS,
  checkSecurityToken,
  encodeRfc3986,
  headerValue,
  parseTimestamp,
  safeEqualText,
  type Authenticated,
  type VerifyContext,
} from './signature';

export const S3_V4_ALGORITHM = 'AWS4-HMAC-SHA256';
export const EMPTY_SHA256 = createHash('sha256').update('').digest('hex');

/** Payload modes a V4 request may name in `x-amz-content-sha256`. */
export const STREAMING_SIGNED = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD';
export const STREAMING_SIGNED_TRAILER = 'STREAMING-AWS4-HMAC-SHA256-PAYLOAD-TRAILER';
export const STREAMING_UNSIGNED_TRAILER = 'STREAMING-UNSIGNED-PAYLOAD-TRAILER';
export const UNSIGNED_PAYLOAD = 'UNSIGNED-PAYLOAD';
const PAYLOAD_MODES = new Set([UNSIGNED_PAYLOAD, STREAMING_SIGNED, STREAMING_SIGNED_TRAILER, STREAMING_UNSIGNED_TRAILER]);
const SHA256_HEX = /^[0-9a-f]{64}$/i;

/** What aws-chunked bodies need to verify each chunk's signature (the seed is the request's own signature). */
export interface ChunkSigning {
  signingKey: Buffer;
  timestamp: string;
  scope: string;
  seedSignature: string;
}

export interface S3Authenticated extends Authenticated {
  s3: true;
  /** Set for header-signed V4 requests (streaming payloads chain their chunk signatures from it). */
  chunkSigning?: ChunkSigning;
}

export interface S3SignedRequest {
  method: string;
  /** The path exactly as the client sent it (before `?`). */
  rawPath: string;
  /** The bucket when it came in the Host (virtual-hosted style): V2 signs it at the front of the resource. */
  hostBucket: string | undefined;
  /** Decoded query parameters in arrival order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Node's lower-cased request headers, as received. */
  headers: IncomingHttpHeaders;
}

/** Whether a request is signed the AWS way (and so speaks OSS's S3-compatible API). */
export function isS3Signed(headers: IncomingHttpHeaders, params: ReadonlyMap<string, string>): boolean {
  const authorization = headerValue(headers, 'authorization');
  if (authorization !== undefined) return authorization.startsWith(S3_V4_ALGORITHM) || /^AWS\s/.test(authorization);
  return params.has('X-Amz-Algorithm') || params.has('X-Amz-Credential') || params.has('X-Amz-Signature') || params.has('AWSAccessKeyId');
}

/** Verifies an AWS V4 or V2 signature (header or URL) and returns the caller, or throws OSS's error. */
export function authenticateS3(request: S3SignedRequest, context: VerifyContext): S3Authenticated {
  const authorization = headerValue(request.headers, 'authorization');
  const params = new Map(request.query);
  if (authorization !== undefined && /^AWS\s/.test(authorization)) return verifyV2Header(request, authorization, context);
  if (authorization === undefined && params.has('AWSAccessKeyId')) return verifyV2Url(request, params, context);
  return verifyV4(request, authorization, params, context);
}

// ---------------------------------------------------------------------------------------------------------------
// V4

interface V4Claim {
  mode: 'header' | 'presigned';
  accessKeyId: string;
  date: string;
  region: string;
  timestamp: string;
  signedHeaders: string[];
  signature: string;
  payloadHash: string;
  securityToken: string | undefined;
  /** Parameters of the canonical query (a URL's own X-Amz-Signature left out). */
  signedQuery: ReadonlyArray<readonly [string, string]>;
}

function malformed(message: string, name: string, value: string | undefined, ec?: string): OssError {
  return ossErrors.invalidArgument(message, name, value ?? '', ec);
}

function verifyV4(request: S3SignedRequest, authorization: string | undefined, params: Map<string, string>, context: VerifyContext): S3Authenticated {
  const claim = authorization !== undefined ? readV4Header(request, authorization, context.now) : readV4Url(request, params, context.now);
  const credential = context.lookup(claim.accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(claim.accessKeyId);
  checkSecurityToken(claim.accessKeyId, claim.securityToken, credential);

  const canonicalRequest = buildS3CanonicalRequest(request, claim);
  const scope = `${claim.date}/${claim.region}/s3/aws4_request`;
  const stringToSign = [S3_V4_ALGORITHM, claim.timestamp, scope, sha256Hex(Buffer.from(canonicalRequest, 'latin1'))].join('\n');
  const signingKey = s3SigningKey(credential.accessKeySecret, claim.date, claim.region);
  const expected = createHmac('sha256', signingKey).update(stringToSign).digest('hex');
  if (!safeEqualText(expected, claim.signature.toLowerCase())) {
    throw new OssError(
      403,
      'SignatureDoesNotMatch',
      'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
      { OSSAccessKeyId: claim.accessKeyId, SignatureProvided: claim.signature, StringToSign: stringToSign, CanonicalRequest: bytesAsText(canonicalRequest) },
    );
  }
  const caller: S3Authenticated = { accessKeyId: claim.accessKeyId, mode: claim.mode, version: 4, s3: true };
  if (claim.mode === 'header') caller.chunkSigning = { signingKey, timestamp: claim.timestamp, scope, seedSignature: claim.signature.toLowerCase() };
  return caller;
}

/** `AWS4-HMAC-SHA256 Credential=<id>/<date>/<region>/s3/aws4_request, SignedHeaders=a;b, Signature=<hex>`. */
function readV4Header(request: S3SignedRequest, authorization: string, now: number): V4Claim {
  if (!authorization.startsWith(`${S3_V4_ALGORITHM} `)) {
    throw malformed(`The Authorization header must start with "${S3_V4_ALGORITHM} " (SigV4a and other algorithms are not supported).`, 'Authorization', authorization, '0002-00000406');
  }
  const fields = new Map<string, string>();
  for (const part of authorization.slice(S3_V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  if (credential === undefined) throw malformed('The Authorization header has no Credential.', 'Authorization', authorization, '0002-00000403');
  const signedHeaders = fields.get('SignedHeaders');
  const signature = fields.get('Signature');
  if (signedHeaders === undefined || signature === undefined) {
    throw malformed('The Authorization header needs Credential, SignedHeaders and Signature, separated by commas.', 'Authorization', authorization, '0002-00000406');
  }
  const amzDate = headerValue(request.headers, 'x-amz-date');
  const timestamp = amzDate ?? isoBasic(headerValue(request.headers, 'date'));
  if (timestamp === undefined || parseTimestamp(timestamp) === undefined) {
    throw ossErrors.accessDenied('AWS authentication requires a valid x-amz-date (yyyyMMddTHHmmssZ) or Date header.');
  }
  if (Math.abs(now - parseTimestamp(timestamp)!) > MAX_CLOCK_SKEW_MS) throw skewed(timestamp, now);
  const scope = parseV4Credential(credential, 'Credential', '0002-00000404');
  if (scope.date !== timestamp.slice(0, 8)) {
    throw malformed('The date in the Credential scope must be the date of x-amz-date.', 'Credential', credential, '0002-00000409');
  }
  const payloadHash = headerValue(request.headers, 'x-amz-content-sha256');
  if (payloadHash === undefined) throw malformed('Signature V4 requests must carry x-amz-content-sha256.', 'x-amz-content-sha256', '', '0002-00000427');
  checkPayloadHash(payloadHash);
  return {
    mode: 'header',
    ...scope,
    timestamp,
    signedHeaders: splitSignedHeaders(signedHeaders),
    signature,
    payloadHash,
    securityToken: headerValue(request.headers, 'x-amz-security-token'),
    signedQuery: request.query,
  };
}

function readV4Url(request: S3SignedRequest, params: Map<string, string>, now: number): V4Claim {
  const algorithm = params.get('X-Amz-Algorithm');
  if (algorithm !== S3_V4_ALGORITHM) {
    throw malformed(`X-Amz-Algorithm must be ${S3_V4_ALGORITHM}.`, 'X-Amz-Algorithm', algorithm, '0002-00000412');
  }
  for (const name of ['X-Amz-Credential', 'X-Amz-Date', 'X-Amz-Expires', 'X-Amz-SignedHeaders', 'X-Amz-Signature']) {
    if (!params.get(name)) throw malformed(`A presigned URL needs ${name}.`, name, '', '0002-00000411');
  }
  const timestamp = params.get('X-Amz-Date')!;
  const signedAt = parseTimestamp(timestamp);
  if (signedAt === undefined) throw malformed('X-Amz-Date must be yyyyMMddTHHmmssZ.', 'X-Amz-Date', timestamp, '0002-00000415');
  const expiresRaw = params.get('X-Amz-Expires')!;
  const expires = /^\d+$/.test(expiresRaw) ? Number(expiresRaw) : NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGN_EXPIRES_SECONDS)) {
    throw malformed(`X-Amz-Expires must be between 1 and ${MAX_PRESIGN_EXPIRES_SECONDS} seconds.`, 'X-Amz-Expires', expiresRaw, '0002-00000416');
  }
  if (now > signedAt + expires * 1000) {
    throw new OssError(403, 'AccessDenied', 'Request has expired.', { Expires: new Date(signedAt + expires * 1000).toISOString(), ServerTime: new Date(now).toISOString() }, '0002-00000418');
  }
  if (signedAt - now > MAX_CLOCK_SKEW_MS) throw ossErrors.accessDenied('Request is not valid yet: X-Amz-Date is in the future.');
  const signature = params.get('X-Amz-Signature')!;
  if (!SHA256_HEX.test(signature)) throw malformed('X-Amz-Signature must be 64 hexadecimal characters.', 'X-Amz-Signature', signature, '0002-00000423');
  const credential = params.get('X-Amz-Credential')!;
  const scope = parseV4Credential(credential, 'X-Amz-Credential', '0002-00000413');
  if (scope.date !== timestamp.slice(0, 8)) {
    throw malformed('The date in X-Amz-Credential must be the date of X-Amz-Date.', 'X-Amz-Credential', credential, '0002-00000409');
  }
  const payloadHash = params.get('X-Amz-Content-Sha256') ?? UNSIGNED_PAYLOAD;
  return {
    mode: 'presigned',
    ...scope,
    timestamp,
    signedHeaders: splitSignedHeaders(params.get('X-Amz-SignedHeaders')!),
    signature,
    payloadHash,
    securityToken: params.get('X-Amz-Security-Token'),
    signedQuery: request.query.filter(([name]) => name !== 'X-Amz-Signature'),
  };
}

function parseV4Credential(credential: string, name: string, ec?: string): { accessKeyId: string; date: string; region: string } {
  const parts = credential.split('/');
  if (parts.length !== 5 || !parts[0] || !/^\d{8}$/.test(parts[1]!) || !parts[2] || parts[4] !== 'aws4_request') {
    throw malformed(`${name} must be <AccessKeyId>/<yyyyMMdd>/<region>/s3/aws4_request.`, name, credential, ec);
  }
  if (parts[3] !== 's3') throw malformed(`The service in ${name} must be s3.`, name, credential, ec);
  return { accessKeyId: parts[0], date: parts[1]!, region: parts[2] };
}

function checkPayloadHash(value: string): void {
  if (SHA256_HEX.test(value) || PAYLOAD_MODES.has(value)) return;
  if (value.startsWith('STREAMING-AWS4-ECDSA-P256-SHA256-PAYLOAD')) throw ossErrors.notImplemented('Signature V4a (AWS4-ECDSA-P256-SHA256) streaming payloads');
  throw malformed('x-amz-content-sha256 must be the payload\'s SHA-256 in hex, UNSIGNED-PAYLOAD or a STREAMING-… mode.', 'x-amz-content-sha256', value, '0002-00000427');
}

/** `Fri, 27 Nov 2026 17:19:32 GMT` → `20261127T171932Z`. */
function isoBasic(httpDate: string | undefined): string | undefined {
  if (httpDate === undefined) return undefined;
  const ms = Date.parse(httpDate);
  if (Number.isNaN(ms)) return undefined;
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d{3}/, '');
}

function skewed(requestTime: string, now: number): OssError {
  const err = ossErrors.timeTooSkewed(requestTime, now);
  return new OssError(err.status, err.code, err.message, err.extra, '0002-00000501');
}

function splitSignedHeaders(list: string): string[] {
  return [...new Set(list.split(';').map((name) => name.trim().toLowerCase()).filter(Boolean))].sort();
}

/** Each path segment decoded and encoded once more as RFC 3986 (what AWS SDKs sign for S3), `/` kept. */
function canonicalUri(rawPath: string): string {
  return rawPath
    .split('/')
    .map((segment) => {
      try {
        return encodeRfc3986(decodeURIComponent(segment));
      } catch {
        throw ossErrors.invalidUri();
      }
    })
    .join('/');
}

/** The V4 canonical request as a byte string (header values as Node decoded them: latin1, one char per byte). */
export function buildS3CanonicalRequest(request: S3SignedRequest, claim: Pick<V4Claim, 'signedHeaders' | 'signedQuery' | 'payloadHash'>): string {
  const canonicalQuery = claim.signedQuery
    .map(([name, value]) => [encodeRfc3986(name), encodeRfc3986(value)] as const)
    .sort(([an, av], [bn, bv]) => (an < bn ? -1 : an > bn ? 1 : av < bv ? -1 : av > bv ? 1 : 0))
    .map(([name, value]) => `${name}=${value}`)
    .join('&');
  const canonicalHeaders = claim.signedHeaders.map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim().replace(/\s+/g, ' ')}\n`).join('');
  return [request.method.toUpperCase(), utf8AsBytes(canonicalUri(request.rawPath)), canonicalQuery, canonicalHeaders, claim.signedHeaders.join(';'), claim.payloadHash].join('\n');
}

export function s3SigningKey(secret: string, date: string, region: string): Buffer {
  const dateKey = createHmac('sha256', `AWS4${secret}`).update(date).digest();
  const regionKey = createHmac('sha256', dateKey).update(region).digest();
  const serviceKey = createHmac('sha256', regionKey).update('s3').digest();
  return createHmac('sha256', serviceKey).update('aws4_request').digest();
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// ---------------------------------------------------------------------------------------------------------------
// V2

/** S3's V2 sub-resources (those that take part in the CanonicalizedResource). */
const S3_V2_SUBRESOURCES = new Set([
  'acl', 'cors', 'delete', 'lifecycle', 'location', 'logging', 'notification', 'partNumber', 'policy', 'requestPayment',
  'restore', 'tagging', 'torrent', 'uploadId', 'uploads', 'versionId', 'versioning', 'versions', 'website',
  'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'response-content-language',
  'response-content-type', 'response-expires',
]);
const V2_URL_PARAMS = new Set(['AWSAccessKeyId', 'Expires', 'Signature']);

/**
 * The resource as V2 signs it: `/<bucket>` + the path for virtual-hosted requests, else the path; both as sent
 * (encoded) and decoded are tried, since clients differ in which they sign.
 */
function v2Resources(request: S3SignedRequest): string[] {
  const path = request.hostBucket === undefined ? request.rawPath : `/${request.hostBucket}${request.rawPath}`;
  let decoded = path;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    // an undecodable path is signed as sent only
  }
  return [...new Set([path, decoded])];
}

function verifyV2(request: S3SignedRequest, accessKeyId: string, signature: string, date: string, mode: 'header' | 'presigned', context: VerifyContext, token: string | undefined): S3Authenticated {
  const credential = context.lookup(accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(accessKeyId);
  checkSecurityToken(accessKeyId, token, credential);
  let stringToSign = '';
  for (const resource of v2Resources(request)) {
    stringToSign = buildV1StringToSign({
      method: request.method,
      query: request.query,
      headers: request.headers,
      date,
      headerPrefix: 'x-amz-',
      signedSubresources: S3_V2_SUBRESOURCES,
      resource,
      ...(mode === 'presigned' ? { exclude: V2_URL_PARAMS } : {}),
    });
    if (safeEqualText(signV1(credential.accessKeySecret, stringToSign), signature)) return { accessKeyId, mode, version: 2, s3: true };
  }
  throw new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: signature,
    StringToSign: bytesAsText(stringToSign),
  });
}

/** `Authorization: AWS <AccessKeyId>:<base64 HMAC-SHA1>`; the Date line is empty when x-amz-date is sent. */
function verifyV2Header(request: S3SignedRequest, authorization: string, context: VerifyContext): S3Authenticated {
  const m = /^AWS\s+([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw malformed('The Authorization header must be "AWS <AccessKeyId>:<Signature>".', 'Authorization', authorization, '0002-00000406');
  const amzDate = headerValue(request.headers, 'x-amz-date');
  const date = headerValue(request.headers, 'date');
  const when = amzDate ?? date;
  const ms = when === undefined ? NaN : Date.parse(when) || (parseTimestamp(when) ?? NaN);
  if (Number.isNaN(ms)) throw ossErrors.accessDenied('AWS authentication requires a valid Date or x-amz-date header.');
  if (Math.abs(context.now - ms) > MAX_CLOCK_SKEW_MS) throw skewed(when!, context.now);
  return verifyV2(request, m[1]!, m[2]!, amzDate !== undefined ? '' : date!, 'header', context, headerValue(request.headers, 'x-amz-security-token'));
}

/** `?AWSAccessKeyId=…&Expires=<unix seconds>&Signature=…[&x-amz-security-token=…]`. */
function verifyV2Url(request: S3SignedRequest, params: Map<string, string>, context: VerifyContext): S3Authenticated {
  const expires = params.get('Expires');
  if (!expires) throw malformed('A V2 presigned URL needs Expires.', 'Expires', '', '0002-00000301');
  if (!/^\d+$/.test(expires)) throw ossErrors.invalidArgument('Expires must be a Unix time in seconds.', 'Expires', expires);
  const signature = params.get('Signature');
  if (!signature) throw ossErrors.accessDenied('Query-string authentication requires the Signature, Expires and AWSAccessKeyId parameters');
  if (context.now > Number(expires) * 1000) {
    throw new OssError(403, 'AccessDenied', 'Request has expired.', { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(context.now).toISOString() });
  }
  return verifyV2(request, params.get('AWSAccessKeyId')!, signature, expires, 'presigned', context, params.get('x-amz-security-token'));
}

// ---------------------------------------------------------------------------------------------------------------
// PostObject forms

/**
 * Verifies a form's S3 signature over its policy (AWS's browser-based POST upload). Returns the caller for an
 * S3-signed form, undefined when the form carries no S3 signature fields (an OSS form, or an unsigned one).
 * `field` reads a form field by name (case-insensitive).
 */
export function verifyS3Form(field: (name: string) => string | undefined, context: Omit<VerifyContext, 'region'>): S3Authenticated | undefined {
  const policy = field('policy');
  const token = field('x-amz-security-token');
  const algorithm = field('x-amz-algorithm');
  if (algorithm !== undefined || field('x-amz-credential') !== undefined || field('x-amz-signature') !== undefined) {
    if (algorithm !== S3_V4_ALGORITHM) throw ossErrors.invalidArgument(`x-amz-algorithm must be ${S3_V4_ALGORITHM}.`, 'x-amz-algorithm', algorithm ?? '');
    const required = (name: string) => {
      const value = field(name);
      if (!value) throw ossErrors.invalidArgument(`A form signed with ${S3_V4_ALGORITHM} needs the field ${name}.`, name, '');
      return value;
    };
    const { accessKeyId, date, region } = parseV4Credential(required('x-amz-credential'), 'x-amz-credential');
    const timestamp = required('x-amz-date');
    const signedAt = parseTimestamp(timestamp);
    if (signedAt === undefined || timestamp.slice(0, 8) !== date) throw ossErrors.invalidArgument('x-amz-date must be yyyyMMddTHHmmssZ of the credential date.', 'x-amz-date', timestamp);
    if (signedAt - context.now > MAX_CLOCK_SKEW_MS) throw ossErrors.accessDenied('The form is dated in the future.');
    const signature = required('x-amz-signature');
    const signedPolicy = required('policy');
    const credential = context.lookup(accessKeyId);
    if (!credential) throw ossErrors.invalidAccessKeyId(accessKeyId);
    checkSecurityToken(accessKeyId, token, credential);
    const expected = createHmac('sha256', s3SigningKey(credential.accessKeySecret, date, region)).update(signedPolicy).digest('hex');
    if (!safeEqualText(expected, signature.toLowerCase())) throw formSignatureMismatch(accessKeyId, signature, signedPolicy);
    return { accessKeyId, mode: 'header', version: 4, s3: true };
  }
  const accessKeyId = field('AWSAccessKeyId');
  if (accessKeyId === undefined) return undefined;
  const signature = field('signature');
  if (!accessKeyId || !signature || !policy) throw ossErrors.accessDenied('A form signed with AWSAccessKeyId needs signature and policy.');
  const credential = context.lookup(accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(accessKeyId);
  checkSecurityToken(accessKeyId, token, credential);
  if (!safeEqualText(signV1(credential.accessKeySecret, policy), signature)) throw formSignatureMismatch(accessKeyId, signature, policy);
  return { accessKeyId, mode: 'header', version: 2, s3: true };
}

function formSignatureMismatch(accessKeyId: string, signature: string, policy: string): OssError {
  return new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: signature,
    StringToSign: policy,
  });
}
