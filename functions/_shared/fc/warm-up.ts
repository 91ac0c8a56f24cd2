import { createLogger } from '../log';
import type { FcContext, FcHandler } from './types';

/**
 * An FC instance initializer (s.yaml `instanceLifecycleConfig.initializer`) that sends one harmless read through
 * the function's own handler, so its first real request finds everything warm: module code compiled, SDK
 * clients built, the connection to TableStore open. FC runs it when an instance starts, before any request
 * (the local cloud runs it when it prewarms instances at start); the page's per-part budget is then spent on
 * the work, not on first-use costs. The warm-up asks for an id that does not exist, so it changes nothing.
 * A failed warm-up is logged and never fails the instance: the first request would only be slower.
 * @example export const initializer = warmUpWith(handler, { op: 'get', productId: WARM_UP_PRODUCT_ID });
 */
export const WARM_UP_PRODUCT_ID = 'p-warm-up';

export function warmUpWith(handler: FcHandler, event: unknown): (context: FcContext) => Promise<void> {
  return async (context) => {
    try {
      await handler(Buffer.from(JSON.stringify(event)), context);
    } catch (err) {
      createLogger({ requestId: context.requestId }).warn({ err }, 'warm-up request failed');
    }
  };
}
