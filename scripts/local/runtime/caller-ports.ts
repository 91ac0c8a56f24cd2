import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Socket } from 'node:net';

/**
 * Which instance made a call that reaches the local cloud (D143): a synchronous InvokeFunction belongs to its
 * caller's call tree — the BFF's six parts are a page a person waits on, a sync call made by a thumbnail job is
 * background work — but nothing in the request says who sent it (FC's SDK signs what it sends; adding a header
 * would change what functions send). Every instance connects from a local port of its own, and the server sees
 * that port as the request's remote port. So each instance thread writes, for every TCP connection it opens, its
 * instance number at the connection's local port in one table shared by all threads (a `SharedArrayBuffer`: no
 * message per connection), and clears it when the connection closes. Keep-alive connections are written once.
 *
 * A stale entry can only name an instance for a connection it no longer owns if another process reuses the port
 * between the close and the clear; such a caller is then classed by that instance — its priority, nothing more.
 */
const PORTS = 65536;

/** Made once by the main thread; every instance thread gets it at boot. */
export function newCallerPorts(): SharedArrayBuffer {
  return new SharedArrayBuffer(PORTS * Int32Array.BYTES_PER_ELEMENT);
}

/** The process's table (made on first use, in the main thread), and the main thread's view of it. */
let shared: SharedArrayBuffer | undefined;
let sharedView: Int32Array | undefined;
export function callerPorts(): SharedArrayBuffer {
  return (shared ??= newCallerPorts());
}

/** In an instance's thread: note every TCP connection it opens as this instance's (`instanceNumber` > 0); returns the stop. */
export function noteOwnConnections(table: SharedArrayBuffer, instanceNumber: number): () => void {
  const owners = new Int32Array(table);
  const onSocket = (message: unknown) => {
    const { socket } = message as { socket: Socket };
    socket.once('connect', () => {
      const port = socket.localPort;
      if (port === undefined) return;
      Atomics.store(owners, port, instanceNumber);
      socket.once('close', () => Atomics.compareExchange(owners, port, instanceNumber, 0));
    });
  };
  subscribe('net.client.socket', onSocket);
  return () => unsubscribe('net.client.socket', onSocket);
}

/** The main thread's side: the instance number that owns a connection from `port`, or undefined. */
export function instanceAtPort(port: number | undefined): number | undefined {
  if (port === undefined || port <= 0 || port >= PORTS) return undefined;
  sharedView ??= new Int32Array(callerPorts());
  return Atomics.load(sharedView, port) || undefined;
}
