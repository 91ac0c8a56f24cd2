import { tableFor } from '#shared/aliyun/deps/table';
import { StepInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import type { FcContext } from '#shared/fc/types';
import type { StockStepDeps } from '#shared/orders/step-deps';
import { realSleep, systemClock } from '#shared/ports/clock';
import { reserveInventory } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<StockStepDeps, 'log'>) => createStepHandler(StepInput, (input, { fc, log }) => reserveInventory(input, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock, sleep: realSleep }));
