import { context, build, type BuildOptions, type BuildResult, type Plugin } from 'esbuild';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { AppSpec, FunctionSpec } from '../local/spec/model';

/**
 * Bundles each function of s.yaml into exactly the folder `s deploy` uploads (`props.code`):
 * `functions/<resource>/handler.ts` → `<code>/index.js` (+ source map), CommonJS for the nodejs20 runtime.
 *
 * SDK quirks (reference/toolchain.md): ali-oss optionally requires `proxy-agent` and @alicloud/mns has a
 * dead `babel-runtime` branch — both externals are never reached on Node 20. `better-sqlite3` is only
 * loaded by the table port's `sqlite:` adapter, which the local cloud alone configures. `sharp` is native:
 * it stays external and is copied beside the bundle by `copyNativePackages`.
 */
export const EXTERNALS = ['proxy-agent', 'babel-runtime', 'better-sqlite3', 'sharp'];

export function functionEntry(spec: AppSpec, fn: FunctionSpec): string {
  return join(spec.baseDir, 'functions', fn.resource, 'handler.ts');
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
    ...(existsSync(join(spec.baseDir, 'tsconfig.json')) ? { tsconfig: join(spec.baseDir, 'tsconfig.json') } : {}),
    logLevel: 'silent',
    metafile: true,
  };
}

export interface BuildReport {
  functions: { resource: string; bytes: number; hash: string }[];
  ms: number;
}

function report(spec: AppSpec, functions: FunctionSpec[], started: number): BuildReport {
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
  const result = await build(bundleOptions(spec, functions));
  failOnErrors(result);
  return report(spec, functions, started);
}

function failOnErrors(result: BuildResult): void {
  if (result.errors.length > 0) throw new Error(result.errors.map((e) => `${e.location?.file}:${e.location?.line}: ${e.text}`).join('\n'));
}

/**
 * Rebuild on every source change; `onBuilt` receives the functions whose bundle actually changed
 * (by content hash), so only their instances are replaced.
 */
export async function watchFunctions(spec: AppSpec, onBuilt: (changed: string[], error?: Error) => void): Promise<{ dispose(): Promise<void> }> {
  const hashes = new Map<string, string>();
  const hashPlugin: Plugin = {
    name: 'changed-functions',
    setup(pluginBuild) {
      pluginBuild.onEnd((result) => {
        if (result.errors.length > 0) {
          onBuilt([], new Error(result.errors.map((e) => `${e.location?.file}:${e.location?.line}: ${e.text}`).join('\n')));
          return;
        }
        const changed: string[] = [];
        for (const fn of report(spec, spec.functions, Date.now()).functions) {
          if (hashes.has(fn.resource) && hashes.get(fn.resource) !== fn.hash) changed.push(fn.resource);
          hashes.set(fn.resource, fn.hash);
        }
        onBuilt(changed);
      });
    },
  };
  const ctx = await context({ ...bundleOptions(spec, spec.functions), plugins: [hashPlugin] });
  await ctx.watch();
  return { dispose: () => ctx.dispose() };
}
