import type { IncomingMessage, ServerResponse } from 'node:http';
import type { LocalEndpoints } from '../endpoints';
import { sendJson, type Mount } from '../gateway/server';

/**
 * `GET /_local/api/endpoints`: where each local service is and with which credentials, for scripts and tests
 * (the shape: `LocalEndpoints` in ../endpoints.ts).
 */
export function endpointsApi(describe: () => LocalEndpoints): Mount {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/_local/api/endpoints' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    sendJson(res, 200, describe());
    return true;
  };
}
