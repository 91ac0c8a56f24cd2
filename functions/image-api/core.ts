import {
  THUMBNAIL_URL_TTL_SECONDS,
  thumbnailKey,
  thumbnails,
  type ImageRecord,
  type ImageView,
  type SearchHitView,
  type ThumbnailSize,
} from '#shared/contracts/images';
import { NotFoundError } from '#shared/errors';
import { getImage } from '#shared/images/image-rows';
import type { ObjectStore } from '#shared/ports/object-store';
import type { SearchIndex, SearchQuery } from '#shared/ports/search-index';
import type { Table } from '#shared/ports/table';

/**
 * image-api: the read side of the image pipeline — an image's status, its thumbnails (redirects to
 * short-lived signed OSS URLs, so the bucket stays private), and search over ready images.
 */
export interface ImageApiDeps {
  table: Table;
  objects: ObjectStore;
  search: SearchIndex;
}

export async function getImageView(imageId: string, deps: ImageApiDeps): Promise<ImageView> {
  const image = await getImage(deps.table, imageId);
  if (!image) throw new NotFoundError(`image ${imageId} not found`);
  return toView(image);
}

export function toView(image: ImageRecord): ImageView {
  return {
    imageId: image.imageId,
    status: image.status,
    ...(image.reason ? { reason: image.reason } : {}),
    title: image.title,
    tags: image.tags,
    ...(image.productId ? { productId: image.productId } : {}),
    ...(image.width ? { width: image.width } : {}),
    ...(image.height ? { height: image.height } : {}),
    ...(image.format ? { format: image.format } : {}),
    ...(image.size ? { size: image.size } : {}),
    ...(image.status === 'ready' ? { thumbnails: thumbnails(image.imageId) } : {}),
    createdAt: new Date(image.createdAt).toISOString(),
    updatedAt: new Date(image.updatedAt).toISOString(),
  };
}

/** A signed GET URL for one thumbnail of a ready image. */
export async function thumbnailUrl(imageId: string, size: ThumbnailSize, deps: ImageApiDeps): Promise<string> {
  const image = await getImage(deps.table, imageId);
  if (!image || image.status !== 'ready') throw new NotFoundError(`image ${imageId} has no thumbnails${image ? ` (it is ${image.status})` : ''}`);
  const signed = await deps.objects.signUrl('GET', thumbnailKey(imageId, size), { expiresInSeconds: THUMBNAIL_URL_TTL_SECONDS });
  return signed.url;
}

export async function searchImages(query: SearchQuery, deps: ImageApiDeps): Promise<{ hits: SearchHitView[]; nextCursor?: string }> {
  const page = await deps.search.search(query);
  return {
    hits: page.hits.map(({ document, score }) => ({
      imageId: document.id,
      title: document.title,
      tags: document.tags,
      ...(document.productId ? { productId: document.productId } : {}),
      width: Number(document.fields?.width ?? 0),
      height: Number(document.fields?.height ?? 0),
      thumbnails: thumbnails(document.id),
      score: Math.round(score * 1000) / 1000,
      createdAt: new Date(document.createdAt).toISOString(),
    })),
    ...(page.nextCursor ? { nextCursor: page.nextCursor } : {}),
  };
}
