/**
 * How the TableStore emulator writes an answer on the wire — TableStore's `x-ots-*` headers, a protobuf body or,
 * for the SDK's JSON APIs, a JSON one; errors as `Error{code, message}` — shared by its HTTP server and by the
 * stand-in that answers on its port while its thread restarts (D95).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { OtsError } from './errors';
import { protos } from './sdk';
import { md5Base64 } from './signature';

export const newRequestId = () => randomUUID().replace(/-/g, '');

/**
 * TableStore's own response headers (the SDK reads the request id from `x-ots-requestid`), as the flat
 * name/value list `writeHead` takes without building a header object per answer.
 */
export function otsHeaders(body: Uint8Array, requestId: string, otsContentType: string): string[] {
  return ['x-ots-contentmd5', md5Base64(body), 'x-ots-requestid', requestId, 'x-ots-date', new Date().toISOString(), 'x-ots-contenttype', otsContentType];
}

/** A protobuf answer (TableStore's own), or a JSON one for the SDK's JSON APIs. */
export const PROTOBUF = { type: 'application/x-protobuf', otsType: 'protocol buffer' };
const JSON_ANSWER = { type: 'application/json', otsType: 'json' };

export function send(res: ServerResponse, status: number, body: Uint8Array, close = false, format = PROTOBUF): void {
  const headers = ['content-type', format.type, 'content-length', String(body.length), ...otsHeaders(body, newRequestId(), format.otsType)];
  if (close) headers.push('connection', 'close');
  res.writeHead(status, headers);
  res.end(body);
}

export function errorBody(error: OtsError): Uint8Array {
  return protos.main.Error!.encode({ code: error.code, message: error.message } as never).finish();
}

/**
 * The SDK's JSON APIs (knowledge bases, memory stores: `Content-Type: application/json`) read errors as JSON
 * `{code, message}`; a protobuf `Error` reached the caller as `code: 400` and a message of protobuf bytes.
 */
export function sendError(req: IncomingMessage, res: ServerResponse, error: OtsError, close: boolean): void {
  if (!String(req.headers['content-type'] ?? '').startsWith('application/json')) return send(res, error.status, errorBody(error), close);
  send(res, error.status, Buffer.from(JSON.stringify({ code: error.code, message: error.message })), close, JSON_ANSWER);
}
