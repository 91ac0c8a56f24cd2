import { Charge, PaymentMethod, type Card, type ProviderRequest } from '../contracts/orders';
import { ZodError, type z } from 'zod';
import { isAppError } from '../errors';
import { callService } from '../fc/call-service';
import { PaymentProviderUnavailable } from '../orders/errors';
import type { FunctionInvoker } from '../ports/function-invoker';
import type { ChargeRequest, PaymentProvider, ProviderCallOptions } from '../ports/payment-provider';

/**
 * PaymentProvider over the `payment-sandbox` function (FC InvokeFunction). Anything but a clear answer from
 * the sandbox — its "unavailable" error, a crash, a timeout, a network failure — is a transient
 * `PaymentProviderUnavailable`, which the saga retries with backoff; invalid cards come back as
 * `ValidationError` (400 at checkout).
 */
export class SandboxPaymentProvider implements PaymentProvider {
  constructor(
    private readonly invoker: FunctionInvoker,
    private readonly functionName: string,
    /** How long a call may wait for the sandbox: fixed, or worked out at each call (from a deadline). */
    private readonly timeoutMs: number | (() => number) = 10_000,
  ) {}

  private async call<S extends z.ZodType>(request: ProviderRequest, schema: S, options: ProviderCallOptions = {}): Promise<z.infer<S>> {
    try {
      return await callService(this.invoker, this.functionName, request, schema, { timeoutMs: options.timeoutMs ?? (typeof this.timeoutMs === 'number' ? this.timeoutMs : this.timeoutMs()) });
    } catch (err) {
      // The sandbox's own answers (an invalid card, an unknown charge) pass through; anything else — its
      // "unavailable", a crash, a timeout, a refused or reset connection — is worth trying again.
      if (isAppError(err) || err instanceof ZodError) throw err;
      throw new PaymentProviderUnavailable(`payment provider: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  tokenize(card: Card, options?: ProviderCallOptions): Promise<PaymentMethod> {
    return this.call({ op: 'tokenize', card }, PaymentMethod, options);
  }

  charge(request: ChargeRequest, options?: ProviderCallOptions): Promise<Charge> {
    return this.call({ op: 'charge', ...request }, Charge, options);
  }

  getCharge(chargeId: string, options?: ProviderCallOptions): Promise<Charge> {
    return this.call({ op: 'get', chargeId }, Charge, options);
  }

  cancel(chargeId: string, options?: ProviderCallOptions): Promise<Charge> {
    return this.call({ op: 'cancel', chargeId }, Charge, options);
  }

  refund(chargeId: string, idempotencyKey: string, options?: ProviderCallOptions): Promise<Charge> {
    return this.call({ op: 'refund', chargeId, idempotencyKey }, Charge, options);
  }
}
