import { objectStoreFor } from '#shared/aliyun/deps/object-store';
import { tableFor } from '#shared/aliyun/deps/table';
import { parseOssEvent } from '#shared/contracts/oss-event';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { imageEngineFromEnv } from '#shared/images/engine';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { processUploads, type ThumbnailDeps } from './core';

export const createHandler =
  (deps: (fc: FcContext) => Promise<Omit<ThumbnailDeps, 'log'>>): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    return processUploads(parseOssEvent(event).events, { ...(await deps(context)), log });
  };

export const handler = createHandler(async (fc) => ({
  objects: objectStoreFor(fc, process.env.MEDIA_BUCKET ?? ''),
  table: tableFor(fc),
  engine: await imageEngineFromEnv(),
  clock: systemClock,
}));
