/**
 * OSS's S3-compatible API: a request signed the AWS way (s3-signature.ts) is answered by the same operations as an
 * OSS request, as OSS does it (https://www.alibabacloud.com/help/en/oss/developer-reference/compatibility-with-amazon-s3).
 *
 * On the way in, once per request:
 * - the `x-amz-*` headers OSS maps are renamed to their `x-oss-*` twins (metadata, copy source and its conditions,
 *   directives, tagging, canned ACL, storage class, server-side encryption), with S3's values turned into OSS's
 *   (STANDARD/STANDARD_IA/GLACIER ↔ Standard/IA/Archive, `aws:kms` ↔ KMS); S3 features OSS does not have (grant
 *   headers, SSE-C, object lock, website redirects, other storage classes and canned ACLs) are refused by name;
 * - S3-only sub-resources (`?attributes`, `?object-lock`, `?retention`, …) are refused by name instead of falling
 *   through to a GET or a listing;
 * - S3's conditional writes (If-None-Match / If-Match on object writes) are refused by name: OSS has none, and
 *   ignoring them would overwrite;
 * - the body is read through `S3RequestBody` (aws-chunked framing, chunk signatures, checksums) — lazily, so nothing
 *   is consumed before the signature is verified. Checksum trailers (`STREAMING-…-TRAILER`) are refused as OSS
 *   refuses them; `x-amz-checksum-*` headers are verified, and none is kept: OSS stores no S3 checksums (D121).
 * Operations OSS does not list for S3 clients are refused by name (`checkS3Operation`). On the way out every
 * response also carries the `x-amz-*` twins of its `x-oss-*` headers, so S3 clients find metadata, storage class,
 * encryption and the request id where they look; errors stay OSS's XML, which the AWS SDKs parse (Code, Message).
 */
import type { IncomingHttpHeaders, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { RequestContext } from './context';
import { OssError, ossErrors } from './errors';
import { S3RequestBody, checksumHeaderOf, type S3BodyChecks } from './s3-body';
import {
  STREAMING_SIGNED,
  STREAMING_SIGNED_TRAILER,
  STREAMING_UNSIGNED_TRAILER,
  EMPTY_SHA256,
  authenticateS3,
  type S3Authenticated,
} from './s3-signature';
import type { VerifyContext } from './signature';
import type { XmlNode } from './xml';

export interface S3Request {
  /** The headers as the client sent them: what the signature covers. */
  original: IncomingHttpHeaders;
  rawPath: string;
  hostBucket: string | undefined;
  /** Set once the signature is verified; the body's chunk signatures chain from it. */
  caller?: S3Authenticated;
}

/** GetBucketLocation's root for S3 clients, with S3's namespace. */
export const S3_LOCATION_ROOT = 'LocationConstraint xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';

/** S3 storage classes OSS maps (its compatibility page: Standard, IA and Archive ↔ STANDARD, STANDARD_IA, GLACIER). */
const STORAGE_CLASS_TO_OSS: Record<string, string> = { STANDARD: 'Standard', STANDARD_IA: 'IA', GLACIER: 'Archive' };
const STORAGE_CLASS_TO_S3: Record<string, string> = { Standard: 'STANDARD', IA: 'STANDARD_IA', Archive: 'GLACIER' };
/** A storage class as the caller's API names it (S3 clients get S3's names where OSS maps one). */
export function storageClassFor(ctx: Pick<RequestContext, 's3'>, storageClass: string): string {
  return ctx.s3 ? (STORAGE_CLASS_TO_S3[storageClass] ?? storageClass) : storageClass;
}

/** OSS takes only S3's private, public-read and public-read-write canned ACLs. */
const CANNED_ACLS = new Set(['private', 'public-read', 'public-read-write']);

/** `x-amz-*` request headers and their OSS names (values copied as they are). */
const RENAMED_HEADERS: Record<string, string> = {
  'x-amz-copy-source': 'x-oss-copy-source',
  'x-amz-copy-source-range': 'x-oss-copy-source-range',
  'x-amz-copy-source-if-match': 'x-oss-copy-source-if-match',
  'x-amz-copy-source-if-none-match': 'x-oss-copy-source-if-none-match',
  'x-amz-copy-source-if-modified-since': 'x-oss-copy-source-if-modified-since',
  'x-amz-copy-source-if-unmodified-since': 'x-oss-copy-source-if-unmodified-since',
  'x-amz-metadata-directive': 'x-oss-metadata-directive',
  'x-amz-tagging-directive': 'x-oss-tagging-directive',
  'x-amz-tagging': 'x-oss-tagging',
  'x-amz-server-side-encryption-aws-kms-key-id': 'x-oss-server-side-encryption-key-id',
};

/** S3 request headers for features OSS does not have: refused by name rather than ignored. */
const REFUSED_HEADERS: Array<[RegExp, string]> = [
  [/^x-amz-grant-/, 'S3 grant headers (x-amz-grant-*): OSS takes the canned ACLs private, public-read and public-read-write only'],
  [/^x-amz-server-side-encryption-customer-/, 'Server-side encryption with customer-provided keys (SSE-C, x-amz-server-side-encryption-customer-*)'],
  [/^x-amz-copy-source-server-side-encryption-customer-/, 'Copying an SSE-C object (x-amz-copy-source-server-side-encryption-customer-*)'],
  [/^x-amz-object-lock-/, 'S3 Object Lock (x-amz-object-lock-*)'],
  [/^x-amz-website-redirect-location$/, 'Website redirects on objects (x-amz-website-redirect-location)'],
  [/^x-amz-request-payer$/, 'Requester pays (x-amz-request-payer)'],
  [/^x-amz-bypass-governance-retention$/, 'S3 Object Lock (x-amz-bypass-governance-retention)'],
  [/^x-amz-write-offset-bytes$/, 'Appending to S3 Express objects (x-amz-write-offset-bytes); OSS appends with its own AppendObject'],
];

/** S3 sub-resources OSS's own API does not have (OSS's own refused ones are in routes.ts). */
export const S3_ONLY_SUBRESOURCES: Record<string, string> = {
  attributes: 'GetObjectAttributes',
  'object-lock': 'S3 Object Lock configuration (PutObjectLockConfiguration, GetObjectLockConfiguration)',
  retention: 'S3 Object Lock retention (PutObjectRetention, GetObjectRetention)',
  'legal-hold': 'S3 Object Lock legal holds (PutObjectLegalHold, GetObjectLegalHold)',
  ownershipControls: 'S3 Object Ownership (PutBucketOwnershipControls and siblings)',
  accelerate: 'S3 Transfer Acceleration configuration (PutBucketAccelerateConfiguration)',
  analytics: 'S3 analytics configurations',
  'intelligent-tiering': 'S3 Intelligent-Tiering configurations',
  metrics: 'S3 request metrics configurations',
  torrent: 'GetObjectTorrent',
  select: 'SelectObjectContent',
  'select-type': 'SelectObjectContent',
  session: 'CreateSession (S3 Express)',
  metadataTable: 'S3 Metadata tables',
  metadataConfiguration: 'S3 Metadata configurations',
  renameObject: 'RenameObject (S3 Express)',
  abac: 'S3 attribute-based access control',
};

/**
 * Operations OSS lists for S3 clients, as (level, sub-resource, method) — plus ListBuckets, object tagging and
 * ListMultipartUploads, whose S3 requests are OSS's own (same path, sub-resource and XML) and are answered as such.
 */
const S3_OPERATIONS = new Set([
  'service::GET',
  'bucket::PUT', 'bucket::DELETE', 'bucket::GET', 'bucket::HEAD', 'bucket::POST',
  'bucket:acl:GET', 'bucket:acl:PUT', 'bucket:lifecycle:GET', 'bucket:lifecycle:PUT', 'bucket:location:GET',
  'bucket:delete:POST', 'bucket:uploads:GET',
  'object::GET', 'object::HEAD', 'object::PUT', 'object::DELETE', 'object:acl:GET', 'object:acl:PUT',
  'object:tagging:GET', 'object:tagging:PUT', 'object:tagging:DELETE',
  'object:uploads:POST', 'object:uploadId:PUT', 'object:uploadId:GET', 'object:uploadId:DELETE', 'object:uploadId:POST',
  'object:x-oss-process:GET',
]);

/** S3 names of OSS operations reached through the S3 API but not offered there, for the refusal's message. */
const S3_NAMES: Record<string, string> = {
  'bucket:cors': 'Bucket CORS (PutBucketCors, GetBucketCors, DeleteBucketCors)',
  'bucket:website': 'Bucket website (PutBucketWebsite and siblings)',
  'bucket:tagging': 'Bucket tagging (PutBucketTagging and siblings)',
  'bucket:versioning': 'Bucket versioning (PutBucketVersioning, GetBucketVersioning)',
  'bucket:encryption': 'Bucket default encryption (PutBucketEncryption and siblings)',
  'bucket:policy': 'Bucket policies (PutBucketPolicy and siblings)',
  'bucket:lifecycle': 'DeleteBucketLifecycle',
  'object:restore': 'RestoreObject',
  'object:x-oss-process': 'Saving processed images (x-oss-process with POST)',
};

/** Rewrites a request signed the AWS way for the OSS operations (see the module comment). */
export function prepareS3Request(ctx: RequestContext, rawPath: string, hostBucket: string | undefined): S3Request {
  // First, so that refusals below reach S3 clients with their request id where they read it too.
  addS3ResponseHeaders(ctx.res);
  const original = { ...ctx.req.headers };
  for (const name of ctx.params.keys()) {
    const what = S3_ONLY_SUBRESOURCES[name];
    if (what) throw refusedForS3(what, `?${name}`);
  }
  // Object versions are emulated for OSS's own API (D156), not yet for S3 clients: refused rather than half-answered.
  if (ctx.params.has('versions')) throw refusedForS3('ListObjectVersions', '?versions');
  if (ctx.params.has('versionId')) throw refusedForS3('Reading or deleting one object version (versionId)', '?versionId');
  const copySource = ctx.req.headers['x-amz-copy-source'];
  if (typeof copySource === 'string' && copySource.includes('?')) throw refusedForS3('Copying one object version (x-amz-copy-source with ?versionId=)', 'x-amz-copy-source');
  // S3 reads one part of a multipart object by partNumber; OSS has no such read, and ignoring it would answer the whole object.
  if (ctx.params.has('partNumber') && !ctx.params.has('uploadId')) throw refusedForS3('Reading one part of an object (GetObject/HeadObject with partNumber)', '?partNumber');
  // S3's conditional writes; OSS documents no such preconditions on writes, and ignoring them would overwrite.
  if ((ctx.method === 'PUT' || ctx.method === 'POST') && ctx.key !== undefined) {
    const condition = ['if-none-match', 'if-match'].find((name) => original[name] !== undefined);
    if (condition) throw refusedForS3('Conditional writes (If-None-Match / If-Match on PutObject, CopyObject, CompleteMultipartUpload); OSS\'s own API prevents overwrites with x-oss-forbid-overwrite', condition === 'if-match' ? 'If-Match' : 'If-None-Match');
  }
  if (ctx.method === 'PUT' && ctx.params.has('acl') && original['x-amz-acl'] === undefined) {
    throw refusedForS3('S3 ACL documents and grants (an AccessControlPolicy body): OSS takes a canned ACL in x-amz-acl', '?acl');
  }
  const s3: S3Request = { original, rawPath, hostBucket };
  const headers = mapRequestHeaders(ctx, original);
  const body = bodyChecks(original, s3);
  if (body?.chunked) {
    // The operations see the object's bytes: their length is the decoded one (size limits apply to it).
    delete headers['transfer-encoding'];
    if (body.decodedLength !== undefined) headers['content-length'] = String(body.decodedLength);
    else delete headers['content-length'];
  }
  ctx.req.headers = headers;
  if (body) ctx.req = new S3RequestBody(ctx.req, headers, body) as unknown as RequestContext['req'];
  return s3;
}

function refusedForS3(what: string, named: string) {
  return ossErrors.notImplemented(`${what} [${named}] through OSS's S3-compatible API`);
}

/** The caller of an S3 request (its signature verified against the headers as sent). */
export function authenticateS3Request(ctx: RequestContext, s3: S3Request, context: VerifyContext): S3Authenticated {
  s3.caller ??= authenticateS3({ method: ctx.method, rawPath: s3.rawPath, hostBucket: s3.hostBucket, query: ctx.query, headers: s3.original }, context);
  return s3.caller;
}

/** Refuses, by name, an operation OSS does not offer to S3 clients. */
export function checkS3Operation(level: 'service' | 'bucket' | 'object', sub: string, method: string): void {
  if (S3_OPERATIONS.has(`${level}:${sub}:${method}`)) return;
  const name = S3_NAMES[`${level}:${sub}`] ?? `${method} ${level === 'service' ? '/' : level}${sub ? `?${sub}` : ''}`;
  throw ossErrors.notImplemented(`${name}: not among the operations OSS offers through its S3-compatible API (use the OSS API, e.g. ali-oss)`);
}

function mapRequestHeaders(ctx: RequestContext, original: IncomingHttpHeaders): IncomingHttpHeaders {
  const headers: IncomingHttpHeaders = {};
  for (const [name, value] of Object.entries(original)) {
    for (const [pattern, what] of REFUSED_HEADERS) if (pattern.test(name)) throw refusedForS3(what, name);
    if (name.startsWith('x-amz-meta-')) headers[`x-oss-meta-${name.slice('x-amz-meta-'.length)}`] = value;
    else if (RENAMED_HEADERS[name]) headers[RENAMED_HEADERS[name]!] = value;
    else headers[name] = value;
  }
  const text = (name: string) => {
    const value = original[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const acl = text('x-amz-acl');
  if (acl !== undefined) {
    if (!CANNED_ACLS.has(acl)) throw ossErrors.invalidArgument('OSS takes the canned ACLs private, public-read and public-read-write only.', 'x-amz-acl', acl);
    headers[ctx.key === undefined ? 'x-oss-acl' : 'x-oss-object-acl'] = acl;
  }
  const storageClass = text('x-amz-storage-class');
  if (storageClass !== undefined) headers['x-oss-storage-class'] = ossStorageClass(storageClass);
  const sse = text('x-amz-server-side-encryption');
  if (sse !== undefined) headers['x-oss-server-side-encryption'] = ossEncryption(sse);
  // aws-chunked is framing, not the object's content encoding.
  const encoding = text('content-encoding');
  if (encoding !== undefined) {
    const rest = encoding.split(',').map((part) => part.trim()).filter((part) => part !== '' && part !== 'aws-chunked');
    if (rest.length > 0) headers['content-encoding'] = rest.join(', ');
    else delete headers['content-encoding'];
  }
  return headers;
}

/**
 * The fields of a form signed the S3 way, named as an OSS form names them (after its policy was checked against the
 * fields as sent): `acl` → `x-oss-object-acl`, `x-amz-meta-*`, storage class and encryption as for headers. S3 form
 * features OSS has no twin for are refused by name, as their headers are.
 */
export function ossFormFields(fields: ReadonlyMap<string, string>): Map<string, string> {
  const mapped = new Map<string, string>();
  for (const [name, value] of fields) {
    for (const [pattern, what] of REFUSED_HEADERS) if (pattern.test(name)) throw refusedForS3(what, name);
    if (name === 'tagging') throw refusedForS3('Tags in a PostObject form (the tagging field\'s XML document)', 'tagging');
    if (name === 'acl') {
      if (!CANNED_ACLS.has(value)) throw ossErrors.invalidArgument('OSS takes the canned ACLs private, public-read and public-read-write only.', 'acl', value);
      mapped.set('x-oss-object-acl', value);
    } else if (name.startsWith('x-amz-meta-')) mapped.set(`x-oss-meta-${name.slice('x-amz-meta-'.length)}`, value);
    else if (name === 'x-amz-storage-class') mapped.set('x-oss-storage-class', ossStorageClass(value));
    else if (name === 'x-amz-server-side-encryption') mapped.set('x-oss-server-side-encryption', ossEncryption(value));
    else mapped.set(name, value);
  }
  return mapped;
}

function ossStorageClass(value: string): string {
  const mapped = STORAGE_CLASS_TO_OSS[value];
  if (!mapped) throw ossErrors.invalidArgument(`OSS maps the S3 storage classes ${Object.keys(STORAGE_CLASS_TO_OSS).join(', ')} only.`, 'x-amz-storage-class', value);
  return mapped;
}

function ossEncryption(value: string): string {
  if (value !== 'AES256' && value !== 'aws:kms') throw ossErrors.invalidArgument('x-amz-server-side-encryption must be AES256 or aws:kms.', 'x-amz-server-side-encryption', value);
  return value === 'aws:kms' ? 'KMS' : 'AES256';
}

/** What the body reader must check, or undefined when the body is read as it is. */
function bodyChecks(original: IncomingHttpHeaders, s3: S3Request): S3BodyChecks | undefined {
  const text = (name: string) => {
    const value = original[name];
    return Array.isArray(value) ? value.join(',') : value;
  };
  const payload = text('x-amz-content-sha256');
  const chunked = (text('content-encoding') ?? '').split(',').some((part) => part.trim() === 'aws-chunked') || (payload ?? '').startsWith('STREAMING-');
  const trailers = (text('x-amz-trailer') ?? '').split(',').map((name) => name.trim().toLowerCase()).filter(Boolean);
  const checksumName = checksumHeaderOf([...Object.keys(original), ...trailers]);
  const hasBody = original['transfer-encoding'] !== undefined || Number(original['content-length'] ?? 0) > 0;
  if (payload === STREAMING_UNSIGNED_TRAILER || payload === STREAMING_SIGNED_TRAILER) {
    // OSS answers a checksum trailer so (reported for @aws-sdk/client-s3, aws-cli and the Go SDK's stream uploads over
    // HTTPS, which use the unsigned form; the same clients use the signed form over plain HTTP, as locally).
    throw new OssError(400, 'NotImplemented', `Aws MultiChunkedEncoding ${payload} is not supported. (S3 clients: compute checksums only when required, e.g. requestChecksumCalculation: 'WHEN_REQUIRED'; see docs/fidelity.md.)`);
  }
  if (chunked && payload !== STREAMING_SIGNED) {
    throw ossErrors.invalidArgument('aws-chunked encoding is not supported with the specified x-amz-content-sha256 value.', 'Content-Encoding', 'aws-chunked', '0017-00000804');
  }
  const payloadSha256 = payload !== undefined && /^[0-9a-f]{64}$/i.test(payload) ? payload : undefined;
  if (!hasBody) {
    if (payloadSha256 !== undefined && payloadSha256.toLowerCase() !== EMPTY_SHA256) {
      throw ossErrors.invalidDigest('The x-amz-content-sha256 you specified did not match what we received.');
    }
    return undefined;
  }
  if (!chunked && payloadSha256 === undefined && checksumName === undefined) return undefined;
  const decoded = text('x-amz-decoded-content-length');
  if (chunked && decoded !== undefined && !/^\d+$/.test(decoded)) throw ossErrors.invalidArgument('x-amz-decoded-content-length must be a byte count.', 'x-amz-decoded-content-length', decoded);
  const signed = payload === STREAMING_SIGNED || payload === STREAMING_SIGNED_TRAILER;
  return {
    chunked,
    ...(signed ? { signing: () => s3.caller?.chunkSigning, signedTrailer: payload === STREAMING_SIGNED_TRAILER } : {}),
    trailers,
    ...(chunked && decoded !== undefined ? { decodedLength: Number(decoded) } : {}),
    ...(payloadSha256 !== undefined ? { payloadSha256 } : {}),
    ...(checksumName !== undefined ? { checksum: { name: checksumName, expected: trailers.includes(checksumName) ? undefined : text(checksumName) } } : {}),
  };
}

/** Adds the `x-amz-*` twin of each mapped `x-oss-*` response header, as S3 clients read them. */
function addS3ResponseHeaders(res: ServerResponse): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => ServerResponse;
  res.writeHead = ((status: number, ...rest: unknown[]) => {
    const passed = rest.find((arg): arg is OutgoingHttpHeaders => typeof arg === 'object' && arg !== null && !Array.isArray(arg));
    const all: OutgoingHttpHeaders = { ...res.getHeaders(), ...(passed ?? {}) };
    const twins: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(all)) {
      const lower = name.toLowerCase();
      if (value === undefined) continue;
      if (lower.startsWith('x-oss-meta-')) twins[`x-amz-meta-${lower.slice('x-oss-meta-'.length)}`] = value;
      else if (lower === 'x-oss-request-id') twins['x-amz-request-id'] = value;
      else if (lower === 'x-oss-storage-class') twins['x-amz-storage-class'] = STORAGE_CLASS_TO_S3[String(value)] ?? value;
      else if (lower === 'x-oss-server-side-encryption') twins['x-amz-server-side-encryption'] = value === 'KMS' ? 'aws:kms' : value;
      else if (lower === 'x-oss-server-side-encryption-key-id') twins['x-amz-server-side-encryption-aws-kms-key-id'] = value;
      else if (lower === 'x-oss-tagging-count') twins['x-amz-tagging-count'] = value;
      else if (lower === 'x-oss-restore') twins['x-amz-restore'] = value;
      else if (lower === 'x-oss-version-id') twins['x-amz-version-id'] = value;
      else if (lower === 'x-oss-delete-marker') twins['x-amz-delete-marker'] = value;
    }
    if (passed) Object.assign(passed, twins);
    else for (const [name, value] of Object.entries(twins)) res.setHeader(name, value!);
    return writeHead(status, ...rest);
  }) as typeof res.writeHead;
}

/**
 * The ACL document as an S3 client reads it: the owner's FULL_CONTROL grant, plus AllUsers READ (and WRITE) for
 * the public ACLs; OSS's own shape (`<Grant>public-read</Grant>`) is what OSS clients read.
 */
export function aclGrants(ownerId: string, acl: string, s3: boolean): XmlNode[] {
  const owner: XmlNode = ['Owner', [['ID', ownerId], ['DisplayName', ownerId]]];
  if (!s3) return [owner, ['AccessControlList', [['Grant', acl]]]];
  const grant = (grantee: XmlNode[], permission: string): XmlNode => ['Grant', [['Grantee', grantee], ['Permission', permission]]];
  const grants: XmlNode[] = [grant([['ID', ownerId], ['DisplayName', ownerId]], 'FULL_CONTROL')];
  const allUsers: XmlNode[] = [['URI', 'http://acs.amazonaws.com/groups/global/AllUsers']];
  if (acl === 'public-read' || acl === 'public-read-write') grants.push(grant(allUsers, 'READ'));
  if (acl === 'public-read-write') grants.push(grant(allUsers, 'WRITE'));
  return [owner, ['AccessControlList', grants]];
}
