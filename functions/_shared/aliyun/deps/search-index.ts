import type { FcContext } from '../../fc/types';
import type { SearchIndex } from '../../ports/search-index';
import { credentialsFrom } from '../credentials';
import { cachedPerConnection, tableStoreConnectionFromEnv } from '../tablestore-client';
import { IMAGE_SEARCH, TableStoreSearchIndex } from '../tablestore-search-index';

const indexes = cachedPerConnection((connection) => new TableStoreSearchIndex({ ...connection, tableName: IMAGE_SEARCH.table, indexName: IMAGE_SEARCH.index }));

/** The image search index (the TableStore search index `IMAGE_SEARCH` of infra/ros.yaml). */
export function searchIndexFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): SearchIndex {
  return indexes(tableStoreConnectionFromEnv(env, credentialsFrom(context, env)));
}
