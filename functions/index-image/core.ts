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
  const byImage = new Map<string, TableStreamRecord[]>();
  for (const r of records) {
    const id = r.primaryKey.imageId;
    if (typeof id === 'string') byImage.set(id, [...(byImage.get(id) ?? []), r]);
  }
  const outcomes: IndexOutcome[] = [];
  for (const [imageId, ofImage] of byImage) {
    // A row only just written as pending (upload-url's PutRow) has nothing for the index; whatever changes it later
    // comes as a record of its own, in this batch or a later one, and is read then (D174: one GetRow less per upload).
    if (ofImage.every(writtenPending)) {
      outcomes.push({ imageId, action: 'unchanged' });
      continue;
    }
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

/** A whole-row write (PutRow carries every column) whose status is `pending`. */
function writtenPending(record: TableStreamRecord): boolean {
  return record.type === 'PutRow' && record.columns.some((c) => c.type === 'Put' && c.name === 'status' && c.value === 'pending');
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
