import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CACHE_DIR, RUNNING_BUNDLED, SOURCE_DIRS } from '../paths';
import { workerScriptFor } from './worker-script';

export { INSTANCE_WORKER_SCRIPT_NAME } from './worker-script';

/**
 * The instance worker is TypeScript. The prebuilt start script carries it compiled beside itself; under tsx
 * and jest it is compiled once into node_modules/.cache so worker threads can load it under any parent.
 * esbuild takes ~10 ms for this one file.
 */
let cached: string | undefined;

export function instanceWorkerFile(): string {
  if (cached) return cached;
  const prebuilt = join(__dirname, 'instance-worker.js');
  if (RUNNING_BUNDLED && existsSync(prebuilt)) return (cached = prebuilt);
  const runtimeDir = join(SOURCE_DIRS.local, 'runtime');
  const sources = ['instance-worker.ts', 'protocol.ts', 'bundle-loader.ts', 'http-trigger-event.ts', 'localhost-names.ts', 'stack-source-maps.ts', 'worker-script.ts', 'standby-instances.ts'].map((file) => join(runtimeDir, file));
  const outfile = join(LOCAL_CACHE_DIR, 'dev', 'instance-worker.js');
  const fresh = (() => {
    try {
      return statSync(outfile).mtimeMs >= Math.max(...sources.map((file) => statSync(file).mtimeMs));
    } catch {
      return false;
    }
  })();
  if (!fresh) {
    mkdirSync(join(LOCAL_CACHE_DIR, 'dev'), { recursive: true });
    const [output] = buildSync({ entryPoints: [sources[0]!], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error', write: false }).outputFiles;
    // Parallel test files start local clouds at once: a worker must never load a half-written file.
    const temp = `${outfile}.${process.pid}.tmp`;
    writeFileSync(temp, output!.contents);
    renameSync(temp, outfile);
  }
  cached = outfile;
  return outfile;
}

/** What a `Worker` runs for an instance (`worker-script.ts`), for the instance worker file of this start. */
export function instanceWorkerScript(file = instanceWorkerFile()): string {
  return workerScriptFor(file);
}

/** Where instances keep V8 code caches of function bundles (`bundle-loader.ts`). */
export const CODE_CACHE_DIR = join(LOCAL_CACHE_DIR, 'code-cache');
