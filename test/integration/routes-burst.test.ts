import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { callOnce, httpRoutes, prepareRouteFixtures, sdkRoutes, type Route, type RouteFixtures } from '../helpers/route-load';
import { tempDir } from '../helpers/temp';

/**
 * Every public route besides the product page under a burst, the moment a local cloud is ready (issue 12, D100):
 * the image API and OSS presigned GETs, the order API and its saga, signed IoT ingest and the data API, the
 * website and console API, and the emulators through their SDKs. The fixtures are made on a first local cloud;
 * a second one starts on the same data folder, so every function meets the burst cold, as after `npm start`.
 * Every answer must be right (its body checked, never a 5xx or a reset), and every accepted write must land:
 * each order reaches a final state with no stock held or below zero, each reading is served by the data API, each
 * row, object, message and execution is there. The load itself, at 8/32/64 connections: bench/routes-load.bench.ts.
 */
const BURST = Number(process.env.ROUTES_BURST ?? 16);

describe('every public route under a burst right after start', () => {
  const dir = tempDir('routes-burst-');
  let cloud: LocalCloud | undefined;
  let fixtures: RouteFixtures;

  beforeAll(async () => {
    const dataDir = join(dir.path, 'data');
    const first = await startLocalCloud({ port: 0, dataDir, watch: false, prewarm: false, env: {} });
    try {
      fixtures = await prepareRouteFixtures(first.url);
    } finally {
      await first.stop();
    }
    cloud = await startLocalCloud({ port: 0, dataDir, watch: false, env: {} });
    const endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as RouteFixtures['endpoints'];
    fixtures = { ...fixtures, url: cloud.url, endpoints };
  }, 120_000);
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it(`answers ${BURST} concurrent requests on every route at once with right answers, and every accepted write lands`, async () => {
    const routes: Route[] = [...httpRoutes(fixtures), ...sdkRoutes(fixtures)];
    const answers = await Promise.all(routes.flatMap((route) => Array.from({ length: BURST }, async () => ({ route: route.name, problem: await callOnce(route) }))));
    expect(answers.filter((a) => a.problem).map((a) => `${a.route}: ${a.problem}`)).toEqual([]);

    const landings = await Promise.all(routes.map(async (route) => ({ route: route.name, landing: await route.verify?.() })));
    const writes = landings.filter((l) => l.landing);
    expect(writes.map((l) => l.route).sort()).toEqual(['fnf-start-describe', 'iot-ingest', 'mns-send-receive', 'order-place', 'oss-put-get', 'tablestore-put-get']);
    for (const { route, landing } of writes) expect({ route, accepted: landing!.accepted > 0, lost: landing!.examples }).toEqual({ route, accepted: true, lost: [] });
  }, 300_000);
});
