import {
  FORMAT_CONTENT_TYPES,
  imageIdFromUploadKey,
  thumbnailKey,
  type ImageRecord,
  type RejectReason,
  type ThumbnailMeta,
} from '#shared/contracts/images';
import { objectKeyOf, type OssEventRecord } from '#shared/contracts/oss-event';
import { getImage, transitionImage } from '#shared/images/image-rows';
import { DEFAULT_WATERMARK, MAX_IMAGE_BYTES, THUMBNAIL_WIDTHS } from '#shared/images/limits';
import type { Logger } from '#shared/log';
import type { Clock } from '#shared/ports/clock';
import { ImageRejectedError, type ImageEngine } from '#shared/ports/image-engine';
import type { ObjectStore } from '#shared/ports/object-store';
import { AppError } from '#shared/errors';
import type { Table } from '#shared/ports/table';

/**
 * make-thumbnail: fired by OSS `ObjectCreated:*` on `uploads/`. For each upload it trusts only the bytes:
 * the type is sniffed, the size and pixel count checked before decoding, and anything unacceptable sets
 * the row to `rejected` with a reason and deletes the upload (nothing is left that claims to be an image).
 * Good images get `thumbs/<id>/1024.webp` (watermarked) and then `thumbs/<id>/256.webp` — written last,
 * because its creation fires `catalog-image`.
 *
 * Idempotent under redelivery (OSS events are at-least-once): a row that is no longer `pending` is left
 * alone, thumbnails are rewritten byte-for-byte the same, and status changes are conditional.
 * Transient failures (OSS, table) throw, so FC's async retry runs the event again.
 */
export interface ThumbnailDeps {
  objects: ObjectStore;
  table: Table;
  engine: ImageEngine;
  clock: Clock;
  log: Logger;
}

export type UploadOutcome =
  | { imageId: string; outcome: 'thumbnailed'; width: number; height: number }
  | { imageId: string; outcome: 'rejected'; reason: RejectReason }
  | { imageId?: string; outcome: 'skipped'; why: string };

export async function processUploads(records: OssEventRecord[], deps: ThumbnailDeps): Promise<UploadOutcome[]> {
  const outcomes: UploadOutcome[] = [];
  for (const record of records) outcomes.push(await processUpload(record, deps));
  return outcomes;
}

export async function processUpload(record: OssEventRecord, deps: ThumbnailDeps): Promise<UploadOutcome> {
  const key = objectKeyOf(record);
  const imageId = imageIdFromUploadKey(key);
  if (!imageId) return { outcome: 'skipped', why: `not an upload key the pipeline issued: ${key}` };
  if (!record.eventName.startsWith('ObjectCreated:')) return { imageId, outcome: 'skipped', why: record.eventName };

  // The row and the upload's bytes at once, in one round trip of waiting before the engine (D75, D174). The GET is
  // bounded (bytes 0…MAX_IMAGE_BYTES), so nothing much over the limit is ever read, and its answer carries the
  // object's whole size (Content-Range): no HEAD is needed first. The bytes are wasted only on a redelivered event or
  // an orphan, and a failed GET counts only where the bytes are used; the GET is always awaited, so nothing of this
  // invocation runs on after it returns.
  const steps = stepTimer();
  const fetched = deps.objects.get(key, { range: { start: 0, end: MAX_IMAGE_BYTES } }).then(
    (body) => ({ body }),
    (error: unknown) => ({ error }),
  );
  const [image, got] = await Promise.all([getImage(deps.table, imageId), fetched]);
  steps.mark('rowAndGet');
  if (!image) {
    // Nobody asked to upload this: remove it rather than keep unvetted bytes.
    await deps.objects.delete(key);
    return { imageId, outcome: 'skipped', why: 'no images row; orphan upload deleted' };
  }
  if (image.status !== 'pending') return { imageId, outcome: 'skipped', why: `already ${image.status}` };
  if (image.uploadKey !== key) return { imageId, outcome: 'skipped', why: `row expects ${image.uploadKey}` };

  // A range that starts at 0 is unsatisfiable only for an empty object: its bytes are none (the engine refuses them).
  let object: { body: Buffer; info: { size: number } } | undefined;
  if (!('error' in got)) object = got.body;
  else if (isInvalidRange(got.error)) object = { body: Buffer.alloc(0), info: { size: 0 } };
  else throw got.error;
  if (!object) return { imageId, outcome: 'skipped', why: 'upload no longer exists' };
  if (object.info.size > MAX_IMAGE_BYTES) return reject(image, 'too-large-bytes', object.info.size, deps);

  try {
    const probe = await deps.engine.probe(object.body);
    const [small, large] = await deps.engine.thumbnails(object.body, [{ width: THUMBNAIL_WIDTHS.small }, { width: THUMBNAIL_WIDTHS.large, watermark: DEFAULT_WATERMARK }]);
    steps.mark('thumbnails');
    const meta: ThumbnailMeta = { imageid: imageId, format: probe.format, width: String(probe.width), height: String(probe.height), size: String(object.body.length) };
    const cacheControl = 'public, max-age=31536000, immutable';
    await deps.objects.put(thumbnailKey(imageId, 'large'), large!.body, { contentType: 'image/webp', meta: { ...meta }, cacheControl });
    steps.mark('putLarge');
    await deps.objects.put(thumbnailKey(imageId, 'small'), small!.body, { contentType: 'image/webp', meta: { ...meta }, cacheControl });
    steps.mark('putSmall');
    deps.log.info({ imageId, ms: steps.ms, format: probe.format, declared: image.contentType, sniffed: FORMAT_CONTENT_TYPES[probe.format], width: probe.width, height: probe.height, engine: deps.engine.name }, 'thumbnails written');
    return { imageId, outcome: 'thumbnailed', width: probe.width, height: probe.height };
  } catch (err) {
    if (err instanceof ImageRejectedError) return reject(image, err.reason, object.body.length, deps);
    throw err;
  }
}

/** Milliseconds each step took, for the log: where an upload's time goes, in the cloud as locally. */
function stepTimer(): { mark(step: string): void; ms: Record<string, number> } {
  const ms: Record<string, number> = {};
  let last = performance.now();
  return {
    ms,
    mark(step) {
      const now = performance.now();
      ms[step] = Math.round((now - last) * 10) / 10;
      last = now;
    },
  };
}

/** The OSS adapter's answer to a Range that starts past the object's end (`InvalidRange`, 416). */
function isInvalidRange(err: unknown): boolean {
  return err instanceof AppError && err.code === 'InvalidRange';
}

async function reject(image: ImageRecord, reason: RejectReason, size: number, deps: ThumbnailDeps): Promise<UploadOutcome> {
  const moved = await transitionImage(deps.table, image.imageId, { status: 'rejected', reason, size, updatedAt: deps.clock.now() });
  // The bytes were refused: delete them (also on redelivery, in case the first attempt died in between).
  await deps.objects.delete(image.uploadKey);
  deps.log.warn({ imageId: image.imageId, reason, size, moved }, 'upload rejected');
  return { imageId: image.imageId, outcome: 'rejected', reason };
}
