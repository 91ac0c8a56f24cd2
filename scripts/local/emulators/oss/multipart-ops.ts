/**
 * Multipart upload: InitiateMultipartUpload, UploadPart, CompleteMultipartUpload, AbortMultipartUpload, ListParts.
 * https://www.alibabacloud.com/help/en/oss/developer-reference/initiatemultipartupload (and siblings).
 */
import { readSmallBody, receiveBody } from './body';
import { bucketOf, headerOf, keyOf, type RequestContext } from './context';
import { ossErrors } from './errors';
import { isoTime, normalizeEtag, quoteEtag, requestObjectHeaders, sendEmpty, sendXml } from './respond';
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
  const upload = ctx.runtime.storage.createUpload(bucket, key, requestObjectHeaders(ctx));
  const encoded = ctx.params.get('encoding-type') === 'url';
  sendXml(ctx, 200, 'InitiateMultipartUploadResult', [
    ['Bucket', bucket],
    ['Key', encoded ? encodeURIComponent(key) : key],
    ['UploadId', upload.uploadId],
    ['EncodingType', encoded ? 'url' : undefined],
  ]);
}

export async function uploadPart(ctx: RequestContext): Promise<void> {
  const raw = ctx.params.get('partNumber') ?? '';
  const partNumber = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(partNumber >= 1 && partNumber <= MAX_PART_NUMBER)) {
    throw ossErrors.invalidArgument(`Part number must be an integer between 1 and ${MAX_PART_NUMBER}, inclusive.`, 'partNumber', raw);
  }
  const upload = uploadOf(ctx);
  const staged = await receiveBody(ctx.req, {
    tmpDir: ctx.runtime.storage.tmpDir,
    maxBytes: ctx.runtime.maxObjectBytes,
    contentMd5: headerOf(ctx, 'content-md5'),
  });
  const part = await ctx.runtime.storage.putPart(upload.uploadId, partNumber, staged);
  sendEmpty(ctx, 200, { ETag: quoteEtag(part.etag), 'x-oss-hash-crc64ecma': staged.crc64 });
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
  const forbid = headerOf(ctx, 'x-oss-forbid-overwrite')?.toLowerCase() === 'true';
  const { record, previous } = await storage.completeUpload(upload, parts, { forbidOverwrite: forbid });
  ctx.runtime.notify(ctx, {
    eventName: 'ObjectCreated:CompleteMultipartUpload',
    bucket: upload.bucket,
    key: upload.key,
    size: record.size,
    deltaSize: record.size - (previous?.size ?? 0),
    eTag: record.etag,
  });
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
    { ETag: quoteEtag(record.etag), 'x-oss-hash-crc64ecma': record.crc64 },
  );
}

export async function abortMultipartUpload(ctx: RequestContext): Promise<void> {
  const upload = uploadOf(ctx);
  await ctx.runtime.storage.abortUpload(upload.uploadId);
  sendEmpty(ctx, 204);
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
