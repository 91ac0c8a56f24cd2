import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { baseline, prepareWorld, sweep, type FuzzWorld } from '../../scripts/fuzz/sweep';
import { tempDir } from '../helpers/temp';

/**
 * "Bad input gets a clear error and loses nothing" (PRODUCT.md §3), checked with generated input (D147): fixed
 * seeds of scripts/fuzz against every function route, the console API and the emulators' APIs (signed, so the
 * malformed part is what is read). Each case must be answered within the timeout, never with a 5xx or a stack, a
 * refusal in the service's own error shape, and a refused request must leave the state it touches unchanged.
 * A failure prints the seed and case: `npm run fuzz -- --seed <seed> --cases <n>` replays it.
 */
const SEEDS = [11, 12, 13];
const CASES_PER_SEED = 100;

describe('generated malformed input (D147)', () => {
  const dir = tempDir('fuzz-inputs-');
  let cloud: LocalCloud;
  let world: FuzzWorld;

  beforeAll(async () => {
    cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
    world = await prepareWorld(cloud.url);
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('sends valid requests before it breaks them: every route accepts its unbroken request', async () => {
    const statuses = await baseline(world);
    // These name on purpose something that does not exist; everything else must succeed.
    const absent = ['GET /api/images/:imageId', 'GET /api/images/:imageId/thumbnail/:size', 'POST /api/iot/devices/:deviceId/secret', 'GET /api/orders/:orderId', 'POST /api/payments/callback'];
    const wrong = Object.entries(statuses).filter(([target, status]) => (absent.includes(target) ? status !== 404 : status < 200 || status > 299));
    expect(wrong).toEqual([]);
  });

  it.each(SEEDS)('seed %i: every case refused cleanly, nothing changed by a refusal', async (seed) => {
    const summary = await sweep(world, [seed], CASES_PER_SEED);
    expect(summary.cases).toBe(CASES_PER_SEED);
    // Every kind of target was reached, so a seed cannot pass by sweeping nothing.
    expect(Object.keys(summary.byTarget).length).toBeGreaterThan(10);
    expect(summary.findings).toEqual([]);
  });
});
