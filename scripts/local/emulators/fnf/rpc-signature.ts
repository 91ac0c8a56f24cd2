import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Alibaba Cloud's RPC request signature, version 1.0 (HMAC-SHA1), as `@alicloud/pop-core` (what
 * `@alicloud/fnf-2019-03-15` is built on) and the Tea SDKs' `doRPCRequest` compute it:
 *
 *   CanonicalizedQuery = every parameter but Signature (query and form body together), sorted by name,
 *                        `percentEncode(name)=percentEncode(value)` joined by `&`
 *   StringToSign       = METHOD & percentEncode("/") & percentEncode(CanonicalizedQuery)
 *   Signature          = base64(hmac_sha1(AccessKeySecret + "&", StringToSign))
 *
 * percentEncode is RFC 3986 (encodeURIComponent plus `!'()*`).
 * https://www.alibabacloud.com/help/en/sdk/product-overview/rpc-mechanism
 */
export type RpcVerifyResult = { ok: true; accessKeyId: string } | { ok: false; status: number; code: string; message: string };

const MAX_SKEW_MS = 15 * 60 * 1000;

export function percentEncode(value: string): string {
  return encodeURIComponent(value).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

export function rpcStringToSign(method: string, params: Record<string, string>): string {
  const canonical = Object.keys(params)
    .filter((k) => k !== 'Signature')
    .sort()
    .map((k) => `${percentEncode(k)}=${percentEncode(params[k]!)}`)
    .join('&');
  return `${method.toUpperCase()}&${percentEncode('/')}&${percentEncode(canonical)}`;
}

/**
 * Verify a v1-signed request. `seenNonce` returns true when a SignatureNonce was used before (replays
 * are refused, as the RPC gateway does).
 */
export function verifyRpcSignature(
  method: string,
  params: Record<string, string>,
  secretFor: (accessKeyId: string) => string | undefined,
  seenNonce: (nonce: string) => boolean,
  now: number = Date.now(),
): RpcVerifyResult {
  for (const name of ['AccessKeyId', 'SignatureMethod', 'SignatureVersion', 'SignatureNonce', 'Timestamp']) {
    if (!params[name]) return { ok: false, status: 400, code: 'MissingRequiredParams', message: `The HTTP query '${name}' must be specified.` };
  }
  if (params.SignatureMethod !== 'HMAC-SHA1' || params.SignatureVersion !== '1.0') {
    return { ok: false, status: 400, code: 'InvalidArgument', message: `SignatureMethod ${params.SignatureMethod} version ${params.SignatureVersion} is not supported locally (HMAC-SHA1 1.0, or ACS3-HMAC-SHA256)` };
  }
  const accessKeyId = params.AccessKeyId!;
  const secret = secretFor(accessKeyId);
  if (!secret) return { ok: false, status: 403, code: 'InvalidAccessKeyID', message: `The AccessKey ID ${accessKeyId} is invalid.` };
  const time = Date.parse(params.Timestamp!);
  if (Number.isNaN(time) || Math.abs(now - time) > MAX_SKEW_MS) {
    return { ok: false, status: 403, code: 'RequestTimeTooSkewed', message: `The difference between the request time ${params.Timestamp} and the current time ${new Date(now).toISOString()} is too large.` };
  }
  const expected = createHmac('sha1', `${secret}&`).update(rpcStringToSign(method, params)).digest();
  const given = Buffer.from(params.Signature ?? '', 'base64');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    return { ok: false, status: 403, code: 'SignatureNotMatch', message: 'The request signature we calculated does not match the signature you provided. Check your access key and signing method.' };
  }
  if (seenNonce(params.SignatureNonce!)) return { ok: false, status: 400, code: 'SignatureNonceUsed', message: `The request signature nonce ${params.SignatureNonce} has been used.` };
  return { ok: true, accessKeyId };
}

/** Remembers SignatureNonces for the skew window, so a captured request cannot be replayed. */
export class NonceWindow {
  private readonly seen = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  /** True when `nonce` was seen in the last 15 minutes; records it otherwise. */
  check(nonce: string): boolean {
    const now = this.clock();
    if (this.seen.size > 10_000) for (const [n, at] of this.seen) if (now - at > MAX_SKEW_MS) this.seen.delete(n);
    const at = this.seen.get(nonce);
    if (at !== undefined && now - at <= MAX_SKEW_MS) return true;
    this.seen.set(nonce, now);
    return false;
  }
}
