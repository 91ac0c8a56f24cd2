import type { z } from 'zod';
import type { AppError } from '../errors';
import { isAppError, NotFoundError, TooManyRequestsError, ValidationError } from '../errors';
import { createLogger, type Logger } from '../log';
import { bodyText, parseJson, parseWith } from '../validation';
import type { FcContext, FcHandler, HttpTriggerEvent, HttpTriggerResponse } from './types';

/**
 * The HTTP edge of every HTTP-triggered function: FC 3.0 HTTP trigger event (Buffer) → `HttpRequest`,
 * a tiny router, and `HttpResult` → FC's `{statusCode, headers, isBase64Encoded, body}`.
 * Errors are mapped to HTTP here and nowhere else: `AppError` → its status with
 * `{error:{code,message,details?}}`; anything else → 500 with no internals.
 */
export interface HttpRequest {
  method: string;
  /** Decoded path (`requestContext.http.path`). */
  path: string;
  /** Without a prototype: a parameter named `__proto__` or `constructor` is a parameter like any other. */
  query: Record<string, string>;
  /** Header names lower-cased; without a prototype, as `query`. */
  headers: Record<string, string>;
  body: Buffer;
  params: Record<string, string>;
  sourceIp: string;
  requestId: string;
  correlationId: string;
}

export interface HttpResult {
  status: number;
  headers?: Record<string, string>;
  /** Object → JSON, string → text, Buffer → binary (base64 on the wire), undefined → empty. */
  body?: unknown;
}

export interface RouteContext {
  fc: FcContext;
  log: Logger;
}

export interface Route {
  method: string;
  /** Express-like pattern: `/api/products/:id`. */
  path: string;
  /**
   * The route reads query parameters (and validates them itself with a strict schema, `queryParams`). Any other
   * route is refused with 400 when a request carries one, before it runs: `?dryRun=1` on a POST must not be a
   * silent real order (D127).
   */
  readsQuery?: true;
  handle(req: HttpRequest, ctx: RouteContext): Promise<HttpResult>;
}

/** Read and validate a JSON body with a zod schema (400 names the fields). */
export function jsonBody<S extends z.ZodType>(req: HttpRequest, schema: S): z.infer<S> {
  const text = bodyText(req.body);
  return parseWith(schema, text.length === 0 ? undefined : parseJson(text, 'body'), 'body');
}

/** Validate the query string with a zod schema (400 names the parameters). */
export function queryParams<S extends z.ZodType>(req: HttpRequest, schema: S): z.infer<S> {
  return parseWith(schema, req.query, 'query');
}

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResult {
  return { status, body, headers };
}

export function errorBody(err: AppError): { error: { code: string; message: string; details?: unknown } } {
  return { error: { code: err.code, message: err.message, ...(err.details ? { details: err.details } : {}) } };
}

/** Decode the FC HTTP trigger event into a request. */
export function toHttpRequest(event: HttpTriggerEvent): HttpRequest {
  // Null-prototype maps (as the local runtime builds the event, D116): assigning `__proto__` to a plain `{}` sets its
  // prototype instead of adding the header, and reading `constructor` finds Object's.
  const headers: Record<string, string> = Object.create(null);
  const given = event.headers;
  if (given) for (const name of Object.keys(given)) headers[name.toLowerCase()] = given[name]!;
  const query: Record<string, string> = Object.create(null);
  const params = event.queryParameters;
  if (params) for (const name of Object.keys(params)) query[name] = params[name]!;
  const body = event.isBase64Encoded ? Buffer.from(event.body ?? '', 'base64') : Buffer.from(event.body ?? '', 'utf8');
  const requestId = event.requestContext?.requestId ?? '';
  return {
    method: (event.requestContext?.http?.method ?? 'GET').toUpperCase(),
    path: event.requestContext?.http?.path ?? decodedPath(event.rawPath ?? '/'),
    query,
    headers,
    body,
    params: Object.create(null) as Record<string, string>,
    sourceIp: event.requestContext?.http?.sourceIp ?? '',
    requestId,
    correlationId: headers['x-correlation-id'] || requestId,
  };
}

/** The path as FC decodes it for `requestContext.http.path`: a malformed escape is left as sent, not an error. */
function decodedPath(rawPath: string): string {
  try {
    return decodeURIComponent(rawPath);
  } catch {
    return rawPath;
  }
}

const TEXTUAL = /^(text\/|application\/(json|javascript|xml)|image\/svg)/;

/** Encode a result as FC expects; binary bodies travel base64-encoded. */
export function toTriggerResponse(result: HttpResult, req: Pick<HttpRequest, 'requestId' | 'correlationId'>, extraHeaders?: Record<string, string>): HttpTriggerResponse {
  // The correlation id, then `extraHeaders` (CORS), then the result's own, names lower-cased, a later one winning:
  // one object built in one pass (every answer of every HTTP function comes through here, D117).
  const headers: Record<string, string> = { 'x-correlation-id': req.correlationId };
  if (extraHeaders) addLowerCased(headers, extraHeaders);
  if (result.headers) addLowerCased(headers, result.headers);
  let body = '';
  let isBase64Encoded = false;
  if (Buffer.isBuffer(result.body)) {
    headers['content-type'] ??= 'application/octet-stream';
    isBase64Encoded = !TEXTUAL.test(headers['content-type']);
    body = result.body.toString(isBase64Encoded ? 'base64' : 'utf8');
  } else if (typeof result.body === 'string') {
    headers['content-type'] ??= 'text/plain; charset=utf-8';
    body = result.body;
  } else if (result.body !== undefined) {
    headers['content-type'] ??= 'application/json; charset=utf-8';
    body = JSON.stringify(result.body);
  }
  return { statusCode: result.status, headers, isBase64Encoded, body };
}

function addLowerCased(into: Record<string, string>, headers: Record<string, string>): void {
  for (const name in headers) into[name.toLowerCase()] = headers[name]!;
}

interface CompiledRoute extends Route {
  regex: RegExp;
  names: string[];
}

function compile(route: Route): CompiledRoute {
  const names: string[] = [];
  const pattern = route.path
    .split('/')
    .map((segment) => {
      if (segment.startsWith(':')) {
        names.push(segment.slice(1));
        return '([^/]+)';
      }
      return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { ...route, regex: new RegExp(`^${pattern}/?$`), names };
}

/** CORS for the website origin (`CORS_ORIGINS`, comma-separated; default any origin). */
function corsHeaders(req: HttpRequest): Record<string, string> {
  const origin = req.headers.origin;
  if (!origin) return {};
  const allowed = (process.env.CORS_ORIGINS ?? '*').split(',').map((o) => o.trim());
  if (!allowed.includes('*') && !allowed.includes(origin)) return {};
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    // `x-fc-request-id` is added by FC's HTTP trigger and custom domain (and the local gateway), not by the function.
    'access-control-expose-headers': 'etag, retry-after, x-correlation-id, x-fc-request-id',
    vary: 'Origin',
  };
}

/**
 * Build an FC handler from routes. Unknown path → 404, known path with another method → 405.
 * @example export const handler = createHttpHandler([{ method: 'GET', path: '/api/ping', handle: async () => json(200, {ok: true}) }]);
 */
export function createHttpHandler(routes: Route[]): FcHandler {
  const compiled = routes.map(compile);
  return async (event: Buffer, context: FcContext) => {
    let req: HttpRequest;
    try {
      req = toHttpRequest(JSON.parse(event.toString('utf8')) as HttpTriggerEvent);
    } catch {
      return toTriggerResponse(json(400, { error: { code: 'BadRequest', message: 'event is not an FC HTTP trigger event' } }), {
        requestId: context.requestId,
        correlationId: context.requestId,
      });
    }
    if (!req.requestId) req.requestId = context.requestId;
    if (!req.correlationId) req.correlationId = req.requestId;
    const cors = corsHeaders(req);
    const result = await dispatch(compiled, req, new LazyLogRouteContext(context, req.correlationId), cors);
    return toTriggerResponse(result, req, cors);
  };
}

/**
 * The logger is made when a route first logs: most requests never do, and a pino child costs more than the rest of a
 * cached answer. A class, so the getter is defined once on its prototype, not on a new object per request (D117).
 */
class LazyLogRouteContext implements RouteContext {
  private logger: Logger | undefined;

  constructor(
    readonly fc: FcContext,
    private readonly correlationId: string,
  ) {}

  get log(): Logger {
    return (this.logger ??= createLogger({ requestId: this.fc.requestId, correlationId: this.correlationId }));
  }
}

async function dispatch(routes: CompiledRoute[], req: HttpRequest, ctx: RouteContext, cors: Record<string, string>): Promise<HttpResult> {
  try {
    if (req.method === 'OPTIONS') return options(routesOn(routes, req.path), req, cors);
    // The first route whose path and method match; the path's other routes only matter for a 405.
    let pathMatched = false;
    for (const route of routes) {
      const m = route.regex.exec(req.path);
      if (!m) continue;
      pathMatched = true;
      if (route.method !== req.method && !(req.method === 'HEAD' && route.method === 'GET')) continue;
      // The path is decoded once, by FC (`requestContext.http.path`): a parameter is taken as it stands there.
      for (let i = 0; i < route.names.length; i++) req.params[route.names[i]!] = m[i + 1]!;
      if (!route.readsQuery) refuseQuery(req, route);
      return await route.handle(req, ctx);
    }
    if (!pathMatched) throw new NotFoundError(`no route for ${req.method} ${req.path}`);
    return json(405, { error: { code: 'MethodNotAllowed', message: `${req.method} is not allowed on ${req.path}` } }, {
      allow: allowedMethods(routesOn(routes, req.path)),
    });
  } catch (err) {
    return errorResult(err, req, ctx.log);
  }
}

function routesOn(routes: CompiledRoute[], path: string): CompiledRoute[] {
  const onPath = routes.filter((route) => route.regex.test(path));
  if (onPath.length === 0) throw new NotFoundError(`no route for ${path}`);
  return onPath;
}

function allowedMethods(onPath: CompiledRoute[]): string {
  return [...new Set([...onPath.map((route) => route.method), 'OPTIONS'])].join(', ');
}

/**
 * OPTIONS on a path the function serves: 204 with `Allow`, plus the CORS preflight headers when the origin is
 * allowed. From an origin that is not, the same 204 without them, as a simple request from it is answered without
 * them: the browser then refuses the call either way, and nothing here pretends OPTIONS is an unknown method (D127).
 */
function options(onPath: CompiledRoute[], req: HttpRequest, cors: Record<string, string>): HttpResult {
  const allow = allowedMethods(onPath);
  if (!cors['access-control-allow-origin']) return { status: 204, headers: { allow } };
  return {
    status: 204,
    headers: {
      allow,
      'access-control-allow-methods': allow,
      'access-control-allow-headers': req.headers['access-control-request-headers'] ?? 'content-type, authorization',
      'access-control-max-age': '600',
    },
  };
}

function refuseQuery(req: HttpRequest, route: Route): void {
  // `for…in` over the null-prototype map: no array made for the usual empty query.
  for (const _ in req.query) return refuseNames(Object.keys(req.query), route);
}

function refuseNames(names: string[], route: Route): never {
  const message = `is not a parameter of ${route.method} ${route.path}`;
  throw new ValidationError(`query.${names[0]} ${message}`, names.map((name) => ({ path: `query.${name}`, message })));
}

/** The one place errors become HTTP: 4xx show their message, everything else is a bare 500. */
export function errorResult(err: unknown, req: Pick<HttpRequest, 'requestId'>, log: Logger): HttpResult {
  if (isAppError(err) && err.expose) {
    log.info({ code: err.code, status: err.status }, err.message);
    const retryAfter = err instanceof TooManyRequestsError ? err.retryAfterSeconds : undefined;
    return json(err.status, errorBody(err), retryAfter === undefined ? {} : { 'retry-after': String(retryAfter) });
  }
  log.error({ err }, 'unhandled error');
  const status = isAppError(err) ? err.status : 500;
  return json(status, { error: { code: status === 503 ? 'ServiceUnavailable' : 'InternalError', message: 'internal error', requestId: req.requestId } });
}
