import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildFunctions } from '../../scripts/build/functions';
import { watchFunctionsOnChange } from '../../scripts/build/watch-functions';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * Hot reload rebuilds only the bundles a saved file is part of (D169): the others are not bundled again (the
 * watcher says which functions each rebuild bundles), and only functions whose bundle bytes changed are reloaded.
 */
describe('hot reload rebuilds only the bundles that include a saved file', () => {
  const dir = tempDir('hot-incr-');
  const fn = (resource: string) => ({ resource, name: `hx-${resource}`, codeDir: join(dir.path, 'dist', resource), handler: 'index.handler' }) as FunctionSpec;
  const spec = { baseDir: dir.path, functions: [fn('alpha'), fn('beta'), fn('gamma')] } as AppSpec;
  const shared = dir.write('functions/_shared/greet.ts', "export const greet = (who: string) => `hello ${who}`;\n");
  const source = (resource: string, body: string) => dir.write(`functions/${resource}/handler.ts`, body);
  source('alpha', "import { greet } from '../_shared/greet';\nexport const handler = async () => greet('alpha');\n");
  source('beta', "import { greet } from '../_shared/greet';\nexport const handler = async () => greet('beta');\n");
  const gamma = source('gamma', "export const handler = async () => 'gamma v1';\n");
  const bundle = (resource: string) => join(dir.path, 'dist', resource, 'index.js');

  /** Each rebuild: the functions it bundled, then what it reported (reloaded functions, or the error). */
  const rebuilds: { built: string[]; changed?: string[]; error?: Error }[] = [];
  let watcher: { dispose(): Promise<void> } | undefined;

  beforeAll(async () => {
    await buildFunctions(spec);
    watcher = watchFunctionsOnChange(spec, (changed, error) => Object.assign(rebuilds[rebuilds.length - 1] ?? {}, { changed, ...(error ? { error } : {}) }), {
      after: Promise.resolve(),
      onRebuild: (built) => rebuilds.push({ built }),
    });
  });
  afterAll(async () => {
    await watcher?.dispose();
    dir.cleanup();
  });

  /** Saves, then waits for the one rebuild it causes to report. */
  const save = async (write: () => void) => {
    const before = rebuilds.length;
    write();
    const rebuild = await eventually(() => {
      expect(rebuilds.length).toBeGreaterThan(before);
      expect(rebuilds[before]!.changed).toBeDefined();
      return rebuilds[before]!;
    });
    return rebuild;
  };

  it('a saved function rebuilds its own bundle alone and reloads it', async () => {
    const others = ['alpha', 'beta'].map((resource) => statSync(bundle(resource)).mtimeMs);
    const rebuild = await save(() => writeFileSync(gamma, "export const handler = async () => 'gamma v2';\n"));
    expect(rebuild).toEqual({ built: ['gamma'], changed: ['gamma'] });
    expect(readFileSync(bundle('gamma'), 'utf8')).toContain('gamma v2');
    expect(['alpha', 'beta'].map((resource) => statSync(bundle(resource)).mtimeMs)).toEqual(others);
  });

  it('a burst of saves of one file is one rebuild; a comment-only save reloads nothing', async () => {
    const before = rebuilds.length;
    const rebuild = await save(() => {
      // As an editor saves: truncate, write, write again.
      writeFileSync(gamma, '');
      writeFileSync(gamma, "// a comment\nexport const handler = async () => 'gamma v2';\n");
      writeFileSync(gamma, "// a comment, edited\nexport const handler = async () => 'gamma v2';\n");
    });
    expect(rebuild).toEqual({ built: ['gamma'], changed: [] });
    expect(rebuilds.length).toBe(before + 1);
  });

  it('a saved shared module rebuilds every bundle that includes it, and only those', async () => {
    const rebuild = await save(() => writeFileSync(shared, "export const greet = (who: string) => `hi ${who}`;\n"));
    expect(rebuild).toEqual({ built: ['alpha', 'beta'], changed: ['alpha', 'beta'] });
    expect(readFileSync(bundle('alpha'), 'utf8')).toContain('hi ');
  });

  it('a build error is reported, the old bundle stays, and a file the fix imports is watched from then on', async () => {
    const served = readFileSync(bundle('gamma'), 'utf8');
    const broken = await save(() => writeFileSync(gamma, "import { extra } from './extra';\nexport const handler = async () => extra;\n"));
    expect(broken.built).toEqual(['gamma']);
    expect(broken.error?.message).toMatch(/functions\/gamma\/handler\.ts:1: Could not resolve "\.\/extra"/);
    expect(readFileSync(bundle('gamma'), 'utf8')).toBe(served);
    // The new file is no bundle's input yet, but the function that failed is rebuilt at the next save.
    const fixed = await save(() => dir.write('functions/gamma/extra.ts', "export const extra = 'gamma extra v1';\n"));
    expect(fixed).toEqual({ built: ['gamma'], changed: ['gamma'] });
    // The new file is now among the bundle's inputs.
    const again = await save(() => dir.write('functions/gamma/extra.ts', "export const extra = 'gamma extra v2';\n"));
    expect(again).toEqual({ built: ['gamma'], changed: ['gamma'] });
    expect(readFileSync(bundle('gamma'), 'utf8')).toContain('gamma extra v2');
  });

  it('a changed tsconfig.json rebuilds every bundle', async () => {
    const rebuild = await save(() => dir.write('tsconfig.json', '{ "compilerOptions": { "strict": true } }\n'));
    expect(rebuild.built).toEqual(['alpha', 'beta', 'gamma']);
  });
});
