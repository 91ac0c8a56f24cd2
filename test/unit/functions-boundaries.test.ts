import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

/**
 * What deploys (`functions/`) stays deployable: no file imports `better-sqlite3`, anything under `scripts/`
 * (the local cloud), or a SQLite adapter — functions reach TableStore only through the SDK adapter, locally
 * and in the cloud. (The built bundles are checked for `better-sqlite3` in test/integration/build.test.ts.)
 */
const ROOT = join(__dirname, '..', '..');
const FUNCTIONS = join(ROOT, 'functions');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|js|mjs|cjs)$/.test(entry.name) ? [path] : [];
  });
}

/** Every module specifier of a file: static and dynamic imports, re-exports and require(). */
export function specifiers(source: string): string[] {
  const found: string[] = [];
  for (const pattern of [/\bfrom\s+['"]([^'"]+)['"]/g, /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g, /^\s*import\s+['"]([^'"]+)['"]/gm]) {
    for (const match of source.matchAll(pattern)) found.push(match[1]!);
  }
  return found;
}

function problem(file: string, specifier: string): string | undefined {
  if (specifier === 'better-sqlite3' || specifier.startsWith('better-sqlite3/')) return 'imports better-sqlite3';
  if (/sqlite/i.test(specifier)) return 'imports a SQLite adapter';
  const target = specifier.startsWith('.') ? relative(ROOT, resolve(file, '..', specifier)) : specifier;
  if (target === 'scripts' || target.startsWith('scripts/') || target.startsWith('..')) return 'reaches outside functions/ (the local cloud lives in scripts/)';
  return undefined;
}

describe('functions/ imports', () => {
  it('never reach better-sqlite3, a SQLite adapter or scripts/', () => {
    const files = sources(FUNCTIONS);
    expect(files.length).toBeGreaterThan(20);
    const problems = files.flatMap((file) =>
      specifiers(readFileSync(file, 'utf8')).flatMap((specifier) => {
        const why = problem(file, specifier);
        return why ? [`${relative(ROOT, file)}: ${specifier} — ${why}`] : [];
      }),
    );
    expect(problems).toEqual([]);
  });

  it('catches each kind of import it looks for', () => {
    const file = join(FUNCTIONS, 'demo', 'handler.ts');
    const source = [
      "import Database from 'better-sqlite3';",
      "import { SqliteTable } from '../_shared/adapters/sqlite-table';",
      "export { startLocalCloud } from '../../scripts/local/cloud';",
      "const x = require('better-sqlite3');",
      "const y = await import('../../scripts/local/credentials');",
    ].join('\n');
    expect(specifiers(source).map((s) => problem(file, s)).sort()).toEqual([
      'imports a SQLite adapter',
      'imports better-sqlite3',
      'imports better-sqlite3',
      'reaches outside functions/ (the local cloud lives in scripts/)',
      'reaches outside functions/ (the local cloud lives in scripts/)',
    ]);
    expect(problem(file, '#shared/ports/table')).toBeUndefined();
    expect(problem(file, '../_shared/aliyun/tablestore-table')).toBeUndefined();
  });
});
