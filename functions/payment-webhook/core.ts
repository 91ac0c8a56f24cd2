import type { Charge, ChargeStatus, PaymentWebhook, SandboxScenario } from '#shared/contracts/orders';
import type { Deadline } from '#shared/deadline';
import type { Logger } from '#shared/log';
import { chargeRow, toCharge, transition } from '#shared/payments/sandbox-ledger';
import { signWebhook } from '#shared/payments/webhook-signature';
import type { Clock, Sleep } from '#shared/ports/clock';
import type { HttpClient } from '#shared/ports/http-client';
import type { Row, Table } from '#shared/ports/table';

/**
 * payment-webhook: the payment sandbox's background job, run by FC as an asynchronous invocation (so FC
 * retries it and, after the last try, sends it to its onFailure destination). For one charge: wait until the
 * configured delay since the charge was made has passed, settle the charge by its card's scenario, and deliver the signed webhook to the shop.
 *
 * It is a function of its own, not a job of `payment-sandbox`, because a job waits — the delay, then the
 * shop's answer — and a function's instances serve one request at a time: jobs running on the provider's
 * API function would hold the instances its synchronous callers (checkout's tokenize, the saga's charge)
 * are waiting for (docs/decisions.md D39).
 *
 * Every step is idempotent: settling moves a pending charge once (a conditional update), and a settled
 * charge sends the same webhook (same delivery id) again, which the shop answers with 409 — delivered.
 */
export interface WebhookDeps {
  table: Table;
  clock: Clock;
  sleep: Sleep;
  http: HttpClient;
  webhookUrl: string;
  webhookSecret: string;
  /** How long a charge stays pending before it settles and the webhook goes out (local default ~300 ms). */
  callbackDelayMs: number;
  /** This invocation's deadline (its function timeout): the shop's answer is awaited until shortly before it. */
  deadline: Deadline;
  log: Logger;
}

/** Kept back from the deadline to record the outcome (and fail cleanly, so FC retries) when the shop is slow. */
export const DELIVERY_RESERVE_MS = 1000;

export async function settle(chargeId: string, deps: WebhookDeps): Promise<{ settled: ChargeStatus }> {
  let row = await chargeRow(chargeId, deps);
  const scenario = String(row.attributes.scenario) as SandboxScenario;
  if (scenario === 'noCallback') return { settled: 'pending' };
  // The charge settles `callbackDelayMs` after it was made, not after this job began: the time the job spent in
  // FC's async queue counts toward it. Under a checkout surge the queue itself often outlasts the delay, and an
  // instance asleep for time already gone holds a slot the next charge's job waits for (docs/decisions.md D110).
  // After a wait the charge is read again (it may have been canceled meanwhile); without one, the row is current.
  const wait = settleWaitMs(row, deps.callbackDelayMs, deps.clock.now());
  if (wait > 0) {
    await deps.sleep(wait);
    row = await chargeRow(chargeId, deps);
  }
  let current = toCharge(row);
  if (current.status === 'pending') {
    current =
      scenario === 'decline'
        ? await transition(chargeId, 'pending', 'failed', { failureCode: 'card_declined', failureMessage: 'The issuing bank refused the charge.' }, deps, row)
        : await transition(chargeId, 'pending', 'succeeded', {}, deps, row);
  }
  if (current.status === 'succeeded' || current.status === 'failed') await deliverWebhook(current, deps);
  return { settled: current.status };
}

/** How much of the delay is still ahead of a charge row (all of it when the row has no creation time). */
export function settleWaitMs(row: Row, delayMs: number, now: number): number {
  if (delayMs <= 0) return 0;
  const createdAt = Number(row.attributes.createdAt);
  return Number.isFinite(createdAt) ? Math.min(delayMs, Math.max(0, createdAt + delayMs - now)) : delayMs;
}

export function webhookFor(charge: Charge, createdMs: number): PaymentWebhook {
  return {
    id: `evt_${charge.chargeId.replace(/^ch_/, '')}_${charge.status}`,
    type: charge.status === 'succeeded' ? 'charge.succeeded' : 'charge.failed',
    created: Math.floor(createdMs / 1000),
    data: charge,
  };
}

async function deliverWebhook(charge: Charge, deps: WebhookDeps): Promise<void> {
  const now = deps.clock.now();
  const body = JSON.stringify(webhookFor(charge, now));
  // A busy shop answers late, not never: wait for it as long as this job may run. Giving up early would
  // only make FC run the job again, adding a second delivery to the shop's queue behind the first.
  const timeoutMs = Math.max(1, deps.deadline.remainingMs() - DELIVERY_RESERVE_MS);
  const res = await deps.http.post(deps.webhookUrl, body, { 'content-type': 'application/json', 'x-sandbox-signature': signWebhook(deps.webhookSecret, body, now) }, { timeoutMs });
  // 409: the shop already has it (a redelivery). Anything else but 2xx: fail, so FC retries the job.
  if (res.status === 409 || (res.status >= 200 && res.status < 300)) {
    deps.log.info({ chargeId: charge.chargeId, status: res.status }, 'webhook delivered');
    return;
  }
  throw new Error(`webhook for ${charge.chargeId} answered ${res.status}: ${res.body.slice(0, 200)}`);
}
