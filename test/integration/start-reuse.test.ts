import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { staleFunctions } from '../../scripts/build/fingerprint';
import { startLocalCloud } from '../../scripts/local/cloud';
import { loadSpec } from '../../scripts/local/spec/load';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';

/**
 * A second start reuses bundles built from the same sources (no rebuild), and hot reload still notices a
 * source saved after that start, although the watcher only begins once the instances are warm.
 */

describe('starting again with unchanged sources', () => {
  const dir = tempDir('fx-reuse-');
  const app = join(dir.path, 'app');
  beforeAll(() => copyFixtureApp('runtime', app));
  afterAll(() => dir.cleanup());

  it('reuses the bundles, and rebuilds and reloads a function saved afterwards', async () => {
    const options = { root: app, port: 0, dataDir: join(dir.path, 'data'), env: {}, prewarm: true, watch: true };
    const first = await startLocalCloud(options);
    expect(first.timings.bundlesReused).toBe(0);
    await first.stop();

    const second = await startLocalCloud(options);
    try {
      expect(second.timings.bundlesReused).toBe(1);
      expect((await second.invoke('fx-spin', {})).payload.toString()).toBe('done');
      const source = join(app, 'functions', 'spin', 'handler.ts');
      writeFileSync(source, readFileSync(source, 'utf8').replace("return 'done';", "return 'saved after start';"));
      await eventually(async () => expect((await second.invoke('fx-spin', {})).payload.toString()).toBe('saved after start'), { timeoutMs: 30000, intervalMs: 200 });
    } finally {
      await second.stop();
    }
  });

  it('builds only the functions a stopped start had not finished (freshness is recorded per function)', async () => {
    const options = { root: app, port: 0, dataDir: join(dir.path, 'data-2'), env: {}, prewarm: false, watch: false };
    await (await startLocalCloud(options)).stop();
    const spec = loadSpec(join(app, 's.yaml'), {});
    expect(staleFunctions(spec)).toEqual([]);
    // As if the start had been stopped before the stage with fx-echo: its entry is missing from the stamp.
    const stampFile = join(app, 'dist', '.functions-build.json');
    const stamp = JSON.parse(readFileSync(stampFile, 'utf8')) as { functions: Record<string, string> };
    delete stamp.functions.echo;
    writeFileSync(stampFile, JSON.stringify(stamp));
    expect(staleFunctions(spec).map((fn) => fn.resource)).toEqual(['echo']);
    const again = await startLocalCloud(options);
    try {
      expect(again.timings.bundlesReused).toBe(0);
      expect(staleFunctions(spec)).toEqual([]);
      expect((await again.invoke('fx-sink', 'still here')).status).toBe('succeeded');
    } finally {
      await again.stop();
    }
  });
});
