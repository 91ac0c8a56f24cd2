/**
 * ListObjectVersions (GetBucketVersions, `GET /?versions`, D156): every version of every key, delete markers
 * included — keys in byte order, each key's versions newest first — with `prefix`, `delimiter`, `key-marker`,
 * `version-id-marker`, `max-keys` (≤ 1000, default 100) and `encoding-type=url`.
 * https://www.alibabacloud.com/help/en/oss/developer-reference/listobjectversions; the element names and order are
 * what ali-oss `getBucketVersions` reads (`Version`, `DeleteMarker`, each with an `Owner`).
 */
import { bucketOf, type RequestContext } from './context';
import { ossErrors } from './errors';
import { encodingParam, maxKeysParam, ownerNode } from './bucket-ops';
import { compareBytes, successor } from './listing';
import { isoTime, quoteEtag, sendXml } from './respond';
import { storageClassFor } from './s3-compat';
import type { VersionEntry } from './storage';
import type { XmlNode } from './xml';

interface VersionPage {
  entries: VersionEntry[];
  prefixes: string[];
  truncated: boolean;
  /** Where the next page starts (NextKeyMarker / NextVersionIdMarker): after this entry. */
  nextKey?: string;
  nextVersionId?: string;
}

/** One page of the versions walk; `max-keys` counts versions, markers and common prefixes together, as OSS does. */
function versionPage(ctx: RequestContext, bucket: string, input: { prefix: string; delimiter: string; maxKeys: number; keyMarker: string; versionIdMarker: string }): VersionPage {
  const { storage } = ctx.runtime;
  const { prefix, delimiter, maxKeys, keyMarker, versionIdMarker } = input;
  const page: VersionPage = { entries: [], prefixes: [], truncated: false };
  let cursor: { key: string; inclusive: boolean } = { key: prefix, inclusive: true };
  // Within key-marker's versions: resume after version-id-marker.
  let resumeWithin: string | undefined;
  if (keyMarker !== '' && compareBytes(keyMarker, prefix) >= 0) {
    if (versionIdMarker !== '') {
      cursor = { key: keyMarker, inclusive: true };
      resumeWithin = keyMarker;
    } else if (delimiter !== '' && keyMarker.endsWith(delimiter) && keyMarker.startsWith(prefix)) {
      // A common prefix given back as the marker: the keys under it were rolled up already.
      cursor = successor(keyMarker) ?? { key: keyMarker, inclusive: false };
    } else {
      cursor = { key: keyMarker, inclusive: false };
    }
  }
  const full = () => page.entries.length + page.prefixes.length >= maxKeys;
  for (;;) {
    const key = storage.nextVersionedKey(bucket, cursor.key, cursor.inclusive);
    if (key === undefined || !key.startsWith(prefix)) return page;
    const cut = delimiter ? key.indexOf(delimiter, prefix.length) : -1;
    if (cut >= 0) {
      const common = key.slice(0, cut + delimiter.length);
      if (full()) return { ...page, truncated: true };
      page.prefixes.push(common);
      page.nextKey = common;
      page.nextVersionId = undefined;
      cursor = successor(common) ?? { key, inclusive: false };
      continue;
    }
    let versions = storage.versionsOf(bucket, key);
    if (resumeWithin === key) {
      const at = versions.findIndex((entry) => versionIdOfEntry(entry) === versionIdMarker);
      if (at < 0) throw ossErrors.invalidArgument('version-id-marker is not a version of key-marker.', 'version-id-marker', versionIdMarker);
      versions = versions.slice(at + 1);
    }
    resumeWithin = undefined;
    for (const entry of versions) {
      if (full()) return { ...page, truncated: true };
      page.entries.push(entry);
      page.nextKey = key;
      page.nextVersionId = versionIdOfEntry(entry);
    }
    cursor = { key, inclusive: false };
  }
}

function versionIdOfEntry(entry: VersionEntry): string {
  return entry.kind === 'object' ? entry.record.versionId : entry.marker.versionId;
}

export function listObjectVersions(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const prefix = ctx.params.get('prefix') ?? '';
  const delimiter = ctx.params.get('delimiter') ?? '';
  const keyMarker = ctx.params.get('key-marker') ?? '';
  const versionIdMarker = ctx.params.get('version-id-marker') ?? '';
  if (Buffer.byteLength(prefix) > 1023) throw ossErrors.invalidArgument('prefix must be at most 1023 bytes.', 'prefix', prefix);
  if (Buffer.byteLength(keyMarker) > 1023) throw ossErrors.invalidArgument('key-marker must be at most 1023 bytes.', 'key-marker', keyMarker);
  if (versionIdMarker !== '' && keyMarker === '') throw ossErrors.invalidArgument('version-id-marker needs a key-marker.', 'version-id-marker', versionIdMarker);
  const maxKeys = maxKeysParam(ctx);
  const encode = encodingParam(ctx);
  const text = (value: string) => (encode ? encode(value) : value);
  const page = versionPage(ctx, bucket, { prefix, delimiter, maxKeys, keyMarker, versionIdMarker });
  const owner = ownerNode(ctx);
  const entries = page.entries.map((entry): XmlNode => {
    if (entry.kind === 'marker') {
      const { marker } = entry;
      return ['DeleteMarker', [['Key', text(marker.key)], ['VersionId', marker.versionId], ['IsLatest', entry.isLatest], ['LastModified', isoTime(marker.lastModified)], owner]];
    }
    const { record } = entry;
    return [
      'Version',
      [
        ['Key', text(record.key)],
        ['VersionId', record.versionId],
        ['IsLatest', entry.isLatest],
        ['LastModified', isoTime(record.lastModified)],
        ['ETag', quoteEtag(record.etag)],
        ['Type', record.type],
        ['Size', record.size],
        ['StorageClass', storageClassFor(ctx, record.storageClass ?? 'Standard')],
        owner,
      ],
    ];
  });
  sendXml(ctx, 200, 'ListVersionsResult', [
    ['Name', bucket],
    ['Prefix', text(prefix)],
    ['KeyMarker', text(keyMarker)],
    ['VersionIdMarker', versionIdMarker],
    ['MaxKeys', maxKeys],
    ['Delimiter', text(delimiter)],
    ['IsTruncated', page.truncated],
    ['NextKeyMarker', page.truncated && page.nextKey !== undefined ? text(page.nextKey) : undefined],
    ['NextVersionIdMarker', page.truncated && page.nextVersionId !== undefined ? page.nextVersionId : undefined],
    ['EncodingType', encode ? 'url' : undefined],
    ...entries,
    ...page.prefixes.map((common): XmlNode => ['CommonPrefixes', [['Prefix', text(common)]]]),
  ]);
}
