/**
 * Crashes at well-defined points (D146, D151): the local cloud (a fixture app with MNS triggers and destinations and
 * an OSS trigger, in its own process) is started with `LOCAL_CRASH_AT=<point>`, kills itself with SIGKILL the first
 * time it gets there, and is started again on the same data folder. What `npm run chaos` can only hit by luck — two
 * commits a few microseconds apart — is hit every time here.
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { createMnsClient } from '#shared/aliyun/mns-client';
import { MnsTopic } from '#shared/aliyun/mns-topic';
import { OssObjectStore } from '#shared/aliyun/oss-object-store';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { OssEvent } from '../../scripts/local/emulators/oss';
import type { CrashPointName } from '../../scripts/local/crash-point';
import { eventually } from '../helpers/eventually';
import { invokeWithSdk } from '../helpers/fc-sdk';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'mns');

interface PushRow {
  attempts: number;
  last_error: string | null;
}

interface AsyncRow {
  function_name: string;
  status: string;
  attempts: number;
  payload: string;
  destination_owed: string | null;
}

describe('a crash at a well-defined point loses nothing and does nothing twice', () => {
  const dir = tempDir('crash-points-');
  const root = join(dir.path, 'app');
  const clouds: LocalCloudProcess[] = [];
  let seq = 0;
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;

  beforeAll(() => cpSync(FIXTURE, root, { recursive: true }));
  afterAll(async () => {
    for (const cloud of clouds) await cloud.stop();
    dir.cleanup();
  });

  /** A cloud that dies at `point`, and what to do to get it there; then the same data folder started again. */
  async function crashThenRestart(dataDir: string, point: CrashPointName, reach: (cloud: LocalCloudProcess) => Promise<unknown>): Promise<LocalCloudProcess> {
    const doomed = await startLocalCloudProcess({ root, dataDir, env: { LOCAL_CRASH_AT: point } });
    clouds.push(doomed);
    const died = new Promise<NodeJS.Signals | null>((resolve) => doomed.child.once('exit', (_code, signal) => resolve(signal)));
    // The request that leads there may itself be cut off by the crash: what it wrote was committed before.
    await reach(doomed).catch(() => undefined);
    expect(await died).toBe('SIGKILL');
    const again = await startLocalCloudProcess({ root, dataDir });
    clouds.push(again);
    return again;
  }

  const consoleJson = async <T>(cloud: LocalCloudProcess, path: string): Promise<T> => (await (await fetch(`${cloud.url}/_local/api/${path}`)).json()) as T;

  it('sends the onFailure destination of an event that failed for good when the crash came before it was sent', async () => {
    const marker = unique('dead-letter');
    const cloud = await crashThenRestart(join(dir.path, 'destination'), 'async-invoker:before-destination', (doomed) => invokeWithSdk(doomed.url, 'fx-fails', { marker }, { async: true }));
    // fx-fails has no retries: its one failed attempt was recorded, then the crash; the restart sends what it owed.
    const dead = await eventually(async () => {
      const queue = await consoleJson<{ messages: { body: string }[] }>(cloud, 'queues/fx-failures?limit=100');
      const mine = queue.messages.filter((m) => m.body.includes(marker));
      expect(mine).toHaveLength(1);
      return mine;
    });
    expect(JSON.parse(dead[0]!.body)).toMatchObject({ requestContext: { condition: 'UnhandledInvocationError', approximateInvokeCount: 1 } });
    const rows = (await consoleJson<AsyncRow[]>(cloud, 'async?limit=100')).filter((r) => r.payload.includes(marker));
    expect(rows.map((r) => [r.function_name, r.status, r.attempts, r.destination_owed])).toEqual([['fx-fails', 'failed', 1, null]]);
  }, 240_000);

  it('invokes a topic trigger once for a message the outbox pushed again after a crash', async () => {
    const body = unique('pushed-twice');
    const cloud = await crashThenRestart(join(dir.path, 'push'), 'mns-push:fc-accepted', async (doomed) => {
      const client = createMnsClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: doomed.endpoints.mns!.endpoint });
      await new MnsTopic(client).publish('fx-events', { body, tag: 'doomed' });
    });
    // The start did not count against the pushes the crash left behind: none failed for "the local cloud is starting".
    expect((await consoleJson<PushRow[]>(cloud, 'mns/pushes')).filter((p) => p.attempts > 0).map((p) => p.last_error)).toEqual([]);
    // Once the outbox is empty: two function subscriptions take `doomed` messages (JSON, without a filter, and the
    // doomed filter), one event each, and the doomed function's failures end in its dead-letter queue once.
    const mentionsBody = (text: string) => text.includes(body) || text.includes(Buffer.from(body).toString('base64'));
    await eventually(
      async () => {
        expect(await consoleJson<PushRow[]>(cloud, 'mns/pushes')).toEqual([]);
        const rows = (await consoleJson<AsyncRow[]>(cloud, 'async?limit=500')).filter((r) => mentionsBody(r.payload));
        expect(rows.map((r) => r.function_name).sort()).toEqual(['fx-topic-doomed', 'fx-topic-json']);
        expect(rows.every((r) => r.status === 'succeeded' || r.status === 'failed')).toBe(true);
      },
      { timeoutMs: 30_000 },
    );
    await eventually(async () => {
      const queue = await consoleJson<{ messages: { body: string }[] }>(cloud, 'queues/fx-doomed?limit=100');
      expect(queue.messages.filter((m) => mentionsBody(m.body))).toHaveLength(1);
    });
  }, 240_000);

  /** The async events of fx-oss-sink (the fixture's OSS trigger on fx-drops) about one key. */
  const ossEventsOf = async (cloud: LocalCloudProcess, key: string) =>
    (await consoleJson<AsyncRow[]>(cloud, 'async?limit=500')).filter((r) => r.function_name === 'fx-oss-sink' && r.payload.includes(JSON.stringify(key)));
  const putDrop = (cloud: LocalCloudProcess, key: string) =>
    new OssObjectStore({ bucket: 'fx-drops', region: 'cn-hangzhou', endpoint: cloud.oss, credentials: LOCAL_CREDENTIALS }).put(key, Buffer.from(key), { contentType: 'text/plain' });

  it('delivers the OSS trigger event of an object stored just before the crash', async () => {
    const key = `${unique('dropped')}.txt`;
    const cloud = await crashThenRestart(join(dir.path, 'oss-committed'), 'oss:write-committed', (doomed) => putDrop(doomed, key));
    // The object was committed before the crash (the PUT itself was cut off): it is there after the restart…
    const store = new OssObjectStore({ bucket: 'fx-drops', region: 'cn-hangzhou', endpoint: cloud.oss, credentials: LOCAL_CREDENTIALS });
    expect((await store.get(key))?.body.toString()).toBe(key);
    // …and so is its event, run once by the trigger's function.
    await eventually(
      async () => {
        const rows = await ossEventsOf(cloud, key);
        expect(rows.map((r) => [r.status, (JSON.parse(r.payload) as OssEvent).events[0]!.eventName])).toEqual([['succeeded', 'ObjectCreated:PutObject']]);
      },
      { timeoutMs: 30_000 },
    );
  }, 240_000);

  it('runs an OSS trigger once for an event the outbox delivers again after a crash', async () => {
    const key = `${unique('enqueued')}.txt`;
    const cloud = await crashThenRestart(join(dir.path, 'oss-enqueued'), 'oss:event-enqueued', (doomed) => putDrop(doomed, key));
    await eventually(
      async () => {
        const rows = await ossEventsOf(cloud, key);
        expect(rows.map((r) => r.status)).toEqual(['succeeded']);
      },
      { timeoutMs: 30_000 },
    );
  }, 240_000);
});
