import type { AuthUser } from '#shared/auth';
import {
  executionNameOf,
  isTerminal,
  LONG_POLL_MAX_SECONDS,
  SHIP_TO_COUNTRIES,
  type CreateOrderResponse,
  type EventData,
  type OrderLine,
  type OrderList,
  type OrderRequest,
  type OrderView,
} from '#shared/contracts/orders';
import { PART_TTL_SECONDS, Price, ProductInfo, Sales, Shipping, type Region } from '#shared/contracts/products';
import type { Deadline } from '#shared/deadline';
import { NotFoundError, RetryableError, UnprocessableError, ValidationError, isAppError } from '#shared/errors';
import { callService } from '#shared/fc/call-service';
import { claimKey, fingerprint, reclaimKey, releaseKey } from '#shared/idempotency';
import type { IdGenerator } from '#shared/ids';
import type { Logger } from '#shared/log';
import { StepError } from '#shared/orders/errors';
import { OrderEventStore } from '#shared/orders/event-store';
import { findOrder, listOrders, recordEvents } from '#shared/orders/order-book';
import { applyBestPromotion, roundMoney } from '#shared/pricing';
import type { Clock, Sleep } from '#shared/ports/clock';
import type { FunctionInvoker } from '#shared/ports/function-invoker';
import type { PaymentProvider } from '#shared/ports/payment-provider';
import type { Table } from '#shared/ports/table';
import type { WorkflowClient } from '#shared/ports/workflow-client';
import type { TtlCache } from '#shared/ttl-cache';
import type { z } from 'zod';

/**
 * order-api: checkout, one order, my orders (PRODUCT.md §3 Orders).
 *
 * Checkout is idempotent by the `Idempotency-Key` header (per user): the key is claimed with a conditional
 * write before anything else happens, so of any number of concurrent retries one places the order; every
 * retry (the winner's too) then makes sure the order's first event exists and starts the saga under the
 * execution name `order-<orderId>`, which CloudFlow runs once. Each step is safe to repeat, so a request that
 * dies halfway is finished by its retry. The same key with another body answers 422.
 */
export interface OrderApiDeps {
  table: Table;
  workflow: WorkflowClient;
  flowName: string;
  /** Product services that price an order (FC InvokeFunction). */
  invoker: FunctionInvoker;
  services: { info: string; price: string; sales: string; shipping: string };
  payments: PaymentProvider;
  clock: Clock;
  sleep: Sleep;
  newId: IdGenerator;
  log: Logger;
  /** Per-instance cache of the services' answers (the product page's TTLs); none: every checkout asks. */
  cache?: TtlCache;
  /**
   * This request's deadline (the function's timeout, from when the request started). The calls checkout
   * makes — pricing and tokenizing — may use what is left of it, less the time kept to record the order and
   * start its saga: a busy platform makes checkout slower, and only a request that would run out of its own
   * time answers 503. Without one, each call gets SERVICE_TIMEOUT_MS.
   */
  deadline?: Deadline;
  /** Long-poll cap (default 25 s) and how often it looks for a new version meanwhile. */
  longPollMs?: number;
  pollIntervalMs?: number;
}

/** Pricing must succeed for checkout (no degraded answer here), so a cold product service gets time. */
const SERVICE_TIMEOUT_MS = 10_000;
/** Kept from the deadline for what checkout does after its calls: record the order, start the saga. */
export const FINISH_RESERVE_MS = 5_000;

/** How long a call checkout makes now may wait for its answer. */
function callBudget(deps: Pick<OrderApiDeps, 'deadline'>): number {
  return deps.deadline ? Math.max(1, deps.deadline.remainingMs() - FINISH_RESERVE_MS) : SERVICE_TIMEOUT_MS;
}
/** How long a retry waits for the request that claimed its key to place the order before doing it itself. */
const CLAIM_WAIT_MS = 10_000;

/** The region whose prices and carrier an order uses: the one asked for, else the address's. */
export function regionOf(request: OrderRequest): Region {
  return request.region ?? SHIP_TO_COUNTRIES[request.address.country];
}

function checkCardDate(request: OrderRequest, now: number): void {
  const today = new Date(now);
  const { expYear, expMonth } = request.card;
  if (expYear < today.getUTCFullYear() || (expYear === today.getUTCFullYear() && expMonth < today.getUTCMonth() + 1)) {
    throw new ValidationError('invalid body.card.expYear: the card has expired', [{ path: 'body.card.expYear', message: 'the card has expired' }]);
  }
}

/**
 * What the request fingerprint covers: everything that changes the order, with the card reduced to what
 * may be stored (last 4 digits and expiry; never the number or the CVC, not even hashed).
 */
const requestFingerprint = (request: OrderRequest) =>
  fingerprint({ ...request, card: { last4: request.card.number.slice(-4), expMonth: request.card.expMonth, expYear: request.card.expYear } });

export async function createOrder(request: OrderRequest, idempotencyKey: string, user: AuthUser, deps: OrderApiDeps, correlationId = ''): Promise<CreateOrderResponse> {
  const now = deps.clock.now();
  checkCardDate(request, now);
  const key = `order:${user.username}:${idempotencyKey}`;
  const print = requestFingerprint(request);
  let orderId = deps.newId('ord');
  const claim = await claimKey(deps.table, key, print, { orderId }, now);
  const retry = !claim.claimed && claim.fingerprint === print;
  if (!claim.claimed) {
    const claimedId = claim.data.orderId ?? '';
    if (claim.fingerprint !== print) {
      // A key whose first request never placed an order (it failed validation or pricing) may be reused.
      const placed = claimedId ? await new OrderEventStore(deps.table).version(claimedId) : 0;
      if (placed > 0 || !(await reclaimKey(deps.table, key, claim.fingerprint, print, { orderId }, now))) {
        throw new UnprocessableError('this Idempotency-Key was already used for a different order; use a new key for a new order', 'IdempotencyKeyReused');
      }
    } else {
      orderId = claimedId;
    }
  }

  // A retry racing the request that claimed the key first lets that one place the order; it takes over only
  // when the order does not appear (that request failed or died).
  if (retry) await waitForPlacement(orderId, deps);
  // A key this request claimed (or reclaimed) names the id generated above: no order can have it yet.
  let order = retry ? await findOrder(deps.table, orderId) : undefined;
  if (!order) {
    const placed = await placeOrder(request, user, deps).catch(async (err: unknown) => {
      // Nothing was recorded: give the key back so the client's retry starts afresh.
      await releaseKey(deps.table, key, print).catch(() => undefined);
      throw err;
    });
    order = await recordEvents(deps.table, orderId, [{ type: 'OrderPlaced', step: 'PlaceOrder', key: 'order:placed', at: deps.clock.now(), data: placed }], []).catch((err: unknown) => {
      throw err instanceof StepError && err.retryable ? new RetryableError('the order could not be recorded right now; send the same request again', 'ServiceUnavailable') : err;
    });
  }
  let started;
  try {
    started = await deps.workflow.startExecution(deps.flowName, executionNameOf(orderId), { orderId, correlationId });
  } catch (err) {
    // The order is recorded; a retry with the same key starts its saga (StartExecution is idempotent by name).
    deps.log.error({ err, orderId }, 'starting the order saga failed');
    throw new RetryableError('the order was received but could not be started; send the same request again with the same Idempotency-Key', 'ServiceUnavailable');
  }
  deps.log.info({ orderId, owner: user.username, execution: started.executionName, retried: !claim.claimed, alreadyRunning: started.alreadyExisted }, 'order placed');
  return { orderId, status: order.view.status };
}

async function waitForPlacement(orderId: string, deps: OrderApiDeps): Promise<void> {
  const store = new OrderEventStore(deps.table);
  const deadline = deps.clock.now() + CLAIM_WAIT_MS;
  while ((await store.version(orderId)) === 0 && deps.clock.now() < deadline) await deps.sleep(deps.pollIntervalMs ?? 200);
}

/** Price the lines with the product services (the page's rule: the best promotion wins) and tokenize the card. */
async function placeOrder(request: OrderRequest, user: AuthUser, deps: OrderApiDeps): Promise<EventData<'OrderPlaced'>> {
  const region = regionOf(request);
  const quoted = await Promise.all(request.items.map((item, index) => quoteLine(item.productId, item.qty, index, region, deps)));
  const items: OrderLine[] = quoted.map((q) => q.line);
  const subtotal = roundMoney(items.reduce((sum, line) => sum + line.lineTotal, 0));
  // One parcel: the dearest line's delivery fee, waived above the region's free-delivery threshold.
  const freeOver = Math.min(...quoted.map((q) => q.shipping.freeOver));
  const shippingFee = subtotal >= freeOver ? 0 : Math.max(...quoted.map((q) => q.shipping.fee));
  const method = await deps.payments.tokenize(request.card, { timeoutMs: callBudget(deps) }).catch((err: unknown) => {
    if (err instanceof StepError && err.retryable) {
      deps.log.warn({ err }, 'tokenizing the card failed');
      throw new RetryableError('the payment provider is unavailable right now; try again in a moment', 'ServiceUnavailable');
    }
    throw err;
  });
  return {
    owner: user.username,
    region,
    items,
    subtotal,
    shippingFee,
    total: roundMoney(subtotal + shippingFee),
    currency: 'CNY',
    address: request.address,
    payment: { methodId: method.paymentMethodId, brand: method.brand, last4: method.last4 },
    // One parcel travels as slowly as its slowest line.
    delivery: (({ carrier, etaDays }) => ({ carrier, etaDays }))(quoted.map((q) => q.shipping).reduce((slow, s) => (s.etaDays.max > slow.etaDays.max ? s : slow))),
  };
}

async function quoteLine(productId: string, qty: number, index: number, region: Region, deps: OrderApiDeps) {
  const get = { op: 'get', productId, region };
  const call = async <S extends Parameters<typeof callService>[3]>(part: keyof typeof deps.services, schema: S) => {
    const key = `${part}:${productId}:${part === 'price' || part === 'shipping' ? region : ''}`;
    const cached = deps.cache?.fresh<z.infer<S>>(key);
    if (cached !== undefined) return cached;
    const value = await callService(deps.invoker, deps.services[part], get, schema, { timeoutMs: callBudget(deps) });
    deps.cache?.set(key, value, PART_TTL_SECONDS[part]);
    return value;
  };
  const field = `body.items.${index}.productId`;
  const notFound = (what: string) => (err: unknown) => {
    if (err instanceof NotFoundError) throw new ValidationError(`invalid ${field}: ${what}`, [{ path: field, message: what }]);
    if (isAppError(err)) throw err;
    deps.log.warn({ err, productId }, 'pricing service failed');
    throw new RetryableError('prices are unavailable right now; try again in a moment', 'ServiceUnavailable');
  };
  const parts = [
    call('info', ProductInfo).catch(notFound('no such product')),
    call('price', Price).catch(notFound(`not sold in ${region}`)),
    // Promotions are optional: a product without sales records simply has none.
    call('sales', Sales).catch((err: unknown) => (err instanceof NotFoundError ? undefined : notFound('')(err))),
    call('shipping', Shipping).catch(notFound(`cannot be delivered to ${region}`)),
  ] as const;
  // All four are asked at once, but a failure is reported in this order, not in the order the answers came: a
  // product that does not exist is "no such product" even when shipping, which knows it neither, answers first.
  // Once all have settled, Promise.all rejects with the first rejected part in the list.
  await Promise.allSettled(parts);
  const [info, price, sales, shipping] = await Promise.all(parts);
  const { finalPrice } = applyBestPromotion(price.price, sales?.promotions ?? []);
  return { line: { productId, name: info.name, qty, unitPrice: finalPrice, lineTotal: roundMoney(finalPrice * qty) }, shipping };
}

/**
 * One order for its owner or an admin (anyone else gets 404: an order id reveals nothing). With `waitFor`,
 * answers once the order's version is above it, or after the long-poll cap with the unchanged view.
 */
export async function getOrder(orderId: string, user: AuthUser, waitFor: number | undefined, deps: OrderApiDeps): Promise<OrderView> {
  let order = await findOrder(deps.table, orderId);
  if (!order || (order.view.owner !== user.username && user.role !== 'admin')) throw new NotFoundError(`no order ${orderId}`);
  if (waitFor === undefined || order.view.version > waitFor || isTerminal(order.view.status)) return order.view;

  const store = new OrderEventStore(deps.table);
  const deadline = deps.clock.now() + Math.min(deps.longPollMs ?? LONG_POLL_MAX_SECONDS * 1000, LONG_POLL_MAX_SECONDS * 1000);
  const interval = deps.pollIntervalMs ?? 200;
  while (deps.clock.now() < deadline) {
    await deps.sleep(Math.min(interval, Math.max(0, deadline - deps.clock.now())));
    if ((await store.version(orderId)) > waitFor) {
      order = (await findOrder(deps.table, orderId)) ?? order;
      break;
    }
  }
  return order.view;
}

export async function listMyOrders(user: AuthUser, limit: number, cursor: string | undefined, deps: Pick<OrderApiDeps, 'table'>): Promise<OrderList> {
  return listOrders(deps.table, user.username, limit, cursor);
}
