/**
 * NotifyStrategy retries on the emulator's clock, and pushes that follow their subscription as it is now (D173).
 *
 * - BACKOFF_RETRY: 3 retries, each a random 10–20 s after the failure; EXPONENTIAL_DECAY_RETRY: 176 retries after
 *   1, 2, 4 … 256 s and then 167 × 512 s (https://www.alibabacloud.com/help/en/mns/notifystrategy). Retry times
 *   are the emulator's clock, persisted with the push: this test moves a ManualClock to each retry, never sleeps.
 * - A push waiting for a retry goes where the subscription points when it is retried: a changed NotifyStrategy
 *   (SetSubscriptionAttributes), or a subscription the local cloud made again from a changed template (endpoint,
 *   NotifyContentFormat, FilterTag, dead-letter queue).
 * Pushes to a queue endpoint whose queue does not exist fail in-process (no network), which keeps the day of
 * EXPONENTIAL_DECAY_RETRY quick to walk through.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ManualClock } from '#shared/ports/clock';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startMnsEmulator, type MnsEmulator, type PushFailure, type PushRow } from '../../scripts/local/emulators/mns';
import { eventually } from '../helpers/eventually';
import { errorCode, mnsRaw, subscriptionXml } from '../helpers/mns-raw';
import { tempDir } from '../helpers/temp';

const REGION = 'cn-hangzhou';
const queueEndpoint = (q: string) => `acs:mns:${REGION}:${LOCAL_ACCOUNT_ID}:queues/${q}`;

describe('MNS push retries on the emulator clock, following the subscription as it is now', () => {
  const dir = tempDir('mns-push-retry-');
  const clock = new ManualClock(Date.now());
  let mns: MnsEmulator;
  const failures: PushFailure[] = [];
  const received: { url: string; body: string; headers: Record<string, string | string[] | undefined> }[] = [];
  let http: Server;
  let httpUrl = '';
  let seq = 0;
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
  // Signed at the emulator's time: the clock is far ahead of the real one by the end of a day of retries.
  const raw = (method: string, resource: string, body?: string) =>
    mnsRaw(mns.endpoint, LOCAL_CREDENTIALS, { method, resource, date: new Date(clock.now()), ...(body !== undefined ? { body } : {}) });
  const start = async () => {
    mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: REGION, port: 0, clock: () => clock.now(), onPushFailure: (f) => failures.push(f) });
  };
  const pushOf = (topic: string): PushRow | undefined => mns.pushes(1000).find((p) => p.topic === topic);
  const createTopic = async (t: string) => expect((await raw('PUT', `/topics/${t}`, '<Topic/>')).status).toBe(201);
  const publish = async (t: string, body: string, tag?: string) =>
    expect((await raw('POST', `/topics/${t}/messages`, `<Message><MessageBody>${body}</MessageBody>${tag ? `<MessageTag>${tag}</MessageTag>` : ''}</Message>`)).status).toBe(201);
  /** Waits for the push's attempt `n` to have failed, and answers how long it waits for the next one. */
  const failedAttempt = async (t: string, n: number): Promise<number> => {
    const row = await eventually(() => {
      const p = pushOf(t);
      expect(p).toMatchObject({ attempts: n, status: 'pending' });
      return p!;
    });
    return row.next_at - clock.now();
  };
  /** Not due yet: a look at the outbox claims nothing (a claim marks the row `sending` synchronously). */
  const expectWaiting = (t: string, attempts: number) => {
    mns.poke();
    expect(pushOf(t)).toMatchObject({ attempts, status: 'pending' });
  };
  const advance = (ms: number) => {
    clock.advance(ms);
    mns.poke();
  };

  beforeAll(async () => {
    http = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body, headers: req.headers });
        res.statusCode = 204;
        res.end();
      });
    });
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
    httpUrl = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
    await start();
  });
  afterAll(async () => {
    await mns?.close();
    await new Promise((resolve) => http?.close(resolve));
    dir.cleanup();
  });

  it('BACKOFF_RETRY: three retries, each a random 10–20 s on the emulator clock, then dropped visibly', async () => {
    const t = unique('backoff');
    await createTopic(t);
    expect((await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml({ Endpoint: queueEndpoint(unique('nq')) }))).status).toBe(201);
    await publish(t, 'b1');
    for (let attempt = 1; attempt <= 3; attempt++) {
      const wait = await failedAttempt(t, attempt);
      expect(wait).toBeGreaterThanOrEqual(10000);
      expect(wait).toBeLessThanOrEqual(20000);
      advance(wait - 1);
      expectWaiting(t, attempt);
      advance(1);
    }
    await eventually(() => expect(pushOf(t)).toMatchObject({ status: 'failed', attempts: 4 }));
    expect(failures.filter((f) => f.topic === t).map((f) => [f.attempt, f.outcome, f.strategy])).toEqual([
      [1, 'retrying', 'BACKOFF_RETRY'],
      [4, 'dropped', 'BACKOFF_RETRY'],
    ]);
  });

  it('EXPONENTIAL_DECAY_RETRY: 176 retries after 1, 2, 4 … 256 s then 167 × 512 s, kept across a restart', async () => {
    const t = unique('decay');
    await createTopic(t);
    expect((await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml({ Endpoint: queueEndpoint(unique('nq')), NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY' }))).status).toBe(201);
    await publish(t, 'd1');
    const waits: number[] = [];
    for (let attempt = 1; attempt <= 176; attempt++) {
      const wait = await failedAttempt(t, attempt);
      waits.push(wait);
      if (attempt === 40) {
        // A restart in the middle of the day: the push and its retry time are in the database.
        await mns.close();
        await start();
        expect(pushOf(t)).toMatchObject({ attempts: 40, status: 'pending', next_at: clock.now() + wait });
        expectWaiting(t, 40);
      }
      advance(wait);
    }
    await eventually(() => expect(pushOf(t)).toMatchObject({ status: 'failed', attempts: 177 }));
    const expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, ...Array<number>(167).fill(512)].map((s) => s * 1000);
    expect(waits).toEqual(expected);
    expect(waits.reduce((a, b) => a + b, 0)).toBe(86_015_000); // 23 h 53 min: MNS's "one day"
  });

  it('a push waiting for a retry follows SetSubscriptionAttributes: the NotifyStrategy as it is now', async () => {
    const t = unique('set');
    const q = unique('later');
    await createTopic(t);
    expect((await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml({ Endpoint: queueEndpoint(q), NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY' }))).status).toBe(201);
    await publish(t, 'follow-me');
    expect(await failedAttempt(t, 1)).toBe(1000);
    expect((await raw('PUT', `/topics/${t}/subscriptions/s?metaoverride=true`, subscriptionXml({ NotifyStrategy: 'BACKOFF_RETRY' }))).status).toBe(204);
    advance(1000);
    const wait = await failedAttempt(t, 2);
    expect(wait).toBeGreaterThanOrEqual(10000);
    expect(wait).toBeLessThanOrEqual(20000);
    expect(pushOf(t)!.strategy).toBe('BACKOFF_RETRY');
    // An unknown strategy is refused by name and changes nothing.
    const bad = await raw('PUT', `/topics/${t}/subscriptions/s?metaoverride=true`, subscriptionXml({ NotifyStrategy: 'LINEAR_RETRY' }));
    expect([bad.status, errorCode(bad)]).toEqual([400, 'InvalidArgument']);
    expect(bad.text).toContain('NotifyStrategy');
    // The queue is there by the next retry: the push lands in it.
    expect((await raw('PUT', `/queues/${q}`, '<Queue/>')).status).toBe(201);
    advance(wait);
    await eventually(() => expect(pushOf(t)).toBeUndefined());
    const got = await raw('GET', `/queues/${q}/messages`);
    expect(got.status).toBe(200);
    // The notification (XML format) is the message body, escaped in ReceiveMessage's XML.
    expect(got.text).toContain('&lt;Message&gt;follow-me&lt;/Message&gt;');
  });

  it('a push waiting for a retry follows a subscription made again with another endpoint and format (a changed template)', async () => {
    const t = unique('moved');
    const oldQ = unique('old');
    await createTopic(t);
    // The local cloud makes template subscriptions as `ros`; a changed template re-makes them at the next start.
    mns.topics.subscribe(t, 'tpl', { endpoint: queueEndpoint(oldQ), notifyStrategy: 'BACKOFF_RETRY' }, 'ros');
    await publish(t, 'moving', 'm');
    const wait = await failedAttempt(t, 1);
    mns.topics.subscribe(t, 'tpl', { endpoint: `${httpUrl}/new-home`, notifyContentFormat: 'SIMPLIFIED', notifyStrategy: 'BACKOFF_RETRY' }, 'ros');
    // The old endpoint's queue appears meanwhile: it must not get the push any more.
    expect((await raw('PUT', `/queues/${oldQ}`, '<Queue/>')).status).toBe(201);
    advance(wait);
    await eventually(() => expect(pushOf(t)).toBeUndefined());
    const got = received.filter((r) => r.url === '/new-home');
    expect(got.map((r) => r.body)).toEqual(['moving']);
    expect(got[0]!.headers['x-mns-message-tag']).toBe('m');
    expect(errorCode(await raw('GET', `/queues/${oldQ}/messages?peekonly=true`))).toBe('MessageNotExist');
  });

  it('a push waiting for a retry whose subscription now filters on another tag is dropped, visibly', async () => {
    const t = unique('refilter');
    const q = unique('fq');
    await createTopic(t);
    mns.topics.subscribe(t, 'tpl', { endpoint: queueEndpoint(q), filterTag: 'a', notifyStrategy: 'BACKOFF_RETRY' }, 'ros');
    await publish(t, 'tagged-a', 'a');
    const wait = await failedAttempt(t, 1);
    mns.topics.subscribe(t, 'tpl', { endpoint: queueEndpoint(q), filterTag: 'b', notifyStrategy: 'BACKOFF_RETRY' }, 'ros');
    expect((await raw('PUT', `/queues/${q}`, '<Queue/>')).status).toBe(201);
    advance(wait);
    await eventually(() => expect(pushOf(t)).toMatchObject({ status: 'failed', last_error: expect.stringContaining('FilterTag') }));
    expect(failures.filter((f) => f.topic === t).map((f) => f.outcome)).toEqual(['retrying', 'dropped']);
    expect(errorCode(await raw('GET', `/queues/${q}/messages?peekonly=true`))).toBe('MessageNotExist');
  });

  it('a push that runs out of retries goes to the dead-letter queue the subscription has now', async () => {
    const t = unique('dlq');
    const dlq = unique('dead');
    await createTopic(t);
    expect((await raw('PUT', `/queues/${dlq}`, '<Queue/>')).status).toBe(201);
    mns.topics.subscribe(t, 'tpl', { endpoint: queueEndpoint(unique('nq')), notifyStrategy: 'BACKOFF_RETRY' }, 'ros');
    await publish(t, 'to-the-dlq');
    let wait = await failedAttempt(t, 1);
    mns.topics.subscribe(t, 'tpl', { endpoint: queueEndpoint(unique('nq')), notifyStrategy: 'BACKOFF_RETRY', deadLetterQueue: dlq }, 'ros');
    for (let attempt = 2; attempt <= 4; attempt++) {
      advance(wait);
      if (attempt < 4) wait = await failedAttempt(t, attempt);
    }
    await eventually(() => expect(pushOf(t)).toBeUndefined());
    const dead = await raw('GET', `/queues/${dlq}/messages`);
    expect(dead.text).toContain('&lt;Message&gt;to-the-dlq&lt;/Message&gt;');
    expect(failures.filter((f) => f.topic === t).map((f) => f.outcome)).toEqual(['retrying', 'dead-lettered']);
  });

  it('Subscribe again with another DlqPolicy is SubscriptionAlreadyExist, like any other changed attribute', async () => {
    const t = unique('again');
    const dlq = unique('dq');
    await createTopic(t);
    expect((await raw('PUT', `/queues/${dlq}`, '<Queue/>')).status).toBe(201);
    const fields = { Endpoint: `${httpUrl}/x` };
    expect((await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml(fields))).status).toBe(201);
    expect((await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml(fields))).status).toBe(204);
    const withDlq = await raw('PUT', `/topics/${t}/subscriptions/s`, subscriptionXml({ ...fields, DlqPolicy: `<Enabled>true</Enabled><DeadLetterTargetQueue>${dlq}</DeadLetterTargetQueue>` }));
    expect([withDlq.status, errorCode(withDlq)]).toEqual([409, 'SubscriptionAlreadyExist']);
  });
});
