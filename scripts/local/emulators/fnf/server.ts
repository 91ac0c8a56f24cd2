import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createClientErrorHandler, isClientAbort, type AbortInfo } from '../http-edge';
import { securityTokenProblem } from '../../credentials';
import type { AccessControl } from '../../ram/access';
import { verifyAcs3 } from '../fc/acs3-signature';
import type { FnfApi } from './api';
import { NonceWindow, verifyRpcSignature } from './rpc-signature';

/**
 * The HTTP face of the FnF API: RPC style on `/`, parameters in the query string (GET) or a form body
 * (POST), signed either with signature 1.0 (HMAC-SHA1; `@alicloud/fnf-2019-03-15` via pop-core, the Tea
 * SDKs' `doRPCRequest`) or with ACS3-HMAC-SHA256 (`@alicloud/openapi-client`'s default `callApi`, action
 * in `x-acs-action`). Answers are JSON: the action's fields plus `RequestId`; errors
 * `{RequestId, HostId, Code, Message}` with CloudFlow's HTTP status — also for HTTP Node's parser refuses
 * (`fnfClientErrorHandler`). A client that hangs up mid-request is an abort, not an internal error.
 */
export const API_VERSION = '2019-03-15';
const MAX_BODY = 1024 * 1024;

export interface FnfHttpOptions {
  api: FnfApi;
  secretFor: (accessKeyId: string) => string | undefined;
  /** RAM: a function's role key is held to its role's policies (D144); the account's key may do anything. */
  access?: AccessControl;
  clock: () => number;
  /** A client hung up before its answer (not an error of the emulator). */
  onAbort: (info: AbortInfo) => void;
}

const newRequestId = () => randomUUID().toUpperCase();

/** The server's `clientError` listener: malformed HTTP gets CloudFlow's JSON error, not an empty 400. */
export function fnfClientErrorHandler(options: Pick<FnfHttpOptions, 'onAbort'>, host: () => string): (err: Error & { code?: string }, socket: Socket) => void {
  return createClientErrorHandler({
    newRequestId,
    onAbort: options.onAbort,
    render: ({ requestId, status, message }) => ({
      contentType: 'application/json;charset=utf-8',
      body: JSON.stringify({ RequestId: requestId, HostId: host(), Code: status === 408 ? 'RequestTimeout' : status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidRequest', Message: message }),
      headers: { 'x-acs-request-id': requestId },
    }),
  });
}

export function createFnfHandler(options: FnfHttpOptions): (req: IncomingMessage, res: ServerResponse) => void {
  const nonces = new NonceWindow(options.clock);
  return (req, res) => {
    const requestId = newRequestId();
    handle(req, requestId)
      .then(({ status, body }) => send(res, status, { RequestId: requestId, ...(status >= 400 ? { HostId: req.headers.host ?? '' } : {}), ...body }, requestId))
      .catch((err: Error) => {
        if (isClientAbort(req, err)) {
          options.onAbort({ requestId, method: req.method ?? '', url: req.url ?? '', reason: err.message });
          res.destroy();
          return;
        }
        console.error('[fnf]', err);
        send(res, 500, { RequestId: requestId, HostId: req.headers.host ?? '', Code: 'InternalServerError', Message: 'An internal error has occurred. Please retry.' }, requestId);
      });
  };

  async function handle(req: IncomingMessage, _requestId: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const fail = (status: number, code: string, message: string) => ({ status, body: { Code: code, Message: message } });
    if (req.method !== 'GET' && req.method !== 'POST') return fail(405, 'MethodNotAllowed', `${req.method} is not an RPC method (GET or POST)`);
    const body = await readBody(req);
    if (!body) return fail(400, 'EntityTooLarge', `The payload size exceeds maximum allowed size (${MAX_BODY} bytes).`);
    const rawPath = (req.url ?? '/').split('?')[0]!;
    const url = new URL(req.url ?? '/', 'http://local');
    if (rawPath !== '/') return fail(404, 'PathNotSupported', `${rawPath}: the FnF API is served at / (RPC style)`);
    const params: Record<string, string> = Object.fromEntries(url.searchParams);
    const type = String(req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    if (body.length > 0) {
      if (type !== 'application/x-www-form-urlencoded') return fail(415, 'UnsupportedMediaType', `parameters come in the query string or as application/x-www-form-urlencoded (got ${type || 'no content type'})`);
      Object.assign(params, Object.fromEntries(new URLSearchParams(body.toString('utf8'))));
    }

    const authorization = String(req.headers.authorization ?? '');
    let action: string;
    let version: string;
    let accessKeyId: string;
    if (authorization.startsWith('ACS3-')) {
      const verified = verifyAcs3({ method: req.method, rawPath, query: url.searchParams, headers: req.headers as Record<string, string>, body }, options.secretFor, options.clock());
      if (!verified.ok) return fail(verified.status, ACS3_CODES[verified.code] ?? 'SignatureNotMatch', verified.message);
      const token = securityTokenProblem(verified.accessKeyId, header(req, 'x-acs-security-token'));
      if (token) return fail(token.status, token.code, token.message);
      accessKeyId = verified.accessKeyId;
      const nonce = String(req.headers['x-acs-signature-nonce'] ?? '');
      if (nonce && nonces.check(nonce)) return fail(400, 'SignatureNonceUsed', `The request signature nonce ${nonce} has been used.`);
      action = String(req.headers['x-acs-action'] ?? '');
      version = String(req.headers['x-acs-version'] ?? '');
    } else if (params.Signature !== undefined) {
      const verified = verifyRpcSignature(req.method, params, options.secretFor, (n) => nonces.check(n), options.clock());
      if (!verified.ok) return fail(verified.status, verified.code, verified.message);
      const token = securityTokenProblem(verified.accessKeyId, params.SecurityToken);
      if (token) return fail(token.status, token.code, token.message);
      accessKeyId = verified.accessKeyId;
      action = params.Action ?? '';
      version = params.Version ?? '';
      if (params.Format && params.Format.toLowerCase() !== 'json') return fail(400, 'InvalidArgument', `Format ${params.Format} is not emulated: the local CloudFlow answers JSON`);
    } else {
      return fail(400, 'MissingRequiredParams', "The HTTP query 'Signature' must be specified: sign the request with the local cloud's access key (see GET /_local/api/endpoints)");
    }
    if (!action) return fail(400, 'MissingRequiredParams', "The HTTP query 'Action' must be specified.");
    if (version !== API_VERSION) return fail(400, 'APIVersionNotSupported', `The requested API version '${version}' is not supported yet. Please check.`);
    // RAM (D144): CloudFlow's API reference grants its execution and task calls on all resources only, so a
    // function's role is checked for `fnf:<Action>` on `*` (a statement naming a flow does not cover them).
    const denial = options.access?.check(accessKeyId, `fnf:${action}`, '*');
    if (denial) return fail(403, 'AccessDenied', denial.message);
    return options.api.handle(action, params);
  }
}

/** What verifyAcs3 (shared with the FC API) reports, in the FnF API's error codes. */
const ACS3_CODES: Record<string, string> = {
  InvalidAuthorization: 'SignatureNotMatch',
  'InvalidAccessKeyId.NotFound': 'InvalidAccessKeyID',
  'InvalidTimeStamp.Expired': 'RequestTimeTooSkewed',
  SignatureDoesNotMatch: 'SignatureNotMatch',
  InvalidContentSha256: 'SignatureNotMatch',
};

function readBody(req: IncomingMessage): Promise<Buffer | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: Record<string, unknown>, requestId: string): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json;charset=utf-8', 'content-length': String(Buffer.byteLength(text)), 'x-acs-request-id': requestId });
  res.end(text);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}
