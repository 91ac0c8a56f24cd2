import type { ProductListResponse } from '../../../functions/_shared/contracts/product-page';
import { api, type Region } from '../api';
import { esc, money, setMain } from '../dom';

export async function renderProductList(region: Region): Promise<void> {
  setMain(`<section class="hero"><h1>Everything for the weekend</h1><p>Prices, stock and delivery for your region, assembled live from six microservices.</p></section><div class="grid" aria-busy="true">${'<div class="card skeleton"></div>'.repeat(8)}</div>`);
  const { data } = await api<ProductListResponse>(`/api/products?limit=48&region=${region}`);
  const cards = data.items
    .map(
      (p) => `
      <a class="card" href="/products/${esc(p.productId)}" data-link>
        <img src="${esc(p.image)}" alt="${esc(p.name)}" loading="lazy" width="320" height="240" />
        <div class="card-body">
          <div class="muted small">${esc(p.brand)} · ${esc(p.category)}</div>
          <h2 class="card-title">${esc(p.name)}</h2>
          <p class="muted small clamp">${esc(p.summary)}</p>
          <div class="price-row">${
            p.price
              ? `<strong class="price">${money(p.price.amount, p.price.currency)}</strong>${p.price.listPrice > p.price.amount ? ` <s class="muted">${money(p.price.listPrice, p.price.currency)}</s>` : ''}`
              : '<span class="muted">Price unavailable</span>'
          }</div>
        </div>
      </a>`,
    )
    .join('');
  const notice = data.degraded.includes('price') ? '<p class="notice">Prices are temporarily unavailable; showing the catalogue without them.</p>' : '';
  setMain(`<section class="hero"><h1>Everything for the weekend</h1><p>Prices, stock and delivery for your region, assembled live from six microservices.</p></section>${notice}<div class="grid" data-testid="product-grid">${cards}</div>`);
}
