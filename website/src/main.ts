import { session, signOut, type ApiError } from './api';
import { pageFailureText } from './degraded-text';
import { esc, notFound, setMain, setTitle } from './dom';
import { installLightbox } from './lightbox';
import { REGION_NAMES, currentRegion, saveRegion } from './regions';
import { CART_CHANGED, cartCount } from './cart';
import { ICONS } from './icons';
import { renderCartPage } from './views/cart';
import { renderCheckoutPage } from './views/checkout';
import { renderImagesPage } from './views/images';
import { renderOrderPage } from './views/order';
import { renderOrdersPage } from './views/orders';
import { renderIotDashboard } from './views/iot-dashboard';
import { renderProductList } from './views/product-list';
import { renderProductPage } from './views/product-page';
import { renderSignIn } from './views/sign-in';

/**
 * The SPA shell: a history-API router over a handful of pages. Later applications register their
 * pages in `routes` (the IoT dashboard next).
 *
 * Each render gets an AbortSignal that fires when the person navigates away, so a page's timers and
 * polls (the image status poll) stop with it.
 */
export interface RouteContext {
  match: RegExpExecArray;
  query: URLSearchParams;
  signal: AbortSignal;
  navigate: (path: string) => void;
}

type Route = { pattern: RegExp; nav: string; title: string; render: (ctx: RouteContext) => Promise<void> | void };

const routes: Route[] = [
  { pattern: /^\/$/, nav: 'products', title: 'Products', render: (ctx) => renderProductList(currentRegion(), ctx.signal) },
  { pattern: /^\/products\/([^/]+)$/, nav: 'products', title: 'Product', render: (ctx) => renderProductPage(decodeURIComponent(ctx.match[1]!), currentRegion(), ctx.signal) },
  { pattern: /^\/images$/, nav: 'images', title: 'Photos', render: (ctx) => renderImagesPage(ctx) },
  { pattern: /^\/cart$/, nav: 'cart', title: 'Cart', render: (ctx) => renderCartPage(ctx, currentRegion()) },
  { pattern: /^\/checkout$/, nav: 'cart', title: 'Checkout', render: (ctx) => renderCheckoutPage(ctx, currentRegion()) },
  { pattern: /^\/orders$/, nav: 'orders', title: 'My orders', render: (ctx) => renderOrdersPage(ctx) },
  { pattern: /^\/orders\/([^/]+)$/, nav: 'orders', title: 'Order', render: (ctx) => renderOrderPage(decodeURIComponent(ctx.match[1]!), ctx) },
  { pattern: /^\/iot$/, nav: 'iot', title: 'IoT dashboard', render: (ctx) => renderIotDashboard(ctx) },
  { pattern: /^\/sign-in$/, nav: '', title: 'Sign in', render: (ctx) => renderSignIn(() => navigate(safeNext(ctx.query.get('next')))) },
];

let current: AbortController | undefined;
let renderedUrl = '';

async function render(options: { focus: boolean } = { focus: false }): Promise<void> {
  current?.abort();
  const controller = new AbortController();
  current = controller;
  const path = location.pathname;
  renderedUrl = path + location.search;
  const route = routes.find((r) => r.pattern.test(path));
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => {
    const active = a.dataset.nav === route?.nav;
    a.classList.toggle('active', active);
    if (active) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
  renderAccount();
  setTitle(route?.title ?? 'Not found');
  if (!route) {
    setMain(notFound('Page not found', `There is no page at <code>${esc(path)}</code>.`));
  } else {
    try {
      await route.render({ match: route.pattern.exec(path)!, query: new URLSearchParams(location.search), signal: controller.signal, navigate });
    } catch (err) {
      if (controller.signal.aborted) return;
      setMain(`<section class="empty" role="alert"><h1>Something went wrong</h1><p>We could not load this page: ${esc(pageFailureText(err as ApiError))}.</p><button class="primary" type="button" id="retry">Try again</button></section>`);
      // The button goes with this page: the focus goes to the one that comes instead, not to <body>.
      document.getElementById('retry')?.addEventListener('click', () => void render({ focus: true }));
    }
  }
  // After an in-app navigation, move focus to the new content so keyboard and screen-reader users
  // start there (a full page load already starts at the top).
  if (options.focus) document.getElementById('app')?.focus({ preventScroll: true });
}

export function navigate(path: string): void {
  history.pushState({}, '', path);
  window.scrollTo(0, 0);
  void render({ focus: true });
}

/** Only same-site paths may be a sign-in's destination (no open redirect through `?next=`). */
function safeNext(next: string | null): string {
  return next && next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function renderAccount(): void {
  const account = document.getElementById('account') as HTMLAnchorElement;
  const s = session();
  if (s) {
    // On phones only "Sign out" shows (styles.css), so the header keeps room for the navigation.
    account.innerHTML = `<span class="who">${esc(s.username)}${s.role === 'admin' ? ' (admin)' : ''} · </span>Sign out`;
    account.href = '#sign-out';
    account.removeAttribute('data-link');
    account.onclick = (event) => {
      event.preventDefault();
      signOut();
      void render();
    };
  } else {
    account.textContent = 'Sign in';
    const here = location.pathname === '/sign-in' ? '' : `?next=${encodeURIComponent(location.pathname + location.search)}`;
    account.href = `/sign-in${here}`;
    account.setAttribute('data-link', '');
    account.onclick = null;
  }
}

function setupRegionPicker(): void {
  const select = document.getElementById('region') as HTMLSelectElement;
  select.innerHTML = Object.entries(REGION_NAMES)
    .map(([id, name]) => `<option value="${id}">${name}</option>`)
    .join('');
  select.value = currentRegion();
  select.addEventListener('change', () => {
    saveRegion(select.value);
    void render();
  });
}

document.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[data-link]');
  if (!link || link.origin !== location.origin || event.metaKey || event.ctrlKey || event.shiftKey || event.button !== 0) return;
  event.preventDefault();
  navigate(link.pathname + link.search + link.hash);
});
// Back/forward re-render; an in-page anchor (#reviews) also fires popstate but is the same page.
window.addEventListener('popstate', () => {
  if (location.pathname + location.search !== renderedUrl) void render({ focus: true });
});
/** The header's cart link shows how many items the cart holds, in every tab. */
function setupCartBadge(): void {
  const link = document.getElementById('cart-link')!;
  link.querySelector('.cart-icon')!.innerHTML = ICONS.cart;
  const update = () => {
    const count = cartCount();
    const badge = link.querySelector<HTMLElement>('.cart-count')!;
    badge.textContent = String(count);
    badge.classList.toggle('zero', count === 0);
    // Heard, not seen: "Cart, 1 item".
    link.querySelector('.cart-unit')!.textContent = count === 1 ? ' item' : ' items';
  };
  window.addEventListener(CART_CHANGED, update);
  window.addEventListener('storage', update);
  update();
}

installLightbox();
setupRegionPicker();
setupCartBadge();
void render();
