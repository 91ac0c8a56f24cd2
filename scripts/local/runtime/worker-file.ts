import { buildSync } from 'esbuild';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The instance worker is TypeScript; compile it once into node_modules/.cache so worker threads can load
 * it under any parent (tsx, jest, plain node). esbuild takes ~10 ms for this one file.
 */
let cached: string | undefined;

export function instanceWorkerFile(): string {
  if (cached) return cached;
  const source = join(__dirname, 'instance-worker.ts');
  const outDir = join(__dirname, '..', '..', '..', 'node_modules', '.cache', 'fc-local');
  const outfile = join(outDir, 'instance-worker.js');
  const fresh = (() => {
    try {
      return statSync(outfile).mtimeMs >= Math.max(statSync(source).mtimeMs, statSync(join(__dirname, 'protocol.ts')).mtimeMs);
    } catch {
      return false;
    }
  })();
  if (!fresh) {
    mkdirSync(outDir, { recursive: true });
    buildSync({ entryPoints: [source], outfile, bundle: true, platform: 'node', target: 'node20', format: 'cjs', logLevel: 'error' });
  }
  cached = outfile;
  return outfile;
}
