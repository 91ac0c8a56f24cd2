import type { Clock } from './ports/clock';

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

/**
 * What is left of an invocation's time. FC stops a function at its timeout, whatever it is waiting for,
 * so a call the function makes is worth waiting for as long as the function can still use the answer —
 * and no longer. A fixed per-call timeout gets both ends wrong on a busy platform: it gives up on a callee
 * that is only slow (waiting for a free instance, starting one) while the caller still had time, turning
 * "slower" into a 5xx; or it outlives the caller, which FC then stops mid-call.
 */
export interface Deadline {
  /** Milliseconds left, never below 0. */
  remainingMs(): number;
}

/** A deadline `ms` from now on `clock`. */
export function deadlineIn(ms: number, clock: Clock): Deadline {
  const at = clock.now() + ms;
  return { remainingMs: () => Math.max(0, at - clock.now()) };
}

/** The invocation's own deadline, from its function's timeout (build it when the invocation starts). */
export function invocationDeadline(fc: { function: { timeout: number } }, clock: Clock): Deadline {
  return deadlineIn(fc.function.timeout * 1000, clock);
}
