import { tableFor } from '#shared/aliyun/deps/table';
import { topicFor } from '#shared/aliyun/deps/topic';
import { parseTableStreamEvent } from '#shared/contracts/table-stream';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { publishOrderEvents, RecentOrderLogs, type NotifyDeps } from './core';

/** Kept for the instance's life: FC reuses an instance for the stream's next batches. */
const recent = new RecentOrderLogs();

export const createHandler =
  (deps: (fc: FcContext) => Omit<NotifyDeps, 'log'>): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    return publishOrderEvents(parseTableStreamEvent(event), { recent, ...deps(context), log });
  };

export const handler = createHandler((fc) => ({ table: tableFor(fc), topic: topicFor(fc), ...(process.env.ORDER_EVENTS_TOPIC ? { topicName: process.env.ORDER_EVENTS_TOPIC } : {}) }));
