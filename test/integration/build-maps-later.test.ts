import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { bundleOptions, buildFunctionsInStages, functionsWithoutMaps } from '../../scripts/build/functions';
import { startLocalCloud } from '../../scripts/local/cloud';
import { loadSpec } from '../../scripts/local/spec/load';
import type { FunctionSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';

/**
 * Start-up builds write source maps last (D73): the first stages bundle without them, and the last stage writes the
 * maps of every function — leaving each `index.js` as it was, so instances already running it and their code
 * caches stay valid, and `dist/` ends up as `npm run build` leaves it.
 */

describe('source maps after the first page', () => {
  const dir = tempDir('fx-maps-');
  const app = join(dir.path, 'app');
  beforeAll(() => copyFixtureApp('runtime', app));
  afterAll(() => dir.cleanup());
  const spec = () => loadSpec(join(app, 's.yaml'), {});
  const bundleOf = (fn: FunctionSpec) => join(fn.codeDir, 'index.js');
  const stampOf = (file: string) => {
    const { ino, mtimeMs, size } = statSync(file);
    return { ino, mtimeMs, size };
  };

  it('bundles a first stage without its map but with the same bytes, and writes the map in the last stage without touching index.js', async () => {
    const app = spec();
    const echo = app.functions.find((fn) => fn.resource === 'echo')!;
    const sink = app.functions.find((fn) => fn.resource === 'sink')!;
    let openLast = () => undefined as void;
    const last = new Promise<void>((resolve) => (openLast = resolve));
    const staged = buildFunctionsInStages(app, [[echo]], [echo, sink], { mapsLast: true, gates: { 1: last } });
    await staged.ready(echo.name);
    expect(existsSync(bundleOf(echo))).toBe(true);
    expect(existsSync(`${bundleOf(echo)}.map`)).toBe(false);
    expect(functionsWithoutMaps(app).map((fn) => fn.resource)).toEqual(['echo']);
    // What a build with maps writes, byte for byte (the link to the map included).
    const linked = await build({ ...bundleOptions(app, [echo]), write: false });
    const expected = linked.outputFiles.find((file) => file.path === bundleOf(echo))!;
    expect(readFileSync(bundleOf(echo)).equals(Buffer.from(expected.contents))).toBe(true);
    const before = stampOf(bundleOf(echo));

    openLast();
    await staged.done;
    expect(existsSync(`${bundleOf(echo)}.map`)).toBe(true);
    expect(existsSync(`${bundleOf(sink)}.map`)).toBe(true);
    expect(stampOf(bundleOf(echo))).toEqual(before);
    expect(functionsWithoutMaps(app, [echo, sink])).toEqual([]);
  });

  it('a start finds bundles a stopped start left without maps and writes them, serving the bundles as they are', async () => {
    // Prewarmed: the first call tree's instances wait for their code, which is there already (only the maps are not).
    const options = { root: app, port: 0, dataDir: join(dir.path, 'data'), env: {}, prewarm: true, watch: false };
    await (await startLocalCloud(options)).stop();
    const app1 = spec();
    expect(functionsWithoutMaps(app1)).toEqual([]);
    const echo = app1.functions.find((fn) => fn.resource === 'echo')!;
    const before = stampOf(bundleOf(echo));
    rmSync(`${bundleOf(echo)}.map`);
    expect(functionsWithoutMaps(app1).map((fn) => fn.resource)).toEqual(['echo']);

    const again = await startLocalCloud(options);
    try {
      expect(again.timings.bundlesReused).toBe(1);
      expect(existsSync(`${bundleOf(echo)}.map`)).toBe(true);
      expect(stampOf(bundleOf(echo))).toEqual(before);
      expect((await again.invoke('fx-echo', {})).status).toBe('succeeded');
    } finally {
      await again.stop();
    }
  });
});

/**
 * A request for a function whose build stage has not begun (a user's own function during a first start) bundles
 * it at once, alone, instead of waiting for the stages and gates before it (D77 saw 7 s) — with the bytes its
 * stage will write, so that stage leaves it untouched.
 */
describe('a function asked for before its stage', () => {
  const dir = tempDir('fx-demand-');
  const app = join(dir.path, 'app');
  beforeAll(() => copyFixtureApp('runtime', app));
  afterAll(() => dir.cleanup());

  it('is bundled on demand while its stage still waits for its gate; the others of that stage are not', async () => {
    const spec = loadSpec(join(app, 's.yaml'), {});
    const [echo, sink, tick] = ['echo', 'sink', 'tick'].map((name) => spec.functions.find((fn) => fn.resource === name)!);
    let openLast = () => undefined as void;
    const last = new Promise<void>((resolve) => (openLast = resolve));
    const staged = buildFunctionsInStages(spec, [[echo!]], [echo!, sink!, tick!], { mapsLast: true, gates: { 1: last } });
    await staged.ready(echo!.name);

    await staged.ready(sink!.name, true);
    const linked = await build({ ...bundleOptions(spec, [sink!]), write: false });
    expect(readFileSync(join(sink!.codeDir, 'index.js')).equals(Buffer.from(linked.outputFiles.find((f) => f.path === join(sink!.codeDir, 'index.js'))!.contents))).toBe(true);
    // Its stage has not begun (its gate is closed): nothing else of it is built, and a prewarm still waits.
    expect(existsSync(join(tick!.codeDir, 'index.js'))).toBe(false);
    await staged.ready(sink!.name);

    openLast();
    await staged.done;
    expect(existsSync(join(tick!.codeDir, 'index.js'))).toBe(true);
    expect(existsSync(join(sink!.codeDir, 'index.js.map'))).toBe(true);
  });

  it('is not bundled again when only its map is missing (a stopped start left it): it is served as it is at once', async () => {
    const spec = loadSpec(join(app, 's.yaml'), {});
    const echo = spec.functions.find((fn) => fn.resource === 'echo')!;
    const bundle = join(echo.codeDir, 'index.js');
    // A start that wrote echo's bundle without its map and stopped before its last stage.
    await buildFunctionsInStages(spec, [[echo]], [echo], { mapsLast: true, gates: { 1: new Promise(() => undefined) } }).ready(echo.name);
    rmSync(`${bundle}.map`, { force: true });
    const { mtimeMs } = statSync(bundle);
    let openLast = () => undefined as void;
    const last = new Promise<void>((resolve) => (openLast = resolve));
    const staged = buildFunctionsInStages(spec, [[echo]], [], { mapsLast: true, unmapped: [echo], gates: { 1: last } });

    // A request waits for it: the bundle is fresh, so nothing is bundled (an on-demand build would write the map now).
    await staged.ready(echo.name, true);
    expect(existsSync(`${bundle}.map`)).toBe(false);
    expect(statSync(bundle).mtimeMs).toBe(mtimeMs);

    openLast();
    await staged.done;
    expect(existsSync(`${bundle}.map`)).toBe(true);
    expect(statSync(bundle).mtimeMs).toBe(mtimeMs);
  });
});
