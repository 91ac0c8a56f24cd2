/**
 * The ROS template as ROS reads it: resource types and property names from the ROS resource reference
 * (https://www.alibabacloud.com/help/en/ros/developer-reference/<type>), the required ones, parameters and
 * DependsOn that resolve, and the name and value rules of the services behind them. MNS queue, topic and
 * subscription properties are checked by the local loader already (scripts/local/spec/ros-mns.ts).
 */
import { SpecError } from '../../local/spec/errors';
import { resolveIntrinsics } from '../../local/spec/ros';
import type { Problem } from './fc-rules';

type Props = Record<string, unknown>;

/**
 * Where the template's problems point: its file as the project's folder names it, and the s.yaml resource (a `ros`
 * component) that passes it parameters — `infra/ros.yaml` and `infra` here, the project's own under `-t` (D165).
 */
export interface TemplateSite {
  file: string;
  resource: string;
}

export interface RosTemplate {
  Parameters?: Record<string, { Type?: string; Default?: unknown }>;
  Resources?: Record<string, { Type: string; DependsOn?: string | string[]; Properties?: Props }>;
}

/** Property names per type, `*` marking the required ones, as the ROS reference lists them. */
const PROPERTIES: Record<string, string[]> = {
  'ALIYUN::OSS::Bucket': ['*BucketName', 'AccessControl', 'CORSConfiguration', 'DeletionForce', 'LifecycleConfiguration', 'LoggingConfiguration', 'RefererConfiguration', 'ServerSideEncryptionConfiguration', 'StorageClass', 'Tags', 'VersioningConfiguration', 'WebsiteConfiguration', 'Policy', 'RedundancyType', 'EnableOssHdfsService', 'ResourceGroupId'],
  'ALIYUN::OTS::Instance': ['*InstanceName', 'ClusterType', 'Description', 'Network', 'Tags'],
  'ALIYUN::OTS::Table': ['*InstanceName', '*TableName', '*PrimaryKey', 'Columns', 'DeviationCellVersionInSec', 'MaxVersions', 'ReservedThroughput', 'SecondaryIndices', 'TimeToLive'],
  'ALIYUN::OTS::SearchIndex': ['*IndexName', '*InstanceName', '*TableName', '*FieldSchemas', 'IndexSetting', 'IndexSort'],
  'ALIYUN::MNS::Queue': ['*QueueName', 'DelaySeconds', 'DlqPolicy', 'LoggingEnabled', 'MaximumMessageSize', 'MessageRetentionPeriod', 'PollingWaitSeconds', 'Tags', 'VisibilityTimeout'],
  'ALIYUN::MNS::Topic': ['*TopicName', 'LoggingEnabled', 'MaximumMessageSize', 'Tags'],
  'ALIYUN::MNS::Subscription': ['*TopicName', '*SubscriptionName', '*Endpoint', 'FilterTag', 'NotifyContentFormat', 'NotifyStrategy', 'DlqPolicy', 'PushType'],
  'ALIYUN::RAM::Role': ['*RoleName', '*AssumeRolePolicyDocument', 'DeletionForce', 'Description', 'IgnoreExisting', 'MaxSessionDuration', 'Policies', 'PolicyAttachments'],
  'ALIYUN::RAM::AttachPolicyToRole': ['*PolicyName', '*PolicyType', '*RoleName'],
  'ALIYUN::RAM::ManagedPolicy': ['*PolicyName', 'PolicyDocument', 'Description', 'Groups', 'IgnoreExisting', 'Roles', 'Users'],
};

const OSS_BUCKET = /^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/;
/** TableStore instance names: 3-16 letters, digits, `-`, a letter first, no `-` last. */
const OTS_INSTANCE = /^[A-Za-z][A-Za-z0-9-]{1,14}[A-Za-z0-9]$/;
const OTS_TABLE = /^[A-Za-z_][A-Za-z0-9_]{0,254}$/;
const RAM_NAME = /^[A-Za-z0-9.@_-]{1,64}$/;
/** ALIYUN::OTS::SearchIndex FieldSchemas items (ROS reference) and the spellings ROS takes for types and analyzers. */
const FIELD_PROPERTIES = ['FieldName', 'FieldType', 'Analyzer', 'Index', 'IsArray', 'EnableSortAndAgg', 'Store', 'SubFieldSchemas'];
const FIELD_TYPES = ['Long', 'Double', 'Boolean', 'Keyword', 'Text', 'Nested', 'GeoPoint', 'Date'];
const ANALYZERS = ['SingleWord', 'MaxWord', 'MinWord', 'Split', 'Fuzzy'];

/** Values for `Ref`/`Fn::Sub`: defaults, then what s.yaml passes, then the pseudo parameters of the deploying account. */
export function templateParameters(template: RosTemplate, passed: Props, region: string, accountId: string): Props {
  const params: Props = { 'ALIYUN::Region': region, 'ALIYUN::AccountId': accountId };
  for (const [name, def] of Object.entries(template.Parameters ?? {})) params[name] = def.Default;
  return Object.assign(params, passed);
}

/** Resources with intrinsics resolved; one that does not resolve is left out (rosProblems names it). */
export function resolvedProperties(template: RosTemplate, params: Props): { name: string; type: string; props: Props }[] {
  return Object.entries(template.Resources ?? {}).flatMap(([name, r]) => {
    try {
      return [{ name, type: r.Type, props: resolveIntrinsics(r.Properties ?? {}, params, `Resources.${name}.Properties`) as Props }];
    } catch (err) {
      if (err instanceof SpecError) return [];
      throw err;
    }
  });
}

export function rosProblems(template: RosTemplate, passed: Props, region: string, accountId: string, site: TemplateSite): Problem[] {
  const problems: Problem[] = [];
  const declared = template.Parameters ?? {};
  for (const name of Object.keys(passed)) if (!(name in declared)) problems.push(`resources.${site.resource}.props.parameters.${name}: the template declares no such parameter (ROS refuses the stack)`);
  for (const [name, def] of Object.entries(declared)) {
    if (def.Default === undefined && !(name in passed)) problems.push(`${site.file} Parameters.${name}: has no Default and s.yaml does not pass it`);
    if (def.Type === 'Number' && name in passed && !/^-?\d+(\.\d+)?$/.test(String(passed[name]))) problems.push(`resources.${site.resource}.props.parameters.${name}: ${JSON.stringify(passed[name])} is not a Number`);
  }
  const resources = template.Resources ?? {};
  const params = templateParameters(template, passed, region, accountId);
  const tables = new Set<string>();
  for (const [name, r] of Object.entries(resources)) {
    const where = `${site.file} Resources.${name}`;
    for (const dep of [r.DependsOn ?? []].flat()) if (!(dep in resources)) problems.push(`${where}.DependsOn: ${dep} is not a resource of the template`);
    const known = PROPERTIES[r.Type];
    if (!known) {
      problems.push(`${where}.Type: ${r.Type} is not a type this check knows; add its properties from the ROS reference`);
      continue;
    }
    const names = known.map((k) => k.replace(/^\*/, ''));
    for (const key of Object.keys(r.Properties ?? {})) if (!names.includes(key)) problems.push(`${where}.Properties.${key}: not a property of ${r.Type}`);
    for (const key of known.filter((k) => k.startsWith('*'))) if ((r.Properties ?? {})[key.slice(1)] === undefined) problems.push(`${where}.Properties.${key.slice(1)}: required by ${r.Type}`);
    let p: Props;
    try {
      p = resolveIntrinsics(r.Properties ?? {}, params, `${where}.Properties`) as Props;
    } catch (err) {
      if (!(err instanceof SpecError)) throw err;
      problems.push(`${err.keyPath}: ${err.problem}`);
      continue;
    }
    problems.push(...valueProblems(r.Type, p, where));
    if (r.Type === 'ALIYUN::OTS::Table') tables.add(`${String(p.InstanceName)}/${String(p.TableName)}`);
  }
  for (const { name, type, props } of resolvedProperties(template, params)) {
    if (type === 'ALIYUN::OTS::SearchIndex' && !tables.has(`${String(props.InstanceName)}/${String(props.TableName)}`)) problems.push(`${site.file} Resources.${name}: its table ${String(props.TableName)} is not declared in the template`);
  }
  return problems;
}

function valueProblems(type: string, p: Props, where: string): Problem[] {
  const problems: Problem[] = [];
  const bad = (key: string, what: string) => problems.push(`${where}.Properties.${key}: ${what} (got ${JSON.stringify(p[key])})`);
  switch (type) {
    case 'ALIYUN::OSS::Bucket':
      if (!OSS_BUCKET.test(String(p.BucketName))) bad('BucketName', '3-63 lower-case letters, digits and -, not starting or ending with -');
      if (p.AccessControl !== undefined && !['private', 'public-read', 'public-read-write'].includes(String(p.AccessControl))) bad('AccessControl', 'must be private, public-read or public-read-write');
      break;
    case 'ALIYUN::OTS::Instance':
      if (!OTS_INSTANCE.test(String(p.InstanceName))) bad('InstanceName', '3-16 letters, digits and -, starting with a letter and not ending with -');
      break;
    case 'ALIYUN::OTS::Table': {
      if (!OTS_TABLE.test(String(p.TableName))) bad('TableName', 'letters, digits and _, starting with a letter or _');
      const pk = Array.isArray(p.PrimaryKey) ? (p.PrimaryKey as Props[]) : [];
      if (pk.length < 1 || pk.length > 4) bad('PrimaryKey', 'needs 1 to 4 columns');
      pk.forEach((k, i) => {
        if (!['STRING', 'INTEGER', 'BINARY'].includes(String(k.Type).toUpperCase())) problems.push(`${where}.Properties.PrimaryKey[${i}].Type: must be STRING, INTEGER or BINARY`);
      });
      const ttl = Number(p.TimeToLive ?? -1);
      if (!(ttl === -1 || (Number.isInteger(ttl) && ttl >= 86400 && ttl <= 2147483647))) bad('TimeToLive', 'must be -1 (never) or at least 86400 s');
      if (p.MaxVersions !== undefined && !(Number.isInteger(Number(p.MaxVersions)) && Number(p.MaxVersions) >= 1)) bad('MaxVersions', 'must be at least 1');
      // ROS's SecondaryIndices entry (D158, Later): IndexName, PrimaryKeys and Columns required, IndexType Global or Local.
      const indexes = Array.isArray(p.SecondaryIndices) ? (p.SecondaryIndices as Props[]) : [];
      indexes.forEach((entry, i) => {
        const at = `${where}.Properties.SecondaryIndices[${i}]`;
        for (const key of ['IndexName', 'PrimaryKeys', 'Columns']) if (entry[key] === undefined) problems.push(`${at}.${key}: required by a SecondaryIndices entry`);
        if (entry.IndexType !== undefined && !['Global', 'Local'].includes(String(entry.IndexType))) problems.push(`${at}.IndexType: must be Global or Local (got ${JSON.stringify(entry.IndexType)})`);
        if (Number(p.MaxVersions ?? 1) !== 1) problems.push(`${at}: a table with secondary indexes must keep MaxVersions 1`);
      });
      break;
    }
    case 'ALIYUN::OTS::SearchIndex': {
      const fields = Array.isArray(p.FieldSchemas) ? (p.FieldSchemas as Props[]) : [];
      if (fields.length === 0) bad('FieldSchemas', 'needs at least one field');
      const seen = new Set<string>();
      fields.forEach((f, i) => {
        if (seen.has(String(f.FieldName))) problems.push(`${where}.Properties.FieldSchemas[${i}].FieldName: ${String(f.FieldName)} appears twice`);
        seen.add(String(f.FieldName));
        const at = `${where}.Properties.FieldSchemas[${i}]`;
        for (const key of Object.keys(f)) if (!FIELD_PROPERTIES.includes(key)) problems.push(`${at}.${key}: not a FieldSchemas property`);
        if (!FIELD_TYPES.includes(String(f.FieldType))) problems.push(`${at}.FieldType: must be one of ${FIELD_TYPES.join(', ')} (got ${JSON.stringify(f.FieldType)})`);
        if (f.Analyzer !== undefined && f.FieldType !== 'Text') problems.push(`${at}.Analyzer: only Text fields take an analyzer`);
        if (f.Analyzer !== undefined && !ANALYZERS.includes(String(f.Analyzer))) problems.push(`${at}.Analyzer: must be one of ${ANALYZERS.join(', ')} (got ${JSON.stringify(f.Analyzer)})`);
      });
      break;
    }
    case 'ALIYUN::RAM::Role': {
      if (!RAM_NAME.test(String(p.RoleName))) bad('RoleName', '1-64 letters, digits, ., @, _ or -');
      const statements = ((p.AssumeRolePolicyDocument as Props | undefined)?.Statement ?? []) as Props[];
      if (!statements.some((s) => s.Action === 'sts:AssumeRole' && s.Effect === 'Allow')) bad('AssumeRolePolicyDocument', 'must allow sts:AssumeRole to a principal');
      break;
    }
    case 'ALIYUN::RAM::AttachPolicyToRole':
      if (p.PolicyType !== 'System' && p.PolicyType !== 'Custom') bad('PolicyType', 'must be System or Custom');
      break;
    case 'ALIYUN::RAM::ManagedPolicy': {
      if (!RAM_NAME.test(String(p.PolicyName)) || String(p.PolicyName).length > 128) bad('PolicyName', '1-128 letters, digits and -');
      const doc = p.PolicyDocument as Props | undefined;
      if (!doc || doc.Version !== '1' || !Array.isArray(doc.Statement) || doc.Statement.length === 0) bad('PolicyDocument', 'needs Version "1" and at least one Statement');
      break;
    }
  }
  return problems;
}
