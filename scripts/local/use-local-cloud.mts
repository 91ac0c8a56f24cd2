/**
 * Runs a user's own script against a running local cloud with its SDK clients configured as for the cloud (D145):
 *
 *   node --import tsx --import ./scripts/local/use-local-cloud.mts my-script.js
 *
 * The official SDKs in their default settings name the region's hosts over HTTPS — `@alicloud/fc20230330` with
 * `endpoint: '<accountId>.cn-hangzhou.fc.aliyuncs.com'` (what FC's docs tell users to write), `ali-oss` with
 * `region`, `tablestore` with `https://<instance>.cn-hangzhou.ots.aliyuncs.com` —, which a script outside the local
 * cloud cannot reach: the gateway speaks plain HTTP on 127.0.0.1. Loaded first, this module does in the script's
 * process what every function instance does (D124): connections to the region's service hosts go to the emulators
 * (HTTPS carried as plain HTTP, the Host header the SDK signed unchanged), any other `*.aliyuncs.com` host fails at
 * once naming its service; and `ALIBABA_CLOUD_ACCESS_KEY_ID`, `…_SECRET` and `…_SECURITY_TOKEN` are the local
 * account's, so `new Credential()` (the default chain) signs as the emulators expect.
 *
 * Which local cloud: `LOCAL_CLOUD_URL`, else `http://127.0.0.1:$PORT` (PORT as `npm start` takes it, default 9000).
 */
import { createRequire } from 'node:module';
import type { LocalEndpoints } from './endpoints';
import { routeRegionalHosts } from './runtime/cloud-host-routing';

const cloudUrl = process.env.LOCAL_CLOUD_URL ?? `http://127.0.0.1:${process.env.PORT ?? '9000'}`;

async function readEndpoints(): Promise<LocalEndpoints> {
  try {
    const res = await fetch(`${cloudUrl}/_local/api/endpoints`);
    if (!res.ok) throw new Error(`it answered ${res.status}`);
    return (await res.json()) as LocalEndpoints;
  } catch (err) {
    const why = (err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message;
    throw new Error(`use-local-cloud: no local cloud answers at ${cloudUrl} (${why}); start it with npm start, or set LOCAL_CLOUD_URL (PORT) to the one running`, { cause: err });
  }
}

const endpoints = await readEndpoints();
routeRegionalHosts(endpoints.region, {
  FC_ENDPOINT: endpoints.fc.endpoint,
  OSS_ENDPOINT: endpoints.oss?.endpoint,
  TABLESTORE_ENDPOINT: endpoints.tablestore?.endpoint,
  MNS_ENDPOINT: endpoints.mns?.endpoint,
  FNF_ENDPOINT: endpoints.fnf?.endpoint,
});
// Hook TLS now rather than on the first `require('https')`: the script may be an ES module importing node:https.
createRequire(import.meta.url)('node:tls');
process.env.ALIBABA_CLOUD_ACCESS_KEY_ID = endpoints.credentials.accessKeyId;
process.env.ALIBABA_CLOUD_ACCESS_KEY_SECRET = endpoints.credentials.accessKeySecret;
process.env.ALIBABA_CLOUD_SECURITY_TOKEN = endpoints.credentials.securityToken;
