import type { Deadline } from '../../deadline';
import type { FcContext } from '../../fc/types';
import { SandboxPaymentProvider } from '../../payments/sandbox-provider';
import type { PaymentProvider } from '../../ports/payment-provider';
import { invokerFor } from './invoker';

/** Kept from the caller's deadline for what it does with the provider's answer (record it, report it). */
export const PROVIDER_ANSWER_RESERVE_MS = 2_000;

/**
 * The payment provider, chosen by configuration: `PAYMENT_PROVIDER_FUNCTION` names the function that
 * speaks the provider API (the sandbox here; a real gateway would get its own adapter behind the port).
 * With the invocation's `deadline`, each call may wait for the provider as long as the caller can still
 * use the answer (D39); without one, 10 s per call.
 */
export function paymentsFor(context: FcContext, options: { deadline?: Deadline } = {}, env: NodeJS.ProcessEnv = process.env): PaymentProvider {
  const fn = env.PAYMENT_PROVIDER_FUNCTION;
  if (!fn) throw new Error('PAYMENT_PROVIDER_FUNCTION is not set: name the payment provider function in s.yaml');
  const { deadline } = options;
  return new SandboxPaymentProvider(invokerFor(context, env), fn, deadline ? () => Math.max(1, deadline.remainingMs() - PROVIDER_ANSWER_RESERVE_MS) : undefined);
}
