import type { Message } from 'esbuild';
import { existsSync, watch, type FSWatcher } from 'node:fs';
import { join, sep } from 'node:path';
import type { AppSpec, FunctionSpec } from '../local/spec/model';
import { traceMark } from '../local/trace';
import { functionsAffectedBy, readBundleInputs } from './bundle-inputs';
import { buildFingerprint, recordBuild } from './fingerprint';
import { bundleAndWrite, buildErrorLines, report } from './functions';

/** Files at the project's top that every bundle depends on: a change rebuilds them all (tsconfig paths, dependencies). */
const ROOT_FILES = new Set(['tsconfig.json', 'package.json', 'package-lock.json']);

/** How long the sources must be quiet before a rebuild: an editor's save is often several writes (temp file, rename, chmod). */
const QUIET_MS = 60;

export interface WatchOptions {
  /** The bundles being served are written (a start's own build): no rebuild begins before; rejected, every bundle is rebuilt. */
  after?: Promise<unknown>;
  /** The fingerprint the served bundles were checked against: sources changed since then rebuild every bundle. */
  changedSince?: string;
  /** Told which functions each rebuild bundles (resources), as it begins. */
  onRebuild?(resources: string[]): void;
}

/**
 * Hot reload of the bundled functions (D169). A recursive watch of `functions/` collects the saved files; once they
 * are quiet for a moment, only the bundles whose inputs (the last build's metafile, `bundle-inputs.ts`) include one
 * of them are rebuilt, in one esbuild call, and `onBuilt` receives the functions whose bundle bytes changed, so only
 * their instances are replaced (a comment-only save reloads nothing). A failed build is reported with the old bundles
 * left serving; the functions it was building are rebuilt at every later save until they build (a file they import
 * may only now exist). A changed `tsconfig.json`, `package.json` or `package-lock.json` rebuilds every bundle.
 *
 * Watching costs nothing until a file changes (D38): no bundler runs, no bundle is read.
 */
export function watchFunctionsOnChange(spec: AppSpec, onBuilt: (changed: string[], error?: Error) => void, options: WatchOptions = {}): { dispose(): Promise<void> } {
  const functions = spec.functions;
  const pending = new Set<string>();
  let everything = false;
  let afterChecked = false;
  const failing = new Set<string>();
  /** The content hash of each bundle being served, read when its function is first rebuilt. */
  const served = new Map<string, string>();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let disposed = false;

  const hashOf = (fn: FunctionSpec) => (existsSync(join(fn.codeDir, 'index.js')) ? report(spec, [fn], 0).functions[0]!.hash : '');

  const rebuild = async (fns: FunctionSpec[]) => {
    if (fns.length === 0) return;
    options.onRebuild?.(fns.map((fn) => fn.resource));
    traceMark(`hot reload: bundling ${fns.map((fn) => fn.resource).join(',')}`);
    // Taken before bundling: a source saved during the build must make the next start rebuild.
    const fingerprint = buildFingerprint(spec);
    for (const fn of fns) if (!served.has(fn.resource)) served.set(fn.resource, hashOf(fn));
    try {
      await bundleAndWrite(spec, fns, true);
    } catch (err) {
      for (const fn of fns) failing.add(fn.resource);
      onBuilt([], buildError(err));
      return;
    }
    for (const fn of fns) failing.delete(fn.resource);
    // The bundles not rebuilt do not include any changed file, so they are as fresh as the rebuilt ones.
    recordBuild(spec, fingerprint, functions.filter((fn) => !failing.has(fn.resource)));
    const changed: string[] = [];
    for (const fn of fns) {
      const hash = hashOf(fn);
      if (served.get(fn.resource) !== hash) changed.push(fn.resource);
      served.set(fn.resource, hash);
    }
    onBuilt(changed);
  };

  const drain = () => {
    if (running || disposed) return;
    running = (async () => {
      if (!afterChecked) {
        afterChecked = true;
        // A start whose build failed left bundles of unknown freshness: rebuild them all.
        await Promise.resolve(options.after).catch(() => (everything = true));
      }
      while (!disposed && (everything || pending.size > 0)) {
        const all = everything;
        const changed = [...pending];
        everything = false;
        pending.clear();
        const inputs = readBundleInputs(spec);
        const known = all ? [...functions] : functionsAffectedBy(functions, inputs, changed);
        await rebuild(functions.filter((fn) => known.includes(fn) || failing.has(fn.resource)));
      }
    })()
      .catch((err: Error) => onBuilt([], err))
      .finally(() => {
        running = undefined;
        // Saved while the last build ran, after its loop had looked.
        if (!disposed && (everything || pending.size > 0)) schedule();
      });
  };

  const schedule = () => {
    if (disposed) return;
    clearTimeout(timer);
    timer = setTimeout(drain, QUIET_MS);
  };

  const watchers: FSWatcher[] = [];
  try {
    const sources = watch(join(spec.baseDir, 'functions'), { recursive: true }, (_event, file) => {
      if (file) pending.add(`functions/${file.toString().split(sep).join('/')}`);
      else everything = true;
      schedule();
    });
    const top = watch(spec.baseDir, (_event, file) => {
      if (file && ROOT_FILES.has(file.toString())) {
        everything = true;
        schedule();
      }
    });
    watchers.push(sources, top);
    for (const watcher of watchers) watcher.on('error', (err) => onBuilt([], err));
  } catch (err) {
    for (const watcher of watchers) watcher.close();
    onBuilt([], err as Error);
  }
  // Watching began after the sources were fingerprinted (a start watches once its first page is served, D87): a
  // source saved in between is a change too, of files unknown, so every bundle is rebuilt and compared with the served.
  if (options.changedSince !== undefined && buildFingerprint(spec) !== options.changedSince) {
    everything = true;
    schedule();
  }
  return {
    async dispose() {
      disposed = true;
      clearTimeout(timer);
      for (const watcher of watchers) watcher.close();
      await running?.catch(() => undefined);
    },
  };
}

/** esbuild's failure as the terminal prints it: `file:line: text` per error. */
function buildError(err: unknown): Error {
  const errors = (err as { errors?: Pick<Message, 'text' | 'location'>[] }).errors;
  if (!Array.isArray(errors) || errors.length === 0) return err as Error;
  return new Error(buildErrorLines(errors));
}
