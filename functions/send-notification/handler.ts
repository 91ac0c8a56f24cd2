import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { sendNotification, type SendDeps } from './core';

/** The message body as the `mns_topic` trigger delivers it: the published JSON text. */
export const createHandler =
  (deps: (fc: FcContext) => Omit<SendDeps, 'log'>, messageOf: (event: Buffer) => unknown): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    return sendNotification(messageOf(event), { ...deps(context), log });
  };
