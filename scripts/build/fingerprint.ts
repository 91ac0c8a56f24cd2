import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import type { AppSpec } from '../local/spec/model';

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

export function buildFingerprint(spec: AppSpec): string {
  const hash = createHash('sha256');
  const inputs = [...files(join(spec.baseDir, 'functions')), ...files(__dirname), join(spec.baseDir, 'package-lock.json'), join(spec.baseDir, 'tsconfig.json')];
  for (const file of inputs.sort()) {
    if (!existsSync(file)) continue;
    const { size, mtimeMs } = statSync(file);
    hash.update(`${relative(spec.baseDir, file)}\0${size}\0${mtimeMs}\n`);
  }
  for (const fn of spec.functions) hash.update(`${fn.resource}\0${fn.handler}\0${relative(spec.baseDir, fn.codeDir)}\n`);
  return hash.digest('hex');
}

/** True when the last successful build used exactly these inputs and every bundle is still there. */
export function bundlesAreFresh(spec: AppSpec): boolean {
  const stamp = join(spec.baseDir, STAMP);
  if (!existsSync(stamp)) return false;
  if (!spec.functions.every((fn) => existsSync(join(fn.codeDir, 'index.js')))) return false;
  try {
    return (JSON.parse(readFileSync(stamp, 'utf8')) as { fingerprint?: string }).fingerprint === buildFingerprint(spec);
  } catch {
    return false;
  }
}

/** Records the inputs of a successful build of every function. */
export function recordBuild(spec: AppSpec, fingerprint: string): void {
  const stamp = join(spec.baseDir, STAMP);
  mkdirSync(dirname(stamp), { recursive: true });
  writeFileSync(stamp, `${JSON.stringify({ fingerprint, at: new Date().toISOString() })}\n`);
}
