import { buildSync, type BuildOptions } from 'esbuild';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CACHE_DIR, REPO_ROOT } from '../paths';
import { writeFileAtomically } from '../write-file-atomically';

/** Where worker code is built when the local cloud runs from its TypeScript sources (tsx, jest). */
const DEV_DIR = join(LOCAL_CACHE_DIR, 'dev');

function signature(file: string): string {
  try {
    const { size, mtimeMs } = statSync(join(REPO_ROOT, file));
    return `${size}:${mtimeMs}`;
  } catch {
    return 'missing';
  }
}

/**
 * Worker code that the prebuilt start script carries beside itself (the instance worker, the TableStore
 * emulator's thread) is TypeScript: under tsx and jest it is bundled here into `node_modules/.cache/fc-local/dev`
 * once, and again when a source file the build read changed (size or mtime, every input esbuild's metafile lists
 * outside node_modules — no list of sources to keep in step with the imports). Files are written whole
 * (`writeFileAtomically`): parallel test files start local clouds at once. Returns each entry's output file.
 */
export function devWorkerBundle<Entry extends string>(name: string, entryPoints: Record<Entry, string>, options: BuildOptions = {}): Record<Entry, string> {
  const outputs = Object.fromEntries(Object.keys(entryPoints).map((entry) => [entry, join(DEV_DIR, `${entry}.js`)])) as Record<Entry, string>;
  const stampFile = join(DEV_DIR, `${name}.inputs.json`);
  const fresh = (() => {
    try {
      const inputs = JSON.parse(readFileSync(stampFile, 'utf8')) as Record<string, string>;
      return Object.values<string>(outputs).every((file) => existsSync(file)) && Object.entries(inputs).every(([file, sig]) => signature(file) === sig);
    } catch {
      return false;
    }
  })();
  if (fresh) return outputs;
  mkdirSync(DEV_DIR, { recursive: true });
  const result = buildSync({
    ...options,
    entryPoints,
    outdir: DEV_DIR,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    logLevel: 'error',
    write: false,
    metafile: true,
    absWorkingDir: REPO_ROOT,
  });
  const inputs = Object.fromEntries(Object.keys(result.metafile.inputs).filter((file) => !file.includes('node_modules/')).map((file) => [file, signature(file)]));
  for (const output of result.outputFiles) writeFileAtomically(output.path, output.contents);
  // The stamp last: a build cut short leaves no stamp that calls it fresh.
  writeFileAtomically(stampFile, JSON.stringify(inputs));
  return outputs;
}
