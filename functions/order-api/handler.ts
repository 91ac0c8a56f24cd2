import * as z from 'zod';
import { invokerFor } from '#shared/aliyun/deps/invoker';
import { paymentsFor } from '#shared/aliyun/deps/payments';
import { tableFor } from '#shared/aliyun/deps/table';
import { workflowClientFor } from '#shared/aliyun/deps/workflow';
import { authenticate } from '#shared/auth';
import { IdempotencyKey, OrderId, OrderListQuery, OrderQuery, OrderRequest } from '#shared/contracts/orders';
import { invocationDeadline } from '#shared/deadline';
import { createHttpHandler, json, jsonBody, queryParams } from '#shared/fc/http';
import type { FcContext } from '#shared/fc/types';
import { newId } from '#shared/ids';
import { realSleep, systemClock } from '#shared/ports/clock';
import { TtlCache } from '#shared/ttl-cache';
import { parseWith } from '#shared/validation';
import { createOrder, getOrder, listMyOrders, type OrderApiDeps } from './core';

const NO_STORE = { 'cache-control': 'no-store' };
const OrderParams = z.object({ orderId: OrderId });

export const createHandler = (deps: (fc: FcContext) => Omit<OrderApiDeps, 'log'>, jwtSecret: () => string) =>
  createHttpHandler([
    {
      method: 'POST',
      path: '/api/orders',
      handle: async (req, { fc, log }) => {
        const user = await authenticate(req.headers, jwtSecret());
        const key = parseWith(IdempotencyKey, req.headers['idempotency-key'], 'headers.Idempotency-Key');
        const created = await createOrder(jsonBody(req, OrderRequest), key, user, { ...deps(fc), log }, req.correlationId);
        return json(202, created, { ...NO_STORE, location: `/api/orders/${created.orderId}` });
      },
    },
    {
      method: 'GET',
      path: '/api/orders',
      readsQuery: true,
      handle: async (req, { fc }) => {
        const user = await authenticate(req.headers, jwtSecret());
        const query = queryParams(req, OrderListQuery);
        return json(200, await listMyOrders(user, query.limit, query.cursor, deps(fc)), NO_STORE);
      },
    },
    {
      method: 'GET',
      path: '/api/orders/:orderId',
      readsQuery: true,
      handle: async (req, { fc, log }) => {
        const user = await authenticate(req.headers, jwtSecret());
        // An id that cannot be an order's is bad input (400 naming it), as for images and devices; 404 is for
        // an order id that names no order of this user.
        const { orderId } = parseWith(OrderParams, req.params, 'path');
        const { waitFor } = queryParams(req, OrderQuery);
        const view = await getOrder(orderId, user, waitFor, { ...deps(fc), log });
        return json(200, view, { ...NO_STORE, etag: `"v${view.version}"` });
      },
    },
  ]);

/** One cache per instance: FC reuses warm instances, so repeated checkouts price from memory. */
const cache = new TtlCache(systemClock);

export const handler = createHandler(
  (fc) => ({
    cache,
    table: tableFor(fc),
    workflow: workflowClientFor(fc),
    flowName: process.env.ORDER_SAGA_FLOW ?? '',
    invoker: invokerFor(fc),
    services: {
      info: process.env.PRODUCT_INFO_FUNCTION ?? '',
      price: process.env.PRODUCT_PRICE_FUNCTION ?? '',
      sales: process.env.PRODUCT_SALES_FUNCTION ?? '',
      shipping: process.env.PRODUCT_SHIPPING_FUNCTION ?? '',
    },
    payments: paymentsFor(fc),
    clock: systemClock,
    sleep: realSleep,
    newId,
    // deps(fc) is built as each request starts: its deadline is the function's timeout from now.
    deadline: invocationDeadline(fc, systemClock),
  }),
  () => process.env.JWT_SECRET ?? '',
);
