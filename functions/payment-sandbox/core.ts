import { SANDBOX_CARDS, type Card, type Charge, type PaymentMethod, type ProviderRequest, type SandboxScenario } from '#shared/contracts/orders';
import { ConditionFailedError, NotFoundError, ValidationError } from '#shared/errors';
import type { IdGenerator } from '#shared/ids';
import type { Logger } from '#shared/log';
import { PaymentProviderUnavailable } from '#shared/orders/errors';
import { SANDBOX_TABLE as T, chargeRow, getCharge, toCharge, transition } from '#shared/payments/sandbox-ledger';
import type { Clock } from '#shared/ports/clock';
import type { FunctionInvoker } from '#shared/ports/function-invoker';
import type { Table } from '#shared/ports/table';

/**
 * payment-sandbox: a stand-in for a card payment gateway, with the gateway's shape — cards are tokenized,
 * charges are idempotent by key and settle **asynchronously**, the outcome arrives as a signed webhook
 * after a delay, and `get` answers a charge's status when the webhook does not come. Test cards (PRODUCT.md
 * §3): 4242… succeeds, …0002 is declined, …9995 never settles (no webhook: the timeout path), …0119 fails
 * with "unavailable" twice per charge key and then succeeds (the retry path); other valid cards succeed.
 *
 * This function is the provider's API and only answers: settling and the webhook are a job of
 * `payment-webhook`, invoked asynchronously, so no caller ever waits behind a job (D39).
 *
 * Owns `payment_sandbox` (the provider's records, never read by the shop; `payment-webhook` settles its
 * charges): `pm_…` payment methods, `ch_…` charges, `idem#<key>` charge keys and `try#<key>` attempt counters.
 */
export interface SandboxDeps {
  table: Table;
  clock: Clock;
  newId: IdGenerator;
  /** Schedules the settlement job (FC async invocation of `payment-webhook`: FC retries it). */
  invoker: FunctionInvoker;
  settlementFunctionName: string;
  log: Logger;
}

/** The transient card fails this many times per charge key before it succeeds. */
export const TRANSIENT_FAILURES = 2;

export function scenarioOf(number: string): SandboxScenario {
  const hit = (Object.entries(SANDBOX_CARDS) as [SandboxScenario, string][]).find(([, n]) => n === number);
  return hit ? hit[0] : 'success';
}

export function brandOf(number: string): string {
  if (number.startsWith('4')) return 'Visa';
  if (/^5[1-5]/.test(number) || /^2[2-7]/.test(number)) return 'Mastercard';
  if (/^3[47]/.test(number)) return 'American Express';
  if (number.startsWith('62')) return 'UnionPay';
  return 'Card';
}

export async function handleProviderRequest(request: ProviderRequest, deps: SandboxDeps): Promise<PaymentMethod | Charge> {
  switch (request.op) {
    case 'tokenize':
      return tokenize(request.card, deps);
    case 'charge':
      return charge(request, deps);
    case 'get':
      return getCharge(request.chargeId, deps);
    case 'cancel':
      return cancel(request.chargeId, deps);
    case 'refund':
      return refund(request.chargeId, deps);
  }
}

export async function tokenize(card: Card, deps: SandboxDeps): Promise<PaymentMethod> {
  const now = new Date(deps.clock.now());
  const expired = card.expYear < now.getUTCFullYear() || (card.expYear === now.getUTCFullYear() && card.expMonth < now.getUTCMonth() + 1);
  if (expired) throw new ValidationError('card.expYear: the card has expired', [{ path: 'card.expYear', message: 'the card has expired' }]);
  const paymentMethodId = deps.newId('pm');
  const method = { paymentMethodId, brand: brandOf(card.number), last4: card.number.slice(-4) };
  await deps.table.putRow(T, { id: paymentMethodId }, { kind: 'method', brand: method.brand, last4: method.last4, scenario: scenarioOf(card.number), createdAt: deps.clock.now() });
  return method;
}

async function scheduleSettlement(chargeId: string, deps: SandboxDeps): Promise<void> {
  if (!deps.settlementFunctionName) throw new Error('PAYMENT_WEBHOOK_FUNCTION is not set: name the settlement function in s.yaml');
  await deps.invoker.invoke(deps.settlementFunctionName, { chargeId }, { invocationType: 'Async' });
}

export async function charge(request: Extract<ProviderRequest, { op: 'charge' }>, deps: SandboxDeps): Promise<Charge> {
  const method = await deps.table.getRow(T, { id: request.paymentMethodId });
  if (!method || method.attributes.kind !== 'method') throw new NotFoundError(`no payment method ${request.paymentMethodId}`);
  const scenario = String(method.attributes.scenario) as SandboxScenario;
  const keyRow = { id: `idem#${request.idempotencyKey}` };

  if (scenario === 'transient') {
    // Counted per key before the key is claimed, so a retry of a failed attempt fails again until the count is reached.
    const known = await deps.table.getRow(T, keyRow);
    if (known) return resumeCharge(String(known.attributes.chargeId), request, scenario, deps);
    const { attempts } = await deps.table.updateRow(T, { id: `try#${request.idempotencyKey}` }, { increment: { attempts: 1 } }, { returnColumns: ['attempts'] });
    if (Number(attempts) <= TRANSIENT_FAILURES) throw new PaymentProviderUnavailable(`sandbox: temporarily unavailable (attempt ${Number(attempts)} of the transient test card)`);
  }

  // Claim the key first: a key seen before fails the condition, and only then is it read (D53).
  const chargeId = deps.newId('ch');
  try {
    await deps.table.putRow(T, keyRow, { kind: 'key', chargeId, createdAt: deps.clock.now() }, { condition: { row: 'EXPECT_NOT_EXIST' } });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
    // A retry, or the same key twice at once: the charge is the one the key points to.
    const winner = await deps.table.getRow(T, keyRow);
    return resumeCharge(String(winner?.attributes.chargeId), request, scenario, deps);
  }
  return resumeCharge(chargeId, request, scenario, deps, { created: true });
}

/**
 * The charge a key points to, created if the key was recorded by a request that died before writing it.
 * `created`: this request has just claimed the key with a new charge id, so the charge row cannot exist yet.
 */
async function resumeCharge(chargeId: string, request: Extract<ProviderRequest, { op: 'charge' }>, scenario: SandboxScenario, deps: SandboxDeps, options: { created?: boolean } = {}): Promise<Charge> {
  let row = options.created ? undefined : await deps.table.getRow(T, { id: chargeId });
  if (!row) {
    const now = deps.clock.now();
    const attributes = { kind: 'charge', status: 'pending', amount: request.amount, currency: request.currency, paymentMethodId: request.paymentMethodId, scenario, metadata: JSON.stringify(request.metadata), createdAt: now, updatedAt: now };
    try {
      await deps.table.putRow(T, { id: chargeId }, attributes, { condition: { row: 'EXPECT_NOT_EXIST' } });
      row = { primaryKey: { id: chargeId }, attributes };
    } catch (err) {
      if (!(err instanceof ConditionFailedError)) throw err;
      row = await chargeRow(chargeId, deps);
    }
  }
  const current = toCharge(row);
  // A pending charge gets its settlement (again): settling is idempotent, and a lost job would leave it pending.
  if (current.status === 'pending' && scenario !== 'noCallback') await scheduleSettlement(chargeId, deps);
  return current;
}

export async function cancel(chargeId: string, deps: SandboxDeps): Promise<Charge> {
  const current = await getCharge(chargeId, deps);
  return current.status === 'pending' ? transition(chargeId, 'pending', 'canceled', {}, deps) : current;
}

/** Refund a succeeded charge in full; a refunded one answers as it is (the refund id is per charge). */
export async function refund(chargeId: string, deps: SandboxDeps): Promise<Charge> {
  const current = await getCharge(chargeId, deps);
  if (current.status !== 'succeeded') return current;
  return transition(chargeId, 'succeeded', 'refunded', { refundId: `re_${chargeId.replace(/^ch_/, '')}` }, deps);
}
