import { cpSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A copy of test/fixtures/apps/flows in `dir`, with a tsconfig whose `#shared/*` points back at this
 * repository's functions/_shared: its bundles then carry the real SDK adapters and live far from any
 * node_modules, as on FC.
 */
const REPO = join(__dirname, '..', '..');

export function flowFixtureApp(dir: string): string {
  const app = join(dir, 'app');
  cpSync(join(REPO, 'test', 'fixtures', 'apps', 'flows'), app, { recursive: true });
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { target: 'ES2022', module: 'preserve', moduleResolution: 'bundler', strict: true, paths: { '#shared/*': [join(REPO, 'functions', '_shared', '*')] } } }, null, 2));
  return app;
}
