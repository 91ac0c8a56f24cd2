import { build, type BuildOptions, type BuildResult, type Message, type Metafile } from 'esbuild';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import type { AppSpec, FunctionSpec } from '../local/spec/model';
import { isPythonRuntime } from '../local/spec/custom-runtime';
import { buildFingerprint, bundledFunctions, functionEntry, recordBuild } from './fingerprint';
import { traceMark } from '../local/trace';
import { recordBundleInputs } from './bundle-inputs';

/**
 * Bundles each function of s.yaml into exactly the folder `s deploy` uploads (`props.code`):
 * `functions/<resource>/handler.ts` → `<code>/index.js` (+ source map), CommonJS for the nodejs20 runtime.
 *
 * SDK quirks (reference/toolchain.md): ali-oss optionally requires `proxy-agent` and @alicloud/mns has a
 * dead `babel-runtime` branch — both externals are never reached on Node 20. `sharp` is native:
 * it stays external and is copied beside the bundle by `copyNativePackages`, with the `.wasm` codecs the
 * bundle's emscripten glue loads (the jimp image engine's WebP).
 */
export const EXTERNALS = ['proxy-agent', 'babel-runtime', 'sharp'];

// Which functions are bundled, and from where: beside the fingerprint, which must hash exactly those.
export { bundledFunctions, functionEntry } from './fingerprint';

/** The spec the bundler works on: the same, without the functions whose code folder runs as it is. */
export function bundledSpec(spec: AppSpec): AppSpec {
  const bundled = bundledFunctions(spec);
  return bundled.length === spec.functions.length ? spec : { ...spec, functions: bundled };
}

/**
 * Functions with nothing to run: no source to bundle and no handler file (`<file>.js` or `.cjs` of `handler`) in
 * their code folder. An ES module handler (`index.mjs`, FC nodejs18+) is named as not run locally.
 */
export function unrunnableFunctions(spec: AppSpec): { fn: FunctionSpec; problem: string; hint: string }[] {
  return spec.functions.flatMap((fn) => {
    // A custom runtime runs its own command in the code folder (D123): the folder is all it needs here.
    if (fn.customRuntime) return existsSync(fn.codeDir) ? [] : [{ fn, problem: `the code folder ${relative(spec.baseDir, fn.codeDir)} does not exist`, hint: 'customRuntimeConfig.command runs in it' }];
    if (isPythonRuntime(fn.runtime)) return pythonModuleProblems(spec, fn);
    if (existsSync(functionEntry(spec, fn))) return [];
    const file = join(fn.codeDir, fn.handler.slice(0, fn.handler.lastIndexOf('.')));
    if (existsSync(`${file}.js`) || existsSync(`${file}.cjs`)) return [];
    const where = relative(spec.baseDir, fn.codeDir) || '.';
    // Said as it is: a mistyped `code:` path (or a project run from the wrong folder) was "no index.js in" a folder
    // that is not there (D154).
    if (!existsSync(fn.codeDir)) {
      return [{ fn, problem: `the code folder ${where} does not exist (${fn.codeDir})`, hint: `code: is taken from the yaml's folder (${spec.baseDir}); put ${basename(file)}.js with the handler (${fn.handler}) in ${where}, or its TypeScript source at ${relative(spec.baseDir, functionEntry(spec, fn))}` }];
    }
    if (existsSync(`${file}.mjs`)) {
      return [{ fn, problem: `${where}/${basename(file)}.mjs is an ES module handler, which the local cloud does not run as it is`, hint: `write it as CommonJS (${basename(file)}.js), or put its source at ${relative(spec.baseDir, functionEntry(spec, fn))} to have it bundled` }];
    }
    return [{ fn, problem: `nothing to run: no ${basename(file)}.js in ${where}, and no ${relative(spec.baseDir, functionEntry(spec, fn))} to bundle into it`, hint: `put the handler (${fn.handler}) in ${where}/${basename(file)}.js, or its TypeScript source at ${relative(spec.baseDir, functionEntry(spec, fn))}` }];
  });
}

/** A Python function's handler module (`index.handler` → `index.py`, or a package `index/__init__.py`) in its code folder (D131). */
function pythonModuleProblems(spec: AppSpec, fn: FunctionSpec): { fn: FunctionSpec; problem: string; hint: string }[] {
  const modulePath = fn.handler.slice(0, fn.handler.lastIndexOf('.')).replaceAll('.', '/');
  const file = join(fn.codeDir, modulePath);
  if (existsSync(`${file}.py`) || existsSync(join(file, '__init__.py'))) return [];
  const where = relative(spec.baseDir, fn.codeDir) || '.';
  return [{ fn, problem: `nothing to run: no ${modulePath}.py in ${where} for handler ${fn.handler}`, hint: `put def ${fn.handler.slice(fn.handler.lastIndexOf('.') + 1)}(event, context) in ${where}/${modulePath}.py` }];
}

export function bundleOptions(spec: AppSpec, functions: FunctionSpec[]): BuildOptions {
  for (const fn of functions) {
    if (!fn.handler.startsWith('index.')) throw new Error(`${fn.resource}: handler must be index.<export> (the bundle is index.js), got ${fn.handler}`);
    if (!existsSync(functionEntry(spec, fn))) throw new Error(`${fn.resource}: no source at ${relative(spec.baseDir, functionEntry(spec, fn))}`);
  }
  return {
    absWorkingDir: spec.baseDir,
    entryPoints: functions.map((fn) => ({ in: functionEntry(spec, fn), out: join(relative(spec.baseDir, fn.codeDir), 'index') })),
    outdir: spec.baseDir,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: 'linked',
    sourcesContent: false,
    minifySyntax: true,
    minifyWhitespace: true,
    keepNames: true,
    legalComments: 'none',
    external: EXTERNALS,
    // Stack traces point at the TypeScript source on FC as well as locally.
    banner: { js: 'process.setSourceMapsEnabled&&process.setSourceMapsEnabled(true);' },
    // CommonJS through and through: `import('sharp')` becomes a lazy `require`, as jest runs the sources. Node 20
    // cannot take a code-cached script's dynamic imports (runtime/bundle-loader.ts, D30).
    supported: { 'dynamic-import': false },
    // No explicit `tsconfig`: esbuild then applies the nearest tsconfig.json (paths, strict) to our sources
    // only. Forced on every file, its `strict` put "use strict" into node_modules too, and the tablestore SDK
    // (which assigns an undeclared `key` in plian_buffer_builder.js) failed every request with a ReferenceError.
    logLevel: 'silent',
    metafile: true,
  };
}

export interface BuildReport {
  functions: { resource: string; bytes: number; hash: string }[];
  ms: number;
}

/** Each function's bundle size and content hash (a changed hash is what hot reload reloads). */
export function report(spec: AppSpec, functions: FunctionSpec[], started: number): BuildReport {
  return {
    ms: Date.now() - started,
    functions: functions.map((fn) => {
      const content = readFileSync(join(fn.codeDir, 'index.js'));
      return { resource: fn.resource, bytes: content.length, hash: createHash('sha1').update(content).digest('hex').slice(0, 12) };
    }),
  };
}

export async function buildFunctions(spec: AppSpec, functions: FunctionSpec[] = spec.functions): Promise<BuildReport> {
  const started = Date.now();
  // Taken before bundling: a source saved during the build must make the next start rebuild.
  const fingerprint = buildFingerprint(spec);
  await bundleAndWrite(spec, functions, true);
  recordBuild(spec, fingerprint, functions);
  return report(spec, functions, started);
}

/**
 * Test hooks, unset outside tests. `begun` (D171): awaited once a stage has begun, before its esbuild calls, so a test
 * can ask for a function while its stage is under way (a first start's last stage takes seconds) without a timed
 * race. `bundling` (D175): awaited before each of a stage's esbuild calls (a `chunk` of it), once no on-demand build
 * runs.
 */
export const stageTestHooks: { begun?: (stage: FunctionSpec[]) => Promise<void>; bundling?: (chunk: FunctionSpec[], stage: FunctionSpec[]) => Promise<void> } = {};

/**
 * At most this many functions a stage bundles in one esbuild call (D175). A first start's last stage was one call for
 * every function left, with maps, on every core, and a function bundled on demand beside it answered after 9.8 s
 * (3.2 s alone) where the official FC SDK at its defaults gives up after 3 s. In calls of four a request shares the
 * bundler with one call at most, and waits for it when that call bundles its function; the stage takes longer in
 * all (15–17 s → 19–25 s at load 9 on 2 cores), after the first page and beside nobody's request.
 */
export const STAGE_CALL_SIZE = 4;

/**
 * On-demand builds have the bundler to themselves, but for a stage's call already under way (D175): a request
 * waits for one, a stage waits for nobody, so a stage's next call begins only once no on-demand build runs.
 */
class OnDemandBuilds {
  private running = 0;
  private idleWaiters: (() => void)[] = [];

  async run(build: () => Promise<void>): Promise<void> {
    this.running++;
    try {
      await build();
    } finally {
      if (--this.running === 0) for (const wake of this.idleWaiters.splice(0)) wake();
    }
  }

  /** Resolves once no on-demand build runs. */
  idle(): Promise<void> {
    return this.running === 0 ? Promise.resolve() : new Promise((resolve) => this.idleWaiters.push(resolve));
  }
}

/** A build of the functions in stages, each usable as soon as its own stage is written. */
export interface StagedBuild {
  /**
   * Resolves when the function's bundle (by FC function name) is written; rejects if its build failed.
   * `demanded` (a request is waiting for it): if its stage has not finished, the function is bundled now, alone.
   */
  ready(functionName: string, demanded?: boolean): Promise<void>;
  /** Every stage written and the build recorded (the same report as `buildFunctions`). */
  done: Promise<BuildReport>;
}

/**
 * Builds `functions` (default: all) in `stages`, one after another (D32, D43; each in calls of `STAGE_CALL_SIZE`). A
 * stage's bundles can be loaded as soon as it ends, so the local cloud seeds and serves its first page while
 * the functions nobody has asked for yet are still being bundled. Functions in no stage are built last (stage
 * index `stages.length`). A stage with a promise in `gates` (by stage index) also waits for it: the local cloud
 * opens those once the instances of the stages before are warm (and seeded), so the bundler does not compete
 * with them for the CPU. The fingerprint is taken before the first stage, as in `buildFunctions`.
 *
 * `mapsLast` (D73): the explicit stages are built without their source maps — about a third of the bundler's
 * CPU, and nothing a local instance reads (it loads its bundle through `vm.Script`, runtime/bundle-loader.ts,
 * which maps no stack trace) — but with the map's link in place, so their bytes are exactly those of a build
 * with maps. The last stage then also writes the maps of those functions, and of `unmapped` (bundles a stopped
 * start left without theirs): their `index.js` comes out the same and is left untouched (`writeOutputs`), so
 * running instances and code caches stay valid, and `dist/` ends up as `npm run build` makes it.
 *
 * A request for a function whose stage has not finished (a function of the user's own, nowhere in the first call
 * tree, asked for during a first start) does not wait for the stages before it and their gates — seconds on a
 * first start (D77) — nor for its own stage under way (D171): `ready(name, true)` bundles that function alone at
 * once, without its map, so its stage writes the same bytes (left untouched) and its map. A stage is bundled a few
 * functions per esbuild call, the next call waiting for the on-demand builds under way (D175).
 */
export function buildFunctionsInStages(
  spec: AppSpec,
  stages: FunctionSpec[][],
  functions: FunctionSpec[] = spec.functions,
  options: { gates?: Record<number, Promise<unknown>>; mapsLast?: boolean; unmapped?: FunctionSpec[]; fingerprint?: string } = {},
): StagedBuild {
  const started = Date.now();
  // The caller's, when it just took one to find what is stale (171 files stat'ed on the start's path, D118).
  const fingerprint = options.fingerprint ?? buildFingerprint(spec);
  const wanted = new Set(functions.map((fn) => fn.name));
  const staged = new Set(stages.flat().map((fn) => fn.name));
  const last = stages.length;
  // Which stages wait is decided before the ones with nothing to build are dropped.
  const all = [...stages, spec.functions.filter((fn) => !staged.has(fn.name))].map((stage, i) => ({ index: i, fns: stage.filter((fn) => wanted.has(fn.name)), gate: options.gates?.[i] }));
  if (options.mapsLast) {
    const mapless = new Set([...all.slice(0, last).flatMap((stage) => stage.fns), ...(options.unmapped ?? [])].map((fn) => fn.name));
    all[last]!.fns = spec.functions.filter((fn) => all[last]!.fns.includes(fn) || mapless.has(fn.name));
  }
  const readiness = new Map<string, Promise<void>>();
  const finished = new Set<number>();
  const stageOf = new Map<string, number>();
  const onDemandBuilds = new OnDemandBuilds();
  // Each function's esbuild call of its stage, once begun (D175).
  const stageCalls = new Map<string, Promise<void>>();
  let previous: Promise<void> = Promise.resolve();
  for (const { index, fns: stage, gate: opened } of all.filter((s) => s.fns.length > 0)) {
    const gate = opened ? previous.then(() => opened) : previous;
    const withMaps = !options.mapsLast || index === last;
    for (const fn of stage) if (!stageOf.has(fn.name)) stageOf.set(fn.name, index);
    const built = gate.then(async () => {
      traceMark(`build stage start: ${stage.map((fn) => fn.resource).join(',')}${withMaps ? '' : ' (maps later)'}`);
      await stageTestHooks.begun?.(stage);
      await bundleStageInCalls(spec, stage, withMaps, onDemandBuilds, stageCalls);
      // Recorded stage by stage: a start stopped before the last stage keeps the bundles it finished.
      recordBuild(spec, fingerprint, stage);
      finished.add(index);
      traceMark(`build stage done (${stage.length})`);
    });
    // A function built in an earlier stage is ready then, and one whose bundle is fresh (only its map is
    // missing) is ready now: the last stage only adds their maps (it waits for their instances to be warm).
    for (const fn of stage) if (wanted.has(fn.name) && !readiness.has(fn.name)) readiness.set(fn.name, built);
    previous = built;
  }
  const done = previous.then(() => report(spec, functions, started));
  // Whoever awaits `done` sees a failure; the per-function promises must not also report it as unhandled.
  for (const promise of readiness.values()) promise.catch(() => undefined);
  const onDemand = new Map<string, Promise<void>>();
  const buildNow = (name: string): Promise<void> => {
    const fn = spec.functions.find((f) => f.name === name)!;
    // Without its map (the request waits for the bundle, not the map; about a third of esbuild's time): the stage,
    // which has not finished, writes the map and the same bytes (D73, left untouched).
    const built = onDemandBuilds.run(async () => {
      traceMark(`build on demand: ${fn.resource}`);
      await bundleAndWrite(spec, [fn], false);
      traceMark(`built on demand: ${fn.resource}`);
    }).catch(failedBundleOf(name));
    onDemand.set(name, built);
    return built;
  };
  return {
    ready: (name, demanded) => {
      const staged = stageOf.get(name);
      // A fresh bundle whose map alone is missing (`unmapped`) is ready as it is: bundling it again on demand
      // would only put esbuild on the path of the request that waits (D97).
      // A stage under way counts as not built (D171): the last one is one esbuild call for every function left, with
      // maps — 8 to 25 s on a first start — and a checkout that waited for it ran out of its callers' budgets (503).
      if (staged === undefined || !demanded || !wanted.has(name) || finished.has(staged)) return onDemand.get(name) ?? readiness.get(name) ?? Promise.resolve();
      // Its stage's call for it has begun (or ended): that call is sooner than a build of its own beside it (D175).
      const call = stageCalls.get(name);
      if (call && !onDemand.has(name)) return call.catch(failedBundleOf(name));
      return onDemand.get(name) ?? buildNow(name);
    },
    done,
  };
}

/**
 * A failed bundle as the request waiting for it gets it, its function's error (502): it names the function, then
 * esbuild's lines — whether the request's own build failed or the stage's call it waited for.
 */
function failedBundleOf(name: string): (err: unknown) => never {
  return (err) => {
    throw new Error(`${name}: its code could not be bundled: ${(err as Error).message}`);
  };
}

/** esbuild's options for bundling `fns`: with their maps, or (a mapless start-up stage, D73) without them. */
function stageBuildOptions(spec: AppSpec, fns: FunctionSpec[], withMaps: boolean): BuildOptions {
  return { ...bundleOptions(spec, fns), write: false, ...(withMaps ? {} : { sourcemap: false }) };
}

/**
 * Bundles `fns` in one esbuild call and writes them: with their maps, or (a mapless start-up stage, D73) without
 * them but with the map's link, so the bytes are those a build with maps writes.
 */
export async function bundleAndWrite(spec: AppSpec, fns: FunctionSpec[], withMaps: boolean): Promise<void> {
  writeBundles(spec, fns, withMaps, await build(stageBuildOptions(spec, fns, withMaps)));
}

/**
 * A stage's functions bundled `STAGE_CALL_SIZE` at a time, each call once the on-demand builds under way are done
 * (D175). `calls` gets each function's call as it begins: a request for one of them waits for that call, which ends
 * sooner than a build of its own beside it would.
 */
async function bundleStageInCalls(spec: AppSpec, fns: FunctionSpec[], withMaps: boolean, onDemand: OnDemandBuilds, calls: Map<string, Promise<void>>): Promise<void> {
  for (let i = 0; i < fns.length; i += STAGE_CALL_SIZE) {
    await onDemand.idle();
    const chunk = fns.slice(i, i + STAGE_CALL_SIZE);
    await stageTestHooks.bundling?.(chunk, fns);
    if (fns.length > STAGE_CALL_SIZE) traceMark(`build stage call: ${chunk.map((fn) => fn.resource).join(',')}`);
    const call = bundleAndWrite(spec, chunk, withMaps);
    call.catch(() => undefined);
    for (const fn of chunk) calls.set(fn.name, call);
    await call;
  }
}

function writeBundles(spec: AppSpec, fns: FunctionSpec[], withMaps: boolean, result: BuildResult): void {
  failOnErrors(result);
  writeOutputs(withMaps ? result.outputFiles! : withMapLinks(result.outputFiles!));
  copyNativePackages(spec, fns, result.metafile!);
  // What hot reload rebuilds when a file is saved: the bundles it is part of (D169).
  recordBundleInputs(spec, fns, result.metafile!);
}

/** An output file as `writeOutputs` takes it (esbuild's `OutputFile` is one). */
export interface Output {
  path: string;
  contents: Uint8Array;
}

/**
 * The bundles of a build without source maps, each ending with the link to its map as a `sourcemap: 'linked'`
 * build writes it (`//# sourceMappingURL=index.js.map`): the same bytes, so the map written later matches.
 */
export function withMapLinks(outputs: readonly Output[]): Output[] {
  return outputs.map((file) => {
    if (!file.path.endsWith('.js')) return file;
    const newline = file.contents[file.contents.byteLength - 1] === 0x0a ? '' : '\n';
    return { path: file.path, contents: Buffer.concat([file.contents, Buffer.from(`${newline}//# sourceMappingURL=${basename(file.path)}.map\n`)]) };
  });
}

/** Fresh bundles without their source map beside them (a start stopped before it wrote them, D73). */
export function functionsWithoutMaps(spec: AppSpec, functions: readonly FunctionSpec[] = bundledFunctions(spec)): FunctionSpec[] {
  return functions.filter((fn) => existsSync(join(fn.codeDir, 'index.js')) && !existsSync(join(fn.codeDir, 'index.js.map')));
}

/**
 * Writes esbuild's output files atomically (temp file + rename) and only when their bytes changed.
 * Several local clouds may build the same `dist/` at once (parallel test files, `npm start` beside a test
 * run): a reader then sees the old bundle or the new one, never a half-written file.
 */
export function writeOutputs(outputs: readonly Output[] | undefined): void {
  for (const file of outputs ?? []) {
    if (existsSync(file.path) && Buffer.compare(readFileSync(file.path), file.contents) === 0) continue;
    mkdirSync(dirname(file.path), { recursive: true });
    const temp = `${file.path}.${process.pid}.${Math.random().toString(36).slice(2)}.tmp`;
    writeFileSync(temp, file.contents);
    renameSync(temp, file.path);
  }
}

function failOnErrors(result: BuildResult): void {
  if (result.errors.length > 0) throw new Error(buildErrorLines(result.errors));
}

/** esbuild's errors as the terminal prints them: `file:line: text`, one a line. */
export function buildErrorLines(errors: readonly Pick<Message, 'text' | 'location'>[]): string {
  return errors.map((e) => `${e.location?.file}:${e.location?.line}: ${e.text}`).join('\n');
}

/** External packages a bundle loads at run time that must therefore ship in `<code>/node_modules/`. */
export const SHIPPED_EXTERNALS = ['sharp'];

export interface RuntimeFiles {
  /** Package names copied to `<code>/node_modules/`, e.g. `sharp`, `@img/sharp-linux-x64`, `detect-libc`. */
  packages: string[];
  /** `.wasm` files copied beside `index.js`. */
  wasm: string[];
}

/**
 * Makes each function folder self-contained, driven by what its bundle really contains (the esbuild
 * metafile), not by function names:
 * - a bundle that requires a `SHIPPED_EXTERNALS` package gets that package and its runtime dependency tree
 *   (`dependencies` and the `optionalDependencies` installed here, i.e. the platform's `@img/sharp-*`
 *   binaries) copied into `<code>/node_modules/`, versions as installed;
 * - a bundle that contains emscripten glue (`foo.js` with a `foo.wasm` beside it in node_modules) gets
 *   the `.wasm` copied beside `index.js`, where the glue's loader looks first (`images/webp-codec.ts`).
 * Whatever an earlier build left that is no longer needed is removed. Copies are skipped when the
 * destination's package.json already matches, so watch rebuilds stay cheap.
 *
 * FC runs linux-x64 (glibc): deploy from such a machine (or CI) so the copied `@img/sharp-linux-x64` binary
 * is the one FC loads. Elsewhere the bundle still works — the image engine falls back to jimp when sharp
 * cannot load.
 *
 * @example
 * ```ts
 * const result = await build(bundleOptions(spec, spec.functions));
 * copyNativePackages(spec, spec.functions, result.metafile!); // dist/make-thumbnail/node_modules/sharp, …/webp_enc_simd.wasm
 * ```
 */
export function copyNativePackages(spec: AppSpec, functions: FunctionSpec[], metafile: Metafile): Map<string, RuntimeFiles> {
  const copied = new Map<string, RuntimeFiles>();
  for (const fn of functions) {
    const output = metafile.outputs[relative(spec.baseDir, join(fn.codeDir, 'index.js')).split('\\').join('/')];
    if (!output) continue;
    // Each external is resolved as Node would from the file that imports it.
    const roots = Object.keys(output.inputs).flatMap((input) =>
      (metafile.inputs[input]?.imports ?? [])
        .filter((i) => i.external && SHIPPED_EXTERNALS.includes(packageNameOf(i.path)))
        .map((i) => ({ name: packageNameOf(i.path), fromDir: dirname(join(spec.baseDir, input)) })),
    );
    const packages = packageTree(roots);
    syncPackages(packages, join(fn.codeDir, 'node_modules'));
    const wasm = wasmBesideGlue(Object.keys(output.inputs).map((input) => join(spec.baseDir, input)));
    syncWasm(wasm, fn.codeDir);
    copied.set(fn.resource, { packages: [...packages.keys()].sort(), wasm: wasm.map((file) => basename(file)).sort() });
  }
  return copied;
}

/** `@img/sharp-linux-x64/lib/x.node` → `@img/sharp-linux-x64`; `sharp` → `sharp`. */
function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Node's lookup: `<dir>/node_modules/<name>`, then each parent folder's. */
function findPackageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

interface PackageJson {
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

function readPackageJson(dir: string): PackageJson {
  return JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;
}

/** name → installed folder, for `roots` and everything they need at run time. */
function packageTree(roots: { name: string; fromDir: string }[]): Map<string, string> {
  const found = new Map<string, string>();
  const visit = (name: string, fromDir: string, optional: boolean) => {
    const dir = findPackageDir(name, fromDir);
    if (!dir) {
      if (optional) return; // another platform's binary
      throw new Error(`${name} is needed at run time but not installed (looked from ${fromDir})`);
    }
    const seen = found.get(name);
    if (seen === dir) return;
    if (seen) throw new Error(`two versions of ${name} are needed at run time (${seen}, ${dir}); one flat node_modules cannot hold both`);
    found.set(name, dir);
    const pkg = readPackageJson(dir);
    for (const dep of Object.keys(pkg.dependencies ?? {})) visit(dep, dir, false);
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) visit(dep, dir, true);
  };
  for (const root of roots) visit(root.name, root.fromDir, false);
  return found;
}

function syncPackages(packages: Map<string, string>, nodeModules: string): void {
  for (const installed of listPackages(nodeModules)) {
    if (!packages.has(installed)) rmSync(join(nodeModules, installed), { recursive: true, force: true });
  }
  for (const [name, from] of packages) {
    const to = join(nodeModules, name);
    const current = existsSync(join(to, 'package.json')) ? readFileSync(join(to, 'package.json')) : undefined;
    if (current?.equals(readFileSync(join(from, 'package.json')))) continue;
    rmSync(to, { recursive: true, force: true });
    mkdirSync(dirname(to), { recursive: true });
    cpSync(from, to, { recursive: true, dereference: true });
  }
  if (packages.size === 0) rmSync(nodeModules, { recursive: true, force: true });
}

/** Package names present in a node_modules folder (`name` and `@scope/name`). */
function listPackages(nodeModules: string): string[] {
  if (!existsSync(nodeModules)) return [];
  return readdirSync(nodeModules).flatMap((entry) => {
    if (entry.startsWith('.')) return [];
    if (!entry.startsWith('@')) return [entry];
    return readdirSync(join(nodeModules, entry)).map((name) => `${entry}/${name}`);
  });
}

/** `.wasm` files that sit beside bundled node_modules JS of the same name (emscripten's `foo.js` + `foo.wasm`). */
function wasmBesideGlue(inputs: string[]): string[] {
  const wasm = inputs
    .filter((input) => input.includes('/node_modules/') && input.endsWith('.js'))
    .map((input) => input.replace(/\.js$/, '.wasm'))
    .filter((file) => existsSync(file));
  const byName = new Map<string, string>();
  for (const file of wasm) {
    const clash = byName.get(basename(file));
    if (clash && clash !== file) throw new Error(`two wasm codecs named ${basename(file)} (${clash}, ${file}) would land beside the same index.js`);
    byName.set(basename(file), file);
  }
  return [...byName.values()];
}

function syncWasm(wasm: string[], codeDir: string): void {
  const wanted = new Set(wasm.map((file) => basename(file)));
  for (const entry of existsSync(codeDir) ? readdirSync(codeDir) : []) {
    if (entry.endsWith('.wasm') && !wanted.has(entry)) rmSync(join(codeDir, entry));
  }
  for (const file of wasm) {
    const to = join(codeDir, basename(file));
    if (!existsSync(to) || !readFileSync(to).equals(readFileSync(file))) cpSync(file, to);
  }
}
