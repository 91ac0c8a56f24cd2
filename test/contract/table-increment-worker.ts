/**
 * Worker for the two-connection increment test: opens its own SqliteTable on the shared file and increments one
 * counter `count` times, each in its own transaction, as a function instance (a worker thread) would.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import type { TableSchema } from '#shared/ports/table';

const { path, schema, table, id, count } = workerData as { path: string; schema: TableSchema; table: string; id: string; count: number };

async function main(): Promise<void> {
  const store = new SqliteTable(Database, path, [schema]);
  for (let i = 0; i < count; i++) await store.updateRow(table, { id }, { increment: { n: 1 } });
  store.close();
  parentPort?.postMessage('done');
}

void main();
