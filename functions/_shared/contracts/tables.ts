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
  // ---------- IoT ETL (contracts/iot.ts has the row shapes) ----------
  devices: { name: 'devices', primaryKey: [{ name: 'deviceId', type: 'STRING' }] },
  /** Signatures already used, per device: a second request with one is a replay (409). Outlives the 5-minute skew window. */
  iotRequests: { name: 'iot_requests', primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'signature', type: 'STRING' }], ttlSeconds: 86400 },
  telemetry: {
    name: 'telemetry',
    primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'metric', type: 'STRING' }, { name: 'ts', type: 'INTEGER' }],
    ttlSeconds: 30 * 86400,
  },
  deviceLatest: { name: 'device_latest', primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'metric', type: 'STRING' }] },
  telemetryRollup: {
    name: 'telemetry_rollup',
    primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'metric', type: 'STRING' }, { name: 'resolution', type: 'STRING' }, { name: 'ts', type: 'INTEGER' }],
    ttlSeconds: 400 * 86400,
  },
  /** The rollup's cursor and the minutes late readings made stale (written by the ETL, cleared by the rollup). */
  rollupWork: { name: 'rollup_work', primaryKey: [{ name: 'kind', type: 'STRING' }, { name: 'key', type: 'STRING' }] },
  alerts: { name: 'alerts', primaryKey: [{ name: 'day', type: 'STRING' }, { name: 'alertId', type: 'STRING' }], ttlSeconds: 400 * 86400 },
  /** One row per alert under its device, keyed by the alert id (D115): "only this device" reads that device's alerts, not the fleet's. */
  alertsByDevice: { name: 'alerts_by_device', primaryKey: [{ name: 'deviceId', type: 'STRING' }, { name: 'alertId', type: 'STRING' }], ttlSeconds: 400 * 86400 },
} as const satisfies Record<string, TableSchema>;

export const ALL_TABLES: TableSchema[] = Object.values(TABLES);
