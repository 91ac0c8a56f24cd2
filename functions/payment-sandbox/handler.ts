import { invokerFor } from '#shared/aliyun/deps/invoker';
import { tableFor } from '#shared/aliyun/deps/table';
import { ProviderRequest } from '#shared/contracts/orders';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { newId } from '#shared/ids';
import { systemClock } from '#shared/ports/clock';
import { handleProviderRequest, type SandboxDeps } from './core';

/** The sandbox's API is FC InvokeFunction with `{op, …}` payloads, answered with the services' `{ok, data}` envelope. */
export const createHandler = (deps: (fc: FcContext) => Omit<SandboxDeps, 'log'>) => createServiceHandler(ProviderRequest, (request, { fc, log }) => handleProviderRequest(request, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  clock: systemClock,
  newId,
  invoker: invokerFor(fc),
  settlementFunctionName: process.env.PAYMENT_WEBHOOK_FUNCTION ?? '',
}));
