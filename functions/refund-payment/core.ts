import type { StepInput } from '#shared/contracts/orders';
import { findEvent, recordEvents, requireOrder } from '#shared/orders/order-book';
import { readPayment, savePayment } from '#shared/orders/payments';
import type { StepDeps } from '#shared/orders/step-deps';
import type { PaymentProvider } from '#shared/ports/payment-provider';

/**
 * RefundPayment (compensation): give the money back. A succeeded charge is refunded (idempotent by the
 * order's refund key), a still-pending one is canceled, anything else had nothing taken. Records what it
 * did once; running it again finds the record.
 */
export interface RefundDeps extends StepDeps {
  payments: PaymentProvider;
}

export const refundKeyOf = (orderId: string) => `refund-${orderId}`;

export async function refundPayment(input: StepInput, deps: RefundDeps): Promise<{ orderId: string; refunded: boolean }> {
  const { orderId } = input;
  const order = await requireOrder(deps.table, orderId);
  if (findEvent(order.log, 'PaymentRefunded')) return { orderId, refunded: true };
  if (findEvent(order.log, 'PaymentCanceled')) return { orderId, refunded: false };
  const { chargeId } = await readPayment(deps.table, orderId);
  if (!chargeId) return { orderId, refunded: false };

  let charge = await deps.payments.getCharge(chargeId);
  if (charge.status === 'pending') charge = await deps.payments.cancel(chargeId);
  const at = deps.clock.now();
  if (charge.status === 'canceled') {
    await recordEvents(deps.table, orderId, [{ type: 'PaymentCanceled', step: 'RefundPayment', key: 'payment:canceled', at, data: { chargeId } }], order.log);
    return { orderId, refunded: false };
  }
  if (charge.status === 'succeeded') charge = await deps.payments.refund(chargeId, refundKeyOf(orderId));
  if (charge.status !== 'refunded') return { orderId, refunded: false };
  await savePayment(deps.table, orderId, { status: 'refunded' }, at);
  await recordEvents(deps.table, orderId, [{ type: 'PaymentRefunded', step: 'RefundPayment', key: 'payment:refunded', at, data: { chargeId, refundId: charge.refundId ?? '', amount: charge.amount } }], order.log);
  return { orderId, refunded: true };
}
