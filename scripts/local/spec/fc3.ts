import { resolve } from 'node:path';
import { SpecError, SpecErrors } from './errors';
import { REFUSED_TRIGGER_TYPES, TRIGGER_COMMON, TRIGGER_CONFIG, checkKeys } from './key-rules';
import type { AsyncInvokeSpec, DestinationSpec, FunctionSpec, RouteSpec, TriggerSpec } from './model';

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
  if (runtime && runtime !== 'nodejs20' && runtime !== 'nodejs18') {
    errors.push(new SpecError(`${path}.runtime`, `runtime "${runtime}" is not emulated`, 'the local cloud runs nodejs20 and nodejs18'));
  }
  const code = props.code;
  if (typeof code !== 'string') errors.push(new SpecError(`${path}.code`, 'must be a local folder path', 'OSS code locations are not emulated'));
  const handler = str('handler');
  if (handler && !/^[\w./-]+\.[A-Za-z_$][\w$]*$/.test(handler)) errors.push(new SpecError(`${path}.handler`, `"${handler}" is not <file>.<export>`));
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
  else rawTriggers.forEach((raw, i) => collectInto(errors, () => triggers.push(toTrigger(raw as Record<string, unknown>, `${path}.triggers[${i}]`))));

  let asyncInvokeConfig: AsyncInvokeSpec | undefined;
  if (props.asyncInvokeConfig) collectInto(errors, () => (asyncInvokeConfig = toAsyncConfig(props.asyncInvokeConfig as Record<string, unknown>, `${path}.asyncInvokeConfig`)));

  if (errors.length > 0) throw new SpecErrors(errors);
  return {
    resource,
    name,
    runtime: runtime as FunctionSpec['runtime'],
    codeDir: resolve(baseDir, code as string),
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

function toTrigger(raw: Record<string, unknown>, path: string): TriggerSpec {
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
      if (authType !== 'anonymous') throw new SpecError(`${path}.triggerConfig.authType`, `"${authType}" is not emulated`, 'use anonymous and verify tokens in the function');
      const methods = (config.methods as string[] | undefined) ?? ['GET', 'POST', 'PUT', 'DELETE', 'HEAD', 'PATCH', 'OPTIONS'];
      return { type: 'http', name, authType: 'anonymous', methods: methods.map((m) => m.toUpperCase()) };
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
    default: {
      const arn = /^acs:ots:[\w-]*:[\w*]*:instance\/([\w-]+)\/table\/(\w+)$/.exec(String(raw.sourceArn ?? ''));
      if (!arn) throw new SpecError(`${path}.sourceArn`, 'must be acs:ots:<region>:<account>:instance/<instance>/table/<table>');
      return { type: 'tablestore', name, instance: arn[1]!, table: arn[2]! };
    }
  }
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
    if (arn.startsWith('acs:mns:')) throw new SpecError(`${path}.destinationConfig.${kind}.destination`, 'MNS destinations are not emulated yet (they arrive with the MNS emulator)');
    throw new SpecError(`${path}.destinationConfig.${kind}.destination`, `"${arn}" is not a supported destination`, 'use acs:fc:<region>::functions/<name>');
  };
  const onSuccess = parse('onSuccess');
  const onFailure = parse('onFailure');
  return { maxAsyncRetryAttempts: retries, maxAsyncEventAgeInSeconds: age, ...(onSuccess ? { onSuccess } : {}), ...(onFailure ? { onFailure } : {}) };
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
