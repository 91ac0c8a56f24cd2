import { session, type Region } from '../api';
import { MAX_QTY, removeFromCart, setQty } from '../cart';
import { isOrderable, isOverStock, priceCart, type PricedCart, type PricedLine } from '../cart-pricing';
import { esc, keepingFocus, money, setMain, unavailableNote } from '../dom';
import { ICONS } from '../icons';
import type { RouteContext } from '../main';
import { REGION_NAMES } from '../regions';

/** The cart page: lines with quantities, the estimated total for the delivery region, and the way to checkout. */
export async function renderCartPage(ctx: RouteContext, region: Region): Promise<void> {
  setMain('<section class="page-head"><h1>Your cart</h1></section><div class="panel skeleton text-skeleton" aria-busy="true"></div>');
  const cart = await priceCart(region);
  if (ctx.signal.aborted) return;
  showCart(ctx, region, cart);
}

/**
 * A changed quantity or a removed line is priced again while the cart stays on screen (its summary greyed), then
 * drawn anew with the keyboard focus kept: on the same quantity, or after "Remove" on the line that took the
 * removed one's place (the one before it at the end; the page when the cart is empty). Drawing it from a skeleton
 * sent the focus to <body> on every arrow key in a quantity.
 */
function showCart(ctx: RouteContext, region: Region, cart: PricedCart): void {
  if (cart.lines.length === 0) {
    setMain(`<section class="empty" data-testid="cart-empty">${ICONS.cart}<h1>Your cart is empty</h1><p class="muted">Find something you like and press <strong>Add to cart</strong>.</p><a class="button-link" href="/" data-link>Browse products</a></section>`);
    return;
  }
  const main = setMain(`<section class="page-head"><h1>Your cart</h1><p class="muted">Prices and delivery for ${esc(REGION_NAMES[region])}. Change the region at the top of the page.</p></section>
    <div class="checkout-layout">
      <section class="panel" aria-label="Items"><ul class="cart-lines" data-testid="cart-lines">${cart.lines.map(lineHtml).join('')}</ul></section>
      <aside class="panel summary" aria-labelledby="summary-title">${summaryHtml(cart)}
        <a class="button-link wide" href="${session() ? '/checkout' : '/sign-in?next=%2Fcheckout'}" data-link data-testid="to-checkout">${session() ? 'Go to checkout' : 'Sign in to check out'}</a>
      </aside>
    </div>`);
  const summary = main.querySelector<HTMLElement>('.summary')!;
  const reprice = async (focusAfter?: () => HTMLElement | undefined) => {
    const version = ++repricing;
    summary.setAttribute('aria-busy', 'true');
    const again = await priceCart(region).catch(() => undefined);
    if (ctx.signal.aborted || version !== repricing) return;
    if (!again) {
      // The totals on screen are for the cart as it was: they stay greyed, and say why.
      summary.setAttribute('aria-busy', 'false');
      summary.classList.add('stale');
      summary.querySelector('[data-testid=degraded]')?.remove();
      summary.querySelector('dl')!.insertAdjacentHTML('afterend', unavailableNote('The total could not be worked out again right now; it is worked out when you place the order.'));
      return;
    }
    keepingFocus(() => showCart(ctx, region, again));
    focusAfter?.()?.focus();
  };
  main.querySelectorAll<HTMLElement>('[data-line]').forEach((li, index) => {
    const productId = li.dataset.line!;
    li.querySelector<HTMLSelectElement>('select')?.addEventListener('change', (event) => {
      setQty(productId, Number((event.target as HTMLSelectElement).value));
      void reprice();
    });
    li.querySelector<HTMLButtonElement>('[data-remove]')?.addEventListener('click', () => {
      removeFromCart(productId);
      void reprice(() => {
        const removes = [...document.querySelectorAll<HTMLElement>('#app [data-remove]')];
        return removes[Math.min(index, removes.length - 1)] ?? document.getElementById('app') ?? undefined;
      });
    });
  });
}

/** The latest repricing wins: an earlier answer that comes later is dropped. */
let repricing = 0;

function lineHtml(line: PricedLine): string {
  // No more than are left can be chosen; the quantity already in the cart stays shown, so the shopper sees what to lower.
  const options = Array.from({ length: MAX_QTY }, (_, i) => i + 1)
    .map((n) => `<option value="${n}" ${n === line.qty ? 'selected' : line.available !== undefined && n > line.available ? 'disabled' : ''}>${n}</option>`)
    .join('');
  const stock = line.gone
    ? '<span class="stock out_of_stock">No longer sold: not in the total, not ordered</span>'
    : line.stock === 'out_of_stock'
      ? '<span class="stock out_of_stock">Out of stock: not in the total, not ordered</span>'
      : isOverStock(line)
        ? `<span class="stock out_of_stock">Only ${line.available} left: lower the quantity to ${line.available} or fewer to order it; not in the total, not ordered</span>`
        : line.stock === 'low_stock'
          ? `<span class="stock low_stock">Only ${line.available ?? 'a few'} left</span>`
          : '';
  return `<li class="cart-line" data-line="${esc(line.productId)}" data-testid="cart-line">
    ${line.image ? `<img src="${esc(line.image)}" alt="" width="96" height="72" />` : '<span class="thumb-placeholder"></span>'}
    <div class="cart-line-text">
      <a href="/products/${esc(line.productId)}" data-link class="cart-line-name">${esc(line.name)}</a>
      <span class="muted small">${line.unitPrice === undefined ? 'Price unavailable right now' : `${money(line.unitPrice, line.currency)} each`}</span>
      ${stock}
    </div>
    <div class="cart-line-qty">
      <label class="sr-only" for="qty-${esc(line.productId)}">Quantity of ${esc(line.name)}</label>
      <select id="qty-${esc(line.productId)}" ${line.gone ? 'disabled' : ''}>${options}</select>
      <button type="button" class="link-button" data-remove aria-label="Remove ${esc(line.name)}">Remove</button>
    </div>
    ${isOrderable(line) ? `<strong class="cart-line-total">${line.unitPrice === undefined ? '—' : money(line.unitPrice * line.qty, line.currency)}</strong>` : '<strong class="cart-line-total muted">—</strong>'}
  </li>`;
}

/** Subtotal, delivery and total; shared with the checkout page. */
export function summaryHtml(cart: PricedCart): string {
  const delivery = cart.shippingFee === undefined ? '<span class="muted">at checkout</span>' : cart.shippingFee === 0 ? 'Free' : money(cart.shippingFee, cart.currency);
  return `<h2 id="summary-title">Order summary</h2>
    <dl class="totals">
      <div><dt>Items</dt><dd data-testid="subtotal">${money(cart.subtotal, cart.currency)}</dd></div>
      <div><dt>Delivery</dt><dd data-testid="delivery">${delivery}</dd></div>
      <div class="grand"><dt>Total</dt><dd data-testid="total">${cart.total === undefined ? '—' : money(cart.total, cart.currency)}</dd></div>
    </dl>
    ${cart.incomplete ? unavailableNote('Some prices are unavailable right now; the total is worked out when you place the order.') : ''}`;
}
