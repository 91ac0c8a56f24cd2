import type { FcContext } from '../../fc/types';
import type { WorkflowClient } from '../../ports/workflow-client';
import { credentialsFrom } from '../credentials';
import { FnfWorkflowClient } from '../fnf-workflow-client';

/**
 * CloudFlow for functions: one client per access key (STS keys rotate; a new key builds a new client),
 * the region from the context, and `FNF_ENDPOINT` where the local cloud sets it.
 */
const clients = new Map<string, WorkflowClient>();

export function workflowClientFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): WorkflowClient {
  const credentials = credentialsFrom(context, env);
  let client = clients.get(credentials.accessKeyId);
  if (!client) {
    client = new FnfWorkflowClient({
      credentials,
      region: context.region || env.FC_REGION || 'cn-hangzhou',
      ...(env.FNF_ENDPOINT ? { endpoint: env.FNF_ENDPOINT } : {}),
    });
    clients.clear();
    clients.set(credentials.accessKeyId, client);
  }
  return client;
}
