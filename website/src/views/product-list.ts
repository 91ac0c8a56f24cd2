import type { ProductListResponse } from '../../../functions/_shared/contracts/product-page';
import { api, type Region } from '../api';
import { esc, money, setMain, unavailableNote } from '../dom';
import { listPriceNotice } from '../degraded-text';
import { recheckIfDegraded } from '../recheck';
import { REGION_NAMES } from '../regions';

const hero = (region: Region): string =>
  `<section class="hero"><h1>Everything for the weekend</h1><p>Prices, stock and delivery to ${esc(REGION_NAMES[region])}, assembled live from six microservices.</p></section>`;

/** Cards in the first screenful load at once; the rest lazily as the shopper scrolls. */
const EAGER_CARDS = 8;

export async function renderProductList(region: Region, signal?: AbortSignal): Promise<void> {
  setMain(`${hero(region)}<div class="grid" aria-busy="true">${'<div class="card skeleton"></div>'.repeat(8)}</div>`);
  const path = `/api/products?limit=48&region=${region}`;
  const { data } = await api<ProductListResponse>(path);
  // Left meanwhile (e.g. "Sign in" pressed while the list was on its way): the page now shown stays.
  if (signal?.aborted) return;
  showList(data, region);
  recheckIfDegraded(data, path, signal, (again) => showList(again, region));
}

function showList(data: ProductListResponse, region: Region): void {
  const cards = data.items
    .map(
      (p, index) => `
      <a class="card" href="/products/${esc(p.productId)}" data-link data-testid="product-card" data-product-id="${esc(p.productId)}">
        <img src="${esc(p.image)}" alt="" ${index < EAGER_CARDS ? '' : 'loading="lazy"'} width="400" height="300" />
        <div class="card-body">
          <div class="muted small card-meta">${esc(p.brand)} · ${esc(p.category)}</div>
          <h2 class="card-title">${esc(p.name)}</h2>
          <p class="muted small clamp card-summary">${esc(p.summary)}</p>
          <div class="price-row">${
            p.price
              ? `<strong class="price" data-testid="card-price">${money(p.price.finalPrice, p.price.currency)}</strong>${p.price.listPrice > p.price.finalPrice ? ` <s class="muted small" aria-label="was ${money(p.price.listPrice, p.price.currency)}">${money(p.price.listPrice, p.price.currency)}</s>` : ''}${p.price.promotion ? `<div class="card-promo small" data-testid="card-promotion">${esc(p.price.promotion)}</div>` : ''}`
              : '<span class="muted small">Price unavailable</span>'
          }</div>
        </div>
      </a>`,
    )
    .join('');
  const priceNote = listPriceNotice(data.items, data.degraded);
  const notice = priceNote ? unavailableNote(priceNote) : '';
  setMain(`${hero(region)}${notice}<div class="grid" data-testid="product-grid">${cards || '<p class="muted">No products yet.</p>'}</div>`);
}
