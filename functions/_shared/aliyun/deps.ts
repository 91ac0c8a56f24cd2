import { openSearchIndex } from '../adapters/open-search-index';
import { openTable } from '../adapters/open-table';
import { ALL_TABLES } from '../contracts/tables';
import type { FcContext } from '../fc/types';
import type { FunctionInvoker } from '../ports/function-invoker';
import type { ObjectStore } from '../ports/object-store';
import type { SearchIndex } from '../ports/search-index';
import type { Table } from '../ports/table';
import { credentialsFrom } from './credentials';
import { FcFunctionInvoker } from './fc-invoker';
import { ossObjectStoreFromEnv } from './oss-object-store';

/**
 * Production wiring shared by handlers: adapters over the real SDKs, built from the invocation's STS
 * credentials and the environment. Clients are cached per access key (STS keys rotate; a new key builds
 * a new client) because instances are reused across invocations.
 */
const invokers = new Map<string, FunctionInvoker>();

export function tableFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): Table {
  return openTable(env, credentialsFrom(context, env), ALL_TABLES);
}

export function invokerFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): FunctionInvoker {
  const credentials = credentialsFrom(context, env);
  let invoker = invokers.get(credentials.accessKeyId);
  if (!invoker) {
    invoker = new FcFunctionInvoker({
      credentials,
      region: context.region || env.FC_REGION || 'cn-hangzhou',
      accountId: context.accountId || env.FC_ACCOUNT_ID || '',
      ...(env.FC_ENDPOINT ? { endpoint: env.FC_ENDPOINT } : {}),
    });
    invokers.clear();
    invokers.set(credentials.accessKeyId, invoker);
  }
  return invoker;
}

/** The OSS bucket `bucket` (s.yaml sets its name in the environment, e.g. MEDIA_BUCKET). */
export function objectStoreFor(context: FcContext, bucket: string, env: NodeJS.ProcessEnv = process.env): ObjectStore {
  if (!bucket) throw new Error('bucket name is not set (s.yaml environmentVariables, e.g. MEDIA_BUCKET)');
  // Construction is ~20 µs (reference §3.1), so a client per invocation keeps STS rotation trivial.
  return ossObjectStoreFromEnv(env, credentialsFrom(context, env), bucket);
}

/** The image search index (TableStore search index in the cloud, SQLite FTS5 locally; by TABLESTORE_ENDPOINT). */
export function searchIndexFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): SearchIndex {
  return openSearchIndex(env, credentialsFrom(context, env));
}
