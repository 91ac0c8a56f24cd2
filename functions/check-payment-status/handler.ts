import { StepInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import type { FcContext } from '#shared/fc/types';
import { checkPaymentStatus, type CheckDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<CheckDeps, 'log'>) => createStepHandler(StepInput, (input, { fc, log }) => checkPaymentStatus(input, { ...deps(fc), log }));
