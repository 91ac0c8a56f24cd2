import { execFile } from 'node:child_process';
import { copyFileSync, cpSync, existsSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { buildFunctions, EXTERNALS } from '../../scripts/build/functions';
import { bundleContentProblems, devOnlyDependencies } from '../../scripts/validate/platform/bundle-rules';
import { loadSpec } from '../../scripts/local/spec/load';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { TABLES } from '#shared/contracts/tables';
import { startTestTableStore } from '../helpers/tablestore';
import { tempDir } from '../helpers/temp';

/**
 * The build (issue 3, part 3): every s.yaml function gets a bundle in its `code` folder whose `index.js`
 * exports the handler s.yaml names (and the initializer, when configured). Each bundle is loaded in a
 * fresh Node process from a copy with no node_modules anywhere above it — as on FC, where only the
 * uploaded folder exists — so a load proves the SDK quirks are handled: the externals are never reached.
 */
const ROOT = join(__dirname, '..', '..');
const run = promisify(execFile);

/**
 * The app in a temp folder: s.yaml copied, every other top-level entry linked (sources, infra, flows,
 * node_modules) except `dist`, so the bundles land in the temp folder's `dist/` and this test never races
 * other tests that rebuild the repository's `dist/`.
 */
function appCopy(dir: string): AppSpec {
  copyFileSync(join(ROOT, 's.yaml'), join(dir, 's.yaml'));
  for (const entry of readdirSync(ROOT)) {
    if (entry === 's.yaml' || entry === 'dist' || entry.startsWith('.')) continue;
    symlinkSync(join(ROOT, entry), join(dir, entry));
  }
  return loadSpec(join(dir, 's.yaml'), {});
}

const exportOf = (handler: string) => handler.slice(handler.lastIndexOf('.') + 1);

function expectedExports(fn: FunctionSpec): string[] {
  return [exportOf(fn.handler), ...(fn.initializer ? [exportOf(fn.initializer.handler)] : []), ...(fn.preStop ? [exportOf(fn.preStop.handler)] : [])];
}

/** Loads `file` in a new Node process with only PATH and the function's own variables, as FC would. */
const LOADER = `
const mod = require(process.argv[1]);
const out = {};
for (const name of JSON.parse(process.argv[2])) out[name] = typeof mod[name];
process.stdout.write(JSON.stringify(out));
`;
async function exportTypes(file: string, names: string[], env: Record<string, string> = {}): Promise<Record<string, string>> {
  const { stdout } = await run(process.execPath, ['-e', LOADER, file, JSON.stringify(names)], {
    cwd: dirname(file),
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    timeout: 30_000,
  });
  return JSON.parse(stdout) as Record<string, string>;
}

function nodeModulesAbove(dir: string): string[] {
  const found: string[] = [];
  for (let d = dir; ; d = dirname(d)) {
    if (existsSync(join(d, 'node_modules'))) found.push(join(d, 'node_modules'));
    if (dirname(d) === d) return found;
  }
}

describe('function bundles', () => {
  const app = tempDir('build-app-');
  const isolated = tempDir('build-load-');
  let spec: AppSpec;

  // The whole build of every function is this file's subject: ~5 s on a quiet machine, over a minute on two
  // cores shared with a loaded suite (this session's CI check ran past 60 s), so its hook gets three.
  beforeAll(async () => {
    spec = appCopy(app.path);
    await buildFunctions(spec);
  }, 180_000);
  afterAll(() => {
    app.cleanup();
    isolated.cleanup();
  });

  it('are loaded from a folder with no node_modules above it', async () => {
    expect(nodeModulesAbove(isolated.path)).toEqual([]);
    // The harness really isolates: a bundle that reached one of the externals at load time would fail here.
    for (const external of EXTERNALS) {
      const control = isolated.write(`control-${external}/index.js`, `require(${JSON.stringify(external)}); exports.handler = () => 1;`);
      await expect(exportTypes(control, ['handler'])).rejects.toThrow(`Cannot find module '${external}'`);
    }
  });

  it('exist for every s.yaml function at its code folder, with a source map', () => {
    expect(spec.functions.length).toBeGreaterThan(0);
    const missing = spec.functions.flatMap((fn) =>
      ['index.js', 'index.js.map'].filter((file) => !existsSync(join(fn.codeDir, file))).map((file) => `${fn.resource}: ${join(fn.codeDir, file)}`),
    );
    expect(missing).toEqual([]);
  });

  // One fresh Node process per function (~0.3 s each on a quiet machine, ~20 functions): at load ~20 on two cores
  // the loop ran past jest's 60 s (D104's suite runs), so it gets the build hook's budget.
  it('export the handler (and lifecycle hooks) s.yaml names, loaded without node_modules', async () => {
    const actual: Record<string, Record<string, string>> = {};
    const expected: Record<string, Record<string, string>> = {};
    for (const fn of spec.functions) {
      const copy = join(isolated.path, fn.resource);
      cpSync(fn.codeDir, copy, { recursive: true });
      const names = expectedExports(fn);
      expected[fn.resource] = Object.fromEntries(names.map((name) => [name, 'function']));
      actual[fn.resource] = await exportTypes(join(copy, 'index.js'), names, fn.environment).catch((err: Error) => ({ loadError: err.message.split('\n').slice(0, 6).join('\n') }));
    }
    expect(actual).toEqual(expected);
  }, 180_000);

  it('carry no SQLite and no local-cloud code: only the SDK adapters deploy', () => {
    const offending = spec.functions.flatMap((fn) => {
      const bundle = readFileSync(join(fn.codeDir, 'index.js'), 'utf8');
      return ['better-sqlite3', 'scripts/local'].filter((needle) => bundle.includes(needle)).map((needle) => `${fn.resource}: contains ${needle}`);
    });
    expect(offending).toEqual([]);
  });

  it("ship nothing FC must not get, sharp's linux-x64 glibc build where sharp is required, each under FC's size limit (D141)", () => {
    expect(bundleContentProblems(spec.functions, devOnlyDependencies(ROOT))).toEqual([]);
    // The check has something to check: the thumbnail bundle requires sharp and ships its native build.
    const thumbnail = spec.functions.find((f) => f.resource === 'make-thumbnail')!;
    expect(existsSync(join(thumbnail.codeDir, 'node_modules', '@img', 'sharp-linux-x64', 'package.json'))).toBe(true);
  });

  it('reach TableStore through the SDK from a folder with no node_modules (the SDK runs in non-strict mode)', async () => {
    // The SDK assigns an undeclared variable (plian_buffer_builder.js): a bundle that forced "use strict" onto
    // node_modules failed every TableStore call with a ReferenceError.
    const ots = await startTestTableStore({ tables: [TABLES.productPrice] });
    try {
      const fn = spec.functions.find((f) => f.resource === 'product-price')!;
      const copy = join(isolated.path, 'price-call');
      cpSync(fn.codeDir, copy, { recursive: true });
      const caller = `
        const { handler } = require(process.argv[1]);
        const context = { requestId: 'r-1', credentials: JSON.parse(process.argv[2]), function: { name: 'product-price' }, region: 'cn-hangzhou' };
        handler(Buffer.from(JSON.stringify({ op: 'get', productId: 'p-none', region: 'cn-hangzhou' })), context)
          .then((out) => process.stdout.write(Buffer.isBuffer(out) ? out.toString() : JSON.stringify(out)), (err) => { process.stdout.write('ERROR ' + err.message); });`;
      const { stdout } = await run(process.execPath, ['-e', caller, join(copy, 'index.js'), JSON.stringify(ots.credentials)], {
        cwd: copy,
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...fn.environment, TABLESTORE_ENDPOINT: ots.endpoint, TABLESTORE_INSTANCE: ots.instance, LOG_LEVEL: 'silent' },
        timeout: 30_000,
      });
      expect(JSON.parse(stdout)).toEqual({ ok: false, error: { code: 'NotFound', message: expect.any(String) } });
      expect(ots.emulator.requests.length).toBeGreaterThan(0);
      expect(ots.emulator.requests.filter((r) => r.status !== 200)).toEqual([]);
    } finally {
      await ots.close();
    }
  });
});
