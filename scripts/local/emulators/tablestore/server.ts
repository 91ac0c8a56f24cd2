/**
 * The HTTP edge: read the body (at most 5 MB), authenticate, run `/<Operation>` (a write in one storage transaction), and
 * answer as TableStore does — the protobuf response, or the HTTP status with a protobuf `Error{code, message}`.
 * A handler that throws anything but an OtsError is a bug of the emulator: it answers 500 OTSInternalServerError
 * and is recorded in `internalErrors` (tests assert it stays empty). A client that hangs up mid-request is recorded
 * in `aborts` instead, and HTTP Node's parser refuses gets the same protobuf error (`tableStoreClientErrorHandler`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createClientErrorHandler, isClientAbort, type AbortInfo } from '../http-edge';
import { errorBody, newRequestId, otsHeaders, PROTOBUF, send, sendError } from './answers';
import { methodNotAllowed, OtsError, parameterInvalid, requestBodyTooLarge } from './errors';
import type { OperationContext } from './handler';
import { OPERATIONS, READ_ONLY } from './ops';
import type { SearchIndexes } from './search/indexes';
import { authenticate, type CredentialLookup } from './signature';
import type { AccessControl } from '../../ram/access';
import type { Storage } from './storage';

/** TableStore's limit on one HTTP request body. */
export const MAX_REQUEST_BYTES = 5 * 1024 * 1024;

export interface RequestRecord {
  operation: string;
  status: number;
  /** The error code, for failed requests. */
  code?: string;
}

export interface ServerState {
  instances: ReadonlySet<string>;
  credentials: CredentialLookup;
  /** RAM: a function's role key is held to its role's policies (D144); the account's key may do anything. */
  access?: AccessControl;
  storage: Storage;
  search: SearchIndexes;
  now(): number;
  /** Told after a commit that appended records to these streams. */
  onStreamRecords(streamIds: ReadonlySet<string>): void;
  /** The last requests, newest last (for tests and the console): at least the last `REQUEST_HISTORY`, fewer than twice that. */
  requests: RequestRecord[];
  /** Unexpected exceptions thrown by handlers (answered as 500 OTSInternalServerError). */
  internalErrors: Error[];
  /** Requests the client abandoned before the answer (newest last, at most `REQUEST_HISTORY`). */
  aborts: AbortInfo[];
  onAbort(info: AbortInfo): void;
  /** Told of every answered request. */
  onRequest?(record: RequestRecord): void;
}

const REQUEST_HISTORY = 1000;

/**
 * The request body, from the stream's own events: an SDK request is one small chunk, and an async iterator over
 * the stream (a promise and a handful of closures per request) cost more than the chunk's copy.
 */
function readBody(req: IncomingMessage): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_REQUEST_BYTES) return Promise.reject(requestBodyTooLarge());
  // Listeners written inline: the worker's bundle keeps function names, which costs a call per named closure.
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      if (size > MAX_REQUEST_BYTES) return;
      size += chunk.length;
      // The rest is left to drain unread; the answer closes the connection (`!req.complete`).
      if (size > MAX_REQUEST_BYTES) reject(requestBodyTooLarge());
      else chunks.push(chunk);
    });
    req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size)));
    req.once('error', reject);
    // A client that hangs up mid-body: 'close' without 'end' (isClientAbort knows this error).
    req.once('close', () => {
      if (!req.complete) reject(new Error('aborted'));
    });
  });
}

/**
 * The server's `clientError` listener: HTTP Node's parser refuses answers as TableStore answers a bad request —
 * status, protobuf `Error`, `x-ots-*` headers — so the SDK and a user's script read the reason.
 */
export function tableStoreClientErrorHandler(state: Pick<ServerState, 'aborts' | 'onAbort'>): (err: Error & { code?: string }, socket: Socket) => void {
  return createClientErrorHandler({
    newRequestId,
    onAbort: (info) => recordAbort(state, info),
    render: ({ requestId, status, message }) => {
      const error = status === 408 ? new OtsError(408, 'OTSRequestTimeout', 'Request timeout.') : new OtsError(status, 'OTSParameterInvalid', message);
      const body = errorBody(error);
      const headers: Record<string, string> = {};
      const flat = otsHeaders(body, requestId, PROTOBUF.otsType);
      for (let i = 0; i < flat.length; i += 2) headers[flat[i]!] = flat[i + 1]!;
      return { contentType: PROTOBUF.type, body, headers };
    },
  });
}

function recordAbort(state: Pick<ServerState, 'aborts' | 'onAbort'>, info: AbortInfo): void {
  state.aborts.push(info);
  if (state.aborts.length > REQUEST_HISTORY) state.aborts.splice(0, state.aborts.length - REQUEST_HISTORY);
  state.onAbort(info);
}

/**
 * Runs one operation as the emulator does for every request: a write in one transaction (committed before the
 * answer, so a killed process loses nothing acknowledged), then the stream listeners told about new records.
 */
export function runOperation(state: Pick<ServerState, 'storage' | 'search' | 'now' | 'onStreamRecords' | 'access'>, operation: string, instance: string, body: Buffer, accessKeyId?: string): Uint8Array {
  const handler = OPERATIONS[operation];
  if (!handler) throw parameterInvalid(`Unsupported operation: ${operation}.`);
  const streams = new Set<string>();
  const context: OperationContext = { operation, body, instance, storage: state.storage, search: state.search, now: state.now(), onStreamRecord: (id) => streams.add(id) };
  const ram = state.access && accessKeyId !== undefined ? ramCheck(state.access, accessKeyId, operation, instance) : undefined;
  if (ram) context.authorize = ram.table;
  const run = () => {
    const answer = handler(context);
    // An operation on no table (ListTable, CreateTable…) is checked on the instance (a write rolls back).
    ram?.instanceUnlessTableChecked();
    return answer;
  };
  const response = READ_ONLY.has(operation) ? run() : state.storage.transaction(run);
  if (streams.size > 0) state.onStreamRecords(streams);
  return response;
}

/** The RAM checks of one request (D144): each table once, else the instance; `ots:<Operation>` either way. */
function ramCheck(access: AccessControl, accessKeyId: string, operation: string, instance: string) {
  const arn = `acs:ots:${access.region}:${access.accountId}:instance/${instance.toLowerCase()}`;
  const checked = new Set<string>();
  const check = (resource: string) => {
    const denial = access.check(accessKeyId, `ots:${operation}`, resource);
    if (denial) throw new OtsError(403, 'OTSNoPermissionAccess', `You have no permission to access the requested resource, please contact the resource owner. ${denial.message}`);
  };
  return {
    table(name: string) {
      if (checked.has(name)) return;
      check(`${arn}/table/${name}`);
      checked.add(name);
    },
    instanceUnlessTableChecked() {
      if (checked.size === 0) check(arn);
    },
  };
}

function remember(state: ServerState, record: RequestRecord): void {
  state.requests.push(record);
  // Trimmed in steps of REQUEST_HISTORY: dropping the oldest one per request moved the whole array each time.
  if (state.requests.length >= 2 * REQUEST_HISTORY) state.requests.splice(0, state.requests.length - REQUEST_HISTORY);
  state.onRequest?.(record);
}

export function createRequestListener(state: ServerState): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const operation = path.slice(1);
    try {
      // TableStore takes every operation as a POST and says so before looking at anything else.
      if (req.method !== 'POST') throw methodNotAllowed();
      const body = await readBody(req);
      const instance = authenticate({ method: req.method ?? '', path, headers: req.headers, body, instances: state.instances, credentials: state.credentials, wallClock: Date.now() });
      const response = runOperation(state, operation, instance, body, String(req.headers['x-ots-accesskeyid']));
      remember(state, { operation, status: 200 });
      send(res, 200, response);
    } catch (err) {
      if (!(err instanceof OtsError) && isClientAbort(req, err)) {
        recordAbort(state, { requestId: '', method: req.method ?? '', url: req.url ?? '', reason: err instanceof Error ? err.message : String(err) });
        res.destroy();
        return;
      }
      const error = err instanceof OtsError ? err : new OtsError(500, 'OTSInternalServerError', 'Internal server error.');
      if (!(err instanceof OtsError)) {
        const bug = err instanceof Error ? err : new Error(String(err));
        state.internalErrors.push(bug);
        // Said where a person sees it: the client only gets TableStore's opaque 500.
        process.emitWarning(`TableStore emulator internal error in ${operation}: ${bug.stack ?? bug.message}`);
      }
      remember(state, { operation, status: error.status, code: error.code });
      // A body left unread (too large, or a method refused first) would be parsed as the next request: close the
      // connection instead.
      sendError(req, res, error, !req.complete);
    }
  };
}
