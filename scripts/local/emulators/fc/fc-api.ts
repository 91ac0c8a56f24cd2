/**
 * FC 3.0 API emulator — InvokeFunction only.
 *
 * LIMITATIONS: only `POST /2023-03-30/functions/{name}/invocations` (Sync and Async, `x-fc-log-type: Tail`);
 * qualifiers other than LATEST are refused; no management APIs (CreateFunction, ListFunctions, …); async task
 * APIs (`x-fc-async-task-id`, StopAsyncTask) are not emulated.
 *
 * Wire format (observed from @alicloud/fc20230330 4.7.6 and FC docs): sync → 200 with the function's payload
 * as the body, `x-fc-request-id`, and on a function error `x-fc-error-type: UnhandledInvocationError` with
 * `{errorMessage, errorType, stackTrace}`; async → 202; API errors → JSON `{Code, Message, RequestId}`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createClientErrorHandler, type AbortInfo } from '../http-edge';
import { secretFor, securityTokenProblem } from '../../credentials';
import type { AsyncInvoker } from '../../runtime/async-invoker';
import { newRequestId, type FunctionRuntime } from '../../runtime/runtime';
import { verifyAcs3 } from './acs3-signature';

const INVOKE_PATH = /^\/2023-03-30\/functions\/([^/]+)\/invocations$/;
export const SYNC_PAYLOAD_LIMIT = 32 * 1024 * 1024;
export const ASYNC_PAYLOAD_LIMIT = 128 * 1024;

export function isFcApiPath(path: string): boolean {
  return path.startsWith('/2023-03-30/');
}

function apiError(res: ServerResponse, status: number, code: string, message: string, requestId: string): void {
  res.writeHead(status, { 'content-type': 'application/json', 'x-fc-request-id': requestId });
  res.end(JSON.stringify({ Code: code, Message: message, RequestId: requestId }));
}

/**
 * The gateway's `clientError` listener: HTTP Node's parser refuses (on the FC API or an HTTP trigger, which share
 * the port) gets FC's JSON error with `x-fc-request-id`, not an empty 400.
 */
export function fcClientErrorHandler(onAbort: (info: AbortInfo) => void): (err: Error & { code?: string }, socket: Socket) => void {
  return createClientErrorHandler({
    newRequestId,
    onAbort,
    render: ({ requestId, status, message }) => ({
      contentType: 'application/json',
      body: JSON.stringify({ Code: status === 408 ? 'RequestTimeout' : status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidArgument', Message: message, RequestId: requestId }),
      headers: { 'x-fc-request-id': requestId },
    }),
  });
}

export async function handleFcApi(req: IncomingMessage, res: ServerResponse, body: Buffer, runtime: FunctionRuntime, asyncInvoker: AsyncInvoker): Promise<void> {
  const requestId = newRequestId();
  const url = new URL(req.url ?? '/', 'http://local');
  const rawPath = (req.url ?? '/').split('?')[0]!;
  const match = INVOKE_PATH.exec(rawPath);
  if (!match || req.method !== 'POST') return apiError(res, 404, 'NotFound', `${req.method} ${rawPath} is not emulated (InvokeFunction only)`, requestId);

  const verified = verifyAcs3({ method: req.method, rawPath, query: url.searchParams, headers: req.headers as Record<string, string>, body }, secretFor);
  if (!verified.ok) return apiError(res, verified.status, verified.code, verified.message, requestId);
  const token = securityTokenProblem(verified.accessKeyId, String(req.headers['x-acs-security-token'] ?? '') || undefined);
  if (token) return apiError(res, token.status, token.code, token.message, requestId);

  const name = decodeURIComponent(match[1]!);
  const qualifier = url.searchParams.get('qualifier');
  if (qualifier && qualifier !== 'LATEST') return apiError(res, 400, 'InvalidArgument', `qualifier ${qualifier} does not exist locally (only LATEST)`, requestId);
  const fn = runtime.find(name);
  if (!fn || fn.name !== name) return apiError(res, 404, 'FunctionNotFound', `function ${name} does not exist`, requestId);

  const invocationType = String(req.headers['x-fc-invocation-type'] ?? 'Sync');
  if (invocationType.toLowerCase() === 'async') {
    if (body.length > ASYNC_PAYLOAD_LIMIT) return apiError(res, 413, 'PayloadTooLarge', `async payload is ${body.length} bytes, limit ${ASYNC_PAYLOAD_LIMIT}`, requestId);
    asyncInvoker.enqueue(fn.name, body, 'invoke-api', requestId);
    res.writeHead(202, { 'x-fc-request-id': requestId, 'content-length': '0' });
    res.end();
    return;
  }
  if (body.length > SYNC_PAYLOAD_LIMIT) return apiError(res, 413, 'PayloadTooLarge', `payload is ${body.length} bytes, limit ${SYNC_PAYLOAD_LIMIT}`, requestId);
  const record = await runtime.invoke(fn.name, body, { source: 'invoke-api', requestId });
  if (record.status === 'throttled') return apiError(res, 429, 'ResourceThrottled', record.error?.errorMessage ?? 'throttled', requestId);
  const headers: Record<string, string> = { 'x-fc-request-id': requestId, 'content-type': 'application/octet-stream', 'content-length': String(record.payload.length) };
  if (record.errorType) headers['x-fc-error-type'] = record.errorType;
  if (String(req.headers['x-fc-log-type'] ?? '').toLowerCase() === 'tail') {
    headers['x-fc-log-result'] = Buffer.from(Buffer.from(record.logs).subarray(-4096)).toString('base64');
  }
  res.writeHead(200, headers);
  res.end(record.payload);
}
