import { subscribe } from 'node:diagnostics_channel';
import type { ClientRequest } from 'node:http';

/**
 * How long an instance's thread has had an outgoing call open (D125): the time during which at least one HTTP
 * request it made — `http`/`https` (every SDK here: TableStore, FC, MNS, OSS) or `fetch` — had not finished.
 *
 * An instance parked on I/O (D40) waits either on a call or on a timer. A call here goes to the local cloud
 * itself (an emulator, another function), so waiting on it is waiting on this machine's CPUs: a BFF waiting on
 * its six services. A timer is waiting on nothing at all: an order page's long poll sleeping between two looks
 * at the order. The pool treats the two differently, and this clock tells them apart.
 *
 * The worker thread writes, the pool reads, through a shared buffer (no message per call): slot 0 holds the
 * milliseconds of open-call periods that have closed, slot 1 when the open period began (0: none is open).
 * The two writes at a period's end are not one atomic step; a read between them counts that period twice,
 * which only makes the instance look more busy with calls than it was — the cautious side.
 */
const CLOSED_MS = 0;
const OPEN_SINCE = 1;

/** In an instance's thread, before the function's code loads: counts its calls from then on. */
export function startCallClock(now: () => number = Date.now): SharedArrayBuffer {
  const shared = new SharedArrayBuffer(2 * Float64Array.BYTES_PER_ELEMENT);
  const clock = new Float64Array(shared);
  const open = new Set<object>();
  const begin = (request: object) => {
    if (open.has(request)) return;
    open.add(request);
    if (open.size === 1) clock[OPEN_SINCE] = now();
  };
  const end = (request: object) => {
    if (!open.delete(request) || open.size > 0) return;
    clock[CLOSED_MS] = clock[CLOSED_MS]! + (now() - clock[OPEN_SINCE]!);
    clock[OPEN_SINCE] = 0;
  };
  // A ClientRequest closes once its response has been read, or when it failed or was aborted.
  subscribe('http.client.request.start', (message) => {
    const { request } = message as { request: ClientRequest };
    begin(request);
    request.once('close', () => end(request));
  });
  // fetch (undici): a request ends with its trailers (the body was read) or with an error (an abort too).
  const requestOf = (message: unknown) => (message as { request: object }).request;
  subscribe('undici:request:create', (message) => begin(requestOf(message)));
  subscribe('undici:request:trailers', (message) => end(requestOf(message)));
  subscribe('undici:request:error', (message) => end(requestOf(message)));
  return shared;
}

/** The pool's side: milliseconds with a call open, from the buffer an instance's thread writes. */
export function callMsSoFar(shared: SharedArrayBuffer, now: number = Date.now()): number {
  const clock = new Float64Array(shared);
  const openSince = clock[OPEN_SINCE]!;
  return clock[CLOSED_MS]! + (openSince > 0 ? Math.max(0, now - openSince) : 0);
}
