import { resolve } from 'node:path';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { readYamlFile } from './yaml-file';
import { SpecError } from './errors';
import type { InfraSpec } from './model';
import { mnsQueue, mnsSubscription, mnsTopic } from './ros-mns';

/**
 * Reads the ROS template the `ros` resource deploys and creates its buckets, TableStore tables and MNS queues,
 * topics and subscriptions locally. Intrinsics supported: `Ref` to a parameter or to the pseudo parameters
 * `ALIYUN::Region` and `ALIYUN::AccountId`, `Fn::Join`, `Fn::Sub` with those names. Any other intrinsic or
 * resource type is refused by name.
 */
/** Accepted with no local effect: there is no RAM locally (every function gets the local account's keys). */
const INERT_TYPES = new Set(['ALIYUN::RAM::Role', 'ALIYUN::RAM::AttachPolicyToRole']);
const MNS_TYPES = { 'ALIYUN::MNS::Queue': 'queues', 'ALIYUN::MNS::Topic': 'topics', 'ALIYUN::MNS::Subscription': 'subscriptions' } as const;
const TYPES = new Set(['ALIYUN::OSS::Bucket', 'ALIYUN::OTS::Instance', 'ALIYUN::OTS::Table', 'ALIYUN::OTS::SearchIndex', ...Object.keys(MNS_TYPES), ...INERT_TYPES]);

export function emptyInfra(): InfraSpec {
  return { buckets: [], otsInstances: [], tables: [], queues: [], topics: [], subscriptions: [] };
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
  for (const [name, resource] of Object.entries(template.Resources ?? {})) {
    if (!TYPES.has(resource.Type)) throw new SpecError(`${where(name)}.Type`, `${resource.Type} is not emulated`, `the local cloud creates ${[...TYPES].join(', ')}`);
    if (INERT_TYPES.has(resource.Type)) continue;
    const p = resolveIntrinsics(resource.Properties ?? {}, params, `${where(name)}.Properties`) as Record<string, unknown>;
    if (resource.Type in MNS_TYPES) {
      addMns(infra, resource.Type as keyof typeof MNS_TYPES, p, `${where(name)}.Properties`);
    } else if (resource.Type === 'ALIYUN::OSS::Bucket') {
      const rules = ((p.CORSConfiguration as { CORSRule?: { AllowedOrigin?: string[] }[] } | undefined)?.CORSRule ?? []);
      infra.buckets.push({ name: String(p.BucketName), corsOrigins: rules.flatMap((r) => r.AllowedOrigin ?? []) });
    } else if (resource.Type === 'ALIYUN::OTS::Instance') {
      infra.otsInstances.push(String(p.InstanceName));
    } else if (resource.Type === 'ALIYUN::OTS::SearchIndex') {
      // Nothing to create: locally the SearchIndex port is SQLite FTS5, whose tables the adapter creates itself.
      continue;
    } else {
      const primaryKey = ((p.PrimaryKey ?? []) as { Name: string; Type: string }[]).map((k) => ({ name: k.Name, type: k.Type.toUpperCase() as 'STRING' | 'INTEGER' | 'BINARY' }));
      infra.tables.push({ instance: String(p.InstanceName), name: String(p.TableName), primaryKey, ttlSeconds: Number(p.TimeToLive ?? -1) });
    }
  }
  return infra;
}

function addMns(infra: InfraSpec, type: keyof typeof MNS_TYPES, p: Record<string, unknown>, path: string): void {
  if (type === 'ALIYUN::MNS::Queue') infra.queues.push(mnsQueue(p, path));
  else if (type === 'ALIYUN::MNS::Topic') infra.topics.push(mnsTopic(p, path));
  else infra.subscriptions.push(mnsSubscription(p, path));
}

function resolveIntrinsics(value: unknown, params: Record<string, unknown>, path: string): unknown {
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
