import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AsyncInvoker } from '../runtime/async-invoker';
import { newRequestId, type FunctionRuntime } from '../runtime/runtime';
import type { HttpTriggerSpec, RouteSpec } from '../spec/model';
import { isClientAbort, type AbortInfo } from '../emulators/http-edge';
import type { AccessControl } from '../ram/access';
import { ASYNC_PAYLOAD_LIMIT, asyncTaskIdOf, entityTooLarge, fcError, handleFcApi, isFcApiPath, queueAsync, SYNC_PAYLOAD_LIMIT } from '../emulators/fc/fc-api';
import { httpTriggerRequest, toHttpTriggerEvent, writeTriggerResponse } from './http-trigger';
import { clientConnectionOf } from '../runtime/client-connection';
import { matchRoute } from './routes';
import { triggerSignatureProblem } from './trigger-auth';
import { serveStatic } from './static-files';
import { consoleQueryProblem, decodeSegment } from '../console/query';

/**
 * The local gateway on one port (default 9000): the API's custom-domain routes (`/api/*`), each HTTP
 * function at `/_fc/<functionName>/…` (like its own trigger URL), the FC API (`/2023-03-30/…`), the local
 * console (`/_local/`), and the website (everything else, from the built `dist/website`).
 */
export type Mount = (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer) => Promise<boolean>;

export interface GatewayOptions {
  runtime: FunctionRuntime;
  asyncInvoker: AsyncInvoker;
  /** RAM for the FC API (D144): a function's role key may invoke only what its policies allow. */
  access?: AccessControl;
  routes: RouteSpec[];
  websiteDir: string;
  /** Resolves once `websiteDir` is built (start-up builds it beside everything else). */
  websiteReady?: Promise<unknown>;
  /**
   * Handlers of the local console's own paths (`/_local…`: its page and API, the endpoints, the MNS console), tried
   * first, in order, for those paths only: every other request (each page, each FC call) skips them (D101).
   */
  mounts?: Mount[];
  /** A client hung up before its answer (not an error of the gateway). */
  onAbort: (info: AbortInfo) => void;
}

export function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const collect = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) return void chunks.push(chunk);
      // Answer 413 (the caller does) rather than reset the connection, which left the client with no answer at all;
      // the rest of the body is read and dropped so the answer is not lost to a reset either (D127).
      req.off('data', collect);
      req.resume();
      reject(Object.assign(new Error(`request body larger than ${limit} bytes`), { status: 413 }));
    };
    req.on('data', collect);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': String(Buffer.byteLength(text)), ...headers });
  res.end(text);
}

/** Where the local console's handlers (`GatewayOptions.mounts`) live. */
const LOCAL_PREFIX = '/_local';

/** `X-Fc-Invocation-Type: Async`, read from the raw headers (`req.headers` builds an object for every request). */
function isAsyncInvocation(rawHeaders: string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 20 && rawHeaders[i]!.toLowerCase() === 'x-fc-invocation-type') return rawHeaders[i + 1]!.toLowerCase() === 'async';
  }
  return false;
}

export function createGatewayHandler(options: GatewayOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const { runtime, asyncInvoker } = options;
  const mounts = options.mounts ?? [];

  async function invokeHttp(req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer, functionName: string, path: string, trigger: HttpTriggerSpec): Promise<void> {
    const method = req.method ?? 'GET';
    const triggerMethods = trigger.methods;
    if (!triggerMethods.includes(method)) {
      // FC's gateway answers, not the function: FC's error shape (D145).
      return fcError(res, 405, 'MethodNotAllowed', `${method} is not allowed by the http trigger of function ${functionName} (methods: ${triggerMethods.join(', ')})`, { allow: triggerMethods.join(', ') });
    }
    if (trigger.authType === 'function') {
      // FC documents 403 for a missing or invalid signature on such a trigger.
      const problem = triggerSignatureProblem(req, url, body);
      if (problem) return fcError(res, 403, problem.code, problem.message);
    }
    const requestId = newRequestId();
    const request = httpTriggerRequest(req, url, body, requestId, path);
    if (isAsyncInvocation(req.rawHeaders)) {
      // FC's asynchronous payload limit holds for HTTP requests too: queued, a 1 MB request ran where FC refuses it.
      if (body.length > ASYNC_PAYLOAD_LIMIT) return entityTooLarge(res, ASYNC_PAYLOAD_LIMIT, requestId, 'InvalidArgument');
      const fn = runtime.find(functionName)!;
      // Queued, the request would reach the server as FC's HTTP trigger event on /invoke, not as the request it was.
      if (fn.customRuntime) {
        return sendJson(res, 400, { error: { code: 'NotImplemented', message: `asynchronous HTTP invocations of custom-runtime function ${functionName} are not emulated: call it without X-Fc-Invocation-Type: Async, or use InvokeFunction` } });
      }
      // In task mode (D159) the request is a task, under the caller's X-Fc-Async-Task-Id or its request id.
      const queued = queueAsync(asyncInvoker, fn, toHttpTriggerEvent(request), { source: 'http', requestId, taskId: asyncTaskIdOf(req), priority: 'background' });
      if ('refused' in queued) return fcError(res, queued.refused.status, queued.refused.code, queued.refused.message);
      res.writeHead(202, queued.headers);
      res.end();
      return;
    }
    // The instance builds the event and maps the answer in its own thread (D49).
    const { record, reply } = await runtime.invokeHttp(functionName, request, { source: 'http', requestId, callerPort: req.socket.remotePort, client: clientConnectionOf(req, res) });
    writeTriggerResponse(res, record, method, reply);
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://local');
    const body = req.method === 'GET' || req.method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, SYNC_PAYLOAD_LIMIT + 1024);
    if (url.pathname.startsWith(LOCAL_PREFIX)) {
      const unread = consoleQueryProblem(req.method ?? 'GET', url);
      if (unread) return sendJson(res, 400, { error: { code: 'BadRequest', message: unread } });
      for (const mount of mounts) if (await mount(req, res, url, body)) return;
    }
    if (isFcApiPath(url.pathname)) return handleFcApi(req, res, body, runtime, asyncInvoker, options.access);

    const route = matchRoute(options.routes, url.pathname);
    if (route) {
      const fn = runtime.find(route.functionName);
      const trigger = fn?.triggers.find((t) => t.type === 'http');
      if (!fn || !trigger || trigger.type !== 'http') return sendJson(res, 502, { error: { code: 'FunctionNotFound', message: `route target ${route.functionName} has no http trigger` } });
      if (route.methods && !route.methods.includes(req.method ?? 'GET')) {
        return fcError(res, 405, 'MethodNotAllowed', `${req.method} is not allowed by the custom-domain route ${route.path} (methods: ${route.methods.join(', ')})`, { allow: route.methods.join(', ') });
      }
      return invokeHttp(req, res, url, body, fn.name, url.pathname, trigger);
    }
    const direct = /^\/_fc\/([^/]+)(\/.*)?$/.exec(url.pathname);
    if (direct) {
      const fn = runtime.find(decodeSegment(direct[1]!));
      const trigger = fn?.triggers.find((t) => t.type === 'http');
      if (!fn || !trigger || trigger.type !== 'http') return sendJson(res, 404, { error: { code: 'FunctionNotFound', message: `no HTTP function ${direct[1]}` } });
      return invokeHttp(req, res, url, body, fn.name, direct[2] ?? '/', trigger);
    }
    if (url.pathname.startsWith('/api/')) return sendJson(res, 404, { error: { code: 'NotFound', message: `no route for ${url.pathname}` } });
    if (req.method === 'GET' || req.method === 'HEAD') {
      await options.websiteReady;
      if (serveStatic(options.websiteDir, url.pathname, res, req.method)) return;
    }
    sendJson(res, 404, { error: { code: 'NotFound', message: `nothing at ${url.pathname}` } });
  }

  return (req, res) => {
    handle(req, res).catch((err: Error & { status?: number }) => {
      if (err.status === undefined && isClientAbort(req, err)) {
        options.onAbort({ requestId: '', method: req.method ?? '', url: req.url ?? '', reason: err.message });
        res.destroy();
        return;
      }
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const status = err.status ?? 500;
      // A body over the synchronous limit (not read whole) to the FC API or an HTTP trigger: FC's own error and shape.
      const pathname = new URL(req.url ?? '/', 'http://local').pathname;
      if (status === 413 && !pathname.startsWith(LOCAL_PREFIX)) {
        res.setHeader('connection', 'close');
        return entityTooLarge(res, SYNC_PAYLOAD_LIMIT, undefined, isFcApiPath(pathname) ? 'EntityTooLarge' : 'InvalidArgument');
      }
      const code = status === 413 ? 'PayloadTooLarge' : status === 400 ? 'BadRequest' : status === 503 ? 'ServiceUnavailable' : 'GatewayError';
      // A body cut short: the connection closes after the answer, not at once (the client is still sending).
      sendJson(res, status, { error: { code, message: status < 500 || status === 503 ? err.message : 'local gateway error' } }, status === 413 ? { connection: 'close' } : {});
      if (status >= 500 && status !== 503) console.error('[gateway]', err);
    });
  };
}
