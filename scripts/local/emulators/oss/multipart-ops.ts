/**
 * Multipart upload: InitiateMultipartUpload, UploadPart, UploadPartCopy, CompleteMultipartUpload,
 * AbortMultipartUpload, ListParts, ListMultipartUploads. The storage class, encryption, ACL and tags given to
 * InitiateMultipartUpload are kept on the completed object.
 * https://www.alibabacloud.com/help/en/oss/developer-reference/initiatemultipartupload (and siblings).
 */
import { readSmallBody, receiveBody } from './body';
import { bucketOf, eventOf, headerOf, keyOf, type RequestContext } from './context';
import { ossErrors } from './errors';
import { checkCopySourceConditions, checkReadable, copySourceOf, copySourceVersionHeaders, forbidOverwrite, newObjectHeaders } from './object-ops';
import { encryptionHeaders, isoTime, normalizeEtag, quoteEtag, sendEmpty, sendXml, versionHeaders } from './respond';
import { storageClassFor } from './s3-compat';
import { MIN_PART_SIZE, type PartRecord, type UploadRecord } from './storage';
import { isRecord, parseXmlBody, textOf, type XmlNode } from './xml';

const MAX_PART_NUMBER = 10000;
const MAX_COMPLETE_BODY_BYTES = 4 * 1024 * 1024;

/** The upload named by `?uploadId=`, which must belong to this bucket and key. */
function uploadOf(ctx: RequestContext): UploadRecord {
  const uploadId = ctx.params.get('uploadId') ?? '';
  const upload = ctx.runtime.storage.getUpload(uploadId);
  if (!upload || upload.bucket !== bucketOf(ctx) || upload.key !== keyOf(ctx)) throw ossErrors.noSuchUpload(uploadId);
  return upload;
}

export function initiateMultipartUpload(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const key = keyOf(ctx);
  if (forbidOverwrite(ctx) && ctx.runtime.storage.getObject(bucket, key)) throw ossErrors.fileAlreadyExists();
  const upload = ctx.runtime.storage.createUpload(bucket, key, newObjectHeaders(ctx), eventOf(ctx, 'ObjectCreated:InitiateMultipartUpload'));
  const encoded = ctx.params.get('encoding-type') === 'url';
  sendXml(
    ctx,
    200,
    'InitiateMultipartUploadResult',
    [
      ['Bucket', bucket],
      ['Key', encoded ? encodeURIComponent(key) : key],
      ['UploadId', upload.uploadId],
      ['EncodingType', encoded ? 'url' : undefined],
    ],
    encryptionHeaders(upload),
  );
}

function partNumberOf(ctx: RequestContext): number {
  const raw = ctx.params.get('partNumber') ?? '';
  const partNumber = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
    throw ossErrors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`, 'partNumber', raw);
  }
  return partNumber;
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const partNumber = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const staged = await receiveBody(ctx.req, {
    tmpDir: ctx.runtime.storage.tmpDir,
    maxBytes: ctx.runtime.maxObjectBytes,
    contentMd5: headerOf(ctx, 'content-md5'),
  });
  const part = await ctx.runtime.storage.putPart(upload.uploadId, partNumber, staged, eventOf(ctx, 'ObjectCreated:UploadPart'));
  sendEmpty(ctx, 200, { ETag: quoteEtag(part.etag), 'x-oss-hash-crc64ecma': staged.crc64, ...encryptionHeaders(upload) });
}

/** `x-oss-copy-source-range: bytes=<first>-<last>` of a source of `size` bytes; the whole object when absent. */
export function parseCopyRange(value: string | undefined, size: number): { start: number; end: number } | undefined {
  if (value === undefined) return undefined;
  const m = /^bytes=(\d+)-(\d+)$/.exec(value.trim());
  if (!m || Number(m[1]) > Number(m[2]) || Number(m[2]) >= size) {
    throw ossErrors.invalidArgument(`x-oss-copy-source-range must be bytes=<first>-<last> within the source's ${size} bytes.`, 'x-oss-copy-source-range', value);
  }
  return { start: Number(m[1]), end: Number(m[2]) };
}

/** UploadPartCopy: a part made from (a range of) an existing object, with the copy-source conditions. */
export async function uploadPartCopy(ctx: RequestContext, sourceHeader: string): Promise<void> {
  const partNumber = partNumberOf(ctx);
  const upload = uploadOf(ctx);
  const source = copySourceOf(ctx, sourceHeader);
  if (source.record.type === 'Symlink') throw ossErrors.operationNotSupported('UploadPartCopy cannot copy from a symlink.');
  checkReadable(source.record, ctx.now);
  if (checkCopySourceConditions(ctx, source.record) === 'not-modified') return sendEmpty(ctx, 304, { ETag: quoteEtag(source.record.etag) });
  const range = parseCopyRange(headerOf(ctx, 'x-oss-copy-source-range'), source.record.size);
  if ((range ? range.end - range.start + 1 : source.record.size) > ctx.runtime.maxObjectBytes) throw ossErrors.entityTooLarge(ctx.runtime.maxObjectBytes);
  const { staged } = await ctx.runtime.storage.stageRange(source.bucket, source.key, range, source.versionId);
  const part = await ctx.runtime.storage.putPart(upload.uploadId, partNumber, staged, eventOf(ctx, 'ObjectCreated:UploadPartCopy'));
  sendXml(ctx, 200, 'CopyPartResult', [['LastModified', isoTime(part.lastModified)], ['ETag', quoteEtag(part.etag)]], {
    ETag: quoteEtag(part.etag),
    ...encryptionHeaders(upload),
    ...copySourceVersionHeaders(source),
  });
}

/** Parses `<CompleteMultipartUpload><Part><PartNumber/><ETag/></Part>…</CompleteMultipartUpload>`. */
export function parseCompleteRequest(xml: string): Array<{ partNumber: number; etag: string }> {
  const body = parseXmlBody(xml, 'CompleteMultipartUpload');
  const parts = body.Part;
  if (!Array.isArray(parts) || parts.length === 0) throw ossErrors.malformedXml('At least one Part is required.');
  return parts.map((part: unknown) => {
    const number = isRecord(part) ? textOf(part.PartNumber)?.trim() : undefined;
    const etag = isRecord(part) ? textOf(part.ETag) : undefined;
    if (!number || !/^\d+$/.test(number) || etag === undefined) throw ossErrors.malformedXml('Every Part needs a PartNumber and an ETag.');
    return { partNumber: Number(number), etag: normalizeEtag(etag) };
  });
}

/** Checks the client's list against the uploaded parts: ascending, present, same ETag, ≥ 100 KB but the last. */
export function selectParts(requested: Array<{ partNumber: number; etag: string }>, uploaded: PartRecord[]): PartRecord[] {
  const byNumber = new Map(uploaded.map((part) => [part.partNumber, part]));
  let previous = 0;
  const chosen = requested.map(({ partNumber, etag }) => {
    if (partNumber <= previous) throw ossErrors.invalidPartOrder();
    previous = partNumber;
    const part = byNumber.get(partNumber);
    if (!part || part.etag !== etag) throw ossErrors.invalidPart(partNumber);
    return part;
  });
  chosen.slice(0, -1).forEach((part) => {
    if (part.size < MIN_PART_SIZE) throw ossErrors.entityTooSmall();
  });
  return chosen;
}

export async function completeMultipartUpload(ctx: RequestContext): Promise<void> {
  if (headerOf(ctx, 'x-oss-callback')) throw ossErrors.notImplemented('Upload callback (x-oss-callback)');
  const upload = uploadOf(ctx);
  const { storage } = ctx.runtime;
  const body = await readSmallBody(ctx.req, MAX_COMPLETE_BODY_BYTES, headerOf(ctx, 'content-md5'));
  const uploaded = storage.listParts(upload.uploadId);
  let parts: PartRecord[];
  if (headerOf(ctx, 'x-oss-complete-all')?.toLowerCase() === 'yes') {
    if (body.length > 0) throw ossErrors.invalidArgument('With x-oss-complete-all: yes the request body must be empty.', 'x-oss-complete-all', 'yes');
    if (uploaded.length === 0) throw ossErrors.invalidArgument('The upload has no parts.', 'x-oss-complete-all', 'yes');
    parts = selectParts(uploaded.map(({ partNumber, etag }) => ({ partNumber, etag })), uploaded);
  } else {
    parts = selectParts(parseCompleteRequest(body.toString('utf8')), uploaded);
  }
  const forbid = forbidOverwrite(ctx);
  const { record } = await storage.completeUpload(upload, parts, { forbidOverwrite: forbid, event: eventOf(ctx, 'ObjectCreated:CompleteMultipartUpload') });
  const encoded = ctx.params.get('encoding-type') === 'url';
  const key = encoded ? encodeURIComponent(upload.key) : upload.key;
  sendXml(
    ctx,
    200,
    'CompleteMultipartUploadResult',
    [
      ['EncodingType', encoded ? 'url' : undefined],
      ['Location', `${ctx.runtime.endpoint()}/${upload.bucket}/${encodeURIComponent(upload.key).replace(/%2F/g, '/')}`],
      ['Bucket', upload.bucket],
      ['Key', key],
      ['ETag', quoteEtag(record.etag)],
    ],
    { ETag: quoteEtag(record.etag), 'x-oss-hash-crc64ecma': record.crc64, ...encryptionHeaders(record), ...versionHeaders(record) },
  );
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = uploadOf(ctx);
  await ctx.runtime.storage.abortUpload(upload.uploadId, eventOf(ctx, 'ObjectRemoved:AbortMultipartUpload'));
  sendEmpty(ctx, 204);
}

/**
 * ListMultipartUploads (`GET /<bucket>?uploads`): unfinished uploads by key then initiation, with `prefix`,
 * `delimiter`, `key-marker` + `upload-id-marker`, `max-uploads` (≤ 1000) and `encoding-type=url`.
 */
export function listMultipartUploads(ctx: RequestContext): void {
  const bucket = bucketOf(ctx);
  const prefix = ctx.params.get('prefix') ?? '';
  const delimiter = ctx.params.get('delimiter') ?? '';
  const keyMarker = ctx.params.get('key-marker') ?? '';
  const uploadIdMarker = ctx.params.get('upload-id-marker') ?? '';
  const rawMax = ctx.params.get('max-uploads');
  if (rawMax !== undefined && rawMax !== '' && !(/^\d+$/.test(rawMax) && Number(rawMax) >= 1 && Number(rawMax) <= 1000)) {
    throw ossErrors.invalidArgument('max-uploads must be an integer from 1 to 1000.', 'max-uploads', rawMax);
  }
  const maxUploads = rawMax ? Number(rawMax) : 1000;
  const encoded = ctx.params.get('encoding-type') === 'url';
  const encode = (text: string) => (encoded ? encodeURIComponent(text) : text);
  const all = ctx.runtime.storage.listUploads(bucket).filter((upload) => {
    if (!upload.key.startsWith(prefix)) return false;
    if (!keyMarker) return true;
    if (upload.key > keyMarker) return true;
    // Same key: uploads after the upload-id marker (in the listing's order) are still to come.
    return upload.key === keyMarker && uploadIdMarker !== '' && upload.uploadId > uploadIdMarker;
  });
  const uploads: XmlNode[] = [];
  const prefixes: string[] = [];
  let truncated = false;
  let nextKey = '';
  let nextUploadId = '';
  for (const upload of all) {
    const cut = delimiter ? upload.key.indexOf(delimiter, prefix.length) : -1;
    const common = cut >= 0 ? upload.key.slice(0, cut + delimiter.length) : undefined;
    if (common !== undefined && prefixes.includes(common)) continue;
    if (uploads.length + prefixes.length >= maxUploads) {
      truncated = true;
      break;
    }
    if (common !== undefined) prefixes.push(common);
    else uploads.push(['Upload', [['Key', encode(upload.key)], ['UploadId', upload.uploadId], ['StorageClass', storageClassFor(ctx, upload.storageClass ?? 'Standard')], ['Initiated', isoTime(upload.initiated)]]]);
    nextKey = common ?? upload.key;
    nextUploadId = common === undefined ? upload.uploadId : '';
  }
  sendXml(ctx, 200, 'ListMultipartUploadsResult', [
    ['EncodingType', encoded ? 'url' : undefined],
    ['Bucket', bucket],
    ['KeyMarker', encode(keyMarker)],
    ['UploadIdMarker', uploadIdMarker],
    ['NextKeyMarker', truncated ? encode(nextKey) : ''],
    ['NextUploadIdMarker', truncated ? nextUploadId : ''],
    ['Delimiter', encode(delimiter)],
    ['Prefix', encode(prefix)],
    ['MaxUploads', maxUploads],
    ['IsTruncated', truncated],
    ...uploads,
    ...prefixes.map((p): XmlNode => ['CommonPrefixes', [['Prefix', encode(p)]]]),
  ]);
}

export function listParts(ctx: RequestContext): void {
  const upload = uploadOf(ctx);
  const rawMax = ctx.params.get('max-parts');
  const maxParts = rawMax && /^\d+$/.test(rawMax) ? Math.min(Number(rawMax), 1000) : 1000;
  const marker = Number(ctx.params.get('part-number-marker') ?? 0) || 0;
  const all = ctx.runtime.storage.listParts(upload.uploadId).filter((part) => part.partNumber > marker);
  const page = all.slice(0, maxParts);
  const truncated = all.length > page.length;
  sendXml(ctx, 200, 'ListPartsResult', [
    ['Bucket', upload.bucket],
    ['Key', upload.key],
    ['UploadId', upload.uploadId],
    ['PartNumberMarker', marker],
    ['NextPartNumberMarker', page.at(-1)?.partNumber ?? marker],
    ['MaxParts', maxParts],
    ['IsTruncated', truncated],
    ...page.map((part): XmlNode => [
      'Part',
      [
        ['PartNumber', part.partNumber],
        ['LastModified', isoTime(part.lastModified)],
        ['ETag', quoteEtag(part.etag)],
        ['Size', part.size],
      ],
    ]),
  ]);
}
