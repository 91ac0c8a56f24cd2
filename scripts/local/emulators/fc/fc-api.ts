/**
 * FC 3.0 API emulator — InvokeFunction, GetFunction, ListFunctions, and the reads of fc-resources.ts (ListTriggers,
 * GetTrigger, GetAsyncInvokeConfig, ListFunctionVersions, ListAliases, GetAlias).
 *
 * LIMITATIONS: `POST /2023-03-30/functions/{name}/invocations` (Sync and Async, `x-fc-log-type: Tail`),
 * `GET /2023-03-30/functions/{name}` and `GET /2023-03-30/functions` (prefix, limit, nextToken, runtime) and the
 * reads above only; qualifiers other than LATEST are refused; functions come from s.yaml, so every other API
 * (CreateFunction, UpdateFunction, PublishFunctionVersion, CreateAlias, ListInstances…) is refused with 400
 * PathNotSupported naming the operation; query parameters an operation does not apply (ListFunctions' tags,
 * gpuType, fcVersion…) are refused by name. Async tasks (GetAsyncTask, ListAsyncTasks, StopAsyncTask, a caller's
 * `x-fc-async-task-id`) are emulated for functions with `asyncTask: true` (fc-async-tasks.ts, D159). FC 2.0's APIs (2016-08-15 of `@alicloud/fc2`,
 * 2021-04-06) are refused by name in FC 2.0's error shape. Payloads over 32 MB (sync) / 128 KB (async) get FC's
 * 400 EntityTooLarge.
 *
 * Wire format (observed from @alicloud/fc20230330 4.7.6 and FC docs): sync → 200 with the function's payload
 * as the body, `x-fc-request-id`, and on a function error `x-fc-error-type: UnhandledInvocationError` with
 * `{errorMessage, errorType, stackTrace}`; async → 202; API errors → JSON `{Code, Message, RequestId}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createClientErrorHandler, type AbortInfo } from '../http-edge';
import { createHash } from 'node:crypto';
import { LOCAL_ACCOUNT_ID, secretFor, securityTokenProblem } from '../../credentials';
import type { AccessControl } from '../../ram/access';
import type { CustomRuntimeSpec, FunctionSpec } from '../../spec/model';
import type { AsyncInvoker } from '../../runtime/async-invoker';
import { callerClass, newRequestId, type FunctionRuntime } from '../../runtime/runtime';
import type { InvocationClass } from '../../runtime/priority';
import { verifyAcs3 } from './acs3-signature';
import { EMULATED_RESOURCE_READS, page, resourceReadOf, type ResourceAnswer } from './fc-resources';
import { ASYNC_TASK_OPERATIONS, asyncTaskRouteOf, taskIdProblem } from './fc-async-tasks';
import { safeDecode } from '../../runtime/http-trigger-event';
import { clientConnectionOf } from '../../runtime/client-connection';

const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
const FUNCTION_PATH = /^\/2023-03-30\/functions\/([^/]+)$/;
const FUNCTIONS_PATH = '/2023-03-30/functions';
/** ListFunctions' query parameters the emulator applies; the API's others are refused by name. */
const LIST_PARAMS = ['prefix', 'limit', 'nextToken', 'runtime'];
/** The operations the emulator answers; every other one is refused naming it (`fcOperationOf`). */
export const EMULATED_OPERATIONS = ['InvokeFunction', 'GetFunction', 'ListFunctions', ...EMULATED_RESOURCE_READS, ...ASYNC_TASK_OPERATIONS];
/** When the local cloud started: the functions' created/modified time (they are deployed from s.yaml at start). */
const DEPLOYED_AT = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
export const SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 128 * 1024;

/**
 * FC 2.0's APIs, served by the same FC endpoint in the cloud: `2016-08-15` (`@alicloud/fc2`, services and
 * functions) and `2021-04-06` (the FC 2.0 OpenAPI). Not emulated; their paths are answered here so that a client
 * gets a refusal naming the API, not the gateway's website or an unnamed 404.
 */
const FC2_API_VERSION = /^\/(2016-08-15|2021-04-06)\//;

export function isFcApiPath(path: string): boolean {
  return path.startsWith('/2023-03-30/') || FC2_API_VERSION.test(path);
}

function apiError(res: ServerResponse, status: number, code: string, message: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId });
  res.end(JSON.stringify({ Code: code, Message: message, RequestId: requestId }));
}

/**
 * FC's answer to a payload over its limit (32 MB synchronous, 128 KB asynchronous), always 400 (D145): the API's
 * error-code table has `EntityTooLarge` "payload size exceeds maximum allowed size (%s bytes)"; for an HTTP request
 * to a trigger FC's HTTP-request limits say `InvalidArgument` (`code: 'InvalidArgument'`).
 */
export function entityTooLarge(res: ServerResponse, limit: number, requestId: string = newRequestId(), code: 'EntityTooLarge' | 'InvalidArgument' = 'EntityTooLarge'): void {
  apiError(res, 400, code, `payload size exceeds maximum allowed size (${limit} bytes)`, requestId);
}

/** An FC error answer (`{Code, Message, RequestId}` with `x-fc-request-id`) outside the API, e.g. an HTTP trigger's 405. */
export function fcError(res: ServerResponse, status: number, code: string, message: string, headers: Record<string, string> = {}): void {
  const requestId = newRequestId();
  for (const name in headers) res.setHeader(name, headers[name]!);
  apiError(res, status, code, message, requestId);
}

/**
 * The gateway's `clientError` listener: HTTP Node's parser refuses (on the FC API or an HTTP trigger, which share
 * the port) gets FC's JSON error with `x-fc-request-id`, not an empty 400.
 */
export function fcClientErrorHandler(onAbort: (info: AbortInfo) => void, gatewayUrl: () => string = () => 'http://127.0.0.1:9000'): (err: Error & { code?: string }, socket: Socket) => void {
  return createClientErrorHandler({
    newRequestId,
    onAbort,
    tlsHint: () =>
      `[gateway] An HTTPS (TLS) connection reached ${gatewayUrl()}, which speaks plain HTTP: the client fails with "wrong version number" (EPROTO). ` +
      `With @alicloud/fc20230330 give Config endpoint '${new URL(gatewayUrl()).host}' and protocol: 'http' (its default is HTTPS), use an http:// URL with curl or fetch, ` +
      'or run a script written for the cloud unchanged with node --import tsx --import ./scripts/local/use-local-cloud.mts <script> (D145).',
    render: ({ requestId, status, message }) => ({
      contentType: 'application/json',
      body: JSON.stringify({ Code: status === 408 ? 'RequestTimeout' : status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidArgument', Message: message, RequestId: requestId }),
      headers: { 'x-fc-request-id': requestId },
    }),
  });
}

/**
 * Every other FC 3.0 API operation, by method and path (those `@alicloud/fc20230330` calls, from its client), for
 * naming it when refused. A test checks the table against the installed SDK: an operation missing here was
 * answered "no FC 3.0 API operation has this method and path" (PutProvisionConfig, TagResources…).
 */
const NOT_EMULATED: Array<[string, RegExp, string]> = [
  ['PUT', /^resource-groups$/, 'ChangeResourceGroup'],
  ['POST', /^functions\/[^/]+\/aliases$/, 'CreateAlias'],
  ['POST', /^custom-domains$/, 'CreateCustomDomain'],
  ['POST', /^functions$/, 'CreateFunction'],
  ['POST', /^layers\/[^/]+\/versions$/, 'CreateLayerVersion'],
  ['POST', /^functions\/[^/]+\/sessions$/, 'CreateSession'],
  ['POST', /^functions\/[^/]+\/triggers$/, 'CreateTrigger'],
  ['POST', /^functions\/[^/]+\/vpc-bindings$/, 'CreateVpcBinding'],
  ['DELETE', /^functions\/[^/]+\/aliases\/[^/]+$/, 'DeleteAlias'],
  ['DELETE', /^functions\/[^/]+\/async-invoke-config$/, 'DeleteAsyncInvokeConfig'],
  ['DELETE', /^functions\/[^/]+\/concurrency$/, 'DeleteConcurrencyConfig'],
  ['DELETE', /^custom-domains\/[^/]+$/, 'DeleteCustomDomain'],
  ['DELETE', /^functions\/[^/]+$/, 'DeleteFunction'],
  ['DELETE', /^functions\/[^/]+\/versions\/[^/]+$/, 'DeleteFunctionVersion'],
  ['DELETE', /^layers\/[^/]+\/versions\/[^/]+$/, 'DeleteLayerVersion'],
  ['DELETE', /^functions\/[^/]+\/provision-config$/, 'DeleteProvisionConfig'],
  ['DELETE', /^functions\/[^/]+\/scaling-config$/, 'DeleteScalingConfig'],
  ['DELETE', /^functions\/[^/]+\/sessions\/[^/]+$/, 'DeleteSession'],
  ['DELETE', /^functions\/[^/]+\/triggers\/[^/]+$/, 'DeleteTrigger'],
  ['DELETE', /^functions\/[^/]+\/vpc-bindings\/[^/]+$/, 'DeleteVpcBinding'],
  ['GET', /^regions$/, 'DescribeRegions'],
  ['POST', /^functions\/[^/]+\/invoke\/disable$/, 'DisableFunctionInvocation'],
  ['POST', /^functions\/[^/]+\/invoke\/enable$/, 'EnableFunctionInvocation'],
  ['GET', /^functions\/[^/]+\/concurrency$/, 'GetConcurrencyConfig'],
  ['GET', /^custom-domains\/[^/]+$/, 'GetCustomDomain'],
  ['GET', /^functions\/[^/]+\/code$/, 'GetFunctionCode'],
  ['GET', /^layers\/[^/]+\/versions\/[^/]+$/, 'GetLayerVersion'],
  ['GET', /^layerarn\/[^/]+$/, 'GetLayerVersionByArn'],
  ['GET', /^functions\/[^/]+\/provision-config$/, 'GetProvisionConfig'],
  ['GET', /^functions\/[^/]+\/scaling-config$/, 'GetScalingConfig'],
  ['GET', /^functions\/[^/]+\/sessions\/[^/]+$/, 'GetSession'],
  ['GET', /^async-invoke-configs$/, 'ListAsyncInvokeConfigs'],
  ['GET', /^concurrency-configs$/, 'ListConcurrencyConfigs'],
  ['GET', /^custom-domains$/, 'ListCustomDomains'],
  ['GET', /^functions\/[^/]+\/instances$/, 'ListInstances'],
  ['GET', /^layers\/[^/]+\/versions$/, 'ListLayerVersions'],
  ['GET', /^layers$/, 'ListLayers'],
  ['GET', /^provision-configs$/, 'ListProvisionConfigs'],
  ['GET', /^scaling-configs$/, 'ListScalingConfigs'],
  ['GET', /^functions\/[^/]+\/sessions$/, 'ListSessions'],
  ['GET', /^tags-v2$/, 'ListTagResources'],
  ['GET', /^functions\/[^/]+\/vpc-bindings$/, 'ListVpcBindings'],
  ['PUT', /^functions\/[^/]+\/sessions\/[^/]+\/pause$/, 'PauseSession'],
  ['POST', /^functions\/[^/]+\/versions$/, 'PublishFunctionVersion'],
  ['PUT', /^functions\/[^/]+\/async-invoke-config$/, 'PutAsyncInvokeConfig'],
  ['PUT', /^functions\/[^/]+\/concurrency$/, 'PutConcurrencyConfig'],
  ['PUT', /^layers\/[^/]+\/acl$/, 'PutLayerACL'],
  ['PUT', /^functions\/[^/]+\/provision-config$/, 'PutProvisionConfig'],
  ['PUT', /^functions\/[^/]+\/scaling-config$/, 'PutScalingConfig'],
  ['PUT', /^functions\/[^/]+\/sessions\/[^/]+\/resume$/, 'ResumeSession'],
  ['POST', /^tags-v2$/, 'TagResources'],
  ['DELETE', /^tags-v2$/, 'UntagResources'],
  ['PUT', /^functions\/[^/]+\/aliases\/[^/]+$/, 'UpdateAlias'],
  ['PUT', /^custom-domains\/[^/]+$/, 'UpdateCustomDomain'],
  ['PUT', /^functions\/[^/]+$/, 'UpdateFunction'],
  ['PUT', /^functions\/[^/]+\/sessions\/[^/]+$/, 'UpdateSession'],
  ['PUT', /^functions\/[^/]+\/triggers\/[^/]+$/, 'UpdateTrigger'],
];

/** The FC 3.0 API operation a method and path would be (when the local cloud does not emulate it). */
export function fcOperationOf(method: string, rawPath: string): string | undefined {
  const rest = rawPath.slice('/2023-03-30/'.length);
  return NOT_EMULATED.find(([m, path]) => m === method && path.test(rest))?.[2];
}

/** FC 2.0's error body is `{ErrorCode, ErrorMessage}` (what `@alicloud/fc2` reads); FC 3.0's keys are added for Tea clients. */
function fc2ApiRefused(res: ServerResponse, method: string, rawPath: string, version: string, requestId: string): void {
  const message = `'${method}' against '${rawPath}' is not supported: the FC 2.0 API (${version}) is not emulated by the local cloud; call FC 3.0's API (2023-03-30, @alicloud/fc20230330): InvokeFunction, GetFunction, ListFunctions`;
  res.writeHead(400, { 'content-type': 'application/json', 'x-fc-request-id': requestId });
  res.end(JSON.stringify({ ErrorCode: 'PathNotSupported', ErrorMessage: message, Code: 'PathNotSupported', Message: message, RequestId: requestId }));
}

function pathNotSupported(res: ServerResponse, method: string, rawPath: string, requestId: string): void {
  const operation = fcOperationOf(method, rawPath);
  const why = operation
    ? `${operation} is not emulated by the local cloud (it deploys functions from s.yaml; emulated: ${EMULATED_OPERATIONS.join(', ')})`
    : 'no FC 3.0 API operation has this method and path';
  apiError(res, 400, 'PathNotSupported', `'${method}' against '${rawPath}' is not supported: ${why}`, requestId);
}

/** FC 3.0's `Function` object for a function of s.yaml (the fields the local cloud knows). */
function functionJson(fn: FunctionSpec, region: string): Record<string, unknown> {
  return {
    functionName: fn.name,
    functionArn: `acs:fc:${region}:${LOCAL_ACCOUNT_ID}:functions/${fn.name}`,
    functionId: createHash('sha256').update(fn.name).digest('hex').slice(0, 36),
    runtime: fn.runtime,
    handler: fn.handler,
    memorySize: fn.memorySize,
    timeout: fn.timeout,
    environmentVariables: fn.environment,
    instanceConcurrency: fn.instanceConcurrency ?? 1,
    ...(fn.customRuntime ? { customRuntimeConfig: customRuntimeJson(fn.customRuntime, fn.codeDir) } : {}),
    internetAccess: true,
    createdTime: DEPLOYED_AT,
    lastModifiedTime: DEPLOYED_AT,
    state: 'Active',
    lastUpdateStatus: 'Successful',
    ...(fn.initializer || fn.preStop
      ? {
          instanceLifecycleConfig: {
            ...(fn.initializer ? { initializer: { handler: fn.initializer.handler, timeout: fn.initializer.timeout } } : {}),
            ...(fn.preStop ? { preStop: { handler: fn.preStop.handler, timeout: fn.preStop.timeout } } : {}),
          },
        }
      : {}),
  };
}

/** GetFunction's customRuntimeConfig: s.yaml's, with the code folder written back as FC's `/code`. */
function customRuntimeJson(custom: CustomRuntimeSpec, codeDir: string): Record<string, unknown> {
  const asCode = (word: string) => (word === codeDir ? '/code' : word.startsWith(`${codeDir}/`) ? `/code/${word.slice(codeDir.length + 1)}` : word);
  const check = custom.healthCheck;
  return {
    command: custom.command.map(asCode),
    args: custom.args.map(asCode),
    port: custom.port,
    ...(check
      ? {
          healthCheckConfig: {
            httpGetUrl: check.httpGetUrl,
            initialDelaySeconds: check.initialDelayMs / 1000,
            periodSeconds: check.periodMs / 1000,
            timeoutSeconds: check.timeoutMs / 1000,
            failureThreshold: check.failureThreshold,
            successThreshold: check.successThreshold,
          },
        }
      : {}),
  };
}

function sendAnswer(res: ServerResponse, answer: ResourceAnswer, requestId: string): void {
  if ('body' in answer) return sendFcJson(res, answer.body, requestId);
  apiError(res, answer.status, answer.code, answer.message, requestId);
}

function sendFcJson(res: ServerResponse, body: unknown, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), 'x-fc-request-id': requestId });
  res.end(text);
}

/** ListFunctions: s.yaml's functions by name, paged by `limit` (1–100, default 20) with the next name as the token. */
function listFunctions(query: URLSearchParams, runtime: FunctionRuntime): ResourceAnswer {
  const wanted = query.get('runtime');
  const functions = runtime.functions.filter((fn) => !wanted || fn.runtime === wanted).map((fn) => functionJson(fn, runtime.region));
  return page(functions, 'functions', 'functionName', query);
}

/**
 * Queues an asynchronous invocation — InvokeFunction's or an HTTP trigger's — and, for a function in task mode,
 * its task (D159): the caller's `x-fc-async-task-id` must follow FC's rule and be new to the function (FC refuses
 * a resubmitted task id with 409: task deduplication); without one the request id is the task id. Without task mode
 * a task id is refused naming the setting: queueing the event with the id dropped would run a resubmission twice.
 * Answers the refusal, or the 202's headers.
 */
export function queueAsync(
  asyncInvoker: AsyncInvoker,
  fn: FunctionSpec,
  event: Buffer,
  call: { source: string; requestId: string; taskId: string | undefined; priority: InvocationClass },
): { refused: { status: number; code: string; message: string } } | { headers: Record<string, string> } {
  const { source, requestId, taskId, priority } = call;
  const taskMode = fn.asyncInvokeConfig?.asyncTask === true;
  if (taskId !== undefined && !taskMode) {
    const message = `x-fc-async-task-id: async tasks are not enabled for function '${fn.name}' (s.yaml: asyncInvokeConfig.asyncTask: true); invoke it asynchronously without a task id`;
    return { refused: { status: 400, code: 'InvalidArgument', message } };
  }
  const problem = taskId === undefined ? undefined : taskIdProblem(taskId);
  if (problem) return { refused: { status: 400, code: 'InvalidArgument', message: problem } };
  if (taskId === undefined) asyncInvoker.enqueue(fn.name, event, source, requestId, priority);
  else if (!asyncInvoker.enqueueTask(fn.name, event, source, requestId, taskId, priority)) {
    return { refused: { status: 409, code: 'AsyncTaskAlreadyExists', message: `async task '${taskId}' of function '${fn.name}' already exists: a task id is submitted once (FC's task deduplication)` } };
  }
  // In task mode the task id is answered too (the request id when the caller chose none).
  return { headers: { 'x-fc-request-id': requestId, 'content-length': '0', ...(taskMode ? { 'x-fc-async-task-id': taskId ?? requestId } : {}) } };
}

/** The caller's `x-fc-async-task-id`, if it sent one. */
export function asyncTaskIdOf(req: IncomingMessage): string | undefined {
  const header = req.headers['x-fc-async-task-id'];
  return header === undefined ? undefined : String(header);
}

export async function handleFcApi(req: IncomingMessage, res: ServerResponse, body: Buffer, runtime: FunctionRuntime, asyncInvoker: AsyncInvoker, access?: AccessControl): Promise<void> {
  const requestId = newRequestId();
  const url = new URL(req.url ?? '/', 'http://local');
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const method = req.method ?? 'GET';
  const fc2 = FC2_API_VERSION.exec(rawPath);
  if (fc2) return fc2ApiRefused(res, method, rawPath, fc2[1]!, requestId);
  const match = INVOKE_PATH.exec(rawPath);
  const read = method === 'GET' ? (rawPath === FUNCTIONS_PATH ? 'list' : FUNCTION_PATH.exec(rawPath)) : undefined;
  const rest = rawPath.slice('/2023-03-30/'.length);
  const resource = (method === 'GET' && !read ? resourceReadOf(rest) : undefined) ?? (!match ? asyncTaskRouteOf(method, rest, asyncInvoker, runtime.region) : undefined);
  if (!(match && method === 'POST') && !read && !resource) return pathNotSupported(res, method, rawPath, requestId);

  const verified = verifyAcs3({ method, rawPath, query: url.searchParams, headers: req.headers as Record<string, string>, body }, secretFor);
  if (!verified.ok) return apiError(res, verified.status, verified.code, verified.message, requestId);
  const token = securityTokenProblem(verified.accessKeyId, String(req.headers['x-acs-security-token'] ?? '') || undefined);
  if (token) return apiError(res, token.status, token.code, token.message, requestId);
  const operation = read === 'list' ? 'ListFunctions' : resource?.operation;
  const allowed = read === 'list' ? LIST_PARAMS : resource?.params;
  if (allowed) {
    for (const name of url.searchParams.keys()) {
      if (!allowed.includes(name)) return apiError(res, 400, 'InvalidArgument', `${operation} parameter ${name} is not emulated by the local cloud (supported: ${allowed.join(', ') || 'none'})`, requestId);
    }
  }

  // A malformed %-escape is kept as sent (then FunctionNotFound naming it), never a URIError's 500.
  const name = read === 'list' ? '*' : resource ? resource.functionName : safeDecode((match ?? (read as RegExpExecArray))[1]!);
  const qualifier = resource || read === 'list' ? undefined : url.searchParams.get('qualifier');
  // RAM (D144): a function's role key is held to its policies; FC names a function acs:fc:<region>:<account>:functions/<name>.
  const action = `fc:${operation ?? (read ? 'GetFunction' : 'InvokeFunction')}`;
  const denial = access?.check(verified.accessKeyId, action, `acs:fc:${runtime.region}:${LOCAL_ACCOUNT_ID}:functions/${name}${qualifier ? `/${qualifier}` : ''}`);
  if (denial) return apiError(res, 403, 'AccessDenied', denial.message, requestId);
  if (read === 'list') return sendAnswer(res, listFunctions(url.searchParams, runtime), requestId);

  if (qualifier && qualifier !== 'LATEST') return apiError(res, 400, 'InvalidArgument', `qualifier ${qualifier} does not exist locally (only LATEST)`, requestId);
  const fn = runtime.find(name);
  if (!fn || fn.name !== name) return apiError(res, 404, 'FunctionNotFound', `function '${name}' does not exist`, requestId);
  if (read) return sendFcJson(res, functionJson(fn, runtime.region), requestId);
  if (resource) {
    const gatewayUrl = `http://${req.headers.host ?? '127.0.0.1'}`;
    return sendAnswer(res, resource.answer(fn, { region: runtime.region, gatewayUrl, query: url.searchParams, deployedAt: DEPLOYED_AT }), requestId);
  }

  const invocationType = String(req.headers['x-fc-invocation-type'] ?? 'Sync');
  if (invocationType.toLowerCase() === 'async') {
    if (body.length > ASYNC_PAYLOAD_LIMIT) return entityTooLarge(res, ASYNC_PAYLOAD_LIMIT, requestId);
    // Queued by a page's call tree, it runs as part of it; from anywhere else, as background work (D143).
    const priority = callerClass(req.socket.remotePort) ?? 'background';
    const queued = queueAsync(asyncInvoker, fn, body, { source: 'invoke-api', requestId, taskId: asyncTaskIdOf(req), priority });
    if ('refused' in queued) return apiError(res, queued.refused.status, queued.refused.code, queued.refused.message, requestId);
    res.writeHead(202, queued.headers);
    res.end();
    return;
  }
  if (body.length > SYNC_PAYLOAD_LIMIT) return entityTooLarge(res, SYNC_PAYLOAD_LIMIT, requestId);
  // A call from an instance belongs to its caller's call tree (D143): the port it came from says which instance.
  const record = await runtime.invoke(fn.name, body, { source: 'invoke-api', requestId, callerPort: req.socket.remotePort, client: clientConnectionOf(req, res) });
  if (record.status === 'throttled') return apiError(res, 429, 'ResourceThrottled', record.error?.errorMessage ?? 'throttled', requestId);
  const headers: Record<string, string> = { 'x-fc-request-id': requestId, 'content-type': 'application/octet-stream', 'content-length': String(record.payload.length) };
  if (record.errorType) headers['x-fc-error-type'] = record.errorType;
  if (String(req.headers['x-fc-log-type'] ?? '').toLowerCase() === 'tail') {
    headers['x-fc-log-result'] = Buffer.from(Buffer.from(record.logs).subarray(-4096)).toString('base64');
  }
  res.writeHead(200, headers);
  res.end(record.payload);
}
