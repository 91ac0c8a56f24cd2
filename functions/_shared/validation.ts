import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Validate `value` with a zod schema; on failure throw one `ValidationError` (→ 400) whose details name
 * every wrong field as a dotted path under `where` (e.g. `body.items.0.qty`, `query.client`).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value, { error: plainMessage });
  if (result.success) return result.data;
  const details = result.error.issues.flatMap((issue) => {
    const path = [where, ...issue.path.map(String)];
    // An unknown field is named by its own path, as a wrong one is (`body.extra`, not `body`).
    if (issue.code === 'unrecognized_keys') {
      const message = where.startsWith('query') ? 'is not a parameter of this request' : 'is not a field of this request';
      return issue.keys.map((key) => ({ path: [...path, key].filter(Boolean).join('.'), message }));
    }
    return [{ path: path.filter(Boolean).join('.'), message: issue.message }];
  });
  const first = details[0];
  throw new ValidationError(first ? `invalid ${first.path}: ${first.message}` : `invalid ${where}`, details);
}

/**
 * Words for the issues zod would describe in its own terms ("Invalid input: expected string, received
 * undefined", "Too big: expected string to have <=64 characters"): a missing field is "is required", a value
 * of the wrong kind "must be a string, not a number", a size "must be at most 64 characters", a choice "must be
 * one of web, mobile". Messages a schema sets itself win over these; anything else keeps zod's.
 */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  switch (issue.code) {
    case 'invalid_union':
      return issue.input === undefined ? 'is required' : undefined;
    case 'invalid_type':
      if (issue.input === undefined) return 'is required';
      if (issue.expected === 'number' && Number.isNaN(issue.input)) return 'must be a number';
      // JSON has no Infinity, but `1e400` parses to it; where a string belongs it is still just a number (D147).
      if (typeof issue.input === 'number' && !Number.isFinite(issue.input) && (issue.expected === 'number' || issue.expected === 'int')) return 'must be a finite number';
      return `must be ${KINDS[issue.expected] ?? issue.expected}, not ${kindOf(issue.input)}`;
    case 'invalid_value':
      return issue.values.length > 1 ? `must be one of ${issue.values.map(String).join(', ')}` : undefined;
    case 'too_big':
      return sizeMessage('at most', issue.origin, issue.maximum);
    case 'too_small':
      return issue.origin === 'string' && issue.minimum === 1 ? 'must not be empty' : sizeMessage('at least', issue.origin, issue.minimum);
    default:
      return undefined;
  }
}

const KINDS: Record<string, string> = { string: 'a string', number: 'a number', int: 'a whole number', boolean: 'true or false', object: 'an object', array: 'an array' };

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'number') return Number.isInteger(value) || !Number.isFinite(value) ? 'a number' : 'a fraction';
  return KINDS[typeof value] ?? typeof value;
}

function sizeMessage(bound: string, origin: string, limit: number | bigint): string | undefined {
  if (origin === 'string') return `must be ${bound} ${limit} characters`;
  if (origin === 'array') return `must hold ${bound} ${limit} items`;
  if (origin === 'number' || origin === 'int') return `must be ${bound} ${limit}`;
  return undefined;
}

/**
 * A request body as text, without the UTF-8 byte order mark some clients write before JSON: RFC 8259 §8.1 lets a
 * parser ignore it, and `JSON.parse` refused it, so the body was "not valid JSON" (D127). A signature still covers
 * the bytes as sent.
 */
export function bodyText(body: Buffer): string {
  return body.toString('utf8', body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? 3 : 0);
}

/** Parse a JSON document, turning syntax errors into a 400 naming where the JSON came from. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${where} is not valid JSON`, [{ path: where, message: 'not valid JSON' }]);
  }
}
