import { ApiError, session } from '../api';
import { esc, keepingFocus, money, notFound, setMain, setTitle } from '../dom';
import { ICONS } from '../icons';
import type { RouteContext } from '../main';
import { EVENT_TEXT, getOrder, STATUS_TEXT, TERMINAL, type OrderStatus, type OrderView, type TimelineEntry } from '../orders-api';

/**
 * One order, live: the page long-polls `GET /api/orders/{id}?waitFor=<version>` (the server answers as
 * soon as the order moves, or after 25 s), so each step appears within moments of happening — locally and
 * on FC alike, with no socket to keep open. Polling stops when the order is final or the shopper leaves.
 */
const STAGES: { status: OrderStatus; label: string }[] = [
  { status: 'PENDING', label: 'Placed' },
  { status: 'RESERVED', label: 'Reserved' },
  { status: 'PAID', label: 'Paid' },
  { status: 'SHIPPED', label: 'Shipped' },
  { status: 'SUCCEEDED', label: 'Complete' },
];
const RANK: Partial<Record<OrderStatus, number>> = { PENDING: 0, RESERVED: 1, PAYMENT_PENDING: 1, PAID: 2, SHIPPED: 3, SUCCEEDED: 4 };

export async function renderOrderPage(orderId: string, ctx: RouteContext): Promise<void> {
  if (!session()) {
    setMain(`<section class="empty"><h1>Sign in to see this order</h1><a class="button-link" href="/sign-in?next=${encodeURIComponent(`/orders/${orderId}`)}" data-link>Sign in</a></section>`);
    return;
  }
  // The page's title is known before the order is: it stands over the placeholder (where the
  // order's own heading comes), as on the cart and My orders.
  setMain(`<section class="page-head order-head"><div><a class="small back-link" href="/orders" data-link>← My orders</a><h1>Order <code class="order-id">${esc(orderId)}</code></h1></div></section><div class="panel skeleton text-skeleton" aria-busy="true"></div>`);
  let order: OrderView;
  try {
    order = await getOrder(orderId, undefined, ctx.signal);
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) {
      setTitle('Order not found');
      setMain(notFound('Order not found', `There is no order <code>${esc(orderId)}</code> in your account.`));
      return;
    }
    throw err;
  }
  const main = setMain(`<div data-testid="order-page" class="order-page"></div>`);
  const root = main.querySelector<HTMLElement>('[data-testid=order-page]')!;
  let previous: OrderView | undefined;
  const draw = (view: OrderView, live: 'live' | 'final' | 'reconnecting') => {
    setTitle(`Order ${view.orderId}`);
    // Redrawn at every step of the order: a focused link or button keeps the focus.
    keepingFocus(() => (root.innerHTML = orderHtml(view, live)));
    // Announce only what is new to screen readers.
    if (previous && view.version > previous.version) {
      const fresh = view.timeline.slice(previous.timeline.length).map((t) => EVENT_TEXT[t.event]);
      root.querySelector<HTMLElement>('[data-testid=announce]')!.textContent = fresh.join('. ');
    }
    previous = view;
  };
  draw(order, TERMINAL.includes(order.status) ? 'final' : 'live');

  let failures = 0;
  while (!TERMINAL.includes(order.status) && !ctx.signal.aborted) {
    try {
      const next = await getOrder(orderId, order.version, ctx.signal);
      failures = 0;
      if (next.version !== order.version || next.status !== order.status) {
        order = next;
        draw(order, TERMINAL.includes(order.status) ? 'final' : 'live');
      }
    } catch (err) {
      if (ctx.signal.aborted) return;
      failures++;
      draw(order, 'reconnecting');
      // A lost connection or a restarting server: try again, a little later each time.
      await new Promise((resolve) => setTimeout(resolve, Math.min(10_000, 500 * 2 ** failures)));
      if (err instanceof ApiError && err.status === 401) return;
    }
  }
}

function stagesHtml(view: OrderView): string {
  const failed = view.status === 'FAILED' || view.status === 'COMPENSATING';
  const reached = Math.max(...view.timeline.map((t) => RANK[t.status] ?? -1));
  return `<ol class="stages ${failed ? 'failed' : ''}" aria-label="Progress">${STAGES.map((stage, i) => {
    const state = i <= reached ? 'done' : i === reached + 1 && !failed ? 'next' : 'todo';
    return `<li class="stage ${state}" ${i === reached ? 'aria-current="step"' : ''}><span class="dot">${state === 'done' ? ICONS.check : ''}</span><span>${stage.label}</span></li>`;
  }).join('')}</ol>`;
}

const OUTCOME_ICON: Record<TimelineEntry['outcome'], string> = { ok: ICONS.check, failed: ICONS.alert, compensation: ICONS.undo, info: ICONS.clock };

function timelineHtml(view: OrderView): string {
  return `<ol class="timeline" data-testid="timeline">${view.timeline
    .map(
      (t) => `<li class="event ${t.outcome}" data-testid="timeline-entry" data-event="${esc(t.event)}" data-status="${esc(t.status)}">
        <span class="event-icon">${OUTCOME_ICON[t.outcome]}</span>
        <div class="event-body"><strong>${esc(EVENT_TEXT[t.event])}</strong>${t.detail ? `<span class="muted small">${esc(t.detail)}</span>` : ''}</div>
        <time datetime="${esc(t.at)}" class="muted small">${new Date(t.at).toLocaleTimeString('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit' })}</time>
      </li>`,
    )
    .join('')}</ol>`;
}

export function statusBadge(status: OrderStatus): string {
  return `<span class="order-status ${status.toLowerCase()}" data-testid="order-status" data-status="${status}">${esc(STATUS_TEXT[status])}</span>`;
}

function orderHtml(view: OrderView, live: 'live' | 'final' | 'reconnecting'): string {
  const liveText = live === 'live' ? '<span class="live-dot" aria-hidden="true"></span> Updating live' : live === 'reconnecting' ? 'Reconnecting…' : 'Final';
  const outcome =
    view.status === 'SUCCEEDED'
      ? `<p class="outcome ok">${ICONS.check}<span>Thank you! Your order is complete${view.shipment ? ` and on its way with ${esc(view.shipment.carrier)} (tracking <code>${esc(view.shipment.trackingNumber)}</code>)` : ''}.</span></p>`
      : view.status === 'FAILED'
        ? `<p class="outcome failed" data-testid="failure">${ICONS.alert}<span>${esc(view.failure?.message ?? 'The order could not be completed.')}</span></p>`
        : '';
  return `<section class="page-head order-head">
      <div><a class="small back-link" href="/orders" data-link>← My orders</a><h1>Order <code class="order-id">${esc(view.orderId)}</code></h1>
      <p class="muted small">Placed ${new Date(view.createdAt).toLocaleString('en-GB')} · <span data-testid="live">${liveText}</span></p></div>
      ${statusBadge(view.status)}
    </section>
    ${outcome}
    ${stagesHtml(view)}
    <p class="sr-only" aria-live="polite" data-testid="announce"></p>
    <div class="order-layout">
      <section class="panel" aria-labelledby="timeline-title"><h2 id="timeline-title">Timeline</h2>${timelineHtml(view)}</section>
      <aside class="panel" aria-labelledby="details-title">
        <h2 id="details-title">Details</h2>
        <ul class="summary-lines">${view.items.map((i) => `<li><span>${i.qty} × ${esc(i.name)}</span><span>${money(i.lineTotal, view.currency)}</span></li>`).join('')}</ul>
        <dl class="totals">
          <div><dt>Items</dt><dd>${money(view.subtotal, view.currency)}</dd></div>
          <div><dt>Delivery</dt><dd>${view.shippingFee === 0 ? 'Free' : money(view.shippingFee, view.currency)}</dd></div>
          <div class="grand"><dt>Total</dt><dd data-testid="order-total">${money(view.total, view.currency)}</dd></div>
        </dl>
        <h3 class="subhead">Delivery address</h3>
        <address>${esc(view.address.name)}<br />${esc(view.address.line1)}${view.address.line2 ? `<br />${esc(view.address.line2)}` : ''}<br />${esc(view.address.postcode)} ${esc(view.address.city)}, ${esc(view.address.country)}</address>
        <h3 class="subhead">Payment</h3>
        <p>${esc(view.payment.brand)}&nbsp;••••&nbsp;${esc(view.payment.last4)}</p>
      </aside>
    </div>`;
}
