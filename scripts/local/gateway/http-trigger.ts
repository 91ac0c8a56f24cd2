import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import type { InvocationRecord } from '../runtime/runtime';

/**
 * Maps an HTTP request to FC 3.0's HTTP trigger event (built-in runtimes, `version: v1`) and the
 * function's `{statusCode, headers, isBase64Encoded, body}` back to HTTP.
 * https://www.alibabacloud.com/help/en/functioncompute/fc-3-0/user-guide/http-trigger-invoking-function
 * Multi-valued headers and query parameters are joined with ','; binary bodies travel base64-encoded.
 */
const TEXT_BODY = /^(text\/|application\/(json|x-www-form-urlencoded|javascript|xml)|[^;]*\+json)/i;

/** `rawPath` is the path as sent (URL-encoded); `requestContext.http.path` is its decoded form. */
export function toHttpTriggerEvent(req: IncomingMessage, body: Buffer, requestId: string, rawPath: string): Buffer {
  const url = new URL(req.url ?? '/', 'http://local');
  const headers: Record<string, string> = {};
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    const name = req.rawHeaders[i]!;
    const value = req.rawHeaders[i + 1]!;
    headers[name] = headers[name] === undefined ? value : `${headers[name]},${value}`;
  }
  const queryParameters: Record<string, string> = {};
  for (const key of new Set(url.searchParams.keys())) queryParameters[key] = url.searchParams.getAll(key).join(',');
  const contentType = String(req.headers['content-type'] ?? '');
  const textual = body.length === 0 || TEXT_BODY.test(contentType);
  const now = new Date();
  const host = String(req.headers.host ?? 'localhost');
  const event = {
    version: 'v1',
    rawPath,
    body: textual ? body.toString('utf8') : body.toString('base64'),
    isBase64Encoded: !textual,
    headers,
    queryParameters,
    requestContext: {
      accountId: LOCAL_ACCOUNT_ID,
      domainName: host,
      domainPrefix: host.split('.')[0]!,
      http: {
        method: req.method ?? 'GET',
        path: safeDecode(rawPath),
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
        userAgent: String(req.headers['user-agent'] ?? ''),
      },
      requestId,
      time: now.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      timeEpoch: String(now.getTime()),
    },
  };
  return Buffer.from(JSON.stringify(event));
}

interface TriggerResponse {
  statusCode?: unknown;
  headers?: unknown;
  isBase64Encoded?: unknown;
  body?: unknown;
}

/** Write the invocation's result as the HTTP response, as FC's HTTP trigger does. */
export function writeTriggerResponse(res: ServerResponse, record: InvocationRecord, method: string): void {
  const base = { 'x-fc-request-id': record.requestId };
  if (record.status === 'throttled') return writeJson(res, 429, { ...base, 'x-fc-error-type': 'ResourceThrottled' }, record.error);
  if (record.status !== 'succeeded') {
    // FC answers a failed HTTP-triggered invocation with 502 and the function error as JSON.
    return writeJson(res, 502, { ...base, 'x-fc-error-type': record.errorType ?? 'UnhandledInvocationError' }, record.error);
  }
  let parsed: TriggerResponse | undefined;
  try {
    const value: unknown = JSON.parse(record.payload.toString('utf8'));
    if (value && typeof value === 'object' && 'statusCode' in value) parsed = value as TriggerResponse;
  } catch {
    parsed = undefined;
  }
  if (!parsed) {
    // Not the response shape: FC returns the payload as a 200 body.
    res.writeHead(200, { ...base, 'content-length': String(record.payload.length) });
    res.end(method === 'HEAD' ? undefined : record.payload);
    return;
  }
  const headers: Record<string, string> = { ...base };
  if (parsed.headers && typeof parsed.headers === 'object') {
    for (const [k, v] of Object.entries(parsed.headers as Record<string, unknown>)) headers[k.toLowerCase()] = String(v);
  }
  const text = typeof parsed.body === 'string' ? parsed.body : parsed.body === undefined ? '' : JSON.stringify(parsed.body);
  const bytes = parsed.isBase64Encoded === true ? Buffer.from(text, 'base64') : Buffer.from(text, 'utf8');
  headers['content-length'] = String(bytes.length);
  res.writeHead(Number(parsed.statusCode) || 200, headers);
  res.end(method === 'HEAD' ? undefined : bytes);
}

function writeJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}

function safeDecode(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}
