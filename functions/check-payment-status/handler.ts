import { StepInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import { paymentsFor } from '#shared/aliyun/deps/payments';
import { invocationDeadline } from '#shared/deadline';
import { tableFor } from '#shared/aliyun/deps/table';
import { workflowClientFor } from '#shared/aliyun/deps/workflow';
import { systemClock } from '#shared/ports/clock';
import type { FcContext } from '#shared/fc/types';
import { checkPaymentStatus, type CheckDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<CheckDeps, 'log'>) => createStepHandler(StepInput, (input, { fc, log }) => checkPaymentStatus(input, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock, payments: paymentsFor(fc, { deadline: invocationDeadline(fc, systemClock) }), workflow: workflowClientFor(fc) }));
