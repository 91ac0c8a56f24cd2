import FnF from '@alicloud/fnf-2019-03-15';
import { join } from 'node:path';
import { OrderView, executionNameOf, type CreateOrderResponse } from '#shared/contracts/orders';
import { TABLES } from '#shared/contracts/tables';
import { INF_MAX, INF_MIN } from '#shared/ports/table';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { eventually } from '../helpers/eventually';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { orderRequest } from '../helpers/order-world';
import { localCloudTable } from '../helpers/tablestore';
import { tempDir } from '../helpers/temp';

/**
 * A real crash of the whole shop: the local cloud (the real s.yaml, in its own process) is killed with
 * SIGKILL while orders wait for their payment webhooks (the sandbox holds them 15 s: long beside the flaky card's
 * first two retries, 1 s and 2 s, so a loaded machine still reaches the moment the kill needs — at 6 s a loaded CI
 * machine once saw the first webhook arrive before the flaky order's first failure — and short of ChargePayment's
 * 30 s timeout, which the webhook must beat after the restart) and while one order's
 * ChargePayment waits to be retried (the flaky-provider card). Started again on the same data folder,
 * every execution finishes with the outcome its card asks for, and no side effect happened twice: one
 * charge per order at the provider, stock taken exactly once (or returned), one notification per event.
 */
const FLOW = 'fcsuite-dev-order-saga';
const PRODUCT = 'p-glide-mouse';

describe('orders survive a killed local cloud', () => {
  const dir = tempDir('orders-kill-');
  const dataDir = join(dir.path, 'data');
  const env = { PAYMENT_CALLBACK_DELAY_MS: '15000' };
  let running: LocalCloudProcess | undefined;

  afterAll(async () => {
    await running?.kill();
    dir.cleanup();
  });

  const signIn = async (cloud: LocalCloudProcess) => {
    const res = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-demo' }), headers: { 'content-type': 'application/json' } });
    return ((await res.json()) as { token: string }).token;
  };
  const history = async (fnf: FnF, orderId: string) => (await fnf.getExecutionHistory({ FlowName: FLOW, ExecutionName: executionNameOf(orderId), Limit: 1000 })).Events;

  it('finishes every order after SIGKILL, each side effect once', async () => {
    running = await startLocalCloudProcess({ dataDir, env, seed: true, timeoutMs: 120_000 });
    let token = await signIn(running);
    let fnf = new FnF({ endpoint: running.fnf, ...LOCAL_CREDENTIALS });
    // Rows are read through the TableStore emulator of whichever process is running (the SDK adapter).
    let tables = await localCloudTable(running.endpoints);
    const stock = async () => {
      const rows = (await tables.getRange(TABLES.productInventory.name, { start: { productId: PRODUCT, warehouse: INF_MIN }, end: { productId: PRODUCT, warehouse: INF_MAX } })).rows;
      return { available: rows.reduce((n, r) => n + Number(r.attributes.available), 0), holds: rows.flatMap((r) => Object.keys(r.attributes).filter((k) => k.startsWith('hold_'))) };
    };
    const before = (await stock()).available;
    const place = async (card: string, qty: number) => {
      const res = await fetch(`${running!.url}/api/orders`, {
        method: 'POST',
        body: JSON.stringify(orderRequest(card, [{ productId: PRODUCT, qty }])),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': `kill-${card}` },
      });
      expect(res.status).toBe(202);
      return ((await res.json()) as CreateOrderResponse).orderId;
    };
    const paid = await place('success', 2);
    const declined = await place('decline', 1);
    const flaky = await place('transient', 3);

    // The first two wait for their webhooks; the third has failed once and waits for its retry.
    // (the last ChargePayment event says where each one is at the moment of the kill).
    const lastCharge = async (orderId: string) => (await history(fnf, orderId)).filter((e) => e.StepName === 'ChargePayment' && e.Type.startsWith('Task')).at(-1)?.Type;
    await eventually(
      async () => {
        expect([await lastCharge(paid), await lastCharge(declined), await lastCharge(flaky)]).toEqual(['TaskSubmitted', 'TaskSubmitted', 'TaskFailed']);
      },
      { timeoutMs: 60_000, intervalMs: 20 },
    );
    await running.kill('SIGKILL');

    running = await startLocalCloudProcess({ dataDir, env, seed: true, timeoutMs: 120_000 });
    tables = await localCloudTable(running.endpoints);
    token = await signIn(running);
    fnf = new FnF({ endpoint: running.fnf, ...LOCAL_CREDENTIALS });
    const final = async (orderId: string) =>
      eventually(
        async () => {
          const res = await fetch(`${running!.url}/api/orders/${orderId}`, { headers: { authorization: `Bearer ${token}` } });
          const view = OrderView.parse(await res.json());
          expect(['SUCCEEDED', 'FAILED']).toContain(view.status);
          return view;
        },
        { timeoutMs: 90_000, intervalMs: 200 },
      );
    const [paidView, declinedView, flakyView] = [await final(paid), await final(declined), await final(flaky)];
    expect([paidView.status, declinedView.status, flakyView.status]).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    for (const orderId of [paid, declined, flaky]) {
      await eventually(async () => expect((await fnf.describeExecution({ FlowName: FLOW, ExecutionName: executionNameOf(orderId) })).Status).not.toBe('Running'));
    }

    // Each event once (the flaky provider's two failures are two attempts, as the card asks).
    const counts = (view: OrderView) => view.timeline.reduce<Record<string, number>>((m, t) => ({ ...m, [t.event]: (m[t.event] ?? 0) + 1 }), {});
    expect(counts(paidView)).toEqual({ OrderPlaced: 1, InventoryReserved: 1, PaymentRequested: 1, PaymentSucceeded: 1, ShipmentCreated: 1, OrderSucceeded: 1 });
    expect(counts(declinedView)).toEqual({ OrderPlaced: 1, InventoryReserved: 1, PaymentRequested: 1, PaymentDeclined: 1, InventoryReleased: 1, OrderFailed: 1 });
    expect(counts(flakyView)).toEqual({ OrderPlaced: 1, InventoryReserved: 1, PaymentRequested: 1, PaymentAttemptFailed: 2, PaymentSucceeded: 1, ShipmentCreated: 1, OrderSucceeded: 1 });

    // One charge per order at the provider; stock taken once for the two that succeeded, nothing held.
    const charges = (await tables.getRange(TABLES.paymentSandbox.name, { start: { id: 'ch_' }, end: { id: 'ch`' } })).rows.map((r) => JSON.parse(String(r.attributes.metadata)) as { orderId: string });
    expect(charges.map((c) => c.orderId).sort()).toEqual([paid, declined, flaky].sort());
    expect(await stock()).toEqual({ available: before - 5, holds: [] });

    // One notification per customer-facing event, however often the stream and MNS delivered them.
    await eventually(async () => {
      const inbox = (await tables.getRange(TABLES.notifications.name, { start: { username: 'alice', notificationId: INF_MIN }, end: { username: 'alice', notificationId: INF_MAX } })).rows;
      expect(inbox.filter((r) => String(r.attributes.orderId) === paid).map((r) => r.attributes.type).sort()).toEqual(['OrderPlaced', 'OrderSucceeded', 'PaymentSucceeded', 'ShipmentCreated']);
    });
  }, 300_000);
});
