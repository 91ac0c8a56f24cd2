import { objectStoreFor } from '#shared/aliyun/deps/object-store';
import { tableFor } from '#shared/aliyun/deps/table';
import { parseOssEvent } from '#shared/contracts/oss-event';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { systemClock } from '#shared/ports/clock';
import { catalogThumbnails, type CatalogDeps } from './core';

export const createHandler =
  (deps: (fc: FcContext) => Omit<CatalogDeps, 'log'>): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    return catalogThumbnails(parseOssEvent(event).events, { ...deps(context), log });
  };

export const handler = createHandler((fc) => ({ objects: objectStoreFor(fc, process.env.MEDIA_BUCKET ?? ''), table: tableFor(fc), clock: systemClock }));
