import { tableFor } from '#shared/aliyun/deps/table';
import { workflowClientFor } from '#shared/aliyun/deps/workflow';
import { WEBHOOK_SIGNATURE_HEADER } from '#shared/contracts/orders';
import { createHttpHandler, json } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { handleWebhook, type CallbackDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<CallbackDeps, 'log'>) =>
  createHttpHandler([
    {
      method: 'POST',
      path: '/api/payments/callback',
      handle: async (req, { fc, log }) => json(200, await handleWebhook(req.body, req.headers[WEBHOOK_SIGNATURE_HEADER], { ...deps(fc), log }), { 'cache-control': 'no-store' }),
    },
  ]);

export const handler = createHandler((fc) => ({ table: tableFor(fc), workflow: workflowClientFor(fc), clock: systemClock, webhookSecret: process.env.PAYMENT_WEBHOOK_SECRET ?? '' }));
