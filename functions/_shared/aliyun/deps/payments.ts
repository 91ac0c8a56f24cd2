import type { FcContext } from '../../fc/types';
import { SandboxPaymentProvider } from '../../payments/sandbox-provider';
import type { PaymentProvider } from '../../ports/payment-provider';
import { invokerFor } from './invoker';

/**
 * The payment provider, chosen by configuration: `PAYMENT_PROVIDER_FUNCTION` names the function that
 * speaks the provider API (the sandbox here; a real gateway would get its own adapter behind the port).
 */
export function paymentsFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): PaymentProvider {
  const fn = env.PAYMENT_PROVIDER_FUNCTION;
  if (!fn) throw new Error('PAYMENT_PROVIDER_FUNCTION is not set: name the payment provider function in s.yaml');
  return new SandboxPaymentProvider(invokerFor(context, env), fn);
}
