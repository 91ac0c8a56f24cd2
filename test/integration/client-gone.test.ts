import { join } from 'node:path';
import { FcFunctionInvoker } from '#shared/aliyun/fc-invoker';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { InvocationRecord } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';

/**
 * A request whose client goes away while it waits in line for an instance is dropped from the line (D168): FC
 * cancels an invocation whose client disconnects ("Invocation canceled by client"), so a load generator that
 * stops, or a reloaded browser tab, must not leave the local cloud serving requests nobody will read — the
 * next run met a line of them and no answer for seconds. fx-park holds the one instance (caps of 1) until the
 * test creates its gate file, so nothing here depends on timing: the line is looked at while it is held.
 */
describe('a request whose client has gone away', () => {
  const dir = tempDir('fx-client-gone-');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('runtime', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, instanceCaps: { perFunction: 1, extra: 0, ceiling: 1 } });
  }, 60_000);
  afterAll(async () => {
    for (const gate of ['http', 'api']) dir.write(gate, '');
    await cloud?.stop();
    dir.cleanup();
  });

  const pool = () => cloud.runtime.poolStats().find((p) => p.resource === 'park')!;
  const tagOf = (record: InvocationRecord) => (record.status === 'succeeded' ? (JSON.parse(record.payload.toString()) as { tag?: string }).tag : undefined);
  const canceled = () => cloud.runtime.recent({ functionName: 'fx-park' }).filter((r) => r.error?.errorMessage === 'Invocation canceled by client');

  it('leaves the line when its HTTP trigger client disconnects, and never runs', async () => {
    const holder = cloud.invoke('fx-park', { gate: join(dir.path, 'http'), tag: 'holder' });
    await eventually(() => expect(pool()).toMatchObject({ busy: 1 }));
    const client = new AbortController();
    const gone = fetch(`${cloud.url}/_fc/fx-park/?tag=gone`, { signal: client.signal }).catch((err: Error) => err);
    await eventually(() => expect(pool().queued).toBe(1));
    client.abort();
    await gone;
    // Out of the line while the holder still runs: the instance is not free, so only the cancel can empty it.
    await eventually(() => expect(pool().queued).toBe(0));
    expect(pool().busy).toBe(1);
    await eventually(() => expect(canceled()).toHaveLength(1));
    expect(canceled()[0]).toMatchObject({ status: 'failed', source: 'http', error: { errorType: 'InvocationCanceled' } });
    dir.write('http', '');
    expect((await holder).status).toBe('succeeded');
    // The instance served the holder and nothing after it.
    const ran = cloud.runtime.recent({ functionName: 'fx-park' }).map(tagOf).filter(Boolean);
    expect(ran).toEqual(['holder']);
  });

  it('leaves the line when an InvokeFunction caller gives up and closes its connection', async () => {
    const before = canceled().length;
    const holder = cloud.invoke('fx-park', { gate: join(dir.path, 'api'), tag: 'holder-api' });
    await eventually(() => expect(pool()).toMatchObject({ busy: 1 }));
    // A 1 ms budget: the invoker gives up at once and its SDK closes the socket a second later (its backstop).
    const fc = new FcFunctionInvoker({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.url });
    const gaveUp = await fc.invoke('fx-park', { tag: 'gone-api' }, { timeoutMs: 1 }).then(
      () => undefined,
      (err: Error) => err,
    );
    expect(gaveUp).toBeInstanceOf(Error);
    await eventually(() => expect(canceled()).toHaveLength(before + 1));
    expect(pool()).toMatchObject({ queued: 0, busy: 1 });
    expect(canceled()[0]).toMatchObject({ source: 'invoke-api' });
    dir.write('api', '');
    expect((await holder).status).toBe('succeeded');
    expect(cloud.runtime.recent({ functionName: 'fx-park' }).map(tagOf).filter(Boolean)).toEqual(['holder-api', 'holder']);
  });

  it('still serves a request whose client waits', async () => {
    const res = await fetch(`${cloud.url}/_fc/fx-park/?tag=stays`);
    expect(res.status).toBe(200);
    expect(((await res.json()) as { tag: string }).tag).toBe('stays');
  });
});
