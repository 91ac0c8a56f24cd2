/**
 * Loads a function's bundle inside an instance (worker thread) as `require` would, but with a V8 code cache:
 * the first instance of a bundle compiles it and, after its first invocation, saves V8's compiled code
 * (`vm.Script#createCachedData`, which then also holds the functions that request ran); every later
 * instance of the same bundle file starts from that code instead of parsing and compiling 2–5 MB of
 * JavaScript again. It roughly halves a cold start (product-bff 125 → ~55 ms to load here), which is what a
 * burst of cold starts on a small machine pays for. Node 22's `module.enableCompileCache()` does the same for
 * every module; this is the one-file version that also runs on Node 20.
 *
 * The bundle runs exactly as under `require`: the CommonJS wrapper, and `module`/`exports`/`require`
 * resolving from the bundle's folder (so `<code>/node_modules/sharp` is found).
 * A cache is only used for the same file (path, size, mtime and inode in its header); V8 itself rejects
 * data from another V8 version or flags, and a rejected or missing cache just means a normal compile.
 */
import { isAscii } from 'node:buffer';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import Module, { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Script } from 'node:vm';

interface LoadedBundle {
  exports: Record<string, unknown>;
  /** Save the code cache if it lacks the code of a request (call after the first invocation). */
  saveCodeCache(): void;
}

/**
 * A cache saved right after loading holds the module's top-level code; one saved after an invocation also
 * holds what the request ran (V8 compiles functions lazily). The first is written as soon as there is none,
 * so a burst right after a build already shares it; the second replaces it once.
 */
type Phase = 'loaded' | 'invoked';

const HEADER_BYTES = 4;

function stampOf(file: string): string {
  const { size, mtimeMs, ino } = statSync(file);
  return JSON.stringify({ file, size, mtimeMs, ino, v8: process.versions.v8 });
}

function readCache(cacheFile: string, stamp: string): { phase: Phase; data: Buffer } | undefined {
  try {
    const bytes = readFileSync(cacheFile);
    const headerLength = bytes.readUInt32LE(0);
    const header = JSON.parse(bytes.subarray(HEADER_BYTES, HEADER_BYTES + headerLength).toString('utf8')) as { stamp: string; phase: Phase };
    if (header.stamp !== stamp) return undefined;
    return { phase: header.phase, data: bytes.subarray(HEADER_BYTES + headerLength) };
  } catch {
    return undefined;
  }
}

function writeCache(cacheFile: string, stamp: string, phase: Phase, code: Buffer): void {
  try {
    const header = Buffer.from(JSON.stringify({ stamp, phase }), 'utf8');
    const length = Buffer.alloc(HEADER_BYTES);
    length.writeUInt32LE(header.length, 0);
    mkdirSync(dirname(cacheFile), { recursive: true });
    // Temp file + rename: instances starting at the same moment read the old cache or the new one, never half.
    const temp = `${cacheFile}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temp, Buffer.concat([length, header, code]));
    renameSync(temp, cacheFile);
  } catch {
    // A cache is an optimisation: a read-only or full disk only costs the next instance a compile.
  }
}
/**
 * The file's text. An ASCII file — every bundle esbuild writes, and the start script since D118 — is read as
 * Latin-1, which is the same text without UTF-8 decoding: ~1 ms instead of ~5 for the 4 MB start script.
 */
function readSource(file: string): string {
  const bytes = readFileSync(file);
  return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
}

/** A `.js` file Node would load as CommonJS: no `"type": "module"` in the package.json beside it. */
function isCommonJs(file: string): boolean {
  if (file.endsWith('.cjs')) return true;
  if (!file.endsWith('.js')) return false;
  try {
    return (JSON.parse(readFileSync(join(dirname(file), 'package.json'), 'utf8')) as { type?: string }).type !== 'module';
  } catch {
    return true;
  }
}

/**
 * A dynamic `import()` left in the code. Node 20 loses a script's dynamic-import callback in functions that
 * come from a code cache written after they ran ("A dynamic import callback was not specified"), and its
 * `USE_MAIN_CONTEXT_DEFAULT_LOADER` prints an ExperimentalWarning into the function's logs; such a bundle is
 * left to `require`. The bundler turns `import()` into `require()` (scripts/build/functions.ts), so this only
 * catches code it did not build.
 */
const DYNAMIC_IMPORT = /(^|[^\w$.])import\s*\(/;

/**
 * `require(file)` with a V8 code cache kept in `cacheDir`. Anything that is not a CommonJS script (an ES
 * module, JSON, a native addon), code with a dynamic `import()`, or no `cacheDir` is left to `require`.
 */
export function loadBundle(file: string, cacheDir: string | undefined, options: { noDynamicImport?: boolean } = {}): LoadedBundle {
  return prepareBundle(file, cacheDir, options).run();
}

/** A bundle read and compiled (from its code cache when there is one) but not run yet: `run()` does what `require` would. */
export interface PreparedBundle {
  file: string;
  cacheDir: string | undefined;
  /** The file is still the one that was compiled (same size, mtime and inode). */
  isCurrent(): boolean;
  run(): LoadedBundle;
}

/**
 * The first half of `loadBundle`: read and compile, nothing of the bundle runs (so nothing reads the environment).
 * A standby instance thread does this before it knows its environment (`standby-instances.ts`, D87).
 */
export function prepareBundle(file: string, cacheDir: string | undefined, options: { noDynamicImport?: boolean } = {}): PreparedBundle {
  const source = cacheDir && isCommonJs(file) ? readSource(file) : undefined;
  // `noDynamicImport`: the caller built the file without any (the launcher's start script, whose comments
  // mention import() — the check reads text, not code).
  if (!cacheDir || source === undefined || (!options.noDynamicImport && DYNAMIC_IMPORT.test(source))) {
    const stamp = statStamp(file);
    return {
      file,
      cacheDir,
      isCurrent: () => statStamp(file) === stamp,
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      run: () => ({ exports: require(file) as Record<string, unknown>, saveCodeCache: () => undefined }),
    };
  }
  const stamp = stampOf(file);
  const cacheFile = join(cacheDir, `${createHash('sha1').update(file).digest('hex').slice(0, 20)}.bin`);
  const cached = readCache(cacheFile, stamp);
  const script = new Script(Module.wrap(source), { filename: file, ...(cached ? { cachedData: cached.data } : {}) });
  return {
    file,
    cacheDir,
    isCurrent: () => statStamp(file) === stamp,
    run() {
      const mod = new Module(file, undefined);
      mod.filename = file;
      mod.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
      (Module as unknown as { _cache: Record<string, Module> })._cache[file] = mod;
      const wrapper = script.runInThisContext() as (exports: unknown, require: NodeJS.Require, module: Module, filename: string, dirname: string) => void;
      wrapper.call(mod.exports, mod.exports, createRequire(file), mod, file, dirname(file));
      mod.loaded = true;
      const usable = cached !== undefined && script.cachedDataRejected !== true;
      if (!usable) writeCache(cacheFile, stamp, 'loaded', script.createCachedData());
      let needsSave = !usable || cached.phase !== 'invoked';
      return {
        exports: mod.exports as Record<string, unknown>,
        saveCodeCache() {
          if (!needsSave) return;
          needsSave = false;
          writeCache(cacheFile, stamp, 'invoked', script.createCachedData());
        },
      };
    },
  };
}

/** `stampOf` for files left to `require` (which may not exist). */
function statStamp(file: string): string {
  try {
    return stampOf(file);
  } catch {
    return 'missing';
  }
}
