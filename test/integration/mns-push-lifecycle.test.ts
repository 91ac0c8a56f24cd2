/**
 * What happens to pushes MNS has not delivered yet when their endpoint, subscription or topic is not there (D170):
 * - a queue endpoint whose queue does not exist: Subscribe accepts it (MNS documents no check), each push fails
 *   and is retried by the subscription's NotifyStrategy, then dropped — visibly (outbox row, failure report);
 * - a subscription (or its topic) deleted while pushes wait for a retry: they stop at once, and stay stopped
 *   across a restart, while a live subscription's waiting pushes survive the restart (at-least-once).
 * Its own emulator: retries are scaled to 1/100 so EXPONENTIAL_DECAY_RETRY keeps a push waiting for the whole
 * test (its day of retries lasts ~14 minutes here) while BACKOFF_RETRY's three retries end within a second or so.
 */
import { join } from 'node:path';
import MNS from '@alicloud/mns';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startMnsEmulator, type MnsEmulator, type PushFailure } from '../../scripts/local/emulators/mns';
import { eventually } from '../helpers/eventually';
import { errorCode, mnsRaw, subscriptionXml } from '../helpers/mns-raw';
import { tempDir } from '../helpers/temp';

const REGION = 'cn-hangzhou';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const queueEndpoint = (q: string) => `acs:mns:${REGION}:${LOCAL_ACCOUNT_ID}:queues/${q}`;

describe('MNS pushes to missing endpoints and deleted subscriptions', () => {
  const dir = tempDir('mns-push-life-');
  let mns: MnsEmulator;
  let sdk: MNS;
  const failures: PushFailure[] = [];
  let seq = 0;
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
  const raw = (method: string, resource: string, body?: string) => mnsRaw(mns.endpoint, LOCAL_CREDENTIALS, { method, resource, ...(body !== undefined ? { body } : {}) });
  const start = async () => {
    mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: REGION, port: 0, pushRetryScale: 0.01, onPushFailure: (f) => failures.push(f) });
    sdk = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS });
  };
  const subscribe = (topic: string, name: string, fields: Record<string, string>) => raw('PUT', `/topics/${topic}/subscriptions/${name}`, subscriptionXml(fields));
  const waiting = (topic: string, subscription?: string) =>
    mns.pushes(1000).filter((p) => p.topic === topic && (subscription === undefined || p.subscription === subscription) && p.status !== 'failed');

  beforeAll(start);
  afterAll(async () => {
    await mns?.close();
    dir.cleanup();
  });

  it('accepts a queue endpoint whose queue does not exist, retries its pushes by BACKOFF_RETRY, then drops them visibly', async () => {
    const [t, q] = [unique('noq'), unique('missing')];
    await sdk.createTopic(t);
    expect((await subscribe(t, 'sub', { Endpoint: queueEndpoint(q) })).status).toBe(201);
    const sent = (await sdk.publishMessage(t, { MessageBody: b64('nowhere') })).body;

    // The first try and BACKOFF_RETRY's three retries, then the push is dropped (no dead-letter queue).
    await eventually(() => expect(mns.pushes(1000).find((p) => p.topic === t)).toMatchObject({ status: 'failed', attempts: 4, message_id: sent.MessageId }), { timeoutMs: 20000 });
    expect(mns.pushes(1000).find((p) => p.topic === t)!.last_error).toMatch(/QueueNotExist.*missing/);
    const reported = failures.filter((f) => f.topic === t);
    expect(reported.map((f) => [f.attempt, f.outcome])).toEqual([
      [1, 'retrying'],
      [4, 'dropped'],
    ]);
    expect(reported[0]).toMatchObject({ subscription: 'sub', endpoint: queueEndpoint(q), strategy: 'BACKOFF_RETRY', messageId: sent.MessageId });
    expect(reported[0]!.error).toMatch(/QueueNotExist/);
    // Created afterwards, the queue gets nothing of it: MNS dropped it too.
    await sdk.createQueue(q, { PollingWaitSeconds: 0 });
    await expect(sdk.receiveMessage(q, 0)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
  });

  it('stops the waiting pushes of a deleted subscription, keeps a live one’s across a restart, and stops all of a deleted topic', async () => {
    const t = unique('life');
    const [goneQ, liveQ] = [unique('gone'), unique('live')];
    await sdk.createTopic(t);
    const decay = { NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY' };
    expect((await subscribe(t, 'gone', { Endpoint: queueEndpoint(goneQ), ...decay })).status).toBe(201);
    expect((await subscribe(t, 'live', { Endpoint: queueEndpoint(liveQ), ...decay })).status).toBe(201);
    await sdk.publishMessage(t, { MessageBody: b64('first') });
    // Both pushes have failed at least once and wait for a retry.
    await eventually(() => expect(waiting(t).filter((p) => p.attempts >= 1).map((p) => p.subscription).sort()).toEqual(['gone', 'live']));

    expect((await raw('DELETE', `/topics/${t}/subscriptions/gone`)).status).toBe(204);
    expect(waiting(t, 'gone')).toEqual([]);
    expect(waiting(t, 'live')).toHaveLength(1);

    // A subscription made again under the same name is a new one: it gets what is published from now on only.
    expect((await subscribe(t, 'gone', { Endpoint: queueEndpoint(goneQ), ...decay })).status).toBe(201);
    await sdk.createQueue(goneQ, { PollingWaitSeconds: 0 });
    await sdk.publishMessage(t, { MessageBody: b64('second') });
    const got = await sdk.receiveMessage(goneQ, 5);
    expect(got.body.MessageBody).toContain(`<Message>${b64('second')}</Message>`);
    await sdk.deleteMessage(goneQ, got.body.ReceiptHandle);
    expect(errorCode(await raw('GET', `/queues/${goneQ}/messages?peekonly=true`))).toBe('MessageNotExist');

    // Across a restart the live subscription's waiting pushes are still owed, the deleted one's are not.
    await mns.close();
    await start();
    expect(waiting(t, 'live')).toHaveLength(2);
    expect(waiting(t, 'gone')).toEqual([]);
    await sdk.createQueue(liveQ, { PollingWaitSeconds: 0 });
    await eventually(() => expect(waiting(t, 'live')).toEqual([]), { timeoutMs: 20000 });
    const bodies = (await sdk.batchReceiveMessage(liveQ, 16, 5)).body.map((m) => m.MessageBody);
    expect(['first', 'second'].map((m) => bodies.some((b) => b.includes(`<Message>${b64(m)}</Message>`)))).toEqual([true, true]);

    // Deleting the topic stops every push still waiting for any of its subscriptions.
    const t2 = unique('gone-topic');
    await sdk.createTopic(t2);
    expect((await subscribe(t2, 'a', { Endpoint: queueEndpoint(unique('nq')), ...decay })).status).toBe(201);
    expect((await subscribe(t2, 'b', { Endpoint: queueEndpoint(unique('nq')), ...decay })).status).toBe(201);
    await sdk.publishMessage(t2, { MessageBody: b64('third') });
    await eventually(() => expect(waiting(t2).filter((p) => p.attempts >= 1)).toHaveLength(2));
    expect((await raw('DELETE', `/topics/${t2}`)).status).toBe(204);
    expect(waiting(t2)).toEqual([]);
  });
});
