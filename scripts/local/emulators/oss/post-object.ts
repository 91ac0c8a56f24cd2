/**
 * PostObject: browser form uploads (`POST /<bucket>` with `multipart/form-data`), signed by a policy.
 * https://www.alibabacloud.com/help/en/oss/developer-reference/postobject and its policy appendix.
 *
 * - Authentication: V1 (`OSSAccessKeyId` + `Signature` = base64 HMAC-SHA1 of the base64 `policy`, as ali-oss
 *   `calculatePostSignature` makes it), V4 (`x-oss-signature-version: OSS4-HMAC-SHA256`, `x-oss-credential`,
 *   `x-oss-date`, `x-oss-signature` = hex HMAC-SHA256 of the policy with the V4 signing key, as
 *   `signPostObjectPolicyV4`), an STS token in `x-oss-security-token`; or no signature at all for a
 *   public-read-write bucket. Forms signed the S3 way (OSS lists PostObject among its S3-compatible operations) are
 *   verified by `verifyS3Form` and their fields read under OSS's names (`ossFormFields`).
 * - Policy: `expiration` and `conditions` — `{"field": "value"}`, `["eq"|"starts-with", "$field", "value"]`,
 *   `["in"|"not-in", "$field", [..]]`, `["content-length-range", min, max]` — checked against the form fields
 *   (names case-insensitive), `bucket` included.
 * - Form fields: `key` (with `${filename}`), `file` (last; later fields are ignored), `success_action_status`
 *   (200, 201 with an XML body, or 204 by default), `success_action_redirect`, `Content-Type` & co,
 *   `x-oss-meta-*`, `x-oss-object-acl`, `x-oss-storage-class`, `x-oss-server-side-encryption`, `x-oss-tagging`,
 *   `x-oss-forbid-overwrite`.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { Readable } from 'node:stream';
import Busboy from 'busboy';
import { authorize } from './access';
import { checkBucketPolicy } from './bucket-policy';
import { checkRamAccess } from './ram-actions';
import type { AccessControl } from '../../ram/access';
import { stageReadable } from './body';
import { bucketOf, eventOf, type RequestContext } from './context';
import { OssError, ossErrors } from './errors';
import { contentTypeFor } from './mime';
import { objectTagsFromHeader } from './object-tags';
import { checkUserMetaSize, encryptionHeaders, quoteEtag, sendEmpty, sendXml, versionHeaders } from './respond';
import { ossFormFields } from './s3-compat';
import { verifyS3Form } from './s3-signature';
import { MAX_CLOCK_SKEW_MS, parseTimestamp, signV4, V4_ALGORITHM, type CredentialLookup } from './signature';
import { utf8AsBytes } from './signature-v1';
import { OBJECT_ACLS, STORAGE_CLASSES, type ObjectAcl, type ObjectHeaders, type StorageClass } from './storage';

const MAX_FIELDS_BYTES = 64 * 1024;

interface Form {
  /** Field names lower-cased; values as sent. */
  fields: Map<string, string>;
  file: { stream: Readable; filename: string; mimeType: string };
}

function field(form: Form, name: string): string | undefined {
  return form.fields.get(name.toLowerCase());
}

/** Reads fields until the file part starts; the caller consumes the file stream. */
function readForm(ctx: RequestContext): Promise<Form> {
  return new Promise<Form>((resolve, reject) => {
    let busboy: Busboy.Busboy;
    try {
      busboy = Busboy({ headers: ctx.req.headers, limits: { fieldSize: MAX_FIELDS_BYTES, fields: 100, files: 1 } });
    } catch (err) {
      reject(ossErrors.invalidArgument(`PostObject needs a multipart/form-data body: ${(err as Error).message}`, 'Content-Type', String(ctx.req.headers['content-type'] ?? '')));
      return;
    }
    const fields = new Map<string, string>();
    let settled = false;
    busboy.on('field', (name, value, info) => {
      if (info.valueTruncated) {
        settled = true;
        reject(ossErrors.invalidArgument(`Form field ${name} is too long.`, name, ''));
        return;
      }
      if (!fields.has(name.toLowerCase())) fields.set(name.toLowerCase(), value);
    });
    busboy.on('file', (name, stream, info) => {
      if (settled) return void stream.resume();
      if (name.toLowerCase() !== 'file') {
        stream.resume();
        settled = true;
        reject(ossErrors.invalidArgument('The file must be sent in the form field "file".', name, ''));
        return;
      }
      settled = true;
      resolve({ fields, file: { stream, filename: info.filename ?? '', mimeType: info.mimeType } });
    });
    busboy.on('error', (err: Error) => {
      if (!settled) reject(ossErrors.malformedPost(err.message));
      settled = true;
    });
    busboy.on('close', () => {
      if (!settled) reject(ossErrors.missingArgument('file'));
      settled = true;
    });
    ctx.req.pipe(busboy);
  });
}

type Condition =
  | { kind: 'eq' | 'starts-with'; field: string; value: string; text: string }
  | { kind: 'in' | 'not-in'; field: string; values: string[]; text: string }
  | { kind: 'range'; min: number; max: number; text: string };

interface Policy {
  expiration: number;
  conditions: Condition[];
}

function policyError(message: string, ec?: string): OssError {
  return new OssError(400, 'InvalidPolicyDocument', message, {}, ec);
}

/** Decodes and checks the shape of a base64 policy. */
export function parsePolicy(base64: string): Policy {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    throw policyError('The policy is not base64-encoded JSON.');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw policyError('The policy must be a JSON object.');
  const { expiration, conditions } = doc as { expiration?: unknown; conditions?: unknown };
  if (typeof expiration !== 'string' || Number.isNaN(Date.parse(expiration))) throw policyError('The policy needs an ISO 8601 expiration.', '0006-00000206');
  if (!Array.isArray(conditions)) throw policyError('The policy needs a conditions list.', '0006-00000207');
  const parsed = conditions.map((raw): Condition => {
    const text = JSON.stringify(raw);
    if (Array.isArray(raw)) {
      const [op, name, value] = raw as unknown[];
      const kind = typeof op === 'string' ? op.toLowerCase() : '';
      if (kind === 'content-length-range') {
        if (!Number.isInteger(name) || !Number.isInteger(value) || (name as number) < 0 || (value as number) < (name as number)) {
          throw policyError(`content-length-range needs two integers, min ≤ max: ${text}`, '0006-00000219');
        }
        return { kind: 'range', min: name as number, max: value as number, text };
      }
      if (typeof name !== 'string' || !name.startsWith('$')) throw policyError(`A condition names its field as "$field": ${text}`, '0006-00000216');
      const fieldName = name.slice(1).toLowerCase();
      if (kind === 'eq' || kind === 'starts-with') {
        if (typeof value !== 'string') throw policyError(`The value of ${kind} must be a string: ${text}`);
        return { kind, field: fieldName, value, text };
      }
      if (kind === 'in' || kind === 'not-in') {
        if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw policyError(`The value of ${kind} must be a list of strings: ${text}`);
        return { kind, field: fieldName, values: value as string[], text };
      }
      throw policyError(`Unknown policy condition "${String(op)}": ${text}`, '0006-00000216');
    }
    if (typeof raw === 'object' && raw !== null) {
      const entries = Object.entries(raw);
      if (entries.length !== 1 || typeof entries[0]![1] !== 'string') throw policyError(`An exact-match condition is {"field": "value"}: ${text}`);
      return { kind: 'eq', field: entries[0]![0].replace(/^\$/, '').toLowerCase(), value: entries[0]![1] as string, text };
    }
    throw policyError(`Every condition is a list or a map: ${text}`, '0006-00000222');
  });
  return { expiration: Date.parse(expiration), conditions: parsed };
}

function conditionFailed(condition: Condition): OssError {
  return ossErrors.accessDenied(`Invalid according to Policy: Policy Condition failed: ${condition.text}`);
}

/** The conditions on fields; `content-length-range` is returned for the upload to enforce. */
function checkConditions(policy: Policy, values: Map<string, string>): { min: number; max: number } | undefined {
  let range: { min: number; max: number } | undefined;
  for (const condition of policy.conditions) {
    if (condition.kind === 'range') {
      range = { min: condition.min, max: condition.max };
      continue;
    }
    const value = values.get(condition.field) ?? '';
    let ok: boolean;
    switch (condition.kind) {
      case 'eq':
        ok = value === condition.value;
        break;
      case 'starts-with':
        ok = value.startsWith(condition.value);
        break;
      case 'in':
        ok = condition.values.includes(value);
        break;
      case 'not-in':
        ok = !condition.values.includes(value);
        break;
    }
    if (!ok) throw conditionFailed(condition);
  }
  return range;
}

function safeEqual(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function checkToken(lookupResult: { securityToken?: string }, provided: string | undefined, accessKeyId: string): void {
  if (lookupResult.securityToken === undefined) {
    if (provided !== undefined) throw ossErrors.invalidAccessKeyId(accessKeyId);
    return;
  }
  if (provided === undefined) throw ossErrors.securityTokenMissing(accessKeyId);
  if (!safeEqual(provided, lookupResult.securityToken)) throw ossErrors.invalidSecurityToken();
}

/** The key that signed a form, whichever way it was signed (OSS V1/V4, S3 V2/V4). */
function formAccessKeyId(form: Form): string | undefined {
  const credential = field(form, 'x-oss-credential') ?? field(form, 'x-amz-credential');
  return field(form, 'OSSAccessKeyId') ?? field(form, 'AWSAccessKeyId') ?? credential?.split('/')[0];
}

/**
 * Verifies the form's signature over its policy: 'oss' or 's3' by who signed it (OSS's V1/V4 fields, or S3's V4/V2
 * ones through OSS's S3-compatible API), 'anonymous' for an unsigned form.
 */
function verifyForm(form: Form, region: string, lookup: CredentialLookup, now: number): 'oss' | 's3' | 'anonymous' {
  if (verifyS3Form((name) => field(form, name), { lookup, now })) return 's3';
  return verifyOssForm(form, region, lookup, now) ? 'oss' : 'anonymous';
}

function verifyOssForm(form: Form, region: string, lookup: CredentialLookup, now: number): boolean {
  const policy = field(form, 'policy');
  const version = field(form, 'x-oss-signature-version');
  const token = field(form, 'x-oss-security-token');
  if (version !== undefined) {
    if (version !== V4_ALGORITHM) throw ossErrors.invalidArgument(`x-oss-signature-version must be ${V4_ALGORITHM}.`, 'x-oss-signature-version', version);
    const credential = field(form, 'x-oss-credential') ?? '';
    const date = field(form, 'x-oss-date') ?? '';
    const signature = field(form, 'x-oss-signature') ?? '';
    if (!policy || !credential || !date || !signature) throw ossErrors.accessDenied('A V4 form needs policy, x-oss-credential, x-oss-date and x-oss-signature.');
    const parts = credential.split('/');
    if (parts.length !== 5 || parts[3] !== 'oss' || parts[4] !== 'aliyun_v4_request') throw ossErrors.invalidArgument('x-oss-credential must be <AccessKeyId>/<yyyymmdd>/<region>/oss/aliyun_v4_request.', 'x-oss-credential', credential);
    const [accessKeyId, day, scopeRegion] = parts as [string, string, string];
    const signedAt = parseTimestamp(date);
    if (signedAt === undefined || day !== date.slice(0, 8)) throw ossErrors.invalidArgument('x-oss-date must be yyyymmddTHHMMSSZ of the credential date.', 'x-oss-date', date);
    if (signedAt - now > MAX_CLOCK_SKEW_MS) throw ossErrors.accessDenied('The form is dated in the future.');
    if (scopeRegion !== region) throw ossErrors.invalidArgument(`Invalid signing region in x-oss-credential: the bucket is in ${region}.`, 'x-oss-credential', scopeRegion);
    const found = lookup(accessKeyId);
    if (!found) throw ossErrors.invalidAccessKeyId(accessKeyId);
    checkToken(found, token, accessKeyId);
    if (!safeEqual(signV4(found.accessKeySecret, { date: day, region }, policy), signature.toLowerCase())) {
      throw new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', { StringToSign: policy });
    }
    return true;
  }
  const accessKeyId = field(form, 'ossaccesskeyid');
  const signature = field(form, 'signature');
  if (accessKeyId === undefined && signature === undefined) {
    if (policy !== undefined) throw ossErrors.accessDenied('A form with a policy needs OSSAccessKeyId and Signature.');
    return false;
  }
  if (!accessKeyId || !signature || !policy) throw ossErrors.accessDenied('A signed form needs OSSAccessKeyId, Signature and policy.');
  const found = lookup(accessKeyId);
  if (!found) throw ossErrors.invalidAccessKeyId(accessKeyId);
  checkToken(found, token, accessKeyId);
  const expected = createHmac('sha1', found.accessKeySecret).update(policy).digest('base64');
  if (!safeEqual(expected, signature)) {
    throw new OssError(403, 'SignatureDoesNotMatch', 'The request signature we calculated does not match the signature you provided.', { StringToSign: policy }, '0002-00000705');
  }
  return true;
}

/** `success_action_redirect` as a URL, checked before anything is stored; an empty field means none. */
function redirectTarget(value: string | undefined): URL | undefined {
  if (!value) return undefined;
  if (URL.canParse(value)) {
    const url = new URL(value);
    if (url.protocol === 'http:' || url.protocol === 'https:') return url;
  }
  throw ossErrors.invalidArgument('success_action_redirect must be an absolute http(s) URL.', 'success_action_redirect', value);
}

/**
 * The object's headers from the form. A form sends its fields as UTF-8 text; an object keeps header values as the
 * bytes a PutObject would have sent (Node reads those one byte per char), so text fields are kept as their UTF-8
 * bytes — a non-ASCII caption or download name then comes back as the bytes the form sent, whichever way it is read.
 */
function formHeaders(form: Form, ctx: RequestContext, key: string): ObjectHeaders {
  const text = (name: string) => {
    const value = field(form, name);
    return value === undefined ? undefined : utf8AsBytes(value);
  };
  const meta: Record<string, string> = {};
  for (const [name, value] of form.fields) if (name.startsWith('x-oss-meta-')) meta[name.slice('x-oss-meta-'.length)] = utf8AsBytes(value);
  checkUserMetaSize(meta);
  const config = ctx.runtime.storage.getBucket(bucketOf(ctx))?.config ?? {};
  const headers: ObjectHeaders = {
    // x-oss-content-type first: a browser always labels the file part itself, so OSS takes this field over it.
    contentType: text('x-oss-content-type') || text('content-type') || (form.file.mimeType && form.file.mimeType !== 'application/octet-stream' ? form.file.mimeType : contentTypeFor(key)),
    cacheControl: text('cache-control'),
    contentDisposition: text('content-disposition'),
    contentEncoding: text('content-encoding'),
    expires: text('expires'),
    meta,
    storageClass: config.storageClass ?? 'Standard',
  };
  const cls = field(form, 'x-oss-storage-class');
  if (cls !== undefined) {
    if (!STORAGE_CLASSES.includes(cls as StorageClass)) throw ossErrors.invalidArgument('x-oss-storage-class is invalid.', 'x-oss-storage-class', cls);
    headers.storageClass = cls as StorageClass;
  }
  const acl = field(form, 'x-oss-object-acl');
  if (acl !== undefined) {
    if (!OBJECT_ACLS.includes(acl as ObjectAcl)) throw ossErrors.invalidArgument('no such object access control exists', 'x-oss-object-acl', acl);
    headers.acl = acl as ObjectAcl;
  }
  const tagging = field(form, 'x-oss-tagging');
  if (tagging !== undefined) headers.tags = objectTagsFromHeader(tagging);
  const sse = field(form, 'x-oss-server-side-encryption');
  if (sse !== undefined) {
    if (sse !== 'AES256' && sse !== 'KMS' && sse !== 'SM4') throw ossErrors.invalidArgument('x-oss-server-side-encryption must be AES256, KMS or SM4.', 'x-oss-server-side-encryption', sse);
    headers.encryption = { algorithm: sse };
  }
  return headers;
}

export async function postObject(ctx: RequestContext, lookup: CredentialLookup, access?: AccessControl): Promise<void> {
  const bucket = bucketOf(ctx);
  const form = await readForm(ctx);
  try {
    const signer = verifyForm(form, ctx.runtime.region, lookup, ctx.now);
    const rawKey = field(form, 'key');
    if (!rawKey) throw ossErrors.missingArgument('key');
    const key = rawKey.replace(/\$\{filename\}/g, form.file.filename);
    if (key.startsWith('/') || key.startsWith('\\') || Buffer.byteLength(key) > 1023) throw ossErrors.invalidObjectName();
    // The bucket policy before the ACL, as for every other request (D155): a Deny refuses, an Allow opens an
    // unsigned form to a bucket whose ACL would refuse it.
    const bucketRecord = ctx.runtime.storage.getBucket(bucket);
    const signedBy = signer === 'anonymous' ? undefined : formAccessKeyId(form);
    const decision = checkBucketPolicy(bucketRecord?.config.policy, signedBy, 'oss:PutObject', bucket, key);
    if (signer === 'anonymous' && decision !== 'allow') authorize({ accessKeyId: undefined, mode: 'anonymous' }, 'write', bucketRecord);
    // A form signed with a role's STS key is that role's PutObject, held to its policies like a signed PUT (D144).
    if (signedBy !== undefined) checkRamAccess(access, signedBy, 'oss:PutObject', bucket, key);
    let range: { min: number; max: number } | undefined;
    const policyText = field(form, 'policy');
    if (policyText !== undefined) {
      const policy = parsePolicy(policyText);
      if (ctx.now > policy.expiration) throw ossErrors.accessDenied('Invalid according to Policy: Policy expired.');
      const values = new Map(form.fields);
      values.set('bucket', bucket);
      values.set('key', key);
      range = checkConditions(policy, values);
    }
    const status = field(form, 'success_action_status') ?? '204';
    const redirect = redirectTarget(field(form, 'success_action_redirect'));
    // The policy was checked against the fields as sent; the object's headers read them under OSS's names.
    const named = signer === 's3' ? { ...form, fields: ossFormFields(form.fields) } : form;
    const headers = formHeaders(named, ctx, key);
    // Ignored once versioning was enabled, as for PutObject (D156).
    const forbid = field(named, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true' && ctx.runtime.storage.versioningOf(bucket) === undefined;
    if (forbid && ctx.runtime.storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
    const tooLarge = () => new OssError(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size.', { MaxAllowedSize: String(range?.max ?? ctx.runtime.maxObjectBytes) }, range ? '0006-00000004' : undefined);
    const staged = await stageReadable(form.file.stream, {
      tmpDir: ctx.runtime.storage.tmpDir,
      maxBytes: Math.min(ctx.runtime.maxObjectBytes, range?.max ?? Infinity),
      ...(range ? { minBytes: range.min } : {}),
      tooLarge,
      tooSmall: () => new OssError(400, 'EntityTooSmall', 'Your proposed upload is smaller than the minimum allowed size.', { MinSizeAllowed: String(range?.min ?? 0) }, '0006-00000004'),
    });
    const { record } = await ctx.runtime.storage.commitObject(bucket, key, staged, headers, { type: 'Normal', forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:PostObject') });
    const location = `${ctx.runtime.endpoint()}/${bucket}/${encodeURIComponent(key).replace(/%2F/g, '/')}`;
    const resultHeaders = { ETag: quoteEtag(record.etag), Location: location, 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record), ...versionHeaders(record) };
    if (redirect) {
      redirect.searchParams.set('bucket', bucket);
      redirect.searchParams.set('key', key);
      redirect.searchParams.set('etag', quoteEtag(record.etag));
      return sendEmpty(ctx, 303, { ...resultHeaders, Location: redirect.toString() });
    }
    if (status === '201') return sendXml(ctx, 201, 'PostResponse', [['Bucket', bucket], ['Location', location], ['Key', key], ['ETag', quoteEtag(record.etag)]], resultHeaders);
    sendEmpty(ctx, status === '200' ? 200 : 204, resultHeaders);
  } catch (err) {
    // Whatever of the file was not read is discarded, so the error answer can go out.
    form.file.stream.resume();
    throw err;
  }
}
