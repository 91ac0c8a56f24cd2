/**
 * FunctionInvoker port: call another FC function (FC 3.0 InvokeFunction).
 * Adapter: `FcFunctionInvoker` over `@alicloud/fc20230330`, pointed at the local FC API by `FC_ENDPOINT`.
 */
export interface InvokeResult {
  /** HTTP status of the InvokeFunction call: 200 sync, 202 async accepted. */
  status: number;
  /** The function's response payload (empty for async). */
  body: Buffer;
  /** Set when the function itself failed (FC's `x-fc-error-type`, e.g. `UnhandledInvocationError`). */
  functionError?: { type: string; message: string };
  requestId: string;
}

export interface InvokeOptions {
  /** `Async` queues the event with FC's retry policy and destinations; the call returns 202. */
  invocationType?: 'Sync' | 'Async';
  /** Give up waiting after this long (the callee may still be running). */
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Propagated as `x-correlation-id` inside JSON payloads by callers that use it. */
  correlationId?: string;
}

export interface FunctionInvoker {
  invoke(functionName: string, payload: Buffer | string | object, options?: InvokeOptions): Promise<InvokeResult>;
}
