import { join } from 'node:path';

/**
 * What starts an instance thread, in a module without the bundler: the launcher loads it (through
 * `standby-instances.ts`) before the start script, and an import of esbuild would cost it ~10 ms (D87).
 */

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
export function workerScriptFor(file: string): string {
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

/** Options that load or run code in every thread (tsx's loader when the local cloud itself runs under tsx, `-e`). */
const LOADER_FLAGS = new Set(['--import', '--require', '-r', '--loader', '--experimental-loader', '--eval', '-e', '--print', '-p']);

/**
 * V8 options the launcher gives the local cloud's process (launch.cjs `GC_FLAGS`, D113). They are process-wide —
 * every isolate, each instance's included, already runs with them — and a worker refuses them in its `execArgv`
 * (ERR_WORKER_INVALID_EXEC_ARGV), which would cost every instance a failed start and every standby thread (D87).
 */
const PROCESS_WIDE_FLAGS = new Set(['--single-threaded-gc']);

/**
 * The parent's Node options minus module loaders: a bundle is plain JavaScript, as on FC, and tsx's hooks
 * inherited by every instance thread would add ~100 ms to each cold start. Also minus the launcher's
 * process-wide V8 flags, which the thread has anyway. Other flags (`--inspect`, `--enable-source-maps`, …) are kept.
 */
export function instanceExecArgv(parent: readonly string[] = process.execArgv): string[] {
  const kept: string[] = [];
  for (let i = 0; i < parent.length; i++) {
    const arg = parent[i]!;
    if (PROCESS_WIDE_FLAGS.has(arg)) continue;
    if (LOADER_FLAGS.has(arg)) i++;
    else if (![...LOADER_FLAGS].some((flag) => arg.startsWith(`${flag}=`))) kept.push(arg);
  }
  return kept;
}

/** The file an instance loads for `handler` (`index.handler` → `<codeDir>/index.js`), as `require` resolves it. */
export function bundleFileOf(codeDir: string, handler: string): string {
  return require.resolve(join(codeDir, handler.slice(0, handler.lastIndexOf('.'))));
}
