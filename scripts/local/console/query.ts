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
