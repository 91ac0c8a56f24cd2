import YAML from 'yaml';
import { ENGINE_ERRORS } from './errors';
import { parseExpression, variablesOf, type Ast, type Variable } from './expression';
import { parseFunctionArn } from './fc-task';
import { compileTemplate, TemplateError, templateVariables, type Template } from './template';

/**
 * Loads a CloudFlow definition (`Type: StateMachine`, `SpecVersion: v1`) into the form the engine runs,
 * and refuses — all problems at once, each naming the state and the field — whatever the local engine
 * does not implement, so a flow that runs locally is one the cloud accepts and runs the same way.
 *
 * Fields per state type follow the CloudFlow docs (task-task, pass, select-choice, wait-wait, parallel,
 * inline-mode, succeeded, fail, error-handling, input-and-output); see docs/fidelity.md "CloudFlow".
 */
export interface RetryRule {
  errors: string[];
  maxAttempts: number;
  intervalSeconds: number;
  backoffRate: number;
  maxBackoffSeconds?: number;
}

export interface CatchRule {
  errors: string[];
  next: string;
  output?: Template;
}

interface Common {
  name: string;
  /** Where the state sits in the definition, for messages: `States[2]` or `States[1].Branches[0].States[0]`. */
  path: string;
  input?: Template;
  output?: Template;
  next?: string;
  end: boolean;
}

export interface TaskState extends Common {
  type: 'Task';
  mode: 'RequestComplete' | 'WaitForCustomCallback';
  resourceArn: string;
  functionName: string;
  invocationType: 'Sync' | 'Async';
  body?: Template;
  /** 0: no timeout. */
  timeoutSeconds: number;
  retry: RetryRule[];
  catch: CatchRule[];
}
export interface PassState extends Common {
  type: 'Pass';
}
export interface WaitState extends Common {
  type: 'Wait';
  seconds: number | Ast;
}
export interface ChoiceState extends Common {
  type: 'Choice';
  branches: { condition: Ast; source: string; next: string }[];
  default: string;
}
export interface ParallelState extends Common {
  type: 'Parallel';
  branches: StateList[];
  retry: RetryRule[];
  catch: CatchRule[];
}
export interface MapState extends Common {
  type: 'Map';
  itemsPath: Ast;
  processor: StateList;
  maxConcurrency: number;
  retry: RetryRule[];
  catch: CatchRule[];
}
export interface SucceedState extends Common {
  type: 'Succeed';
}
export interface FailState extends Common {
  type: 'Fail';
  code?: string;
  detail?: string;
}
export type StateDef = TaskState | PassState | WaitState | ChoiceState | ParallelState | MapState | SucceedState | FailState;

/** One `States` array: the flow itself, a Parallel branch or a Map processor. */
export interface StateList {
  /** Key of this list in FlowDefinition.lists: '' for the flow, `<state>#<branch>` or `<state>#map` below it. */
  key: string;
  startAt: string;
  states: Map<string, StateDef>;
}

export interface FlowDefinition {
  name: string;
  /** `Timeout` of the flow in seconds (0: none). */
  timeoutSeconds: number;
  root: StateList;
  lists: Map<string, StateList>;
}

export interface Problem {
  /** Field path in the definition, e.g. `States[1].Parameters.headers`. */
  path: string;
  /** The state it belongs to, when there is one. */
  state?: string;
  message: string;
}

export class FlowDefinitionError extends Error {
  constructor(readonly problems: Problem[]) {
    super(`the local CloudFlow engine cannot run this flow:\n${problems.map((p) => `- ${formatProblem(p)}`).join('\n')}`);
    this.name = 'FlowDefinitionError';
  }
}

export function formatProblem(p: Problem): string {
  return p.state ? `state "${p.state}" (${p.path}): ${p.message}` : `${p.path}: ${p.message}`;
}

export interface CompileOptions {
  /** Names the function a Task's resourceArn points at, or says why it cannot (default: the ARN's name). */
  resolveFunction?: (arn: string) => { functionName: string } | { error: string };
}

const ASL = 'it is Amazon States Language;';
const NO_ABSOLUTE_WAIT = 'CloudFlow Wait states take Seconds or Seconds.$ only (no absolute time)';

/**
 * CloudFlow fields the local engine knows but refuses, and the fields of other flow languages users bring
 * along (Amazon States Language, the classic FDL, older CloudFlow docs), each with the reason a user sees
 * and, where CloudFlow has one, the field that does the job.
 */
const REFUSED: Record<string, string> = {
  Timestamp: NO_ABSOLUTE_WAIT,
  'Timestamp.$': NO_ABSOLUTE_WAIT,
  TimestampPath: NO_ABSOLUTE_WAIT,
  SecondsPath: `${ASL} CloudFlow writes Seconds.$: $Input.<field>`,
  UntilDateTime: `CloudFlow's Wait docs of 2023 had it, the current ones no longer document it; ${NO_ABSOLUTE_WAIT}`,
  ItemProcessor: `${ASL} CloudFlow names the iteration sub-flow Processor`,
  Iterator: `${ASL} CloudFlow names the iteration sub-flow Processor`,
  ItemConcurrency: 'CloudFlow caps a Map with MaxConcurrency (the docs spell it MaxConcuccency)',
  MaxConcurrencyPath: `${ASL} CloudFlow takes a constant MaxConcurrency`,
  ItemSelector: `${ASL} each CloudFlow iteration receives its item as input`,
  Result: `${ASL} CloudFlow builds a state's output with OutputConstructor`,
  ResultPath: `${ASL} CloudFlow builds a state's output with OutputConstructor`,
  ResultSelector: `${ASL} CloudFlow builds a state's output with OutputConstructor`,
  OutputPath: `${ASL} CloudFlow builds a state's output with OutputConstructor`,
  InputPath: `${ASL} CloudFlow builds a state's input with InputConstructor`,
  Parameters: 'only Task states take Parameters; other states build their input with InputConstructor',
  Choices: `${ASL} CloudFlow's Choice has Branches: [{Condition, Next}]`,
  TimeoutSeconds: `${ASL} a CloudFlow Task's timeout is Timeout (seconds)`,
  ErrorEquals: `${ASL} CloudFlow's Retry and Catch rules name errors in Errors`,
  Error: `${ASL} a CloudFlow Fail state names its error in Code`,
  Cause: `${ASL} a CloudFlow Fail state explains the error in Detail`,
  Comment: `${ASL} CloudFlow's field is Description`,
  HeartbeatSeconds: 'CloudFlow Tasks have no heartbeat; use Timeout',
  ItemReader: 'distributed Map (ItemReader) is not emulated; use an inline Map over ItemsPath',
  ItemBatcher: 'distributed Map (ItemBatcher) is not emulated',
  ResultWriter: 'distributed Map (ResultWriter) is not emulated',
  ProcessorConfig: 'only inline Map processors are emulated',
  ItemConstructor: 'ItemConstructor is not emulated: each iteration receives its item as input',
  ToleratedFailurePercentage: 'tolerated Map failures are not emulated: any failed item fails the Map',
  ToleratedFailureCount: 'tolerated Map failures are not emulated: any failed item fails the Map',
  'resourceArn.$': 'resourceArn must be a constant ARN, so the flow can be checked against s.yaml when it loads',
};

const STATE_FIELDS: Record<StateDef['type'], string[]> = {
  Task: ['Action', 'TaskMode', 'Parameters', 'Timeout', 'InputConstructor', 'OutputConstructor', 'Retry', 'Catch', 'Next', 'End'],
  Pass: ['InputConstructor', 'OutputConstructor', 'Next', 'End'],
  Wait: ['Seconds', 'Seconds.$', 'InputConstructor', 'OutputConstructor', 'Next', 'End'],
  Choice: ['InputConstructor', 'Branches', 'Default'],
  Parallel: ['InputConstructor', 'Branches', 'OutputConstructor', 'Retry', 'Catch', 'Next', 'End'],
  Map: ['InputConstructor', 'ItemsPath', 'Processor', 'MaxConcurrency', 'MaxConcuccency', 'OutputConstructor', 'Retry', 'Catch', 'Next', 'End'],
  Succeed: ['InputConstructor', 'OutputConstructor', 'End'],
  Fail: ['InputConstructor', 'OutputConstructor', 'Code', 'Detail', 'End'],
};
const COMMON_FIELDS = ['Type', 'Name', 'Description'];

/**
 * The CloudFlow definition language surface the engine implements, for docs/fidelity.md (a test checks
 * the doc lists every field).
 */
export const SUPPORTED_FIELDS = {
  flow: ['Type', 'Name', 'SpecVersion', 'StartAt', 'States', 'Timeout', 'Description'],
  states: Object.fromEntries(Object.entries(STATE_FIELDS).map(([type, fields]) => [type, [...COMMON_FIELDS, ...fields]])) as Record<StateDef['type'], string[]>,
  taskParameters: ['resourceArn', 'invocationType', 'body'],
  retry: ['Errors', 'Description', 'MaxAttempts', 'IntervalSeconds', 'BackoffRate', 'MaxBackoffSeconds'],
  catch: ['Errors', 'Description', 'Next', 'OutputConstructor'],
  refused: REFUSED,
};

const NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
export const MAX_PARALLEL_BRANCHES = 50;
export const MAX_MAP_CONCURRENCY = 40;
export const MAX_WAIT_SECONDS = 300;
export const MAX_TASK_TIMEOUT_SECONDS = 604800;

/**
 * Definitions parsed ahead of time, by text: the flows s.yaml names, whose parse `toFlowSpec` reads from the
 * local cloud's YAML cache (D61). Only those are kept, so a client's CreateFlow calls cannot grow it.
 */
const knownDefinitions = new Map<string, unknown>();

export function rememberDefinitionText(text: string, parsed: unknown): void {
  knownDefinitions.set(text, parsed);
}

/** Parse the text CreateFlow/UpdateFlow receive (YAML or JSON) into a plain object. */
export function parseDefinitionText(text: string): unknown {
  // A copy: the same text may be compiled more than once (the spec check, then the FnF emulator's deploy).
  if (knownDefinitions.has(text)) return structuredClone(knownDefinitions.get(text));
  try {
    return YAML.parse(text, { merge: true }) as unknown;
  } catch (err) {
    throw new FlowDefinitionError([{ path: '(definition)', message: `not valid YAML or JSON: ${(err as Error).message.split('\n')[0]}` }]);
  }
}

/**
 * Compile and check a definition (an object, or YAML/JSON text).
 * @example const flow = compileFlow(YAML.parse(readFileSync('flows/order-saga.yaml', 'utf8')));
 */
export function compileFlow(raw: unknown, options: CompileOptions = {}): FlowDefinition {
  const doc = typeof raw === 'string' ? parseDefinitionText(raw) : raw;
  const problems: Problem[] = [];
  const lists = new Map<string, StateList>();
  if (!isMap(doc)) throw new FlowDefinitionError([{ path: '(definition)', message: 'must be a map with Type: StateMachine' }]);
  if ('steps' in doc || 'version' in doc || doc.type === 'flow') {
    throw new FlowDefinitionError([{ path: '(definition)', message: 'classic FDL (version/type: flow/steps) is not supported: write the CloudFlow spec (Type: StateMachine, SpecVersion: v1)' }]);
  }
  unknownFields(doc, SUPPORTED_FIELDS.flow, '', undefined, problems);
  if (doc.Type !== 'StateMachine') problems.push({ path: 'Type', message: `must be StateMachine (got ${JSON.stringify(doc.Type)})` });
  if (doc.SpecVersion !== 'v1') problems.push({ path: 'SpecVersion', message: `must be v1 (got ${JSON.stringify(doc.SpecVersion)})` });
  const name = typeof doc.Name === 'string' ? doc.Name : '';
  if (!NAME.test(name)) problems.push({ path: 'Name', message: 'must be 1-128 letters, digits, _ or -, starting with a letter or _' });
  const timeoutSeconds = doc.Timeout === undefined ? 0 : integer(doc.Timeout, 'Timeout', undefined, 0, Number.MAX_SAFE_INTEGER, problems);
  const ctx: Ctx = { problems, lists, options };
  const root = stateList(doc.StartAt, doc.States, '', '', ctx);
  if (problems.length > 0) throw new FlowDefinitionError(problems);
  return { name, timeoutSeconds, root, lists };
}

interface Ctx {
  problems: Problem[];
  lists: Map<string, StateList>;
  options: CompileOptions;
}

const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function unknownFields(obj: Record<string, unknown>, allowed: string[], path: string, state: string | undefined, problems: Problem[]): void {
  for (const key of Object.keys(obj)) {
    if (allowed.includes(key)) continue;
    const at = path ? `${path}.${key}` : key;
    const why = REFUSED[key];
    problems.push({ path: at, ...(state ? { state } : {}), message: why ? `${key} is not supported: ${why}` : `field ${key} is not supported by the local CloudFlow engine (supported here: ${allowed.join(', ')})` });
  }
}

/** An integer in min..max (digits in a string count: the docs type some of these as strings). */
function integer(value: unknown, path: string, state: string | undefined, min: number, max: number, problems: Problem[]): number {
  return integerField(value, path, min, max, (at, message) => problems.push({ path: at, ...(state ? { state } : {}), message }));
}

function stateList(startAt: unknown, states: unknown, path: string, key: string, ctx: Ctx): StateList {
  const list: StateList = { key, startAt: typeof startAt === 'string' ? startAt : '', states: new Map() };
  ctx.lists.set(key, list);
  const at = (field: string) => (path ? `${path}.${field}` : field);
  if (!Array.isArray(states) || states.length === 0) {
    ctx.problems.push({ path: at('States'), message: 'must be a non-empty list of states' });
    return list;
  }
  // Names of every state, compiled or not, so one bad state does not also break the transitions to it.
  const names = new Set(states.filter(isMap).map((raw) => raw.Name).filter((n): n is string => typeof n === 'string'));
  states.forEach((raw, i) => {
    const statePath = `${at('States')}[${i}]`;
    if (!isMap(raw)) {
      ctx.problems.push({ path: statePath, message: 'a state must be a map' });
      return;
    }
    const state = compileState(raw, statePath, key, ctx);
    if (!state) return;
    if (list.states.has(state.name)) ctx.problems.push({ path: `${statePath}.Name`, state: state.name, message: 'another state in the same States list has this name' });
    else list.states.set(state.name, state);
  });
  if (typeof startAt !== 'string' || !names.has(startAt)) ctx.problems.push({ path: at('StartAt'), message: `must name a state of this States list (got ${JSON.stringify(startAt)})` });
  for (const state of list.states.values()) checkTargets(state, names, ctx.problems);
  return list;
}

function checkTargets(state: StateDef, names: Set<string>, problems: Problem[]): void {
  const target = (next: string, field: string) => {
    if (!names.has(next)) problems.push({ path: `${state.path}.${field}`, state: state.name, message: `"${next}" is not a state of the same States list` });
  };
  if (state.next) target(state.next, 'Next');
  if (state.type === 'Choice') {
    state.branches.forEach((b, i) => target(b.next, `Branches[${i}].Next`));
    // A missing Default is reported where the Choice is compiled; no second problem for its empty name.
    if (state.default) target(state.default, 'Default');
  }
  if (state.type === 'Task' || state.type === 'Parallel' || state.type === 'Map') state.catch.forEach((c, i) => target(c.next, `Catch[${i}].Next`));
}

function compileState(raw: Record<string, unknown>, path: string, listKey: string, ctx: Ctx): StateDef | undefined {
  const { problems } = ctx;
  const name = typeof raw.Name === 'string' && raw.Name.length > 0 ? raw.Name : undefined;
  if (!name) {
    problems.push({ path: `${path}.Name`, message: 'every state needs a Name' });
    return undefined;
  }
  const type = raw.Type as StateDef['type'];
  if (typeof type !== 'string' || !(type in STATE_FIELDS)) {
    problems.push({ path: `${path}.Type`, state: name, message: `state type ${JSON.stringify(raw.Type)} is not supported (the engine runs ${Object.keys(STATE_FIELDS).join(', ')})` });
    return undefined;
  }
  unknownFields(raw, [...COMMON_FIELDS, ...STATE_FIELDS[type]], path, name, problems);
  const problem = (field: string, message: string) => problems.push({ path: `${path}.${field}`, state: name, message });
  const template = (field: string, allowed: Variable[]): Template | undefined => {
    if (raw[field] === undefined) return undefined;
    if (!isMap(raw[field])) {
      problem(field, 'must be a map');
      return undefined;
    }
    return checkedTemplate(raw[field], field, allowed, problem);
  };
  const common: Common = {
    name,
    path,
    end: raw.End === true,
    ...optional('input', template('InputConstructor', ['Input', 'Context'])),
    ...optional('output', template('OutputConstructor', ['Input', 'Output', 'Context'])),
    ...(typeof raw.Next === 'string' ? { next: raw.Next } : {}),
  };
  if (raw.Next !== undefined && typeof raw.Next !== 'string') problem('Next', 'must be a state name');
  if (raw.End !== undefined && typeof raw.End !== 'boolean') problem('End', 'must be true or false');

  const terminal = type === 'Succeed' || type === 'Fail';
  if (terminal && raw.End === false) problem('End', `a ${type} state always ends its scope`);
  if (!terminal && type !== 'Choice') {
    if (common.next && common.end) problem('Next', 'give either Next or End: true, not both');
    if (!common.next && !common.end) problem('Next', 'needs Next, or End: true');
  }

  switch (type) {
    case 'Pass':
      return { ...common, type };
    case 'Succeed':
      return { ...common, type, end: true };
    case 'Fail':
      if (raw.Code !== undefined && typeof raw.Code !== 'string') problem('Code', 'must be a string');
      if (raw.Detail !== undefined && typeof raw.Detail !== 'string') problem('Detail', 'must be a string');
      return { ...common, type, end: true, ...optional('code', raw.Code as string | undefined), ...optional('detail', raw.Detail as string | undefined) };
    case 'Wait':
      return { ...common, type, seconds: waitSeconds(raw, problem) };
    case 'Choice':
      return { ...common, type, ...choice(raw, problem) };
    case 'Task':
      return { ...common, type, ...task(raw, problem, ctx.options), ...errorHandling(raw, problem) };
    case 'Parallel': {
      const branches: StateList[] = [];
      if (!Array.isArray(raw.Branches) || raw.Branches.length === 0 || raw.Branches.length > MAX_PARALLEL_BRANCHES) {
        problem('Branches', `must be a list of 1..${MAX_PARALLEL_BRANCHES} branches`);
      } else {
        raw.Branches.forEach((b, i) => {
          const at = `${path}.Branches[${i}]`;
          if (!isMap(b)) {
            problem(`Branches[${i}]`, 'must be a map with StartAt and States');
            return;
          }
          unknownFields(b, ['StartAt', 'States'], at, name, problems);
          branches.push(stateList(b.StartAt, b.States, at, `${listPrefix(listKey)}${name}#${i}`, ctx));
        });
      }
      return { ...common, type, branches, ...errorHandling(raw, problem) };
    }
    case 'Map': {
      let itemsPath: Ast = { k: 'lit', v: null };
      if (typeof raw.ItemsPath !== 'string') problem('ItemsPath', 'an expression giving the array to iterate is required, e.g. $Input.items');
      else itemsPath = checkedExpression(raw.ItemsPath, 'ItemsPath', ['Input', 'Context'], problem) ?? itemsPath;
      const processor = raw.Processor;
      let list: StateList = { key: `${listPrefix(listKey)}${name}#map`, startAt: '', states: new Map() };
      if (!isMap(processor)) problem('Processor', 'a map with StartAt and States is required');
      else {
        unknownFields(processor, ['StartAt', 'States'], `${path}.Processor`, name, problems);
        list = stateList(processor.StartAt, processor.States, `${path}.Processor`, list.key, ctx);
      }
      if (raw.MaxConcurrency !== undefined && raw.MaxConcuccency !== undefined) problem('MaxConcurrency', 'give MaxConcurrency or MaxConcuccency (the docs spelling), not both');
      const concurrencyField = raw.MaxConcurrency !== undefined ? 'MaxConcurrency' : 'MaxConcuccency';
      const maxConcurrency = raw[concurrencyField] === undefined ? MAX_MAP_CONCURRENCY : integer(raw[concurrencyField], `${path}.${concurrencyField}`, name, 1, MAX_MAP_CONCURRENCY, problems);
      return { ...common, type, itemsPath, processor: list, maxConcurrency, ...errorHandling(raw, problem) };
    }
  }
}

const listPrefix = (listKey: string) => (listKey ? `${listKey}/` : '');

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

type ProblemAt = (field: string, message: string) => void;

function checkedTemplate(value: unknown, field: string, allowed: Variable[], problem: ProblemAt): Template | undefined {
  try {
    const t = compileTemplate(value, field);
    for (const v of templateVariables(t)) if (!allowed.includes(v)) problem(field, `$${v} cannot be used here (available: ${allowed.map((a) => `$${a}`).join(', ')})`);
    return t;
  } catch (err) {
    if (err instanceof TemplateError) problem(err.path, err.message.slice(err.path.length + 2));
    else throw err;
    return undefined;
  }
}

function checkedExpression(source: string, field: string, allowed: Variable[], problem: ProblemAt): Ast | undefined {
  try {
    const ast = parseExpression(source.trim());
    for (const v of variablesOf(ast)) if (!allowed.includes(v)) problem(field, `$${v} cannot be used here (available: ${allowed.map((a) => `$${a}`).join(', ')})`);
    return ast;
  } catch (err) {
    problem(field, (err as Error).message);
    return undefined;
  }
}

function waitSeconds(raw: Record<string, unknown>, problem: ProblemAt): number | Ast {
  const constant = raw.Seconds;
  const expression = raw['Seconds.$'];
  if ((constant === undefined) === (expression === undefined)) {
    problem('Seconds', 'give Seconds (1..300) or Seconds.$ (an expression)');
    return 1;
  }
  if (expression !== undefined) {
    if (typeof expression !== 'string') {
      problem('Seconds.$', 'must be an expression');
      return 1;
    }
    return checkedExpression(expression, 'Seconds.$', ['Input', 'Context'], problem) ?? 1;
  }
  if (typeof constant !== 'number' || !Number.isInteger(constant) || constant < 1 || constant > MAX_WAIT_SECONDS) {
    problem('Seconds', `must be an integer in 1..${MAX_WAIT_SECONDS} (CloudFlow standard mode) (got ${JSON.stringify(constant)})`);
    return 1;
  }
  return constant;
}

function choice(raw: Record<string, unknown>, problem: ProblemAt): Pick<ChoiceState, 'branches' | 'default'> {
  const branches: ChoiceState['branches'] = [];
  if (!Array.isArray(raw.Branches) || raw.Branches.length === 0) problem('Branches', 'must be a non-empty list of {Condition, Next}');
  else {
    raw.Branches.forEach((b, i) => {
      const field = `Branches[${i}]`;
      if (!isMap(b)) return problem(field, 'must be a map with Condition and Next');
      for (const key of Object.keys(b)) if (key !== 'Condition' && key !== 'Next') problem(`${field}.${key}`, `field ${key} is not supported in a Choice branch (Condition, Next)`);
      if (typeof b.Next !== 'string') problem(`${field}.Next`, 'must name the state to go to');
      if (typeof b.Condition !== 'string') return problem(`${field}.Condition`, 'must be a condition expression, e.g. $Input.status == "ready"');
      const condition = checkedExpression(b.Condition, `${field}.Condition`, ['Input', 'Context'], problem);
      if (condition) branches.push({ condition, source: b.Condition, next: String(b.Next) });
    });
  }
  if (typeof raw.Default !== 'string') problem('Default', 'is required: the state to go to when no condition holds');
  return { branches, default: String(raw.Default ?? '') };
}

function task(raw: Record<string, unknown>, problem: ProblemAt, options: CompileOptions): Omit<TaskState, keyof Common | 'type' | 'retry' | 'catch'> {
  if (raw.Action !== 'FC:InvokeFunction') problem('Action', `Action ${JSON.stringify(raw.Action)} is not emulated: the local engine runs FC:InvokeFunction tasks only`);
  const mode = raw.TaskMode ?? 'RequestComplete';
  if (mode === 'WaitForSystemCallback') problem('TaskMode', 'WaitForSystemCallback is not emulated (no integrated service calls back locally); use RequestComplete or WaitForCustomCallback');
  else if (mode !== 'RequestComplete' && mode !== 'WaitForCustomCallback') problem('TaskMode', `must be RequestComplete or WaitForCustomCallback (got ${JSON.stringify(mode)})`);
  const timeoutSeconds = raw.Timeout === undefined ? 0 : integerField(raw.Timeout, 'Timeout', 0, MAX_TASK_TIMEOUT_SECONDS, problem);
  const params = raw.Parameters;
  let resourceArn = '';
  let functionName = '';
  let invocationType: TaskState['invocationType'] = 'Sync';
  let body: Template | undefined;
  if (!isMap(params)) problem('Parameters', 'FC:InvokeFunction needs Parameters with resourceArn and invocationType');
  else {
    for (const key of Object.keys(params)) {
      if (!['resourceArn', 'invocationType', 'body', 'body.$'].includes(key)) {
        problem(`Parameters.${key}`, REFUSED[key] ? `${key} is not supported: ${REFUSED[key]}` : `parameter ${key} of FC:InvokeFunction is not supported (resourceArn, invocationType, body)`);
      }
    }
    if (typeof params.resourceArn !== 'string') problem('Parameters.resourceArn', 'the function ARN is required, e.g. acs:fc:${vars.region}:${config("AccountID")}:functions/my-function');
    else {
      resourceArn = params.resourceArn;
      const resolved = options.resolveFunction ? options.resolveFunction(resourceArn) : defaultResolve(resourceArn);
      if ('error' in resolved) problem('Parameters.resourceArn', resolved.error);
      else functionName = resolved.functionName;
    }
    if (params.invocationType !== 'Sync' && params.invocationType !== 'Async') problem('Parameters.invocationType', `must be Sync or Async (got ${JSON.stringify(params.invocationType)})`);
    else invocationType = params.invocationType;
    if (params.body !== undefined || params['body.$'] !== undefined) {
      const t = checkedTemplate({ ...(params.body !== undefined ? { body: params.body } : {}), ...(params['body.$'] !== undefined ? { 'body.$': params['body.$'] } : {}) }, 'Parameters', ['Input', 'Context'], problem);
      if (t && t.k === 'map') body = t.entries[0]?.[1];
    }
  }
  return { mode: mode as TaskState['mode'], resourceArn, functionName, invocationType, timeoutSeconds, ...optional('body', body) };
}

function defaultResolve(arn: string): { functionName: string } | { error: string } {
  const parsed = parseFunctionArn(arn);
  return 'error' in parsed ? parsed : { functionName: parsed.functionName };
}

function integerField(value: unknown, field: string, min: number, max: number, problem: ProblemAt): number {
  const n = typeof value === 'string' && /^\d+$/.test(value) ? Number(value) : value;
  if (typeof n === 'number' && Number.isInteger(n) && n >= min && n <= max) return n;
  problem(field, `must be an integer in ${min}..${max} (got ${JSON.stringify(value)})`);
  return min;
}

function errorNames(value: unknown, field: string, problem: ProblemAt): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.some((e) => typeof e !== 'string' || e === '')) {
    problem(field, 'must be a non-empty list of error names, e.g. [FC.ResourceThrottled, FnF.ALL]');
    return [];
  }
  for (const name of value as string[]) {
    if (name.startsWith('FnF.') && !ENGINE_ERRORS.includes(name)) {
      problem(field, `${name} is not an error the local engine raises (it raises ${ENGINE_ERRORS.join(', ')}), so this rule could never match`);
    }
  }
  return value as string[];
}

function ruleFieldMessage(key: string, where: string, allowed: string[]): string {
  return REFUSED[key] ? `${key} is not supported: ${REFUSED[key]}` : `field ${key} is not supported in ${where} (${allowed.join(', ')})`;
}

function errorHandling(raw: Record<string, unknown>, problem: ProblemAt): { retry: RetryRule[]; catch: CatchRule[] } {
  const retry: RetryRule[] = [];
  const catchRules: CatchRule[] = [];
  if (raw.Retry !== undefined) {
    if (!Array.isArray(raw.Retry)) problem('Retry', 'must be a list of retry rules');
    else {
      raw.Retry.forEach((r, i) => {
        const field = `Retry[${i}]`;
        if (!isMap(r)) return problem(field, 'must be a map');
        for (const key of Object.keys(r)) if (!SUPPORTED_FIELDS.retry.includes(key)) problem(`${field}.${key}`, ruleFieldMessage(key, 'a Retry rule', SUPPORTED_FIELDS.retry));
        const rule: RetryRule = {
          errors: errorNames(r.Errors, `${field}.Errors`, problem),
          maxAttempts: r.MaxAttempts === undefined ? (problem(`${field}.MaxAttempts`, 'is required'), 0) : integerField(r.MaxAttempts, `${field}.MaxAttempts`, 0, 1000, problem),
          intervalSeconds: r.IntervalSeconds === undefined ? (problem(`${field}.IntervalSeconds`, 'is required'), 1) : integerField(r.IntervalSeconds, `${field}.IntervalSeconds`, 0, 86400, problem),
          backoffRate: 1,
        };
        if (r.BackoffRate !== undefined) {
          if (typeof r.BackoffRate !== 'number' || !(r.BackoffRate >= 1)) problem(`${field}.BackoffRate`, 'must be a number >= 1');
          else rule.backoffRate = r.BackoffRate;
        }
        if (r.MaxBackoffSeconds !== undefined) rule.maxBackoffSeconds = integerField(r.MaxBackoffSeconds, `${field}.MaxBackoffSeconds`, 1, 86400, problem);
        retry.push(rule);
      });
    }
  }
  if (raw.Catch !== undefined) {
    if (!Array.isArray(raw.Catch)) problem('Catch', 'must be a list of catch rules');
    else {
      raw.Catch.forEach((c, i) => {
        const field = `Catch[${i}]`;
        if (!isMap(c)) return problem(field, 'must be a map');
        for (const key of Object.keys(c)) if (!SUPPORTED_FIELDS.catch.includes(key)) problem(`${field}.${key}`, ruleFieldMessage(key, 'a Catch rule', SUPPORTED_FIELDS.catch));
        if (typeof c.Next !== 'string') problem(`${field}.Next`, 'must name the state to go to');
        const output = c.OutputConstructor === undefined ? undefined : isMap(c.OutputConstructor) ? checkedTemplate(c.OutputConstructor, `${field}.OutputConstructor`, ['Input', 'Context'], problem) : (problem(`${field}.OutputConstructor`, 'must be a map'), undefined);
        catchRules.push({ errors: errorNames(c.Errors, `${field}.Errors`, problem), next: String(c.Next ?? ''), ...optional('output', output) });
      });
    }
  }
  return { retry, catch: catchRules };
}
