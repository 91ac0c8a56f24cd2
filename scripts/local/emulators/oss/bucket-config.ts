/**
 * Bucket API: PutBucket, DeleteBucket, GetBucketInfo, GetBucketLocation, GetBucketStat, and the get/put/delete of
 * the bucket configurations the emulator keeps — ACL, CORS, referer, website, lifecycle, tagging, versioning,
 * encryption and policy. Each document is validated (MalformedXML / InvalidArgument naming the element), stored
 * normalised in the bucket row, and returned in the shape OSS returns
 * (https://www.alibabacloud.com/help/en/oss/developer-reference/bucket-operations).
 */
import { parseBucketPolicy } from './bucket-policy';
import { readSmallBody } from './body';
import { bucketOf, headerOf, type RequestContext } from './context';
import { ossErrors } from './errors';
import { isoTime, sendEmpty, sendXml } from './respond';
import { S3_LOCATION_ROOT, aclGrants } from './s3-compat';
import { BUCKET_NAME, STORAGE_CLASSES, type BucketAcl, type BucketConfig, type ObjectRecord, type StorageClass } from './storage';
import { isRecord, parseXmlBody, textOf, type XmlNode } from './xml';

const MAX_CONFIG_BODY_BYTES = 64 * 1024;
export const BUCKET_ACLS: readonly BucketAcl[] = ['private', 'public-read', 'public-read-write'];
const CORS_METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds?: number;
}

export interface CorsConfig {
  rules: CorsRule[];
  responseVary: boolean;
}

export interface RefererConfig {
  allowEmpty: boolean;
  allowTruncateQueryString: boolean;
  truncatePath: boolean;
  referers: string[];
  blacklist: string[];
}

export interface WebsiteConfig {
  indexSuffix?: string;
  supportSubDir: boolean;
  /** IndexDocument.Type: what a missing path without its trailing slash gets, with SupportSubDir (website.ts); 0 when absent. */
  indexType?: 0 | 1 | 2;
  errorKey?: string;
  errorStatus?: number;
  /** Stored and returned as sent; not applied locally. */
  routingRules?: unknown;
}

export interface EncryptionConfig {
  algorithm: 'AES256' | 'KMS' | 'SM4';
  kmsKeyId?: string;
  dataEncryption?: 'SM4';
}

async function readXml(ctx: RequestContext, root: string, lists: string[]): Promise<Record<string, unknown>> {
  const body = await readSmallBody(ctx.req, MAX_CONFIG_BODY_BYTES, headerOf(ctx, 'content-md5'));
  return parseXmlBody(body.toString('utf8'), root, lists);
}

function list(value: unknown): unknown[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

function texts(value: unknown, element: string): string[] {
  return list(value).map((item) => {
    const text = textOf(item);
    if (text === undefined) throw ossErrors.malformedXml(`${element} must be text.`);
    return text.trim();
  });
}

function bool(value: unknown, element: string, fallback: boolean): boolean {
  const text = textOf(value)?.trim().toLowerCase();
  if (text === undefined || text === '') return fallback;
  if (text !== 'true' && text !== 'false') throw ossErrors.malformedXml(`${element} must be true or false.`);
  return text === 'true';
}

function positiveInt(value: string | undefined, element: string): number {
  if (value === undefined || !/^[1-9]\d*$/.test(value.trim())) throw ossErrors.invalidArgument(`${element} must be a positive integer.`, element, value ?? '');
  return Number(value.trim());
}

function ownerNode(ctx: RequestContext): XmlNode {
  return ['Owner', [['ID', ctx.runtime.accountId], ['DisplayName', ctx.runtime.accountId]]];
}

/** A bucket that exists (the router checked) and its stored configuration. */
function configOf(ctx: RequestContext): BucketConfig {
  const bucket = ctx.runtime.storage.getBucket(bucketOf(ctx));
  if (!bucket) throw ossErrors.noSuchBucket(bucketOf(ctx));
  return bucket.config;
}

// ---------------------------------------------------------------------------------------------------------------
// PutBucket / DeleteBucket / GetBucketInfo / GetBucketLocation / GetBucketStat

function aclHeader(ctx: RequestContext): BucketAcl | undefined {
  const acl = headerOf(ctx, 'x-oss-acl');
  if (acl === undefined) return undefined;
  if (!BUCKET_ACLS.includes(acl as BucketAcl)) throw ossErrors.invalidArgument('no such bucket access control exists', 'x-oss-acl', acl);
  return acl as BucketAcl;
}

export async function putBucket(ctx: RequestContext): Promise<void> {
  const name = bucketOf(ctx);
  if (!BUCKET_NAME.test(name)) throw ossErrors.invalidBucketName(name);
  const acl = aclHeader(ctx);
  const body = await readSmallBody(ctx.req, MAX_CONFIG_BODY_BYTES, headerOf(ctx, 'content-md5'));
  let storageClass: StorageClass = 'Standard';
  let dataRedundancyType: 'LRS' | 'ZRS' = 'LRS';
  if (body.length > 0) {
    const doc = parseXmlBody(body.toString('utf8'), 'CreateBucketConfiguration', []);
    const cls = textOf(doc.StorageClass)?.trim();
    if (cls !== undefined) {
      if (!STORAGE_CLASSES.includes(cls as StorageClass)) throw ossErrors.invalidArgument('StorageClass is invalid.', 'StorageClass', cls);
      storageClass = cls as StorageClass;
    }
    const redundancy = textOf(doc.DataRedundancyType)?.trim();
    if (redundancy !== undefined) {
      if (redundancy !== 'LRS' && redundancy !== 'ZRS') throw ossErrors.invalidArgument('DataRedundancyType must be LRS or ZRS.', 'DataRedundancyType', redundancy);
      dataRedundancyType = redundancy;
    }
  }
  const created = await ctx.runtime.storage.createBucket(name, { acl: acl ?? 'private', storageClass, dataRedundancyType });
  if (!created) throw ossErrors.bucketAlreadyExists(name);
  sendEmpty(ctx, 200, { Location: `/${name}` });
}

export async function deleteBucket(ctx: RequestContext): Promise<void> {
  await ctx.runtime.storage.deleteBucket(bucketOf(ctx));
  sendEmpty(ctx, 204);
}

export function getBucketLocation(ctx: RequestContext): void {
  const region = `oss-${ctx.runtime.region}`;
  // S3 clients read a text-only root through its namespace attribute (the AWS SDKs find no value without it).
  if (ctx.s3) return sendXml(ctx, 200, S3_LOCATION_ROOT, region);
  sendXml(ctx, 200, 'LocationConstraint', region);
}

export function getBucketInfo(ctx: RequestContext): void {
  const bucket = ctx.runtime.storage.getBucket(bucketOf(ctx))!;
  const { region } = ctx.runtime;
  const config = bucket.config;
  const encryption = config.encryption as EncryptionConfig | undefined;
  sendXml(ctx, 200, 'BucketInfo', [
    [
      'Bucket',
      [
        ['AccessMonitor', 'Disabled'],
        ['CreationDate', isoTime(bucket.createdAt)],
        ['ExtranetEndpoint', `oss-${region}.aliyuncs.com`],
        ['IntranetEndpoint', `oss-${region}-internal.aliyuncs.com`],
        ['Location', `oss-${region}`],
        ['StorageClass', config.storageClass ?? 'Standard'],
        ['TransferAcceleration', 'Disabled'],
        ['CrossRegionReplication', 'Disabled'],
        ['DataRedundancyType', config.dataRedundancyType ?? 'LRS'],
        ['Name', bucket.name],
        ['ResourceGroupId', 'rg-default'],
        ownerNode(ctx),
        ['AccessControlList', [['Grant', config.acl ?? 'private']]],
        ['Comment', ''],
        ['Versioning', config.versioning],
        [
          'ServerSideEncryptionRule',
          [
            ['SSEAlgorithm', encryption?.algorithm ?? 'None'],
            ['KMSMasterKeyID', encryption?.kmsKeyId],
            ['KMSDataEncryption', encryption?.dataEncryption],
          ],
        ],
        ['BucketPolicy', [['LogBucket', ''], ['LogPrefix', '']]],
      ],
    ],
  ]);
}

export function getBucketStat(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const { storage } = ctx.runtime;
  let objects = 0;
  let bytes = 0;
  const byClass: Record<string, { count: number; bytes: number }> = {};
  let lastModified = 0;
  let deleteMarkers = 0;
  const count = (record: ObjectRecord) => {
    objects++;
    bytes += record.size;
    const cls = record.storageClass ?? 'Standard';
    byClass[cls] ??= { count: 0, bytes: 0 };
    byClass[cls].count++;
    byClass[cls].bytes += record.size;
    lastModified = Math.max(lastModified, record.lastModified);
  };
  for (const record of storage.objectsUnder(bucket, '')) count(record);
  // Previous versions are stored and billed as the current ones are (OSS's versioning overview: "all versions of
  // objects, current and historical, incur storage fees"), so they count in Storage and the object counts; delete
  // markers have no bytes and their own field, DeleteMarkerCount (D156).
  for (const entry of storage.previousVersions(bucket)) {
    if (entry.kind === 'marker') deleteMarkers++;
    else count(entry.record);
  }
  const of = (cls: string) => byClass[cls] ?? { count: 0, bytes: 0 };
  sendXml(ctx, 200, 'BucketStat', [
    ['Storage', bytes],
    ['ObjectCount', objects],
    ['MultipartUploadCount', storage.listUploads(bucket).length],
    ['LiveChannelCount', 0],
    ['DeleteMarkerCount', deleteMarkers],
    ['LastModifiedTime', Math.floor(lastModified / 1000)],
    ['StandardStorage', of('Standard').bytes],
    ['StandardObjectCount', of('Standard').count],
    ['InfrequentAccessStorage', of('IA').bytes],
    ['InfrequentAccessRealStorage', of('IA').bytes],
    ['InfrequentAccessObjectCount', of('IA').count],
    ['ArchiveStorage', of('Archive').bytes],
    ['ArchiveRealStorage', of('Archive').bytes],
    ['ArchiveObjectCount', of('Archive').count],
    ['ColdArchiveStorage', of('ColdArchive').bytes],
    ['ColdArchiveRealStorage', of('ColdArchive').bytes],
    ['ColdArchiveObjectCount', of('ColdArchive').count],
    ['DeepColdArchiveStorage', of('DeepColdArchive').bytes],
    ['DeepColdArchiveRealStorage', of('DeepColdArchive').bytes],
    ['DeepColdArchiveObjectCount', of('DeepColdArchive').count],
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// ACL

export function putBucketAcl(ctx: RequestContext): void {
  const acl = aclHeader(ctx);
  if (acl === undefined) throw ossErrors.missingArgument('x-oss-acl');
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'acl', acl);
  sendEmpty(ctx, 200);
}

export function getBucketAcl(ctx: RequestContext): void {
  sendXml(ctx, 200, 'AccessControlPolicy', aclGrants(ctx.runtime.accountId, configOf(ctx).acl ?? 'private', ctx.s3 !== undefined));
}

// ---------------------------------------------------------------------------------------------------------------
// CORS (applied by cors.ts)

export function parseCors(doc: Record<string, unknown>): CorsConfig {
  const rules = list(doc.CORSRule);
  if (rules.length === 0) throw ossErrors.malformedXml('At least one CORSRule is required.');
  if (rules.length > 10) throw ossErrors.invalidArgument('At most 10 CORSRule elements are allowed.', 'CORSRule', String(rules.length));
  return {
    rules: rules.map((raw) => {
      if (!isRecord(raw)) throw ossErrors.malformedXml('CORSRule must contain elements.');
      const allowedOrigins = texts(raw.AllowedOrigin, 'AllowedOrigin');
      const allowedMethods = texts(raw.AllowedMethod, 'AllowedMethod');
      if (allowedOrigins.length === 0) throw ossErrors.invalidArgument('Every CORSRule needs an AllowedOrigin.', 'AllowedOrigin', '');
      if (allowedMethods.length === 0) throw ossErrors.invalidArgument('Every CORSRule needs an AllowedMethod.', 'AllowedMethod', '');
      for (const origin of allowedOrigins) {
        if ((origin.match(/\*/g) ?? []).length > 1) throw ossErrors.invalidArgument('An AllowedOrigin can contain at most one "*".', 'AllowedOrigin', origin);
      }
      for (const method of allowedMethods) {
        if (!CORS_METHODS.includes(method)) throw ossErrors.invalidArgument(`AllowedMethod must be one of ${CORS_METHODS.join(', ')}.`, 'AllowedMethod', method);
      }
      const allowedHeaders = texts(raw.AllowedHeader, 'AllowedHeader');
      for (const header of allowedHeaders) {
        if ((header.match(/\*/g) ?? []).length > 1) throw ossErrors.invalidArgument('An AllowedHeader can contain at most one "*".', 'AllowedHeader', header);
      }
      const exposeHeaders = texts(raw.ExposeHeader, 'ExposeHeader');
      for (const header of exposeHeaders) {
        if (header.includes('*')) throw ossErrors.invalidArgument('An ExposeHeader cannot contain "*".', 'ExposeHeader', header);
      }
      const maxAge = textOf(raw.MaxAgeSeconds);
      return { allowedOrigins, allowedMethods, allowedHeaders, exposeHeaders, ...(maxAge !== undefined && maxAge.trim() !== '' ? { maxAgeSeconds: positiveInt(maxAge, 'MaxAgeSeconds') } : {}) };
    }),
    responseVary: bool(doc.ResponseVary, 'ResponseVary', false),
  };
}

export async function putBucketCors(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'CORSConfiguration', ['CORSRule', 'AllowedOrigin', 'AllowedMethod', 'AllowedHeader', 'ExposeHeader']);
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'cors', parseCors(doc));
  sendEmpty(ctx, 200);
}

export function getBucketCors(ctx: RequestContext): void {
  const cors = configOf(ctx).cors as CorsConfig | undefined;
  if (!cors) throw ossErrors.noSuchConfiguration('NoSuchCORSConfiguration', 'The CORS Configuration does not exist.');
  sendXml(ctx, 200, 'CORSConfiguration', [
    ...cors.rules.map((rule): XmlNode => [
      'CORSRule',
      [
        ...rule.allowedOrigins.map((v): XmlNode => ['AllowedOrigin', v]),
        ...rule.allowedMethods.map((v): XmlNode => ['AllowedMethod', v]),
        ...rule.allowedHeaders.map((v): XmlNode => ['AllowedHeader', v]),
        ...rule.exposeHeaders.map((v): XmlNode => ['ExposeHeader', v]),
        ['MaxAgeSeconds', rule.maxAgeSeconds],
      ],
    ]),
    ['ResponseVary', cors.responseVary],
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Referer (applied by access.ts)

export const DEFAULT_REFERER: RefererConfig = { allowEmpty: true, allowTruncateQueryString: true, truncatePath: false, referers: [], blacklist: [] };

export async function putBucketReferer(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'RefererConfiguration', ['Referer']);
  if (doc.AllowEmptyReferer === undefined) throw ossErrors.malformedXml('AllowEmptyReferer is required.');
  const referers = isRecord(doc.RefererList) ? texts(doc.RefererList.Referer, 'Referer') : [];
  const blacklist = isRecord(doc.RefererBlacklist) ? texts(doc.RefererBlacklist.Referer, 'Referer') : [];
  const config: RefererConfig = {
    allowEmpty: bool(doc.AllowEmptyReferer, 'AllowEmptyReferer', true),
    allowTruncateQueryString: bool(doc.AllowTruncateQueryString, 'AllowTruncateQueryString', true),
    truncatePath: bool(doc.TruncatePath, 'TruncatePath', false),
    referers: referers.filter(Boolean),
    blacklist: blacklist.filter(Boolean),
  };
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'referer', config);
  sendEmpty(ctx, 200);
}

export function getBucketReferer(ctx: RequestContext): void {
  const config = (configOf(ctx).referer as RefererConfig | undefined) ?? DEFAULT_REFERER;
  sendXml(ctx, 200, 'RefererConfiguration', [
    ['AllowEmptyReferer', config.allowEmpty],
    ['AllowTruncateQueryString', config.allowTruncateQueryString],
    ['TruncatePath', config.truncatePath],
    ['RefererList', config.referers.map((r): XmlNode => ['Referer', r])],
    ['RefererBlacklist', config.blacklist.length > 0 ? config.blacklist.map((r): XmlNode => ['Referer', r]) : undefined],
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Website (index and error documents applied to anonymous reads by website.ts)

export async function putBucketWebsite(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'WebsiteConfiguration', ['RoutingRule']);
  const index = isRecord(doc.IndexDocument) ? doc.IndexDocument : undefined;
  const error = isRecord(doc.ErrorDocument) ? doc.ErrorDocument : undefined;
  if (!index && !error && doc.RoutingRules === undefined) throw ossErrors.malformedXml('IndexDocument, ErrorDocument or RoutingRules is required.');
  // Routing rules (redirects, mirroring back to origin) would be answered 200 and then never applied: refused (D155).
  if (doc.RoutingRules !== undefined) throw ossErrors.notImplemented('Website routing rules (RoutingRules in PutBucketWebsite)');
  const suffix = index ? textOf(index.Suffix)?.trim() : undefined;
  if (index && !suffix) throw ossErrors.invalidArgument('IndexDocument needs a Suffix.', 'Suffix', '');
  if (suffix?.includes('/')) throw ossErrors.invalidArgument('The index document suffix cannot contain "/".', 'Suffix', suffix);
  const type = index ? textOf(index.Type)?.trim() : undefined;
  if (type !== undefined && type !== '' && !['0', '1', '2'].includes(type)) throw ossErrors.invalidArgument('IndexDocument Type must be 0, 1 or 2.', 'Type', type);
  const errorKey = error ? textOf(error.Key)?.trim() : undefined;
  if (error && !errorKey) throw ossErrors.invalidArgument('ErrorDocument needs a Key.', 'Key', '');
  const status = error ? textOf(error.HttpStatus)?.trim() : undefined;
  if (status !== undefined && status !== '' && status !== '200' && status !== '404') throw ossErrors.invalidArgument('HttpStatus must be 200 or 404.', 'HttpStatus', status);
  const config: WebsiteConfig = {
    ...(suffix ? { indexSuffix: suffix } : {}),
    supportSubDir: index ? bool(index.SupportSubDir, 'SupportSubDir', false) : false,
    ...(type ? { indexType: Number(type) as 0 | 1 | 2 } : {}),
    ...(errorKey ? { errorKey } : {}),
    ...(status ? { errorStatus: Number(status) } : {}),
    };
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'website', config);
  sendEmpty(ctx, 200);
}

export function getBucketWebsite(ctx: RequestContext): void {
  const config = configOf(ctx).website as WebsiteConfig | undefined;
  if (!config) throw ossErrors.noSuchConfiguration('NoSuchWebsiteConfiguration', 'The specified bucket does not have a website configuration.');
  sendXml(ctx, 200, 'WebsiteConfiguration', [
    ['IndexDocument', config.indexSuffix ? [['Suffix', config.indexSuffix], ['SupportSubDir', config.supportSubDir], ['Type', config.indexType ?? 0]] : undefined],
    ['ErrorDocument', config.errorKey ? [['Key', config.errorKey], ['HttpStatus', config.errorStatus]] : undefined],
    ['RoutingRules', config.routingRules === undefined ? undefined : toNodes(config.routingRules)],
  ]);
}

/** A parsed XML value back into nodes (arrays repeat their element), for documents stored as sent. */
export function toNodes(value: unknown): XmlNode[] | string {
  if (!isRecord(value)) return textOf(value) ?? '';
  const nodes: XmlNode[] = [];
  for (const [name, child] of Object.entries(value)) {
    for (const item of Array.isArray(child) ? child : [child]) nodes.push([name, toNodes(item)]);
  }
  return nodes;
}

// ---------------------------------------------------------------------------------------------------------------
// Lifecycle (applied by lifecycle.ts)

export interface LifecycleAction {
  days?: number;
  /** Epoch ms of `CreatedBeforeDate` (midnight UTC). */
  createdBefore?: number;
}

export interface LifecycleRule {
  id: string;
  prefix: string;
  enabled: boolean;
  tags: Record<string, string>;
  expiration?: LifecycleAction & { expiredObjectDeleteMarker?: boolean };
  transitions: Array<LifecycleAction & { storageClass: StorageClass }>;
  abortMultipartUpload?: LifecycleAction;
  /** NoncurrentVersionExpiration as sent (returned by GetBucketLifecycle as it came). */
  noncurrent?: unknown;
  /** NoncurrentVersionExpiration/NoncurrentDays: previous versions go that many days after they stopped being current (D156). */
  noncurrentDays?: number;
  /** NoncurrentVersionTransition: previous versions move to a colder class that many days after they stopped being current. */
  noncurrentTransitions?: Array<{ days: number; storageClass: StorageClass }>;
}

function lifecycleAction(raw: unknown, element: string): LifecycleAction {
  if (!isRecord(raw)) throw ossErrors.malformedXml(`${element} must contain Days or CreatedBeforeDate.`);
  const days = textOf(raw.Days);
  const date = textOf(raw.CreatedBeforeDate)?.trim();
  if ((days === undefined) === (date === undefined)) throw ossErrors.invalidArgument(`${element} needs exactly one of Days and CreatedBeforeDate.`, element, '');
  if (days !== undefined) return { days: positiveInt(days, `${element}.Days`) };
  if (!/^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/.test(date!)) {
    throw ossErrors.invalidArgument(`${element}.CreatedBeforeDate must be an ISO 8601 date at midnight UTC, e.g. 2026-01-01T00:00:00.000Z.`, `${element}.CreatedBeforeDate`, date!);
  }
  return { createdBefore: Date.parse(date!) };
}

/** Tag elements as key/value pairs, in order (what they may hold is the caller's rule). */
export function tagPairs(raw: unknown): [string, string][] {
  return list(raw).map((tag) => {
    if (!isRecord(tag)) throw ossErrors.malformedXml('Tag must contain Key and Value.');
    return [textOf(tag.Key) ?? '', textOf(tag.Value) ?? ''];
  });
}

/**
 * Tag elements as a map. A key given twice is refused, not collapsed to its last value: OSS refuses it with
 * `duplicateEc` (0010-00000210 in a TagSet, 0014-00000029 in a lifecycle rule).
 */
function tagsOf(raw: unknown, duplicateEc: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (const [key, value] of tagPairs(raw)) {
    if (!key) throw ossErrors.invalidArgument('Tag Key must not be empty.', 'Key', '');
    if (Object.hasOwn(tags, key)) throw ossErrors.invalidArgument(`Tag Key "${key}" is given more than once; tag keys must be unique.`, 'Key', key, duplicateEc);
    tags[key] = value;
  }
  return tags;
}

export function parseLifecycle(doc: Record<string, unknown>, newId: () => string): LifecycleRule[] {
  const rules = list(doc.Rule);
  if (rules.length === 0) throw ossErrors.malformedXml('At least one Rule is required.');
  if (rules.length > 1000) throw ossErrors.invalidArgument('At most 1000 lifecycle rules are allowed.', 'Rule', String(rules.length));
  const ids = new Set<string>();
  return rules.map((raw) => {
    if (!isRecord(raw)) throw ossErrors.malformedXml('Rule must contain elements.');
    const id = textOf(raw.ID)?.trim() || newId();
    if (Buffer.byteLength(id) > 255) throw ossErrors.invalidArgument('A rule ID is at most 255 bytes.', 'ID', id);
    if (ids.has(id)) throw ossErrors.invalidArgument('Rule IDs must be unique.', 'ID', id);
    ids.add(id);
    const status = textOf(raw.Status)?.trim();
    if (status !== 'Enabled' && status !== 'Disabled') throw ossErrors.malformedXml('Status must be Enabled or Disabled.');
    const filter = isRecord(raw.Filter) ? raw.Filter : undefined;
    if (filter && filter.Not !== undefined) throw ossErrors.notImplemented('Lifecycle rule filters with Not');
    // Filters the rules would not apply (S3's And/Tag/size filters among them) must not widen a rule to every object.
    const unknownFilter = filter ? Object.keys(filter).find((name) => name !== 'Prefix' && name !== 'Not') : undefined;
    if (unknownFilter) throw ossErrors.notImplemented(`Lifecycle rule filters with ${unknownFilter}`);
    const prefix = textOf(raw.Prefix) ?? (filter ? textOf(filter.Prefix) : undefined) ?? '';
    const rule: LifecycleRule = { id, prefix, enabled: status === 'Enabled', tags: tagsOf(raw.Tag, '0014-00000029'), transitions: [] };
    if (raw.Expiration !== undefined) {
      const expiration = isRecord(raw.Expiration) ? raw.Expiration : {};
      if (expiration.ExpiredObjectDeleteMarker !== undefined) rule.expiration = { expiredObjectDeleteMarker: bool(expiration.ExpiredObjectDeleteMarker, 'ExpiredObjectDeleteMarker', false) };
      else rule.expiration = lifecycleAction(raw.Expiration, 'Expiration');
    }
    for (const transition of list(raw.Transition)) {
      const cls = isRecord(transition) ? textOf(transition.StorageClass)?.trim() : undefined;
      if (cls !== 'IA' && cls !== 'Archive' && cls !== 'ColdArchive' && cls !== 'DeepColdArchive') {
        throw ossErrors.invalidArgument('Transition StorageClass must be IA, Archive, ColdArchive or DeepColdArchive.', 'StorageClass', cls ?? '');
      }
      if (isRecord(transition) && transition.IsAccessTime !== undefined && bool(transition.IsAccessTime, 'IsAccessTime', false)) {
        throw ossErrors.notImplemented('Lifecycle transitions by last access time (IsAccessTime)');
      }
      rule.transitions.push({ ...lifecycleAction(transition, 'Transition'), storageClass: cls });
    }
    if (raw.AbortMultipartUpload !== undefined) {
      if (Object.keys(rule.tags).length > 0) throw ossErrors.invalidArgument('Tag cannot be used with AbortMultipartUpload.', 'Tag', '');
      rule.abortMultipartUpload = lifecycleAction(raw.AbortMultipartUpload, 'AbortMultipartUpload');
    }
    // D156: previous versions are kept now, so noncurrent rules are applied (stored only before, a wrong success).
    const noncurrent: Record<string, unknown> = {};
    if (raw.NoncurrentVersionExpiration !== undefined) {
      const element = isRecord(raw.NoncurrentVersionExpiration) ? raw.NoncurrentVersionExpiration : {};
      rule.noncurrentDays = positiveInt(textOf(element.NoncurrentDays), 'NoncurrentVersionExpiration.NoncurrentDays');
      noncurrent.NoncurrentVersionExpiration = { NoncurrentDays: String(rule.noncurrentDays) };
    }
    for (const transition of list(raw.NoncurrentVersionTransition)) {
      const element = isRecord(transition) ? transition : {};
      const cls = textOf(element.StorageClass)?.trim();
      if (cls !== 'IA' && cls !== 'Archive' && cls !== 'ColdArchive' && cls !== 'DeepColdArchive') {
        throw ossErrors.invalidArgument('NoncurrentVersionTransition StorageClass must be IA, Archive, ColdArchive or DeepColdArchive.', 'StorageClass', cls ?? '');
      }
      if (element.IsAccessTime !== undefined && bool(element.IsAccessTime, 'IsAccessTime', false)) {
        throw ossErrors.notImplemented('Lifecycle transitions by last access time (IsAccessTime)');
      }
      const days = positiveInt(textOf(element.NoncurrentDays), 'NoncurrentVersionTransition.NoncurrentDays');
      (rule.noncurrentTransitions ??= []).push({ days, storageClass: cls });
      ((noncurrent.NoncurrentVersionTransition ??= []) as unknown[]).push({ NoncurrentDays: String(days), StorageClass: cls });
    }
    if (Object.keys(noncurrent).length > 0) rule.noncurrent = noncurrent;
    if (!rule.expiration && rule.transitions.length === 0 && !rule.abortMultipartUpload && !rule.noncurrent) {
      throw ossErrors.malformedXml('A Rule needs Expiration, Transition, AbortMultipartUpload or a NoncurrentVersion action.');
    }
    return rule;
  });
}

/**
 * OSS refuses rules whose prefixes overlap (one starts with the other) unless the caller sends
 * `x-oss-allow-same-action-overlap: true`: the same prefix twice (error centre 0014-00000085), both expiring, both
 * aborting uploads or both expiring previous versions (0014-00000084), both moving to the same class
 * (0014-00000079). Rules with tags are left out: the error centre shows the refusals for rules without tags only.
 */
function checkRuleOverlaps(rules: LifecycleRule[]): void {
  const untagged = rules.filter((rule) => Object.keys(rule.tags).length === 0);
  for (const [i, a] of untagged.entries()) {
    for (const b of untagged.slice(i + 1)) {
      const pair = `rules "${a.id}" ("${a.prefix}") and "${b.id}" ("${b.prefix}")`;
      if (a.prefix === b.prefix) throw ossErrors.invalidArgument(`Lifecycle ${pair} have the same prefix.`, 'Prefix', b.prefix, '0014-00000085');
      if (!a.prefix.startsWith(b.prefix) && !b.prefix.startsWith(a.prefix)) continue;
      const both = (has: (rule: LifecycleRule) => boolean) => has(a) && has(b);
      if (both((r) => r.expiration !== undefined) || both((r) => r.abortMultipartUpload !== undefined) || both((r) => r.noncurrentDays !== undefined)) {
        throw ossErrors.invalidArgument(`Lifecycle ${pair} overlap with the same action (send x-oss-allow-same-action-overlap: true to allow it).`, 'Prefix', b.prefix, '0014-00000084');
      }
      if (a.transitions.some((t) => b.transitions.some((u) => u.storageClass === t.storageClass))) {
        throw ossErrors.invalidArgument(`Lifecycle ${pair} overlap and move objects to the same storage class.`, 'Prefix', b.prefix, '0014-00000079');
      }
    }
  }
}

export async function putBucketLifecycle(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'LifecycleConfiguration', ['Rule', 'Tag', 'Transition', 'NoncurrentVersionTransition']);
  let n = 0;
  const rules = parseLifecycle(doc, () => `rule-${ctx.requestId.toLowerCase()}-${++n}`);
  const allowOverlap = headerOf(ctx, 'x-oss-allow-same-action-overlap');
  if (allowOverlap !== undefined && allowOverlap !== 'true' && allowOverlap !== 'false') {
    throw ossErrors.invalidArgument('x-oss-allow-same-action-overlap must be true or false.', 'x-oss-allow-same-action-overlap', allowOverlap);
  }
  if (allowOverlap !== 'true') checkRuleOverlaps(rules);
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'lifecycle', rules);
  sendEmpty(ctx, 200);
}

function actionNodes(action: LifecycleAction): XmlNode[] {
  return [
    ['Days', action.days],
    ['CreatedBeforeDate', action.createdBefore === undefined ? undefined : new Date(action.createdBefore).toISOString()],
  ];
}

export function getBucketLifecycle(ctx: RequestContext): void {
  const rules = configOf(ctx).lifecycle as LifecycleRule[] | undefined;
  if (!rules) throw ossErrors.noSuchConfiguration('NoSuchLifecycle', 'No Row found in Lifecycle Table.');
  sendXml(
    ctx,
    200,
    'LifecycleConfiguration',
    rules.map((rule): XmlNode => [
      'Rule',
      [
        ['ID', rule.id],
        ['Prefix', rule.prefix],
        ...Object.entries(rule.tags).map(([Key, Value]): XmlNode => ['Tag', [['Key', Key], ['Value', Value]]]),
        ['Status', rule.enabled ? 'Enabled' : 'Disabled'],
        [
          'Expiration',
          rule.expiration === undefined
            ? undefined
            : rule.expiration.expiredObjectDeleteMarker !== undefined
              ? [['ExpiredObjectDeleteMarker', rule.expiration.expiredObjectDeleteMarker]]
              : actionNodes(rule.expiration),
        ],
        ...rule.transitions.map((t): XmlNode => ['Transition', [...actionNodes(t), ['StorageClass', t.storageClass]]]),
        ['AbortMultipartUpload', rule.abortMultipartUpload ? actionNodes(rule.abortMultipartUpload) : undefined],
        ...(rule.noncurrent === undefined ? [] : (toNodes(rule.noncurrent) as XmlNode[])),
      ],
    ]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Tagging

/** The Tag elements of a `<Tagging><TagSet>` document (an absent or empty TagSet has none). */
export function tagSetOf(doc: Record<string, unknown>): unknown {
  const set = doc.TagSet;
  if (set !== undefined && set !== '' && !isRecord(set)) throw ossErrors.malformedXml('TagSet must contain Tag elements.');
  return isRecord(set) ? set.Tag : undefined;
}

export function tagSetNodes(tags: Record<string, string>): XmlNode[] {
  return [['TagSet', Object.entries(tags).map(([Key, Value]): XmlNode => ['Tag', [['Key', Key], ['Value', Value]]])]];
}

/**
 * Bucket tags are stricter than object ones (error centre 0010-00000219, and ali-oss checks the same): keys of at
 * most 64 bytes without the reserved prefixes, values of at most 128 bytes.
 */
function checkBucketTags(tags: Record<string, string>): void {
  for (const [key, value] of Object.entries(tags)) {
    if (Buffer.byteLength(key) > 64) throw ossErrors.invalidArgument('A bucket tag key is at most 64 bytes.', 'Key', key, '0010-00000219');
    if (/^(https?:\/\/|Aliyun)/.test(key)) throw ossErrors.invalidArgument('A bucket tag key must not start with http://, https:// or Aliyun.', 'Key', key, '0010-00000219');
    if (Buffer.byteLength(value) > 128) throw ossErrors.invalidArgument('A bucket tag value is at most 128 bytes.', 'Value', value, '0010-00000219');
  }
}

export async function putBucketTagging(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'Tagging', ['Tag']);
  const tags = tagsOf(tagSetOf(doc), '0010-00000210');
  const count = Object.keys(tags).length;
  if (count > 20) throw ossErrors.invalidArgument('At most 20 tags are allowed on a bucket.', 'Tag', String(count));
  checkBucketTags(tags);
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'tagging', tags);
  sendEmpty(ctx, 200);
}

export function getBucketTagging(ctx: RequestContext): void {
  sendXml(ctx, 200, 'Tagging', tagSetNodes(configOf(ctx).tagging ?? {}));
}

export function deleteBucketTagging(ctx: RequestContext): void {
  const keys = ctx.params.get('tagging');
  const bucket = bucketOf(ctx);
  if (keys) {
    // DeleteBucketTags with `?tagging=k1,k2` removes only those keys.
    const remove = new Set(keys.split(','));
    const kept = Object.fromEntries(Object.entries(configOf(ctx).tagging ?? {}).filter(([key]) => !remove.has(key)));
    ctx.runtime.storage.setBucketConfig(bucket, 'tagging', kept);
  } else {
    ctx.runtime.storage.setBucketConfig(bucket, 'tagging', undefined);
  }
  sendEmpty(ctx, 204);
}

// ---------------------------------------------------------------------------------------------------------------
// Versioning (D156): Enabled keeps every version of every write and turns deletes into delete markers; Suspended
// writes the `null` version (storage.ts). A bucket never enabled cannot be Suspended, and none goes back to never.

export async function putBucketVersioning(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'VersioningConfiguration', []);
  const status = textOf(doc.Status)?.trim();
  if (status !== 'Enabled' && status !== 'Suspended') throw ossErrors.malformedXml('Status must be Enabled or Suspended.');
  const bucket = bucketOf(ctx);
  if (status === 'Suspended' && configOf(ctx).versioning === undefined) {
    // OSS: a bucket that never had versioning stays unversioned; Suspended is only a state after Enabled.
    throw ossErrors.invalidArgument('Versioning can only be suspended on a bucket where it was enabled.', 'Status', status);
  }
  ctx.runtime.storage.setBucketConfig(bucket, 'versioning', status);
  sendEmpty(ctx, 200);
}

export function getBucketVersioning(ctx: RequestContext): void {
  sendXml(ctx, 200, 'VersioningConfiguration', [['Status', configOf(ctx).versioning]]);
}

// ---------------------------------------------------------------------------------------------------------------
// Encryption (the default applied to new objects by object-ops.ts)

export async function putBucketEncryption(ctx: RequestContext): Promise<void> {
  const doc = await readXml(ctx, 'ServerSideEncryptionRule', []);
  const rule = isRecord(doc.ApplyServerSideEncryptionByDefault) ? doc.ApplyServerSideEncryptionByDefault : undefined;
  if (!rule) throw ossErrors.malformedXml('ApplyServerSideEncryptionByDefault is required.');
  const algorithm = textOf(rule.SSEAlgorithm)?.trim();
  if (algorithm !== 'AES256' && algorithm !== 'KMS' && algorithm !== 'SM4') throw ossErrors.invalidArgument('SSEAlgorithm must be AES256, KMS or SM4.', 'SSEAlgorithm', algorithm ?? '');
  const kmsKeyId = textOf(rule.KMSMasterKeyID)?.trim();
  if (kmsKeyId && algorithm !== 'KMS') throw ossErrors.invalidArgument('KMSMasterKeyID can only be set with SSEAlgorithm KMS.', 'KMSMasterKeyID', kmsKeyId);
  const data = textOf(rule.KMSDataEncryption)?.trim();
  if (data && data !== 'SM4') throw ossErrors.invalidArgument('KMSDataEncryption must be SM4.', 'KMSDataEncryption', data);
  const config: EncryptionConfig = { algorithm, ...(kmsKeyId ? { kmsKeyId } : {}), ...(data === 'SM4' ? { dataEncryption: 'SM4' as const } : {}) };
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'encryption', config);
  sendEmpty(ctx, 200);
}

export function getBucketEncryption(ctx: RequestContext): void {
  const config = configOf(ctx).encryption as EncryptionConfig | undefined;
  if (!config) throw ossErrors.noSuchConfiguration('NoSuchServerSideEncryptionRule', 'The server side encryption configuration was not found.');
  sendXml(ctx, 200, 'ServerSideEncryptionRule', [
    [
      'ApplyServerSideEncryptionByDefault',
      [
        ['SSEAlgorithm', config.algorithm],
        ['KMSMasterKeyID', config.algorithm === 'KMS' ? (config.kmsKeyId ?? '') : undefined],
        ['KMSDataEncryption', config.dataEncryption],
      ],
    ],
  ]);
}

// ---------------------------------------------------------------------------------------------------------------
// Policy (stored, returned, and applied to every request by server.ts through bucket-policy.ts)

export async function putBucketPolicy(ctx: RequestContext): Promise<void> {
  const body = await readSmallBody(ctx.req, 16 * 1024, headerOf(ctx, 'content-md5'));
  // Checked as it will be applied (bucket-policy.ts): what cannot be applied is refused now, not ignored later.
  parseBucketPolicy(body.toString('utf8'));
  ctx.runtime.storage.setBucketConfig(bucketOf(ctx), 'policy', body.toString('utf8'));
  sendEmpty(ctx, 200);
}

export function getBucketPolicy(ctx: RequestContext): void {
  const policy = configOf(ctx).policy;
  if (policy === undefined) throw ossErrors.noSuchConfiguration('NoSuchBucketPolicy', 'The bucket policy does not exist.');
  const body = Buffer.from(policy);
  ctx.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': body.length });
  ctx.res.end(body);
}

/** The DELETE of a stored configuration: 204 whether or not there was one. */
export function deleteBucketConfig(key: 'cors' | 'website' | 'lifecycle' | 'encryption' | 'policy'): (ctx: RequestContext) => void {
  return (ctx) => {
    ctx.runtime.storage.setBucketConfig(bucketOf(ctx), key, undefined);
    sendEmpty(ctx, 204);
  };
}
