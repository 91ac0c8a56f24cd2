import type { ChargeInput } from '#shared/contracts/orders';
import { PaymentProviderUnavailable } from '#shared/orders/errors';
import { countEvents, findEvent, placedOf, recordEvents, requireOrder } from '#shared/orders/order-book';
import { applyChargeOutcome, paymentOp, reportToTask, savePayment } from '#shared/orders/payments';
import type { StepDeps } from '#shared/orders/step-deps';
import type { PaymentProvider } from '#shared/ports/payment-provider';
import type { WorkflowClient } from '#shared/ports/workflow-client';

/**
 * ChargePayment (saga step 2, a `WaitForCustomCallback` task): ask the provider to charge the order's
 * total and return at once; the task then waits until `payment-callback` reports the webhook's outcome
 * with this run's task token (or its timeout hands over to CheckPaymentStatus).
 *
 * The token is stored before the provider is asked, and `PaymentRequested` is recorded first too, so
 * even a webhook that arrives before this function returns finds both. The charge's idempotency key is
 * the order, so retries (the transient card fails twice) and reruns never charge twice. A rerun after the
 * outcome is known reports it to its own token immediately.
 */
export interface ChargeDeps extends StepDeps {
  payments: PaymentProvider;
  workflow: WorkflowClient;
}

export const chargeKeyOf = (orderId: string) => `order-${orderId}`;

export async function chargePayment(input: ChargeInput, deps: ChargeDeps): Promise<{ orderId: string; chargeId: string; status: 'pending' }> {
  const { orderId, taskToken } = input;
  let order = await requireOrder(deps.table, orderId);
  const now = deps.clock.now();

  const settled = findEvent(order.log, 'PaymentSucceeded') ?? findEvent(order.log, 'PaymentDeclined');
  if (settled) {
    await savePayment(deps.table, orderId, { taskToken }, now);
    const chargeId = settled.data.chargeId;
    await reportToTask(deps, orderId, await deps.payments.getCharge(chargeId), { taskToken });
    return { orderId, chargeId, status: 'pending' };
  }

  const placed = placedOf(order);
  // The token is stored in the same request as PaymentRequested (D53): both before the provider is asked.
  order = await recordEvents(deps.table, orderId, [{ type: 'PaymentRequested', step: 'ChargePayment', key: 'payment:requested', at: now, data: { amount: placed.total, currency: placed.currency } }], order.log, [paymentOp(orderId, { taskToken }, now)]);
  let charge;
  try {
    charge = await deps.payments.charge({ paymentMethodId: placed.payment.methodId, amount: placed.total, currency: placed.currency, idempotencyKey: chargeKeyOf(orderId), metadata: { orderId } });
  } catch (err) {
    if (!(err instanceof PaymentProviderUnavailable)) throw err;
    const attempt = countEvents(order.log, 'PaymentAttemptFailed') + 1;
    await recordEvents(deps.table, orderId, [{ type: 'PaymentAttemptFailed', step: 'ChargePayment', key: `payment:attempt-failed:${attempt}`, at: deps.clock.now(), data: { attempt, message: err.message } }], order.log);
    deps.log.warn({ orderId, attempt, err: err.message }, 'payment provider unavailable; the flow retries');
    throw err;
  }
  // Settled already (a rerun whose webhook went to an earlier task): record it (with the payment row) and answer this task now.
  if (charge.status === 'pending') await savePayment(deps.table, orderId, { chargeId: charge.chargeId, status: charge.status }, deps.clock.now());
  else await applyChargeOutcome(deps, orderId, charge, { via: 'callback', report: true, known: order, payment: { taskToken } });
  return { orderId, chargeId: charge.chargeId, status: 'pending' };
}
