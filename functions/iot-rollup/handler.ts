import { tableFor } from '#shared/aliyun/deps/table';
import { topicFor } from '#shared/aliyun/deps/topic';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { runRollup, type RollupDeps } from './core';

/**
 * The rollup timer (every minute; "run now" from the local console): 1-minute and 1-hour rollups, alert
 * rules, `alerts` topic messages (D35). A run that could not publish every alert fails after its work is
 * saved, so FC's retry (and the next minute's run) publishes the rest.
 */
export const createHandler =
  (deps: (fc: FcContext) => RollupDeps): FcHandler =>
  async (_event, context) => {
    const log = createLogger({ requestId: context.requestId });
    const result = await runRollup(deps(context));
    log.info({ ...result, from: new Date(result.from).toISOString(), to: new Date(result.to).toISOString() }, 'rollup done');
    if (result.notifyFailures > 0) throw new Error(`${result.notifyFailures} alert message(s) could not be published; the next run tries again`);
    return result;
  };

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  topic: topicFor(fc),
  topicName: process.env.IOT_ALERTS_TOPIC || 'alerts',
  clock: systemClock,
}));
