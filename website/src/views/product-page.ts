import type { MobileProductPage, WebProductPage } from '../../../functions/_shared/contracts/product-page';
import { api, ApiError, type Region } from '../api';
import { esc, money, relativeDays, setMain, stars } from '../dom';

const PART_LABELS: Record<string, string> = {
  price: 'Pricing',
  inventory: 'Stock',
  shipping: 'Delivery estimate',
  sales: 'Promotions',
  reviews: 'Reviews',
  info: 'Product details',
};

const STOCK_TEXT = { in_stock: 'In stock', low_stock: 'Only a few left', out_of_stock: 'Out of stock' } as const;

/** Narrow screens ask the BFF for its mobile shape (smaller payload, fewer reviews). */
function clientKind(): 'web' | 'mobile' {
  return window.matchMedia('(max-width: 640px)').matches ? 'mobile' : 'web';
}

export async function renderProductPage(productId: string, region: Region): Promise<void> {
  setMain('<div class="product skeleton-page" aria-busy="true"><div class="skeleton gallery-skeleton"></div><div class="skeleton text-skeleton"></div></div>');
  const client = clientKind();
  let page: WebProductPage | MobileProductPage;
  try {
    page = (await api<WebProductPage | MobileProductPage>(`/api/products/${encodeURIComponent(productId)}?client=${client}&region=${region}`)).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) {
      setMain(`<section class="empty"><h1>Product not found</h1><p>There is no product <code>${esc(productId)}</code>.</p><a href="/" data-link>Back to all products</a></section>`);
      return;
    }
    throw err;
  }
  setMain(page.client === 'web' ? webPage(page) : mobilePage(page));
}

function degradedNotice(degraded: string[]): string {
  if (degraded.length === 0) return '';
  const names = degraded.map((part) => PART_LABELS[part] ?? part).join(', ');
  return `<p class="notice" role="status" data-testid="degraded">Some details are temporarily unavailable: ${esc(names)}. The rest of the page is up to date.</p>`;
}

function pricingBlock(p: WebProductPage['pricing']): string {
  if (!p) return '<div class="pricing muted">Price unavailable right now</div>';
  return `<div class="pricing" data-testid="pricing">
    <strong class="price big">${money(p.finalPrice, p.currency)}</strong>
    ${p.listPrice > p.finalPrice ? `<s class="muted">${money(p.listPrice, p.currency)}</s> <span class="save">Save ${money(p.savings, p.currency)}</span>` : ''}
    ${p.promotion ? `<div class="promo">🏷 ${esc(p.promotion.title)} · ends ${new Date(p.promotion.endsAt).toLocaleDateString()}</div>` : ''}
  </div>`;
}

function webPage(page: WebProductPage): string {
  const { product: p } = page;
  const availability = page.availability
    ? `<div class="stock ${page.availability.status}" data-testid="stock">${STOCK_TEXT[page.availability.status]}${page.availability.status !== 'out_of_stock' ? ` · ${page.availability.available} available` : ''}</div>`
    : '';
  const shipping = page.shipping
    ? `<div class="shipping" data-testid="shipping">🚚 ${esc(page.shipping.carrier)}: ${money(page.shipping.fee, page.shipping.currency)} delivery, ${page.shipping.etaDays.min}–${page.shipping.etaDays.max} days · free over ${money(page.shipping.freeOver, page.shipping.currency)}</div>`
    : '';
  const histogram = page.rating
    ? page.rating.histogram
        .map((n, i) => ({ stars: i + 1, n }))
        .reverse()
        .map(({ stars: s, n }) => `<div class="bar"><span>${s}★</span><span class="track"><span style="width:${page.rating!.count ? Math.round((n / page.rating!.count) * 100) : 0}%"></span></span><span>${n}</span></div>`)
        .join('')
    : '';
  const reviews = (page.reviews ?? [])
    .map(
      (r) => `<article class="review">
        <header>${stars(r.rating)} <strong>${esc(r.title)}</strong></header>
        <p>${esc(r.body)}</p>
        ${r.images.length ? `<div class="review-images">${r.images.map((i) => (i.url ? `<img src="${esc(i.url)}" alt="${esc(i.alt)}" width="96" height="96" loading="lazy" />` : '')).join('')}</div>` : ''}
        <footer class="muted small">${esc(r.author)} · ${relativeDays(r.createdAt)}</footer>
      </article>`,
    )
    .join('');
  return `${degradedNotice(page.degraded)}
  <article class="product" data-testid="product-page">
    <div class="gallery"><img src="${esc(p.images[0]?.url ?? '')}" alt="${esc(p.images[0]?.alt ?? p.name)}" width="640" height="480" /></div>
    <div class="buybox">
      <div class="muted">${esc(p.brand)} · ${esc(p.category)}</div>
      <h1>${esc(p.name)}</h1>
      ${page.rating ? `<a class="rating-link" href="#reviews">${stars(page.rating.average)} ${page.rating.average} (${page.rating.count} reviews)</a>` : ''}
      ${page.sales?.badge ? `<span class="badge">${esc(page.sales.badge)}</span>` : ''}
      ${page.sales ? `<span class="muted small">${page.sales.soldLast30Days.toLocaleString()} sold in the last 30 days</span>` : ''}
      ${pricingBlock(page.pricing)}
      ${availability}
      ${shipping}
      <p class="summary">${esc(p.summary)}</p>
      <button class="primary" ${page.availability?.status === 'out_of_stock' ? 'disabled' : ''}>Add to cart</button>
    </div>
  </article>
  <section class="details">
    <div><h2>About this product</h2><p>${esc(p.description)}</p><div class="tags">${p.tags.map((t) => `<span class="tag">#${esc(t)}</span>`).join('')}</div></div>
    <div><h2>Specifications</h2><table class="specs">${Object.entries(p.specs).map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('')}</table></div>
  </section>
  <section class="reviews" id="reviews">
    <h2>Reviews</h2>
    ${page.rating ? `<div class="rating-summary"><div class="big-rating">${page.rating.average}</div><div class="histogram">${histogram}</div></div>` : ''}
    ${reviews || '<p class="muted">No reviews to show.</p>'}
  </section>`;
}

function mobilePage(page: MobileProductPage): string {
  const { product: p } = page;
  return `${degradedNotice(page.degraded)}
  <article class="product mobile" data-testid="product-page">
    <div class="gallery"><img src="${esc(p.images[0]?.url ?? '')}" alt="${esc(p.name)}" width="640" height="480" /></div>
    <div class="buybox">
      <div class="muted">${esc(p.brand)}</div>
      <h1>${esc(p.name)}</h1>
      ${page.rating ? `<div>${stars(page.rating.average)} ${page.rating.average} (${page.rating.count})</div>` : ''}
      ${page.sales?.badge ? `<span class="badge">${esc(page.sales.badge)}</span>` : ''}
      ${page.pricing ? `<div class="pricing" data-testid="pricing"><strong class="price big">${money(page.pricing.finalPrice, page.pricing.currency)}</strong>${page.pricing.promotion ? `<div class="promo">🏷 ${esc(page.pricing.promotion)}</div>` : ''}</div>` : '<div class="muted">Price unavailable right now</div>'}
      ${page.availability ? `<div class="stock ${page.availability.status}" data-testid="stock">${STOCK_TEXT[page.availability.status]}</div>` : ''}
      ${page.shipping ? `<div class="shipping" data-testid="shipping">🚚 ${money(page.shipping.fee)} · ${page.shipping.etaDays.min}–${page.shipping.etaDays.max} days</div>` : ''}
      <p class="summary">${esc(p.summary)}</p>
      <button class="primary" ${page.availability?.status === 'out_of_stock' ? 'disabled' : ''}>Add to cart</button>
    </div>
  </article>
  <section class="reviews"><h2>Reviews</h2>${(page.reviews ?? []).map((r) => `<article class="review"><header>${stars(r.rating)} <strong>${esc(r.title)}</strong></header><p>${esc(r.body)}</p><footer class="muted small">${esc(r.author)}</footer></article>`).join('')}</section>`;
}
