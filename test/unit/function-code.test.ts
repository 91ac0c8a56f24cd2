import { join } from 'node:path';
import { bundledFunctions, unrunnableFunctions } from '../../scripts/build/functions';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

/**
 * What the local cloud runs for each function of s.yaml: the bundle of `functions/<resource>/handler.ts`, or the
 * code folder as it is (FC's own layout), and a refusal naming the function when there is neither.
 */
describe('function code: bundled, run as it is, or nothing to run', () => {
  const dir = tempDir('fn-code-');
  afterAll(() => dir.cleanup());
  dir.write('functions/typed/handler.ts', 'export const handler = async () => "ok";\n');
  dir.write('code/plain/index.js', 'exports.handler = async () => "ok";\n');
  dir.write('code/esm/index.mjs', 'export const handler = async () => "ok";\n');
  dir.write('code/empty/README.md', 'no handler here\n');
  const fn = (resource: string, code: string, handler = 'index.handler') => ({ resource, name: `fx-${resource}`, codeDir: join(dir.path, code), handler }) as FunctionSpec;
  const spec = { baseDir: dir.path, functions: [fn('typed', 'dist/typed'), fn('plain', 'code/plain'), fn('esm', 'code/esm'), fn('empty', 'code/empty'), fn('renamed', 'code/plain', 'main.handler'), fn('missing', 'code/missing')] } as AppSpec;

  it('bundles only the functions with a TypeScript source', () => {
    expect(bundledFunctions(spec).map((f) => f.resource)).toEqual(['typed']);
  });

  it('names each function with nothing to run, what is missing and what to do', () => {
    const problems = unrunnableFunctions(spec);
    expect(problems.map((p) => p.fn.resource)).toEqual(['esm', 'empty', 'renamed', 'missing']);
    expect(problems[0]).toMatchObject({ problem: 'code/esm/index.mjs is an ES module handler, which the local cloud does not run as it is' });
    expect(problems[1]).toMatchObject({ problem: 'nothing to run: no index.js in code/empty, and no functions/empty/handler.ts to bundle into it' });
    expect(problems[2]!.hint).toBe('put the handler (main.handler) in code/plain/main.js, or its TypeScript source at functions/renamed/handler.ts');
    // A code: path that leads nowhere is said to (D154), with where it was looked for.
    expect(problems[3]).toMatchObject({ problem: `the code folder code/missing does not exist (${join(dir.path, 'code/missing')})` });
    expect(problems[3]!.hint).toBe(`code: is taken from the yaml's folder (${dir.path}); put index.js with the handler (index.handler) in code/missing, or its TypeScript source at functions/missing/handler.ts`);
  });
});
