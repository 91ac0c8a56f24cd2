import { dirname, resolve } from 'node:path';
import { readYamlFile } from './yaml-file';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { SpecError, SpecErrors } from './errors';
import { checkKeys, DOMAIN_PROPS, FC3_PROPS, FLOW_PROPS, REFUSED_FC3_KEYS, ROS_PROPS } from './key-rules';
import { checkFlows, toFlowSpec } from './flow';
import type { AppSpec, FunctionSpec, RouteSpec } from './model';
import { toFunctionSpec, toRoutes } from './fc3';
import { emptyInfra, loadRosInfra, mergeInfra, undeclaredHint } from './ros';
import { checkMnsReferences } from './mns-references';
import { renderValue, type RenderScope } from './variables';
import { locateProblems } from './locate';
import { withDotEnv } from './dotenv';

const TOP_LEVEL = new Set(['edition', 'name', 'access', 'vars', 'resources', 'actions', 'flow']);
const TOP_LEVEL_REFUSED: Record<string, string> = {
  template: 'Serverless Devs templates/extend are not read by the local cloud; use YAML anchors (&name / <<: *name) instead',
  extend: 'whole-file extend is not read by the local cloud',
};
const COMPONENTS = new Set(['fc3', 'fc3-domain', 'ros', 'flow']);

/**
 * Read s.yaml as `s` would render it (see `variables.ts`), refuse what the local cloud does not
 * implement, and return the model it runs. All problems are reported together, in the file `shownAs` names
 * (default `s.yaml`; a user's own template is named by its path, D154).
 * @example const spec = loadSpec('/repo/s.yaml', process.env);
 */
export function loadSpec(file: string, env: NodeJS.ProcessEnv = process.env, options: { shownAs?: string } = {}): AppSpec {
  const shownAs = options.shownAs ?? 's.yaml';
  const inFile = (list: SpecError[]) => (shownAs === 's.yaml' ? list : list.map((e) => (e.file === 's.yaml' ? e.in(shownAs) : e)));
  const refuse = (list: SpecError[]) => new SpecErrors(locateProblems(file, inFile(list), shownAs), shownAs);
  const baseDir = dirname(resolve(file));
  let doc: Record<string, unknown> | null;
  try {
    doc = readYamlFile(file, { merge: true, shownAs }) as Record<string, unknown> | null;
  } catch (err) {
    throw err instanceof SpecError ? new SpecErrors([err], shownAs) : err;
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw refuse([new SpecError('(root)', 'the file is empty or not a YAML map', 'a Serverless Devs file begins with edition: 3.0.0, name: and resources:')]);
  // A file of another kind (a ROS template, Serverless Devs 2's `services:`, FC 2.0's component) is said to be one, once,
  // rather than as a list of unknown keys.
  const otherKind = notServerlessDevs3(doc);
  if (otherKind) throw refuse([otherKind]);
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
  // `${env()}` sees the project's .env files as `s` does (D154).
  const codePaths = Object.values(resources).flatMap((r) => {
    const code = (r?.props as { code?: unknown } | undefined)?.code;
    return typeof code === 'string' ? [code] : [];
  });
  // The local cloud is one account: `AccountID` (s's own variable, which a deployer exports — README, Deploying) is
  // rendered as that account, as `${config('AccountID')}` is, so npm start, build and invoke run in a deployer's shell
  // instead of refusing every ARN that names the real account (validate renders the deploy with it, D176).
  const scope: RenderScope = { baseDir, env: { ...withDotEnv(env, baseDir, codePaths), AccountID: LOCAL_ACCOUNT_ID }, vars: {}, config: { AccountID: LOCAL_ACCOUNT_ID }, resources, path: 'vars' };
  scope.vars = (collect(() => renderValue(doc.vars ?? {}, scope)) ?? {}) as Record<string, unknown>;

  const functions: FunctionSpec[] = [];
  // Functions refused above: routes to them are not reported again as routes to unknown functions.
  const refusedFunctions = new Set<string>();
  // A ROS template refused above declares nothing: what names its resources is not reported again as undeclared (D165).
  let templateRefused = false;
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
      else templateRefused = true;
    }
  }
  errors.push(...crossCheck(spec, refusedFunctions, templateRefused), ...checkFlows(spec));
  if (errors.length > 0) throw refuse(errors);
  return spec;
}

/** How FC 2.0's s.yaml becomes FC 3.0's: the fc3 component's own converter (its docs: user-guide/aliyun/fc3/s2tos3). */
const CONVERT = "the fc3 component converts FC 2.0's s.yaml: s cli fc3 s2tos3 --source s.yaml --target s3.yaml";

/** FC 2.0's components, which `s` 2 deployed as services with functions inside; fc3 is FC 3.0's. */
const FC2_COMPONENTS = /^(devsapp\/)?fc(@.*)?$/;

/**
 * The one problem to report when `doc` is not a Serverless Devs 3 file with fc3 resources at all: a ROS template given
 * in its place, a Serverless Devs 1.x/2.x file (`edition: 1.0.0|2.0.0`, `services:`), or FC 2.0's `fc` component.
 */
function notServerlessDevs3(doc: Record<string, unknown>): SpecError | undefined {
  const fc3 = 'the local cloud runs Serverless Devs 3 files: edition: 3.0.0, resources: with component: fc3 (FC 3.0), ros, flow or fc3-domain';
  if ('ROSTemplateFormatVersion' in doc || ('Resources' in doc && !('resources' in doc))) {
    return new SpecError('ROSTemplateFormatVersion' in doc ? 'ROSTemplateFormatVersion' : 'Resources', 'this is a ROS template, not a Serverless Devs s.yaml', `give the s.yaml that deploys it (a resource with component: ros and props.template naming this file); ${fc3}`);
  }
  if (!('edition' in doc) && !('resources' in doc)) {
    return new SpecError(Object.keys(doc)[0] ?? '(root)', 'not a Serverless Devs file: it has neither edition: nor resources:', fc3);
  }
  if ('services' in doc && !('resources' in doc)) {
    return new SpecError('edition', `a Serverless Devs ${String(doc.edition)} file (services: where edition 3.0.0 has resources:), which the local cloud does not read`, `${fc3}; ${CONVERT}`);
  }
  const resources = doc.resources;
  if (!resources || typeof resources !== 'object') return undefined;
  for (const [name, resource] of Object.entries(resources as Record<string, { component?: unknown } | null>)) {
    if (typeof resource?.component === 'string' && FC2_COMPONENTS.test(resource.component)) {
      return new SpecError(`resources.${name}.component`, `component "${resource.component}" is FC 2.0's (services holding functions), which the local cloud does not run`, `${fc3}; ${CONVERT}`);
    }
  }
  return undefined;
}

/** What a deploy would reject too: duplicate names and routes, triggers and destinations pointing nowhere. */
function crossCheck(spec: AppSpec, refusedFunctions: Set<string>, templateRefused: boolean): SpecError[] {
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
  // What a refused template declares is unknown: references to it are not checked (its own error says what is wrong).
  const declared = !templateRefused;
  if (declared) errors.push(...checkMnsReferences(spec));
  for (const index of declared ? spec.infra.searchIndexes : []) {
    if (!tables.has(`${index.instance}/${index.table}`)) errors.push(new SpecError(`ROS template: search index ${index.index}`, `its table "${index.instance}/${index.table}" is not declared in the ROS template`));
  }
  for (const fn of spec.functions) {
    fn.triggers.forEach((trigger, i) => {
      if (!declared) return;
      const path = `resources.${fn.resource}.props.triggers[${i}].sourceArn`;
      if (trigger.type === 'oss' && !buckets.has(trigger.bucket)) errors.push(new SpecError(path, `bucket "${trigger.bucket}" is not declared in the ROS template`, undeclaredHint(spec, 'ALIYUN::OSS::Bucket', trigger.bucket)));
      if (trigger.type === 'tablestore' && !tables.has(`${trigger.instance}/${trigger.table}`)) {
        errors.push(new SpecError(path, `table "${trigger.instance}/${trigger.table}" is not declared in the ROS template`, undeclaredHint(spec, 'ALIYUN::OTS::Table', `${trigger.instance}/${trigger.table}`)));
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
