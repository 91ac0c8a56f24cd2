import type { z } from 'zod';
import { ValidationError } from './errors';

/**
 * Validate `value` with a zod schema; on failure throw one `ValidationError` (→ 400) whose details name
 * every wrong field as a dotted path under `where` (e.g. `body.items.0.qty`, `query.client`).
 */
export function parseWith<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
  const result = schema.safeParse(value, { error: plainMessage });
  if (result.success) return result.data;
  const details = result.error.issues.map((issue) => ({
    path: [where, ...issue.path.map(String)].filter(Boolean).join('.'),
    message: issue.message,
  }));
  const first = details[0];
  throw new ValidationError(first ? `invalid ${first.path}: ${first.message}` : `invalid ${where}`, details);
}

/**
 * Words for the issues zod would describe in its own terms ("Invalid input: expected string, received
 * undefined"): a missing field is "is required", a query value that is not a number "must be a number".
 * Messages a schema sets itself win over these; anything else keeps zod's.
 */
function plainMessage(issue: z.core.$ZodRawIssue): string | undefined {
  if ((issue.code === 'invalid_type' || issue.code === 'invalid_union') && issue.input === undefined) return 'is required';
  if (issue.code === 'invalid_type' && issue.expected === 'number' && Number.isNaN(issue.input)) return 'must be a number';
  return undefined;
}

/** Parse a JSON document, turning syntax errors into a 400 naming where the JSON came from. */
export function parseJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new ValidationError(`${where} is not valid JSON`, [{ path: where, message: 'not valid JSON' }]);
  }
}
