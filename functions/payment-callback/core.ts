import { PaymentWebhook } from '#shared/contracts/orders';
import { ConflictError, NotFoundError, ValidationError } from '#shared/errors';
import { hasKey, putKey } from '#shared/idempotency';
import { findOrder } from '#shared/orders/order-book';
import { applyChargeOutcome, readPayment, type OutcomeDeps } from '#shared/orders/payments';
import { verifyWebhook } from '#shared/payments/webhook-signature';
import { parseJson, parseWith } from '#shared/validation';

/**
 * payment-callback: `POST /api/payments/callback`, the provider's signed webhook. In this order, and with
 * no change to anything until the delivery has passed all of them:
 * 1. the signature over the exact bytes (401 when missing, malformed or wrong);
 * 2. freshness: the signed timestamp within 5 minutes of now (401 "stale");
 * 3. replay: a delivery id already processed answers 409;
 * 4. the order and charge it names exist and belong together (404 otherwise).
 * Then the outcome is recorded on the order and reported to the waiting ChargePayment task, and the
 * delivery id is remembered. Recording and reporting are idempotent, so a delivery that fails halfway and
 * is sent again completes.
 */
export interface CallbackDeps extends OutcomeDeps {
  webhookSecret: string;
}

export async function handleWebhook(rawBody: Buffer, signature: string | undefined, deps: CallbackDeps): Promise<{ received: true; orderId: string; status: string }> {
  verifyWebhook(deps.webhookSecret, rawBody, signature, deps.clock.now());
  const webhook = parseWith(PaymentWebhook, parseJson(rawBody.toString('utf8'), 'body'), 'body');
  if (!['succeeded', 'failed'].includes(webhook.data.status) || (webhook.type === 'charge.succeeded') !== (webhook.data.status === 'succeeded')) {
    throw new ValidationError(`invalid body.data.status: a ${webhook.type} webhook cannot carry status ${webhook.data.status}`, [{ path: 'body.data.status', message: `does not match ${webhook.type}` }]);
  }
  const deliveryKey = `webhook:${webhook.id}`;
  if (await hasKey(deps.table, deliveryKey)) throw new ConflictError(`webhook ${webhook.id} was already processed`, 'WebhookReplayed');

  const orderId = webhook.data.metadata.orderId ?? '';
  const order = orderId ? await findOrder(deps.table, orderId) : undefined;
  if (!order) throw new NotFoundError(`webhook ${webhook.id} names no known order`);
  const payment = await readPayment(deps.table, orderId);
  if (payment.chargeId && payment.chargeId !== webhook.data.chargeId) throw new NotFoundError(`charge ${webhook.data.chargeId} is not order ${orderId}'s charge`);

  const { view } = await applyChargeOutcome(deps, orderId, webhook.data, { via: 'callback', report: true, known: order, payment });
  await putKey(deps.table, deliveryKey, deps.clock.now());
  deps.log.info({ orderId, chargeId: webhook.data.chargeId, type: webhook.type }, 'payment webhook applied');
  return { received: true, orderId, status: view.status };
}
