import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { SOURCE_DIRS } from '../local/paths';
import type { AppSpec, FunctionSpec } from '../local/spec/model';
import { writeFileAtomically } from '../local/write-file-atomically';

/**
 * Whether the function bundles in `dist/` were built from the sources as they are now, so `npm start` can
 * serve them at once instead of spending seconds on a rebuild that would write the same bytes.
 *
 * The fingerprint covers what a bundle can depend on: every file under `functions/` (size and mtime;
 * functions never import `scripts/`), the lockfile (dependencies), tsconfig.json, the bundler settings
 * (this folder's sources) and each function's name, handler and code folder from s.yaml.
 */
const STAMP = join('dist', '.functions-build.json');

function files(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    return entry.isDirectory() ? files(path) : entry.isFile() ? [path] : [];
  });
}

/** Where a function's TypeScript source is, when it has one to bundle. */
export function functionEntry(spec: AppSpec, fn: FunctionSpec): string {
  return join(spec.baseDir, 'functions', fn.resource, 'handler.ts');
}

/**
 * The functions the build bundles: those with a TypeScript source at `functions/<resource>/handler.ts`. Any
 * other function's `code` folder is what `s deploy` uploads as it is (FC's own layout: `code: ./my-fn` with an
 * `index.js`), so the local cloud runs that folder as it is too, the build leaves it alone, and it is never stale
 * nor part of the fingerprint.
 */
export function bundledFunctions(spec: AppSpec): FunctionSpec[] {
  return spec.functions.filter((fn) => existsSync(functionEntry(spec, fn)));
}

export function buildFingerprint(spec: AppSpec): string {
  const hash = createHash('sha256');
  const inputs = [...files(join(spec.baseDir, 'functions')), ...files(SOURCE_DIRS.build), join(spec.baseDir, 'package-lock.json'), join(spec.baseDir, 'tsconfig.json')];
  for (const file of inputs.sort()) {
    if (!existsSync(file)) continue;
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(spec.baseDir, file)}\0${size}\0${mtimeMs}\n`);
  }
  for (const fn of bundledFunctions(spec)) hash.update(`${fn.resource}\0${fn.handler}\0${relative(spec.baseDir, fn.codeDir)}\n`);
  return hash.digest('hex');
}

interface Stamp {
  /** Per function (s.yaml resource): the fingerprint its bundle was last built from. */
  functions?: Record<string, string>;
}

function readStamp(spec: AppSpec): Stamp {
  try {
    return JSON.parse(readFileSync(join(spec.baseDir, STAMP), 'utf8')) as Stamp;
  } catch {
    return {};
  }
}

/**
 * The functions whose bundle is missing or was built from other inputs than today's. Recorded per
 * function, so a start stopped halfway through its build (D32 builds in stages) keeps what it finished.
 */
export function staleFunctions(spec: AppSpec, fingerprint: string = buildFingerprint(spec)): FunctionSpec[] {
  const built = readStamp(spec).functions ?? {};
  return bundledFunctions(spec).filter((fn) => built[fn.resource] !== fingerprint || !existsSync(join(fn.codeDir, 'index.js')));
}

/** True when every bundle was built from exactly these inputs and is still there. */
export function bundlesAreFresh(spec: AppSpec): boolean {
  return staleFunctions(spec).length === 0;
}

/**
 * Records that these functions' bundles were built from `fingerprint` (taken before the build began).
 * Written atomically; several local clouds building at once may drop each other's entries, which only
 * costs a rebuild.
 */
export function recordBuild(spec: AppSpec, fingerprint: string, functions: readonly FunctionSpec[] = spec.functions): void {
  const stamp = join(spec.baseDir, STAMP);
  const built = { ...(readStamp(spec).functions ?? {}) };
  for (const fn of functions) built[fn.resource] = fingerprint;
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileAtomically(stamp, `${JSON.stringify({ functions: built, at: new Date().toISOString() })}\n`);
}
