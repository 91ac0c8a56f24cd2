import * as z from 'zod';
import { queryCursor, queryInt } from './query';

/**
 * Contracts of the product page (seed 002): what each microservice takes and returns, and the BFF's
 * HTTP API. Producer and consumer import the same schemas.
 */
export const REGIONS = ['cn-hangzhou', 'cn-shanghai', 'cn-beijing', 'cn-shenzhen', 'cn-hongkong', 'ap-southeast-1'] as const;
export const Region = z.enum(REGIONS);
export type Region = z.infer<typeof Region>;

export const ProductId = z.string().regex(/^p-[a-z0-9-]{1,40}$/, 'must look like p-<lowercase letters, digits, dashes>');

// ---- microservice requests (FC InvokeFunction payloads) ----
export const GetRequest = z.object({ op: z.literal('get'), productId: ProductId, region: Region.default('cn-hangzhou') });
export const GetManyRequest = z.object({ op: z.literal('getMany'), productIds: z.array(ProductId).max(100), region: Region.default('cn-hangzhou') });
export const ListRequest = z.object({ op: z.literal('list'), limit: z.number().int().min(1).max(100).default(24), cursor: z.string().optional() });

/** Every service answers with an envelope: expected outcomes (not found, invalid) are data, not function errors. */
export type ServiceResult<T> = { ok: true; data: T } | { ok: false; error: { code: 'NotFound' | 'ValidationError'; message: string } };

// ---- microservice responses ----
export const ProductInfo = z.object({
  productId: ProductId,
  name: z.string(),
  brand: z.string(),
  category: z.string(),
  summary: z.string(),
  description: z.string(),
  images: z.array(z.object({ url: z.string(), alt: z.string() })),
  specs: z.record(z.string(), z.string()),
  tags: z.array(z.string()),
});
export type ProductInfo = z.infer<typeof ProductInfo>;

export const ProductCard = ProductInfo.pick({ productId: true, name: true, brand: true, category: true, summary: true }).extend({ image: z.string() });
export type ProductCard = z.infer<typeof ProductCard>;
export const ProductList = z.object({ items: z.array(ProductCard), nextCursor: z.string().optional() });
export type ProductList = z.infer<typeof ProductList>;

export const Price = z.object({ productId: ProductId, region: z.string(), currency: z.string(), listPrice: z.number(), price: z.number() });
export type Price = z.infer<typeof Price>;
export const PriceMany = z.object({ prices: z.array(Price) });

export const StockStatus = z.enum(['in_stock', 'low_stock', 'out_of_stock']);
export const Inventory = z.object({
  productId: ProductId,
  status: StockStatus,
  available: z.number().int(),
  nearest: z.object({ warehouse: z.string(), region: z.string(), available: z.number().int() }).optional(),
  warehouses: z.array(z.object({ warehouse: z.string(), region: z.string(), available: z.number().int() })),
});
export type Inventory = z.infer<typeof Inventory>;

export const Shipping = z.object({
  productId: ProductId,
  region: z.string(),
  carrier: z.string(),
  currency: z.string(),
  fee: z.number(),
  freeOver: z.number(),
  etaDays: z.object({ min: z.number().int(), max: z.number().int() }),
});
export type Shipping = z.infer<typeof Shipping>;

export const Promotion = z.object({ promoId: z.string(), title: z.string(), kind: z.enum(['percent', 'amount']), value: z.number(), endsAt: z.string() });
export type Promotion = z.infer<typeof Promotion>;
export const Sales = z.object({ productId: ProductId, soldLast30Days: z.number().int(), promotions: z.array(Promotion), badge: z.string().optional() });
export type Sales = z.infer<typeof Sales>;
/** `getMany`: the products that have sales records, in the order asked. */
export const SalesMany = z.object({ sales: z.array(Sales) });

/** A photo from the image pipeline (thumbnails at `/api/images/{imageId}/thumbnail/{256|1024}`). */
export const ReviewImage = z.object({ imageId: z.string(), alt: z.string() });
export type ReviewImage = z.infer<typeof ReviewImage>;
export const Review = z.object({
  reviewId: z.string(),
  author: z.string(),
  rating: z.number().int().min(1).max(5),
  title: z.string(),
  body: z.string(),
  createdAt: z.string(),
  images: z.array(ReviewImage),
});
export type Review = z.infer<typeof Review>;
export const Reviews = z.object({
  productId: ProductId,
  rating: z.object({ average: z.number(), count: z.number().int(), histogram: z.array(z.number().int()).length(5) }),
  reviews: z.array(Review),
  /** Buyer-show photos: the newest ready images uploaded for this product. */
  buyerShow: z.array(ReviewImage).default([]),
});
export type Reviews = z.infer<typeof Reviews>;
export const ReviewsRequest = GetRequest.extend({ limit: z.number().int().min(1).max(50).default(10) });

// ---- BFF HTTP API ----
export const ProductPageQuery = z.strictObject({
  client: z.enum(['web', 'mobile']).default('web'),
  region: Region.default('cn-hangzhou'),
});
export type ProductPageQuery = z.infer<typeof ProductPageQuery>;
export const ProductListQuery = z.strictObject({
  limit: queryInt(1, 100).default(24),
  /** The last product id of the page before (a keyset position): anything that is not a product id is no position. */
  cursor: queryCursor(/^p-[a-z0-9-]{1,40}$/),
  region: Region.default('cn-hangzhou'),
});

export const PARTS = ['info', 'price', 'inventory', 'shipping', 'sales', 'reviews'] as const;
export type Part = (typeof PARTS)[number];

/**
 * How long each part may be served from a per-instance cache (seconds): prices move, descriptions do not.
 * The product page (BFF) and checkout (order-api) cache by the same rule, so checkout charges what the
 * page showed.
 */
export const PART_TTL_SECONDS: Record<Part, number> = { info: 300, price: 10, inventory: 5, shipping: 600, sales: 30, reviews: 60 };
