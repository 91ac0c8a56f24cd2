/**
 * The console API's request parts, read strictly: `Number()` took `limit=abc` as NaN (every row), `-5` as "all but
 * the first five" and `1.5` as a slice of one; a malformed %-escape in a path threw from `decodeURIComponent` and
 * the gateway answered 500. Each is now a 400 naming the part (D127).
 */
export class ConsoleRequestError extends Error {
  readonly status = 400;
  readonly code = 'BadRequest';
}

/** `?<name>=` as a page size from 1 to `max`; `fallback` when absent. */
export function limitParam(url: URL, fallback: number, max: number, name = 'limit'): number {
  const text = url.searchParams.get(name);
  if (text === null) return fallback;
  const value = /^\d{1,7}$/.test(text) ? Number(text) : NaN;
  if (!(value >= 1 && value <= max)) throw new ConsoleRequestError(`${name} must be a whole number from 1 to ${max}, not "${text}"`);
  return value;
}

/** `?<name>=` as one of `allowed`, or undefined when absent or empty. */
export function choiceParam<T extends string>(url: URL, name: string, allowed: readonly T[]): T | undefined {
  const text = url.searchParams.get(name);
  if (!text) return undefined;
  if (!(allowed as readonly string[]).includes(text)) throw new ConsoleRequestError(`${name} must be one of ${allowed.join(', ')}, not "${text}"`);
  return text as T;
}

/** One %-decoded path segment. */
export function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    throw new ConsoleRequestError(`the path segment "${segment}" is not valid %-encoding`);
  }
}

/**
 * The query parameters each console route reads; a request with any other is refused before it runs, naming it, as
 * the functions' routes refuse one (D127): `?function=` for `?fn=` listed every function's invocations (D147).
 */
const CONSOLE_QUERY: readonly [RegExp, readonly string[]][] = [
  [/^\/_local\/api\/invocations\/?$/, ['fn', 'limit']],
  [/^\/_local\/api\/async\/?$/, ['limit']],
  [/^\/_local\/api\/async\/[^/]+\/stop\/?$/, ['fn']],
  [/^\/_local\/api\/executions(\/[^/]+)?\/?$/, ['flow', 'status', 'limit']],
  [/^\/_local\/api\/queues\/[^/]+\/?$/, ['limit']],
  [/^\/_local\/api\/mns\/pushes\/?$/, ['limit']],
];

/** The refusal of the first query parameter the console API route at `url` does not read, if any. */
export function consoleQueryProblem(method: string, url: URL): string | undefined {
  if (!url.pathname.startsWith('/_local/api/')) return undefined;
  const reads = CONSOLE_QUERY.find(([path]) => path.test(url.pathname))?.[1] ?? [];
  for (const name of url.searchParams.keys()) {
    if (!reads.includes(name)) return `query.${name}: is not a parameter of ${method} ${url.pathname}`;
  }
  return undefined;
}
