import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../scripts/local/cloud';
import { copyFixtureApp } from '../test/helpers/fixture-app';
import { tempDir } from '../test/helpers/temp';

/**
 * `run` against a local cloud of a fixture app (test/fixtures/apps/<app>) in a temporary folder: no build, seed,
 * prewarm or watch, nothing of the caller's environment; stopped and removed afterwards, whatever `run` did.
 * @example await withFixtureCloud('python', async (cloud) => cloud.runtime.invoke('py-echo', event, { source: 'bench' }));
 */
export async function withFixtureCloud<T>(app: string, run: (cloud: LocalCloud) => Promise<T>): Promise<T> {
  const dir = tempDir(`bench-${app}-`);
  let cloud: LocalCloud | undefined;
  try {
    copyFixtureApp(app, join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, build: false, seed: false, env: {} });
    return await run(cloud);
  } finally {
    await cloud?.stop();
    dir.cleanup();
  }
}
