import { buildSync } from 'esbuild';
import { existsSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CACHE_DIR, RUNNING_BUNDLED, SOURCE_DIRS } from '../paths';

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
  const sources = ['instance-worker.ts', 'protocol.ts', 'bundle-loader.ts', 'http-trigger-event.ts', 'localhost-names.ts', 'stack-source-maps.ts'].map((file) => join(runtimeDir, file));
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

/**
 * The name the instance worker's code runs under in its thread: outside `node_modules`, as FC's runtime is.
 * Node excuses `new Buffer()` (DEP0005) in code called from `node_modules` and, to find out, captures up to
 * 100 stack frames on each of the first 10 000 such calls of a thread, searching them all for a
 * `node_modules` path. The worker file itself lives in `node_modules/.cache/fc-local/`, and its frames are on
 * the stack of everything a handler does synchronously, so every instance thread paid that search for its
 * first 10 000 `Buffer()` calls — the `tablestore` SDK makes ~15 per row, ~0.2–1 s of CPU per new `iot-etl`
 * instance (D55). On FC the first call prints the warning once and the rest cost nothing; so here.
 * The name keeps `instance-worker` in it: `instance-worker.ts` drops its own frames from error stacks by it.
 */
export const INSTANCE_WORKER_SCRIPT_NAME = 'fc-local:runtime/instance-worker.js';

/**
 * What a `Worker` runs (with `eval: true`): the instance worker file's code, compiled under
 * `INSTANCE_WORKER_SCRIPT_NAME` with the CommonJS wrapper, as `require` would have run it.
 */
export function instanceWorkerScript(file = instanceWorkerFile()): string {
  return [
    "const { readFileSync } = require('node:fs');",
    "const { dirname } = require('node:path');",
    "const { wrap } = require('node:module');",
    "const { Script } = require('node:vm');",
    `const file = ${JSON.stringify(file)};`,
    `const run = new Script(wrap(readFileSync(file, 'utf8')), { filename: ${JSON.stringify(INSTANCE_WORKER_SCRIPT_NAME)} }).runInThisContext();`,
    'const workerModule = { exports: {} };',
    'run.call(workerModule.exports, workerModule.exports, require, workerModule, file, dirname(file));',
  ].join('\n');
}

/** Where instances keep V8 code caches of function bundles (`bundle-loader.ts`). */
export const CODE_CACHE_DIR = join(LOCAL_CACHE_DIR, 'code-cache');
