import type { HttpRequest } from './http';
import type { ServiceHttpFace } from './service';

/**
 * The HTTP face every product service shares: `GET /<productId>?region=…[&limit=…]` on the function's
 * own trigger URL answers the same `get` operation the BFF calls through InvokeFunction.
 */
export function getByIdOverHttp(defaultLimit?: number): ServiceHttpFace {
  return {
    path: '/:productId',
    toRequest: (req: HttpRequest) => ({
      op: 'get',
      productId: req.params.productId,
      ...(req.query.region ? { region: req.query.region } : {}),
      ...(defaultLimit !== undefined ? { limit: req.query.limit ? Number(req.query.limit) : defaultLimit } : {}),
    }),
  };
}
