import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/**
 * What a user sees first: the local cloud says it is ready, and the first product page they open is complete —
 * no part missing because an instance was still starting — even with a second local cloud running beside it on
 * this 2-CPU machine (a second checkout, another terminal).
 *
 * Checked without timing. "Ready" must mean that every function of the page's call tree has a started instance
 * waiting: each invocation serving the first page took an idle, warmed instance (no wait in line, no cold start).
 * The page's parts get a budget no load reaches (BFF_PART_TIMEOUT_MS): with s.yaml's 300 ms, other processes
 * taking the two CPUs (load 15–24) left warm parts out of the page — their invocations had not even begun when
 * the BFF answered — so the test failed on the machine's load, not on what it is about.
 */
const PAGE_FUNCTIONS = ['product-bff', 'product-info', 'product-price', 'product-inventory', 'product-shipping', 'product-sales', 'product-reviews'];

describe('the first product page after the local cloud is ready', () => {
  const dir = tempDir('first-page-');
  let other: LocalCloudProcess | undefined;
  let cloud: LocalCloud | undefined;

  afterAll(async () => {
    await cloud?.stop();
    await other?.stop();
    dir.cleanup();
  });

  it('is complete with a second local cloud running beside it', async () => {
    other = await startLocalCloudProcess({ dataDir: join(dir.path, 'other'), prewarm: true, seed: true });
    cloud = await startLocalCloud({ port: 0, dataDir: join(dir.path, 'data'), watch: false, env: { ...process.env, BFF_PART_TIMEOUT_MS: '9000' } });
    const asked = Date.now();
    const res = await fetch(`${cloud.url}/api/products/p-aurora-headphones?client=web&region=cn-hangzhou`);
    const page = (await res.json()) as { degraded?: string[]; name?: string };
    expect([res.status, page.degraded]).toEqual([200, []]);
    // Every function of the page ran for it, on an instance that was started and idle when it was asked.
    const served = await eventually(() => {
      const records = cloud!.runtime.recent({ limit: 200 }).filter((r) => r.startedAt >= asked && PAGE_FUNCTIONS.includes(r.resource));
      expect([...new Set(records.map((r) => r.resource))].sort()).toEqual([...PAGE_FUNCTIONS].sort());
      return records;
    });
    expect(served.filter((r) => r.coldStart || r.waitMs > 0 || r.status !== 'succeeded').map((r) => `${r.resource}: ${r.status}${r.coldStart ? ', cold start' : ''}, waited ${r.waitMs} ms`)).toEqual([]);
    const list = await fetch(`${cloud.url}/api/products`);
    expect([list.status, list.headers.get('x-degraded')]).toEqual([200, null]);
    // Two clouds prewarming every function of the suite (four apps) take a while on a busy 2-CPU machine; the
    // test is about what the first page shows once ready, not how soon that is.
  }, 300_000);
});
