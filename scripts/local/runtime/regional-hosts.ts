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

/**
 * The rules the classifier applies, as data: whole-host patterns (no anchors) of the region's service hosts and of
 * the same services elsewhere, and the product labels of the services that are refused by name. A Python
 * instance's bootstrap classifies with exactly these (python/_local_cloud_hosts.py, D139).
 */
export interface RegionalHostRules {
  region: string;
  here: [EmulatedService, string][];
  elsewhere: [EmulatedService, string][];
  names: Record<EmulatedService, string>;
  /** The variable holding each service's local endpoint. */
  variables: Record<EmulatedService, string>;
  others: Record<string, string>;
}

export function regionalHostRules(region: string): RegionalHostRules {
  const escaped = region.toLowerCase().replace(/[^a-z0-9-]/g, '');
  const services = Object.keys(PATTERNS) as EmulatedService[];
  const hosts = (regionPattern: string) => services.map((service): [EmulatedService, string] => [service, `${PATTERNS[service].replace(/R/g, regionPattern)}\\.aliyuncs\\.com`]);
  return {
    region: escaped,
    here: hosts(escaped),
    // The same services in any region: to say "in another region" rather than "not emulated".
    elsewhere: hosts('[a-z]+-[a-z0-9-]+?'),
    names: Object.fromEntries(services.map((service) => [service, EMULATED_SERVICES[service].name])) as Record<EmulatedService, string>,
    variables: Object.fromEntries(services.map((service) => [service, EMULATED_SERVICES[service].env])) as Record<EmulatedService, string>,
    others: OTHER_SERVICES,
  };
}

/** Classifies hostnames for one region; `undefined` for a host that is not Alibaba Cloud's. */
export function regionalHostClassifier(region: string): (hostname: string) => HostAnswer {
  const rules = regionalHostRules(region);
  const compile = (list: [EmulatedService, string][]) => list.map(([service, pattern]) => ({ service, re: new RegExp(`^(?:${pattern})$`) }));
  const here = compile(rules.here);
  const elsewhere = compile(rules.elsewhere);
  return (hostname) => {
    const host = hostname.toLowerCase().replace(/\.$/, '');
    if (host !== 'aliyuncs.com' && !host.endsWith('.aliyuncs.com')) return undefined;
    const found = here.find((p) => p.re.test(host));
    if (found) return { service: found.service };
    const other = elsewhere.find((p) => p.re.test(host));
    if (other) return { refused: `${rules.names[other.service]} outside ${rules.region} (the local cloud emulates s.yaml's region only)` };
    const product = host.split('.').find((label) => label in OTHER_SERVICES);
    return { refused: product ? OTHER_SERVICES[product]! : 'this Alibaba Cloud service' };
  };
}
