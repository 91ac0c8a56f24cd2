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
} as const satisfies Record<string, TableSchema>;

export const ALL_TABLES: TableSchema[] = Object.values(TABLES);
