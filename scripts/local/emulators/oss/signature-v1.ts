/**
 * OSS signature V1 (HMAC-SHA1), for `Authorization: OSS <AccessKeyId>:<Signature>` headers and for
 * `OSSAccessKeyId/Expires/Signature` presigned URLs — what ali-oss sends with its default options and what
 * `signatureUrl()` always produces.
 *
 * Spec: https://www.alibabacloud.com/help/en/oss/developer-reference/include-signatures-in-the-authorization-header
 * and https://www.alibabacloud.com/help/en/oss/developer-reference/ddd-signatures-to-urls :
 *
 *   StringToSign = VERB \n Content-MD5 \n Content-Type \n Date \n CanonicalizedOSSHeaders CanonicalizedResource
 *
 * - Date is `x-oss-date` when present (ali-oss sends it and no Date), else `Date`; in a URL it is `Expires`.
 * - CanonicalizedOSSHeaders: every `x-oss-*` header, lower-cased, value trimmed, sorted, `name:value\n`.
 * - CanonicalizedResource: `/<bucket>/<key>` (decoded), `/<bucket>/` or `/`, then `?` and the signed
 *   sub-resources present in the request, sorted, `k` when empty else `k=v` (decoded values), joined by `&`.
 *
 * Bytes: header values are signed exactly as they arrived (Node hands them over as latin1, one char per byte),
 * the resource as UTF-8 — so non-ASCII user metadata verifies when the client sends and signs the same bytes
 * (ali-oss with `headerEncoding: 'latin1'` sends UTF-8 bytes), and fails when it signs other bytes than it sends.
 */
import { createHmac } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/**
 * Query parameters that take part in the V1 CanonicalizedResource: the union of the lists the OSS SDKs sign
 * (Go `signKeyList`, Java `SignParameters`, ali-oss `subres`). Anything else (`prefix`, `max-keys`, `list-type`…)
 * is not signed.
 */
export const V1_SIGNED_SUBRESOURCES = new Set([
  'acl', 'uploads', 'location', 'cors', 'logging', 'website', 'referer', 'lifecycle', 'delete', 'append', 'tagging',
  'objectMeta', 'uploadId', 'partNumber', 'security-token', 'position', 'img', 'style', 'styleName', 'replication',
  'replicationProgress', 'replicationLocation', 'cname', 'bucketInfo', 'comp', 'qos', 'live', 'status', 'vod',
  'startTime', 'endTime', 'symlink', 'x-oss-process', 'response-content-type', 'response-content-language',
  'response-expires', 'response-cache-control', 'response-content-disposition', 'response-content-encoding', 'udf',
  'udfName', 'udfImage', 'udfId', 'udfImageDesc', 'udfApplication', 'udfApplicationLog', 'restore', 'callback',
  'callback-var', 'qosInfo', 'policy', 'stat', 'encryption', 'versions', 'versioning', 'versionId', 'requestPayment',
  'x-oss-request-payer', 'sequential', 'inventory', 'inventoryId', 'continuation-token', 'asyncFetch', 'worm', 'wormId',
  'wormExtend', 'withHashContext', 'x-oss-enable-md5', 'x-oss-enable-sha1', 'x-oss-enable-sha256', 'x-oss-hash-ctx',
  'x-oss-md5-ctx', 'transferAcceleration', 'regionList', 'cloudboxes', 'x-oss-ac-source-ip', 'x-oss-ac-subnet-mask',
  'x-oss-ac-vpc-id', 'x-oss-ac-forward-allow', 'metaQuery', 'resourceGroup', 'rtc', 'x-oss-async-process',
  'x-oss-traffic-limit', 'responseHeader', 'x-oss-process-conf', 'x-oss-image', 'accessPoint', 'accessPointForObjectProcess',
  'publicAccessBlock', 'policyStatus', 'httpsConfig', 'redundancyTransition', 'dataAccessMonitor', 'userDefinedLogFieldsConfig',
  'overwriteConfig', 'archiveDirectRead', 'accessMonitor', 'cleanRestoredObject', 'vip', 'vpcip', 'objectInfo',
]);

export interface V1Input {
  method: string;
  bucket?: string | undefined;
  key?: string | undefined;
  /** Decoded query parameters in arrival order. */
  query: ReadonlyArray<readonly [string, string]>;
  headers: IncomingHttpHeaders;
  /** The Date line: `x-oss-date`/`Date` for header signatures, `Expires` for URLs. */
  date: string;
  /** Parameters that never take part (the URL signature's own `OSSAccessKeyId`, `Expires`, `Signature`). */
  exclude?: ReadonlySet<string>;
  /**
   * S3's signature V2 is the same algorithm with `x-amz-` headers, its own sub-resource list and the resource as
   * the client addressed it (s3-signature.ts); OSS V1 leaves these at their defaults.
   */
  headerPrefix?: string;
  signedSubresources?: ReadonlySet<string>;
  resource?: string;
}

/** `text` (UTF-8) as a one-char-per-byte string, to sit beside header values as Node decoded them (latin1). */
export function utf8AsBytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

/** A byte string (see `utf8AsBytes`) as readable text, for error details. */
export function bytesAsText(bytes: string): string {
  return Buffer.from(bytes, 'latin1').toString('utf8');
}

function headerBytes(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name];
  if (value === undefined) return '';
  return Array.isArray(value) ? value.join(',') : value;
}

/** The V1 string to sign, as a byte string (one char per byte). */
export function buildV1StringToSign(input: V1Input): string {
  const prefix = input.headerPrefix ?? 'x-oss-';
  const subresources = input.signedSubresources ?? V1_SIGNED_SUBRESOURCES;
  const ossHeaders = Object.keys(input.headers)
    .filter((name) => name.startsWith(prefix))
    .sort()
    .map((name) => `${name}:${headerBytes(input.headers, name).trim()}\n`)
    .join('');
  let resource = input.resource ?? (input.bucket === undefined ? '/' : `/${input.bucket}/${input.key ?? ''}`);
  const signed = input.query
    .filter(([name]) => subresources.has(name) && !input.exclude?.has(name))
    .map(([name, value]) => (value === '' ? name : `${name}=${value}`))
    .sort((a, b) => {
      const ka = a.split('=', 1)[0]!;
      const kb = b.split('=', 1)[0]!;
      return ka < kb ? -1 : ka > kb ? 1 : 0;
    });
  if (signed.length > 0) resource += `?${signed.join('&')}`;
  return [
    input.method.toUpperCase(),
    headerBytes(input.headers, 'content-md5'),
    headerBytes(input.headers, 'content-type'),
    input.date,
    `${ossHeaders}${utf8AsBytes(resource)}`,
  ].join('\n');
}

export function signV1(secret: string, stringToSign: string): string {
  return createHmac('sha1', secret).update(Buffer.from(stringToSign, 'latin1')).digest('base64');
}
