import { api } from './api';
import type { Region } from './api';

import type { CreateOrderResponse, OrderList, OrderStatus, OrderView, TimelineEntry } from '../../functions/_shared/contracts/orders';

/**
 * The order API as the website uses it (PRODUCT.md §3 Orders). Types come from the shared contracts
 * (type-only: no zod in the browser bundle); the few values the page needs are repeated here and a test
 * (test/e2e/site-logic.test.ts) keeps them equal to the server's.
 */
export type { CreateOrderResponse, OrderList, OrderStatus, OrderView, TimelineEntry };

/** The sandbox's test cards (PRODUCT.md §3), shown on the checkout page. */
export const TEST_CARDS = [
  { number: '4242 4242 4242 4242', outcome: 'Succeeds', what: 'The payment is confirmed and the order ships.' },
  { number: '4000 0000 0000 0002', outcome: 'Declined', what: 'The card is declined; the stock is returned and nothing is charged.' },
  { number: '4000 0000 0000 9995', outcome: 'Never answers', what: 'No confirmation arrives; after status checks the charge is canceled (about a minute).' },
  { number: '4000 0000 0000 0119', outcome: 'Flaky provider', what: 'The provider fails twice, then the retried payment succeeds.' },
] as const;

/** Postcode the sandbox carrier refuses (the shipment-failure path: refund, then the stock comes back). */
export const UNDELIVERABLE_POSTCODE = '000000';

/** Where the shop delivers, and the price region each country defaults to. */
export const COUNTRIES = { CN: { name: 'China (mainland)', region: 'cn-hangzhou' }, HK: { name: 'Hong Kong', region: 'cn-hongkong' }, SG: { name: 'Singapore', region: 'ap-southeast-1' } } as const;
export type Country = keyof typeof COUNTRIES;

export function countryForRegion(region: Region): Country {
  return region === 'cn-hongkong' ? 'HK' : region === 'ap-southeast-1' ? 'SG' : 'CN';
}

export const TERMINAL: readonly OrderStatus[] = ['SUCCEEDED', 'FAILED'];
/** How long one long poll may take on the server (25 s) plus the way there and back. */
export const LONG_POLL_CLIENT_TIMEOUT_MS = 35_000;

export interface PlaceOrderBody {
  items: { productId: string; qty: number }[];
  address: { name: string; line1: string; line2?: string; city: string; postcode: string; country: Country };
  card: { number: string; expMonth: number; expYear: number; cvc: string };
  region: Region;
}

/** `idempotencyKey` is chosen once per checkout: resending after a lost answer places the order once. */
export async function placeOrder(body: PlaceOrderBody, idempotencyKey: string): Promise<CreateOrderResponse> {
  return (await api<CreateOrderResponse>('/api/orders', { method: 'POST', body: JSON.stringify(body), headers: { 'idempotency-key': idempotencyKey } })).data;
}

/** The order; with `waitFor`, the server answers once the order has moved past that version (or after 25 s). */
export async function getOrder(orderId: string, waitFor: number | undefined, signal?: AbortSignal): Promise<OrderView> {
  const query = waitFor === undefined ? '' : `?waitFor=${waitFor}`;
  const timeout = AbortSignal.timeout(LONG_POLL_CLIENT_TIMEOUT_MS);
  return (await api<OrderView>(`/api/orders/${encodeURIComponent(orderId)}${query}`, { signal: signal ? AbortSignal.any([signal, timeout]) : timeout })).data;
}

export async function listOrders(cursor?: string): Promise<OrderList> {
  return (await api<OrderList>(`/api/orders?limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`)).data;
}

export const STATUS_TEXT: Record<OrderStatus, string> = {
  PENDING: 'Placed',
  RESERVED: 'Items reserved',
  PAYMENT_PENDING: 'Awaiting payment',
  PAID: 'Paid',
  SHIPPED: 'Shipped',
  SUCCEEDED: 'Complete',
  FAILED: 'Failed',
  COMPENSATING: 'Undoing',
};

export const EVENT_TEXT: Record<TimelineEntry['event'], string> = {
  OrderPlaced: 'Order placed',
  InventoryReserved: 'Items reserved',
  InventoryUnavailable: 'Out of stock',
  PaymentRequested: 'Payment requested',
  PaymentAttemptFailed: 'Payment provider unavailable',
  PaymentStatusChecked: 'Payment status checked',
  PaymentSucceeded: 'Payment confirmed',
  PaymentDeclined: 'Payment declined',
  PaymentTimedOut: 'Payment timed out',
  ShipmentCreated: 'Shipped',
  ShipmentFailed: 'Shipment refused',
  PaymentRefunded: 'Payment refunded',
  PaymentCanceled: 'Charge canceled',
  InventoryReleased: 'Stock returned',
  OrderSucceeded: 'Order complete',
  OrderFailed: 'Order failed',
};
