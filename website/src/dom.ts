/** Tiny helpers: HTML-escaped templates and formatting. No framework: the pages are small. */
export function esc(value: unknown): string {
  return String(value ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

export function money(amount: number, currency = 'CNY'): string {
  return new Intl.NumberFormat('en', { style: 'currency', currency, maximumFractionDigits: amount % 1 === 0 ? 0 : 2 }).format(amount);
}

export function stars(rating: number): string {
  const full = Math.round(rating);
  return `<span class="stars" aria-label="${rating} out of 5">${'★'.repeat(full)}${'☆'.repeat(5 - full)}</span>`;
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
