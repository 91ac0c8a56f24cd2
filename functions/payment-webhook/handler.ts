import { fetchHttpClient } from '#shared/adapters/fetch-http-client';
import { tableFor } from '#shared/aliyun/deps/table';
import { SettlementJob } from '#shared/contracts/orders';
import { invocationDeadline } from '#shared/deadline';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { realSleep, systemClock } from '#shared/ports/clock';
import { settle, type WebhookDeps } from './core';

/** Invoked asynchronously by `payment-sandbox` with `{chargeId}`; a thrown error is a function error, which FC retries. */
export const createHandler = (deps: (fc: FcContext) => Omit<WebhookDeps, 'log'>) => createServiceHandler(SettlementJob, (job, { fc, log }) => settle(job.chargeId, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  clock: systemClock,
  sleep: realSleep,
  http: fetchHttpClient,
  webhookUrl: `${process.env.API_BASE_URL ?? ''}/api/payments/callback`,
  webhookSecret: process.env.PAYMENT_WEBHOOK_SECRET ?? '',
  callbackDelayMs: Number(process.env.PAYMENT_CALLBACK_DELAY_MS ?? 300),
  deadline: invocationDeadline(fc, systemClock),
}));
