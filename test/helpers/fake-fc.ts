import type { FcHandler } from '#shared/fc/types';
import type { FunctionInvoker, InvokeOptions, InvokeResult } from '#shared/ports/function-invoker';
import { fakeContext } from './fakes';

/**
 * FC InvokeFunction for unit tests, over real handlers: a synchronous call runs the handler and answers
 * like FC (a thrown error → status 200, `functionError`, body `{errorMessage, errorType: err.name}`); an
 * asynchronous one answers 202 and is queued until the test runs `drainAsync()` (so tests decide when
 * "later" is). Every call is recorded.
 */
export class FakeFc implements FunctionInvoker {
  readonly calls: { functionName: string; payload: unknown; invocationType: 'Sync' | 'Async' }[] = [];
  readonly asyncQueue: { functionName: string; event: Buffer }[] = [];
  constructor(private readonly handlers: Record<string, FcHandler>) {}

  register(name: string, handler: FcHandler): void {
    this.handlers[name] = handler;
  }

  async invoke(functionName: string, payload: Buffer | string | object, options: InvokeOptions = {}): Promise<InvokeResult> {
    const event = Buffer.isBuffer(payload) ? payload : Buffer.from(typeof payload === 'string' ? payload : JSON.stringify(payload));
    const invocationType = options.invocationType ?? 'Sync';
    this.calls.push({ functionName, payload: JSON.parse(event.toString('utf8')) as unknown, invocationType });
    if (!this.handlers[functionName]) throw new Error(`FakeFc: no function ${functionName}`);
    if (invocationType === 'Async') {
      this.asyncQueue.push({ functionName, event });
      return { status: 202, body: Buffer.alloc(0), requestId: 'async' };
    }
    return this.run(functionName, event);
  }

  async run(functionName: string, event: Buffer): Promise<InvokeResult> {
    try {
      const result = await this.handlers[functionName]!(event, fakeContext({ function: { name: functionName, handler: 'index.handler', memory: 256, timeout: 5 } }));
      return { status: 200, body: Buffer.from(typeof result === 'string' ? result : JSON.stringify(result ?? null)), requestId: 'sync' };
    } catch (err) {
      const e = err as Error;
      return { status: 200, body: Buffer.from(JSON.stringify({ errorMessage: e.message, errorType: e.name })), functionError: { type: 'UnhandledInvocationError', message: e.message }, requestId: 'sync' };
    }
  }

  /** Run the queued async invocations (and those they queue) in order; answers their outcomes. */
  async drainAsync(): Promise<InvokeResult[]> {
    const results: InvokeResult[] = [];
    for (let next = this.asyncQueue.shift(); next; next = this.asyncQueue.shift()) results.push(await this.run(next.functionName, next.event));
    return results;
  }
}
