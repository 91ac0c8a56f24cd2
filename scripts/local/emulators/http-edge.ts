/**
 * What every emulator's HTTP server does at its edge, before a request reaches the service:
 *
 * - A request Node's HTTP parser refuses (both Content-Length and chunked encoding, a broken request line, an
 *   invalid header, oversized headers…) never reaches the request listener. Node's default answer is an empty
 *   `400 Bad Request`, which no client of the service can read; `answerMalformedHttp` makes each server answer
 *   in its own service's error shape instead (OSS and MNS XML, TableStore protobuf, FC and CloudFlow JSON), with
 *   the service's request-id header, and closes the connection (the rest of the bytes cannot be trusted).
 * - A client that goes away mid-request (reset, closed while sending its body) is not an error of the emulator:
 *   `isClientAbort` tells the two apart so servers log it as an abort, not as an internal error. A client that
 *   resets an idle keep-alive connection (between requests) aborted nothing and is not logged at all.
 */
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { inFlightRequest, isIdleConnection } from '../keep-alive';

/** What the parser refused, handed to the service to word its own error. */
export interface MalformedRequest {
  requestId: string;
  /** 431 for oversized headers, 408 for headers that never completed, 400 otherwise. */
  status: 400 | 408 | 431;
  /** Node's parser code, e.g. `HPE_INVALID_METHOD`, `HPE_UNEXPECTED_CONTENT_LENGTH`, `HPE_HEADER_OVERFLOW`. */
  parserCode: string;
  /** A sentence saying what was wrong, for the error's message. */
  message: string;
}

/** The service's error answer: its body, content type and own headers (request id, server, date…). */
export interface ServiceErrorAnswer {
  contentType: string;
  body: string | Uint8Array;
  headers: Record<string, string>;
}

export interface AbortInfo {
  requestId: string;
  method: string;
  url: string;
  reason: string;
}

export interface MalformedHttpOptions {
  newRequestId: () => string;
  render: (problem: MalformedRequest) => ServiceErrorAnswer;
  /** Told when the connection is already gone (nothing can be answered). */
  onAbort: (info: AbortInfo) => void;
  /**
   * Printed (once per server) when a client opens TLS on the plain-HTTP port: its error is OpenSSL's "wrong version
   * number", which names neither the cause nor the fix, so the local cloud's log says both (D145).
   */
  tlsHint?: () => string;
}

const REASONS: Record<number, string> = { 400: 'Bad Request', 408: 'Request Timeout', 431: 'Request Header Fields Too Large' };

/** Installs the `clientError` listener on `server`; returns it for chaining. */
export function answerMalformedHttp<T extends Server>(server: T, options: MalformedHttpOptions): T {
  server.on('clientError', createClientErrorHandler(options));
  return server;
}

/** A TLS record of type handshake (22) opens every TLS connection: an `https:` client on a plain-HTTP port. */
const TLS_HANDSHAKE = 0x16;

export function createClientErrorHandler(options: MalformedHttpOptions): (err: Error & { code?: string; rawPacket?: Buffer }, socket: Socket) => void {
  let toldTls = false;
  return (err, socket) => {
    if (err.rawPacket?.[0] === TLS_HANDSHAKE && options.tlsHint) {
      if (!toldTls) process.stderr.write(`${options.tlsHint()}\n`);
      toldTls = true;
    }
    // A client resetting a keep-alive connection it no longer uses aborted nothing: not worth a log line.
    if (err.code === 'ECONNRESET' && isIdleConnection(socket)) {
      socket.destroy();
      return;
    }
    if (err.code === 'ECONNRESET' || !socket.writable) {
      // A reset while an answer is being sent (a download given up) names the request it cut short.
      const current = inFlightRequest(socket);
      options.onAbort({ requestId: current?.requestId ?? options.newRequestId(), method: current?.method ?? '', url: current?.url ?? '', reason: err.code ?? err.message });
      socket.destroy();
      return;
    }
    const requestId = options.newRequestId();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    const parserCode = err.code ?? 'HPE_INVALID';
    const message = status === 408 ? 'The request headers did not arrive in time.' : `The request is not valid HTTP/1.1 (${parserCode}: ${err.message}).`;
    const answer = options.render({ requestId, status, parserCode, message });
    const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : Buffer.from(answer.body);
    const headers = Object.entries({ ...answer.headers, 'Content-Type': answer.contentType, 'Content-Length': String(body.length), Connection: 'close' })
      .map(([name, value]) => `${name}: ${value}\r\n`)
      .join('');
    socket.end(Buffer.concat([Buffer.from(`HTTP/1.1 ${status} ${REASONS[status]}\r\n${headers}\r\n`, 'latin1'), body]));
  };
}

/** Whether `err`, met while serving `req`, means the client went away rather than the emulator failing. */
export function isClientAbort(req: IncomingMessage, err: unknown): boolean {
  const code = (err as { code?: string } | undefined)?.code;
  if (code === 'ECONNRESET' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'EPIPE' || code === 'ECONNABORTED') return true;
  if (err instanceof Error && err.message === 'aborted') return true;
  return req.destroyed && !req.complete;
}

/** The default abort log: one JSON line on stderr, at info level (a client hanging up is not a fault). */
export function stderrAbortLog(service: string): (info: AbortInfo) => void {
  return (info) => process.stderr.write(`${JSON.stringify({ level: 'info', time: Date.now(), service, msg: 'request aborted by the client', ...info })}\n`);
}
