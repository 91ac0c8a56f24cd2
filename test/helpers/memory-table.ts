import Database from 'better-sqlite3';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import type { Clock } from '#shared/ports/clock';
import type { Table, TableSchema } from '#shared/ports/table';

/**
 * A Table for unit tests of `core.ts` modules: the full port semantics (conditions, ranges, TTL, batches), no
 * network, one private in-memory database per call. Unit tests depend on this factory, not on how it is built,
 * so the implementation behind it may change.
 * @example const table = createMemoryTable(ALL_TABLES, clock);
 */
export function createMemoryTable(schemas: readonly TableSchema[], clock?: Clock): Table & { close(): void } {
  return new SqliteTable(Database, ':memory:', schemas, clock);
}
