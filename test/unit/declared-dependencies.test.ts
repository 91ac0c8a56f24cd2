import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { join, relative } from 'node:path';
import ts from 'typescript';

/**
 * Every package the code imports is declared in package.json, so a clean install (`npm ci`) cannot lose one that
 * today arrives only as some other package's dependency; and every runtime dependency is imported by what runs
 * (functions/, the local cloud in scripts/, the website) — an unused one is dead weight in every install.
 * Imports are read with TypeScript's parser (static and type imports, re-exports, `import()`, `require()`), so
 * a module name inside a string or a comment does not count.
 */
const ROOT = join(__dirname, '..', '..');
const SKIP = new Set(['node_modules', 'dist', 'results', 'test-results', 'coverage']);
const RUNTIME_DIRS = ['functions', 'scripts', 'website'];

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    if (SKIP.has(entry.name) || entry.name.startsWith('.')) return [];
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sources(path);
    return /\.(ts|mts|cts|js|mjs|cjs)$/.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
  });
}

/** The module specifiers a source file imports, in every form TypeScript knows. */
export function importedModules(file: string, text: string): string[] {
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if ((ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) found.push(node.moduleSpecifier.text);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference) && ts.isStringLiteral(node.moduleReference.expression)) found.push(node.moduleReference.expression.text);
    else if (ts.isCallExpression(node) && node.arguments.length === 1 && ts.isStringLiteral(node.arguments[0]!)) {
      const callee = node.expression;
      const isRequire = ts.isIdentifier(callee) && callee.text === 'require';
      const isResolve = ts.isPropertyAccessExpression(callee) && ts.isIdentifier(callee.expression) && callee.expression.text === 'require' && callee.name.text === 'resolve';
      if (isRequire || isResolve || callee.kind === ts.SyntaxKind.ImportKeyword) found.push(node.arguments[0]!.text);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) found.push(node.argument.literal.text);
    ts.forEachChild(node, visit);
  };
  visit(ts.createSourceFile(file, text, ts.ScriptTarget.Latest, false));
  return found;
}

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or undefined for paths, aliases and Node's own modules. */
export function packageOf(specifier: string): string | undefined {
  if (/^[./#]/.test(specifier) || specifier.startsWith('node:')) return undefined;
  const name = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  return builtinModules.includes(name) ? undefined : name;
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string>; devDependencies: Record<string, string> };

/** package → the files that import it */
function importers(files: string[]): Map<string, string[]> {
  const byPackage = new Map<string, string[]>();
  for (const file of files) {
    for (const name of importedModules(file, readFileSync(file, 'utf8')).flatMap((s) => packageOf(s) ?? [])) {
      byPackage.set(name, [...(byPackage.get(name) ?? []), relative(ROOT, file)]);
    }
  }
  return byPackage;
}

describe('package.json', () => {
  it('declares every package the code imports', () => {
    const files = [...sources(ROOT)];
    expect(files.length).toBeGreaterThan(300);
    const declared = new Set([...Object.keys(pkg.dependencies), ...Object.keys(pkg.devDependencies)]);
    const undeclared = [...importers(files)].filter(([name]) => !declared.has(name)).map(([name, by]) => `${name} (imported by ${by.slice(0, 3).join(', ')})`);
    expect(undeclared).toEqual([]);
  });

  it('has no runtime dependency that nothing which runs imports', () => {
    const used = importers(RUNTIME_DIRS.flatMap((dir) => sources(join(ROOT, dir))));
    expect(Object.keys(pkg.dependencies).filter((name) => !used.has(name))).toEqual([]);
  });

  it('reads every kind of import and nothing else', () => {
    const source = [
      "import a from 'pkg-a';",
      "import type { B } from '@scope/pkg-b/sub';",
      "export { c } from 'pkg-c';",
      "import d = require('pkg-d');",
      "const e = require('pkg-e');",
      "const f = await import('pkg-f');",
      "const g = require.resolve('pkg-g/package.json');",
      "type H = import('pkg-h').H;",
      "import './local'; import '#shared/x'; import 'node:fs'; import 'path';",
      "const text = `require('in-a-template')`; // import x from 'in-a-comment'",
      "it('loads a flow from s.yaml', () => undefined);",
    ].join('\n');
    expect(importedModules('x.ts', source).flatMap((s) => packageOf(s) ?? [])).toEqual(['pkg-a', '@scope/pkg-b', 'pkg-c', 'pkg-d', 'pkg-e', 'pkg-f', 'pkg-g', 'pkg-h']);
  });
});
