import { ApiError, session, type Region } from '../api';
import { cartLines, removeFromCart } from '../cart';
import { isOrderable, isOverStock, notOrderedBecause, priceCart, type PricedLine } from '../cart-pricing';
import { esc, setMain } from '../dom';
import { ICONS } from '../icons';
import type { RouteContext } from '../main';
import { COUNTRIES, countryForRegion, placeOrder, TEST_CARDS, UNDELIVERABLE_POSTCODE, type Country, type PlaceOrderBody } from '../orders-api';
import { REGION_NAMES } from '../regions';
import { summaryHtml } from './cart';

/**
 * Checkout: delivery address and a (sandbox) card, the order summary, and "Place order". One
 * Idempotency-Key per visit of this page: pressing the button twice, or again after a lost answer, places
 * one order. Errors the API names (`body.address.postcode`) are shown next to their field.
 */
const FIELDS: Record<string, string> = {
  'body.address.name': 'ship-name',
  'body.address.line1': 'ship-line1',
  'body.address.line2': 'ship-line2',
  'body.address.city': 'ship-city',
  'body.address.postcode': 'ship-postcode',
  'body.address.country': 'ship-country',
  'body.card.number': 'card-number',
  'body.card.expMonth': 'card-exp-month',
  'body.card.expYear': 'card-exp-year',
  'body.card.cvc': 'card-cvc',
};

export async function renderCheckoutPage(ctx: RouteContext, region: Region): Promise<void> {
  const user = session();
  if (!user) {
    setMain(`<section class="empty"><h1>Sign in to check out</h1><p class="muted">Your cart is kept while you sign in.</p><a class="button-link" href="/sign-in?next=%2Fcheckout" data-link>Sign in</a></section>`);
    return;
  }
  if (cartLines().length === 0) {
    setMain(`<section class="empty" data-testid="cart-empty">${ICONS.cart}<h1>Your cart is empty</h1><a class="button-link" href="/" data-link>Browse products</a></section>`);
    return;
  }
  setMain('<section class="page-head"><h1>Checkout</h1></section><div class="panel skeleton text-skeleton" aria-busy="true"></div>');
  const cart = await priceCart(region);
  if (ctx.signal.aborted) return;
  // What the page was told it can sell is what is ordered; the rest stays in the cart for later (D133).
  const ordered = cart.lines.filter(isOrderable).map((l) => ({ productId: l.productId, qty: l.qty }));
  const idempotencyKey = crypto.randomUUID();
  const year = new Date().getFullYear();
  const country = countryForRegion(region);
  const main = setMain(`<section class="page-head"><h1>Checkout</h1><p class="muted">Prices and delivery for ${esc(REGION_NAMES[region])}. Payments go to a <strong>sandbox</strong>: no real card is charged.</p></section>
  <form id="checkout" class="checkout-layout" novalidate>
    <div class="checkout-main">
      <section class="panel" aria-labelledby="address-title">
        <h2 id="address-title">Delivery address</h2>
        <div class="form-grid">
          ${field('ship-name', 'Full name', `value="${esc(user.username === 'alice' ? 'Alice Wang' : '')}" autocomplete="name" required`, 'wide')}
          ${field('ship-line1', 'Address', 'autocomplete="address-line1" required', 'wide')}
          ${field('ship-line2', 'Apartment, floor (optional)', 'autocomplete="address-line2"', 'wide')}
          ${field('ship-city', 'City', 'autocomplete="address-level2" required')}
          ${field('ship-postcode', 'Postcode', 'autocomplete="postal-code" inputmode="text" required')}
          <div class="form-field wide"><label for="ship-country">Country or region</label>
            <select id="ship-country" name="country" autocomplete="country">${Object.entries(COUNTRIES)
              .map(([code, c]) => `<option value="${code}" ${code === country ? 'selected' : ''}>${esc(c.name)}</option>`)
              .join('')}</select><p class="field-error" id="ship-country-error" hidden></p></div>
        </div>
      </section>
      <section class="panel" aria-labelledby="card-title">
        <h2 id="card-title">Card</h2>
        <div class="form-grid">
          ${field('card-number', 'Card number', 'autocomplete="cc-number" inputmode="numeric" placeholder="4242 4242 4242 4242" required', 'wide')}
          <div class="form-field"><label for="card-exp-month">Expiry month</label><select id="card-exp-month" autocomplete="cc-exp-month">${Array.from({ length: 12 }, (_, i) => `<option value="${i + 1}" ${i === 11 ? 'selected' : ''}>${String(i + 1).padStart(2, '0')}</option>`).join('')}</select><p class="field-error" id="card-exp-month-error" hidden></p></div>
          <div class="form-field"><label for="card-exp-year">Expiry year</label><select id="card-exp-year" autocomplete="cc-exp-year">${Array.from({ length: 12 }, (_, i) => `<option value="${year + i}" ${i === 3 ? 'selected' : ''}>${year + i}</option>`).join('')}</select><p class="field-error" id="card-exp-year-error" hidden></p></div>
          ${field('card-cvc', 'Security code (CVC)', 'autocomplete="cc-csc" inputmode="numeric" maxlength="4" placeholder="123" required')}
        </div>
        <details class="test-cards" open>
          <summary>Sandbox test cards</summary>
          <p class="muted small">Any future expiry date and any 3 digits work. The shipment fails for postcode <code>${UNDELIVERABLE_POSTCODE}</code> (then the payment is refunded).</p>
          <ul data-testid="test-cards">${TEST_CARDS.map(
            (card) =>
              `<li><button type="button" class="secondary small-button" data-card="${esc(card.number)}" aria-label="Use card ${esc(card.number)} (${esc(card.outcome)})">Use</button><code>${esc(card.number)}</code> <strong>${esc(card.outcome)}</strong><span class="muted small">${esc(card.what)}</span></li>`,
          ).join('')}</ul>
        </details>
      </section>
    </div>
    <aside class="panel summary" aria-labelledby="summary-title">
      ${summaryHtml(cart)}
      <ul class="summary-lines">${cart.lines.map(summaryLineHtml).join('')}</ul>
      ${ordered.length === 0 ? `<p class="error" id="nothing-to-order" data-testid="nothing-to-order">${cart.lines.some(isOverStock) ? 'Nothing in your cart can be ordered as it is: lower the quantities the shop has too few of.' : 'Nothing in your cart is in stock right now, so there is nothing to order.'}</p>` : ''}
      <p class="error" role="alert" tabindex="-1" data-testid="checkout-error" hidden></p>
      <button class="primary wide" type="submit" data-testid="place-order" ${ordered.length === 0 ? 'disabled aria-describedby="nothing-to-order"' : ''}>Place order</button>
      <p class="muted small">You can follow the order live on the next page.</p>
    </aside>
  </form>`);

  const form = main.querySelector<HTMLFormElement>('#checkout')!;
  const error = main.querySelector<HTMLElement>('[data-testid=checkout-error]')!;
  const button = main.querySelector<HTMLButtonElement>('[data-testid=place-order]')!;
  const input = (id: string) => main.querySelector<HTMLInputElement | HTMLSelectElement>(`#${id}`)!;
  main.querySelectorAll<HTMLButtonElement>('[data-card]').forEach((b) =>
    b.addEventListener('click', () => {
      input('card-number').value = b.dataset.card!;
      if (!input('card-cvc').value) input('card-cvc').value = '123';
      input('card-number').focus();
    }),
  );

  const showFieldError = (id: string, message: string) => {
    const box = main.querySelector<HTMLElement>(`#${id}-error`);
    const control = input(id);
    if (!box || !control) return;
    box.hidden = false;
    box.textContent = message;
    control.setAttribute('aria-invalid', 'true');
    control.setAttribute('aria-describedby', `${id}-error`);
  };
  const clearErrors = () => {
    error.hidden = true;
    main.querySelectorAll<HTMLElement>('.field-error').forEach((e) => (e.hidden = true));
    main.querySelectorAll('[aria-invalid]').forEach((e) => e.removeAttribute('aria-invalid'));
  };

  form.addEventListener('submit', (event) => {
    event.preventDefault();
    clearErrors();
    const value = (id: string) => input(id).value.trim();
    const required = ['ship-name', 'ship-line1', 'ship-city', 'ship-postcode', 'card-number', 'card-cvc'].filter((id) => !value(id));
    if (required.length > 0) {
      required.forEach((id) => showFieldError(id, 'Required'));
      input(required[0]!).focus();
      return;
    }
    const body: PlaceOrderBody = {
      items: ordered,
      address: { name: value('ship-name'), line1: value('ship-line1'), ...(value('ship-line2') ? { line2: value('ship-line2') } : {}), city: value('ship-city'), postcode: value('ship-postcode'), country: value('ship-country') as Country },
      card: { number: value('card-number'), expMonth: Number(value('card-exp-month')), expYear: Number(value('card-exp-year')), cvc: value('card-cvc') },
      region,
    };
    button.disabled = true;
    button.textContent = 'Placing order…';
    placeOrder(body, idempotencyKey)
      .then((created) => {
        for (const item of ordered) removeFromCart(item.productId);
        ctx.navigate(`/orders/${created.orderId}`);
      })
      .catch((err: unknown) => {
        button.disabled = false;
        button.textContent = 'Place order';
        const details = err instanceof ApiError ? (err.details ?? []) : [];
        for (const d of details) {
          const id = FIELDS[d.path];
          if (id) showFieldError(id, sentence(d.message));
        }
        error.hidden = false;
        error.textContent = err instanceof ApiError ? checkoutErrorText(err) : 'The order could not be sent. Check your connection and press Place order again (you will not be charged twice).';
        // The pressed button was disabled, which drops the keyboard focus: it goes to the first field at fault,
        // else to the words that say what happened (the next Tab is Place order again).
        const first = details.map((d) => FIELDS[d.path]).find(Boolean);
        if (first) input(first).focus();
        else error.focus();
      });
  });
}

function summaryLineHtml(line: PricedLine): string {
  const why = notOrderedBecause(line);
  return why ? `<li class="muted"><span>${line.qty} × ${esc(line.name)}: ${why}, not ordered</span></li>` : `<li><span>${line.qty} × ${esc(line.name)}</span></li>`;
}

function field(id: string, label: string, attributes: string, className = ''): string {
  return `<div class="form-field ${className}"><label for="${id}">${esc(label)}</label><input id="${id}" ${attributes} /><p class="field-error" id="${id}-error" hidden></p></div>`;
}

const sentence = (s: string) => (s ? s[0]!.toUpperCase() + s.slice(1) : s);

function checkoutErrorText(err: ApiError): string {
  if (err.status === 401) return 'Your session has ended. Sign in again to place the order.';
  if (err.code === 'IdempotencyKeyReused') return 'This checkout was already used for another order. Reload the page to start again.';
  if (err.status === 400) return err.details?.some((d) => d.path.startsWith('body.items')) ? `An item in your cart cannot be ordered: ${err.message.replace(/^invalid [^:]+: /, '')}.` : 'Please correct the highlighted fields.';
  if (err.status >= 500) return 'The shop could not take the order right now. Press Place order again in a moment (you will not be charged twice).';
  return err.message;
}
