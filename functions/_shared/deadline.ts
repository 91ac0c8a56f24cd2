/**
 * Waiting for a promise with a deadline that judges when the answer arrived, not when this thread got
 * round to reading it. On a busy machine a thread can be off the CPU past its deadline while the answer
 * waits in its socket, and Node runs expired timers before it polls for I/O — so a plain timer would throw
 * away an answer that came in time. The rejection therefore waits one turn of the event loop
 * (`setImmediate` runs after the poll phase has delivered what is already there); an answer that is not
 * there by then is late.
 * @example const page = await withDeadline(fetchPage(), 300, () => new Error('page took longer than 300 ms'));
 */
export function withDeadline<T>(promise: Promise<T>, timeoutMs: number | undefined, late: () => Error, signal?: AbortSignal): Promise<T> {
  if (timeoutMs === undefined && !signal) return promise;
  return new Promise<T>((resolve, reject) => {
    const timer = timeoutMs === undefined ? undefined : setTimeout(() => setImmediate(() => reject(late())), timeoutMs);
    const onAbort = () => reject(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
    signal?.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    });
  });
}
