import type { AuthUser } from '#shared/auth';
import { executionNameOf, SANDBOX_CARDS, type OrderRequest, type OrderView, type SandboxScenario } from '#shared/contracts/orders';
import { ALL_TABLES } from '#shared/contracts/tables';
import { deadlineIn } from '#shared/deadline';
import type { FcHandler } from '#shared/fc/types';
import { newId } from '#shared/ids';
import { createLogger } from '#shared/log';
import { findOrder } from '#shared/orders/order-book';
import { SandboxPaymentProvider } from '#shared/payments/sandbox-provider';
import { ManualClock, manualSleep } from '#shared/ports/clock';
import type { HttpClient } from '#shared/ports/http-client';
import type { WorkflowClient } from '#shared/ports/workflow-client';
import type { OrderApiDeps } from '../../functions/order-api/core';
import { createHandler as createCallbackHandler } from '../../functions/payment-callback/handler';
import { createHandler as createSandboxHandler } from '../../functions/payment-sandbox/handler';
import { createHandler as createWebhookHandler } from '../../functions/payment-webhook/handler';
import { putStock } from '../../functions/product-inventory/core';
import { FakeFc } from './fake-fc';
import { FakeWorkflowClient } from './fake-workflow';
import { fakeContext, httpEvent } from './fakes';
import { createMemoryTable, type MemoryTable } from './memory-table';

/**
 * Everything the order flow's cores talk to, in memory: the tables (the memory Table), FC (real sandbox,
 * webhook and callback handlers behind FakeFc; the product services as small fakes), the workflow client,
 * the clock. Webhooks the sandbox's settlement jobs post are kept in `webhooks` and delivered to the real
 * payment-callback handler by `deliverWebhooks()`.
 */
export const ALICE: AuthUser = { username: 'alice', role: 'user', displayName: 'Alice' };
export const BOB: AuthUser = { username: 'bob', role: 'user', displayName: 'Bob' };
export const ADMIN: AuthUser = { username: 'admin', role: 'admin', displayName: 'Admin' };
export const WEBHOOK_SECRET = 'test-webhook-secret-0123456789';

export interface TestProduct {
  productId: string;
  name: string;
  price: number;
  promotion?: { kind: 'percent' | 'amount'; value: number };
  stock: Record<string, { region: string; available: number }>;
  shippingFee?: number;
}

export const PRODUCTS: TestProduct[] = [
  { productId: 'p-kettle', name: 'Kettle', price: 300, promotion: { kind: 'percent', value: 10 }, stock: { 'wh-hangzhou': { region: 'cn-hangzhou', available: 5 }, 'wh-beijing': { region: 'cn-beijing', available: 3 } } },
  { productId: 'p-mug', name: 'Mug', price: 40, stock: { 'wh-hangzhou': { region: 'cn-hangzhou', available: 10 } } },
  { productId: 'p-rare', name: 'Rare vase', price: 999, stock: { 'wh-hangzhou': { region: 'cn-hangzhou', available: 10 } } },
];

export function orderRequest(card: SandboxScenario | string = 'success', items: { productId: string; qty: number }[] = [{ productId: 'p-kettle', qty: 1 }], postcode = '310000'): OrderRequest {
  return {
    items,
    address: { name: 'Alice Wang', line1: '1 West Lake Rd', city: 'Hangzhou', postcode, country: 'CN' },
    card: { number: card in SANDBOX_CARDS ? SANDBOX_CARDS[card as SandboxScenario] : card, expMonth: 12, expYear: 2030, cvc: '123' },
  };
}

export function createOrderWorld(products: TestProduct[] = PRODUCTS) {
  const clock = new ManualClock();
  const sleep = manualSleep(clock);
  const table: MemoryTable = createMemoryTable(ALL_TABLES, clock);
  const log = createLogger({ test: 'orders' });
  const fake = new FakeWorkflowClient(['order-saga'], () => clock.now());
  // Steps and the callback reach the workflow through this; a flow test points it at the engine's test bed.
  const route: { target: WorkflowClient } = { target: fake };
  const workflow: WorkflowClient & { fake: FakeWorkflowClient } = {
    fake,
    startExecution: (flowName, name, input) => route.target.startExecution(flowName, name, input),
    describeExecution: (flowName, name) => route.target.describeExecution(flowName, name),
    reportTaskSucceeded: (token, output) => route.target.reportTaskSucceeded(token, output),
    reportTaskFailed: (token, error, cause) => route.target.reportTaskFailed(token, error, cause),
  };
  const webhooks: { url: string; body: string; headers: Record<string, string> }[] = [];
  const http: HttpClient = {
    async post(url, body, headers) {
      webhooks.push({ url, body, headers });
      return { status: 200, body: '{}' };
    },
  };
  const byId = new Map(products.map((p) => [p.productId, p]));
  const service =
    (answer: (p: TestProduct, region: string) => unknown): FcHandler =>
    async (event) => {
      const { productId, region } = JSON.parse(event.toString()) as { productId: string; region: string };
      const product = byId.get(productId);
      return product ? { ok: true, data: answer(product, region) } : { ok: false, error: { code: 'NotFound', message: `no ${productId}` } };
    };
  const fc = new FakeFc({
    info: service((p) => ({ productId: p.productId, name: p.name, brand: 'B', category: 'C', summary: 's', description: 'd', images: [], specs: {}, tags: [] })),
    price: service((p, region) => ({ productId: p.productId, region, currency: 'CNY', listPrice: p.price, price: p.price })),
    sales: service((p) => ({ productId: p.productId, soldLast30Days: 1, promotions: p.promotion ? [{ promoId: 'promo', title: 'Promo', ...p.promotion, endsAt: '2099-01-01T00:00:00Z' }] : [] })),
    shipping: service((p, region) => ({ productId: p.productId, region, carrier: 'SF Express', currency: 'CNY', fee: p.shippingFee ?? 8, freeOver: 99, etaDays: { min: 1, max: 2 } })),
  });
  fc.register(
    'sandbox',
    createSandboxHandler(() => ({ table, clock, newId, invoker: fc, settlementFunctionName: 'sandbox-webhook' })),
  );
  fc.register(
    'sandbox-webhook',
    createWebhookHandler(() => ({ table, clock, sleep, http, webhookUrl: 'http://shop.test/api/payments/callback', webhookSecret: WEBHOOK_SECRET, callbackDelayMs: 300, deadline: deadlineIn(30_000, clock) })),
  );
  const payments = new SandboxPaymentProvider(fc, 'sandbox');
  const callback = createCallbackHandler(() => ({ table, workflow, clock, webhookSecret: WEBHOOK_SECRET }));

  const world = {
    /** Send the steps' and the callback's workflow calls to another client (the flow engine's test bed). */
    routeWorkflow(target: WorkflowClient): void {
      route.target = target;
    },
    /** StartExecution calls the fake workflow client saw. */
    starts: () => fake.calls.filter((c) => c.op === 'startExecution').map(({ args: [flowName, executionName, input] }) => ({ flowName, executionName, input })),
    /** Task reports it saw (also those it refused), as `{token, outcome, …}`. */
    reports: () =>
      fake.calls
        .filter((c) => c.op.startsWith('reportTask'))
        .map((c) => (c.op === 'reportTaskSucceeded' ? { token: c.args[0], outcome: 'succeeded', output: c.args[1] } : { token: c.args[0], outcome: 'failed', error: c.args[1], cause: c.args[2] })),
    /** The token a ChargePayment task of this order's execution would get (one per attempt). */
    taskToken: (orderId: string) => fake.issueToken('order-saga', executionNameOf(orderId)),
    /** The order's execution stops waiting (its task timed out and the flow went on). */
    timeOut: (orderId: string) => fake.finish('order-saga', executionNameOf(orderId), 'TimedOut'),
    clock,
    sleep,
    table,
    log,
    workflow,
    fc,
    payments,
    webhooks,
    apiDeps: {
      table,
      workflow,
      flowName: 'order-saga',
      invoker: fc,
      services: { info: 'info', price: 'price', sales: 'sales', shipping: 'shipping' },
      payments,
      clock,
      sleep,
      newId: (prefix: string) => newId(prefix, clock.now()),
      log,
    } satisfies OrderApiDeps,
    stepDeps: { table, clock, sleep, log, payments, workflow, random: () => 0.5 },
    async seedStock(): Promise<void> {
      for (const p of products) for (const [warehouse, s] of Object.entries(p.stock)) await putStock(p.productId, warehouse, s.region, s.available, { table });
    },
    /** Run the sandbox's queued settlement jobs (webhooks are then in `webhooks`). */
    settlePayments: () => fc.drainAsync(),
    /** POST every collected webhook to payment-callback, as the provider would; answers the status codes. */
    async deliverWebhooks(): Promise<number[]> {
      const statuses: number[] = [];
      for (let hook = webhooks.shift(); hook; hook = webhooks.shift()) {
        const res = (await callback(httpEvent('POST', '/api/payments/callback', { body: hook.body, headers: hook.headers }), fakeContext())) as { statusCode: number };
        statuses.push(res.statusCode);
      }
      return statuses;
    },
    callback,
    async view(orderId: string): Promise<OrderView> {
      const order = await findOrder(table, orderId);
      if (!order) throw new Error(`no order ${orderId}`);
      return order.view;
    },
  };
  return world;
}

export type OrderWorld = ReturnType<typeof createOrderWorld>;
