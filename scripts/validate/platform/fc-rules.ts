/**
 * Function Compute 3.0's own limits on what `s deploy` sends, checked on Serverless Devs' rendering of s.yaml
 * (`s preview`), so a mistake is found before fc3 reaches the API. The numbers come from FC's documentation
 * (CreateFunctionInput, "Limits", "Environment variables", the trigger pages) and fc3's schema.json; each rule
 * names where it comes from in docs/decisions.md D141. The local loader (scripts/local/spec) already checks the
 * keys it emulates; these are the rules only the cloud applies.
 */
import type { Preview } from '../checks';

type Props = Record<string, unknown>;
export type Problem = string;

/** FC 3.0 CreateFunctionInput.functionName: letters, digits, `_`, `-`; not starting with a digit or `-`; 1–64. */
const FUNCTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** CreateTriggerInput.triggerName: the same alphabet, 1–128. */
const TRIGGER_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;
/** "A key must start with a letter and can contain only letters, digits, and underscores". */
const ENV_KEY = /^[A-Za-z][A-Za-z0-9_]*$/;
/** Names FC reserves besides the FC_* prefix. */
const RESERVED_ENV = new Set(['accessKeyID', 'accessKeySecret', 'securityToken', 'topic']);
export const ENV_TOTAL_BYTES = 4096;
export const MAX_TRIGGERS = 50;
/** Initializer at most 300 s, PreStop at most 90 s ("Limits", function run-time resources). */
const HOOK_MAX_SECONDS = { initializer: 300, preStop: 90 } as const;
const HTTP_METHODS = new Set(['HEAD', 'DELETE', 'POST', 'GET', 'OPTIONS', 'PUT', 'PATCH']);
/** Sync invocation payload 32 MB, async 128 KB ("Limits"). */
export const SYNC_PAYLOAD_BYTES = 32 * 1024 * 1024;
export const ASYNC_PAYLOAD_BYTES = 128 * 1024;

const isMap = (v: unknown): v is Props => !!v && typeof v === 'object' && !Array.isArray(v);
const at = (v: unknown, key: string): Props => (isMap(v) && isMap(v[key]) ? (v[key] as Props) : {});

/** Every fc3 resource of the rendering: name and props. */
export function fc3Resources(preview: Preview): [string, Props][] {
  return Object.entries(preview.resources)
    .filter(([, r]) => r.component === 'fc3' && isMap(r.props))
    .map(([name, r]) => [name, r.props as Props]);
}

/** `acs:ram::<account>:role/<name>` → name, when the ARN names the deploying account. */
export function roleNameOf(arn: unknown, accountId: string): string | undefined {
  const m = /^acs:ram::(\d+):role\/([\w.@-]{1,64})$/.exec(String(arn ?? ''));
  return m && m[1] === accountId ? m[2] : undefined;
}

export function functionProblems(preview: Preview): Problem[] {
  const problems: Problem[] = [];
  const region = String(preview.vars.region ?? '');
  const accountId = String(preview.vars.accountId ?? '');
  for (const [resource, p] of fc3Resources(preview)) {
    const where = `resources.${resource}.props`;
    const say = (path: string, what: string) => problems.push(`${where}.${path}: ${what}`);
    if (!FUNCTION_NAME.test(String(p.functionName ?? ''))) say('functionName', `"${String(p.functionName)}" is not 1-64 letters, digits, _ or -, starting with a letter or _`);
    if (p.region !== region) say('region', `${String(p.region)} is not the stack's region ${region}`);
    problems.push(...resourceSizeProblems(p, where));
    problems.push(...environmentProblems(p.environmentVariables, `${where}.environmentVariables`));
    for (const hook of ['initializer', 'preStop'] as const) {
      const h = at(p.instanceLifecycleConfig, hook);
      if (h.timeout !== undefined && !(Number.isInteger(h.timeout) && (h.timeout as number) >= 1 && (h.timeout as number) <= HOOK_MAX_SECONDS[hook])) {
        say(`instanceLifecycleConfig.${hook}.timeout`, `must be 1-${HOOK_MAX_SECONDS[hook]} s (got ${JSON.stringify(h.timeout)})`);
      }
    }
    if (p.role !== undefined && p.role !== 'auto' && !roleNameOf(p.role, accountId)) say('role', `${JSON.stringify(p.role)} is not acs:ram::${accountId}:role/<name> (the deploying account)`);
    problems.push(...destinationProblems(at(p.asyncInvokeConfig, 'destinationConfig'), `${where}.asyncInvokeConfig.destinationConfig`, region, accountId));
    const triggers = Array.isArray(p.triggers) ? (p.triggers as Props[]) : [];
    if (triggers.length > MAX_TRIGGERS) say('triggers', `${triggers.length} triggers; FC allows ${MAX_TRIGGERS} per function`);
    const names = new Set<string>();
    triggers.forEach((t, i) => {
      const path = `${where}.triggers[${i}]`;
      const name = String(t.triggerName ?? '');
      if (!TRIGGER_NAME.test(name)) problems.push(`${path}.triggerName: "${name}" is not 1-128 letters, digits, _ or -, starting with a letter or _`);
      if (names.has(name)) problems.push(`${path}.triggerName: "${name}" is used twice in this function`);
      names.add(name);
      problems.push(...triggerProblems(t, path, { region, accountId, functionName: String(p.functionName ?? '') }));
    });
  }
  return problems;
}

/** memorySize, cpu, diskSize, timeout: the ranges and the 1:1–1:4 vCPU:GB rule of CreateFunctionInput. */
function resourceSizeProblems(p: Props, where: string): Problem[] {
  const problems: Problem[] = [];
  const memory = p.memorySize ?? 512;
  if (typeof memory !== 'number' || !Number.isInteger(memory) || memory < 128 || memory > 32768 || memory % 64 !== 0) {
    problems.push(`${where}.memorySize: must be 128-32768 MB in steps of 64 (got ${JSON.stringify(memory)})`);
  }
  if (p.cpu !== undefined) {
    const cpu = p.cpu;
    const twentieths = typeof cpu === 'number' ? Math.round(cpu * 20) : NaN;
    if (typeof cpu !== 'number' || cpu < 0.05 || cpu > 16 || Math.abs(twentieths - cpu * 20) > 1e-9) problems.push(`${where}.cpu: must be 0.05-16 vCPU in steps of 0.05 (got ${JSON.stringify(cpu)})`);
    else if (typeof memory === 'number') {
      const gbPerCpu = memory / 1024 / cpu;
      if (gbPerCpu < 1 || gbPerCpu > 4) problems.push(`${where}.cpu: ${cpu} vCPU with ${memory} MB is 1:${gbPerCpu.toFixed(2)}; FC needs vCPU:GB between 1:1 and 1:4`);
    }
  }
  if (p.diskSize !== undefined && p.diskSize !== 512 && p.diskSize !== 10240) problems.push(`${where}.diskSize: must be 512 or 10240 (got ${JSON.stringify(p.diskSize)})`);
  const timeout = p.timeout ?? 3;
  if (typeof timeout !== 'number' || !Number.isInteger(timeout) || timeout < 1 || timeout > 86400) problems.push(`${where}.timeout: must be 1-86400 s (got ${JSON.stringify(timeout)})`);
  return problems;
}

/** Keys, reserved names, string values and the 4 KB total FC stores per function. */
export function environmentProblems(env: unknown, where: string): Problem[] {
  if (env === undefined) return [];
  if (!isMap(env)) return [`${where}: must be a map of names to strings`];
  const problems: Problem[] = [];
  let bytes = 0;
  for (const [key, value] of Object.entries(env)) {
    if (!ENV_KEY.test(key)) problems.push(`${where}.${key}: a name must start with a letter and hold only letters, digits and _`);
    if (key.startsWith('FC_') || RESERVED_ENV.has(key)) problems.push(`${where}.${key}: reserved by Function Compute`);
    if (typeof value !== 'string') problems.push(`${where}.${key}: must be a string (got ${JSON.stringify(value)}); quote it in s.yaml`);
    bytes += Buffer.byteLength(key) + Buffer.byteLength(String(value));
  }
  if (bytes > ENV_TOTAL_BYTES) problems.push(`${where}: ${bytes} bytes of names and values; FC allows ${ENV_TOTAL_BYTES} in total`);
  return problems;
}

/** asyncInvokeConfig destinations: a function, MNS queue or topic of this region and account. */
function destinationProblems(config: Props, where: string, region: string, accountId: string): Problem[] {
  const problems: Problem[] = [];
  for (const kind of ['onSuccess', 'onFailure']) {
    const dest = at(config, kind).destination;
    if (dest === undefined) continue;
    const m = /^acs:(fc|mns):([\w-]+):(\d*):(?:functions\/[A-Za-z_][\w-]*|\/queues\/[A-Za-z0-9][\w-]*\/messages|\/topics\/[A-Za-z0-9][\w-]*\/messages)$/.exec(String(dest));
    if (!m) problems.push(`${where}.${kind}.destination: ${JSON.stringify(dest)} is not acs:fc:<region>:<account>:functions/<name> or acs:mns:<region>:<account>:/queues|topics/<name>/messages`);
    else if (m[2] !== region || (m[3] !== '' && m[3] !== accountId)) problems.push(`${where}.${kind}.destination: names region ${m[2]} / account ${m[3] || '(own)'}, not ${region} / ${accountId}`);
  }
  return problems;
}

interface TriggerContext {
  region: string;
  accountId: string;
  functionName: string;
}

/** sourceArn must name this region and account; each type's required config (fc3 schema.json, FC trigger pages). */
function triggerProblems(t: Props, path: string, ctx: TriggerContext): Problem[] {
  const problems: Problem[] = [];
  const config = isMap(t.triggerConfig) ? t.triggerConfig : {};
  const arnOf = (service: string) => {
    const m = new RegExp(`^acs:${service}:([\\w-]+):(\\d+):(.+)$`).exec(String(t.sourceArn ?? ''));
    if (!m) problems.push(`${path}.sourceArn: ${JSON.stringify(t.sourceArn)} is not acs:${service}:<region>:<account>:…`);
    else if (m[1] !== ctx.region || m[2] !== ctx.accountId) problems.push(`${path}.sourceArn: names region ${m[1]} / account ${m[2]}, not ${ctx.region} / ${ctx.accountId}`);
  };
  const needsRole = () => {
    if (!t.invocationRole) problems.push(`${path}.invocationRole: required: the role the event source assumes to invoke the function`);
  };
  switch (t.triggerType) {
    case 'http': {
      if (!['anonymous', 'function', 'jwt'].includes(String(config.authType ?? 'anonymous'))) problems.push(`${path}.triggerConfig.authType: must be anonymous, function or jwt`);
      const bad = ((config.methods as unknown[] | undefined) ?? []).filter((m) => !HTTP_METHODS.has(String(m)));
      if (bad.length) problems.push(`${path}.triggerConfig.methods: ${bad.join(', ')} not among ${[...HTTP_METHODS].join(', ')}`);
      break;
    }
    case 'timer':
      if (!/^(CRON_TZ=[\w/+-]+ )?(\S+ ){5}\S+$|^@every \d+[mh]$/.test(String(config.cronExpression ?? ''))) problems.push(`${path}.triggerConfig.cronExpression: ${JSON.stringify(config.cronExpression)} is neither a 6-field cron (seconds first) nor @every <n>m|h`);
      if (typeof config.enable !== 'boolean') problems.push(`${path}.triggerConfig.enable: required, true or false`);
      if (config.payload !== undefined && typeof config.payload !== 'string') problems.push(`${path}.triggerConfig.payload: must be a string`);
      break;
    case 'oss': {
      arnOf('oss');
      needsRole();
      const key = at(config.filter, 'key');
      if (typeof key.prefix !== 'string' || typeof key.suffix !== 'string') problems.push(`${path}.triggerConfig.filter.key: prefix and suffix are both required (fc3 schema), '' for none`);
      break;
    }
    case 'mns_topic':
      arnOf('mns');
      needsRole();
      for (const key of ['notifyContentFormat', 'notifyStrategy']) if (config[key] === undefined) problems.push(`${path}.triggerConfig.${key}: required (fc3 schema)`);
      break;
    case 'tablestore':
      arnOf('ots');
      needsRole();
      break;
    case 'eventbridge': {
      // fc3 names the event stream and its rule source MNS-<function>-<trigger>; a pattern naming another source
      // matches nothing, and the trigger silently never fires. No pattern (or one without a source) filters
      // nothing out, as the local cloud runs it (D165).
      const expected = `MNS-${ctx.functionName}-${String(t.triggerName)}`;
      const given = config.eventRuleFilterPattern;
      const pattern = typeof given === 'string' ? given : JSON.stringify(given ?? '');
      if (given !== undefined && pattern.includes('"source"') && !pattern.includes(JSON.stringify(expected))) problems.push(`${path}.triggerConfig.eventRuleFilterPattern: must match source "${expected}" (got ${pattern})`);
      const run = at(config, 'runOptions');
      const retry = at(run, 'retryStrategy').PushRetryStrategy;
      if (retry !== undefined && retry !== 'BACKOFF_RETRY' && retry !== 'EXPONENTIAL_DECAY_RETRY') problems.push(`${path}.triggerConfig.runOptions.retryStrategy.PushRetryStrategy: must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY`);
      if (run.errorsTolerance !== undefined && run.errorsTolerance !== 'ALL' && run.errorsTolerance !== 'NONE') problems.push(`${path}.triggerConfig.runOptions.errorsTolerance: must be ALL or NONE`);
      break;
    }
    default:
      problems.push(`${path}.triggerType: ${JSON.stringify(t.triggerType)} is not a trigger type this check knows`);
  }
  return problems;
}

/**
 * Two OSS triggers on one bucket whose events and key filters overlap: OSS refuses the second notification
 * rule, so the deploy of that function's trigger fails.
 */
export function ossOverlapProblems(preview: Preview): Problem[] {
  const rules: { where: string; bucket: string; events: string[]; prefix: string; suffix: string }[] = [];
  for (const [resource, p] of fc3Resources(preview)) {
    ((p.triggers as Props[] | undefined) ?? []).forEach((t, i) => {
      if (t.triggerType !== 'oss') return;
      const key = at(at(t.triggerConfig, 'filter'), 'key');
      rules.push({ where: `resources.${resource}.props.triggers[${i}]`, bucket: String(t.sourceArn).split(':').pop()!, events: (at(t, 'triggerConfig').events as string[]) ?? [], prefix: String(key.prefix ?? ''), suffix: String(key.suffix ?? '') });
    });
  }
  const covers = (a: string, b: string) => a === b || (a.endsWith(':*') && b.startsWith(a.slice(0, -1)));
  const problems: Problem[] = [];
  rules.forEach((a, i) => {
    for (const b of rules.slice(i + 1)) {
      if (a.bucket !== b.bucket) continue;
      const sharedEvent = a.events.some((x) => b.events.some((y) => covers(x, y) || covers(y, x)));
      const prefixes = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
      const suffixes = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
      if (sharedEvent && prefixes && suffixes) problems.push(`${b.where}: its OSS events and key filter overlap ${a.where} on bucket ${a.bucket}; OSS refuses overlapping notification rules`);
    }
  });
  return problems;
}

/**
 * An eventbridge (MNS queue) trigger delivers up to CountBasedWindow messages in one invocation: the largest batch
 * the queue allows must fit FC's payload limit for that invocation type.
 */
export function batchPayloadProblems(preview: Preview, maxMessageBytes: (queue: string) => number | undefined): Problem[] {
  const problems: Problem[] = [];
  for (const [resource, p] of fc3Resources(preview)) {
    ((p.triggers as Props[] | undefined) ?? []).forEach((t, i) => {
      if (t.triggerType !== 'eventbridge') return;
      const config = at(t, 'triggerConfig');
      const queue = String(at(at(at(config, 'eventSourceConfig'), 'eventSourceParameters'), 'sourceMNSParameters').QueueName ?? '');
      const perMessage = maxMessageBytes(queue);
      if (perMessage === undefined) return;
      const count = Number(at(at(config, 'runOptions'), 'batchWindow').CountBasedWindow ?? 1);
      const asyncCall = config.asyncInvocationType === true || config.asyncInvocationType === 'true';
      const limit = asyncCall ? ASYNC_PAYLOAD_BYTES : SYNC_PAYLOAD_BYTES;
      // Base64 in CloudEvents' data.messageBody plus the envelope: a third more, rounded up.
      const worst = Math.ceil(count * perMessage * 4 / 3) + count * 1024;
      if (worst > limit) problems.push(`resources.${resource}.props.triggers[${i}].triggerConfig.runOptions.batchWindow.CountBasedWindow: ${count} messages of up to ${perMessage} bytes (queue ${queue}) can reach ${worst} bytes; an ${asyncCall ? 'async' : 'sync'} invocation takes ${limit}`);
    });
  }
  return problems;
}
