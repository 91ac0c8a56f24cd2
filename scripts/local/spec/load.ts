import { dirname, resolve } from 'node:path';
import { readYamlFile } from './yaml-file';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { SpecError, SpecErrors } from './errors';
import { checkKeys, DOMAIN_PROPS, FC3_PROPS, FLOW_PROPS, REFUSED_FC3_KEYS, ROS_PROPS } from './key-rules';
import { checkFlows, toFlowSpec } from './flow';
import type { AppSpec, FunctionSpec, RouteSpec } from './model';
import { toFunctionSpec, toRoutes } from './fc3';
import { emptyInfra, loadRosInfra, mergeInfra } from './ros';
import { checkMnsReferences } from './mns-references';
import { renderValue, type RenderScope } from './variables';
import { locateProblems } from './locate';

const TOP_LEVEL = new Set(['edition', 'name', 'access', 'vars', 'resources', 'actions', 'flow']);
const TOP_LEVEL_REFUSED: Record<string, string> = {
  template: 'Serverless Devs templates/extend are not read by the local cloud; use YAML anchors (&name / <<: *name) instead',
  extend: 'whole-file extend is not read by the local cloud',
};
const COMPONENTS = new Set(['fc3', 'fc3-domain', 'ros', 'flow']);

/**
 * Read s.yaml as `s` would render it (see `variables.ts`), refuse what the local cloud does not
 * implement, and return the model it runs. All problems are reported together.
 * @example const spec = loadSpec('/repo/s.yaml', process.env);
 */
export function loadSpec(file: string, env: NodeJS.ProcessEnv = process.env): AppSpec {
  const baseDir = dirname(resolve(file));
  let doc: Record<string, unknown> | null;
  try {
    doc = readYamlFile(file, { merge: true, shownAs: 's.yaml' }) as Record<string, unknown> | null;
  } catch (err) {
    throw err instanceof SpecError ? new SpecErrors([err]) : err;
  }
  if (!doc || typeof doc !== 'object') throw new SpecErrors([new SpecError('(root)', 'the file is empty or not a YAML map')]);
  const errors: SpecError[] = [];
  const collect = <T>(fn: () => T): T | undefined => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof SpecError) errors.push(err);
      else if (err instanceof SpecErrors) errors.push(...err.errors);
      else throw err;
      return undefined;
    }
  };

  for (const key of Object.keys(doc)) {
    if (TOP_LEVEL_REFUSED[key]) errors.push(new SpecError(key, 'not supported by the local cloud', TOP_LEVEL_REFUSED[key]));
    // `x-*` keys hold YAML anchors for shared settings; `s` ignores them and so do we.
    else if (!TOP_LEVEL.has(key) && !key.startsWith('x-')) errors.push(new SpecError(key, 'unknown top-level key', 'shared blocks for YAML anchors go under x-* keys'));
  }
  if (String(doc.edition) !== '3.0.0') errors.push(new SpecError('edition', `must be 3.0.0 (got ${String(doc.edition)})`, 'the local cloud reads Serverless Devs 3.x files with component fc3'));

  const resources = (doc.resources ?? {}) as Record<string, { component?: string; props?: unknown; actions?: unknown; extend?: unknown }>;
  const scope: RenderScope = { baseDir, env, vars: {}, config: { AccountID: LOCAL_ACCOUNT_ID }, resources, path: 'vars' };
  scope.vars = (collect(() => renderValue(doc.vars ?? {}, scope)) ?? {}) as Record<string, unknown>;

  const functions: FunctionSpec[] = [];
  // Functions refused above: routes to them are not reported again as routes to unknown functions.
  const refusedFunctions = new Set<string>();
  const routes: RouteSpec[] = [];
  const spec: AppSpec = { baseDir, name: String(doc.name ?? ''), region: String(scope.vars.region ?? 'cn-hangzhou'), functions, routes, infra: emptyInfra(), flows: [], rendered: {} };

  for (const [name, resource] of Object.entries(resources)) {
    const path = `resources.${name}`;
    for (const key of Object.keys(resource ?? {})) {
      if (!['component', 'props', 'actions'].includes(key)) {
        errors.push(new SpecError(`${path}.${key}`, key === 'extend' ? 'not supported by the local cloud' : 'unknown key', key === 'extend' ? 'use YAML anchors instead' : undefined));
      }
    }
    const component = String(resource?.component ?? '');
    if (!COMPONENTS.has(component)) {
      errors.push(new SpecError(`${path}.component`, `component "${component}" is not emulated`, `the local cloud runs ${[...COMPONENTS].join(', ')}`));
      continue;
    }
    const props = collect(() => renderValue(resource.props ?? {}, { ...scope, self: { name, props: resource.props }, path: `${path}.props` }));
    if (!props || typeof props !== 'object') continue;
    spec.rendered[name] = { component, props };
    if (component === 'fc3') {
      errors.push(...checkKeys(props, FC3_PROPS, `${path}.props`, REFUSED_FC3_KEYS));
      const fn = collect(() => toFunctionSpec(name, props as Record<string, unknown>, baseDir, `${path}.props`));
      if (fn) functions.push(fn);
      else refusedFunctions.add(String((props as Record<string, unknown>).functionName));
      const route = collect(() => toRoutes(props as Record<string, unknown>, `${path}.props`));
      if (route) routes.push(...route);
    } else if (component === 'flow') {
      errors.push(...checkKeys(props, FLOW_PROPS, `${path}.props`));
      const flow = collect(() => toFlowSpec(name, props as Record<string, unknown>, spec, `${path}.props`));
      if (flow) spec.flows.push(flow);
    } else if (component === 'fc3-domain') {
      errors.push(...checkKeys(props, DOMAIN_PROPS, `${path}.props`));
      const domainRoutes = collect(() => toRoutes(props as Record<string, unknown>, `${path}.props`));
      if (domainRoutes) routes.push(...domainRoutes);
    } else {
      errors.push(...checkKeys(props, ROS_PROPS, `${path}.props`));
      const infra = collect(() => loadRosInfra(props as Record<string, unknown>, baseDir, `${path}.props`));
      if (infra) mergeInfra(spec.infra, infra);
    }
  }
  errors.push(...crossCheck(spec, refusedFunctions), ...checkFlows(spec));
  if (errors.length > 0) throw new SpecErrors(locateProblems(file, errors));
  return spec;
}

/** What a deploy would reject too: duplicate names and routes, triggers and destinations pointing nowhere. */
function crossCheck(spec: AppSpec, refusedFunctions: Set<string>): SpecError[] {
  const errors: SpecError[] = [];
  const names = new Map<string, string>();
  for (const fn of spec.functions) {
    const other = names.get(fn.name);
    if (other) errors.push(new SpecError(`resources.${fn.resource}.props.functionName`, `"${fn.name}" is also the name of resources.${other}`));
    names.set(fn.name, fn.resource);
  }
  const seen = new Map<string, RouteSpec>();
  for (const route of spec.routes) {
    if (!names.has(route.functionName) && !refusedFunctions.has(route.functionName)) errors.push(new SpecError(route.source, `route ${route.path} targets unknown function "${route.functionName}"`));
    const target = spec.functions.find((f) => f.name === route.functionName);
    if (target && !target.triggers.some((t) => t.type === 'http')) {
      errors.push(new SpecError(route.source, `route ${route.path} targets "${route.functionName}", which has no http trigger`));
    }
    for (const method of route.methods ?? ['*']) {
      const key = `${method} ${route.path}`;
      const clash = seen.get(key);
      if (clash) errors.push(new SpecError(route.source, `route ${key} is already used by ${clash.source}`));
      seen.set(key, route);
    }
  }
  const buckets = new Set(spec.infra.buckets.map((b) => b.name));
  const tables = new Set(spec.infra.tables.map((t) => `${t.instance}/${t.name}`));
  errors.push(...checkMnsReferences(spec));
  for (const index of spec.infra.searchIndexes) {
    if (!tables.has(`${index.instance}/${index.table}`)) errors.push(new SpecError(`ROS template: search index ${index.index}`, `its table "${index.instance}/${index.table}" is not declared in the ROS template`));
  }
  for (const fn of spec.functions) {
    fn.triggers.forEach((trigger, i) => {
      const path = `resources.${fn.resource}.props.triggers[${i}].sourceArn`;
      if (trigger.type === 'oss' && !buckets.has(trigger.bucket)) errors.push(new SpecError(path, `bucket "${trigger.bucket}" is not declared in the ROS template`));
      if (trigger.type === 'tablestore' && !tables.has(`${trigger.instance}/${trigger.table}`)) {
        errors.push(new SpecError(path, `table "${trigger.instance}/${trigger.table}" is not declared in the ROS template`));
      }
    });
    for (const [kind, dest] of Object.entries({ onSuccess: fn.asyncInvokeConfig?.onSuccess, onFailure: fn.asyncInvokeConfig?.onFailure })) {
      if (dest?.kind === 'fc' && !names.has(dest.functionName)) {
        errors.push(new SpecError(`resources.${fn.resource}.props.asyncInvokeConfig.destinationConfig.${kind}.destination`, `function "${dest.functionName}" is not declared`));
      }
    }
  }
  return errors;
}
