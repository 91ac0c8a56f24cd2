import { searchIndexFor } from '#shared/aliyun/deps/search-index';
import { tableFor } from '#shared/aliyun/deps/table';
import { parseTableStreamEvent } from '#shared/contracts/table-stream';
import type { FcContext, FcHandler } from '#shared/fc/types';
import { createLogger } from '#shared/log';
import { indexImages, type IndexDeps } from './core';

export const createHandler =
  (deps: (fc: FcContext) => Omit<IndexDeps, 'log'>): FcHandler =>
  async (event, context) => {
    const log = createLogger({ requestId: context.requestId });
    return indexImages(parseTableStreamEvent(event), { ...deps(context), log });
  };

export const handler = createHandler((fc) => ({ table: tableFor(fc), search: searchIndexFor(fc) }));
