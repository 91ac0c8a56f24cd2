/**
 * Typed errors, mapped to HTTP exactly once (see `fc/http.ts`).
 * Only errors with `expose: true` (all 4xx) show their message to clients; anything else becomes a
 * generic 500 so stacks and internals never leak.
 */
export interface ErrorDetail {
  /** Dotted path of the offending field, e.g. `items.0.qty` or `query.client`. */
  path: string;
  message: string;
}

export class AppError extends Error {
  readonly status: number;
  readonly code: string;
  readonly expose: boolean;
  readonly details: ErrorDetail[] | undefined;

  constructor(status: number, code: string, message: string, details?: ErrorDetail[]) {
    super(message);
    this.name = new.target.name;
    this.status = status;
    this.code = code;
    this.expose = status < 500;
    this.details = details;
  }
}

export class ValidationError extends AppError {
  constructor(message: string, details?: ErrorDetail[]) {
    super(400, 'ValidationError', message, details);
  }
}

export class UnauthorizedError extends AppError {
  constructor(message = 'authentication required') {
    super(401, 'Unauthorized', message);
  }
}

export class ForbiddenError extends AppError {
  constructor(message = 'not allowed') {
    super(403, 'Forbidden', message);
  }
}

export class NotFoundError extends AppError {
  constructor(message = 'not found') {
    super(404, 'NotFound', message);
  }
}

export class ConflictError extends AppError {
  constructor(message: string, code = 'Conflict') {
    super(409, code, message);
  }
}

export class UnprocessableError extends AppError {
  constructor(message: string, code = 'Unprocessable') {
    super(422, code, message);
  }
}

export class PayloadTooLargeError extends AppError {
  constructor(message: string) {
    super(413, 'PayloadTooLarge', message);
  }
}

export class TooManyRequestsError extends AppError {
  /** Whole seconds until a retry can succeed; the HTTP edge sends them as `Retry-After`. */
  readonly retryAfterSeconds: number | undefined;

  constructor(message = 'too many requests', retryAfterSeconds?: number) {
    super(429, 'TooManyRequests', message);
    this.retryAfterSeconds = retryAfterSeconds === undefined ? undefined : Math.max(1, Math.ceil(retryAfterSeconds));
  }
}

/** A transient failure: the caller (or the async retry policy) should try again. */
export class RetryableError extends AppError {
  constructor(message: string, code = 'Retryable') {
    super(503, code, message);
  }
}

/**
 * A conditional write lost: the row existence or column condition did not hold.
 * TableStore reports it as `OTSConditionCheckFail`; both Table adapters throw this.
 */
export class ConditionFailedError extends AppError {
  constructor(message = 'condition check failed') {
    super(409, 'ConditionCheckFail', message);
  }
}

export function isAppError(err: unknown): err is AppError {
  return err instanceof AppError;
}
