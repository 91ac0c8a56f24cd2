import * as z from 'zod';
import { queryInt } from '../contracts/query';
import { queryParams, type HttpRequest } from './http';
import type { ServiceHttpFace } from './service';

/** The face's query: a region, and a page size for the services that take one; nothing else. */
const RegionQuery = z.strictObject({ region: z.string().optional() });
const RegionLimitQuery = RegionQuery.extend({ limit: queryInt(1).optional() });

/**
 * The HTTP face every product service shares: `GET /<productId>?region=…[&limit=…]` on the function's
 * own trigger URL answers the same `get` operation the BFF calls through InvokeFunction (whose schema then
 * checks the region and the limit's range).
 */
export function getByIdOverHttp(defaultLimit?: number): ServiceHttpFace {
  return {
    path: '/:productId',
    toRequest: (req: HttpRequest) => {
      const { region, limit }: { region?: string | undefined; limit?: number | undefined } = queryParams(req, defaultLimit === undefined ? RegionQuery : RegionLimitQuery);
      return {
        op: 'get',
        productId: req.params.productId,
        ...(region ? { region } : {}),
        ...(defaultLimit !== undefined ? { limit: limit ?? defaultLimit } : {}),
      };
    },
  };
}
