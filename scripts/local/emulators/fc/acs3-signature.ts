import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Verifies Alibaba Cloud's ACS3-HMAC-SHA256 request signature (V3 signature, used by the FC 3.0 API and
 * the `@alicloud/openapi-core` SDKs): https://www.alibabacloud.com/help/en/sdk/product-overview/v3-request-structure-and-signature
 *
 *   CanonicalRequest = METHOD \n CanonicalURI \n CanonicalQuery \n CanonicalHeaders \n SignedHeaders \n HashedPayload
 *   StringToSign     = "ACS3-HMAC-SHA256" \n hex(sha256(CanonicalRequest))
 *   Signature        = hex(hmac_sha256(secret, StringToSign))
 */
export interface SignedRequest {
  method: string;
  /** Path as sent on the wire (already percent-encoded). */
  rawPath: string;
  query: URLSearchParams;
  /** Lower-cased header names. */
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

export type VerifyResult = { ok: true; accessKeyId: string } | { ok: false; status: number; code: string; message: string };

const ALGORITHM = 'ACS3-HMAC-SHA256';
const MAX_SKEW_MS = 15 * 60 * 1000;

function rfc3986(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

function header(req: SignedRequest, name: string): string {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
}

/**
 * What the signer must include. The FC API's SDK always signs `host` and sends `x-acs-content-sha256`; a request to
 * an HTTP trigger with `authType: function` is signed by the user's own code (FC's docs: `@alicloud/openapi-util`'s
 * `getAuthorization` over the headers they set), which need not carry either — its payload hash is the body's.
 */
export interface Acs3Rules {
  requireHostSigned: boolean;
  requirePayloadHashHeader: boolean;
}

const API_RULES: Acs3Rules = { requireHostSigned: true, requirePayloadHashHeader: true };

export function verifyAcs3(req: SignedRequest, secretFor: (accessKeyId: string) => string | undefined, now: number = Date.now(), rules: Acs3Rules = API_RULES): VerifyResult {
  const auth = header(req, 'authorization');
  const match = /^ACS3-HMAC-SHA256 Credential=([^,]+),SignedHeaders=([^,]+),Signature=([0-9a-f]+)$/.exec(auth);
  if (!match) return { ok: false, status: 401, code: 'InvalidAuthorization', message: `Authorization must use ${ALGORITHM}` };
  const [, accessKeyId, signedHeaderList, signature] = match as unknown as [string, string, string, string];
  const secret = secretFor(accessKeyId);
  if (!secret) return { ok: false, status: 403, code: 'InvalidAccessKeyId.NotFound', message: `Specified access key is not found: ${accessKeyId}` };

  const date = Date.parse(header(req, 'x-acs-date'));
  if (Number.isNaN(date) || Math.abs(now - date) > MAX_SKEW_MS) {
    return { ok: false, status: 403, code: 'InvalidTimeStamp.Expired', message: 'x-acs-date is missing or more than 15 minutes off' };
  }
  const payloadHash = createHash('sha256').update(req.body).digest('hex');
  const sentHash = header(req, 'x-acs-content-sha256');
  if ((sentHash || rules.requirePayloadHashHeader) && sentHash !== payloadHash) {
    return { ok: false, status: 400, code: 'InvalidContentSha256', message: 'x-acs-content-sha256 does not match the body' };
  }
  const signedHeaders = signedHeaderList.split(';');
  if ((rules.requireHostSigned && !signedHeaders.includes('host')) || !signedHeaders.includes('x-acs-date')) {
    return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: rules.requireHostSigned ? 'host and x-acs-date must be signed' : 'x-acs-date must be signed' };
  }
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${header(req, name).trim()}\n`).join('');
  const canonicalQuery = [...new Set(req.query.keys())]
    .sort()
    .map((key) => `${rfc3986(key)}=${rfc3986(req.query.get(key) ?? '')}`)
    .join('&');
  const canonicalUri = req.rawPath.replace(/\+/g, '%20').replace(/\*/g, '%2A').replace(/%7E/g, '~');
  const canonicalRequest = [req.method, canonicalUri, canonicalQuery, canonicalHeaders, signedHeaderList, payloadHash].join('\n');
  const stringToSign = `${ALGORITHM}\n${createHash('sha256').update(canonicalRequest).digest('hex')}`;
  const expected = createHmac('sha256', secret).update(stringToSign).digest();
  const given = Buffer.from(signature, 'hex');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, status: 403, code: 'SignatureDoesNotMatch', message: 'The request signature does not conform to Aliyun standards.' };
  }
  return { ok: true, accessKeyId };
}
