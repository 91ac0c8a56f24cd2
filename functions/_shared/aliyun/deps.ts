import { openTable } from '../adapters/open-table';
import { ALL_TABLES } from '../contracts/tables';
import type { FcContext } from '../fc/types';
import type { FunctionInvoker } from '../ports/function-invoker';
import type { Table } from '../ports/table';
import { credentialsFrom } from './credentials';
import { FcFunctionInvoker } from './fc-invoker';

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
