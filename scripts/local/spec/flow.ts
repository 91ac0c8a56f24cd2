import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { compileFlow, FlowDefinitionError, formatProblem, rememberDefinitionText } from '../flow-engine/definition';
import { resolveLocalFunction } from '../flow-engine/fc-task';
import { SpecError, SpecErrors } from './errors';
import type { AppSpec, FlowSpec } from './model';
import { parseYamlText } from './yaml-file';

/**
 * The `flow` component (Serverless Devs' CloudFlow component, reference serverless-devs.md §2.1): props
 * `name`, `region`, `definition`, `description`, `type`, `roleArn`, `executionMode`. Like the component,
 * an object `definition` (e.g. `${yaml(file('./flows/x.yaml'))}`) is sent as JSON and a string is the
 * path of the definition file (read here relative to s.yaml's folder).
 */
export function toFlowSpec(resource: string, props: Record<string, unknown>, spec: Pick<AppSpec, 'baseDir' | 'region'>, path: string): FlowSpec {
  const errors: SpecError[] = [];
  const name = typeof props.name === 'string' ? props.name : '';
  if (!/^[A-Za-z_][A-Za-z0-9_-]{0,127}$/.test(name)) errors.push(new SpecError(`${path}.name`, 'must be 1-128 letters, digits, _ or -, starting with a letter or _'));
  const region = typeof props.region === 'string' ? props.region : '';
  if (!region) errors.push(new SpecError(`${path}.region`, 'is required'));
  else if (region !== spec.region) errors.push(new SpecError(`${path}.region`, `${region} is not the region of the functions (${spec.region})`, 'the local cloud runs one region'));
  if ((props.type ?? 'FDL') !== 'FDL') errors.push(new SpecError(`${path}.type`, `must be FDL (got ${JSON.stringify(props.type)})`));
  if ((props.executionMode ?? 'Standard') !== 'Standard') {
    errors.push(new SpecError(`${path}.executionMode`, `${JSON.stringify(props.executionMode)} is not emulated`, 'Express flows (StartSyncExecution) are not emulated; use Standard'));
  }
  let definition = '';
  const raw = props.definition;
  if (typeof raw === 'string') {
    try {
      definition = readFileSync(resolve(spec.baseDir, raw), 'utf8');
      // Parsed through the YAML cache, as s.yaml is; a text that does not parse is reported by checkFlows.
      try {
        rememberDefinitionText(definition, parseYamlText(definition, { merge: true }));
      } catch {
        // compileFlow names the problem
      }
    } catch (err) {
      errors.push(new SpecError(`${path}.definition`, `cannot read the definition file: ${(err as Error).message}`, "or include it: definition: ${yaml(file('./flows/x.yaml'))}"));
    }
  } else if (raw && typeof raw === 'object' && !Array.isArray(raw)) {
    definition = JSON.stringify(raw, null, 2);
    // Compiling it (the spec check, the FnF emulator's deploy) would otherwise parse this JSON with the YAML
    // parser, ~60 ms of every start (D61).
    rememberDefinitionText(definition, JSON.parse(definition));
  }
  else errors.push(new SpecError(`${path}.definition`, 'is required: the CloudFlow definition', "definition: ${yaml(file('./flows/x.yaml'))}"));
  if (errors.length > 0) throw new SpecErrors(errors);
  return {
    resource,
    name,
    region,
    definition,
    description: typeof props.description === 'string' ? props.description : 'Created By Serverless Devs',
    roleArn: typeof props.roleArn === 'string' ? props.roleArn : '',
  };
}

/**
 * What CreateFlow would refuse, and what the local engine does not run: each flow's definition is
 * compiled against the functions s.yaml declares; every problem names the state and the field.
 */
export function checkFlows(spec: AppSpec): SpecError[] {
  const errors: SpecError[] = [];
  const functions = new Set(spec.functions.map((f) => f.name));
  const seen = new Map<string, string>();
  for (const flow of spec.flows) {
    const path = `resources.${flow.resource}.props`;
    const other = seen.get(flow.name);
    if (other) errors.push(new SpecError(`${path}.name`, `"${flow.name}" is also the name of resources.${other}`));
    seen.set(flow.name, flow.resource);
    try {
      const compiled = compileFlow(flow.definition, { resolveFunction: (arn) => resolveLocalFunction(arn, { region: spec.region, accountId: LOCAL_ACCOUNT_ID, hasFunction: (n) => functions.has(n) }) });
      if (compiled.name !== flow.name) errors.push(new SpecError(`${path}.definition.Name`, `"${compiled.name}" must equal the flow name "${flow.name}" (CreateFlow refuses a mismatch)`));
    } catch (err) {
      if (!(err instanceof FlowDefinitionError)) throw err;
      for (const problem of err.problems) errors.push(new SpecError(`${path}.definition`, formatProblem(problem), 'see docs/fidelity.md, "CloudFlow flows"'));
    }
  }
  return errors;
}
