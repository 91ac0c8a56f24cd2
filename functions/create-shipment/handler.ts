import { tableFor } from '#shared/aliyun/deps/table';
import { StepInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import type { FcContext } from '#shared/fc/types';
import type { StepDeps } from '#shared/orders/step-deps';
import { systemClock } from '#shared/ports/clock';
import { createShipment } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<StepDeps, 'log'>) => createStepHandler(StepInput, (input, { fc, log }) => createShipment(input, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock }));
