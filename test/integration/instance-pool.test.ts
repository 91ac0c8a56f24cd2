import { join } from 'node:path';
import { FcFunctionInvoker } from '#shared/aliyun/fc-invoker';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { defaultInstanceCaps, instanceCaps } from '../../scripts/local/runtime/capacity';
import type { InvocationRecord } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';

/**
 * The local instance pool (docs/decisions.md D30) on the runtime fixture app, with small caps so the limits
 * are reached by a handful of requests: one request per instance as on FC, requests above a cap wait in
 * line and are served in order, reservedConcurrency still answers 429 above its limit, and the shared room
 * for extra instances never keeps a function from running its first one.
 */

interface Span {
  tag: string;
  startedAt: number;
  endedAt: number;
}

const spanOf = (record: InvocationRecord) => JSON.parse(record.payload.toString()) as Span;

describe('instance pool', () => {
  const dir = tempDir('fx-pool-');
  let cloud: LocalCloud;
  let fc: FcFunctionInvoker;

  beforeAll(async () => {
    copyFixtureApp('runtime', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, instanceCaps: { perFunction: 1, extra: 0 } });
    fc = new FcFunctionInvoker({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.url });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const instancesOf = (resource: string) => cloud.runtime.poolStats().find((p) => p.resource === resource)!.instances;

  it('with a cap of 1, runs two concurrent invocations one after the other, and both succeed', async () => {
    const [a, b] = await Promise.all([cloud.invoke('fx-span', { ms: 150, tag: 'a' }), cloud.invoke('fx-span', { ms: 150, tag: 'b' })]);
    expect([a.status, b.status]).toEqual(['succeeded', 'succeeded']);
    const [first, second] = [spanOf(a), spanOf(b)];
    expect(first.tag).toBe('a');
    expect(second.startedAt).toBeGreaterThanOrEqual(first.endedAt);
    expect(b.instanceId).toBe(a.instanceId);
    expect(b.waitMs).toBeGreaterThan(0);
    expect(instancesOf('span')).toBe(1);
  });

  it('serves the requests waiting in line in the order they arrived', async () => {
    const tags = ['1', '2', '3', '4', '5', '6'];
    const records = await Promise.all(tags.map((tag) => cloud.invoke('fx-span', { ms: 20, tag })));
    expect(records.every((r) => r.status === 'succeeded')).toBe(true);
    const byStart = records.map(spanOf).sort((x, y) => x.startedAt - y.startedAt || x.endedAt - y.endedAt);
    expect(byStart.map((s) => s.tag)).toEqual(tags);
    for (let i = 1; i < byStart.length; i++) expect(byStart[i]!.startedAt).toBeGreaterThanOrEqual(byStart[i - 1]!.endedAt);
  });

  it('waits in line up to reservedConcurrency and throttles the excess with 429 ResourceThrottled, as FC does', async () => {
    // fx-trio: reservedConcurrency 3 above the local cap of 1 — three run (one after another), two get 429.
    const outcomes = await Promise.allSettled(['a', 'b', 'c', 'd', 'e'].map((tag) => fc.invoke('fx-trio', { ms: 100, tag })));
    const ok = outcomes.filter((o) => o.status === 'fulfilled');
    const throttled = outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as { code?: string; statusCode?: number }).code);
    expect(ok).toHaveLength(3);
    expect(throttled).toEqual(['ResourceThrottled', 'ResourceThrottled']);
    for (const o of ok) expect((o as PromiseFulfilledResult<{ status: number; functionError?: unknown }>).value).toMatchObject({ status: 200 });
    expect(instancesOf('trio')).toBe(1);
    // Once the burst is over the limit is free again.
    expect((await fc.invoke('fx-trio', { ms: 1, tag: 'after' })).status).toBe(200);
  });

  it('throttles every request beyond reservedConcurrency when it equals the cap (fx-solo, limit 1)', async () => {
    const outcomes = await Promise.allSettled([1, 2, 3].map(() => fc.invoke('fx-solo', { ms: 150 })));
    expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
    expect(outcomes.filter((o) => o.status === 'rejected').map((o) => (o.reason as { code: string }).code)).toEqual(['ResourceThrottled', 'ResourceThrottled']);
  });

});

describe('waiting for a quiet moment (start-up work that must not compete with the first requests)', () => {
  const dir = tempDir('fx-pool-idle-');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('runtime', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
  });
  afterAll(async () => {
    dir.write('long-gate', '');
    await cloud?.stop();
    dir.cleanup();
  });

  it('resolves only once the running invocations are over, or when the longest wait is up', async () => {
    let spanDone = false;
    const span = cloud.invoke('fx-span', { ms: 300, tag: 'busy' }).then((r) => ((spanDone = true), r));
    await eventually(() => expect(cloud.runtime.poolStats().find((p) => p.resource === 'span')!.busy).toBe(1));
    await cloud.runtime.whenIdle(50, 60_000);
    expect(spanDone).toBe(true);
    // Held until the test opens its gate (a 1.5 s span could end before the wait was up on a stalled machine).
    const gate = join(dir.path, 'long-gate');
    const long = cloud.invoke('fx-park', { gate, tag: 'long' }).then((r) => ((spanDone = true), r));
    spanDone = false;
    await eventually(() => expect(cloud.runtime.poolStats().find((p) => p.resource === 'park')!.busy).toBe(1));
    await cloud.runtime.whenIdle(50, 100);
    expect(spanDone).toBe(false);
    dir.write('long-gate', '');
    expect((await Promise.all([span, long])).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
  });
});

describe('instance pool: room for extra instances', () => {
  const dir = tempDir('fx-pool-extra-');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('runtime', join(dir.path, 'app'));
    // Two instances per function, and room for one extra instance in all.
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, instanceCaps: { perFunction: 2, extra: 1 } });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const instancesOf = (resource: string) => cloud.runtime.poolStats().find((p) => p.resource === resource)!.instances;

  it('lets every function run its first instance and makes the rest wait in line when the room is taken', async () => {
    // fx-span takes the one extra instance for two overlapping requests.
    const spans = Promise.all([cloud.invoke('fx-span', { ms: 400, tag: 'a' }), cloud.invoke('fx-span', { ms: 400, tag: 'b' })]);
    await eventually(() => expect(instancesOf('span')).toBe(2));
    // fx-trio still starts its first instance; its second request finds no room and waits for the first.
    const trio = await Promise.all([cloud.invoke('fx-trio', { ms: 50, tag: 'x' }), cloud.invoke('fx-trio', { ms: 50, tag: 'y' })]);
    expect(trio.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(trio[1]!.instanceId).toBe(trio[0]!.instanceId);
    expect(trio[1]!.waitMs).toBeGreaterThan(0);
    expect(instancesOf('trio')).toBe(1);
    expect((await spans).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    // span's extra instance is idle now but was used a moment ago: it keeps its room (retiring it would cost a
    // cold start to gain nothing), so trio's line is again served by trio's own instance. (That an extra
    // instance idle for a second does hand its room over is covered by test/unit/instance-budget.test.ts.)
    const again = await Promise.all([cloud.invoke('fx-trio', { ms: 50, tag: 'p' }), cloud.invoke('fx-trio', { ms: 50, tag: 'q' })]);
    expect(again.map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    expect(instancesOf('trio')).toBe(1);
    expect(instancesOf('span')).toBe(2);
    expect(cloud.runtime.instancesInUse).toBe(3);
  });
});

describe('instance caps', () => {
  it('follow the CPU count by default', () => {
    expect(defaultInstanceCaps(2)).toEqual({ perFunction: 4, extra: 8, ceiling: 16 });
    expect(defaultInstanceCaps(8)).toEqual({ perFunction: 16, extra: 32, ceiling: 64 });
    expect(defaultInstanceCaps(1)).toEqual({ perFunction: 2, extra: 4, ceiling: 8 });
  });

  it('take options, then LOCAL_MAX_INSTANCES_PER_FUNCTION / LOCAL_MAX_EXTRA_INSTANCES, and refuse a value out of range', () => {
    expect(instanceCaps({ perFunction: 1, extra: 0 }, {})).toMatchObject({ perFunction: 1, extra: 0 });
    expect(instanceCaps({}, { LOCAL_MAX_INSTANCES_PER_FUNCTION: '2', LOCAL_MAX_EXTRA_INSTANCES: '5' })).toMatchObject({ perFunction: 2, extra: 5 });
    expect(() => instanceCaps({}, { LOCAL_MAX_EXTRA_INSTANCES: 'many' })).toThrow(/LOCAL_MAX_EXTRA_INSTANCES must be a whole number ≥ 0, got many/);
    expect(() => instanceCaps({ perFunction: 0 }, {})).toThrow(/LOCAL_MAX_INSTANCES_PER_FUNCTION must be a whole number ≥ 1/);
  });

  it('bound instances parked on I/O by LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION, never below the per-function cap (D40)', () => {
    expect(instanceCaps({ perFunction: 2, ceiling: 3 }, {})).toMatchObject({ perFunction: 2, ceiling: 3 });
    expect(instanceCaps({}, { LOCAL_MAX_INSTANCES_PER_FUNCTION: '3', LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION: '12' })).toMatchObject({ perFunction: 3, ceiling: 12 });
    // Left to its default, the ceiling follows a raised per-function cap instead of refusing it.
    expect(instanceCaps({ perFunction: 1000 }, {}).ceiling).toBe(1000);
    expect(() => instanceCaps({}, { LOCAL_MAX_INSTANCES_PER_FUNCTION: '4', LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION: '2' })).toThrow(/LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION must be a whole number ≥ 4, got 2/);
    expect(() => instanceCaps({}, { LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION: 'lots' })).toThrow(/LOCAL_MAX_PARKED_INSTANCES_PER_FUNCTION must be a whole number/);
  });
});
