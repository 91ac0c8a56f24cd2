import type { CheckPaymentOutput, StepInput } from '#shared/contracts/orders';
import { countEvents, findEvent, recordEvents, requireOrder } from '#shared/orders/order-book';
import { applyChargeOutcome, readPayment } from '#shared/orders/payments';
import type { StepDeps } from '#shared/orders/step-deps';
import type { PaymentProvider } from '#shared/ports/payment-provider';
import type { WorkflowClient } from '#shared/ports/workflow-client';

/**
 * CheckPaymentStatus (after ChargePayment timed out waiting for the webhook): ask the provider how the
 * charge stands. Settled → record it like the webhook would; pending → the flow waits and asks again, up
 * to `MAX_STATUS_CHECKS` times; then the charge is canceled (unless it succeeded at that very moment) and
 * the payment counts as failed, so nothing is ever taken for an order that failed.
 */
export interface CheckDeps extends StepDeps {
  payments: PaymentProvider;
  workflow: WorkflowClient;
}

export const MAX_STATUS_CHECKS = 3;

export async function checkPaymentStatus(input: StepInput, deps: CheckDeps): Promise<CheckPaymentOutput> {
  const { orderId } = input;
  const order = await requireOrder(deps.table, orderId);
  const { chargeId = '' } = await readPayment(deps.table, orderId);
  const checks = countEvents(order.log, 'PaymentStatusChecked');
  const answer = (paymentStatus: CheckPaymentOutput['paymentStatus'], n = checks): CheckPaymentOutput => ({ orderId, chargeId, paymentStatus, checks: n });
  if (findEvent(order.log, 'PaymentSucceeded')) return answer('succeeded');
  if (findEvent(order.log, 'PaymentDeclined') || findEvent(order.log, 'PaymentTimedOut')) return answer('failed');

  const check = checks + 1;
  let charge = chargeId ? await deps.payments.getCharge(chargeId) : undefined;
  const known = await recordEvents(deps.table, orderId, [{ type: 'PaymentStatusChecked', step: 'CheckPaymentStatus', key: `payment:check:${check}`, at: deps.clock.now(), data: { chargeId, check, status: charge?.status ?? 'not created' } }], order.log);

  if (charge && charge.status === 'pending' && check >= MAX_STATUS_CHECKS) charge = await deps.payments.cancel(charge.chargeId);
  if (charge && (charge.status === 'succeeded' || charge.status === 'failed' || charge.status === 'refunded')) {
    await applyChargeOutcome(deps, orderId, charge, { via: 'status-check', report: false, known });
    return answer(charge.status === 'failed' ? 'failed' : 'succeeded', check);
  }
  if (charge?.status === 'pending' || (!charge && check < MAX_STATUS_CHECKS)) return answer('pending', check);
  await recordEvents(deps.table, orderId, [{ type: 'PaymentTimedOut', step: 'CheckPaymentStatus', key: 'payment:timed-out', at: deps.clock.now(), data: { chargeId, checks: check } }], known.log);
  return answer('failed', check);
}
