import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { InvocationRecord } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';

/**
 * Instances parked on I/O leave the CPU-based caps (docs/decisions.md D40). A long poll (`GET
 * /api/orders/{id}?waitFor=…`, an MNS receive) parks an instance for up to 25 s using no CPU; counted against
 * a cap of 2 × CPUs, a few open order pages made every checkout on the same function wait for them. Here
 * fx-park waits on a gate file (the test opens it) or computes for `spinMs`, on a local cloud whose caps are
 * tiny: one instance per function, no extra room, at most three instances of a function counting parked ones.
 * Nothing is timed: the tests look at which calls finished while others were still open, and in what order.
 */

interface Span {
  tag: string;
  startedAt: number;
  endedAt: number;
}
const spanOf = (record: InvocationRecord) => JSON.parse(record.payload.toString()) as Span;

describe('instance pool: instances parked on I/O do not count against the CPU caps', () => {
  const dir = tempDir('fx-parked-');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('runtime', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, instanceCaps: { perFunction: 1, extra: 0, ceiling: 3 } });
  }, 60_000);
  afterAll(async () => {
    for (const gate of ['g1', 'g2', 'g3']) dir.write(gate, '');
    await cloud?.stop();
    dir.cleanup();
  });

  const pool = () => cloud.runtime.poolStats().find((p) => p.resource === 'park')!;
  /** An invocation of fx-park, and whether it has finished yet. */
  const call = (event: { gate?: string; spinMs?: number; tag: string }) => {
    const tracked = { done: false, record: undefined as InvocationRecord | undefined, promise: undefined as unknown as Promise<InvocationRecord> };
    const payload = { ...event, ...(event.gate ? { gate: join(dir.path, event.gate) } : {}) };
    tracked.promise = cloud.invoke('fx-park', payload).then((record) => {
      tracked.done = true;
      tracked.record = record;
      return record;
    });
    return tracked;
  };

  it('instances computing keep the cap: a second request waits in line for the first instance', async () => {
    // Computes for longer than an instance needs to count as parked (PARKED.afterMs), without ever yielding.
    const busy = call({ spinMs: 2500, tag: 'computing' });
    await eventually(() => expect(pool()).toMatchObject({ busy: 1 }));
    const next = call({ tag: 'next' });
    const [first, second] = await Promise.all([busy.promise, next.promise]);
    expect([first.status, second.status]).toEqual(['succeeded', 'succeeded']);
    expect(second.instanceId).toBe(first.instanceId);
    expect(spanOf(second).startedAt).toBeGreaterThanOrEqual(spanOf(first).endedAt);
    expect(pool().instances).toBe(1);
  }, 60_000);

  it('a request behind long polls gets an instance of its own and finishes while they are still open', async () => {
    expect(pool()).toMatchObject({ busy: 0, queued: 0 });
    const polls = [call({ gate: 'g1', tag: 'poll-1' }), call({ gate: 'g2', tag: 'poll-2' })];
    const checkout = call({ tag: 'checkout' });
    // Before D40 it waited for a poll to answer (never, here).
    await eventually(() => expect(checkout.done).toBe(true), { timeoutMs: 30_000 });
    const record = await checkout.promise;
    expect(record.status).toBe('succeeded');
    // It ran while both polls were parked: neither has answered.
    expect(polls.map((p) => p.done)).toEqual([false, false]);
    expect(pool()).toMatchObject({ instances: 3, busy: 2, parked: 2 });

    // The ceiling (3) counts parked instances: with three parked, the next request waits for one to answer.
    const third = call({ gate: 'g3', tag: 'poll-3' });
    await eventually(() => expect(pool()).toMatchObject({ instances: 3, parked: 3 }), { timeoutMs: 20_000 });
    const waiting = call({ tag: 'after-ceiling' });
    await eventually(() => expect(pool().queued).toBe(1));
    expect(pool().instances).toBe(3);
    dir.write('g1', '');
    const served = await waiting.promise;
    expect(served.status).toBe('succeeded');
    expect(served.instanceId).toBe((await polls[0]!.promise).instanceId);
    expect([polls[1]!.done, third.done]).toEqual([false, false]);

    dir.write('g2', '');
    dir.write('g3', '');
    const all = await Promise.all([...polls, third].map((p) => p.promise));
    expect(all.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(pool().instances).toBe(3);
  }, 60_000);
});
