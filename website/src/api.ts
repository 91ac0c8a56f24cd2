import type { REGIONS } from '../../functions/_shared/contracts/products';
import type { TokenResponse } from '../../functions/_shared/contracts/auth';

/**
 * The website talks to the API only through this module; shapes come from the shared contracts.
 * `API_BASE` is empty locally (same origin) and the API domain when the site is served from OSS.
 */
declare const API_BASE: string;
export type Region = (typeof REGIONS)[number];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: { path: string; message: string }[],
  ) {
    super(message);
  }
}

/**
 * No answer at all: the connection is down or the server is not running. The browser's own words for it
 * ("Failed to fetch", "NetworkError when attempting to fetch resource", "Load failed") mean nothing to a person and
 * reached the screen wherever a page shows an error's message.
 */
export class NetworkError extends Error {
  constructor() {
    super('the server could not be reached (check your connection)');
  }
}

const TOKEN_KEY = 'fcsuite.token';

export function session(): { token: string; username: string; role: string; expiresAt: string } | undefined {
  try {
    const raw = localStorage.getItem(TOKEN_KEY);
    if (!raw) return undefined;
    const value = JSON.parse(raw) as { token: string; expiresAt: string; username: string; role: string };
    if (Date.parse(value.expiresAt) < Date.now()) return undefined;
    return value;
  } catch {
    return undefined;
  }
}

export function signOut(): void {
  localStorage.removeItem(TOKEN_KEY);
}

/**
 * The absolute address of an API path. The API answers with same-origin paths (`/api/images/…`); when
 * the site is served from OSS the API has its own domain, so those paths must be prefixed.
 * @example <img src="${apiUrl(hit.thumbnails.small)}">
 */
export function apiUrl(path: string): string {
  return path.startsWith('/') ? `${API_BASE}${path}` : path;
}

export async function api<T>(path: string, init: RequestInit = {}): Promise<{ data: T; headers: Headers }> {
  const headers = new Headers(init.headers);
  const s = session();
  if (s) headers.set('authorization', `Bearer ${s.token}`);
  if (init.body && !headers.has('content-type')) headers.set('content-type', 'application/json');
  let res: Response;
  try {
    res = await fetch(apiUrl(path), { ...init, headers });
  } catch (err) {
    // A navigation that abandoned the request is not a failure to report; callers check their signal.
    if (init.signal?.aborted) throw err;
    throw new NetworkError();
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    // A proxy or the platform answered with something that is not our JSON (an HTML error page).
    throw new ApiError(res.status, 'BadResponse', res.ok ? 'The server sent an unreadable answer' : `HTTP ${res.status}`);
  }
  if (!res.ok) {
    const err = (body as { error?: { code: string; message: string; details?: { path: string; message: string }[] } } | undefined)?.error;
    throw new ApiError(res.status, err?.code ?? 'HttpError', err?.message ?? `HTTP ${res.status}`, err?.details);
  }
  return { data: body as T, headers: res.headers };
}

export async function signIn(username: string, password: string): Promise<void> {
  const { data } = await api<TokenResponse>('/api/auth/token', { method: 'POST', body: JSON.stringify({ username, password }) });
  const payload = JSON.parse(atob(data.token.split('.')[1]!.replace(/-/g, '+').replace(/_/g, '/'))) as { sub: string; role: string };
  localStorage.setItem(TOKEN_KEY, JSON.stringify({ ...data, username: payload.sub, role: payload.role }));
}
