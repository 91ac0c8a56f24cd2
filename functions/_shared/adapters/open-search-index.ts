import type BetterSqlite3 from 'better-sqlite3';
import type { Credentials } from '../aliyun/credentials';
import type { TableStoreSearchIndex as TableStoreSearchIndexClass } from '../aliyun/tablestore-search-index';
import type { SearchIndex } from '../ports/search-index';
import type { SqliteSearchIndex as SqliteSearchIndexClass } from './sqlite-search-index';

/** Which index: the data table holding the documents and the search index on it (`infra/ros.yaml`). */
export interface SearchIndexName {
  table: string;
  index: string;
}

/** The image metadata index (`ImageSearchTable` / `ImageSearchIndex` in infra/ros.yaml). */
export const IMAGE_SEARCH: SearchIndexName = { table: 'image_search', index: 'image_search_index' };

/**
 * The SearchIndex adapter for this environment, chosen by the `TABLESTORE_ENDPOINT` URL scheme exactly as
 * `openTable` chooses the Table adapter (docs/decisions.md D2):
 * - `https://<instance>.<region>[.vpc].tablestore.aliyuncs.com` → the TableStore search index (`tablestore` SDK);
 * - `sqlite:///<absolute path>` → SQLite FTS5 in the same database file as the tables (local cloud).
 * One instance per endpoint, index and (for TableStore) access key per process: FC reuses instances across
 * invocations.
 * @example const search = openSearchIndex(process.env, credentialsFrom(context), IMAGE_SEARCH);
 *          const page = await search.search({ text: 'aurora', limit: 20 });
 */
const cache = new Map<string, SearchIndex>();

export function openSearchIndex(env: NodeJS.ProcessEnv, credentials: Credentials, name: SearchIndexName = IMAGE_SEARCH): SearchIndex {
  const endpoint = env.TABLESTORE_ENDPOINT;
  if (!endpoint) throw new Error('TABLESTORE_ENDPOINT is not set (s.yaml environmentVariables)');
  const local = endpoint.startsWith('sqlite://');
  // The SQLite adapter ignores credentials: keying it by access key would open a new connection per STS rotation.
  const key = `${endpoint}|${local ? '' : credentials.accessKeyId}|${name.table}/${name.index}`;
  let index = cache.get(key);
  if (index) return index;
  if (local) {
    // Loaded lazily: the cloud bundle keeps better-sqlite3 external and never reaches this line.
    /* eslint-disable @typescript-eslint/no-require-imports */
    const { SqliteSearchIndex } = require('./sqlite-search-index') as { SqliteSearchIndex: typeof SqliteSearchIndexClass };
    index = new SqliteSearchIndex(require('better-sqlite3') as typeof BetterSqlite3, endpoint.slice('sqlite://'.length), name.table);
    /* eslint-enable @typescript-eslint/no-require-imports */
  } else {
    const instance = env.TABLESTORE_INSTANCE;
    if (!instance) throw new Error('TABLESTORE_INSTANCE is not set (s.yaml environmentVariables)');
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { TableStoreSearchIndex } = require('../aliyun/tablestore-search-index') as { TableStoreSearchIndex: typeof TableStoreSearchIndexClass };
    index = new TableStoreSearchIndex({ endpoint, instance, credentials, tableName: name.table, indexName: name.index });
  }
  cache.clear();
  cache.set(key, index);
  return index;
}
