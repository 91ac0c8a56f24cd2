import { ChargeInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import type { FcContext } from '#shared/fc/types';
import { chargePayment, type ChargeDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<ChargeDeps, 'log'>) => createStepHandler(ChargeInput, (input, { fc, log }) => chargePayment(input, { ...deps(fc), log }));
