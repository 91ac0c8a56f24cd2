import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Idle keep-alive connections are left for clients to close. Node's server default (5 s) is just above
 * the free-socket timeout of common client agents (agentkeepalive in ali-oss: 4 s), so on a busy machine a
 * client could reuse a socket the server was closing at that moment and get "socket hang up" — a failure
 * the cloud, whose front ends keep idle connections for a minute, does not produce. The Alibaba SDKs'
 * own agents (pop-core, httpx) reuse sockets with no idle limit at all, and long polls last 25 s.
 *
 * The server also notes where each connection's last exchange ended, so that a client resetting a connection
 * it no longer uses (a load generator stopping, an agent emptying its pool) is told apart from a client
 * giving up on a request: see `isIdleConnection`.
 */
export function keepIdleConnections<T extends Server>(server: T): T {
  server.keepAliveTimeout = 65_000;
  // Must exceed keepAliveTimeout, or a request on a reused socket can be cut off while its headers arrive.
  server.headersTimeout = 66_000;
  server.on('request', noteExchange);
  return server;
}

/** Per connection: the bytes read when its last answer was sent, or IN_FLIGHT while a request is served. */
const exchangeEnd = new WeakMap<Socket, number>();
const IN_FLIGHT = -1;
/** Per connection: the request being served, so that a reset mid-answer can be logged with what it cut short. */
const inFlight = new WeakMap<Socket, { req: IncomingMessage; res: ServerResponse }>();

function noteExchange(req: IncomingMessage, res: ServerResponse): void {
  const socket = req.socket;
  exchangeEnd.set(socket, IN_FLIGHT);
  inFlight.set(socket, { req, res });
  res.once('close', () => {
    if (inFlight.get(socket)?.req === req) inFlight.delete(socket);
  });
  res.once('finish', () => exchangeEnd.set(socket, socket.bytesRead));
}

/**
 * The request `socket` is serving (of a server set up by `keepIdleConnections`), if any: its method, URL and the
 * request id the answer carries (any `…request-id` / `…requestid` header the service set).
 */
export function inFlightRequest(socket: Socket): { method: string; url: string; requestId?: string } | undefined {
  const current = inFlight.get(socket);
  if (!current) return undefined;
  const idHeader = Object.keys(current.res.getHeaders()).find((name) => /request-?id$/i.test(name));
  const requestId = idHeader === undefined ? undefined : current.res.getHeader(idHeader);
  return { method: current.req.method ?? '', url: current.req.url ?? '', ...(typeof requestId === 'string' ? { requestId } : {}) };
}

/**
 * Whether `socket` (of a server set up by `keepIdleConnections`) is between requests: no request is being
 * served and not a byte of another has arrived since the last answer (a fresh connection counts from zero).
 */
export function isIdleConnection(socket: Socket): boolean {
  return (exchangeEnd.get(socket) ?? 0) === socket.bytesRead;
}
