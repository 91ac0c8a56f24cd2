import { resolve } from 'node:path';
import { SpecError, SpecErrors } from './errors';
import { isCustomRuntime, runtimeProblem, toCustomRuntime } from './custom-runtime';
import { REFUSED_TRIGGER_TYPES, TRIGGER_COMMON, TRIGGER_CONFIG, checkKeys } from './key-rules';
import type { AsyncInvokeSpec, DestinationSpec, FunctionSpec, MnsQueueTriggerSpec, RouteSpec, TriggerSpec } from './model';

/** fc3 props → FunctionSpec, with the constraints fc3's schema.json enforces (memory, timeout, runtime). */
export function toFunctionSpec(resource: string, props: Record<string, unknown>, baseDir: string, path: string): FunctionSpec {
  const errors: SpecError[] = [];
  const str = (key: string, required = true): string => {
    const value = props[key];
    if (typeof value === 'string' && value.length > 0) return value;
    if (required) errors.push(new SpecError(`${path}.${key}`, 'is required (a non-empty string)'));
    return '';
  };
  const int = (key: string, fallback: number, min: number, max: number, multipleOf = 1): number => {
    const value = props[key] ?? fallback;
    if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max || value % multipleOf !== 0) {
      errors.push(new SpecError(`${path}.${key}`, `must be an integer in ${min}..${max}${multipleOf > 1 ? `, a multiple of ${multipleOf}` : ''} (got ${JSON.stringify(value)})`));
      return fallback;
    }
    return value;
  };

  const name = str('functionName');
  const runtime = str('runtime');
  const problem = runtime ? runtimeProblem(runtime, `${path}.runtime`) : undefined;
  if (problem) errors.push(problem);
  const custom = isCustomRuntime(runtime);
  const code = props.code;
  if (typeof code !== 'string') errors.push(new SpecError(`${path}.code`, 'must be a local folder path', 'OSS code locations are not emulated'));
  const codeDir = resolve(baseDir, typeof code === 'string' ? code : '.');
  const handler = str('handler');
  // A custom runtime's server is the function: FC passes the handler along but gives it no meaning.
  if (handler && !custom && !/^[\w./-]+\.[A-Za-z_$][\w$]*$/.test(handler)) errors.push(new SpecError(`${path}.handler`, `"${handler}" is not <file>.<export>`));
  let customRuntime: FunctionSpec['customRuntime'];
  if (custom) collectInto(errors, () => (customRuntime = toCustomRuntime(props.customRuntimeConfig, codeDir, `${path}.customRuntimeConfig`)));
  else if (props.customRuntimeConfig !== undefined) errors.push(new SpecError(`${path}.customRuntimeConfig`, `applies to custom runtimes only (runtime is "${runtime}")`, `use runtime: ${'custom.debian12'} to run your own server`));
  // FC's range; it applies to custom runtimes only (built-in ones serve one request per instance).
  const instanceConcurrency = int('instanceConcurrency', 1, 1, 200);
  const memorySize = int('memorySize', 512, 128, 32768, 64);
  const timeout = int('timeout', 3, 1, 86400);

  const environment: Record<string, string> = {};
  for (const [key, value] of Object.entries((props.environmentVariables ?? {}) as Record<string, unknown>)) {
    if (key.startsWith('FC_')) errors.push(new SpecError(`${path}.environmentVariables.${key}`, 'FC_* variables are reserved by Function Compute'));
    environment[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }

  const lifecycle = (props.instanceLifecycleConfig ?? {}) as Record<string, { handler?: string; timeout?: number } | undefined>;
  const hook = (key: 'initializer' | 'preStop') => {
    const h = lifecycle[key];
    return h?.handler ? { handler: h.handler, timeout: h.timeout ?? 3 } : undefined;
  };
  const reserved = (props.concurrencyConfig as { reservedConcurrency?: number } | undefined)?.reservedConcurrency;

  const triggers: TriggerSpec[] = [];
  const rawTriggers = props.triggers ?? [];
  if (!Array.isArray(rawTriggers)) errors.push(new SpecError(`${path}.triggers`, 'must be a list'));
  else rawTriggers.forEach((raw, i) => collectInto(errors, () => triggers.push(withDeclared(toTrigger(raw as Record<string, unknown>, `${path}.triggers[${i}]`, String(props.region ?? '')), raw as Record<string, unknown>))));

  let asyncInvokeConfig: AsyncInvokeSpec | undefined;
  if (props.asyncInvokeConfig) collectInto(errors, () => (asyncInvokeConfig = toAsyncConfig(props.asyncInvokeConfig as Record<string, unknown>, `${path}.asyncInvokeConfig`)));

  // `acs:ram::<account>:role/<name>` (RAM role names are case-insensitive).
  const role = typeof props.role === 'string' ? /^acs:ram::[^:]*:role\/(.+)$/i.exec(props.role)?.[1] : undefined;
  if (props.role !== undefined && !role) errors.push(new SpecError(`${path}.role`, `${String(props.role)} is not a role ARN`, 'acs:ram::<account>:role/<name>'));

  if (errors.length > 0) throw new SpecErrors(errors);
  return {
    resource,
    name,
    ...(role ? { role } : {}),
    runtime: runtime as FunctionSpec['runtime'],
    ...(customRuntime ? { customRuntime } : {}),
    ...(custom ? { instanceConcurrency } : {}),
    codeDir,
    handler,
    memorySize,
    timeout,
    environment,
    ...(hook('initializer') ? { initializer: hook('initializer')! } : {}),
    ...(hook('preStop') ? { preStop: hook('preStop')! } : {}),
    ...(typeof reserved === 'number' ? { reservedConcurrency: reserved } : {}),
    triggers,
    ...(asyncInvokeConfig ? { asyncInvokeConfig } : {}),
  };
}

function collectInto(errors: SpecError[], fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (err instanceof SpecError) errors.push(err);
    else if (err instanceof SpecErrors) errors.push(...err.errors);
    else throw err;
  }
}

const OSS_EVENTS = new Set([
  'oss:ObjectCreated:*', 'oss:ObjectCreated:PutObject', 'oss:ObjectCreated:PostObject', 'oss:ObjectCreated:CompleteMultipartUpload',
  'oss:ObjectCreated:CopyObject', 'oss:ObjectCreated:PutSymlink', 'oss:ObjectCreated:AppendObject',
  'oss:ObjectCreated:InitiateMultipartUpload', 'oss:ObjectCreated:UploadPart', 'oss:ObjectCreated:UploadPartCopy',
  'oss:ObjectRemoved:*', 'oss:ObjectRemoved:DeleteObject', 'oss:ObjectRemoved:DeleteObjects', 'oss:ObjectRemoved:AbortMultipartUpload',
  'oss:ObjectModified:UpdateObjectMeta',
]);

/** The trigger as s.yaml declares it, for the FC API's ListTriggers and GetTrigger (D145). */
function withDeclared(trigger: TriggerSpec, raw: Record<string, unknown>): TriggerSpec {
  const text = (key: string) => (typeof raw[key] === 'string' ? { [key]: raw[key] as string } : {});
  const triggerConfig = raw.triggerConfig && typeof raw.triggerConfig === 'object' ? (raw.triggerConfig as Record<string, unknown>) : {};
  return { ...trigger, declared: { triggerConfig, ...text('sourceArn'), ...text('invocationRole'), ...text('description') } };
}

function toTrigger(raw: Record<string, unknown>, path: string, region: string): TriggerSpec {
  const type = String(raw.triggerType ?? '');
  const name = String(raw.triggerName ?? '');
  if (REFUSED_TRIGGER_TYPES[type]) throw new SpecError(`${path}.triggerType`, `"${type}": ${REFUSED_TRIGGER_TYPES[type]}`);
  const configRules = TRIGGER_CONFIG[type];
  if (!configRules) throw new SpecError(`${path}.triggerType`, `unknown trigger type "${type}"`);
  const errors = [...checkKeys(raw, TRIGGER_COMMON, path), ...checkKeys(raw.triggerConfig ?? {}, configRules, `${path}.triggerConfig`)];
  if (!name) errors.push(new SpecError(`${path}.triggerName`, 'is required'));
  if (errors.length > 0) throw new SpecErrors(errors);
  const config = (raw.triggerConfig ?? {}) as Record<string, unknown>;
  switch (type) {
    case 'http': {
      const authType = String(config.authType ?? 'anonymous');
      if (authType !== 'anonymous' && authType !== 'function') {
        throw new SpecError(`${path}.triggerConfig.authType`, `"${authType}" is not emulated (anonymous and function are)`, 'use anonymous and verify tokens in the function');
      }
      const methods = (config.methods as string[] | undefined) ?? ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'];
      return { type: 'http', name, authType, methods: methods.map((m) => m.toUpperCase()) };
    }
    case 'timer': {
      const cronExpression = String(config.cronExpression ?? '');
      if (!cronExpression) throw new SpecError(`${path}.triggerConfig.cronExpression`, 'is required');
      return { type: 'timer', name, cronExpression, enable: config.enable !== false, payload: String(config.payload ?? '') };
    }
    case 'oss': {
      const arn = /^acs:oss:[\w-]*:[\w*]*:([a-z0-9][a-z0-9-]{1,61}[a-z0-9])$/.exec(String(raw.sourceArn ?? ''));
      if (!arn) throw new SpecError(`${path}.sourceArn`, 'must be acs:oss:<region>:<account>:<bucket>');
      const events = (config.events as string[] | undefined) ?? [];
      const bad = events.filter((e) => !OSS_EVENTS.has(e));
      if (events.length === 0 || bad.length > 0) throw new SpecError(`${path}.triggerConfig.events`, bad.length ? `unknown OSS events: ${bad.join(', ')}` : 'at least one event is required');
      const key = ((config.filter as { key?: { prefix?: string; suffix?: string } } | undefined)?.key ?? {}) as { prefix?: string; suffix?: string };
      return { type: 'oss', name, bucket: arn[1]!, events, prefix: key.prefix ?? '', suffix: key.suffix ?? '' };
    }
    case 'mns_topic': {
      const arn = /^acs:mns:[\w-]*:[\w*]*:\/?topics\/([A-Za-z0-9][A-Za-z0-9-]*)$/.exec(String(raw.sourceArn ?? ''));
      if (!arn) throw new SpecError(`${path}.sourceArn`, 'must be acs:mns:<region>:<account>:/topics/<topic>');
      const format = String(config.notifyContentFormat ?? 'STREAM');
      if (format !== 'STREAM' && format !== 'JSON') throw new SpecError(`${path}.triggerConfig.notifyContentFormat`, `must be STREAM or JSON (got ${JSON.stringify(config.notifyContentFormat)})`);
      const strategy = String(config.notifyStrategy ?? 'BACKOFF_RETRY');
      if (strategy !== 'BACKOFF_RETRY' && strategy !== 'EXPONENTIAL_DECAY_RETRY') {
        throw new SpecError(`${path}.triggerConfig.notifyStrategy`, `must be BACKOFF_RETRY or EXPONENTIAL_DECAY_RETRY (got ${JSON.stringify(config.notifyStrategy)})`);
      }
      const filterTag = config.filterTag;
      if (filterTag !== undefined && (typeof filterTag !== 'string' || filterTag.length > 16)) throw new SpecError(`${path}.triggerConfig.filterTag`, 'must be a string of at most 16 characters');
      return { type: 'mns_topic', name, topic: arn[1]!, notifyContentFormat: format, notifyStrategy: strategy, ...(filterTag ? { filterTag } : {}) };
    }
    case 'eventbridge':
      return toMnsQueueTrigger(name, config, `${path}.triggerConfig`, region);
    default: {
      const arn = /^acs:ots:[\w-]*:[\w*]*:instance\/([\w-]+)\/table\/(\w+)$/.exec(String(raw.sourceArn ?? ''));
      if (!arn) throw new SpecError(`${path}.sourceArn`, 'must be acs:ots:<region>:<account>:instance/<instance>/table/<table>');
      return { type: 'tablestore', name, instance: arn[1]!, table: arn[2]! };
    }
  }
}

type Config = Record<string, unknown>;
const objectAt = (value: unknown): Config => (value && typeof value === 'object' && !Array.isArray(value) ? (value as Config) : {});

function intIn(value: unknown, low: number, high: number, fallback: number, path: string): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) throw new SpecError(path, `must be an integer in ${low}..${high} (got ${JSON.stringify(value)})`);
  return value;
}

function boolIn(value: unknown, fallback: boolean, path: string): boolean {
  if (value === undefined) return fallback;
  if (value === true || value === 'true') return true;
  if (value === false || value === 'false') return false;
  throw new SpecError(path, `must be true or false (got ${JSON.stringify(value)})`);
}

/**
 * An `eventbridge` trigger with an MNS queue source (FC's MNS queue trigger): the keys of fc3's
 * `__tests__/complete-props.yaml` and FC's RunOptions / DeliveryOption / BatchWindow structures.
 */
function toMnsQueueTrigger(name: string, config: Config, path: string, region: string): MnsQueueTriggerSpec {
  const source = objectAt(config.eventSourceConfig);
  const sourceType = source.eventSourceType;
  if (sourceType !== 'MNS') throw new SpecError(`${path}.eventSourceConfig.eventSourceType`, `"${String(sourceType)}" is not emulated`, 'the local cloud runs eventbridge triggers with eventSourceType: MNS');
  const mnsPath = `${path}.eventSourceConfig.eventSourceParameters.sourceMNSParameters`;
  const mns = objectAt(objectAt(source.eventSourceParameters).sourceMNSParameters);
  const queue = mns.QueueName;
  if (typeof queue !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9-]*$/.test(queue)) throw new SpecError(`${mnsPath}.QueueName`, 'is required: the name of an MNS queue');
  if (mns.RegionId !== undefined && region && mns.RegionId !== region) throw new SpecError(`${mnsPath}.RegionId`, `must be the function's region ${region} (got ${String(mns.RegionId)})`);

  const run = objectAt(config.runOptions);
  const delivery = objectAt(objectAt(config.eventSinkConfig).deliveryOption);
  const mode = String(run.mode ?? delivery.mode ?? 'event-streaming');
  if (mode !== 'event-streaming' && mode !== 'event-driven') throw new SpecError(`${path}.runOptions.mode`, `must be event-streaming or event-driven (got ${JSON.stringify(mode)})`);
  const window = objectAt(run.batchWindow);
  const batchSize = intIn(window.CountBasedWindow, 1, 10000, 1, `${path}.runOptions.batchWindow.CountBasedWindow`);
  const batchWindowSeconds = intIn(window.TimeBasedWindow, 0, 15, 0, `${path}.runOptions.batchWindow.TimeBasedWindow`);
  if (mode === 'event-driven' && batchSize > 1) throw new SpecError(`${path}.runOptions.batchWindow`, 'batching needs mode event-streaming (event-driven pushes one event per invocation)');
  if (run.errorsTolerance !== undefined && run.errorsTolerance !== 'NONE') {
    throw new SpecError(`${path}.runOptions.errorsTolerance`, `"${String(run.errorsTolerance)}" is not emulated`, 'locally a failed batch stays in the queue and dead-letters by the queue DlqPolicy (NONE)');
  }
  const schema = String(delivery.eventSchema ?? 'CloudEvents');
  if (schema !== 'CloudEvents' && schema !== 'RawData') throw new SpecError(`${path}.eventSinkConfig.deliveryOption.eventSchema`, `must be CloudEvents or RawData (got ${JSON.stringify(schema)})`);
  return {
    type: 'eventbridge',
    name,
    queue,
    enabled: boolIn(config.triggerEnable, true, `${path}.triggerEnable`),
    async: boolIn(config.asyncInvocationType, false, `${path}.asyncInvocationType`),
    base64Decode: boolIn(mns.IsBase64Decode, true, `${mnsPath}.IsBase64Decode`),
    mode,
    eventSchema: schema,
    batchSize: mode === 'event-driven' ? 1 : batchSize,
    batchWindowSeconds,
    consumers: intIn(run.maximumTasks, 1, 64, 1, `${path}.runOptions.maximumTasks`),
    ...(config.eventRuleFilterPattern !== undefined ? { filterPattern: filterPattern(config.eventRuleFilterPattern, `${path}.eventRuleFilterPattern`) } : {}),
  };
}

/** `{"source":["MNS-fn-trigger"], "type":[…]}`: exact values of top-level CloudEvent fields; other pattern forms are refused. */
function filterPattern(raw: unknown, path: string): Record<string, string[]> {
  let pattern: unknown = raw;
  if (typeof raw === 'string') {
    try {
      pattern = JSON.parse(raw);
    } catch {
      throw new SpecError(path, 'must be a JSON event pattern');
    }
  }
  const out: Record<string, string[]> = {};
  for (const [field, values] of Object.entries(objectAt(pattern))) {
    if (!Array.isArray(values) || !values.every((v) => typeof v === 'string')) {
      throw new SpecError(`${path}.${field}`, 'only exact-value patterns ({"field": ["value", …]}) are emulated', 'prefix, suffix, numeric and nested patterns are not');
    }
    out[field] = values as string[];
  }
  return out;
}

function toAsyncConfig(raw: Record<string, unknown>, path: string): AsyncInvokeSpec {
  const retries = raw.maxAsyncRetryAttempts ?? 3;
  if (typeof retries !== 'number' || !Number.isInteger(retries) || retries < 0 || retries > 8) {
    throw new SpecError(`${path}.maxAsyncRetryAttempts`, 'must be an integer in 0..8');
  }
  const age = raw.maxAsyncEventAgeInSeconds ?? 18000;
  if (typeof age !== 'number' || age < 1 || age > 2592000) throw new SpecError(`${path}.maxAsyncEventAgeInSeconds`, 'must be in 1..2592000');
  const dest = (raw.destinationConfig ?? {}) as Record<string, { destination?: string } | undefined>;
  const parse = (kind: string): DestinationSpec | undefined => {
    const arn = dest[kind]?.destination;
    if (!arn) return undefined;
    const fc = /^acs:fc:[\w-]*:[\w*]*:functions\/([\w-]+)(\/[\w-]+)?$/.exec(arn);
    if (fc) return { kind: 'fc', functionName: fc[1]!, arn };
    const mns = /^acs:mns:[\w-]*:[\w*]*:\/(queues|topics)\/([A-Za-z0-9][A-Za-z0-9-]*)\/messages$/.exec(arn);
    if (mns) return mns[1] === 'queues' ? { kind: 'mns-queue', queue: mns[2]!, arn } : { kind: 'mns-topic', topic: mns[2]!, arn };
    throw new SpecError(`${path}.destinationConfig.${kind}.destination`, `"${arn}" is not a supported destination`, 'use acs:fc:<region>::functions/<name> or acs:mns:<region>:<account>:/queues/<queue>/messages (or /topics/<topic>/messages)');
  };
  const onSuccess = parse('onSuccess');
  const onFailure = parse('onFailure');
  const asyncTask = raw.asyncTask ?? false;
  if (typeof asyncTask !== 'boolean') throw new SpecError(`${path}.asyncTask`, 'must be true or false');
  return { maxAsyncRetryAttempts: retries, maxAsyncEventAgeInSeconds: age, ...(asyncTask ? { asyncTask } : {}), ...(onSuccess ? { onSuccess } : {}), ...(onFailure ? { onFailure } : {}) };
}

const METHODS = new Set(['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS']);

/** Routes from an fc3 `customDomain.route` or an fc3-domain `routeConfig.routes`. */
export function toRoutes(props: Record<string, unknown>, path: string): RouteSpec[] {
  const raw: { route: Record<string, unknown>; source: string; fn: unknown }[] = [];
  const custom = props.customDomain as { route?: Record<string, unknown> } | undefined;
  if (custom?.route) raw.push({ route: custom.route, source: `${path}.customDomain.route`, fn: props.functionName });
  const routeConfig = props.routeConfig as { routes?: Record<string, unknown>[] } | undefined;
  (routeConfig?.routes ?? []).forEach((route, i) => raw.push({ route, source: `${path}.routeConfig.routes[${i}]`, fn: route.functionName }));
  return raw.map(({ route, source, fn }) => {
    const routePath = String(route.path ?? '');
    if (!/^\/[\w\-./~%]*(\/\*)?$/.test(routePath) && routePath !== '/*') throw new SpecError(`${source}.path`, `"${routePath}" is not an exact path or a /* wildcard`);
    const methods = (route.methods as string[] | undefined)?.map((m) => m.toUpperCase());
    const bad = (methods ?? []).filter((m) => !METHODS.has(m));
    if (bad.length) throw new SpecError(`${source}.methods`, `unknown methods ${bad.join(', ')}`);
    if (typeof fn !== 'string' || !fn) throw new SpecError(`${source}.functionName`, 'is required');
    return { path: routePath, functionName: fn, source, ...(methods ? { methods } : {}) };
  });
}
