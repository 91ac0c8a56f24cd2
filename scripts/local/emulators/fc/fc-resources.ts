/**
 * The FC 3.0 API's reads of a function's other resources, answered from s.yaml (D145): ListTriggers and GetTrigger
 * (each trigger as declared, `triggerConfig` as JSON text, an HTTP trigger's URL the local one), GetAsyncInvokeConfig
 * (`asyncInvokeConfig`), and the versions and aliases a deployment from s.yaml has — none: `s deploy` publishes no
 * version and creates no alias, so ListFunctionVersions and ListAliases answer empty lists and GetAlias 404.
 * Everything that would change them (PublishFunctionVersion, CreateAlias, PutAsyncInvokeConfig, CreateTrigger…) is
 * refused by name in fc-api.ts.
 */
import { createHash } from 'node:crypto';
import { LOCAL_ACCOUNT_ID } from '../../credentials';
import { safeDecode } from '../../runtime/http-trigger-event';
import type { FunctionSpec, TriggerSpec } from '../../spec/model';

/** A read's answer: the JSON body (200) or an FC error. */
export type ResourceAnswer = { body: unknown } | { status: number; code: string; message: string };

export interface ResourceRead {
  operation: string;
  /** The function's name as in the path (percent-decoded). */
  functionName: string;
  /** Query parameters the operation takes (any other is refused by name). */
  params: readonly string[];
  answer(fn: FunctionSpec, context: { region: string; gatewayUrl: string; query: URLSearchParams; deployedAt: string }): ResourceAnswer;
}

const PAGED = ['prefix', 'limit', 'nextToken'] as const;

/** The emulated reads by path (under `/2023-03-30/`), for GET requests. */
const READS: Array<[RegExp, (name: string, second?: string) => Omit<ResourceRead, 'functionName'>]> = [
  [/^functions\/([^/]+)\/triggers$/, () => ({ operation: 'ListTriggers', params: PAGED, answer: (fn, c) => page(fn.triggers.map((t) => triggerJson(fn, t, c)), 'triggers', 'triggerName', c.query) })],
  [
    /^functions\/([^/]+)\/triggers\/([^/]+)$/,
    (_name, trigger) => ({
      operation: 'GetTrigger',
      params: [],
      answer: (fn, c) => {
        const found = fn.triggers.find((t) => t.name === trigger);
        return found ? { body: triggerJson(fn, found, c) } : { status: 404, code: 'TriggerNotFound', message: `trigger '${trigger}' of function '${fn.name}' does not exist` };
      },
    }),
  ],
  [/^functions\/([^/]+)\/async-invoke-config$/, () => ({ operation: 'GetAsyncInvokeConfig', params: ['qualifier'], answer: asyncConfigJson })],
  [/^functions\/([^/]+)\/versions$/, () => ({ operation: 'ListFunctionVersions', params: ['direction', 'limit', 'nextToken'], answer: (_fn, c) => noVersions(c.query) })],
  [/^functions\/([^/]+)\/aliases$/, () => ({ operation: 'ListAliases', params: PAGED, answer: (_fn, c) => page([], 'aliases', 'aliasName', c.query) })],
  [
    /^functions\/([^/]+)\/aliases\/([^/]+)$/,
    (_name, alias) => ({ operation: 'GetAlias', params: [], answer: (fn) => ({ status: 404, code: 'AliasNotFound', message: `alias '${alias}' of function '${fn.name}' does not exist (the local cloud deploys s.yaml, which creates no alias)` }) }),
  ],
];

export const EMULATED_RESOURCE_READS = ['ListTriggers', 'GetTrigger', 'GetAsyncInvokeConfig', 'ListFunctionVersions', 'ListAliases', 'GetAlias'];

/** The emulated read a GET of `rawPath` is, if any (`rest` is the path after `/2023-03-30/`). */
export function resourceReadOf(rest: string): ResourceRead | undefined {
  for (const [path, make] of READS) {
    const match = path.exec(rest);
    if (!match) continue;
    const segment = (i: number) => (match[i] === undefined ? undefined : safeDecode(match[i]!));
    return { ...make(segment(1)!, segment(2)), functionName: segment(1)! };
  }
  return undefined;
}

/** FC's paging by name: `prefix`, `limit` (1–100 in decimal digits, default 20) and the next name as `nextToken`. */
export function page<T extends Record<string, unknown>>(items: T[], key: string, nameKey: keyof T, query: URLSearchParams): ResourceAnswer {
  const limitText = query.get('limit') ?? '20';
  // Decimal digits only: Number() would also read '1e1', '10.0', ' 10' as 10 and '0x10' as 16 (D134).
  const limit = /^\d+$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= 100)) return { status: 400, code: 'InvalidArgument', message: `limit '${limitText}' must be an integer from 1 to 100 in decimal digits` };
  const prefix = query.get('prefix') ?? '';
  const after = query.get('nextToken') ?? '';
  const name = (item: T) => String(item[nameKey]);
  const matching = items.filter((item) => name(item).startsWith(prefix) && name(item) >= after).sort((a, b) => (name(a) < name(b) ? -1 : name(a) > name(b) ? 1 : 0));
  const next = matching[limit];
  return { body: { [key]: matching.slice(0, limit), ...(next ? { nextToken: name(next) } : {}) } };
}

/** ListFunctionVersions of a function nothing was published of: its parameters checked, no version. */
function noVersions(query: URLSearchParams): ResourceAnswer {
  const direction = query.get('direction') ?? 'BACKWARD';
  if (direction !== 'FORWARD' && direction !== 'BACKWARD') return { status: 400, code: 'InvalidArgument', message: `direction '${direction}' must be FORWARD or BACKWARD` };
  const paged = page([], 'versions', 'versionId', query);
  return 'body' in paged ? { body: { versions: [], direction } } : paged;
}

function functionArn(fn: FunctionSpec, region: string): string {
  return `acs:fc:${region}:${LOCAL_ACCOUNT_ID}:functions/${fn.name}`;
}

/** FC's `Trigger` for a trigger of s.yaml: its declared keys, LATEST, and for HTTP the local trigger URL. */
function triggerJson(fn: FunctionSpec, trigger: TriggerSpec, context: { region: string; gatewayUrl: string; deployedAt: string }): Record<string, unknown> {
  const declared = trigger.declared;
  const url = `${context.gatewayUrl}/_fc/${encodeURIComponent(fn.name)}`;
  return {
    triggerName: trigger.name,
    triggerType: trigger.type,
    triggerId: createHash('sha256').update(`${fn.name}/${trigger.name}`).digest('hex').slice(0, 36),
    triggerConfig: JSON.stringify(declared?.triggerConfig ?? {}),
    ...(declared?.sourceArn ? { sourceArn: declared.sourceArn } : {}),
    ...(declared?.invocationRole ? { invocationRole: declared.invocationRole } : {}),
    ...(declared?.description ? { description: declared.description } : {}),
    qualifier: 'LATEST',
    targetArn: functionArn(fn, context.region),
    createdTime: context.deployedAt,
    lastModifiedTime: context.deployedAt,
    ...(trigger.type === 'http' ? { httpTrigger: { urlInternet: url, urlIntranet: url } } : {}),
  };
}

function asyncConfigJson(fn: FunctionSpec, context: { region: string; query: URLSearchParams; deployedAt: string }): ResourceAnswer {
  const qualifier = context.query.get('qualifier');
  if (qualifier && qualifier !== 'LATEST') return { status: 400, code: 'InvalidArgument', message: `qualifier ${qualifier} does not exist locally (only LATEST)` };
  const config = fn.asyncInvokeConfig;
  if (!config) return { status: 404, code: 'AsyncConfigNotExists', message: `function '${fn.name}' has no asynchronous invocation config (s.yaml declares no asyncInvokeConfig)` };
  const destination = (d: { arn: string } | undefined) => (d ? { destination: d.arn } : undefined);
  return {
    body: {
      functionArn: functionArn(fn, context.region),
      maxAsyncRetryAttempts: config.maxAsyncRetryAttempts,
      maxAsyncEventAgeInSeconds: config.maxAsyncEventAgeInSeconds,
      asyncTask: config.asyncTask === true,
      ...(config.onSuccess || config.onFailure ? { destinationConfig: { onSuccess: destination(config.onSuccess), onFailure: destination(config.onFailure) } } : {}),
      createdTime: context.deployedAt,
      lastModifiedTime: context.deployedAt,
    },
  };
}
