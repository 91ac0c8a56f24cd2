import { imageIdFromSmallThumbnailKey, thumbnailKey, type ThumbnailMeta } from '#shared/contracts/images';
import { objectKeyOf, type OssEventRecord } from '#shared/contracts/oss-event';
import { IMAGE_FORMATS, type ImageFormat } from '#shared/ports/image-engine';
import { getImage, transitionImage } from '#shared/images/image-rows';
import type { Logger } from '#shared/log';
import type { Clock } from '#shared/ports/clock';
import type { ObjectStore } from '#shared/ports/object-store';
import type { Table } from '#shared/ports/table';
import { RetryableError } from '#shared/errors';

/**
 * catalog-image: fired by OSS `ObjectCreated:*` on `thumbs/…/256.webp` (written last by make-thumbnail).
 * It reads the original's facts from the thumbnail's metadata and moves the `images` row from `pending`
 * to `ready` with dimensions, format, size and both thumbnail keys. The TableStore stream of that update
 * fires `index-image`.
 *
 * Idempotent: the update is conditional on `status = pending`, so a redelivered event changes nothing.
 * Thumbnails whose row is gone (deleted, or never existed) are removed.
 */
export interface CatalogDeps {
  objects: ObjectStore;
  table: Table;
  clock: Clock;
  log: Logger;
}

export type CatalogOutcome = { imageId: string; outcome: 'ready' | 'already-done' | 'orphan-removed' } | { outcome: 'skipped'; why: string };

export async function catalogThumbnails(records: OssEventRecord[], deps: CatalogDeps): Promise<CatalogOutcome[]> {
  const outcomes: CatalogOutcome[] = [];
  for (const record of records) outcomes.push(await catalog(record, deps));
  return outcomes;
}

async function catalog(record: OssEventRecord, deps: CatalogDeps): Promise<CatalogOutcome> {
  const key = objectKeyOf(record);
  const imageId = imageIdFromSmallThumbnailKey(key);
  if (!imageId || !record.eventName.startsWith('ObjectCreated:')) return { outcome: 'skipped', why: `${record.eventName} ${key}` };

  // The row and both thumbnails' metadata at once: one round trip of waiting instead of two (the HEADs are wasted
  // only on a redelivered event or an orphan).
  const [image, small, large] = await Promise.all([getImage(deps.table, imageId), deps.objects.head(thumbnailKey(imageId, 'small')), deps.objects.head(thumbnailKey(imageId, 'large'))]);
  if (!image) {
    await deps.objects.deleteMany([thumbnailKey(imageId, 'small'), thumbnailKey(imageId, 'large')]);
    return { imageId, outcome: 'orphan-removed' };
  }
  if (image.status !== 'pending') return { imageId, outcome: 'already-done' };

  // make-thumbnail writes the large one first; if it is missing the event overtook a write: retry later.
  if (!small || !large) throw new RetryableError(`thumbnails of ${imageId} are not all there yet`, 'ThumbnailsIncomplete');
  const meta = small.meta as Partial<ThumbnailMeta>;
  const moved = await transitionImage(deps.table, imageId, {
    status: 'ready',
    format: IMAGE_FORMATS.includes(meta.format as ImageFormat) ? (meta.format as ImageFormat) : undefined,
    width: positive(meta.width),
    height: positive(meta.height),
    size: positive(meta.size),
    thumbSmallKey: small.key,
    thumbLargeKey: large.key,
    updatedAt: deps.clock.now(),
  });
  deps.log.info({ imageId, moved }, moved ? 'image ready' : 'image was already catalogued');
  return { imageId, outcome: moved ? 'ready' : 'already-done' };
}

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}
