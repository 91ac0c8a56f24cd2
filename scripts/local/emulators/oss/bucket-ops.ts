/**
 * Service- and bucket-level operations: ListBuckets, ListObjects (V1), ListObjectsV2, DeleteMultipleObjects.
 * Response shapes follow the OSS API reference (listobjectsv2, listobjects, deletemultipleobjects, listbuckets)
 * and what ali-oss `listV2` / `list` / `deleteMulti` / `listBuckets` read from them.
 */
import { readSmallBody } from './body';
import { bucketOf, eventOf, headerOf, type RequestContext } from './context';
import { ossErrors } from './errors';
import { decodeToken, encodeToken, listPage, type Cursor, type ListResult } from './listing';
import { isoTime, quoteEtag, sendXml } from './respond';
import { storageClassFor } from './s3-compat';
import type { ObjectRecord } from './storage';
import { isRecord, parseXmlBody, textOf, type XmlNode } from './xml';

const MAX_LIST_KEYS = 1000;
const MAX_DELETE_KEYS = 1000;
const MAX_DELETE_BODY_BYTES = 2 * 1024 * 1024;

export function maxKeysParam(ctx: RequestContext): number {
  const raw = ctx.params.get('max-keys');
  if (raw === undefined || raw === '') return 100;
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value >= 0 && value <= MAX_LIST_KEYS)) throw ossErrors.invalidArgument(`max-keys must be an integer between 0 and ${MAX_LIST_KEYS}.`, 'max-keys', raw);
  return value;
}

export function encodingParam(ctx: RequestContext): ((text: string) => string) | undefined {
  const raw = ctx.params.get('encoding-type');
  if (raw === undefined || raw === '') return undefined;
  if (raw !== 'url') throw ossErrors.invalidArgument('encoding-type must be url.', 'encoding-type', raw);
  return encodeURIComponent;
}

function listArgs(ctx: RequestContext): { prefix: string; delimiter: string; maxKeys: number; encode: (text: string) => string; encoded: boolean } {
  const prefix = ctx.params.get('prefix') ?? '';
  if (Buffer.byteLength(prefix) > 1023) throw ossErrors.invalidArgument('prefix must be at most 1023 bytes.', 'prefix', prefix);
  const encode = encodingParam(ctx);
  return { prefix, delimiter: ctx.params.get('delimiter') ?? '', maxKeys: maxKeysParam(ctx), encode: encode ?? ((text) => text), encoded: encode !== undefined };
}

export function ownerNode(ctx: RequestContext): XmlNode {
  return ['Owner', [['ID', ctx.runtime.accountId], ['DisplayName', ctx.runtime.accountId]]];
}

function contentsNodes(ctx: RequestContext, page: ListResult, encode: (text: string) => string, withOwner: boolean): XmlNode[] {
  const objects = page.objects.map((record: ObjectRecord): XmlNode => [
    'Contents',
    [
      ['Key', encode(record.key)],
      ['LastModified', isoTime(record.lastModified)],
      ['ETag', quoteEtag(record.etag)],
      ['Type', record.type],
      ['Size', record.size],
      ['StorageClass', storageClassFor(ctx, record.storageClass ?? 'Standard')],
      withOwner ? ownerNode(ctx) : ['Owner', undefined],
    ],
  ]);
  const prefixes = page.prefixes.map((prefix): XmlNode => ['CommonPrefixes', [['Prefix', encode(prefix)]]]);
  return [...objects, ...prefixes];
}

export function listObjectsV2(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const listType = ctx.params.get('list-type');
  if (listType !== '2') throw ossErrors.invalidArgument('list-type must be 2.', 'list-type', listType);
  const { prefix, delimiter, maxKeys, encode, encoded } = listArgs(ctx);
  const token = ctx.params.get('continuation-token');
  const startAfter = ctx.params.get('start-after');
  let after: Cursor | undefined;
  if (token) {
    after = decodeToken(token);
    if (!after) throw ossErrors.invalidArgument('The continuation token provided is incorrect.', 'continuation-token', token);
  } else if (startAfter) {
    after = { key: startAfter, inclusive: false };
  }
  const storage = ctx.runtime.storage;
  const page = listPage((from, inclusive) => storage.nextObject(bucket, from, inclusive), { prefix, delimiter, maxKeys, after });
  sendXml(ctx, 200, 'ListBucketResult', [
    ['Name', bucket],
    ['Prefix', encode(prefix)],
    ['StartAfter', startAfter ? encode(startAfter) : undefined],
    ['MaxKeys', maxKeys],
    ['Delimiter', encode(delimiter)],
    ['IsTruncated', page.truncated],
    ['EncodingType', encoded ? 'url' : undefined],
    ['ContinuationToken', token || undefined],
    ['NextContinuationToken', page.truncated && page.next ? encodeToken(page.next) : undefined],
    ...contentsNodes(ctx, page, encode, ctx.params.get('fetch-owner') === 'true'),
    ['KeyCount', page.objects.length + page.prefixes.length],
  ]);
}

/** ListObjects (V1, `GET /<bucket>`): `marker` instead of tokens; Owner always included. */
export function listObjectsV1(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const { prefix, delimiter, maxKeys, encode, encoded } = listArgs(ctx);
  const marker = ctx.params.get('marker') ?? '';
  const storage = ctx.runtime.storage;
  const page = listPage((from, inclusive) => storage.nextObject(bucket, from, inclusive), {
    prefix,
    delimiter,
    maxKeys,
    after: marker ? { key: marker, inclusive: false } : undefined,
  });
  sendXml(ctx, 200, 'ListBucketResult', [
    ['Name', bucket],
    ['Prefix', encode(prefix)],
    ['Marker', encode(marker)],
    ['MaxKeys', maxKeys],
    ['Delimiter', encode(delimiter)],
    ['EncodingType', encoded ? 'url' : undefined],
    ['IsTruncated', page.truncated],
    ['NextMarker', page.truncated && page.lastEntry !== undefined ? encode(page.lastEntry) : undefined],
    ...contentsNodes(ctx, page, encode, true),
  ]);
}

/** ListBuckets' page size when the request gives none (the API reference and ali-oss's README: 100). */
const DEFAULT_BUCKET_PAGE = 100;
/** The one resource group every local bucket is in (GetBucketInfo's `ResourceGroupId`), and the docs' alias for it. */
const DEFAULT_RESOURCE_GROUPS = new Set(['', 'rg-default', 'rg-default-id']);

/**
 * The buckets a ListBuckets request selects besides prefix and marker (D155): `tag-key` (and `tag-value`) keep the
 * buckets with that tag, as the SDKs' "list buckets by tag" sends them; `x-oss-resource-group-id` keeps a resource
 * group's — every local bucket is in the default group, so another group lists none.
 */
function bucketSelector(ctx: RequestContext): (bucket: { config: { tagging?: Record<string, string> } }) => boolean {
  const tagKey = ctx.params.get('tag-key');
  const tagValue = ctx.params.get('tag-value');
  if (tagValue !== undefined && !tagKey) throw ossErrors.invalidArgument('tag-value needs a tag-key.', 'tag-value', tagValue);
  const group = headerOf(ctx, 'x-oss-resource-group-id');
  if (group !== undefined && group !== '' && !group.startsWith('rg-')) {
    throw ossErrors.invalidArgument('The resource group id must start with rg-.', 'x-oss-resource-group-id', group, '0017-00000138');
  }
  const inGroup = group === undefined || DEFAULT_RESOURCE_GROUPS.has(group);
  return (bucket) => {
    if (!inGroup) return false;
    if (!tagKey) return true;
    const tags = bucket.config.tagging ?? {};
    return Object.hasOwn(tags, tagKey) && (tagValue === undefined || tags[tagKey] === tagValue);
  };
}

/** ListBuckets (`GET /`): with `prefix`, `marker`, `max-keys` (1–1000, default 100) and the selectors above. */
export function listBuckets(ctx: RequestContext): void {
  const { region } = ctx.runtime;
  const prefix = ctx.params.get('prefix') ?? '';
  const marker = ctx.params.get('marker') ?? '';
  const rawMax = ctx.params.get('max-keys');
  if (rawMax !== undefined && rawMax !== '' && !(/^\d+$/.test(rawMax) && Number(rawMax) >= 1 && Number(rawMax) <= MAX_LIST_KEYS)) {
    throw ossErrors.invalidArgument(`max-keys must be an integer between 1 and ${MAX_LIST_KEYS}.`, 'max-keys', rawMax);
  }
  const maxKeys = rawMax ? Number(rawMax) : DEFAULT_BUCKET_PAGE;
  const selected = bucketSelector(ctx);
  const matching = ctx.runtime.storage.listBuckets().filter((bucket) => bucket.name.startsWith(prefix) && bucket.name > marker && selected(bucket));
  const page = matching.slice(0, maxKeys);
  const truncated = matching.length > page.length;
  sendXml(ctx, 200, 'ListAllMyBucketsResult', [
    ['Prefix', prefix || undefined],
    ['Marker', marker || undefined],
    ['MaxKeys', rawMax || truncated ? maxKeys : undefined],
    ['IsTruncated', truncated ? true : undefined],
    ['NextMarker', truncated ? page.at(-1)?.name : undefined],
    ownerNode(ctx),
    [
      'Buckets',
      page.map((bucket): XmlNode => [
        'Bucket',
        [
          ['CreationDate', isoTime(bucket.createdAt)],
          ['ExtranetEndpoint', `oss-${region}.aliyuncs.com`],
          ['IntranetEndpoint', `oss-${region}-internal.aliyuncs.com`],
          ['Location', `oss-${region}`],
          ['Name', bucket.name],
          ['Region', region],
          ['StorageClass', bucket.config.storageClass ?? 'Standard'],
        ],
      ]),
    ],
  ]);
}

/** Parses `<Delete><Quiet/><Object><Key/><VersionId/></Object>…</Delete>`; 1–1000 objects. */
export function parseDeleteRequest(xml: string): { quiet: boolean; objects: Array<{ key: string; versionId?: string }> } {
  const body = parseXmlBody(xml, 'Delete');
  const quietText = textOf(body.Quiet)?.trim().toLowerCase();
  if (quietText !== undefined && quietText !== 'true' && quietText !== 'false') throw ossErrors.malformedXml('Quiet must be true or false.');
  const objects = body.Object;
  if (!Array.isArray(objects) || objects.length === 0) throw ossErrors.malformedXml('At least one Object is required.');
  if (objects.length > MAX_DELETE_KEYS) throw ossErrors.malformedXml(`At most ${MAX_DELETE_KEYS} objects can be deleted in one request.`);
  const parsed = objects.map((object: unknown) => {
    const key = isRecord(object) ? textOf(object.Key) : undefined;
    if (!key) throw ossErrors.malformedXml('Every Object needs a non-empty Key.');
    if (!isRecord(object) || object.VersionId === undefined) return { key };
    const versionId = textOf(object.VersionId)?.trim();
    if (!versionId) throw ossErrors.malformedXml('A VersionId must not be empty.');
    return { key, versionId };
  });
  return { quiet: quietText === 'true', objects: parsed };
}

export async function deleteMultipleObjects(ctx: RequestContext): Promise<void> {
  const bucket = bucketOf(ctx);
  const encode = encodingParam(ctx);
  // OSS requires the body's MD5 here (error centre 0016-00000606), for S3 clients too: an x-amz-checksum-* does not stand in.
  const contentMd5 = headerOf(ctx, 'content-md5');
  if (!contentMd5) throw ossErrors.missingArgument('Content-MD5', '0016-00000606');
  const body = await readSmallBody(ctx.req, MAX_DELETE_BODY_BYTES, contentMd5);
  const { quiet, objects } = parseDeleteRequest(body.toString('utf8'));
  if (ctx.s3 && objects.some((object) => object.versionId !== undefined)) {
    throw ossErrors.notImplemented('Deleting object versions (VersionId in DeleteObjects) through OSS\'s S3-compatible API');
  }
  const deleted: XmlNode[] = [];
  const event = eventOf(ctx, 'ObjectRemoved:DeleteObjects');
  for (const { key, versionId } of objects) {
    // In a versioned bucket (D156): a marker left, or the version removed — said as OSS and S3 say it.
    const fields: XmlNode[] = [];
    if (versionId !== undefined) {
      const removed = await ctx.runtime.storage.deleteVersion(bucket, key, versionId, event);
      fields.push(['VersionId', versionId]);
      if (removed?.kind === 'marker') fields.push(['DeleteMarker', true], ['DeleteMarkerVersionId', versionId]);
    } else {
      const { deleteMarker } = await ctx.runtime.storage.deleteObject(bucket, key, event);
      if (deleteMarker) fields.push(['DeleteMarker', true], ['DeleteMarkerVersionId', deleteMarker.versionId]);
    }
    // OSS lists every requested key as deleted, existing or not; quiet mode lists only failures (none here).
    if (!quiet) deleted.push(['Deleted', [['Key', encode ? encode(key) : key], ...fields]]);
  }
  sendXml(ctx, 200, 'DeleteResult', [['EncodingType', encode ? 'url' : undefined], ...deleted]);
}
