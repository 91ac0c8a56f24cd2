import { paymentsFor } from '#shared/aliyun/deps/payments';
import { invocationDeadline } from '#shared/deadline';
import { tableFor } from '#shared/aliyun/deps/table';
import { StepInput } from '#shared/contracts/orders';
import { createStepHandler } from '#shared/fc/step';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { refundPayment, type RefundDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => Omit<RefundDeps, 'log'>) => createStepHandler(StepInput, (input, { fc, log }) => refundPayment(input, { ...deps(fc), log }));

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock, payments: paymentsFor(fc, { deadline: invocationDeadline(fc, systemClock) }) }));
