import * as z from 'zod';
import { PARTS, Promotion, ProductCard, Review, StockStatus } from './products';

/**
 * The BFF's HTTP responses (what the website and mobile clients read). `views.ts` builds values of
 * these types, and the integration tests parse real responses with them.
 */
const Degraded = z.array(z.enum(PARTS));
const Thumb = z.object({ imageId: z.string(), alt: z.string(), thumbnail: z.string(), large: z.string() });

export const ProductListResponse = z.object({
  region: z.string(),
  items: z.array(
    ProductCard.extend({
      /**
       * `amount` is the price service's price, `finalPrice` what the shopper pays (and checkout charges): `amount`
       * with the best running promotion, named in `promotion`. Without the sales part (`degraded`) they are equal.
       */
      price: z.object({ currency: z.string(), amount: z.number(), listPrice: z.number(), finalPrice: z.number(), promotion: z.string().optional() }).optional(),
    }),
  ),
  nextCursor: z.string().optional(),
  degraded: Degraded,
});
export type ProductListResponse = z.infer<typeof ProductListResponse>;

export const WebProductPage = z.object({
  client: z.literal('web'),
  region: z.string(),
  product: z.object({
    productId: z.string(),
    name: z.string(),
    brand: z.string(),
    category: z.string(),
    summary: z.string(),
    description: z.string(),
    images: z.array(z.object({ url: z.string(), alt: z.string() })),
    specs: z.record(z.string(), z.string()),
    tags: z.array(z.string()),
  }),
  pricing: z
    .object({ currency: z.string(), listPrice: z.number(), price: z.number(), finalPrice: z.number(), savings: z.number(), promotion: Promotion.optional() })
    .nullable(),
  availability: z
    .object({ status: StockStatus, available: z.number(), nearest: z.object({ warehouse: z.string(), region: z.string(), available: z.number() }).nullable() })
    .nullable(),
  shipping: z
    .object({ carrier: z.string(), currency: z.string(), fee: z.number(), freeOver: z.number(), etaDays: z.object({ min: z.number(), max: z.number() }) })
    .nullable(),
  sales: z.object({ soldLast30Days: z.number(), promotions: z.array(Promotion), badge: z.string().nullable() }).nullable(),
  rating: z.object({ average: z.number(), count: z.number(), histogram: z.array(z.number()) }).nullable(),
  reviews: z.array(Review.extend({ images: z.array(Thumb) })).nullable(),
  buyerShow: z.array(Thumb).max(8).nullable(),
  degraded: Degraded,
});
export type WebProductPage = z.infer<typeof WebProductPage>;

export const MobileProductPage = z.object({
  client: z.literal('mobile'),
  region: z.string(),
  product: z.object({ productId: z.string(), name: z.string(), brand: z.string(), summary: z.string(), images: z.array(z.object({ url: z.string(), alt: z.string() })).max(3) }),
  /** The same numbers as the web shape's pricing (the list price is the one a page crosses out); the promotion by its title. */
  pricing: z.object({ currency: z.string(), listPrice: z.number(), price: z.number(), finalPrice: z.number(), promotion: z.string().optional() }).nullable(),
  availability: z.object({ status: StockStatus }).nullable(),
  shipping: z.object({ fee: z.number(), etaDays: z.object({ min: z.number(), max: z.number() }) }).nullable(),
  sales: z.object({ badge: z.string().nullable() }).nullable(),
  rating: z.object({ average: z.number(), count: z.number() }).nullable(),
  reviews: z
    .array(z.object({ reviewId: z.string(), author: z.string(), rating: z.number(), title: z.string(), body: z.string(), images: z.array(Thumb).max(2) }))
    .max(3)
    .nullable(),
  buyerShow: z.array(Thumb).max(4).nullable(),
  degraded: Degraded,
});
export type MobileProductPage = z.infer<typeof MobileProductPage>;
