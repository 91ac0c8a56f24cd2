import { resolve } from 'node:path';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { readYamlFile } from './yaml-file';
import { SpecError, SpecErrors } from './errors';
import type { BucketCorsRuleSpec, InfraSpec, SearchIndexFieldSpec, SearchIndexSpec } from './model';
import { mnsQueue, mnsSubscription, mnsTopic } from './ros-mns';
import { SYSTEM_POLICY_STATEMENTS, type PolicyStatement, type RoleSpec } from '../ram/policy';

/**
 * Reads the ROS template the `ros` resource deploys; the local cloud creates its buckets, TableStore tables and
 * search indexes, and MNS queues, topics and subscriptions. Intrinsics supported: `Ref` to a parameter or to the
 * pseudo parameters `ALIYUN::Region` and `ALIYUN::AccountId`, `Fn::Join`, `Fn::Sub` with those names. Any other
 * intrinsic, resource type or table/index property the local cloud cannot honour is refused by name.
 */
/** RAM: roles and their policies, which the emulators hold each function's credentials to (D144). */
const RAM_TYPES = new Set(['ALIYUN::RAM::Role', 'ALIYUN::RAM::AttachPolicyToRole', 'ALIYUN::RAM::ManagedPolicy']);
const MNS_TYPES = { 'ALIYUN::MNS::Queue': 'queues', 'ALIYUN::MNS::Topic': 'topics', 'ALIYUN::MNS::Subscription': 'subscriptions' } as const;
const TYPES = new Set(['ALIYUN::OSS::Bucket', 'ALIYUN::OTS::Instance', 'ALIYUN::OTS::Table', 'ALIYUN::OTS::SearchIndex', ...Object.keys(MNS_TYPES), ...RAM_TYPES]);

const CORS_METHODS = ['GET', 'PUT', 'DELETE', 'POST', 'HEAD'];

/**
 * A bucket's `CORSConfiguration.CORSRule` list as a deploy sets it, so the local bucket answers browsers with the
 * same methods, headers and exposed headers as the deployed one. What OSS's PutBucketCors would refuse is named.
 */
function bucketCorsRules(config: unknown, path: string): BucketCorsRuleSpec[] {
  if (config === undefined) return [];
  const rules = (config as { CORSRule?: unknown }).CORSRule;
  if (!Array.isArray(rules)) throw new SpecError(`${path}.CORSRule`, 'must be a list of rules');
  const errors: SpecError[] = [];
  const strings = (value: unknown, field: string): string[] => {
    if (value === undefined) return [];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string' && typeof v !== 'number')) {
      errors.push(new SpecError(field, 'must be a list of strings'));
      return [];
    }
    return value.map(String);
  };
  const parsed = rules.map((raw, i): BucketCorsRuleSpec => {
    const rule = (raw ?? {}) as Record<string, unknown>;
    const at = `${path}.CORSRule[${i}]`;
    const allowedOrigins = strings(rule.AllowedOrigin, `${at}.AllowedOrigin`);
    const allowedMethods = strings(rule.AllowedMethod, `${at}.AllowedMethod`).map((m) => m.toUpperCase());
    const exposeHeaders = strings(rule.ExposeHeader, `${at}.ExposeHeader`);
    if (allowedOrigins.length === 0) errors.push(new SpecError(`${at}.AllowedOrigin`, 'every CORS rule needs at least one origin'));
    const badMethod = allowedMethods.find((m) => !CORS_METHODS.includes(m));
    if (allowedMethods.length === 0 || badMethod) errors.push(new SpecError(`${at}.AllowedMethod`, `${badMethod ?? 'none given'}: OSS takes ${CORS_METHODS.join(', ')}`));
    if (exposeHeaders.some((h) => h.includes('*'))) errors.push(new SpecError(`${at}.ExposeHeader`, 'an exposed header cannot contain "*" (OSS refuses it)'));
    const maxAge = rule.MaxAgeSeconds;
    if (maxAge !== undefined && !(Number.isInteger(Number(maxAge)) && Number(maxAge) >= 0)) errors.push(new SpecError(`${at}.MaxAgeSeconds`, 'must be a whole number of seconds'));
    return { allowedOrigins, allowedMethods, allowedHeaders: strings(rule.AllowedHeader, `${at}.AllowedHeader`), exposeHeaders, ...(maxAge !== undefined ? { maxAgeSeconds: Number(maxAge) } : {}) };
  });
  if (errors.length > 0) throw new SpecErrors(errors);
  return parsed;
}

/**
 * What to do about a bucket, table, queue or topic a trigger or destination names and no ROS template declares. The
 * local cloud creates only what the project declares, as a deploy finds only what exists; a project with no `ros`
 * resource at all (a user's own, `npm start -- -t`, D154) is told where such a declaration goes.
 */
export function undeclaredHint(spec: { rendered: Record<string, { component: string }> }, rosType: string, name: string): string {
  const hasTemplate = Object.values(spec.rendered).some((r) => r.component === 'ros');
  if (hasTemplate) return `declare it in the ROS template as ${rosType} (name ${name}): the local cloud creates only what its templates declare`;
  return `this s.yaml has no ROS template, and the local cloud creates only what a project declares: add a resource with component: ros whose template declares ${rosType} ${name} (s deploy then creates it too)`;
}

export function emptyInfra(): InfraSpec {
  return { buckets: [], otsInstances: [], tables: [], searchIndexes: [], queues: [], topics: [], subscriptions: [], roles: [] };
}

/** Adds every list of `from` to `into` (several ros resources may each declare part of the infrastructure). */
export function mergeInfra(into: InfraSpec, from: InfraSpec): void {
  for (const key of Object.keys(from) as (keyof InfraSpec)[]) (into[key] as unknown[]).push(...from[key]);
}

export function loadRosInfra(props: Record<string, unknown>, baseDir: string, path: string): InfraSpec {
  if (typeof props.template !== 'string') throw new SpecError(`${path}.template`, 'must be a path to a ROS template');
  const file = resolve(baseDir, props.template);
  const template = readYamlFile(file) as {
    Parameters?: Record<string, { Default?: unknown }>;
    Resources?: Record<string, { Type: string; Properties?: Record<string, unknown> }>;
  };
  const params: Record<string, unknown> = { 'ALIYUN::Region': props.region ?? 'cn-hangzhou', 'ALIYUN::AccountId': LOCAL_ACCOUNT_ID };
  for (const [name, def] of Object.entries(template.Parameters ?? {})) params[name] = def.Default;
  Object.assign(params, (props.parameters ?? {}) as Record<string, unknown>);

  const where = (res: string) => `${path}.template<${props.template}>.Resources.${res}`;
  const infra = emptyInfra();
  const ram: RamResource[] = [];
  for (const [name, resource] of Object.entries(template.Resources ?? {})) {
    if (!TYPES.has(resource.Type)) throw new SpecError(`${where(name)}.Type`, `${resource.Type} is not emulated`, `the local cloud creates ${[...TYPES].join(', ')}`);
    const p = resolveIntrinsics(resource.Properties ?? {}, params, `${where(name)}.Properties`) as Record<string, unknown>;
    if (RAM_TYPES.has(resource.Type)) {
      ram.push({ type: resource.Type, props: p, path: `${where(name)}.Properties` });
    } else if (resource.Type in MNS_TYPES) {
      addMns(infra, resource.Type as keyof typeof MNS_TYPES, p, `${where(name)}.Properties`);
    } else if (resource.Type === 'ALIYUN::OSS::Bucket') {
      const corsRules = bucketCorsRules(p.CORSConfiguration, `${where(name)}.Properties.CORSConfiguration`);
      infra.buckets.push({ name: String(p.BucketName), corsOrigins: corsRules.flatMap((r) => r.allowedOrigins), corsRules });
    } else if (resource.Type === 'ALIYUN::OTS::Instance') {
      infra.otsInstances.push(String(p.InstanceName));
    } else if (resource.Type === 'ALIYUN::OTS::SearchIndex') {
      infra.searchIndexes.push(searchIndexOf(p, `${where(name)}.Properties`));
    } else {
      const primaryKey = ((p.PrimaryKey ?? []) as { Name: string; Type: string }[]).map((k) => ({ name: k.Name, type: k.Type.toUpperCase() as 'STRING' | 'INTEGER' | 'BINARY' }));
      const at = `${where(name)}.Properties`;
      infra.tables.push({
        instance: String(p.InstanceName),
        name: String(p.TableName),
        primaryKey,
        ttlSeconds: Number(p.TimeToLive ?? -1),
        maxVersions: Number(p.MaxVersions ?? 1),
        ...tableIndexesOf(p, at),
        deviationSeconds: Number(p.DeviationCellVersionInSec ?? 86400),
      });
    }
  }
  infra.roles = rolesOf(ram);
  return infra;
}

interface RamResource {
  type: string;
  props: Record<string, unknown>;
  path: string;
}

const listOf = (v: unknown): string[] => (v === undefined ? [] : [v].flat().map(String));

/** Each `ALIYUN::RAM::Role` with the statements of every policy attached to it; what cannot be evaluated is refused. */
function rolesOf(resources: RamResource[]): RoleSpec[] {
  const roles = new Map<string, RoleSpec>();
  for (const r of resources.filter((x) => x.type === 'ALIYUN::RAM::Role')) {
    const trust = ((r.props.AssumeRolePolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? []).flatMap((s) => listOf((s.Principal as { Service?: unknown } | undefined)?.Service));
    roles.set(String(r.props.RoleName).toLowerCase(), { name: String(r.props.RoleName), trustedServices: trust, statements: [] });
  }
  const attach = (roleName: string, path: string, statements: PolicyStatement[]) => {
    const role = roles.get(roleName.toLowerCase());
    if (!role) throw new SpecError(path, `role ${roleName} is not an ALIYUN::RAM::Role of this template`);
    role.statements.push(...statements);
  };
  for (const r of resources) {
    if (r.type === 'ALIYUN::RAM::ManagedPolicy') {
      const statements = ((r.props.PolicyDocument as { Statement?: Record<string, unknown>[] } | undefined)?.Statement ?? []).map((s, i): PolicyStatement => {
        if (s.Condition !== undefined) throw new SpecError(`${r.path}.PolicyDocument.Statement[${i}].Condition`, 'conditions are not evaluated by the local cloud', 'docs/fidelity.md, RAM');
        if (s.Effect !== 'Allow' && s.Effect !== 'Deny') throw new SpecError(`${r.path}.PolicyDocument.Statement[${i}].Effect`, 'must be Allow or Deny');
        return { effect: s.Effect, actions: listOf(s.Action), resources: listOf(s.Resource) };
      });
      for (const role of listOf(r.props.Roles)) attach(role, `${r.path}.Roles`, statements);
    } else if (r.type === 'ALIYUN::RAM::AttachPolicyToRole') {
      const known = r.props.PolicyType === 'System' ? SYSTEM_POLICY_STATEMENTS[String(r.props.PolicyName)] : undefined;
      if (!known) throw new SpecError(`${r.path}.PolicyName`, `${String(r.props.PolicyType)} policy ${String(r.props.PolicyName)} is not known to the local cloud`, `system policies it knows: ${Object.keys(SYSTEM_POLICY_STATEMENTS).join(', ')}; declare your own as an ALIYUN::RAM::ManagedPolicy with Roles`);
      attach(String(r.props.RoleName), `${r.path}.RoleName`, known);
    }
  }
  return [...roles.values()];
}

const DEFINED_COLUMN_TYPES = new Set(['STRING', 'INTEGER', 'DOUBLE', 'BOOLEAN']);
const INDEX_TYPES: Record<string, 'GLOBAL' | 'LOCAL'> = { Global: 'GLOBAL', Local: 'LOCAL' };

/**
 * A table's `Columns` (its predefined columns, `{Name, Type}`) and `SecondaryIndices` (`IndexName`, `PrimaryKeys`:
 * the index's key columns, `Columns`: its attribute columns, both names of the table's primary key or predefined
 * columns; `IndexType` `Global` (default) or `Local`), as ROS's ALIYUN::OTS::Table declares them (D158, Later).
 * What the local TableStore's CreateTable would refuse anyway is named here with its property path.
 */
function tableIndexesOf(p: Record<string, unknown>, path: string): Pick<InfraSpec['tables'][number], 'definedColumns' | 'secondaryIndexes'> {
  const errors: SpecError[] = [];
  const list = (value: unknown, at: string): unknown[] => {
    if (value === undefined) return [];
    if (Array.isArray(value)) return value;
    errors.push(new SpecError(at, 'must be a list'));
    return [];
  };
  const names = (value: unknown, at: string): string[] => {
    if (!Array.isArray(value) || value.length === 0 || value.some((v) => typeof v !== 'string')) {
      errors.push(new SpecError(at, 'must be a list of column names'));
      return [];
    }
    return value as string[];
  };
  const definedColumns = list(p.Columns, `${path}.Columns`).map((raw, i) => {
    const column = (raw ?? {}) as Record<string, unknown>;
    const type = String(column.Type ?? '').toUpperCase();
    if (typeof column.Name !== 'string' || column.Name === '') errors.push(new SpecError(`${path}.Columns[${i}].Name`, 'must be a column name'));
    if (!DEFINED_COLUMN_TYPES.has(type)) errors.push(new SpecError(`${path}.Columns[${i}].Type`, `${String(column.Type)}: a predefined column is one of ${[...DEFINED_COLUMN_TYPES].join(', ')}`));
    return { name: String(column.Name), type: type as 'STRING' | 'INTEGER' | 'DOUBLE' | 'BOOLEAN' };
  });
  const keyNames = new Set(((p.PrimaryKey ?? []) as { Name?: unknown }[]).map((k) => String(k.Name)));
  const definedNames = new Set(definedColumns.map((c) => c.name));
  const secondaryIndexes = list(p.SecondaryIndices, `${path}.SecondaryIndices`).map((raw, i) => {
    const index = (raw ?? {}) as Record<string, unknown>;
    const at = `${path}.SecondaryIndices[${i}]`;
    const known = new Set(['IndexName', 'IndexType', 'PrimaryKeys', 'Columns']);
    for (const key of Object.keys(index)) if (!known.has(key)) errors.push(new SpecError(`${at}.${key}`, `not a property of a SecondaryIndices entry (it takes ${[...known].join(', ')})`));
    if (typeof index.IndexName !== 'string' || index.IndexName === '') errors.push(new SpecError(`${at}.IndexName`, 'must be an index name'));
    const type = index.IndexType === undefined ? 'GLOBAL' : INDEX_TYPES[String(index.IndexType)];
    if (!type) errors.push(new SpecError(`${at}.IndexType`, `${String(index.IndexType)}: ROS takes Global or Local`));
    const primaryKey = names(index.PrimaryKeys, `${at}.PrimaryKeys`);
    const unknownKey = primaryKey.find((n) => !keyNames.has(n) && !definedNames.has(n));
    if (unknownKey) errors.push(new SpecError(`${at}.PrimaryKeys`, `${unknownKey} is neither a primary key column nor one of the table's Columns`));
    // ROS requires Columns; an empty list is an index that carries no attribute columns.
    const columns = Array.isArray(index.Columns) && index.Columns.length === 0 ? [] : names(index.Columns, `${at}.Columns`);
    const unknownColumn = columns.find((n) => !definedNames.has(n));
    if (unknownColumn) errors.push(new SpecError(`${at}.Columns`, `${unknownColumn} is not one of the table's Columns (an index's Columns are predefined columns it carries)`));
    return { name: String(index.IndexName), type: type ?? 'GLOBAL', primaryKey, definedColumns: columns };
  });
  if (errors.length > 0) throw new SpecErrors(errors);
  return { definedColumns, secondaryIndexes };
}

function addMns(infra: InfraSpec, type: keyof typeof MNS_TYPES, p: Record<string, unknown>, path: string): void {
  if (type === 'ALIYUN::MNS::Queue') infra.queues.push(mnsQueue(p, path));
  else if (type === 'ALIYUN::MNS::Topic') infra.topics.push(mnsTopic(p, path));
  else infra.subscriptions.push(mnsSubscription(p, path));
}

/** ROS's spellings of field types and analyzers (`Text`, `SingleWord`) → the SDK's (`TEXT`, `single_word`). */
const ANALYZERS: Record<string, string> = { SingleWord: 'single_word', Split: 'split', MinWord: 'min_word', MaxWord: 'max_word', Fuzzy: 'fuzzy' };
const FIELD_TYPES = new Set(['LONG', 'DOUBLE', 'BOOLEAN', 'KEYWORD', 'TEXT', 'NESTED', 'GEO_POINT', 'DATE']);

function searchIndexOf(p: Record<string, unknown>, path: string): SearchIndexSpec {
  for (const key of ['IndexSort', 'IndexSetting']) {
    if (p[key] !== undefined) throw new SpecError(`${path}.${key}`, `${key} is not emulated by the local cloud's ROS loader`, 'remove it, or create the index yourself through CreateSearchIndex');
  }
  const fields = ((p.FieldSchemas ?? []) as Record<string, unknown>[]).map((f, i): SearchIndexFieldSpec => {
    const type = String(f.FieldType ?? '').replace(/([a-z])([A-Z])/g, '$1_$2').toUpperCase();
    if (!FIELD_TYPES.has(type)) throw new SpecError(`${path}.FieldSchemas[${i}].FieldType`, `unknown field type ${String(f.FieldType)}`);
    const analyzer = f.Analyzer === undefined ? undefined : (ANALYZERS[String(f.Analyzer)] ?? String(f.Analyzer));
    return {
      name: String(f.FieldName),
      type: type as SearchIndexFieldSpec['type'],
      ...(analyzer ? { analyzer } : {}),
      index: f.Index !== false,
      isArray: f.IsArray === true,
      enableSortAndAgg: f.EnableSortAndAgg === true,
      store: f.Store === true,
    };
  });
  return { instance: String(p.InstanceName), table: String(p.TableName), index: String(p.IndexName), fields };
}

/** `Ref`, `Fn::Join` and `Fn::Sub` evaluated with `params` (template parameters and the pseudo parameters). */
export function resolveIntrinsics(value: unknown, params: Record<string, unknown>, path: string): unknown {
  if (Array.isArray(value)) return value.map((v, i) => resolveIntrinsics(v, params, `${path}[${i}]`));
  if (!value || typeof value !== 'object') return value;
  const entries = Object.entries(value);
  if (entries.length === 1) {
    const [key, arg] = entries[0]!;
    if (key === 'Ref') {
      if (!(String(arg) in params)) throw new SpecError(path, `Ref to unknown parameter ${String(arg)}`);
      return params[String(arg)];
    }
    if (key === 'Fn::Join') {
      const [sep, parts] = arg as [string, unknown[]];
      return (resolveIntrinsics(parts, params, path) as unknown[]).map(String).join(sep);
    }
    if (key === 'Fn::Sub') return String(arg).replace(/\$\{([\w:]+)\}/g, (_m, name: string) => String(params[name] ?? `\${${name}}`));
    if (key.startsWith('Fn::')) throw new SpecError(path, `intrinsic ${key} is not evaluated by the local cloud`);
  }
  const out: Record<string, unknown> = {};
  for (const [key, v] of entries) out[key] = resolveIntrinsics(v, params, `${path}.${key}`);
  return out;
}
