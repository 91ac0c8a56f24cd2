import type { Server } from 'node:http';

/**
 * Idle keep-alive connections are left for clients to close. Node's server default (5 s) is just above
 * the free-socket timeout of common client agents (agentkeepalive in ali-oss: 4 s), so on a busy machine a
 * client could reuse a socket the server was closing at that moment and get "socket hang up" — a failure
 * the cloud, whose front ends keep idle connections for a minute, does not produce. The Alibaba SDKs'
 * own agents (pop-core, httpx) reuse sockets with no idle limit at all, and long polls last 25 s.
 */
export function keepIdleConnections<T extends Server>(server: T): T {
  server.keepAliveTimeout = 65_000;
  // Must exceed keepAliveTimeout, or a request on a reused socket can be cut off while its headers arrive.
  server.headersTimeout = 66_000;
  return server;
}
