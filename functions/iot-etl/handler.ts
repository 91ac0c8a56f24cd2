import { tableFor } from '#shared/aliyun/deps/table';
import { parseMnsQueueEvent } from '#shared/contracts/mns-events';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { processReadings, type EtlDeps } from './core';

/**
 * The `iot-readings` queue trigger (eventbridge, event-streaming): one batch of messages per invocation.
 * Messages that could not be processed fail the invocation once the rest is stored, so the batch comes back
 * and such a message ends in `iot-readings-dlq` after the queue's MaxReceiveCount (D35).
 */
export const createHandler =
  (deps: (fc: FcContext) => EtlDeps): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    const records = parseMnsQueueEvent(event).map((m) => ({ messageId: m.messageId, body: m.body }));
    const result = await processReadings(records, deps(context));
    const { failed, ...counts } = result;
    log.info(counts, 'readings stored');
    if (failed.length) {
      log.error({ failed }, 'messages could not be processed');
      throw new Error(`${failed.length} of ${records.length} message(s) could not be processed (${failed[0]!.messageId}: ${failed[0]!.reason}); the others are stored`);
    }
    return counts;
  };

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock }));
