import { ICONS } from './icons';

/** Tiny helpers: HTML-escaped templates and formatting. No framework: the pages are small. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** Amounts as the order timeline and notifications write them too (one formatter for both). */
export { formatMoney as money } from '../../functions/_shared/money';

export function stars(rating: number): string {
  const full = Math.round(rating);
  return `<span class="stars" role="img" aria-label="${rating} out of 5 stars">${'★'.repeat(full)}${'☆'.repeat(5 - full)}</span>`;
}

/** `plural(1, 'review')` → "1 review", `plural(4, 'review')` → "4 reviews". */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en')} ${noun}${count === 1 ? '' : 's'}`;
}

export function relativeDays(iso: string): string {
  const days = Math.round((Date.now() - Date.parse(iso)) / 86400000);
  return days <= 0 ? 'today' : days === 1 ? 'yesterday' : `${days} days ago`;
}

export function setMain(html: string): HTMLElement {
  const main = document.getElementById('app')!;
  main.innerHTML = html;
  return main;
}

/**
 * Runs `render`, which replaces the page's content, and puts the keyboard focus back on the element that stands
 * where the focused one stood (same id, same link, or the same n-th element with the same test id). A page that
 * redraws itself (a degraded page's second look) must not send a keyboard user back to the top mid-way.
 */
export function keepingFocus(render: () => void): void {
  const main = document.getElementById('app');
  const focused = document.activeElement;
  const find = main && focused instanceof HTMLElement && focused !== main && main.contains(focused) ? sameElementFinder(main, focused) : undefined;
  render();
  const again = find?.();
  if (again) again.focus({ preventScroll: true });
}

function sameElementFinder(main: HTMLElement, element: HTMLElement): () => HTMLElement | undefined {
  if (element.id) return () => document.getElementById(element.id) ?? undefined;
  const href = element.getAttribute('href');
  if (href !== null) return () => [...main.querySelectorAll<HTMLElement>('[href]')].find((e) => e.getAttribute('href') === href);
  const testId = element.dataset.testid;
  if (testId) {
    const sameKind = (): HTMLElement[] => [...main.querySelectorAll<HTMLElement>('[data-testid]')].filter((e) => e.dataset.testid === testId);
    const index = sameKind().indexOf(element);
    return () => sameKind()[index];
  }
  return () => undefined;
}

/** What a failure says, for a sentence such as "could not be loaded: …". */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

export function setTitle(title: string): void {
  document.title = `${title} · FC Suite Shop`;
}

/** The friendly "nothing here" page; `html` is trusted markup (escape values before passing them). */
export function notFound(title: string, html: string): string {
  return `<section class="empty not-found"><p class="big-code" aria-hidden="true">404</p><h1>${esc(title)}</h1><p>${html}</p><a class="button-link" href="/" data-link>Browse all products</a></section>`;
}

/** The discreet note shown when a part of a page could not be loaded; `text` is trusted markup. */
export function unavailableNote(text: string): string {
  return `<p class="unavailable-note" role="status" data-testid="degraded">${ICONS.info}<span>${text}</span></p>`;
}
