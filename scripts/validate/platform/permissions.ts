/**
 * Who may do what once deployed: the functions' role has every RAM action the adapters' SDK calls need, the
 * CloudFlow role may invoke exactly the functions its flows call, and each trigger names a role its event source
 * can assume. RAM itself cannot be asked offline; the template's roles and policies are read instead.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Preview } from '../checks';
import { fc3Resources, roleNameOf, type Problem } from './fc-rules';
import type { RosTemplate, TemplateSite } from './ros-rules';
import { resolvedProperties, templateParameters } from './ros-rules';
import { CompiledPolicy, SYSTEM_POLICY_STATEMENTS } from '../../local/ram/policy';
import { needsOf, reachedSources, type Need } from './function-needs';

const ADAPTER_DIR = (root: string) => join(root, 'functions', '_shared', 'aliyun');

type Props = Record<string, unknown>;

/**
 * The RAM action behind each SDK call of `functions/_shared/aliyun/*.ts` (file:method). A call missing here fails
 * the test that scans the adapters, so a new SDK call cannot reach the cloud without its permission being checked.
 */
export const SDK_CALL_ACTIONS: Record<string, string[]> = {
  'tablestore-table.ts:getRow': ['ots:GetRow'],
  'tablestore-table.ts:putRow': ['ots:PutRow'],
  'tablestore-table.ts:updateRow': ['ots:UpdateRow'],
  'tablestore-table.ts:deleteRow': ['ots:DeleteRow'],
  'tablestore-table.ts:getRange': ['ots:GetRange'],
  'tablestore-table.ts:batchGetRow': ['ots:BatchGetRow'],
  'tablestore-table.ts:batchWriteRow': ['ots:BatchWriteRow'],
  'tablestore-search-index.ts:putRow': ['ots:PutRow'],
  'tablestore-search-index.ts:deleteRow': ['ots:DeleteRow'],
  'tablestore-search-index.ts:search': ['ots:Search'],
  'oss-object-store.ts:put': ['oss:PutObject'],
  'oss-object-store.ts:get': ['oss:GetObject'],
  'oss-object-store.ts:head': ['oss:GetObject'],
  'oss-object-store.ts:delete': ['oss:DeleteObject'],
  'oss-object-store.ts:deleteMulti': ['oss:DeleteObject'],
  'oss-object-store.ts:copy': ['oss:GetObject', 'oss:PutObject'],
  'oss-object-store.ts:listV2': ['oss:ListObjects'],
  // A presigned URL carries the signer's authority: the browser's PUT/GET is allowed only if the role's is.
  'oss-object-store.ts:signatureUrl': ['oss:GetObject', 'oss:PutObject'],
  'oss-object-store.ts:signatureUrlV4': ['oss:GetObject', 'oss:PutObject'],
  'mns-queue.ts:sendMessage': ['mns:SendMessage'],
  'mns-queue.ts:batchSendMessage': ['mns:BatchSendMessage'],
  'mns-queue.ts:get': ['mns:BatchReceiveMessage'],
  'mns-queue.ts:deleteMessage': ['mns:DeleteMessage'],
  'mns-queue.ts:batchDeleteMessage': ['mns:BatchDeleteMessage'],
  'mns-queue.ts:changeMessageVisibility': ['mns:ChangeMessageVisibility'],
  'mns-topic.ts:publishMessage': ['mns:PublishMessage'],
  'fnf-workflow-client.ts:startExecution': ['fnf:StartExecution'],
  'fnf-workflow-client.ts:describeExecution': ['fnf:DescribeExecution'],
  'fnf-workflow-client.ts:reportTaskSucceeded': ['fnf:ReportTaskSucceeded'],
  'fnf-workflow-client.ts:reportTaskFailed': ['fnf:ReportTaskFailed'],
  'fc-invoker.ts:invokeFunctionWithOptions': ['fc:InvokeFunction'],
};

/** `file:method` of every `this.client.<method>(` / `this.signingClient().<method>(` in the adapter folder. */
export function sdkCallsIn(adapterDir: string): string[] {
  const calls = new Set<string>();
  for (const file of readdirSync(adapterDir).filter((f) => f.endsWith('.ts'))) {
    const source = readFileSync(join(adapterDir, file), 'utf8');
    for (const m of source.matchAll(/this\.(?:client|signingClient\(\))\.(\w+)(?:<[^>(]*>)?\(/g)) calls.add(`${file}:${m[1]}`);
  }
  return [...calls].sort();
}


/** FC's own roles for trigger types, used when s.yaml names them instead of a role of the template. */
const DEFAULT_TRIGGER_ROLES: Record<string, { role: string; service: string }> = {
  oss: { role: 'aliyunosseventnotificationrole', service: 'oss.aliyuncs.com' },
  mns_topic: { role: 'aliyunmnsnotificationrole', service: 'mns.aliyuncs.com' },
  tablestore: { role: 'aliyuntablestorestreamnotificationrole', service: 'ots.aliyuncs.com' },
};

interface Grant {
  actions: string[];
  resources: string[];
  from: string;
}
interface RoleModel {
  services: string[];
  grants: Grant[];
}

const list = (v: unknown): string[] => (v === undefined ? [] : [v].flat().map(String));

/** The template's roles (resolved with the deploying account's names): trusted services and what they may do. */
export function rolesOf(template: RosTemplate, passed: Props, region: string, accountId: string): Map<string, RoleModel> {
  const roles = new Map<string, RoleModel>();
  const resources = resolvedProperties(template, templateParameters(template, passed, region, accountId));
  for (const r of resources.filter((x) => x.type === 'ALIYUN::RAM::Role')) {
    const statements = ((r.props.AssumeRolePolicyDocument as Props | undefined)?.Statement ?? []) as Props[];
    roles.set(String(r.props.RoleName).toLowerCase(), { services: statements.flatMap((s) => list((s.Principal as Props | undefined)?.Service)), grants: [] });
  }
  const grant = (role: string, g: Grant) => roles.get(role.toLowerCase())?.grants.push(g);
  for (const r of resources) {
    if (r.type === 'ALIYUN::RAM::AttachPolicyToRole' && r.props.PolicyType === 'System') {
      grant(String(r.props.RoleName), { actions: SYSTEM_POLICY_STATEMENTS[String(r.props.PolicyName)]?.flatMap((st) => st.actions) ?? [`unknown-system-policy:${String(r.props.PolicyName)}`], resources: ['*'], from: r.name });
    }
    if (r.type === 'ALIYUN::RAM::ManagedPolicy') {
      const statements = ((r.props.PolicyDocument as Props | undefined)?.Statement ?? []) as Props[];
      for (const roleName of list(r.props.Roles)) {
        for (const s of statements.filter((x) => x.Effect === 'Allow')) grant(roleName, { actions: list(s.Action), resources: list(s.Resource), from: r.name });
      }
    }
  }
  return roles;
}

const wildcardMatches = (pattern: string, value: string) => new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*')}$`, 's').test(value);
const actionMatches = (pattern: string, action: string) => wildcardMatches(pattern.toLowerCase(), action.toLowerCase());

/** Functions `role` may invoke: names, or `*` for any. */
function invocableFunctions(role: RoleModel): Set<string> {
  const names = new Set<string>();
  for (const g of role.grants.filter((x) => x.actions.some((a) => actionMatches(a, 'fc:InvokeFunction')))) {
    for (const resource of g.resources) {
      const m = /^acs:fc:[\w-]+:\d+:functions\/([\w-]+)(\/\*)?$/.exec(resource);
      names.add(m ? m[1]! : resource === '*' || /functions\/\*$/.test(resource) ? '*' : `(unparsed ${resource})`);
    }
  }
  return names;
}

/** Function names in every `acs:fc:…:functions/<name>[/<qualifier>]` of a flow definition. */
function flowTargets(definition: unknown): Set<string> {
  const found = new Set<string>();
  const text = JSON.stringify(definition ?? '');
  for (const m of text.matchAll(/acs:fc:[\w-]+:\d*:functions\/([\w-]+)/g)) found.add(m[1]!);
  return found;
}

export interface PermissionFindings {
  problems: Problem[];
  /** What must exist in the account before the deploy and cannot be checked offline. */
  manualSteps: string[];
}

/**
 * `site` is the project's ROS template, where its roles are declared; a project without one (`-t`, D160) can only
 * name roles that already exist in the account, which the person deploying is asked to make sure of.
 */
export function permissionProblems(preview: Preview, template: RosTemplate, passed: Props, adapterCalls: string[], root: string, site: TemplateSite | undefined): PermissionFindings {
  const sources = (resource: string) => reachedSources(join(root, 'functions', resource), join(root, 'functions', '_shared'));
  const region = String(preview.vars.region ?? '');
  const accountId = String(preview.vars.accountId ?? '');
  const roles = rolesOf(template, passed, region, accountId);
  const problems: Problem[] = [];
  const manualSteps = new Set<string>();
  const functions = fc3Resources(preview);
  /** A role no template can declare: the account must have it already, with what `needs` says. */
  const accountRole = (name: string, needs: string) => manualSteps.add(`RAM role ${name} must exist in account ${accountId}${needs}: the project has no ROS template to declare it`);
  /** The template's role an ARN names (the problem recorded when there is none); it must trust `service`. */
  const roleAt = (arn: unknown, where: string, service: string, why = ''): { name: string; role: RoleModel } | undefined => {
    const name = roleNameOf(arn, accountId);
    const role = name ? roles.get(name.toLowerCase()) : undefined;
    if (name && !site) accountRole(name, ` and trust ${service}`);
    else if (!name || !role) problems.push(`${where}: role ${String(name ?? arn)} is not declared in ${site?.file ?? 'the project (it has no ROS template)'}`);
    if (!name || !role) return undefined;
    if (!role.services.includes(service)) problems.push(`${where}: role ${name} does not trust ${service}${why}`);
    return { name, role };
  };

  // The functions' roles: every action a function's code may call, on the resources it names (D144), plus what FC
  // does with the role for async destinations; and nothing its functions never ask for.
  for (const call of adapterCalls.filter((c) => !SDK_CALL_ACTIONS[c])) problems.push(`functions/_shared/aliyun/${call.replace(':', ': SDK call ')} has no RAM action in SDK_CALL_ACTIONS (scripts/validate/platform/permissions.ts)`);
  const asked = new Map<string, { role: RoleModel; functions: string[]; needs: Need[] }>();
  // What a function calls is read from this repository's layout (functions/<resource>/*.ts reaching the SDK adapters).
  // A project of the user's own (`npm run validate -- -t`, D160) has code that cannot be read so: its roles are held
  // to trusting FC, and a function without a role is left as FC takes it (no credentials, D157).
  const readsCode = existsSync(ADAPTER_DIR(root));
  for (const [resource, p] of functions) {
    const where = `resources.${resource}.props.role`;
    if (!readsCode && p.role === undefined) continue;
    const found = roleAt(p.role, where, 'fc.aliyuncs.com', ', so FC cannot hand its credentials to the function');
    if (!found || !readsCode) continue;
    const { name, role } = found;
    const env = Object.fromEntries(Object.entries((p.environmentVariables as Props | undefined) ?? {}).map(([k, v]) => [k, String(v)]));
    const needs = needsOf(sources(resource), env, { region, accountId, adapterDir: ADAPTER_DIR(root) }, adapterCalls, (c) => SDK_CALL_ACTIONS[c] ?? []);
    // FC may write a function's logs with its role (unverified offline): the role may post to log stores.
    if (p.logConfig) needs.push({ action: 'log:PostLogStoreLogs', resource: `acs:log:${region}:${accountId}:project/*/logstore/*`, because: 'logConfig' });
    const dest = (p.asyncInvokeConfig as Props | undefined)?.destinationConfig as Record<string, { destination?: string }> | undefined;
    for (const d of Object.values(dest ?? {})) {
      const arn = String(d?.destination);
      const mns = /^(acs:mns:[^:]*:[^:]*:\/(queues|topics)\/[^/]+)/.exec(arn);
      if (mns) needs.push({ action: mns[2] === 'queues' ? 'mns:SendMessage' : 'mns:PublishMessage', resource: `${mns[1]}/messages`, because: 'its async destination' });
      if (/^acs:fc:/.test(arn)) needs.push({ action: 'fc:InvokeFunction', resource: arn, because: 'its async destination' });
    }
    const policy = new CompiledPolicy(role.grants.map((g) => ({ effect: 'Allow', actions: g.actions, resources: g.resources })));
    const missing = [...new Set(needs.filter((n) => policy.decide(n.action, n.resource) !== 'allow').map((n) => `${n.action} on ${n.resource} (${n.because})`))].sort();
    for (const m of missing) problems.push(`${where}: role ${name} lacks ${m}`);
    const entry = asked.get(name) ?? { role, functions: [], needs: [] };
    entry.functions.push(resource);
    entry.needs.push(...needs);
    asked.set(name, entry);
  }
  for (const [name, { role, functions: users, needs }] of asked) {
    for (const g of role.grants) {
      // Written as the needs are, one by one: a wildcard broader than a need (ots:*, Resource '*') is named too.
      for (const action of g.actions.filter((a) => !needs.some((n) => n.action.toLowerCase() === a.toLowerCase()))) problems.push(`role ${name}: grants ${action} (${g.from}), which no code path of ${users.join(', ')} calls`);
      for (const resource of g.resources.filter((r) => !needs.some((n) => n.resource === r))) problems.push(`role ${name}: grants access to ${resource} (${g.from}), which ${users.join(', ')} never name`);
    }
  }

  // CloudFlow's role: exactly the functions its flows invoke, nothing broader.
  for (const [resource, r] of Object.entries(preview.resources).filter(([, x]) => x.component === 'flow')) {
    const p = r.props as Props;
    const where = `resources.${resource}.props.roleArn`;
    const found = roleAt(p.roleArn, where, 'fnf.aliyuncs.com');
    if (!found) continue;
    const { name, role } = found;
    const targets = flowTargets(p.definition);
    const granted = invocableFunctions(role);
    if (granted.has('*')) problems.push(`${where}: role ${name} may invoke every function; least privilege is fc:InvokeFunction on ${[...targets].sort().join(', ')} only`);
    const missing = [...targets].filter((t) => !granted.has(t) && !granted.has('*')).sort();
    const extra = [...granted].filter((g) => g !== '*' && !targets.has(g)).sort();
    if (missing.length) problems.push(`${where}: role ${name} cannot invoke ${missing.join(', ')}, which the flow calls`);
    if (extra.length) problems.push(`${where}: role ${name} may invoke ${extra.join(', ')}, which no flow calls`);
  }

  // Triggers: a template role the event source trusts and that may invoke this function, or FC's default role.
  for (const [resource, p] of functions) {
    ((p.triggers as Props[] | undefined) ?? []).forEach((t, i) => {
      const fallback = DEFAULT_TRIGGER_ROLES[String(t.triggerType)];
      if (!fallback || !t.invocationRole) return;
      const where = `resources.${resource}.props.triggers[${i}].invocationRole`;
      const name = roleNameOf(t.invocationRole, accountId) ?? String(t.invocationRole);
      const role = roles.get(name.toLowerCase());
      if (role) {
        if (!role.services.includes(fallback.service)) problems.push(`${where}: role ${name} does not trust ${fallback.service}`);
        const granted = invocableFunctions(role);
        if (!granted.has('*') && !granted.has(String(p.functionName))) problems.push(`${where}: role ${name} may not invoke ${String(p.functionName)}`);
      } else if (name.toLowerCase() === fallback.role) {
        manualSteps.add(`RAM role ${fallback.role} (FC's role for ${String(t.triggerType)} triggers) must exist in account ${accountId}`);
      } else if (!site) {
        accountRole(name, `, trust ${fallback.service} and may invoke ${String(p.functionName)}`);
      } else {
        problems.push(`${where}: role ${name} is neither declared in ${site.file} nor FC's ${fallback.role}`);
      }
    });
  }
  return { problems, manualSteps: [...manualSteps].sort() };
}
