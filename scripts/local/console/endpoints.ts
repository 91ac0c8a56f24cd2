import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendJson, type Mount } from '../gateway/server';

/**
 * `GET /_local/api/endpoints`: where each local service is and with which credentials, for scripts and tests
 * (`{accountId, region, credentials, gateway: {url}, fc: {endpoint}, oss: {endpoint, buckets}, mns: {endpoint}, …}`;
 * a service appears once its emulator exists).
 */
export function endpointsApi(describe: () => Record<string, unknown>): Mount {
  return async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> => {
    if (url.pathname !== '/_local/api/endpoints' || (req.method !== 'GET' && req.method !== 'HEAD')) return false;
    sendJson(res, 200, describe());
    return true;
  };
}
