import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from './credentials';

/**
 * `GET /_local/api/endpoints`: where every local service is and as whom to call it, so scripts, tests and a
 * user's own SDK code never guess a port. Each emulator adds its entry once it exists:
 * `{ accountId, region, credentials, gateway: {url}, fc: {endpoint, sdkConfig}, oss: {endpoint, buckets},
 *    tablestore: {endpoint, instance, instances}, mns: {endpoint, queues, topics}, fnf: {endpoint, flows} }`.
 * @example const { tablestore, credentials } = await (await fetch(`${url}/_local/api/endpoints`)).json();
 */
export interface LocalEndpoints {
  accountId: string;
  region: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string };
  gateway: { url: string };
  /**
   * `sdkConfig`: what `@alicloud/fc20230330`'s `Config` needs besides the keys — the gateway as a host and plain HTTP
   * (the SDK's default is HTTPS, and a URL in `endpoint` becomes `https://http//…`) (D145).
   */
  fc: { endpoint: string; sdkConfig?: { endpoint: string; protocol: 'http' } };
  oss?: { endpoint: string; buckets: string[] };
  tablestore?: { endpoint: string; instance: string | undefined; instances: readonly string[] };
  mns?: { endpoint: string; queues?: string[]; topics?: string[] };
  fnf?: { endpoint: string; flows?: string[] };
}

export function localEndpoints(input: { region: string; url: string } & Partial<Pick<LocalEndpoints, 'oss' | 'tablestore' | 'mns' | 'fnf'>>): LocalEndpoints {
  const { region, url, ...services } = input;
  return {
    accountId: LOCAL_ACCOUNT_ID,
    region,
    credentials: { ...LOCAL_CREDENTIALS },
    gateway: { url },
    // FC's InvokeFunction API is served by the gateway itself.
    fc: { endpoint: url, sdkConfig: { endpoint: new URL(url).host, protocol: 'http' } },
    ...services,
  };
}
