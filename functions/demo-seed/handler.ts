import * as z from 'zod';
import { tableFor } from '#shared/aliyun/deps/table';
import { createServiceHandler } from '#shared/fc/service';
import type { FcContext } from '#shared/fc/types';
import { systemClock } from '#shared/ports/clock';
import { seedDemoData, type SeedDeps } from './core';

export const createHandler = (deps: (fc: FcContext) => SeedDeps) =>
  createServiceHandler(z.object({ op: z.literal('seed').default('seed') }), async (_req, ctx) => {
    const result = await seedDemoData(deps(ctx.fc));
    ctx.log.info(result, 'demo data seeded');
    return result;
  });

export const handler = createHandler((fc) => ({ table: tableFor(fc), clock: systemClock }));
