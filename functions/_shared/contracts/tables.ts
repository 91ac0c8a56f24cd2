import type { TableSchema } from '../ports/table';

/**
 * Every TableStore table of the suite. `infra/ros.yaml` creates the same tables in the cloud
 * (test/unit/tables-match-infra.test.ts keeps the two in step). Each service owns its tables.
 */
export const TABLES = {
  users: { name: 'users', primaryKey: [{ name: 'username', type: 'STRING' }] },
  productInfo: { name: 'product_info', primaryKey: [{ name: 'productId', type: 'STRING' }] },
  productPrice: { name: 'product_price', primaryKey: [{ name: 'productId', type: 'STRING' }, { name: 'region', type: 'STRING' }] },
  productInventory: { name: 'product_inventory', primaryKey: [{ name: 'productId', type: 'STRING' }, { name: 'warehouse', type: 'STRING' }] },
  productShipping: { name: 'product_shipping', primaryKey: [{ name: 'key', type: 'STRING' }] },
  productSales: { name: 'product_sales', primaryKey: [{ name: 'productId', type: 'STRING' }, { name: 'recordId', type: 'STRING' }] },
  productReviews: { name: 'product_reviews', primaryKey: [{ name: 'productId', type: 'STRING' }, { name: 'reviewId', type: 'STRING' }] },
  /** Image pipeline: one row per upload; Stream on so `index-image` (tablestore trigger) sees every change. */
  images: { name: 'images', primaryKey: [{ name: 'imageId', type: 'STRING' }], stream: true },
  idempotency: { name: 'idempotency', primaryKey: [{ name: 'key', type: 'STRING' }], ttlSeconds: 86400 },
  imageSearch: { name: 'image_search', primaryKey: [{ name: 'id', type: 'STRING' }] },
  /**
   * Order flow. `order_events` is the source of truth (event sourcing: one row per event, `seq` 1, 2, 3… per
   * order, appended with EXPECT_NOT_EXIST); Stream on so `order-notify` publishes what happened. `orders` is
   * the "my orders" projection, newest first per owner. Stock is `product_inventory` (the inventory service's
   * table; orders hold units there, see functions/_shared/inventory/stock-holds.ts).
   */
  orderEvents: { name: 'order_events', primaryKey: [{ name: 'orderId', type: 'STRING' }, { name: 'seq', type: 'INTEGER' }], stream: true },
  orders: { name: 'orders', primaryKey: [{ name: 'owner', type: 'STRING' }, { name: 'orderId', type: 'STRING' }] },
  /** The merchant's side of a payment: the provider's charge id and the task token its webhook resumes. */
  payments: { name: 'payments', primaryKey: [{ name: 'orderId', type: 'STRING' }] },
  /** The payment sandbox's own records (it stands in for a provider's systems): payment methods, charges, keys. */
  paymentSandbox: { name: 'payment_sandbox', primaryKey: [{ name: 'id', type: 'STRING' }] },
  /** Notifications sent to customers (send-notification), one per order event, kept 30 days. */
  notifications: { name: 'notifications', primaryKey: [{ name: 'username', type: 'STRING' }, { name: 'notificationId', type: 'STRING' }], ttlSeconds: 2592000 },
} as const satisfies Record<string, TableSchema>;

export const ALL_TABLES: TableSchema[] = Object.values(TABLES);
