import { build } from 'esbuild';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DEMO_PRODUCTS } from '../../functions/_shared/demo/catalog';
import { SOURCE_DIRS } from '../local/paths';
import { productIllustration } from './product-art';

/**
 * Builds the static website into `dist/website` — the folder the deploy uploads to the OSS website
 * bucket and the local gateway serves at `/`. `API_BASE` is '' (same origin) unless set for a stage
 * whose API lives on its own domain.
 */
export async function buildWebsite(root: string, apiBase = process.env.API_BASE ?? '', options: { reuse?: boolean } = {}): Promise<{ ms: number; reused: boolean }> {
  const started = Date.now();
  const out = join(root, 'dist', 'website');
  const stamp = join(out, '.build.json');
  const fingerprint = websiteFingerprint(root, apiBase);
  if (options.reuse && existsSync(stamp) && readFileSync(stamp, 'utf8').includes(fingerprint)) return { ms: Date.now() - started, reused: true };
  mkdirSync(join(out, 'assets', 'products'), { recursive: true });
  await build({
    entryPoints: [join(root, 'website', 'src', 'main.ts')],
    outfile: join(out, 'assets', 'app.js'),
    bundle: true,
    format: 'iife',
    target: ['chrome110', 'firefox110', 'safari16'],
    sourcemap: 'linked',
    minify: true,
    define: { API_BASE: JSON.stringify(apiBase) },
    logLevel: 'silent',
  });
  copyFileSync(join(root, 'website', 'index.html'), join(out, 'index.html'));
  copyFileSync(join(root, 'website', 'styles.css'), join(out, 'assets', 'styles.css'));
  // The IoT dashboard's charts (uPlot) bring their own small stylesheet.
  copyFileSync(join(root, 'node_modules', 'uplot', 'dist', 'uPlot.min.css'), join(out, 'assets', 'uplot.css'));
  writeFileSync(join(out, 'assets', 'favicon.svg'), FAVICON);
  for (const product of DEMO_PRODUCTS) writeFileSync(join(out, 'assets', 'products', `${product.productId}.svg`), productIllustration(product));
  writeFileSync(stamp, `${JSON.stringify({ fingerprint })}\n`);
  return { ms: Date.now() - started, reused: false };
}

/**
 * What the site is built from (size and mtime of each file, like the functions' fingerprint): its sources,
 * the catalogue and art behind the product illustrations, this builder, the dependencies and `API_BASE`.
 * `npm start` reuses a site built from the same inputs instead of running esbuild on every start.
 */
function websiteFingerprint(root: string, apiBase: string): string {
  const hash = createHash('sha256').update(`${apiBase}\n`);
  const files = (dir: string): string[] =>
    existsSync(dir) ? readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.isFile() ? [join(dir, e.name)] : [])) : [];
  const builder = ['website.ts', 'product-art.ts'].map((file) => join(SOURCE_DIRS.build, file));
  const inputs = [...files(join(root, 'website')), ...files(join(root, 'functions', '_shared', 'demo')), ...builder, join(root, 'package-lock.json')];
  for (const file of inputs.sort()) {
    if (!existsSync(file)) continue;
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(root, file)}\0${size}\0${mtimeMs}\n`);
  }
  return hash.digest('hex');
}

const FAVICON = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><defs><linearGradient id="g" x1="0" y1="0" x2="1" y2="1"><stop offset="0" stop-color="#ff6a00"/><stop offset="1" stop-color="#ee0979"/></linearGradient></defs><rect width="32" height="32" rx="8" fill="url(#g)"/><path d="M9 22V10h9M9 16h7M20 22c2.5 0 4-1.3 4-3.2 0-3.9-7-2.4-7-5.7 0-1.6 1.4-3.1 4-3.1" stroke="#fff" stroke-width="2.6" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
