/**
 * OSS signature V4 (OSS4-HMAC-SHA256) verification, for header-signed requests and presigned URLs.
 *
 * Spec: https://www.alibabacloud.com/help/en/oss/developer-reference/recommend-to-use-signature-version-4
 * and its URL variant https://www.alibabacloud.com/help/en/oss/developer-reference/add-signatures-to-urls .
 * The canonical request is rebuilt exactly as ali-oss 6.23 computes it (`lib/common/signUtils.js`
 * `getCanonicalRequest`), so a signing bug in our code fails locally the way it fails in the cloud:
 *
 *   METHOD \n URIEncode("/<bucket>/<key>") with %2F kept as "/" \n CanonicalQuery \n CanonicalHeaders \n
 *   AdditionalHeaders \n <x-oss-content-sha256 header or UNSIGNED-PAYLOAD>
 *
 * CanonicalHeaders are content-type, content-md5, every x-oss-* header and the additional headers, **as received**
 * (ali-oss signs the Content-Type it guessed from the key even on GET/HEAD/DELETE), lower-cased, trimmed, sorted,
 * and hashed as the bytes that arrived. Signature V1 (`signature-v1.ts`) is verified beside V4: ali-oss signs V1 by
 * default and `signatureUrl()` always makes V1 URLs. A request with no signature at all is anonymous; whether that
 * may proceed is the bucket's and object's ACL to decide (`access.ts`).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { OssError, ossErrors } from './errors';
import { buildV1StringToSign, bytesAsText, signV1 } from './signature-v1';

export const V4_ALGORITHM = 'OSS4-HMAC-SHA256';
/** OSS rejects header-signed requests whose `x-oss-date` is more than 15 minutes off the server clock. */
export const MAX_CLOCK_SKEW_MS = 15 * 60 * 1000;
/** Presigned V4 URLs live 1 s … 7 days (OSS error 0002-00000232). */
export const MAX_PRESIGN_EXPIRES_SECONDS = 604800;

export interface AccountCredential {
  accessKeySecret: string;
  /** Set for STS keys: requests must then carry exactly this `x-oss-security-token`. */
  securityToken?: string;
}

/** Resolves an access key id to its secret (and STS token), or undefined when unknown. */
export type CredentialLookup = (accessKeyId: string) => AccountCredential | undefined;

export interface SignedRequest {
  method: string;
  bucket?: string;
  key?: string;
  /** Decoded query parameters in arrival order. */
  query: ReadonlyArray<readonly [string, string]>;
  /** Node's lower-cased request headers. */
  headers: IncomingHttpHeaders;
}

export interface VerifyContext {
  now: number;
  /** The region the emulated buckets live in; the credential scope must name it. */
  region: string;
  lookup: CredentialLookup;
}

export interface Authenticated {
  accessKeyId: string;
  mode: 'header' | 'presigned';
  /** OSS V1/V4, or (with `s3`) AWS's V2/V4 through OSS's S3-compatible API (s3-signature.ts). */
  version: 1 | 2 | 4;
  s3?: true;
}

/** The caller: a verified access key, or nobody (no signature at all). */
export type Caller = Authenticated | { accessKeyId: undefined; mode: 'anonymous' };

interface Scope {
  accessKeyId: string;
  date: string;
  region: string;
}

interface Claim {
  mode: 'header' | 'presigned';
  scope: Scope;
  /** ISO 8601 basic timestamp, e.g. 20261122T175756Z. */
  timestamp: string;
  additionalHeaders: string[];
  signature: string;
  securityToken: string | undefined;
  /** Query parameters that take part in the canonical query string. */
  signedQuery: ReadonlyArray<readonly [string, string]>;
}

/**
 * Verifies a request's signature (V4 or V1, in a header or in the URL) and returns the caller, or throws the OSS
 * error the cloud would return (AccessDenied, InvalidAccessKeyId, SignatureDoesNotMatch, …). A request that carries
 * no signature at all is anonymous.
 */
export function authenticate(request: SignedRequest, context: VerifyContext): Caller {
  const authorization = headerValue(request.headers, 'authorization');
  const params = new Map(request.query);
  if (authorization !== undefined && /^OSS\s/.test(authorization)) return verifyV1Header(request, authorization, context);
  if (authorization === undefined && (params.has('OSSAccessKeyId') || params.has('Signature'))) return verifyV1Url(request, params, context);
  const claim = readClaim(request, context);
  if (!claim) return { accessKeyId: undefined, mode: 'anonymous' };
  checkScope(claim, context.region);
  const credential = context.lookup(claim.scope.accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(claim.scope.accessKeyId);
  checkSecurityToken(claim.scope.accessKeyId, claim.securityToken, credential);

  // ali-oss signs a sub-resource with no value as a bare `k` but sends `k=`; other clients sign `k=`. Try the
  // bare form first (what OSS documents), then `k=`: both are derived from the same request, so this widens
  // nothing an attacker controls.
  const attempts = [false, true];
  let last: { canonicalRequest: string; stringToSign: string } | undefined;
  for (const emptyAsEquals of attempts) {
    const canonicalRequest = buildCanonicalRequest(request, claim, emptyAsEquals);
    const stringToSign = buildStringToSign(claim.timestamp, claim.scope, canonicalRequest);
    const expected = signV4(credential.accessKeySecret, claim.scope, stringToSign);
    if (safeEqualHex(expected, claim.signature)) return { accessKeyId: claim.scope.accessKeyId, mode: claim.mode, version: 4 };
    last = { canonicalRequest, stringToSign };
    if (!claim.signedQuery.some(([, value]) => value === '')) break;
  }
  throw new OssError(
    403,
    'SignatureDoesNotMatch',
    'The request signature we calculated does not match the signature you provided. Check your key and signing method.',
    {
      OSSAccessKeyId: claim.scope.accessKeyId,
      SignatureProvided: claim.signature,
      StringToSign: last?.stringToSign ?? '',
      CanonicalRequest: bytesAsText(last?.canonicalRequest ?? ''),
    },
    // The error centre's V4 mismatch (0002-00000201) covers both the header and the URL form.
    '0002-00000201',
  );
}

/** `Authorization: OSS <AccessKeyId>:<base64 HMAC-SHA1>`. */
function verifyV1Header(request: SignedRequest, authorization: string, context: VerifyContext): Authenticated {
  const m = /^OSS\s+([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!m) throw ossErrors.invalidArgument('Authorization header is invalid: expected "OSS <AccessKeyId>:<Signature>".', 'Authorization', authorization);
  const [, accessKeyId, signature] = m as unknown as [string, string, string];
  const ossDate = headerValue(request.headers, 'x-oss-date');
  const date = headerValue(request.headers, 'date');
  const when = ossDate ?? date;
  if (when === undefined || Number.isNaN(Date.parse(when))) throw ossErrors.accessDenied('OSS authentication requires a valid Date.');
  if (Math.abs(context.now - Date.parse(when)) > MAX_CLOCK_SKEW_MS) throw ossErrors.timeTooSkewed(when, context.now);
  const credential = context.lookup(accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(accessKeyId);
  checkSecurityToken(accessKeyId, headerValue(request.headers, 'x-oss-security-token'), credential);
  // The Date line is x-oss-date when the client sent one (ali-oss does), else Date; a client that sends both and
  // signs Date is accepted too.
  const dateLines = [...new Set([ossDate, date].filter((d): d is string => d !== undefined))];
  let stringToSign = '';
  for (const dateLine of dateLines) {
    stringToSign = buildV1StringToSign({ ...request, date: dateLine });
    if (safeEqualText(signV1(credential.accessKeySecret, stringToSign), signature)) return { accessKeyId, mode: 'header', version: 1 };
  }
  throw v1Mismatch(accessKeyId, signature, stringToSign, 'header');
}

const V1_URL_PARAMS = new Set(['OSSAccessKeyId', 'Expires', 'Signature']);

/** `?OSSAccessKeyId=…&Expires=<unix seconds>&Signature=…[&security-token=…]` (ali-oss `signatureUrl`). */
function verifyV1Url(request: SignedRequest, params: Map<string, string>, context: VerifyContext): Authenticated {
  for (const name of V1_URL_PARAMS) {
    if (params.get(name)) continue;
    // The error centre gives Expires its own codes: 0002-00000067 when absent, 0002-00000068 when empty.
    const ec = name !== 'Expires' ? undefined : params.has(name) ? '0002-00000068' : '0002-00000067';
    throw ossErrors.accessDenied('Query-string authentication requires the Signature, Expires and OSSAccessKeyId parameters', ec);
  }
  const accessKeyId = params.get('OSSAccessKeyId')!;
  const expires = params.get('Expires')!;
  const signature = params.get('Signature')!;
  if (!/^\d+$/.test(expires)) throw ossErrors.invalidArgument('Expires must be a Unix time in seconds.', 'Expires', expires, '0002-00000070');
  if (context.now > Number(expires) * 1000) {
    const detail = { Expires: new Date(Number(expires) * 1000).toISOString(), ServerTime: new Date(context.now).toISOString() };
    throw new OssError(403, 'AccessDenied', 'Request has expired.', detail, '0002-00000069');
  }
  const credential = context.lookup(accessKeyId);
  if (!credential) throw ossErrors.invalidAccessKeyId(accessKeyId);
  checkSecurityToken(accessKeyId, params.get('security-token'), credential);
  const stringToSign = buildV1StringToSign({ ...request, date: expires, exclude: V1_URL_PARAMS });
  if (safeEqualText(signV1(credential.accessKeySecret, stringToSign), signature)) return { accessKeyId, mode: 'presigned', version: 1 };
  throw v1Mismatch(accessKeyId, signature, stringToSign, 'presigned');
}

/**
 * EC 0002-00000040 is what OSS answers a V1 header signature that does not match (its troubleshooting page shows
 * the whole answer); the error centre documents none for a V1 URL, so that one carries no EC.
 */
function v1Mismatch(accessKeyId: string, signature: string, stringToSign: string, mode: 'header' | 'presigned'): OssError {
  return new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided. Check your key and signing method.', {
    OSSAccessKeyId: accessKeyId,
    SignatureProvided: signature,
    StringToSign: bytesAsText(stringToSign),
    StringToSignBytes: Buffer.from(stringToSign, 'latin1').toString('hex').replace(/(..)/g, '$1 ').trim(),
  }, mode === 'header' ? '0002-00000040' : undefined);
}

function readClaim(request: SignedRequest, context: VerifyContext): Claim | undefined {
  const authorization = headerValue(request.headers, 'authorization');
  const params = new Map(request.query);
  if (authorization !== undefined) {
    if (!authorization.startsWith(`${V4_ALGORITHM} `)) throw ossErrors.invalidArgument('Authorization header is invalid.', 'Authorization', authorization);
    return readHeaderClaim(request, authorization, context.now);
  }
  if (params.has('x-oss-signature') || params.has('x-oss-signature-version') || params.has('x-oss-credential')) {
    return readPresignedClaim(request, params, context.now);
  }
  return undefined;
}

function readHeaderClaim(request: SignedRequest, authorization: string, now: number): Claim {
  const fields = new Map<string, string>();
  for (const part of authorization.slice(V4_ALGORITHM.length + 1).split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) fields.set(part.slice(0, eq).trim(), part.slice(eq + 1).trim());
  }
  const credential = fields.get('Credential');
  const signature = fields.get('Signature');
  if (credential === undefined || signature === undefined) {
    throw ossErrors.invalidArgument('Authorization header is invalid: Credential and Signature are required.', 'Authorization', authorization);
  }
  const timestamp = headerValue(request.headers, 'x-oss-date');
  if (timestamp === undefined || parseTimestamp(timestamp) === undefined) {
    throw ossErrors.invalidArgument('Signature V4 requires an x-oss-date header in ISO 8601 basic format (yyyymmddTHHMMSSZ).', 'x-oss-date', timestamp);
  }
  if (Math.abs(now - parseTimestamp(timestamp)!) > MAX_CLOCK_SKEW_MS) throw ossErrors.timeTooSkewed(timestamp, now);
  return {
    mode: 'header',
    scope: parseScope(credential),
    timestamp,
    additionalHeaders: splitHeaderList(fields.get('AdditionalHeaders')),
    signature,
    securityToken: headerValue(request.headers, 'x-oss-security-token'),
    signedQuery: request.query,
  };
}

function readPresignedClaim(request: SignedRequest, params: Map<string, string>, now: number): Claim {
  const version = params.get('x-oss-signature-version');
  if (version !== V4_ALGORITHM) {
    if (version === 'OSS2') throw ossErrors.notImplemented('Signature V2 URLs (x-oss-signature-version=OSS2)');
    throw ossErrors.invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, 'x-oss-signature-version', version);
  }
  const required = ['x-oss-credential', 'x-oss-date', 'x-oss-expires', 'x-oss-signature'] as const;
  for (const name of required) {
    if (!params.get(name)) throw ossErrors.invalidArgument(`Presigned URL is missing ${name}.`, name, '');
  }
  const timestamp = params.get('x-oss-date')!;
  const signedAt = parseTimestamp(timestamp);
  if (signedAt === undefined) throw ossErrors.invalidArgument('x-oss-date is not in ISO 8601 basic format (yyyymmddTHHMMSSZ).', 'x-oss-date', timestamp);
  const expiresRaw = params.get('x-oss-expires')!;
  const expires = /^\d+$/.test(expiresRaw) ? Number(expiresRaw) : NaN;
  if (!(expires >= 1 && expires <= MAX_PRESIGN_EXPIRES_SECONDS)) {
    throw ossErrors.invalidArgument(`x-oss-expires must be between 1 and ${MAX_PRESIGN_EXPIRES_SECONDS} seconds.`, 'x-oss-expires', expiresRaw, '0002-00000232');
  }
  if (now > signedAt + expires * 1000) throw ossErrors.expired();
  // A URL dated in the future would outlive the 7-day cap; OSS allows the usual clock skew only.
  if (signedAt - now > MAX_CLOCK_SKEW_MS) throw ossErrors.accessDenied('Request is not valid yet: x-oss-date is in the future.');
  return {
    mode: 'presigned',
    scope: parseScope(params.get('x-oss-credential')!),
    timestamp,
    additionalHeaders: splitHeaderList(params.get('x-oss-additional-headers')),
    signature: params.get('x-oss-signature')!,
    securityToken: params.get('x-oss-security-token'),
    signedQuery: request.query.filter(([name]) => name !== 'x-oss-signature'),
  };
}

function parseScope(credential: string): Scope {
  const parts = credential.split('/');
  if (parts.length !== 5 || parts[3] !== 'oss' || parts[4] !== 'aliyun_v4_request' || !parts[0]) {
    throw ossErrors.invalidArgument('Credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.', 'Credential', credential);
  }
  return { accessKeyId: parts[0], date: parts[1]!, region: parts[2]! };
}

function checkScope(claim: Claim, region: string): void {
  if (claim.scope.date !== claim.timestamp.slice(0, 8)) {
    throw ossErrors.invalidArgument('Invalid signing date in Credential: it must be the date of x-oss-date.', 'Credential', claim.scope.date);
  }
  if (claim.scope.region !== region) {
    throw ossErrors.invalidArgument(`Invalid signing region in Credential: the bucket is in ${region}.`, 'Credential', claim.scope.region);
  }
}

/** STS keys need their token (OSS error centre 0002-00000003, -00000006); plain keys must not send one. */
export function checkSecurityToken(accessKeyId: string, provided: string | undefined, credential: AccountCredential): void {
  if (credential.securityToken === undefined) {
    if (provided !== undefined) throw ossErrors.invalidAccessKeyId(accessKeyId);
    return;
  }
  if (provided === undefined) throw ossErrors.securityTokenMissing(accessKeyId);
  if (!safeEqualText(provided, credential.securityToken)) throw ossErrors.invalidSecurityToken();
}

/** RFC 3986 encoding as ali-oss `encodeString` does it (encodeURIComponent plus `!'()*`). */
export function encodeRfc3986(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Builds the canonical request string; exported for tests and for error details. */
export function buildCanonicalRequest(request: SignedRequest, claim: Pick<Claim, 'additionalHeaders' | 'signedQuery'>, emptyAsEquals = false): string {
  const path = `/${request.bucket ? `${request.bucket}/` : ''}${request.key ?? ''}`;
  const canonicalUri = encodeRfc3986(path).replace(/%2F/g, '/');

  const canonicalQuery = claim.signedQuery
    .map(([name, value]) => [encodeRfc3986(name), value === '' && !emptyAsEquals ? undefined : encodeRfc3986(value)] as const)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([name, value]) => (value === undefined ? name : `${name}=${value}`))
    .join('&');

  const signedHeaders = new Set(claim.additionalHeaders);
  for (const name of Object.keys(request.headers)) {
    if (name === 'content-type' || name === 'content-md5' || name.startsWith('x-oss-')) signedHeaders.add(name);
  }
  const canonicalHeaders = [...signedHeaders]
    .sort()
    .map((name) => `${name}:${(headerValue(request.headers, name) ?? '').trim()}\n`)
    .join('');

  // Header values stay the bytes that arrived (Node decodes them as latin1); the caller hashes this string as latin1.
  return [
    request.method.toUpperCase(),
    canonicalUri,
    canonicalQuery,
    canonicalHeaders,
    claim.additionalHeaders.join(';'),
    headerValue(request.headers, 'x-oss-content-sha256') ?? 'UNSIGNED-PAYLOAD',
  ].join('\n');
}

export function buildStringToSign(timestamp: string, scope: Pick<Scope, 'date' | 'region'>, canonicalRequest: string): string {
  return [
    V4_ALGORITHM,
    timestamp,
    `${scope.date}/${scope.region}/oss/aliyun_v4_request`,
    createHash('sha256').update(Buffer.from(canonicalRequest, 'latin1')).digest('hex'),
  ].join('\n');
}

export function signV4(secret: string, scope: Pick<Scope, 'date' | 'region'>, stringToSign: string): string {
  const dateKey = createHmac('sha256', `aliyun_v4${secret}`).update(scope.date).digest();
  const regionKey = createHmac('sha256', dateKey).update(scope.region).digest();
  const serviceKey = createHmac('sha256', regionKey).update('oss').digest();
  const signingKey = createHmac('sha256', serviceKey).update('aliyun_v4_request').digest();
  return createHmac('sha256', signingKey).update(stringToSign).digest('hex');
}

/** `20261122T175756Z` → epoch ms, or undefined when malformed. */
export function parseTimestamp(value: string): number | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(value);
  if (!m) return undefined;
  const ms = Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6]));
  return Number.isNaN(ms) ? undefined : ms;
}

/** Mirrors ali-oss `fixAdditionalHeaders`: lower-case, unique, sorted, minus the always-signed ones. */
function splitHeaderList(list: string | undefined): string[] {
  if (!list) return [];
  const names = new Set(list.split(';').map((name) => name.trim().toLowerCase()).filter(Boolean));
  return [...names].filter((name) => name !== 'content-type' && name !== 'content-md5' && !name.startsWith('x-oss-')).sort();
}

export function headerValue(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  if (value === undefined) return undefined;
  return Array.isArray(value) ? value.join(',') : value;
}

function safeEqualHex(expected: string, provided: string): boolean {
  return safeEqualText(expected, provided.toLowerCase());
}

export function safeEqualText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}
