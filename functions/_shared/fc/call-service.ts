import type { z } from 'zod';
import type { ServiceResult } from '../contracts/products';
import { NotFoundError, ValidationError } from '../errors';
import type { FunctionInvoker, InvokeOptions } from '../ports/function-invoker';

/**
 * Call an internal service (a function built with `createServiceHandler`) through FC InvokeFunction and
 * unwrap its `{ok, data}` envelope: data parsed with `schema`; "not found" and "invalid" become the same
 * typed errors the service raised; a function error becomes `ServiceFunctionError` carrying the type FC
 * reported (the thrown error's name), so callers can tell a provider's "try again" from a bug.
 */
export class ServiceFunctionError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorType: string,
    message: string,
  ) {
    super(`${functionName} failed (${errorType}): ${message}`);
    this.name = 'ServiceFunctionError';
  }
}

function errorTypeOf(body: Buffer, fallback: string): string {
  try {
    const parsed = JSON.parse(body.toString('utf8')) as { errorType?: unknown };
    return typeof parsed.errorType === 'string' && parsed.errorType ? parsed.errorType : fallback;
  } catch {
    return fallback;
  }
}

export async function callService<S extends z.ZodType>(invoker: FunctionInvoker, functionName: string, request: object, schema: S, options: InvokeOptions = {}): Promise<z.infer<S>> {
  const result = await invoker.invoke(functionName, request, options);
  if (result.functionError) throw new ServiceFunctionError(functionName, errorTypeOf(result.body, result.functionError.type), result.functionError.message);
  const envelope = JSON.parse(result.body.toString('utf8')) as ServiceResult<unknown>;
  if (!envelope.ok) {
    if (envelope.error.code === 'NotFound') throw new NotFoundError(envelope.error.message);
    throw new ValidationError(envelope.error.message);
  }
  return schema.parse(envelope.data) as z.infer<S>;
}
