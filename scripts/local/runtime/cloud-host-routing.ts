import Module from 'node:module';
import net from 'node:net';
import type tlsModule from 'node:tls';
import { EMULATED_SERVICES, regionalHostClassifier, type EmulatedService, type HostAnswer } from './regional-hosts';

/**
 * Inside an instance's thread (its own copies of `node:net` and `node:tls`), connections to the region's service
 * hosts go to the emulators, so a function that names `oss-cn-hangzhou-internal.aliyuncs.com` or
 * `https://<instance>.cn-hangzhou.ots.aliyuncs.com` runs unchanged (D124). Only connects are hooked: a
 * connection to any other host costs one suffix test, and nothing is added per request or per byte.
 *
 * - Plain TCP (`http:`): `net.Socket.prototype.connect`, where `http.Agent`, `net.connect` and undici (`fetch`)
 *   all end, gets the emulator's address instead of the cloud's.
 * - TLS (`https:`): `tls.connect`, which `https.Agent` (and every keep-alive agent built on it) and undici call
 *   through the module, answers a plain socket to the emulator that reports `secureConnect` once connected: the
 *   emulators speak HTTP only, and there is no certificate to fake. The request itself is unchanged — its Host
 *   header is the cloud host the SDK signed, which the emulators accept. Hooked when the function first
 *   requires `tls`, `https` or `http2`, or first calls `fetch`: loading `node:tls` costs a worker thread ~15 ms,
 *   which an instance that never speaks TLS keeps.
 * - Any other `*.aliyuncs.com` host fails at once with `ENOTEMULATED` naming the host and the service, instead
 *   of a DNS failure or a timeout offline (or a call to the real cloud with the local account).
 * Not covered: a TLS socket made over a socket of one's own (`tls.connect({ socket })`, a proxy), native addons
 * and child processes (their own DNS and sockets), HTTP/2 (`http2.connect` to a cloud host), and an ES module
 * that imports `node:https` or `node:tls` before anything required them (ES imports of Node's modules bypass
 * `require`; such a connection fails at once, saying so).
 */

type Target = { host: string; port: number };
let classify: ((hostname: string) => HostAnswer) | undefined;
let targets: Partial<Record<EmulatedService, Target>> = {};
let installed = false;

/** Routes the region's hosts to the endpoints in `env` (the instance's `*_ENDPOINT` variables, read once). */
export function routeRegionalHosts(region: string, env: NodeJS.ProcessEnv): void {
  classify = regionalHostClassifier(region);
  targets = {};
  for (const [service, { env: name }] of Object.entries(EMULATED_SERVICES)) {
    const endpoint = env[name];
    if (!endpoint) continue;
    const url = new URL(endpoint.includes('://') ? endpoint : `http://${endpoint}`);
    targets[service as EmulatedService] = { host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || (url.protocol === 'https:' ? 443 : 80) };
  }
  if (!installed) {
    hookPlainConnects();
    hookTlsOnFirstUse();
  }
  installed = true;
}

/** Where a connection to `host` goes: an emulator, an error to fail it with, or `undefined` to leave it. */
function routeOf(host: unknown, port: unknown): Target | Error | undefined {
  if (typeof host !== 'string' || !classify || !/aliyuncs\.com\.?$/i.test(host)) return undefined;
  const answer = classify(host);
  if (!answer) return undefined;
  const target = 'service' in answer ? targets[answer.service] : undefined;
  if (target) return target;
  const service = 'service' in answer ? `${EMULATED_SERVICES[answer.service].name} (no local endpoint)` : answer.refused;
  return Object.assign(new Error(`connect ENOTEMULATED ${host}:${String(port ?? '')}: ${service} is not emulated by the local cloud; it serves OSS, TableStore, MNS, CloudFlow and FC`), {
    code: 'ENOTEMULATED',
    syscall: 'connect',
    hostname: host,
  });
}

function notCarried(host: string): Error {
  return Object.assign(new Error(`connect ENOTEMULATED ${host}: this TLS connection was opened where the local cloud could not carry it to its emulator (an ES module importing node:tls or node:https first); require('node:https') or use http:`), {
    code: 'ENOTEMULATED',
    syscall: 'connect',
    hostname: host,
  });
}

type ConnectOptions = { host?: string; port?: number | string; path?: string; socket?: unknown; servername?: string };

function hookPlainConnects(): void {
  const connect = net.Socket.prototype.connect;
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    // net.connect passes its arguments normalised (`[options, callback]`), others (options, cb) or (port, host, cb).
    const first = args[0];
    const options = (Array.isArray(first) ? first[0] : typeof first === 'object' && first !== null ? first : undefined) as ConnectOptions | undefined;
    const host = options ? options.host : typeof first === 'number' || /^\d+$/.test(String(first)) ? (typeof args[1] === 'string' ? args[1] : undefined) : undefined;
    let route = options?.path ? undefined : routeOf(host, options ? options.port : first);
    // A TLS socket tls.connect did not carry (made by code that bypassed `require`, see above): the emulator speaks no TLS.
    if (route && !(route instanceof Error) && (this as { encrypted?: boolean }).encrypted) route = notCarried(String(host));
    if (route instanceof Error) {
      process.nextTick(() => this.destroy(route));
      return this;
    }
    if (route && options) Object.assign(options, route);
    else if (route) args = [{ ...route }, ...args.filter((a) => typeof a === 'function')];
    return (connect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof connect;
}

/** Modules whose loading brings `node:tls` in (Node's own modules load it without `require`). */
const TLS_MODULES = new Set(['tls', 'node:tls', 'https', 'node:https', 'http2', 'node:http2']);

function hookTlsOnFirstUse(): void {
  let hooked = false;
  const hookOnce = () => {
    if (hooked) return;
    hooked = true;
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    hookTlsConnects(require('node:tls') as typeof tlsModule);
  };
  const loader = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const load = loader._load;
  loader._load = function (this: unknown, request: string, ...rest: unknown[]) {
    if (!hooked && TLS_MODULES.has(request)) hookOnce();
    return load.call(this, request, ...rest);
  };
  const fetch = globalThis.fetch;
  globalThis.fetch = function (this: unknown, ...args: Parameters<typeof fetch>) {
    hookOnce();
    return fetch.apply(this, args);
  } as typeof fetch;
}

function hookTlsConnects(tls: typeof tlsModule): void {
  const tlsConnect = tls.connect;
  tls.connect = function (...args: unknown[]) {
    // (options[, callback]) or (port[, host][, options][, callback])
    const options = (args.find((a) => typeof a === 'object' && a !== null) ?? {}) as ConnectOptions;
    const host = options.host ?? (typeof args[1] === 'string' ? args[1] : undefined);
    const route = options.socket ? undefined : routeOf(host, options.port ?? args[0]);
    // Refusals are made by the socket hook above, as the TLS socket connects.
    if (!route || route instanceof Error) return (tlsConnect as (...a: unknown[]) => tlsModule.TLSSocket).apply(tls, args);
    return carriedPlainly(route, args.find((a) => typeof a === 'function') as (() => void) | undefined);
  } as typeof tlsConnect;
}

/** A plain socket to the emulator that behaves, for an HTTP client, as a TLS socket whose handshake succeeded. */
function carriedPlainly(target: Target, onSecureConnect?: () => void): tlsModule.TLSSocket {
  const socket = net.connect(target) as net.Socket & { authorized?: boolean; encrypted?: boolean; alpnProtocol?: false };
  socket.once('connect', () => {
    socket.authorized = true;
    socket.alpnProtocol = false;
    socket.emit('secureConnect');
  });
  if (onSecureConnect) socket.once('secureConnect', onSecureConnect);
  return socket as unknown as tlsModule.TLSSocket;
}
