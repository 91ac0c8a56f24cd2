import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Validate `value` with a zod schema; on failure throw one `ValidationError` (→ 400) whose details name
 * every wrong field as a dotted path under `where` (e.g. `body.items.0.qty`, `query.client`).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
  const first = details[0];
  throw new ValidationError(first ? `invalid ${first.path}: ${first.message}` : `invalid ${where}`, details);
}

/** Parse a JSON document, turning syntax errors into a 400 naming where the JSON came from. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${where} is not valid JSON`, [{ path: where, message: 'not valid JSON' }]);
  }
}
