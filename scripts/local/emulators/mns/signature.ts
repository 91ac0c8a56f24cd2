/**
 * MNS request signatures (https://www.alibabacloud.com/help/en/mns/developer-reference/request-signatures):
 *
 *   Authorization: MNS <AccessKeyId>:base64(HMAC-SHA1(AccessKeySecret, StringToSign))
 *   StringToSign = VERB "\n" Content-MD5 "\n" Content-Type "\n" Date "\n" CanonicalizedMNSHeaders CanonicalizedResource
 *
 * CanonicalizedMNSHeaders: every `x-mns-*` header, name lower-cased, sorted, each `name:value\n`.
 * CanonicalizedResource: the request URI as sent, path and query (`/queues/q/messages?waitseconds=10`) —
 * `@alicloud/mns` signs exactly the string it puts on the request line, receipt handles unencoded.
 * STS credentials send their token in `security-token`, which is not signed.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { mnsErrors } from './errors';

export interface MnsCredential {
  accessKeySecret: string;
  /** Set for STS keys: requests must carry it in `security-token`. */
  securityToken?: string;
}

export type MnsCredentialLookup = (accessKeyId: string) => MnsCredential | undefined;

/** MNS refuses requests whose Date is further than this from its own clock. */
export const MAX_SKEW_MS = 15 * 60 * 1000;

export interface SignedRequest {
  method: string;
  /** Path and query exactly as on the request line. */
  resource: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : value;
};

export function stringToSign(request: Omit<SignedRequest, 'body'>): string {
  const mnsHeaders = Object.keys(request.headers)
    .filter((name) => name.startsWith('x-mns-'))
    .sort()
    .map((name) => `${name}:${header(request.headers, name) ?? ''}\n`)
    .join('');
  return `${request.method}\n${header(request.headers, 'content-md5') ?? ''}\n${header(request.headers, 'content-type') ?? ''}\n${header(request.headers, 'date') ?? ''}\n${mnsHeaders}${request.resource}`;
}

export function sign(secret: string, text: string): string {
  return createHmac('sha1', secret).update(text, 'utf8').digest('base64');
}

/** Throws the MNS error a real endpoint would answer; returns the access key id on success. */
export function authenticate(request: SignedRequest, now: number, lookup: MnsCredentialLookup): string {
  const authorization = header(request.headers, 'authorization');
  if (!authorization) throw mnsErrors.missingAuthorization();
  if (/^MNS4-/i.test(authorization)) throw mnsErrors.notImplemented('MNS signature V4 (MNS4-HMAC-SHA256); sign with the V1 "MNS <AccessKeyId>:<Signature>" scheme');
  const match = /^MNS ([^:\s]+):(\S+)$/.exec(authorization.trim());
  if (!match) throw mnsErrors.invalidAuthorization('expected "MNS <AccessKeyId>:<Signature>"');
  const [, accessKeyId, signature] = match as unknown as [string, string, string];

  const version = header(request.headers, 'x-mns-version');
  if (version === undefined) throw mnsErrors.missingVersion();
  if (version !== '2015-06-06') throw mnsErrors.invalidVersion(version);
  const date = header(request.headers, 'date');
  // MNS's common parameters let x-mns-date stand in for Date, but no page says how it is signed: refused by name
  // rather than verified by a guess that MNS could sign differently.
  if (!date && header(request.headers, 'x-mns-date') !== undefined) throw mnsErrors.notImplemented('x-mns-date in place of the Date header (send Date)');
  if (!date) throw mnsErrors.missingDate();
  const at = Date.parse(date);
  if (Number.isNaN(at)) throw mnsErrors.invalidDate();
  if (Math.abs(now - at) > MAX_SKEW_MS) throw mnsErrors.timeExpired();

  const credential = lookup(accessKeyId);
  if (!credential) throw mnsErrors.invalidAccessKeyId();
  const text = stringToSign(request);
  const expected = Buffer.from(sign(credential.accessKeySecret, text));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) throw mnsErrors.signatureDoesNotMatch(text);
  if (credential.securityToken !== undefined) {
    const token = header(request.headers, 'security-token');
    if (token === undefined) throw mnsErrors.accessDenied('this AccessKey is an STS key; send its security token in the security-token header');
    if (token !== credential.securityToken) throw mnsErrors.accessDenied('the security-token header does not belong to this AccessKey');
  }
  verifyContentMd5(request);
  return accessKeyId;
}

/**
 * Content-MD5 is optional. MNS documents it as the base64 of the body's MD5; `@alicloud/mns` sends the
 * base64 of the *hex* digest string instead, which MNS accepts too — so both forms verify here.
 */
function verifyContentMd5(request: SignedRequest): void {
  const given = header(request.headers, 'content-md5');
  if (!given) return;
  const digest = createHash('md5').update(request.body).digest();
  const accepted = [digest.toString('base64'), Buffer.from(digest.toString('hex')).toString('base64'), Buffer.from(digest.toString('hex').toUpperCase()).toString('base64')];
  if (!accepted.includes(given.trim())) throw mnsErrors.invalidDigest();
}
