import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CACHE_DIR, RUNNING_BUNDLED, SOURCE_DIRS } from '../paths';
import { devWorkerBundle } from './dev-worker-bundle';
import { workerScriptFor } from './worker-script';

export { INSTANCE_WORKER_SCRIPT_NAME } from './worker-script';

/**
 * The instance worker is TypeScript. The prebuilt start script carries it compiled beside itself; under tsx
 * and jest it is compiled once into node_modules/.cache so worker threads can load it under any parent
 * (`devWorkerBundle`; esbuild takes ~10 ms for it).
 */
let cached: string | undefined;

export function instanceWorkerFile(): string {
  if (cached) return cached;
  const prebuilt = join(__dirname, 'instance-worker.js');
  if (RUNNING_BUNDLED && existsSync(prebuilt)) return (cached = prebuilt);
  return (cached = devWorkerBundle('instance-worker', { 'instance-worker': join(SOURCE_DIRS.local, 'runtime', 'instance-worker.ts') })['instance-worker']);
}

/** What a `Worker` runs for an instance (`worker-script.ts`), for the instance worker file of this start. */
export function instanceWorkerScript(file = instanceWorkerFile()): string {
  return workerScriptFor(file);
}

/** Where instances keep V8 code caches of function bundles (`bundle-loader.ts`). */
export const CODE_CACHE_DIR = join(LOCAL_CACHE_DIR, 'code-cache');
