import { openSearchIndex } from '../../adapters/open-search-index';
import type { FcContext } from '../../fc/types';
import type { SearchIndex } from '../../ports/search-index';
import { credentialsFrom } from '../credentials';

/** The image search index (TableStore search index in the cloud, SQLite FTS5 locally; by TABLESTORE_ENDPOINT). */
export function searchIndexFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): SearchIndex {
  return openSearchIndex(env, credentialsFrom(context, env));
}
