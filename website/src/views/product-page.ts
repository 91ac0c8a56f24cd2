import type { MobileProductPage, WebProductPage } from '../../../functions/_shared/contracts/product-page';
import { api, ApiError, apiUrl, type Region } from '../api';
import { addToCart, cartLines } from '../cart';
import { pageDegradedNotice } from '../degraded-text';
import { esc, money, notFound, plural, relativeDays, setMain, setTitle, stars, unavailableNote } from '../dom';
import { ICONS } from '../icons';
import { recheckIfDegraded } from '../recheck';
import { REGION_NAMES } from '../regions';

/**
 * The product page, from one BFF call. Every part but the product info may be missing (`null` and
 * named in `degraded`): the page then shows what it has, a placeholder where the part would be, and
 * one discreet note — never an error page.
 */
const PART_LABELS: Record<string, string> = {
  price: 'price',
  inventory: 'stock',
  shipping: 'delivery estimate',
  sales: 'promotions',
  reviews: 'reviews',
  info: 'product details',
};

const STOCK_TEXT = { in_stock: 'In stock', low_stock: 'Only a few left', out_of_stock: 'Out of stock' } as const;

/** Narrow screens ask the BFF for its mobile shape (smaller payload, fewer reviews, small thumbnails). */
function clientKind(): 'web' | 'mobile' {
  return window.matchMedia('(max-width: 640px)').matches ? 'mobile' : 'web';
}

export async function renderProductPage(productId: string, region: Region, signal?: AbortSignal): Promise<void> {
  setMain('<div class="product skeleton-page" aria-busy="true"><div class="skeleton gallery-skeleton"></div><div class="skeleton text-skeleton"></div></div>');
  const client = clientKind();
  const path = `/api/products/${encodeURIComponent(productId)}?client=${client}&region=${region}`;
  let page: WebProductPage | MobileProductPage;
  try {
    page = (await api<WebProductPage | MobileProductPage>(path)).data;
  } catch (err) {
    if (signal?.aborted) return;
    // 400 means the id cannot exist (bad format): for a person that is the same as "not found".
    if (err instanceof ApiError && (err.status === 404 || (err.status === 400 && err.details?.some((d) => d.path.startsWith('path'))))) {
      setTitle('Product not found');
      setMain(notFound('Product not found', `We could not find a product called <code>${esc(productId)}</code>. It may have been removed, or the link is mistyped.`));
      return;
    }
    throw err;
  }
  // Left meanwhile: the page now shown stays (the answer drew over it).
  if (signal?.aborted) return;
  showPage(page, productId, region);
  recheckIfDegraded(page, path, signal, (again) => {
    // Drawn anew with the missing part: a note "Added to your cart" shown meanwhile stays, or the press seems lost.
    const added = document.querySelector<HTMLElement>('#app [data-testid=added]');
    const said = added && !added.hidden ? added.innerHTML : undefined;
    showPage(again, productId, region);
    const note = document.querySelector<HTMLElement>('#app [data-testid=added]');
    if (said && note) {
      note.hidden = false;
      note.innerHTML = said;
    }
  });
}

function showPage(page: WebProductPage | MobileProductPage, productId: string, region: Region): void {
  setTitle(page.product.name);
  const main = setMain(page.client === 'web' ? webPage(page, region) : mobilePage(page, region));
  const stock = page.availability;
  wireAddToCart(main, productId, stock && 'available' in stock ? stock.available : undefined);
}

/**
 * "Add to cart" keeps the shopper on the page and says what happened, with the way to the cart. It adds no more
 * than the page says are left: more would only be refused at checkout (the cart leaves such a line out, D137).
 */
function wireAddToCart(main: HTMLElement, productId: string, left: number | undefined): void {
  const button = main.querySelector<HTMLButtonElement>('[data-testid=add-to-cart]');
  const note = main.querySelector<HTMLElement>('[data-testid=added]');
  if (!button || !note) return;
  button.addEventListener('click', () => {
    const before = cartLines().find((l) => l.productId === productId)?.qty ?? 0;
    const qty = addToCart(productId, 1, left);
    const allLeft = left !== undefined && qty === before && qty >= left;
    note.hidden = false;
    note.innerHTML = `${ICONS.check}<span>${allLeft ? (left === 1 ? 'The last one is in your cart.' : `All ${left} left are in your cart.`) : `Added to your cart (${qty} in cart).`} <a href="/cart" data-link>View cart</a></span>`;
  });
}

const addToCartBlock = (outOfStock: boolean, wide = false) =>
  `<button class="primary${wide ? ' wide' : ''}" type="button" data-testid="add-to-cart" ${outOfStock ? 'disabled' : ''}>${outOfStock ? 'Out of stock' : 'Add to cart'}</button>
      <p class="added-note" role="status" data-testid="added" hidden></p>`;

function degradedNote(degraded: readonly string[]): string {
  const text = pageDegradedNotice(degraded.map((part) => esc(PART_LABELS[part] ?? part)));
  return text ? unavailableNote(text) : '';
}

/** A pipeline photo as the BFF sends it: same-origin thumbnail paths that redirect to signed URLs. */
type Photo = NonNullable<WebProductPage['buyerShow']>[number];

/** Small thumbnails that open the large one in the photo viewer. */
function photoStrip(photos: readonly Photo[], captionOf: (photo: Photo, index: number) => string, className: string): string {
  if (photos.length === 0) return '';
  const buttons = photos
    .map((photo, index) => {
      const caption = captionOf(photo, index);
      return `<button type="button" class="review-photo" data-lightbox="${esc(apiUrl(photo.large))}" data-caption="${esc(caption)}" data-testid="review-photo" data-image-id="${esc(photo.imageId)}"><img src="${esc(apiUrl(photo.thumbnail))}" alt="${esc(caption)}" width="72" height="72" loading="lazy" /></button>`;
    })
    .join('');
  return `<div class="${className}">${buttons}</div>`;
}

const reviewPhotos = (photos: readonly Photo[], author: string) =>
  photoStrip(photos, (photo, index) => `Photo ${index + 1} from ${author}${photo.alt ? `: ${photo.alt}` : ''}`, 'review-images');

/** "Buyer show": the newest customer photos of this product, above the written reviews. */
function buyerShow(photos: Photo[] | null): string {
  if (!photos?.length) return '';
  const strip = photoStrip(photos, (photo) => photo.alt || 'Customer photo', 'review-images buyer-show-photos');
  return `<div class="buyer-show" data-testid="buyer-show"><h3>Customer photos</h3>${strip}<a class="small" href="/images" data-link>See all photos</a></div>`;
}

/** The list price, crossed out, when the shopper pays less: the same number on a desktop and a phone. */
function wasPrice(p: { listPrice: number; finalPrice: number; currency: string }): string {
  if (!(p.listPrice > p.finalPrice)) return '';
  const was = money(p.listPrice, p.currency);
  return `<s class="muted" data-testid="list-price" aria-label="was ${was}">${was}</s>`;
}

function pricingBlock(p: WebProductPage['pricing']): string {
  if (!p) return '<div class="pricing missing" data-testid="pricing">Price unavailable right now</div>';
  return `<div class="pricing" data-testid="pricing">
    <strong class="price big" data-testid="final-price">${money(p.finalPrice, p.currency)}</strong>
    ${p.listPrice > p.finalPrice ? `${wasPrice(p)} <span class="save">Save ${money(p.savings, p.currency)}</span>` : ''}
    ${p.promotion ? `<div class="promo" data-testid="promotion">${ICONS.tag}<span>${esc(p.promotion.title)} · ends ${new Date(p.promotion.endsAt).toLocaleDateString('en', { month: 'short', day: 'numeric' })}</span></div>` : ''}
  </div>`;
}

function shippingLine(shipping: WebProductPage['shipping'], region: Region): string {
  if (!shipping) return `<div class="shipping missing" data-testid="shipping">${ICONS.truck}<span>Delivery estimate unavailable right now</span></div>`;
  const fee = shipping.fee === 0 ? 'free delivery' : `${money(shipping.fee, shipping.currency)} delivery`;
  return `<div class="shipping" data-testid="shipping">${ICONS.truck}<span>Delivery to <strong>${esc(REGION_NAMES[region])}</strong>: ${fee}, ${shipping.etaDays.min}–${shipping.etaDays.max} days with ${esc(shipping.carrier)}<br /><span class="muted small">Free delivery on orders over ${money(shipping.freeOver, shipping.currency)}</span></span></div>`;
}

function availabilityLine(availability: WebProductPage['availability']): string {
  if (!availability) return '<div class="stock missing" data-testid="stock">Stock information unavailable right now</div>';
  const count = availability.status === 'out_of_stock' ? '' : ` · ${availability.available} available`;
  return `<div class="stock ${availability.status}" data-testid="stock">${STOCK_TEXT[availability.status]}${count}</div>`;
}

function ratingSummary(rating: NonNullable<WebProductPage['rating']>): string {
  const histogram = rating.histogram
    .map((n, i) => ({ stars: i + 1, n }))
    .reverse()
    .map(
      ({ stars: s, n }) =>
        `<div class="bar"><span>${s}★</span><span class="track" role="img" aria-label="${n} of ${rating.count} reviews give ${s} stars"><span style="width:${rating.count ? Math.round((n / rating.count) * 100) : 0}%"></span></span><span>${n}</span></div>`,
    )
    .join('');
  return `<div class="rating-summary" data-testid="rating"><div><div class="big-rating">${rating.average}</div>${stars(rating.average)}<div class="muted small">${plural(rating.count, 'review')}</div></div><div class="histogram">${histogram}</div></div>`;
}

function webPage(page: WebProductPage, region: Region): string {
  const { product: p } = page;
  const reviews = (page.reviews ?? [])
    .map(
      (r) => `<article class="review" data-testid="review">
        <header>${stars(r.rating)} <strong>${esc(r.title)}</strong></header>
        <p>${esc(r.body)}</p>
        ${reviewPhotos(r.images, r.author)}
        <footer class="muted small">${esc(r.author)} · ${relativeDays(r.createdAt)}</footer>
      </article>`,
    )
    .join('');
  const reviewsBody = page.reviews === null ? '<p class="muted">Reviews are unavailable right now.</p>' : reviews || '<p class="muted">No reviews yet.</p>';
  return `<article class="product" data-testid="product-page">
    <div class="gallery"><img src="${esc(p.images[0]?.url ?? '')}" alt="${esc(p.images[0]?.alt ?? p.name)}" width="640" height="480" /></div>
    <div class="buybox">
      <div class="muted">${esc(p.brand)} · ${esc(p.category)}</div>
      <h1>${esc(p.name)}</h1>
      <div class="meta-row">
        ${page.rating ? `<a class="rating-link" href="#reviews">${stars(page.rating.average)} ${page.rating.average} <span class="muted">(${plural(page.rating.count, 'review')})</span></a>` : ''}
        ${page.sales?.badge ? `<span class="badge">${esc(page.sales.badge)}</span>` : ''}
        ${page.sales ? `<span class="muted small" data-testid="sold">${page.sales.soldLast30Days.toLocaleString('en')} sold in the last 30 days</span>` : ''}
      </div>
      ${pricingBlock(page.pricing)}
      ${availabilityLine(page.availability)}
      ${shippingLine(page.shipping, region)}
      <p class="summary">${esc(p.summary)}</p>
      ${addToCartBlock(page.availability?.status === 'out_of_stock')}
      ${degradedNote(page.degraded)}
    </div>
  </article>
  <section class="details">
    <div><h2>About this product</h2><p>${esc(p.description)}</p><div class="tags">${p.tags.map((t) => `<span class="tag">#${esc(t)}</span>`).join('')}</div></div>
    <div><h2>Specifications</h2><table class="specs">${Object.entries(p.specs).map(([k, v]) => `<tr><th scope="row">${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>
  </section>
  <section class="reviews" id="reviews" data-testid="reviews" aria-labelledby="reviews-title">
    <h2 id="reviews-title">Reviews</h2>
    ${page.rating ? ratingSummary(page.rating) : ''}
    ${buyerShow(page.buyerShow)}
    ${reviewsBody}
  </section>`;
}

function mobilePage(page: MobileProductPage, region: Region): string {
  const { product: p } = page;
  const pricing = page.pricing
    ? `<div class="pricing" data-testid="pricing"><strong class="price big" data-testid="final-price">${money(page.pricing.finalPrice, page.pricing.currency)}</strong> ${wasPrice(page.pricing)}${page.pricing.promotion ? `<div class="promo" data-testid="promotion">${ICONS.tag}<span>${esc(page.pricing.promotion)}</span></div>` : ''}</div>`
    : '<div class="pricing missing" data-testid="pricing">Price unavailable right now</div>';
  const shipping = page.shipping
    ? `<div class="shipping" data-testid="shipping">${ICONS.truck}<span>To ${esc(REGION_NAMES[region])}: ${page.shipping.fee === 0 ? 'free' : money(page.shipping.fee)} · ${page.shipping.etaDays.min}–${page.shipping.etaDays.max} days</span></div>`
    : `<div class="shipping missing" data-testid="shipping">${ICONS.truck}<span>Delivery estimate unavailable</span></div>`;
  const reviews = (page.reviews ?? [])
    .map(
      (r) =>
        `<article class="review" data-testid="review"><header>${stars(r.rating)} <strong>${esc(r.title)}</strong></header><p>${esc(r.body)}</p>${reviewPhotos(r.images, r.author)}<footer class="muted small">${esc(r.author)}</footer></article>`,
    )
    .join('');
  return `<article class="product mobile" data-testid="product-page" data-client="mobile">
    <div class="gallery"><img src="${esc(p.images[0]?.url ?? '')}" alt="${esc(p.images[0]?.alt ?? p.name)}" width="640" height="480" /></div>
    <div class="buybox">
      <div class="muted small">${esc(p.brand)}</div>
      <h1>${esc(p.name)}</h1>
      <div class="meta-row">
        ${page.rating ? `<a class="rating-link" href="#reviews" data-testid="rating">${stars(page.rating.average)} ${page.rating.average} <span class="muted">(${page.rating.count})</span></a>` : ''}
        ${page.sales?.badge ? `<span class="badge">${esc(page.sales.badge)}</span>` : ''}
      </div>
      ${pricing}
      ${page.availability ? `<div class="stock ${page.availability.status}" data-testid="stock">${STOCK_TEXT[page.availability.status]}</div>` : '<div class="stock missing" data-testid="stock">Stock unavailable</div>'}
      ${shipping}
      <p class="summary">${esc(p.summary)}</p>
      ${addToCartBlock(page.availability?.status === 'out_of_stock', true)}
      ${degradedNote(page.degraded)}
    </div>
  </article>
  <section class="reviews" id="reviews" data-testid="reviews" aria-labelledby="reviews-title"><h2 id="reviews-title">Reviews</h2>${buyerShow(page.buyerShow)}${page.reviews === null ? '<p class="muted">Reviews are unavailable right now.</p>' : reviews || '<p class="muted">No reviews yet.</p>'}${reviewsShown(page.reviews?.length ?? 0, page.rating?.count ?? 0)}</section>`;
}

/** The phone's page carries the first few reviews only: say how many of the rating's count they are. */
function reviewsShown(shown: number, total: number): string {
  return shown > 0 && total > shown ? `<p class="muted small" data-testid="reviews-shown">Showing ${shown} of ${plural(total, 'review')}</p>` : '';
}
