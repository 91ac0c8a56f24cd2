import type { MobileProductPage, WebProductPage } from '#shared/contracts/product-page';
import { thumbnailPath } from '#shared/contracts/images';
import type { Inventory, Price, ProductInfo, ReviewImage, Reviews, Sales, Shipping } from '#shared/contracts/products';
import { applyBestPromotion } from '#shared/pricing';

type View<T> = Omit<T, 'client' | 'region' | 'degraded'>;

/**
 * The two shapes of one product page built from the same service answers: `web` (everything) and
 * `mobile` (no long description, the first 3 reviews with short bodies, small thumbnails).
 * A part that is missing (degraded) is `null` in both shapes.
 */
export interface PageParts {
  info: ProductInfo;
  price?: Price;
  inventory?: Inventory;
  shipping?: Shipping;
  sales?: Sales;
  reviews?: Reviews;
}

export const MOBILE_REVIEWS = 3;
export const WEB_BUYER_SHOW = 8;
export const MOBILE_BUYER_SHOW = 4;
const MOBILE_REVIEW_CHARS = 140;

/** Shared with checkout (order-api), so the page shows what an order charges. */
export { applyBestPromotion };

function pricing(parts: PageParts) {
  if (!parts.price) return null;
  const { finalPrice, promotion } = applyBestPromotion(parts.price.price, parts.sales?.promotions ?? []);
  return {
    currency: parts.price.currency,
    listPrice: parts.price.listPrice,
    price: parts.price.price,
    finalPrice,
    savings: Math.round((parts.price.listPrice - finalPrice) * 100) / 100,
    ...(promotion ? { promotion } : {}),
  };
}

/**
 * What delivering this one product costs, as checkout charges it (order-api: free once the subtotal reaches
 * the region's `freeOver`): a page must not quote CN¥10 for an item that ships free. Without a price (degraded)
 * the service's fee is the best answer there is.
 */
function deliveryFee(shipping: NonNullable<PageParts['shipping']>, finalPrice: number | undefined): number {
  return finalPrice !== undefined && finalPrice >= shipping.freeOver ? 0 : shipping.fee;
}

/** Pipeline photos as same-origin thumbnail paths (they redirect to signed OSS URLs). */
function thumbs(images: readonly ReviewImage[]) {
  return images.map((image) => ({ imageId: image.imageId, alt: image.alt, thumbnail: thumbnailPath(image.imageId, 'small'), large: thumbnailPath(image.imageId, 'large') }));
}

export function shapeWeb(parts: PageParts): View<WebProductPage> {
  const { info } = parts;
  const price = pricing(parts);
  return {
    product: { productId: info.productId, name: info.name, brand: info.brand, category: info.category, summary: info.summary, description: info.description, images: info.images, specs: info.specs, tags: info.tags },
    pricing: price,
    availability: parts.inventory ? { status: parts.inventory.status, available: parts.inventory.available, nearest: parts.inventory.nearest ?? null } : null,
    shipping: parts.shipping ? { carrier: parts.shipping.carrier, currency: parts.shipping.currency, fee: deliveryFee(parts.shipping, price?.finalPrice), freeOver: parts.shipping.freeOver, etaDays: parts.shipping.etaDays } : null,
    sales: parts.sales ? { soldLast30Days: parts.sales.soldLast30Days, promotions: parts.sales.promotions, badge: parts.sales.badge ?? null } : null,
    rating: parts.reviews?.rating ?? null,
    reviews: parts.reviews ? parts.reviews.reviews.map((r) => ({ ...r, images: thumbs(r.images) })) : null,
    buyerShow: parts.reviews ? thumbs(parts.reviews.buyerShow.slice(0, WEB_BUYER_SHOW)) : null,
  };
}

export function shapeMobile(parts: PageParts): View<MobileProductPage> {
  const { info } = parts;
  const price = pricing(parts);
  return {
    product: { productId: info.productId, name: info.name, brand: info.brand, summary: info.summary, images: info.images.slice(0, 3) },
    pricing: price
      ? { currency: price.currency, listPrice: price.listPrice, price: price.price, finalPrice: price.finalPrice, ...(price.promotion ? { promotion: price.promotion.title } : {}) }
      : null,
    availability: parts.inventory ? { status: parts.inventory.status } : null,
    shipping: parts.shipping ? { fee: deliveryFee(parts.shipping, price?.finalPrice), etaDays: parts.shipping.etaDays } : null,
    sales: parts.sales ? { badge: parts.sales.badge ?? null } : null,
    rating: parts.reviews ? { average: parts.reviews.rating.average, count: parts.reviews.rating.count } : null,
    reviews: parts.reviews
      ? parts.reviews.reviews.slice(0, MOBILE_REVIEWS).map((r) => ({
          reviewId: r.reviewId,
          author: r.author,
          rating: r.rating,
          title: r.title,
          body: r.body.length > MOBILE_REVIEW_CHARS ? `${r.body.slice(0, MOBILE_REVIEW_CHARS - 1)}…` : r.body,
          images: thumbs(r.images.slice(0, 2)),
        }))
      : null,
    buyerShow: parts.reviews ? thumbs(parts.reviews.buyerShow.slice(0, MOBILE_BUYER_SHOW)) : null,
  };
}
