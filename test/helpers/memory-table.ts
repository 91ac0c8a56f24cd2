import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IMAGE_SEARCH, IMAGE_SEARCH_INDEX_FIELDS, TableStoreSearchIndex } from '#shared/aliyun/tablestore-search-index';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import type { Clock } from '#shared/ports/clock';
import type { SearchIndex } from '#shared/ports/search-index';
import type { Table, TableSchema } from '#shared/ports/table';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { openTableStoreEmulator, protos, type TableStoreEmulator } from '../../scripts/local/emulators/tablestore';

/**
 * Tables and a search index for unit tests of `core.ts` modules: the production adapters (`TableStoreTable`,
 * `TableStoreSearchIndex`, through the `tablestore` SDK) on a private in-process TableStore emulator with an
 * in-memory database, reached over a Unix socket — full TableStore semantics (conditions, ranges, TTL,
 * batches, search), no network, no files. Unit tests depend on these factories, not on how they are built.
 * @example const table = createMemoryTable(ALL_TABLES, clock);   // clock: TTL and cell timestamps
 *          const search = createMemorySearchIndex();               // the image search index of infra/ros.yaml
 */
const INSTANCE = 'unit-test';
function socketPath(): string {
  // Unix socket paths are short (≈ 100 bytes): keep the name small. Random, not a counter: jest reloads this
  // module for every test file while Node's global HTTP agent outlives it, and a keep-alive socket pooled under
  // a reused path would carry a request to an emulator an earlier test file left open.
  return join(tmpdir(), `ots-${process.pid}-${randomBytes(6).toString('hex')}.sock`);
}

function emulator(clock: Clock | undefined): TableStoreEmulator {
  return openTableStoreEmulator({ instances: [INSTANCE], socketPath: socketPath(), ...(clock ? { clock: () => clock.now() } : {}) });
}

const PK_CODES = { INTEGER: 1, STRING: 2, BINARY: 3 } as const;

/** CreateTable, run directly (synchronously) on the emulator. */
function createTable(ots: TableStoreEmulator, schema: TableSchema): void {
  const request = {
    tableMeta: { tableName: schema.name, primaryKey: schema.primaryKey.map((c) => ({ name: c.name, type: PK_CODES[c.type] })) },
    reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
    tableOptions: { timeToLive: schema.ttlSeconds ?? -1, maxVersions: 1 },
    ...(schema.stream ? { streamSpec: { enableStream: true, expirationTime: 24 } } : {}),
  };
  ots.call(INSTANCE, 'CreateTable', protos.main.CreateTableRequest!.encode(request as never).finish());
}

function connection(ots: TableStoreEmulator) {
  return { endpoint: ots.endpoint, instance: INSTANCE, credentials: LOCAL_CREDENTIALS, maxRetries: 0, httpOptions: ots.httpOptions };
}

export type MemoryTable = Table & {
  close(): void;
  /**
   * Calls still waiting for the emulator's answer. Each call is real I/O, so a test bed that takes "no progress
   * for a while" as "waiting on purpose" (the flow engine's settle()) asks this instead of guessing.
   */
  inFlight(): number;
};

/** A Table holding `schemas` (TTL by `clock` when given, else the wall clock). */
export function createMemoryTable(schemas: readonly TableSchema[], clock?: Clock): MemoryTable {
  const ots = emulator(clock);
  for (const schema of schemas) createTable(ots, schema);
  const table = new TableStoreTable({ ...connection(ots), schemas });
  let pending = 0;
  const counted = new Proxy(table, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const result: unknown = (value as (...a: unknown[]) => unknown).apply(target, args);
        if (!(result instanceof Promise)) return result;
        pending++;
        return result.finally(() => pending--);
      };
    },
  });
  return Object.assign(counted, { close: () => void ots.close(), inFlight: () => pending });
}

const FIELD_CODES = { LONG: 1, TEXT: 5, KEYWORD: 4 } as const;

/** The image search index (`IMAGE_SEARCH` with `IMAGE_SEARCH_INDEX_FIELDS`, as infra/ros.yaml declares it). */
export function createMemorySearchIndex(options: { clock?: Clock } = {}): SearchIndex & { close(): void } {
  const ots = emulator(options.clock);
  createTable(ots, { name: IMAGE_SEARCH.table, primaryKey: [{ name: 'id', type: 'STRING' }] });
  const singleWord = protos.search.SingleWordAnalyzerParameter!.encode({ caseSensitive: false, delimitWord: false } as never).finish();
  const fieldSchemas = IMAGE_SEARCH_INDEX_FIELDS.map((f) => ({
    fieldName: f.name,
    fieldType: FIELD_CODES[f.type],
    index: true,
    ...(f.analyzer ? { analyzer: f.analyzer, analyzerParameter: singleWord } : {}),
    ...(f.array ? { isArray: true } : {}),
    ...(f.sortable ? { docValues: true } : {}),
  }));
  ots.call(INSTANCE, 'CreateSearchIndex', protos.search.CreateSearchIndexRequest!.encode({ tableName: IMAGE_SEARCH.table, indexName: IMAGE_SEARCH.index, schema: { fieldSchemas } } as never).finish());
  const index = new TableStoreSearchIndex({ ...connection(ots), tableName: IMAGE_SEARCH.table, indexName: IMAGE_SEARCH.index });
  return Object.assign(index, { close: () => void ots.close() });
}
