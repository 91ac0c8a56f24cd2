/**
 * Which local service answers a cloud hostname: code written for FC names its region's endpoints
 * (`new OSS({ region: 'oss-cn-hangzhou', internal: true })`, `https://<instance>.cn-hangzhou.ots.aliyuncs.com`, …)
 * rather than reading the local cloud's `*_ENDPOINT` variables. Pure: the instance's connect hooks
 * (`cloud-host-routing.ts`) ask it for every connection to an `*.aliyuncs.com` host.
 */

/** The services the local cloud emulates, each by the variable that holds its local endpoint. */
export const EMULATED_SERVICES = {
  oss: { name: 'OSS', env: 'OSS_ENDPOINT' },
  tablestore: { name: 'TableStore', env: 'TABLESTORE_ENDPOINT' },
  mns: { name: 'MNS', env: 'MNS_ENDPOINT' },
  fnf: { name: 'CloudFlow (FnF)', env: 'FNF_ENDPOINT' },
  fc: { name: 'Function Compute', env: 'FC_ENDPOINT' },
} as const;
export type EmulatedService = keyof typeof EMULATED_SERVICES;

// `R` stands for the region: each pattern is made once per region with its public, internal and VPC forms.
const PATTERNS: Record<EmulatedService, string> = {
  // `<bucket>.` (virtual-hosted) or none; the S3-compatible `s3.oss-R` too, which the emulator also serves.
  oss: String.raw`(?:[a-z0-9][a-z0-9-]*\.)?(?:s3\.)?oss-R(?:-internal)?`,
  tablestore: String.raw`[a-z][a-z0-9-]*\.R\.(?:ots|ots-internal|vpc\.tablestore|tablestore)`,
  mns: String.raw`[a-z0-9-]+\.mns\.R(?:-internal|-internal-vpc|-vpc)?`,
  fnf: String.raw`R(?:-internal|-vpc)?\.fnf`,
  fc: String.raw`[0-9]+\.R(?:-internal)?\.fc`,
};

/** Product codes as they appear in a host's labels, for a refusal that names the service. */
const OTHER_SERVICES: Record<string, string> = {
  log: 'Simple Log Service (SLS)',
  rds: 'ApsaraDB RDS',
  sts: 'STS',
  kms: 'KMS',
  ecs: 'ECS',
  'r-kvstore': 'Tair (Redis)',
  redis: 'Tair (Redis)',
  mongodb: 'ApsaraDB for MongoDB',
  polardb: 'PolarDB',
  eventbridge: 'EventBridge',
  mq: 'Message Queue',
  ons: 'Message Queue (RocketMQ)',
  dashscope: 'Model Studio (DashScope)',
  cr: 'Container Registry',
  'fc-open': 'Function Compute 2.0 API',
  'mns-open': 'MNS OpenAPI',
  cms: 'CloudMonitor',
  ram: 'RAM',
  vpc: 'VPC',
  slb: 'Server Load Balancer',
  cdn: 'CDN',
  dysmsapi: 'Short Message Service',
  dm: 'Direct Mail',
  elasticsearch: 'Elasticsearch',
  opensearch: 'OpenSearch',
};

export type HostAnswer = { service: EmulatedService } | { refused: string } | undefined;

/** Classifies hostnames for one region; `undefined` for a host that is not Alibaba Cloud's. */
export function regionalHostClassifier(region: string): (hostname: string) => HostAnswer {
  const escaped = region.toLowerCase().replace(/[^a-z0-9-]/g, '');
  const here = Object.entries(PATTERNS).map(([service, pattern]) => ({ service: service as EmulatedService, re: new RegExp(`^${pattern.replace(/R/g, escaped)}\\.aliyuncs\\.com$`) }));
  // The same services in any region: to say "in another region" rather than "not emulated".
  const elsewhere = Object.entries(PATTERNS).map(([service, pattern]) => ({ service: service as EmulatedService, re: new RegExp(`^${pattern.replace(/R/g, '[a-z]+-[a-z0-9-]+?')}\\.aliyuncs\\.com$`) }));
  return (hostname) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    if (host !== 'aliyuncs.com' && !host.endsWith('.aliyuncs.com')) return undefined;
    const found = here.find((p) => p.re.test(host));
    if (found) return { service: found.service };
    const other = elsewhere.find((p) => p.re.test(host));
    if (other) return { refused: `${EMULATED_SERVICES[other.service].name} outside ${escaped} (the local cloud emulates s.yaml's region only)` };
    const product = host.split('.').find((label) => label in OTHER_SERVICES);
    return { refused: product ? OTHER_SERVICES[product]! : 'this Alibaba Cloud service' };
  };
}
