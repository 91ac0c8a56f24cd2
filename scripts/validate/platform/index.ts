/**
 * Deploy readiness: the platform's rules applied offline to what `s deploy` would send — Serverless Devs'
 * rendering of s.yaml, the ROS template it deploys, the roles in it, the built bundles — plus the steps that
 * only the account can answer, listed for the person deploying (docs/runbook.md, "First deploy checklist").
 */
import { existsSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { ALL_TABLES } from '../../../functions/_shared/contracts/tables';
import { readYamlFile } from '../../local/spec/yaml-file';
import type { Preview } from '../checks';
import { batchPayloadProblems, fc3Resources, functionProblems, ossOverlapProblems, type Problem } from './fc-rules';
import { permissionProblems, sdkCallsIn } from './permissions';
import { resolvedProperties, rosProblems, templateParameters, type RosTemplate, type TemplateSite } from './ros-rules';

type Props = Record<string, unknown>;

export interface PlatformFindings {
  problems: Problem[];
  manualSteps: string[];
}

export const ADAPTER_DIR = (root: string) => join(root, 'functions', '_shared', 'aliyun');
/** This repository (the default for the function sources the role checks read). */
const REPO_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The project's `ros` resource, as its problems name it (see TemplateSite); none when s.yaml has no `ros` resource
 * with a template.
 */
export function templateSiteOf(preview: Preview, root: string): TemplateSite | undefined {
  const [resource, ros] = Object.entries(preview.resources).find(([, r]) => r.component === 'ros') ?? [];
  const template = (ros?.props as Props | undefined)?.template;
  if (resource === undefined || typeof template !== 'string') return undefined;
  return { file: relative(root, resolve(root, template)).split(sep).join('/'), resource };
}

/** The `ros` resource's template (parsed) and the parameters s.yaml passes it. */
export function infraOf(preview: Preview, root: string): { template: RosTemplate; passed: Props } {
  const site = templateSiteOf(preview, root);
  if (!site) return { template: {}, passed: {} };
  const props = preview.resources[site.resource]!.props as Props;
  return { template: readYamlFile(resolve(root, site.file)) as RosTemplate, passed: (props.parameters ?? {}) as Props };
}

export function platformFindings(preview: Preview, template: RosTemplate, passed: Props, adapterCalls: string[], root: string = REPO_ROOT): PlatformFindings {
  const region = String(preview.vars.region ?? '');
  const accountId = String(preview.vars.accountId ?? '');
  // Problems are phrased in the project's own terms from the start: its template's file, its `ros` resource (D165).
  const site = templateSiteOf(preview, root);
  const problems: Problem[] = [...functionProblems(preview), ...ossOverlapProblems(preview), ...(site ? rosProblems(template, passed, region, accountId, site) : [])];
  const resources = resolvedProperties(template, templateParameters(template, passed, region, accountId));
  const queueSizes = new Map(resources.filter((r) => r.type === 'ALIYUN::MNS::Queue').map((r) => [String(r.props.QueueName), Number(r.props.MaximumMessageSize ?? 65536)]));
  problems.push(...batchPayloadProblems(preview, (queue) => queueSizes.get(queue)));
  // The stage prefix is this suite's convention (vars.prefix, D144); a project of the user's own without one is
  // not held to it (D165).
  if (site && typeof preview.vars.prefix === 'string' && preview.vars.prefix !== '') problems.push(...unprefixedMnsNames(resources, preview.vars.prefix, site));
  const permissions = permissionProblems(preview, template, passed, adapterCalls, root, site);
  problems.push(...permissions.problems);
  const stream = streamFindings(preview, accountId);
  problems.push(...stream.problems);
  return { problems, manualSteps: [...permissions.manualSteps, ...stream.manualSteps, ...accountSteps(preview)] };
}

/**
 * A tablestore trigger reads the table's Stream, which ROS's ALIYUN::OTS::Table cannot switch on (no such property
 * in its reference): the runbook's step does it after the stack exists. The code's table contract must agree.
 */
function streamFindings(preview: Preview, accountId: string): PlatformFindings {
  const problems: Problem[] = [];
  const manualSteps: string[] = [];
  for (const [resource, p] of fc3Resources(preview)) {
    ((p.triggers as Props[] | undefined) ?? []).forEach((t, i) => {
      if (t.triggerType !== 'tablestore') return;
      const m = /instance\/([\w-]+)\/table\/(\w+)$/.exec(String(t.sourceArn ?? ''));
      if (!m) return;
      const contract = ALL_TABLES.find((x) => x.name === m[2]);
      if (!contract?.stream) problems.push(`resources.${resource}.props.triggers[${i}].sourceArn: table ${m[2]} is not marked stream: true in functions/_shared/contracts/tables.ts`);
      manualSteps.push(`enable TableStore Stream on ${m[1]}/${m[2]} (account ${accountId}) after the infra stack exists, before ${String(p.functionName)}'s trigger is created`);
    });
  }
  return { problems, manualSteps };
}

/**
 * MNS names are per account and region, not per stage: a queue or topic without the stage's prefix would be
 * shared by a `prod` and a `dev` stack in one account (D144), as every other resource name carries it.
 */
function unprefixedMnsNames(resources: { name: string; type: string; props: Props }[], prefix: string, site: TemplateSite): Problem[] {
  const named = resources.flatMap((r) => (r.type === 'ALIYUN::MNS::Queue' ? [[r.name, 'QueueName', r.props.QueueName]] : r.type === 'ALIYUN::MNS::Topic' ? [[r.name, 'TopicName', r.props.TopicName]] : []));
  return named.filter(([, , value]) => !String(value).startsWith(`${prefix}-`)).map(([name, key, value]) => `${site.file} Resources.${String(name)}.Properties.${String(key)}: ${String(value)} does not start with the stage prefix ${prefix}- (Fn::Sub '\${NamePrefix}-…'), so two stages in one account would share it`);
}

/** What the account must offer and no file here can show. */
function accountSteps(preview: Preview): string[] {
  const steps: string[] = [];
  const components = Object.values(preview.resources);
  if (fc3Resources(preview).some(([, p]) => ((p.triggers as Props[] | undefined) ?? []).some((t) => t.triggerType === 'eventbridge'))) {
    steps.push(`EventBridge activated in ${String(preview.vars.region)} (eventbridge triggers create an event stream each)`);
  }
  for (const domain of components.filter((r) => r.component === 'fc3-domain')) {
    steps.push(`a CNAME record ${String((domain.props as Props).domainName)} → <AccountID>.${String(preview.vars.region)}.fc.aliyuncs.com`);
  }
  return steps;
}

/** Everything, from the project at `root`. */
export function platformFindingsAt(preview: Preview, root: string): PlatformFindings {
  const { template, passed } = infraOf(preview, root);
  // A project of the user's own has no SDK adapters of this repository's (functions/_shared/aliyun): no calls to read.
  return platformFindings(preview, template, passed, existsSync(ADAPTER_DIR(root)) ? sdkCallsIn(ADAPTER_DIR(root)) : [], root);
}
