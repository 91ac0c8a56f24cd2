import type { Charge, ChargeStatus } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConditionFailedError, NotFoundError } from '../errors';
import type { Clock } from '../ports/clock';
import type { Row, Table } from '../ports/table';

/**
 * The payment sandbox's records of charges, in `payment_sandbox` (the provider's table, never read by the
 * shop). Two functions make up the sandbox provider and share them: `payment-sandbox` (the provider's API:
 * tokenize, charge, get, cancel, refund) and `payment-webhook` (its background job: settle a charge and
 * deliver the signed webhook).
 */
export const SANDBOX_TABLE = TABLES.paymentSandbox.name;

export interface LedgerDeps {
  table: Table;
  clock: Clock;
}

export function toCharge(row: Row): Charge {
  const a = row.attributes;
  return {
    chargeId: String(row.primaryKey.id),
    status: String(a.status) as ChargeStatus,
    amount: Number(a.amount),
    currency: 'CNY',
    ...(a.failureCode ? { failureCode: String(a.failureCode), failureMessage: String(a.failureMessage) } : {}),
    ...(a.refundId ? { refundId: String(a.refundId) } : {}),
    metadata: JSON.parse(String(a.metadata ?? '{}')) as Record<string, string>,
  };
}

export async function chargeRow(chargeId: string, deps: Pick<LedgerDeps, 'table'>): Promise<Row> {
  const row = await deps.table.getRow(SANDBOX_TABLE, { id: chargeId });
  if (!row || row.attributes.kind !== 'charge') throw new NotFoundError(`no charge ${chargeId}`);
  return row;
}

export async function getCharge(chargeId: string, deps: Pick<LedgerDeps, 'table'>): Promise<Charge> {
  return toCharge(await chargeRow(chargeId, deps));
}

/**
 * Move a charge from `from` to `to` (and more columns) unless something else moved it first; answers the
 * charge after. Given the charge as read (`before`), a transition that lands answers without reading it
 * again: the update changed exactly the columns it put.
 */
export async function transition(chargeId: string, from: ChargeStatus, to: ChargeStatus, extra: Record<string, string>, deps: LedgerDeps, before?: Row): Promise<Charge> {
  const put = { status: to, updatedAt: deps.clock.now(), ...extra };
  try {
    await deps.table.updateRow(SANDBOX_TABLE, { id: chargeId }, { put }, {
      condition: { row: 'EXPECT_EXIST', columns: { column: 'status', op: 'EQ', value: from, passIfMissing: false } },
    });
    if (before) return toCharge({ primaryKey: before.primaryKey, attributes: { ...before.attributes, ...put } });
  } catch (err) {
    if (!(err instanceof ConditionFailedError)) throw err;
  }
  return getCharge(chargeId, deps);
}
