import { queueFor } from '#shared/aliyun/deps/queue';
import { tableFor } from '#shared/aliyun/deps/table';
import { createHttpHandler, json } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { secretBoxFromEnv } from '#shared/iot/env';
import { systemClock } from '#shared/ports/clock';
import { DeviceCache, DeviceRateLimiter, ingest, type IngestDeps } from './core';

/** `POST /api/iot/events`: a device's signed readings → 202 once they are in MNS queue `iot-readings` (D34). */
export const createHandler = (deps: (fc: FcContext) => IngestDeps) =>
  createHttpHandler([
    {
      method: 'POST',
      path: '/api/iot/events',
      handle: async (req, { fc, log }) => {
        const result = await ingest({ headers: req.headers, body: req.body, requestId: req.requestId }, deps(fc));
        if (result.rejected.length) log.info({ deviceId: req.headers['x-device-id'], accepted: result.accepted, rejected: result.rejected.length, first: result.rejected[0] }, 'readings rejected');
        return json(202, result, { 'cache-control': 'no-store' });
      },
    },
  ]);

// Opened device secrets outlive an invocation: FC reuses the instance.
const devices = new DeviceCache(systemClock);
const limiter = new DeviceRateLimiter();

export const handler = createHandler((fc) => ({
  table: tableFor(fc),
  queue: queueFor(fc),
  queueName: process.env.IOT_READINGS_QUEUE || 'iot-readings',
  clock: systemClock,
  secrets: secretBoxFromEnv(),
  devices,
  limiter,
}));
