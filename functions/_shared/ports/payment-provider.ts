import type { Card, Charge, PaymentMethod } from '../contracts/orders';

/**
 * PaymentProvider port: what the order flow needs from a card payment gateway. The gateway settles
 * asynchronously and reports the outcome with a signed webhook (`payment-callback`); `getCharge` is the
 * fallback when the webhook does not come.
 *
 * Adapter: `SandboxPaymentProvider` (FC InvokeFunction to the `payment-sandbox` function, chosen by
 * `PAYMENT_PROVIDER_FUNCTION`); a real gateway would be another adapter behind this port.
 *
 * - `tokenize` keeps the card number at the provider; the shop stores only the method id, brand and last 4;
 * - `charge` is idempotent by `idempotencyKey` (the same key answers the same charge);
 * - transient provider failures throw `PaymentProviderUnavailable` (`orders/errors.ts`), invalid cards a
 *   `ValidationError`.
 */
export interface ChargeRequest {
  paymentMethodId: string;
  amount: number;
  currency: 'CNY';
  idempotencyKey: string;
  metadata: Record<string, string>;
}

/** Per call: how long the caller can wait for the provider's answer (default: the adapter's own, 10 s). */
export interface ProviderCallOptions {
  timeoutMs?: number;
}

export interface PaymentProvider {
  tokenize(card: Card, options?: ProviderCallOptions): Promise<PaymentMethod>;
  charge(request: ChargeRequest, options?: ProviderCallOptions): Promise<Charge>;
  getCharge(chargeId: string, options?: ProviderCallOptions): Promise<Charge>;
  /** Void a pending charge; answers the charge as it is afterwards (it may have succeeded meanwhile). */
  cancel(chargeId: string, options?: ProviderCallOptions): Promise<Charge>;
  /** Refund a succeeded charge in full; idempotent by key. */
  refund(chargeId: string, idempotencyKey: string, options?: ProviderCallOptions): Promise<Charge>;
}
