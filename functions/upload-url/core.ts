import type { AuthUser } from '#shared/auth';
import { UPLOAD_URL_TTL_SECONDS, uploadKey, type UploadRequest, type UploadTicket } from '#shared/contracts/images';
import type { IdGenerator } from '#shared/ids';
import { insertImage } from '#shared/images/image-rows';
import { MAX_TITLE_CHARS } from '#shared/images/limits';
import type { Clock } from '#shared/ports/clock';
import type { ObjectStore } from '#shared/ports/object-store';
import type { Table } from '#shared/ports/table';
import { ValidationError } from '#shared/errors';

/**
 * upload-url: the first hop of the image pipeline. A signed-in user asks to upload one image; the
 * function validates the request (type, size, name, tags — see `UploadRequest`), signs a V4 PUT URL for a
 * key it chooses itself (`uploads/<imageId>.<ext>`, bound to the declared content type, 15 minutes) and
 * records the image as `pending`. The URL is signed before the row is written, so a failure leaves nothing
 * behind; the browser then PUTs the bytes straight to OSS and the OSS trigger takes over.
 * A `productId` must name a product (product-info owns them): a photo of no product would be shown nowhere.
 */
export interface UploadDeps {
  table: Table;
  objects: ObjectStore;
  clock: Clock;
  newId: IdGenerator;
  /** Whether the catalogue has this product; throws when it cannot tell (the upload is then refused, 5xx). */
  productExists: (productId: string) => Promise<boolean>;
}

export async function createUpload(request: UploadRequest, user: AuthUser, deps: UploadDeps): Promise<UploadTicket> {
  if (request.productId && !(await deps.productExists(request.productId))) {
    throw new ValidationError('invalid body.productId: no such product', [{ path: 'body.productId', message: 'no such product' }]);
  }
  const now = deps.clock.now();
  const imageId = deps.newId('img');
  const key = uploadKey(imageId, request.contentType);
  const signed = await deps.objects.signUrl('PUT', key, { expiresInSeconds: UPLOAD_URL_TTL_SECONDS, contentType: request.contentType });
  await insertImage(deps.table, {
    imageId,
    status: 'pending',
    owner: user.username,
    filename: request.filename,
    title: request.title ?? titleFromFileName(request.filename),
    tags: request.tags ?? [],
    ...(request.productId ? { productId: request.productId } : {}),
    contentType: request.contentType,
    declaredSize: request.size,
    uploadKey: key,
    createdAt: now,
    updatedAt: now,
  });
  return { imageId, key, uploadUrl: signed.url, headers: signed.headers, expiresAt: signed.expiresAt.toISOString() };
}

/** "IMG_2041 beach-day.jpg" → "IMG_2041 beach day": a readable default title. */
export function titleFromFileName(filename: string): string {
  const base = filename.replace(/\.[^.]*$/, '').replace(/[_-]+/g, ' ').replace(/\s+/g, ' ').trim();
  // By code points (as the title's schema counts): a UTF-16 slice could halve an emoji into a lone surrogate.
  return [...(base || 'Untitled photo')].slice(0, MAX_TITLE_CHARS).join('');
}
