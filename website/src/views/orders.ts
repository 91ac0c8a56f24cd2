import { session } from '../api';
import { esc, messageOf, money, setMain } from '../dom';
import { ICONS } from '../icons';
import type { RouteContext } from '../main';
import { listOrders, type OrderList } from '../orders-api';
import { statusBadge } from './order';

/** "My orders": newest first, ten at a time. */
export async function renderOrdersPage(ctx: RouteContext): Promise<void> {
  if (!session()) {
    setMain(`<section class="empty"><h1>Sign in to see your orders</h1><a class="button-link" href="/sign-in?next=%2Forders" data-link>Sign in</a></section>`);
    return;
  }
  setMain('<section class="page-head"><h1>My orders</h1></section><div class="panel skeleton text-skeleton" aria-busy="true"></div>');
  const first = await listOrders();
  if (ctx.signal.aborted) return;
  if (first.orders.length === 0) {
    setMain(`<section class="empty" data-testid="no-orders">${ICONS.cart}<h1>No orders yet</h1><p class="muted">Orders you place appear here, with their live status.</p><a class="button-link" href="/" data-link>Browse products</a></section>`);
    return;
  }
  const main = setMain(`<section class="page-head"><h1>My orders</h1></section>
    <section class="panel"><ul class="order-list" data-testid="order-list"></ul>
    <p class="error" role="alert" data-testid="orders-error" hidden></p>
    <div class="load-more-row"><button class="secondary" type="button" id="more-orders" hidden>Show older orders</button></div></section>`);
  const list = main.querySelector<HTMLUListElement>('.order-list')!;
  const error = main.querySelector<HTMLElement>('[data-testid=orders-error]')!;
  const more = main.querySelector<HTMLButtonElement>('#more-orders')!;
  const append = (page: OrderList) => {
    const shown = list.children.length;
    list.insertAdjacentHTML('beforeend', page.orders.map(orderRow).join(''));
    more.hidden = !page.nextCursor;
    more.onclick = page.nextCursor ? () => void older(page.nextCursor!, shown + page.orders.length) : null;
  };
  // The button is disabled while the page is on its way, which drops the keyboard focus: it goes to the first older
  // order (as the gallery's "load more" does), or back to the button with the reason when they did not come.
  const older = async (cursor: string, firstNew: number) => {
    more.disabled = true;
    more.textContent = 'Loading older orders…';
    const next = await listOrders(cursor).then(
      (page) => ({ page }),
      (failure: unknown) => ({ failure }),
    );
    if (ctx.signal.aborted) return;
    more.disabled = false;
    more.textContent = 'Show older orders';
    if ('failure' in next) {
      error.hidden = false;
      error.textContent = `Older orders could not be loaded: ${messageOf(next.failure)}. Press the button to try again.`;
      more.focus();
      return;
    }
    error.hidden = true;
    append(next.page);
    list.querySelectorAll<HTMLElement>('.order-row')[firstNew]?.focus();
  };
  append(first);
}

function orderRow(o: OrderList['orders'][number]): string {
  return `<li><a class="order-row" href="/orders/${esc(o.orderId)}" data-link data-testid="order-row" data-order-id="${esc(o.orderId)}">
      <span class="order-row-main"><strong>${esc(o.title)}</strong><span class="muted small">${new Date(o.createdAt).toLocaleString('en-GB')} · ${o.itemCount} item${o.itemCount === 1 ? '' : 's'} · <code>${esc(o.orderId)}</code></span></span>
      <span class="order-row-side">${statusBadge(o.status)}<strong>${money(o.total, o.currency)}</strong></span>
    </a></li>`;
}
