import type { FcContext } from '../../fc/types';
import type { FunctionInvoker } from '../../ports/function-invoker';
import { credentialsFrom } from '../credentials';
import { FcFunctionInvoker } from '../fc-invoker';

/**
 * One client per access key: FC reuses instances across invocations and STS keys rotate, so a new key
 * builds a new client and the old one is dropped.
 */
const invokers = new Map<string, FunctionInvoker>();

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
