import { join } from 'node:path';
import { ChargeStatus, PaymentWebhook, SANDBOX_CARDS } from '#shared/contracts/orders';
import { deadlineIn } from '#shared/deadline';
import { ValidationError } from '#shared/errors';
import { newId } from '#shared/ids';
import { createLogger } from '#shared/log';
import { PaymentProviderUnavailable } from '#shared/orders/errors';
import { SandboxPaymentProvider } from '#shared/payments/sandbox-provider';
import { verifyWebhook } from '#shared/payments/webhook-signature';
import type { HttpClient } from '#shared/ports/http-client';
import { brandOf, scenarioOf } from '../../functions/payment-sandbox/core';
import { createHandler } from '../../functions/payment-sandbox/handler';
import { DELIVERY_RESERVE_MS } from '../../functions/payment-webhook/core';
import { createHandler as createWebhookHandler } from '../../functions/payment-webhook/handler';
import { loadSpec } from '../../scripts/local/spec/load';
import { ALL_TABLES } from '#shared/contracts/tables';
import { ManualClock } from '#shared/ports/clock';
import { FakeFc } from '../helpers/fake-fc';
import { createMemoryTable } from '../helpers/memory-table';

/**
 * The payment sandbox as a provider: tokens instead of card numbers, idempotent charges, asynchronous
 * settlement after the configured delay with a signed webhook (a job of its own function, payment-webhook),
 * the four test cards, cancel and refund, and webhook delivery that FC retries until the shop has it.
 */
const SECRET = 'sandbox-test-secret-0123456789';
const card = (number: string, expYear = 2030) => ({ number, expMonth: 6, expYear, cvc: '123' });

function setup(answer: (n: number) => number = () => 200) {
  const clock = new ManualClock();
  const table = createMemoryTable(ALL_TABLES, clock);
  const posts: { body: string; headers: Record<string, string>; timeoutMs: number | undefined }[] = [];
  const slept: number[] = [];
  const http: HttpClient = {
    async post(_url, body, headers, options) {
      posts.push({ body, headers, timeoutMs: options?.timeoutMs });
      return { status: answer(posts.length), body: '' };
    },
  };
  const fc = new FakeFc({});
  fc.register('sandbox', createHandler(() => ({ table, clock, newId, invoker: fc, settlementFunctionName: 'webhooks', log: createLogger() })));
  fc.register(
    'webhooks',
    createWebhookHandler(() => ({ table, clock, sleep: async (ms: number) => void slept.push(ms), http, webhookUrl: 'http://shop/cb', webhookSecret: SECRET, callbackDelayMs: 300, deadline: deadlineIn(30_000, clock), log: createLogger() })),
  );
  return { clock, table, fc, posts, slept, provider: new SandboxPaymentProvider(fc, 'sandbox') };
}

describe('payment sandbox', () => {
  it('knows its test cards and brands', () => {
    expect(Object.values(SANDBOX_CARDS).map(scenarioOf)).toEqual(['success', 'decline', 'noCallback', 'transient']);
    expect(scenarioOf('5555555555554444')).toBe('success');
    expect(['4242424242424242', '5555555555554444', '378282246310005', '6200000000000005', '9999999999999995'].map(brandOf)).toEqual(['Visa', 'Mastercard', 'American Express', 'UnionPay', 'Card']);
  });

  it('tokenizes a card and refuses an expired one', async () => {
    const { provider, table } = setup();
    const method = await provider.tokenize(card(SANDBOX_CARDS.success));
    expect(method).toEqual({ paymentMethodId: expect.stringMatching(/^pm_/), brand: 'Visa', last4: '4242' });
    expect(JSON.stringify(await table.getRow('payment_sandbox', { id: method.paymentMethodId }))).not.toContain('4242424242424242');
    await expect(provider.tokenize(card(SANDBOX_CARDS.success, 2020))).rejects.toThrow(ValidationError);
  });

  it('charges once per key, settles after the delay and posts a signed webhook', async () => {
    const { provider, fc, posts, slept, clock } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const request = { paymentMethodId, amount: 99.5, currency: 'CNY' as const, idempotencyKey: 'order-1', metadata: { orderId: 'ord_1' } };
    const first = await provider.charge(request);
    const again = await provider.charge(request);
    expect(again.chargeId).toBe(first.chargeId);
    expect(first).toMatchObject({ status: 'pending', amount: 99.5, metadata: { orderId: 'ord_1' } });
    expect(posts).toEqual([]);
    await fc.drainAsync();
    expect(slept).toContain(300);
    expect((await provider.getCharge(first.chargeId)).status).toBe('succeeded');
    // The pending charge was scheduled twice (once per request); both jobs post the same delivery id.
    const hooks = posts.map((p) => PaymentWebhook.parse(JSON.parse(p.body)));
    expect(new Set(hooks.map((h) => h.id)).size).toBe(1);
    expect(hooks[0]).toMatchObject({ type: 'charge.succeeded', data: { chargeId: first.chargeId, status: 'succeeded' } });
    expect(() => verifyWebhook(SECRET, Buffer.from(posts[0]!.body), posts[0]!.headers['x-sandbox-signature'], clock.now())).not.toThrow();
  });

  it('counts the time its job waited in the queue toward the delay: a late job settles at once, an early one sleeps the rest', async () => {
    const { provider, fc, posts, slept, clock } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const late = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'late', metadata: {} });
    // The job starts 450 ms after the charge (FC's async queue was busy): the 300 ms are over, no instance sleeps.
    clock.advance(450);
    await fc.drainAsync();
    expect(slept).toEqual([]);
    expect((await provider.getCharge(late.chargeId)).status).toBe('succeeded');
    expect(posts).toHaveLength(1);

    const early = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'early', metadata: {} });
    clock.advance(120);
    await fc.drainAsync();
    expect(slept).toEqual([180]);
    expect((await provider.getCharge(early.chargeId)).status).toBe('succeeded');
  });

  it('answers at once and leaves the waiting to its settlement job, on payment-webhook: no caller waits behind a job', async () => {
    const { provider, fc, slept } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    expect(slept).toEqual([]);
    // The job goes to the settlement function, never to the provider's own API function.
    expect(fc.calls.filter((c) => c.invocationType === 'Async')).toEqual([{ functionName: 'webhooks', payload: { chargeId: charge.chargeId }, invocationType: 'Async' }]);
    expect(fc.calls.filter((c) => c.functionName === 'sandbox').every((c) => c.invocationType === 'Sync')).toBe(true);
    // The provider's API has no job of its own to run.
    const settle = await fc.run('sandbox', Buffer.from(JSON.stringify({ op: 'settle', chargeId: charge.chargeId })));
    expect(JSON.parse(settle.body.toString())).toMatchObject({ ok: false, error: { code: 'ValidationError' } });
  });

  it('waits for a slow shop as long as the job may run (its deadline), not a fixed few seconds', async () => {
    const { provider, fc, posts } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    await fc.drainAsync();
    expect(posts[0]?.timeoutMs).toBe(30_000 - DELIVERY_RESERVE_MS);
  });

  it('s.yaml: the job runs on its own function with FC retries and a dead-letter queue, and outwaits payment-callback', () => {
    const spec = loadSpec(join(__dirname, '..', '..', 's.yaml'), {});
    const fn = (resource: string) => spec.functions.find((f) => f.resource === resource)!;
    const [sandbox, webhook, callback] = [fn('payment-sandbox'), fn('payment-webhook'), fn('payment-callback')];
    expect(sandbox.environment.PAYMENT_WEBHOOK_FUNCTION).toBe(webhook.name);
    expect(sandbox.asyncInvokeConfig).toBeUndefined();
    expect(webhook.asyncInvokeConfig).toMatchObject({ maxAsyncRetryAttempts: 3, onFailure: { kind: 'mns-queue', queue: 'fcsuite-dev-payment-webhook-dlq' } });
    // The delay, then payment-callback's whole timeout (it may be busy too), within the job's own timeout.
    const delayMs = Number(webhook.environment.PAYMENT_CALLBACK_DELAY_MS);
    expect(webhook.timeout * 1000 - delayMs - DELIVERY_RESERVE_MS).toBeGreaterThan(callback.timeout * 1000);
  });

  it('declines the decline card with a charge.failed webhook', async () => {
    const { provider, fc, posts } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.decline));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    await fc.drainAsync();
    expect(await provider.getCharge(charge.chargeId)).toMatchObject({ status: 'failed', failureCode: 'card_declined' });
    expect(JSON.parse(posts[0]!.body)).toMatchObject({ type: 'charge.failed' });
  });

  it('never settles the no-callback card; cancel voids it, and it stays voided', async () => {
    const { provider, fc, posts } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.noCallback));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    await fc.drainAsync();
    expect(posts).toEqual([]);
    expect((await provider.getCharge(charge.chargeId)).status).toBe('pending');
    expect((await provider.cancel(charge.chargeId)).status).toBe('canceled');
    expect((await provider.refund(charge.chargeId, 'r')).status).toBe('canceled');
  });

  it('is unavailable twice per key for the transient card, then charges', async () => {
    const { provider } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.transient));
    const request = { paymentMethodId, amount: 10, currency: 'CNY' as const, idempotencyKey: 'k', metadata: {} };
    await expect(provider.charge(request)).rejects.toThrow(PaymentProviderUnavailable);
    await expect(provider.charge(request)).rejects.toThrow(PaymentProviderUnavailable);
    expect((await provider.charge(request)).status).toBe('pending');
    expect((await provider.charge({ ...request, idempotencyKey: 'other' }).catch((e: Error) => e.name))).toBe('PaymentProviderUnavailable');
  });

  it('refunds a succeeded charge once; a pending one cannot be refunded', async () => {
    const { provider, fc } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    expect((await provider.refund(charge.chargeId, 'r')).status).toBe('pending');
    await fc.drainAsync();
    const refunded = await provider.refund(charge.chargeId, 'r');
    expect(refunded).toMatchObject({ status: 'refunded', refundId: expect.stringMatching(/^re_/) });
    expect(await provider.refund(charge.chargeId, 'r')).toEqual(refunded);
    expect(ChargeStatus.options).toContain(refunded.status);
  });

  it('fails the settlement job while the shop does not take the webhook (FC retries it); 409 counts as delivered', async () => {
    const { provider, fc, posts } = setup((n) => (n === 1 ? 503 : n === 2 ? 409 : 200));
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    const [first] = await fc.drainAsync();
    expect(first?.functionError).toBeDefined();
    const retried = await fc.run('webhooks', Buffer.from(JSON.stringify({ chargeId: charge.chargeId })));
    expect(retried.functionError).toBeUndefined();
    expect(posts).toHaveLength(2);
  });

  it('settles nothing for a charge canceled during the delay', async () => {
    const { provider, fc, posts, table, clock } = setup();
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    const charge = await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} });
    // The shop voids the charge while the job waits out the delay.
    fc.register('webhooks', createWebhookHandler(() => ({ table, clock, sleep: () => provider.cancel(charge.chargeId).then(() => undefined), http: { post: async () => ({ status: 200, body: '' }) }, webhookUrl: 'http://shop/cb', webhookSecret: SECRET, callbackDelayMs: 300, deadline: deadlineIn(30_000, clock), log: createLogger() })));
    await fc.drainAsync();
    expect(posts).toEqual([]);
    expect((await provider.getCharge(charge.chargeId)).status).toBe('canceled');
  });

  it('lets each call wait as long as its caller has time (a budget worked out per call), or as the call asks', async () => {
    const { fc, clock } = setup();
    const timeouts: (number | undefined)[] = [];
    const recording = { invoke: (name: string, payload: object, options: { timeoutMs?: number } = {}) => (timeouts.push(options.timeoutMs), fc.invoke(name, payload, options)) };
    const deadline = deadlineIn(20_000, clock);
    const provider = new SandboxPaymentProvider(recording, 'sandbox', () => deadline.remainingMs() - 2_000);
    const { paymentMethodId } = await provider.tokenize(card(SANDBOX_CARDS.success));
    clock.advance(15_000);
    await provider.charge({ paymentMethodId, amount: 10, currency: 'CNY', idempotencyKey: 'k', metadata: {} }, {});
    await provider.getCharge('ch_none', { timeoutMs: 1_234 }).catch(() => undefined);
    expect(timeouts).toEqual([18_000, 3_000, 1_234]);
  });

  it('reports a crash or an unreachable sandbox as unavailable (retryable), never as a decline', async () => {
    const broken = new SandboxPaymentProvider({ invoke: () => Promise.reject(new Error('connect ECONNREFUSED 127.0.0.1:9000')) }, 'sandbox');
    await expect(broken.getCharge('ch_1')).rejects.toThrow(PaymentProviderUnavailable);
    const crashing = new FakeFc({ sandbox: () => Promise.reject(new TypeError('boom')) });
    await expect(new SandboxPaymentProvider(crashing, 'sandbox').getCharge('ch_1')).rejects.toThrow(PaymentProviderUnavailable);
  });
});
