import { api } from './api';
import { keepingFocus } from './dom';

/**
 * A page the BFF answered with parts missing is asked for once more a moment later. A part that was only
 * late (a busy backend) has by then reached the BFF's cache — it keeps late answers — so the page
 * completes itself without a reload (the keyboard focus stays where it was); a part that is really down stays
 * missing, and the page stays as it is.
 */
export const RECHECK_AFTER_MS = 1000;

export function recheckIfDegraded<T extends { degraded: readonly string[] }>(first: T, path: string, signal: AbortSignal | undefined, show: (page: T) => void): void {
  if (first.degraded.length === 0) return;
  const timer = setTimeout(() => {
    void api<T>(path)
      .then(({ data }) => {
        if (!signal?.aborted && data.degraded.length < first.degraded.length) keepingFocus(() => show(data));
      })
      // The first answer is on screen already; a failed second look changes nothing.
      .catch(() => undefined);
  }, RECHECK_AFTER_MS);
  signal?.addEventListener('abort', () => clearTimeout(timer), { once: true });
}
