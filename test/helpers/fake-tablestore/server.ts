/** The HTTP edge: authenticate, dispatch `/<Operation>` to its handler, encode errors as TableStore does. */
import { createHash, randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { OtsError, parameterInvalid } from './errors';
import type { OperationHandler } from './handler';
import { protos } from './sdk';
import { authenticate, type FakeCredential } from './signature';
import type { FakeStore } from './store';

export interface RequestRecord {
  operation: string;
  status: number;
  /** The error code, for failed requests. */
  code?: string;
}

export interface ServerState {
  instance: string;
  credentials: readonly FakeCredential[];
  store: FakeStore;
  handlers: Map<string, OperationHandler>;
  now(): number;
  /** Every request, in arrival order. */
  requests: RequestRecord[];
  /** Unexpected exceptions thrown by handlers (answered as 500 OTSInternalServerError). */
  internalErrors: Error[];
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, body: Uint8Array): void {
  res.writeHead(status, {
    'content-type': 'application/x-protobuf',
    'content-length': body.length,
    'x-ots-contentmd5': createHash('md5').update(body).digest('base64'),
    'x-ots-requestid': randomUUID().replace(/-/g, ''),
    'x-ots-date': new Date().toISOString(),
    'x-ots-contenttype': 'protocol buffer',
  });
  res.end(body);
}

export function createRequestListener(state: ServerState): (req: IncomingMessage, res: ServerResponse) => Promise<void> {
  return async (req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const operation = path.slice(1);
    try {
      const body = await readBody(req);
      const credential = authenticate({ method: req.method ?? '', path, headers: req.headers, body, instance: state.instance, credentials: state.credentials, wallClock: Date.now() });
      const handler = state.handlers.get(operation);
      if (!handler) throw parameterInvalid(`Unsupported operation: ${operation}.`);
      const response = await handler({ operation, body, store: state.store, now: state.now(), credential });
      state.requests.push({ operation, status: 200 });
      send(res, 200, response);
    } catch (err) {
      const error = err instanceof OtsError ? err : new OtsError(500, 'OTSInternalServerError', 'Internal server error.');
      if (!(err instanceof OtsError)) state.internalErrors.push(err instanceof Error ? err : new Error(String(err)));
      state.requests.push({ operation, status: error.status, code: error.code });
      send(res, error.status, protos.main.Error!.encode({ code: error.code, message: error.message } as never).finish());
    }
  };
}
