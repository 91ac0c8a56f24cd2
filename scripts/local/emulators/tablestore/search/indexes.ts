/**
 * The documents of every search index, derived from the rows and kept in memory: built from the table the
 * first time an index is searched (after a restart too — the rows are the durable truth), then kept current
 * by `rowChanged`, which every row write calls. A changed row is re-read at the next search, so a write that
 * was rolled back (a failed batch row) re-reads what is really stored. Unlike TableStore, whose indexes sync
 * within seconds, a write is searchable at once.
 */
import type { Storage, SearchIndexRow } from '../storage';
import { liveRow, ttlMs, type StoredRow, type TableHandle } from '../table';
import { protos } from '../sdk';
import { decodeIndexSchema, indexDoc, type IndexedDoc, type IndexSchema } from './schema';

export interface LoadedIndex {
  table: TableHandle;
  row: SearchIndexRow;
  schema: IndexSchema;
}

interface Cache {
  tableId: number;
  docs: Map<string, IndexedDoc>;
  dirty: Set<string>;
}

const NEVER = Number.MAX_SAFE_INTEGER;

/** When the next of the row's live cells expires (or the row itself, when it has none). */
function expiryOf(table: TableHandle, row: StoredRow, now: number): number {
  const ttl = ttlMs(table.meta);
  if (ttl === undefined) return NEVER;
  let next = row.columns.size === 0 ? row.writtenAt + ttl : NEVER;
  for (const versions of row.columns.values()) for (const v of versions) if (v.timestamp + ttl > now) next = Math.min(next, v.timestamp + ttl);
  return next;
}

export class SearchIndexes {
  private readonly caches = new Map<string, Cache>();

  constructor(private readonly storage: Storage) {}

  private static key(tableId: number, index: string): string {
    return `${tableId}/${index}`;
  }

  /** The index with its decoded schema. */
  load(table: TableHandle, row: SearchIndexRow): LoadedIndex {
    const schema = decodeIndexSchema(protos.search.IndexSchema!.decode(row.schema) as Record<string, unknown>);
    return { table, row, schema };
  }

  /** A row of `table` was written (or its write was rolled back): look at it again before the next search. */
  rowChanged(table: TableHandle, key: Buffer): void {
    for (const cache of this.caches.values()) if (cache.tableId === table.id) cache.dirty.add(key.toString('hex'));
  }

  /** The table's settings changed (TTL, max versions) or it was deleted: rebuild its indexes when next searched. */
  tableChanged(table: TableHandle | undefined, deletedId?: number): void {
    const id = table?.id ?? deletedId;
    for (const [key, cache] of this.caches) if (cache.tableId === id) this.caches.delete(key);
  }

  dropIndex(tableId: number, index: string): void {
    this.caches.delete(SearchIndexes.key(tableId, index));
  }

  /** The current documents of an index at `now`. */
  documents(index: LoadedIndex, now: number): IndexedDoc[] {
    const key = SearchIndexes.key(index.table.id, index.row.name);
    let cache = this.caches.get(key);
    if (!cache) {
      cache = { tableId: index.table.id, docs: new Map(), dirty: new Set() };
      for (const stored of this.storage.allRows(index.table)) this.reindex(index, cache, stored.key.toString('hex'), stored, now);
      this.caches.set(key, cache);
    }
    for (const hex of cache.dirty) this.reindex(index, cache, hex, this.storage.getRow(index.table, Buffer.from(hex, 'hex')), now);
    cache.dirty.clear();
    for (const [hex, doc] of cache.docs) if (doc.expiresAt <= now) this.reindex(index, cache, hex, this.storage.getRow(index.table, Buffer.from(hex, 'hex')), now);
    return [...cache.docs.values()];
  }

  private reindex(index: LoadedIndex, cache: Cache, hex: string, stored: StoredRow | undefined, now: number): void {
    const live = liveRow(index.table.meta, stored, now);
    const doc = live && stored ? indexDoc(live, index.schema.fields, expiryOf(index.table, stored, now)) : undefined;
    if (doc) cache.docs.set(hex, doc);
    else cache.docs.delete(hex);
  }
}
