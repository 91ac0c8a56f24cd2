import { session, signOut, type Region } from './api';
import { esc, setMain } from './dom';
import { renderProductList } from './views/product-list';
import { renderProductPage } from './views/product-page';
import { renderSignIn } from './views/sign-in';

/**
 * The SPA shell: a history-API router over a handful of pages. Later applications register their
 * pages in `routes` (images, IoT dashboard, orders).
 */
const REGION_NAMES: Record<Region, string> = {
  'cn-hangzhou': 'Hangzhou',
  'cn-shanghai': 'Shanghai',
  'cn-beijing': 'Beijing',
  'cn-shenzhen': 'Shenzhen',
  'cn-hongkong': 'Hong Kong',
  'ap-southeast-1': 'Singapore',
};

function region(): Region {
  const saved = localStorage.getItem('fcsuite.region') as Region | null;
  return saved && saved in REGION_NAMES ? saved : 'cn-hangzhou';
}

type Route = { pattern: RegExp; nav: string; render: (match: RegExpExecArray) => Promise<void> | void };

const routes: Route[] = [
  { pattern: /^\/$/, nav: 'products', render: () => renderProductList(region()) },
  { pattern: /^\/products\/([\w-]+)$/, nav: 'products', render: (m) => renderProductPage(m[1]!, region()) },
  { pattern: /^\/sign-in$/, nav: '', render: () => renderSignIn(() => navigate('/')) },
];

async function render(): Promise<void> {
  const path = location.pathname;
  const route = routes.find((r) => r.pattern.test(path));
  document.querySelectorAll<HTMLAnchorElement>('[data-nav]').forEach((a) => a.classList.toggle('active', a.dataset.nav === route?.nav));
  renderAccount();
  if (!route) {
    setMain(`<section class="empty"><h1>Page not found</h1><p><code>${esc(path)}</code> does not exist.</p><a href="/" data-link>Back to all products</a></section>`);
    return;
  }
  try {
    await route.render(route.pattern.exec(path)!);
  } catch (err) {
    setMain(`<section class="empty"><h1>Something went wrong</h1><p>${esc((err as Error).message)}</p><button class="primary" onclick="location.reload()">Try again</button></section>`);
  }
}

export function navigate(path: string): void {
  history.pushState({}, '', path);
  void render();
}

function renderAccount(): void {
  const account = document.getElementById('account') as HTMLAnchorElement;
  const s = session();
  if (s) {
    account.textContent = `${s.username}${s.role === 'admin' ? ' (admin)' : ''} · Sign out`;
    account.href = '#sign-out';
    account.removeAttribute('data-link');
    account.onclick = (event) => {
      event.preventDefault();
      signOut();
      void render();
    };
  } else {
    account.textContent = 'Sign in';
    account.href = '/sign-in';
    account.setAttribute('data-link', '');
    account.onclick = null;
  }
}

function setupRegionPicker(): void {
  const select = document.getElementById('region') as HTMLSelectElement;
  select.innerHTML = Object.entries(REGION_NAMES)
    .map(([id, name]) => `<option value="${id}">Deliver to ${name}</option>`)
    .join('');
  select.value = region();
  select.addEventListener('change', () => {
    localStorage.setItem('fcsuite.region', select.value);
    void render();
  });
}

document.addEventListener('click', (event) => {
  const link = (event.target as HTMLElement).closest<HTMLAnchorElement>('a[data-link]');
  if (!link || link.origin !== location.origin || event.metaKey || event.ctrlKey) return;
  event.preventDefault();
  navigate(link.pathname + link.search);
});
window.addEventListener('popstate', () => void render());
setupRegionPicker();
void render();
