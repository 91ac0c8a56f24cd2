import type { z } from 'zod';
import { AppError, isAppError, ValidationError } from '../errors';
import { createLogger, type Logger } from '../log';
import { parseJson, parseWith } from '../validation';
import type { ServiceResult } from '../contracts/products';
import { createHttpHandler, json, type HttpRequest } from './http';
import type { FcContext, FcHandler } from './types';

/**
 * The edge of an internal service. It answers three kinds of events with one core:
 * - an FC InvokeFunction payload (JSON) → `{ok, data}` envelope: expected outcomes (not found, invalid)
 *   are data, so the caller tells them from failures; anything else is thrown and FC reports a function
 *   error (which the async retry policy retries);
 * - a timer event `{triggerTime, triggerName, payload}`: its `payload` string is the request;
 * - an HTTP trigger event (the service's own trigger URL), when `http` is given: `GET /<id>?…` → the data
 *   as JSON, 404 / 400 for the expected outcomes.
 */
export interface ServiceContext {
  fc: FcContext;
  log: Logger;
}

export interface ServiceHttpFace {
  /** Route pattern on the function's own URL, e.g. `/:productId`. */
  path: string;
  /** Turn the HTTP request into the service's request object (validated by the same schema). */
  toRequest(req: HttpRequest): unknown;
}

function isTimerEvent(value: unknown): value is { payload: unknown } {
  return !!value && typeof value === 'object' && 'triggerTime' in value && 'triggerName' in value && 'payload' in value;
}

export function isHttpTriggerEvent(value: unknown): boolean {
  return !!value && typeof value === 'object' && (value as { version?: unknown }).version === 'v1' && 'rawPath' in value && 'requestContext' in value;
}

export function decodeEvent(event: Buffer): unknown {
  const value = parseJson(event.toString('utf8'), 'event');
  if (!isTimerEvent(value)) return value;
  return typeof value.payload === 'string' && value.payload.trim() ? parseJson(value.payload, 'event.payload') : {};
}

export function createServiceHandler<S extends z.ZodType, R>(schema: S, handle: (input: z.infer<S>, ctx: ServiceContext) => Promise<R>, http?: ServiceHttpFace): FcHandler {
  const httpHandler = http
    ? createHttpHandler([
        {
          method: 'GET',
          path: http.path,
          readsQuery: true,
          handle: async (req, { fc, log }) => json(200, await handle(parseWith(schema, http.toRequest(req), 'request'), { fc, log })),
        },
      ])
    : undefined;

  return async (event: Buffer, context: FcContext): Promise<unknown> => {
    const log = createLogger({ requestId: context.requestId });
    let decoded: unknown;
    try {
      decoded = decodeEvent(event);
    } catch (err) {
      return failure(err);
    }
    if (httpHandler && isHttpTriggerEvent(decoded)) return httpHandler(event, context);
    try {
      const input = parseWith(schema, decoded, 'event');
      return { ok: true, data: await handle(input, { fc: context, log }) } satisfies ServiceResult<R>;
    } catch (err) {
      if (isExpected(err)) return failure(err);
      log.error({ err }, 'service failed');
      throw err instanceof AppError ? Object.assign(new Error(err.message), { name: err.code }) : err;
    }
  };
}

function isExpected(err: unknown): err is AppError {
  return isAppError(err) && (err.status === 404 || err instanceof ValidationError);
}

function failure(err: unknown): ServiceResult<never> {
  if (!isExpected(err)) throw err;
  return { ok: false, error: { code: err.status === 404 ? 'NotFound' : 'ValidationError', message: err.message } };
}
