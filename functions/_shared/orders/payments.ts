import type { Charge, PaymentResult } from '../contracts/orders';
import { TABLES } from '../contracts/tables';
import { ConflictError, NotFoundError } from '../errors';
import type { Logger } from '../log';
import type { Clock } from '../ports/clock';
import type { BatchWriteOp, Table } from '../ports/table';
import type { WorkflowClient } from '../ports/workflow-client';
import { recordEvents, type LoadedOrder } from './order-book';

/**
 * The merchant's side of an order's payment (`payments`, one row per order): the provider's charge id and
 * the task token of the ChargePayment task waiting for the answer. Each ChargePayment run (a retry gets a
 * new token) stores its token before it asks the provider, so the webhook always resumes the waiting task.
 */
const T = TABLES.payments.name;

export interface PaymentRecord {
  chargeId?: string;
  taskToken?: string;
}

export async function readPayment(table: Table, orderId: string): Promise<PaymentRecord> {
  const row = await table.getRow(T, { orderId });
  const a = row?.attributes ?? {};
  return { ...(a.chargeId ? { chargeId: String(a.chargeId) } : {}), ...(a.taskToken ? { taskToken: String(a.taskToken) } : {}) };
}

/** The payment row's update, to write on its own (`savePayment`) or beside an event (`recordEvents`' alsoWrite). */
export function paymentOp(orderId: string, fields: PaymentRecord & { status?: string }, now: number): Extract<BatchWriteOp, { type: 'UPDATE' }> {
  const put: Record<string, string | number> = { updatedAt: now };
  for (const [k, v] of Object.entries(fields)) if (v !== undefined) put[k] = v;
  return { type: 'UPDATE', table: T, primaryKey: { orderId }, update: { put } };
}

export async function savePayment(table: Table, orderId: string, fields: PaymentRecord & { status?: string }, now: number): Promise<void> {
  const op = paymentOp(orderId, fields, now);
  await table.updateRow(op.table, op.primaryKey, op.update);
}

export interface OutcomeDeps {
  table: Table;
  workflow: WorkflowClient;
  clock: Clock;
  log: Logger;
}

/**
 * Record a settled charge on the order (PaymentSucceeded / PaymentDeclined, once) and, when `report` is
 * set, resume the waiting ChargePayment task with it. A task that is no longer waiting (it timed out and
 * the status check took over, or another delivery reported first) is not an error: the order's events
 * already say what happened.
 */
export async function applyChargeOutcome(
  deps: OutcomeDeps,
  orderId: string,
  charge: Charge,
  /** `payment`: the payment row as the caller read it (its task token), so reporting need not read it again. */
  options: { via: 'callback' | 'status-check'; report: boolean; known?: LoadedOrder; payment?: PaymentRecord },
): Promise<LoadedOrder> {
  const now = deps.clock.now();
  // The charge's outcome goes on the payment row in the same request as the event (D53).
  const alsoWrite = [paymentOp(orderId, { chargeId: charge.chargeId, status: charge.status }, now)];
  const recorded =
    charge.status === 'succeeded' || charge.status === 'refunded'
      ? await recordEvents(deps.table, orderId, [{ type: 'PaymentSucceeded', step: options.via === 'callback' ? 'ChargePayment' : 'CheckPaymentStatus', key: 'payment:succeeded', at: now, data: { chargeId: charge.chargeId, via: options.via } }], options.known?.log, alsoWrite)
      : await recordEvents(deps.table, orderId, [{ type: 'PaymentDeclined', step: options.via === 'callback' ? 'ChargePayment' : 'CheckPaymentStatus', key: 'payment:declined', at: now, data: { chargeId: charge.chargeId, code: charge.failureCode ?? 'declined', message: charge.failureMessage ?? 'The card was declined.' } }], options.known?.log, alsoWrite);
  if (options.report) await reportToTask(deps, orderId, charge, options.payment);
  return recorded;
}

/**
 * Resume the order's waiting ChargePayment task with the charge's outcome. `payment` may be a read made
 * before the outcome was recorded: a ChargePayment run that stores a newer token after that read finds
 * the charge settled when it asks the provider, and reports to its own token itself.
 */
export async function reportToTask(deps: OutcomeDeps, orderId: string, charge: Charge, payment?: PaymentRecord): Promise<void> {
  const { taskToken } = payment ?? (await readPayment(deps.table, orderId));
  if (!taskToken) return;
  try {
    if (charge.status === 'succeeded' || charge.status === 'refunded') {
      const result: PaymentResult = { orderId, chargeId: charge.chargeId, paymentStatus: 'succeeded' };
      await deps.workflow.reportTaskSucceeded(taskToken, result);
    } else {
      await deps.workflow.reportTaskFailed(taskToken, 'PaymentDeclined', JSON.stringify({ chargeId: charge.chargeId, code: charge.failureCode ?? 'declined', message: charge.failureMessage ?? '' }));
    }
  } catch (err) {
    if (!(err instanceof NotFoundError || err instanceof ConflictError)) throw err;
    deps.log.info({ orderId, err: err.message }, 'the payment task is no longer waiting; the order records the outcome');
  }
}
