/**
 * The order flow end to end through the local cloud on the real s.yaml, with the payment sandbox answering
 * at once (`PAYMENT_CALLBACK_DELAY_MS=0`): `POST /api/orders` → `SUCCEEDED` — order-api (pricing, card
 * token, first event, StartExecution), then the saga on the flow engine: ReserveInventory, ChargePayment
 * (the sandbox's settlement job, its signed webhook to payment-callback, ReportTaskSucceeded),
 * CreateShipment, OrderSucceeded.
 * - latency: orders one at a time, from sending the POST to the time of the order's OrderSucceeded event
 *   (read from the order afterwards, so the client's polling does not add to it): p50/p99;
 * - throughput: a batch of 100 orders posted 8 at a time; orders per second from the first POST to the last
 *   OrderSucceeded (watched through the owner's order list, one request a round).
 * Baseline in the same run: the same business work without FC, the flow engine or HTTP — order-api's and
 * the steps' cores called in order in this process on an in-memory table, with the real sandbox and
 * payment-callback handlers — so what the platform costs (invocations, the engine's persisted steps,
 * the async settlement job, the webhook's HTTP hop) is a ratio.
 */
import { join } from 'node:path';
import { OrderList, OrderView, type CreateOrderResponse } from '../functions/_shared/contracts/orders';
import { chargePayment } from '../functions/charge-payment/core';
import { createShipment } from '../functions/create-shipment/core';
import { createOrder } from '../functions/order-api/core';
import { orderSucceeded } from '../functions/order-succeeded/core';
import { reserveInventory } from '../functions/reserve-inventory/core';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import { ALICE, createOrderWorld, orderRequest } from '../test/helpers/order-world';
import { tempDir } from '../test/helpers/temp';
import { report, stats, type Goal } from './lib';

const PRODUCT = 'p-glide-mouse';
const LATENCY_ORDERS = 30;
const BATCH_ORDERS = 100;
const IN_FLIGHT = 8;
const WARM = ['auth-token', 'order-api', 'product-info', 'product-price', 'product-sales', 'product-shipping', 'payment-sandbox', 'payment-webhook', 'payment-callback', 'reserve-inventory', 'charge-payment', 'create-shipment', 'order-succeeded', 'order-notify', 'send-notification'];

async function endToEnd(cloud: LocalCloud) {
  const res = await fetch(`${cloud.url}/api/auth/token`, { method: 'POST', body: JSON.stringify({ username: 'alice', password: 'alice-demo' }), headers: { 'content-type': 'application/json' } });
  const token = ((await res.json()) as { token: string }).token;
  let keys = 0;
  let retried = 0;
  /** POST one order; a 503 is retried with the same key after a moment, as the API asks a client to. */
  const post = async (): Promise<{ orderId: string; sentAt: number }> => {
    const key = `bench-${process.pid}-${++keys}`;
    const sentAt = Date.now();
    for (let attempt = 1; ; attempt++) {
      const r = await fetch(`${cloud.url}/api/orders`, {
        method: 'POST',
        body: JSON.stringify(orderRequest('success', [{ productId: PRODUCT, qty: 1 }])),
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
      });
      if (r.status === 202) return { orderId: ((await r.json()) as CreateOrderResponse).orderId, sentAt };
      if (r.status !== 503 || attempt === 5) throw new Error(`POST /api/orders answered ${r.status}: ${await r.text()}`);
      retried++;
      await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
    }
  };
  /** Long-poll until the order is final; answers when it succeeded (the OrderSucceeded event's time). */
  const succeededAt = async (orderId: string): Promise<number> => {
    let version: number | undefined;
    for (;;) {
      const r = await fetch(`${cloud.url}/api/orders/${orderId}${version === undefined ? '' : `?waitFor=${version}`}`, { headers: { authorization: `Bearer ${token}` } });
      const view = OrderView.parse(await r.json());
      if (view.status === 'FAILED') throw new Error(`order ${orderId} failed: ${view.failure?.message}`);
      if (view.status === 'SUCCEEDED') return Date.parse(view.timeline.at(-1)!.at);
      version = view.version;
    }
  };

  for (let i = 0; i < 5; i++) await succeededAt((await post()).orderId); // warm-up: every step's instance, the engine, the caches
  const latency: number[] = [];
  const tableRequests = await countTableRequests(cloud);
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < LATENCY_ORDERS; i++) {
    const { orderId, sentAt } = await post();
    latency.push((await succeededAt(orderId)) - sentAt);
  }
  const cpu = process.cpuUsage(cpu0);
  const perOrder = await tableRequests.stop(LATENCY_ORDERS);
  const cpuMsPerOrder = Math.round((cpu.user + cpu.system) / 1000 / LATENCY_ORDERS);

  // A batch: POSTs `inFlight` at a time; one client then watches them through the owner's order list (one
  // request a round: `GET /api/orders`, the list rows each step writes with its event) until all are final.
  // One GET per pending order per round would make the watcher the busiest client of the shop.
  const batch = async (orders: number): Promise<{ seconds: number }> => {
    const first = Date.now();
    const placed: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: IN_FLIGHT }, async () => {
        while (next < orders) {
          next++;
          placed.push((await post()).orderId);
        }
      }),
    );
    const done: number[] = [];
    const pending = new Set(placed);
    const oldest = [...placed].sort()[0]!;
    while (pending.size > 0) {
      let cursor: string | undefined;
      for (;;) {
        const r = await fetch(`${cloud.url}/api/orders?limit=50${cursor ? `&cursor=${cursor}` : ''}`, { headers: { authorization: `Bearer ${token}` } });
        const page = OrderList.parse(await r.json());
        for (const order of page.orders) {
          if (!pending.has(order.orderId)) continue;
          if (order.status === 'FAILED') throw new Error(`order ${order.orderId} failed`);
          if (order.status !== 'SUCCEEDED') continue;
          done.push(Date.parse(order.updatedAt));
          pending.delete(order.orderId);
        }
        const last = page.orders.at(-1)?.orderId;
        if (!page.nextCursor || !last || last <= oldest) break;
        cursor = page.nextCursor;
      }
      if (pending.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return { seconds: (Math.max(...done) - first) / 1000 };
  };
  // Untimed first: every function gets as many warm instances as the batch keeps busy, as in a running shop.
  await batch(IN_FLIGHT * 3);
  const { seconds } = await batch(BATCH_ORDERS);
  return { latency: stats(latency), tableRequestsPerOrder: perOrder, cpuMsPerOrder, batch: { orders: BATCH_ORDERS, inFlight: IN_FLIGHT, seconds: Math.round(seconds * 100) / 100, ordersPerSecond: Math.round((BATCH_ORDERS / seconds) * 10) / 10 }, postsRetriedAfter503: retried };
}

/**
 * TableStore requests the emulator serves while orders go through one at a time (the client's long polls
 * and order-notify's stream reads included), per order and by operation: the difference of the emulator's
 * counts by operation (kept in its thread) after and before.
 */
async function countTableRequests(cloud: LocalCloud) {
  const counts = async () => (await cloud.tablestore.emulator.requestLog()).countsByOperation;
  const before = await counts();
  return {
    async stop(orders: number) {
      const after = await counts();
      const byOperation = Object.entries(after).map(([op, n]) => [op, n - (before[op] ?? 0)] as const).filter(([, n]) => n > 0);
      const round = (n: number) => Math.round((n / orders) * 10) / 10;
      const total = byOperation.reduce((sum, [, n]) => sum + n, 0);
      return { total: round(total), ...Object.fromEntries(byOperation.sort(([, a], [, b]) => b - a).map(([op, n]) => [op, round(n)])) };
    },
  };
}

/** The business work alone: the cores in order, in this process, on the in-memory world. */
async function baseline() {
  const world = createOrderWorld([{ productId: PRODUCT, name: 'Mouse', price: 299, stock: { 'wh-hangzhou': { region: 'cn-hangzhou', available: 100_000 } } }]);
  await world.seedStock();
  let keys = 0;
  const one = async () => {
    const t0 = process.hrtime.bigint();
    const { orderId } = await createOrder(orderRequest('success', [{ productId: PRODUCT, qty: 1 }]), `base-${++keys}`, ALICE, world.apiDeps);
    await reserveInventory({ orderId }, world.stepDeps);
    await chargePayment({ orderId, taskToken: world.taskToken(orderId) }, world.stepDeps);
    await world.settlePayments();
    await world.deliverWebhooks();
    await createShipment({ orderId }, world.stepDeps);
    await orderSucceeded({ orderId }, world.stepDeps);
    return Number(process.hrtime.bigint() - t0) / 1e6;
  };
  for (let i = 0; i < 5; i++) await one();
  const latency: number[] = [];
  for (let i = 0; i < LATENCY_ORDERS; i++) latency.push(await one());
  const t0 = Date.now();
  for (let i = 0; i < BATCH_ORDERS; i++) await one();
  const seconds = (Date.now() - t0) / 1000;
  world.table.close();
  return { latency: stats(latency), ordersPerSecond: Math.round((BATCH_ORDERS / seconds) * 10) / 10 };
}

async function main(): Promise<void> {
  const dir = tempDir('bench-orders-');
  const cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: { ...process.env, PAYMENT_CALLBACK_DELAY_MS: '0' }, onLog: (fn, text) => { if (/"level":"(error|warn)"/.test(text)) console.error(fn.resource, text.slice(0, 600)); } });
  try {
    await cloud.runtime.prewarm(cloud.spec.functions.filter((fn) => WARM.includes(fn.resource)).map((fn) => fn.name));
    const e2e = await endToEnd(cloud);
    const base = await baseline();
    const ratio = Math.round((e2e.latency.p50 / base.latency.p50) * 10) / 10;
    const goals: Goal[] = [
      { name: 'POST → SUCCEEDED p50 under 1 s locally', measured: `p50 ${e2e.latency.p50} ms, p99 ${e2e.latency.p99} ms (${ratio}× the business work alone, p50 ${base.latency.p50} ms); ${e2e.tableRequestsPerOrder.total} TableStore requests and ${e2e.cpuMsPerOrder} ms of CPU (the whole local cloud) per order`, met: e2e.latency.p50 < 1000 },
      { name: 'at least 10 orders per second end to end', measured: `${e2e.batch.ordersPerSecond} orders/s (${e2e.batch.orders} orders, ${e2e.batch.inFlight} in flight; the work alone: ${base.ordersPerSecond}/s on one thread)`, met: e2e.batch.ordersPerSecond >= 10 },
    ];
    report({
      name: 'orders',
      description: 'POST /api/orders → SUCCEEDED through the local cloud (saga on the flow engine, sandbox answering at once) vs the same cores in-process',
      results: { endToEnd: e2e, baseline: base, p50Ratio: ratio },
      goals,
    });
  } finally {
    await cloud.stop();
    dir.cleanup();
  }
}

void main();
