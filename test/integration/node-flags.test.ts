import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/**
 * `node --max-semi-space-size=32 scripts/local/launch.cjs` (or any V8 flag a developer tries on the local cloud):
 * worker threads refuse V8 and process-wide options in their `execArgv`, and instances inherit the parent's —
 * so every instance used to fail with ERR_WORKER_INVALID_EXEC_ARGV and every page answered an error.
 */
describe('the local cloud under node flags that worker threads refuse', () => {
  const dir = tempDir('node-flags-');
  let cloud: LocalCloudProcess | undefined;

  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('runs its functions, which start without the refused flags', async () => {
    cloud = await startLocalCloudProcess({ dataDir: dir.path, nodeArgs: ['--max-semi-space-size=32', '--stack-size=2000'] });
    const res = await fetch(`${cloud.url}/api/products`);
    expect({ status: res.status, output: res.status === 200 ? '' : cloud.output() }).toEqual({ status: 200, output: '' });
    expect(cloud.output()).toContain('--max-semi-space-size=32, --stack-size=2000');
  }, 180_000);
});
