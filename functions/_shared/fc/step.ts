import type { z } from 'zod';
import { createLogger, type Logger } from '../log';
import { InvalidStepInput } from '../orders/errors';
import type { FcContext, FcHandler } from './types';

/**
 * The edge of a workflow step: CloudFlow's `FC:InvokeFunction` task sends `Parameters.body` as the event
 * (JSON) and takes the returned object as the task's result. Errors are thrown as they are: FC reports the
 * error's name as its type, which is what the flow's `Retry`/`Catch` rules match (orders/errors.ts).
 */
export interface StepContext {
  fc: FcContext;
  log: Logger;
}

export function createStepHandler<S extends z.ZodType, R>(schema: S, run: (input: z.infer<S>, ctx: StepContext) => Promise<R>): FcHandler {
  return async (event: Buffer, context: FcContext) => {
    let decoded: unknown;
    try {
      decoded = JSON.parse(event.toString('utf8'));
    } catch {
      throw new InvalidStepInput('the task input is not JSON');
    }
    const parsed = schema.safeParse(decoded);
    if (!parsed.success) {
      throw new InvalidStepInput(`the task input does not match the step: ${parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ')}`);
    }
    const input = parsed.data as z.infer<S>;
    const ids = decoded as { orderId?: unknown; correlationId?: unknown };
    const log = createLogger({ requestId: context.requestId, correlationId: typeof ids.correlationId === 'string' ? ids.correlationId : context.requestId, orderId: ids.orderId });
    try {
      return await run(input, { fc: context, log });
    } catch (err) {
      log.warn({ err }, 'step failed');
      throw err;
    }
  };
}
