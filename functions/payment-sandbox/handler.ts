import { fetchHttpClient } from '#shared/adapters/fetch-http-client';
import { invokerFor } from '#shared/aliyun/deps/invoker';
import { tableFor } from '#shared/aliyun/deps/table';
import { ProviderRequest } from '#shared/contracts/orders';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { newId } from '#shared/ids';
import { realSleep, systemClock } from '#shared/ports/clock';
import { handleProviderRequest, type SandboxDeps } from './core';

/** The sandbox's API is FC InvokeFunction with `{op, …}` payloads, answered with the services' `{ok, data}` envelope. */
export const createHandler = (deps: (fc: FcContext) => Omit<SandboxDeps, 'log'>) => createServiceHandler(ProviderRequest, (request, { fc, log }) => handleProviderRequest(request, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  clock: systemClock,
  sleep: realSleep,
  newId,
  invoker: invokerFor(fc),
  selfFunctionName: process.env.FC_FUNCTION_NAME ?? fc.function.name,
  http: fetchHttpClient,
  webhookUrl: `${process.env.API_BASE_URL ?? ''}/api/payments/callback`,
  webhookSecret: process.env.PAYMENT_WEBHOOK_SECRET ?? '',
  callbackDelayMs: Number(process.env.PAYMENT_CALLBACK_DELAY_MS ?? 300),
}));
