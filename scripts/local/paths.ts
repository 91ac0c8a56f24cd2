import { join, resolve } from 'node:path';

/**
 * Where the local cloud finds the repository and keeps its caches. The same code runs from its TypeScript
 * sources (tsx, jest: this file is `scripts/local/paths.ts`) and from the prebuilt start script
 * (`node_modules/.cache/fc-local/start.js`, built by `scripts/local/launch.cjs`, which defines
 * `FC_LOCAL_BUNDLED`), so `__dirname` means one of two places.
 */
declare const FC_LOCAL_BUNDLED: boolean | undefined;

export const RUNNING_BUNDLED = typeof FC_LOCAL_BUNDLED !== 'undefined' && FC_LOCAL_BUNDLED === true;

export const REPO_ROOT = RUNNING_BUNDLED ? resolve(__dirname, '..', '..', '..') : resolve(__dirname, '..', '..');

/** Caches of the local cloud (prebuilt start script, instance worker, V8 code caches of bundles): safe to delete. */
export const LOCAL_CACHE_DIR = join(REPO_ROOT, 'node_modules', '.cache', 'fc-local');

/** The TypeScript sources of the local cloud and of the bundler (build fingerprints cover them). */
export const SOURCE_DIRS = { local: join(REPO_ROOT, 'scripts', 'local'), build: join(REPO_ROOT, 'scripts', 'build') };
