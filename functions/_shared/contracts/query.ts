import * as z from 'zod';

/**
 * Query-string values. A query parameter is text, so a number in one must be parsed; `z.coerce.number()` parses
 * as `Number()` does and so took `0x10` as 16, `1e1` as 10, ` 10 ` as 10 and an empty value as 0. These take
 * what a person means by a whole number and refuse the rest, naming the parameter (D127).
 */

/** The last millisecond of year 9999: the latest time an API takes (ISO 8601's four-digit years; `Date` goes further). */
export const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A whole number from `min` to `max`, in decimal digits only. */
export function queryInt(min: number, max = Number.MAX_SAFE_INTEGER) {
  const message = max === Number.MAX_SAFE_INTEGER ? `must be a whole number, at least ${min}` : `must be a whole number from ${min} to ${max}`;
  return z
    .string()
    .regex(/^\d{1,16}$/, message)
    .transform(Number)
    .pipe(z.number().min(min, message).max(max, message));
}

/**
 * The `cursor` a previous page answered as `nextCursor`, checked against the shape this list's cursors have:
 * anything else is a 400, not a page that quietly starts somewhere. Absent for the first page; empty is refused.
 */
export function queryCursor(shape: RegExp) {
  return z.string().min(1, { message: 'is empty: leave it out for the first page', abort: true }).regex(shape, 'is not a nextCursor this list answered').optional();
}
