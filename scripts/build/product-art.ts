import type { DemoProduct } from '../../functions/_shared/demo/catalog';

/**
 * A generated illustration per demo product (the demo runs offline, so no stock photos): a soft
 * gradient in a palette picked from the product id, a simple glyph per category, and the brand name.
 */
const PALETTES = [
  ['#ffd8b5', '#ff8a4c'],
  ['#c7e0ff', '#5b8def'],
  ['#d6f5e3', '#3fb37f'],
  ['#f3d9ff', '#a35ee8'],
  ['#fff1b8', '#f5a524'],
  ['#ffd6e0', '#ec4c7a'],
  ['#d4f1f4', '#2bb0c2'],
];

const GLYPHS: Record<string, string> = {
  Audio: '<circle cx="200" cy="150" r="62" fill="none" stroke="#fff" stroke-width="18"/><rect x="126" y="140" width="30" height="56" rx="12" fill="#fff"/><rect x="244" y="140" width="30" height="56" rx="12" fill="#fff"/>',
  Home: '<path d="M130 200 L200 110 L270 200 Z" fill="#fff" opacity=".9"/><rect x="178" y="200" width="44" height="40" fill="#fff"/>',
  Kitchen: '<rect x="140" y="120" width="110" height="110" rx="20" fill="#fff"/><path d="M250 145 q40 10 30 50" stroke="#fff" stroke-width="14" fill="none"/>',
  Outdoor: '<path d="M110 230 L180 120 L220 180 L250 140 L300 230 Z" fill="#fff" opacity=".9"/>',
  Computing: '<rect x="120" y="120" width="160" height="100" rx="10" fill="#fff"/><rect x="100" y="225" width="200" height="14" rx="7" fill="#fff"/>',
  Cameras: '<rect x="125" y="130" width="150" height="100" rx="18" fill="#fff"/><circle cx="200" cy="180" r="32" fill="none" stroke="#0002" stroke-width="12"/>',
  Sports: '<circle cx="200" cy="175" r="60" fill="#fff"/><path d="M145 150 q55 40 110 0 M145 200 q55 -40 110 0" stroke="#0002" stroke-width="8" fill="none"/>',
};

function hash(text: string): number {
  let h = 0;
  for (const ch of text) h = (h * 31 + ch.charCodeAt(0)) >>> 0;
  return h;
}

export function productIllustration(product: Pick<DemoProduct, 'productId' | 'brand' | 'category' | 'name'>): string {
  const [light, dark] = PALETTES[hash(product.productId) % PALETTES.length]!;
  const glyph = GLYPHS[product.category] ?? GLYPHS.Home!;
  const brand = product.brand.replace(/[<&>]/g, '');
  return `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 400 300" width="400" height="300"><defs><linearGradient id="bg" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="${light}"/><stop offset="1" stop-color="${dark}"/></linearGradient></defs><rect width="400" height="300" fill="url(#bg)"/><circle cx="330" cy="60" r="90" fill="#fff" opacity=".12"/><circle cx="60" cy="270" r="70" fill="#fff" opacity=".1"/>${glyph}<text x="24" y="258" font-family="Inter, Segoe UI, sans-serif" font-size="20" font-weight="700" fill="#fff" opacity=".9">${brand}</text></svg>`;
}
