import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { httpTriggerEventJson, httpTriggerReply, isReservedResponseHeader, type HttpTriggerReply, type HttpTriggerRequest } from '../runtime/http-trigger-event';
import type { InvocationRecord } from '../runtime/runtime';

/**
 * The gateway's side of FC 3.0's HTTP trigger: what it reads of a request, and how it writes the answer.
 * The event and the answer's mapping are `runtime/http-trigger-event.ts`; for a synchronous invocation
 * the function's instance applies them in its own thread (D49).
 */

/** The parts of a request FC's HTTP trigger event is made of. `rawPath` is the path as sent (URL-encoded). */
export function httpTriggerRequest(req: IncomingMessage, url: URL, body: Buffer, requestId: string, rawPath: string): HttpTriggerRequest {
  return {
    method: req.method ?? 'GET',
    rawPath,
    search: url.search.slice(1),
    rawHeaders: req.rawHeaders,
    // Posted to the instance's thread, which copies a view's whole buffer: a body gets one of its own size.
    body: body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body),
    httpVersion: req.httpVersion,
    sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '',
    requestId,
    accountId: LOCAL_ACCOUNT_ID,
    timeEpoch: Date.now(),
  };
}

/** The HTTP trigger event as bytes (an asynchronous invocation keeps them in its queue). */
export function toHttpTriggerEvent(request: HttpTriggerRequest): Buffer {
  return Buffer.from(httpTriggerEventJson(request));
}

/**
 * Write the invocation's result as the HTTP response, as FC's HTTP trigger does. `reply` is the answer already
 * mapped by the instance; without it the payload is read here.
 */
export function writeTriggerResponse(res: ServerResponse, record: InvocationRecord, method: string, reply?: HttpTriggerReply): void {
  const requestId = record.requestId;
  if (record.status === 'throttled') return writeJson(res, 429, { 'x-fc-request-id': requestId, 'x-fc-error-type': 'ResourceThrottled' }, record.error);
  if (record.status !== 'succeeded') {
    // FC answers a failed HTTP-triggered invocation with 502 and the function error as JSON.
    return writeJson(res, 502, { 'x-fc-request-id': requestId, 'x-fc-error-type': record.errorType ?? 'UnhandledInvocationError' }, record.error);
  }
  const mapped = reply ?? httpTriggerReply(record.payload.toString('utf8'));
  if (!mapped) {
    // Not the response shape: FC returns the payload as a 200 body.
    res.writeHead(200, { 'x-fc-request-id': requestId, 'content-length': String(record.payload.length) });
    res.end(method === 'HEAD' ? undefined : record.payload);
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const name in mapped.headers) if (!isReservedResponseHeader(name)) headers[name] = mapped.headers[name]!;
  headers['x-fc-request-id'] = requestId;
  headers['content-length'] = String(typeof mapped.body === 'string' ? Buffer.byteLength(mapped.body) : mapped.body.byteLength);
  res.writeHead(mapped.status, headers);
  res.end(method === 'HEAD' ? undefined : mapped.body);
}

function writeJson(res: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  const text = JSON.stringify(body ?? {});
  res.writeHead(status, { ...headers, 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)) });
  res.end(text);
}
