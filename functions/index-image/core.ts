import type { ImageRecord } from '#shared/contracts/images';
import type { TableStreamRecord } from '#shared/contracts/table-stream';
import { getImage } from '#shared/images/image-rows';
import type { Logger } from '#shared/log';
import type { SearchDocument, SearchIndex } from '#shared/ports/search-index';
import type { Table } from '#shared/ports/table';

/**
 * index-image: fired by the TableStore stream of `images`. The search index mirrors the rows that are
 * `ready`: a ready row is upserted as a document, anything else (rejected, deleted) is removed. A stream
 * record carries only the changed columns, so the current row is read back; several records of one image
 * in a batch are handled once. Idempotent by construction (upsert/remove of the current state), so a
 * redelivered batch changes nothing.
 */
export interface IndexDeps {
  table: Table;
  search: SearchIndex;
  log: Logger;
}

export type IndexOutcome = { imageId: string; action: 'upserted' | 'removed' | 'unchanged' };

export async function indexImages(records: TableStreamRecord[], deps: IndexDeps): Promise<IndexOutcome[]> {
  const ids = [...new Set(records.map((r) => r.primaryKey.imageId).filter((id): id is string => typeof id === 'string'))];
  const outcomes: IndexOutcome[] = [];
  for (const imageId of ids) {
    const image = await getImage(deps.table, imageId);
    if (image?.status === 'ready') {
      await deps.search.upsert(searchDocument(image));
      outcomes.push({ imageId, action: 'upserted' });
    } else if (!image || image.status === 'rejected') {
      await deps.search.remove(imageId);
      outcomes.push({ imageId, action: 'removed' });
    } else {
      outcomes.push({ imageId, action: 'unchanged' });
    }
  }
  deps.log.info({ outcomes }, 'search index updated');
  return outcomes;
}

export function searchDocument(image: ImageRecord): SearchDocument {
  return {
    id: image.imageId,
    title: image.title,
    tags: image.tags,
    ...(image.productId ? { productId: image.productId } : {}),
    createdAt: image.createdAt,
    fields: { width: image.width ?? 0, height: image.height ?? 0, owner: image.owner },
  };
}
