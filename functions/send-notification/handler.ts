import { tableFor } from '#shared/aliyun/deps/table';
import { parseMnsTopicEvent } from '#shared/contracts/mns-events';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { parseJson } from '#shared/validation';
import { sendNotification, type SendDeps } from './core';

/** The `mns_topic` trigger's event (STREAM or JSON format) carries the published notification as its body. */
export const createHandler =
  (deps: (fc: FcContext) => Omit<SendDeps, 'log'>): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    const message = parseMnsTopicEvent(event);
    return sendNotification(parseJson(message.body, 'message'), { ...deps(context), log });
  };

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock }));
