/**
 * MNS through the local cloud, end to end, on a fixture app (test/fixtures/apps/mns): the ROS template's
 * queues, topics and subscriptions; `eventbridge` (MNS source) triggers batching CloudEvents, failing batches
 * coming back and dead-lettering; `mns_topic` triggers in STREAM and JSON with tag filters, invoked
 * asynchronously; MNS
 * async-invocation destinations; the console's queue API (peek, DLQ, redrive) and `/_local/api/endpoints`.
 * Messages are sent by the functions' own adapters (MnsQueue / MnsTopic over `@alicloud/mns`).
 */
import { cpSync } from 'node:fs';
import { join } from 'node:path';
import { createMnsClient } from '#shared/aliyun/mns-client';
import { MnsQueue } from '#shared/aliyun/mns-queue';
import { MnsTopic } from '#shared/aliyun/mns-topic';
import { parseMnsQueueEvent, parseMnsTopicEvent } from '#shared/contracts/mns-events';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { DestinationPayload } from '../../scripts/local/runtime/async-invoker';
import type { InvocationRecord } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'mns');

describe('MNS triggers, destinations and console through the local cloud', () => {
  const dir = tempDir('fx-mns-');
  let cloud: LocalCloud;
  let queue: MnsQueue;
  let topic: MnsTopic;
  let seq = 0;
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
  const records = (fn: string, source?: string): InvocationRecord[] =>
    cloud.runtime
      .recent({ functionName: fn, limit: 1000 })
      .filter((r) => !source || r.source === source)
      .sort((a, b) => a.startedAt - b.startedAt);
  const consoleJson = async <T>(path: string, init?: RequestInit): Promise<T> => {
    const res = await fetch(`${cloud.url}/_local/api/${path}`, init);
    expect(res.status).toBe(200);
    return (await res.json()) as T;
  };

  beforeAll(async () => {
    cpSync(FIXTURE, join(dir.path, 'app'), { recursive: true });
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, asyncRetryBaseMs: 5, mnsPushRetryScale: 0.0005 });
    const client = createMnsClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.mns.emulator.endpoint });
    queue = new MnsQueue(client);
    topic = new MnsTopic(client);
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('creates the queues, topics and subscriptions of the ROS template, and lists MNS in the endpoints', async () => {
    const queues = await consoleJson<{ name: string; visibilityTimeout: number; dlqPolicy?: object; deadLetterFor: string[] }[]>('queues');
    expect(queues.map((q) => q.name)).toEqual(expect.arrayContaining(['fx-batch-q', 'fx-work-q', 'fx-work-dlq', 'fx-async-q', 'fx-failures', 'fx-doomed', 'fx-events-copy', 'fx-results-q']));
    expect(queues.find((q) => q.name === 'fx-work-q')).toMatchObject({ visibilityTimeout: 1, dlqPolicy: { deadLetterTargetQueue: 'fx-work-dlq', maxReceiveCount: 2 } });
    expect(queues.find((q) => q.name === 'fx-work-dlq')?.deadLetterFor).toEqual(['fx-work-q']);
    const topics = await consoleJson<{ name: string; subscriptions: { name: string; endpoint: string; filterTag: string; notifyContentFormat: string }[] }[]>('topics');
    const events = topics.find((t) => t.name === 'fx-events')!;
    expect(events.subscriptions.map((s) => [s.name, s.notifyContentFormat, s.filterTag])).toEqual([
      ['copy', 'SIMPLIFIED', ''],
      ['fc-fx-topic-doomed-doomed', 'STREAM', 'doomed'],
      ['fc-fx-topic-json-everything', 'JSON', ''],
      ['fc-fx-topic-stream-alerts', 'STREAM', 'alert'],
    ]);
    const endpoints = await consoleJson<{ accountId: string; credentials: object; mns: { endpoint: string }; oss: { endpoint: string } }>('endpoints');
    expect(endpoints).toMatchObject({ accountId: LOCAL_ACCOUNT_ID, credentials: LOCAL_CREDENTIALS, mns: { endpoint: cloud.mns.emulator.endpoint } });
    // Every function instance finds the emulator in its environment.
    const echoEnv = await cloud.invoke('fx-batch', '[]');
    expect(echoEnv.status).toBe('succeeded');
  });

  it('batches queue messages into CloudEvents by the trigger window (event-streaming), decoded, then deletes them', async () => {
    const bodies = Array.from({ length: 5 }, (_, i) => `${unique('reading')}-${i} <&> ünï`);
    await queue.sendBatch('fx-batch-q', bodies.map((body) => ({ body })));
    const record = await eventually(() => {
      const hit = records('fx-batch', 'eventbridge:batched').find((r) => r.payload.toString().includes(bodies[0]!));
      expect(hit).toBeDefined();
      return hit!;
    });
    const events = JSON.parse(record.payload.toString()) as Record<string, unknown>[];
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({
      source: 'MNS-fx-batch-batched',
      specversion: '1.0',
      type: 'mns:Queue:SendMessage',
      subject: `acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:queues/fx-batch-q`,
      aliyuneventbusname: 'MNS-fx-batch-batched',
      data: { messageId: expect.any(String), messageBody: expect.any(String), requestId: expect.any(String) },
    });
    expect(parseMnsQueueEvent(record.payload).map((m) => m.body).sort()).toEqual([...bodies].sort());
    await eventually(async () => expect((await consoleJson<{ activeMessages: number; inactiveMessages: number }>('queues/fx-batch-q')).inactiveMessages).toBe(0));
  });

  it('keeps a message it is delivering out of sight, so a function slower than the VisibilityTimeout (or waiting for an instance) runs it once', async () => {
    // EventBridge owns a message once it has pulled it; the local trigger holds it invisible while the invocation
    // waits in line and runs, so a busy laptop does not turn one message into several invocations.
    const slow = unique('slow');
    await queue.sendBatch('fx-work-q', [{ body: slow }]);
    await eventually(() => expect(records('fx-worker').filter((r) => r.status === 'succeeded').map((r) => r.payload.toString())).toContain(slow), { timeoutMs: 20000 });
    // Had it come back into sight 1 s after the receive, it would have been received a second time and, at its
    // MaxReceiveCount of 2, moved to the DLQ before the first run ended — a success dead-lettered.
    // Deleted once its invocation has ended: the record comes first, so the queue is read until the delete is done
    // (read at once, a fast machine could still see it in flight).
    await eventually(async () => {
      const work = await consoleJson<{ activeMessages: number; inactiveMessages: number }>('queues/fx-work-q');
      expect(work.activeMessages + work.inactiveMessages).toBe(0);
    });
    const dlq = await consoleJson<{ deadLettered: { body: string }[] }>('queues/fx-work-dlq');
    expect(dlq.deadLettered.map((m) => Buffer.from(m.body, 'base64').toString())).not.toContain(slow);
    expect(records('fx-worker').filter((r) => r.payload.toString() === slow)).toHaveLength(1);
  });

  it('leaves a failing message in the queue, redelivers it after the visibility timeout, and dead-letters it after MaxReceiveCount while its neighbours succeed', async () => {
    const good = [unique('good'), unique('good')];
    const poison = unique('poison');
    await queue.sendBatch('fx-work-q', [{ body: good[0]! }, { body: poison }, { body: good[1]! }]);
    // Each good message is processed once (event-driven: one CloudEvent per invocation) and deleted.
    // (A record's payload is what the function answered: here the body, or the error naming it.)
    await eventually(() => expect(records('fx-worker').filter((r) => r.status === 'succeeded').map((r) => r.payload.toString())).toEqual(expect.arrayContaining(good)), { timeoutMs: 20000 });
    // The poison message fails, comes back with a higher DequeueCount, fails again, then moves to the DLQ.
    const dead = await eventually(
      async () => {
        const dlq = await consoleJson<{ deadLettered: { body: string; deadLetterSource: string; messageId: string }[] }>('queues/fx-work-dlq');
        const hit = dlq.deadLettered.find((m) => Buffer.from(m.body, 'base64').toString() === poison);
        expect(hit).toBeDefined();
        return hit!;
      },
      { timeoutMs: 20000 },
    );
    expect(dead.deadLetterSource).toBe('fx-work-q');
    const attempts = records('fx-worker').filter((r) => r.payload.toString().includes(poison));
    expect(attempts.map((r) => r.status)).toEqual(['failed', 'failed']);
    expect(records('fx-worker').filter((r) => good.includes(r.payload.toString()))).toHaveLength(2);

    // Redrive from the console: back to the source queue as a fresh message, which fails twice more and returns.
    const before = attempts.length;
    const moved = await consoleJson<{ moved: number }>('queues/fx-work-dlq/redrive', { method: 'POST', body: JSON.stringify({ source: 'fx-work-q' }) });
    expect(moved.moved).toBeGreaterThanOrEqual(1);
    await eventually(() => expect(records('fx-worker').filter((r) => r.payload.toString().includes(poison)).length).toBe(before + 2), { timeoutMs: 20000 });
    await eventually(async () => expect((await consoleJson<{ deadLettered: { messageId: string }[] }>('queues/fx-work-dlq')).deadLettered.map((m) => m.messageId)).toContain(dead.messageId), { timeoutMs: 20000 });
  });

  it('hands events to the async queue when asyncInvocationType is true, in RawData without decoding', async () => {
    const body = unique('async');
    await queue.send('fx-async-q', { body });
    const record = await eventually(() => {
      const hit = records('fx-async-sink').find((r) => r.payload.toString().includes(Buffer.from(body).toString('base64')));
      expect(hit).toBeDefined();
      return hit!;
    });
    const data = JSON.parse(record.payload.toString()) as { messageId: string; messageBody: string }[];
    expect(data).toEqual([{ requestId: expect.any(String), messageId: expect.any(String), messageBody: Buffer.from(body).toString('base64') }]);
    expect(cloud.asyncInvoker.list(100).some((row) => row.function_name === 'fx-async-sink' && row.source === 'eventbridge:raw')).toBe(true);
    // The function's parser decodes what the trigger left encoded.
    expect(parseMnsQueueEvent(record.payload)[0]!.body).toBe(body);
  });

  it("splits a batch into invocations under FC's async payload limit (128 KB), each message in exactly one", async () => {
    // ~54 KB on the wire each: a batch of them overflows 128 KB after two.
    const bodies = Array.from({ length: 5 }, (_, i) => `${unique('big')}-${i}-${'ü'.repeat(20_000)}`);
    for (const body of bodies) await queue.send('fx-async-q', { body });
    const encoded = bodies.map((body) => Buffer.from(body).toString('base64'));
    const carrying = () => records('fx-async-sink').filter((r) => encoded.some((e) => r.payload.toString().includes(e)));
    await eventually(() => expect(carrying().flatMap((r) => parseMnsQueueEvent(r.payload).map((m) => m.body)).sort()).toEqual([...bodies].sort()));
    expect(carrying().length).toBeGreaterThanOrEqual(3);
    for (const record of carrying()) expect(record.payload.length).toBeLessThanOrEqual(128 * 1024);
  });

  it('fires mns_topic triggers: STREAM only for the filter tag, JSON for every message, ROS queue subscriptions too', async () => {
    const alert = unique('alert');
    const info = unique('info');
    const a = await topic.publish('fx-events', { body: alert, tag: 'alert', attributes: { Extend: '{"level":"high"}' } });
    await topic.publish('fx-events', { body: info, tag: 'info' });
    const stream = await eventually(() => {
      const hit = records('fx-topic-stream').find((r) => r.payload.toString().includes(Buffer.from(alert).toString('base64')));
      expect(hit).toBeDefined();
      return hit!;
    });
    expect(JSON.parse(stream.payload.toString())).toEqual({ body: Buffer.from(alert).toString('base64'), attrs: { Extend: '{"level":"high"}' } });
    expect(parseMnsTopicEvent(stream.payload)).toEqual({ body: alert, attributes: { Extend: '{"level":"high"}' } });
    expect(stream.source).toBe('mns_topic:alerts');
    const json = await eventually(() => {
      const got = records('fx-topic-json').map((r) => parseMnsTopicEvent(r.payload));
      expect(got.map((m) => m.body)).toEqual(expect.arrayContaining([alert, info]));
      return got;
    });
    expect(json.find((m) => m.body === alert)).toMatchObject({ messageId: a.messageId, topic: 'fx-events', tag: 'alert', attributes: { Extend: '{"level":"high"}' } });
    // The tag filter kept the info message from the STREAM trigger.
    expect(records('fx-topic-stream').some((r) => r.payload.toString().includes(Buffer.from(info).toString('base64')))).toBe(false);
    // The ROS subscription (SIMPLIFIED) copied both into a queue.
    const copies = await eventually(async () => {
      const got: string[] = [];
      for (let i = 0; i < 10; i++) got.push(...(await queue.receive('fx-events-copy', { max: 16 })).map((m) => m.body));
      expect(got).toEqual(expect.arrayContaining([alert, info]));
      return got;
    });
    expect(copies).toEqual(expect.arrayContaining([alert, info]));
  });

  it('invokes mns_topic functions asynchronously: a failure is retried by the async invocation policy', async () => {
    await topic.publish('fx-events', { body: 'flaky' });
    await eventually(() => {
      // A record's payload is what the function answered: the event it echoed, or its error.
      const flaky = records('fx-topic-json').filter((r) => (r.status === 'succeeded' ? parseMnsTopicEvent(r.payload).body === 'flaky' : r.error?.errorMessage.includes('flaky')));
      expect(flaky.map((r) => r.status)).toEqual(['failed', 'succeeded']);
    }, { timeoutMs: 20000 });
    expect(cloud.asyncInvoker.list(1000).filter((row) => row.source === 'mns_topic:everything' && row.status === 'succeeded' && row.attempts === 2)).toHaveLength(1);
  });

  it('sends an mns_topic event whose function keeps failing to its onFailure destination', async () => {
    const body = unique('doomed');
    await topic.publish('fx-events', { body, tag: 'doomed' });
    const failure = await eventually(async () => {
      const [m] = await queue.receive('fx-doomed', { max: 1 });
      expect(m).toBeDefined();
      return JSON.parse(m!.body) as DestinationPayload;
    }, { timeoutMs: 20000 });
    expect(failure.requestContext).toMatchObject({ condition: 'UnhandledInvocationError', approximateInvokeCount: 2 });
    expect(parseMnsTopicEvent(failure.requestPayload)).toEqual({ body, attributes: {} });
  });

  it('sends async results to MNS destinations: a queue on failure, a topic on success', async () => {
    const failing = unique('fail');
    cloud.asyncInvoker.enqueue('fx-fails', Buffer.from(JSON.stringify({ id: failing })), 'test');
    const failure = await eventually(async () => {
      const [m] = await queue.receive('fx-failures', { max: 1 });
      expect(m).toBeDefined();
      return JSON.parse(m!.body) as DestinationPayload;
    });
    expect(failure).toMatchObject({ requestContext: { condition: 'UnhandledInvocationError', approximateInvokeCount: 1, functionArn: expect.stringContaining('functions/fx-fails') }, requestPayload: JSON.stringify({ id: failing }) });

    const ok = unique('ok');
    cloud.asyncInvoker.enqueue('fx-succeeds', Buffer.from(JSON.stringify({ id: ok })), 'test');
    const success = await eventually(async () => {
      const [m] = await queue.receive('fx-results-q', { max: 1 });
      expect(m).toBeDefined();
      return JSON.parse(m!.body) as { Message: string; TopicName: string };
    });
    expect(success.TopicName).toBe('fx-results');
    expect(JSON.parse(success.Message)).toMatchObject({ requestContext: { condition: '' }, responsePayload: JSON.stringify({ done: { id: ok } }) });
  });
});
