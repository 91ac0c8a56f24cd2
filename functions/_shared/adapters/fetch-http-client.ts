import type { HttpClient } from '../ports/http-client';

/** HttpClient over Node's global fetch, with a deadline per call. */
export const fetchHttpClient: HttpClient = {
  async post(url, body, headers, options = {}) {
    const res = await fetch(url, { method: 'POST', body, headers, signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
    return { status: res.status, body: await res.text() };
  },
};
