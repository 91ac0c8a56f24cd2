/**
 * What `s deploy` uploads: each function's code folder, zipped by fc3 as it is. It must hold only the function's
 * own sources and runtime packages (no dev dependency, no SQLite, nothing from test/ or scripts/), the native sharp
 * build FC's linux-x64 glibc runtime loads, and stay under FC's code package limit.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Problem } from './fc-rules';

/** FC 3.0 "Limits": a ZIP uploaded by the developer tools or from OSS, 500 MB; the folder's own size bounds it. */
export const CODE_PACKAGE_BYTES = 500 * 1024 * 1024;
/** FC's nodejs20 runtime is Debian 10: glibc 2.28. */
export const FC_NODEJS20_GLIBC = '2.28';
const NEVER_SHIPPED = ['better-sqlite3'];

export interface BundleTarget {
  resource: string;
  codeDir: string;
}

/** Total bytes of the files under `dir`. */
export function folderBytes(dir: string): number {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    total += entry.isDirectory() ? folderBytes(path) : statSync(path).size;
  }
  return total;
}

/** `…/node_modules/@scope/name/x.js` → `@scope/name`; a source outside node_modules → its repository folder. */
function originOf(source: string): { kind: 'package' | 'source'; name: string } {
  const i = source.lastIndexOf('node_modules/');
  if (i >= 0) {
    const parts = source.slice(i + 'node_modules/'.length).split('/');
    return { kind: 'package', name: parts[0]!.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]! };
  }
  // A build from a linked copy of the repository records real paths (`../../../work/…/functions/x.ts`): the repository
  // folder is the first of the known ones on the path.
  const rel = source.replace(/^(\.\.\/)+/, '');
  return { kind: 'source', name: /(?:^|\/)(functions|test|scripts)\//.exec(rel)?.[1] ?? rel.split('/')[0]! };
}

const glibcAtLeast = (have: string, need: string) => {
  const [a, b] = [have, need].map((v) => v.split('.').map(Number));
  return a![0]! > b![0]! || (a![0] === b![0] && (a![1] ?? 0) >= (b![1] ?? 0));
};

interface Manifest {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

function manifestAt(dir: string): Manifest | undefined {
  const file = join(dir, 'package.json');
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Manifest) : undefined;
}

/**
 * The project's devDependencies that nothing it runs needs: those not reached from its `dependencies` through the
 * installed packages' own dependencies. A devDependency a runtime package also needs (a test importing what an SDK
 * is built on, so declaring it) ships with that SDK, as `npm ci --omit=dev` would install it — not a dev package in
 * the bundle. Names only: a nested copy of another version counts as the same package.
 */
export function devOnlyDependencies(root: string): string[] {
  const project = manifestAt(root);
  if (!project) return [];
  const runtime = new Set<string>();
  const pending = Object.keys(project.dependencies ?? {});
  for (let name = pending.pop(); name !== undefined; name = pending.pop()) {
    if (runtime.has(name)) continue;
    runtime.add(name);
    const manifest = manifestAt(join(root, 'node_modules', name));
    pending.push(...Object.keys(manifest?.dependencies ?? {}), ...Object.keys(manifest?.optionalDependencies ?? {}));
  }
  return Object.keys(project.devDependencies ?? {}).filter((name) => !runtime.has(name));
}

export function bundleContentProblems(targets: BundleTarget[], devDependencies: string[]): Problem[] {
  const problems: Problem[] = [];
  const forbidden = new Set([...devDependencies, ...NEVER_SHIPPED]);
  for (const { resource, codeDir } of targets) {
    const say = (what: string) => problems.push(`${resource}: ${what}`);
    const map = join(codeDir, 'index.js.map');
    if (!existsSync(map)) continue; // a folder deployed as it is (no bundle): nothing to inspect
    const sources = (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources;
    for (const origin of new Map(sources.map((s) => [originOf(s).name, originOf(s)])).values()) {
      if (origin.kind === 'package' && forbidden.has(origin.name)) say(`bundles ${origin.name}, a dev dependency or local-only package`);
      if (origin.kind === 'source' && origin.name !== 'functions') say(`bundles code from ${origin.name}/, which only the local cloud or tests may use`);
    }
    const modules = join(codeDir, 'node_modules');
    const shipped = existsSync(modules) ? readdirSync(modules).flatMap((n) => (n.startsWith('@') ? readdirSync(join(modules, n)).map((m) => `${n}/${m}`) : [n])) : [];
    for (const name of shipped) if (forbidden.has(name)) say(`ships node_modules/${name}, a dev dependency or local-only package`);
    if (/require\("sharp"\)/.test(readFileSync(join(codeDir, 'index.js'), 'utf8'))) problems.push(...sharpProblems(resource, modules));
    const bytes = folderBytes(codeDir);
    if (bytes > CODE_PACKAGE_BYTES) say(`${(bytes / 1048576).toFixed(0)} MB; FC takes a code package of at most ${CODE_PACKAGE_BYTES / 1048576} MB`);
  }
  return problems;
}

/** sharp loads `@img/sharp-linux-x64` (and its libvips) on FC; that build must accept FC's glibc. */
function sharpProblems(resource: string, modules: string): Problem[] {
  const binary = join(modules, '@img', 'sharp-linux-x64');
  if (!existsSync(join(modules, 'sharp', 'package.json'))) return [`${resource}: requires sharp but ships no node_modules/sharp`];
  const native = existsSync(join(binary, 'lib')) && readdirSync(join(binary, 'lib')).some((f) => f.endsWith('.node'));
  if (!native || !existsSync(join(modules, '@img', 'sharp-libvips-linux-x64'))) {
    return [`${resource}: ships no @img/sharp-linux-x64 with its libvips: build on linux-x64 (glibc) so FC's runtime can load sharp`];
  }
  const need = /(\d+\.\d+)/.exec(String((JSON.parse(readFileSync(join(binary, 'package.json'), 'utf8')) as { config?: { glibc?: string } }).config?.glibc ?? ''))?.[1];
  return need && !glibcAtLeast(FC_NODEJS20_GLIBC, need) ? [`${resource}: @img/sharp-linux-x64 needs glibc ${need}; FC's nodejs20 runtime has ${FC_NODEJS20_GLIBC}`] : [];
}
