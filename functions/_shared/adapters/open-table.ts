import type { Credentials } from '../aliyun/credentials';
import type BetterSqlite3 from 'better-sqlite3';
import type { TableStoreTable as TableStoreTableClass } from '../aliyun/tablestore-table';
import type { Table, TableSchema } from '../ports/table';
import type { SqliteTable as SqliteTableClass } from './sqlite-table';

/**
 * The Table adapter for this environment, chosen by the `TABLESTORE_ENDPOINT` URL scheme — configuration,
 * like any endpoint (docs/decisions.md D2):
 * - `https://<instance>.<region>[.vpc].tablestore.aliyuncs.com` → TableStore through the `tablestore` SDK;
 * - `sqlite:///<absolute path>` → the SQLite adapter (the local cloud sets this).
 * One instance per endpoint and access key per process: FC reuses instances across invocations.
 */
const cache = new Map<string, Table>();

export function openTable(env: NodeJS.ProcessEnv, credentials: Credentials, schemas: readonly TableSchema[]): Table {
  const endpoint = env.TABLESTORE_ENDPOINT;
  if (!endpoint) throw new Error('TABLESTORE_ENDPOINT is not set (s.yaml environmentVariables)');
  const local = endpoint.startsWith('sqlite://');
  // The SQLite adapter ignores credentials: keying it by access key would open a new connection per STS rotation.
  const key = `${endpoint}|${local ? '' : credentials.accessKeyId}|${schemas.map((s) => s.name).join(',')}`;
  let table = cache.get(key);
  if (table) return table;
  if (local) {
    // Loaded lazily: the cloud bundle keeps better-sqlite3 external and never reaches this line.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { SqliteTable } = require('./sqlite-table') as { SqliteTable: typeof SqliteTableClass };
    table = new SqliteTable(require('better-sqlite3') as typeof BetterSqlite3, endpoint.slice('sqlite://'.length), schemas);
    /* eslint-enable @typescript-eslint/no-require-imports */
  } else {
    const instance = env.TABLESTORE_INSTANCE;
    if (!instance) throw new Error('TABLESTORE_INSTANCE is not set (s.yaml environmentVariables)');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TableStoreTable } = require('../aliyun/tablestore-table') as { TableStoreTable: typeof TableStoreTableClass };
    table = new TableStoreTable({ endpoint, instance, credentials, schemas });
  }
  cache.clear();
  cache.set(key, table);
  return table;
}
