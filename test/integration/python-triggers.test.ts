/**
 * FC's Python runtimes behind event triggers in the local cloud (D134), on a user's plain code folder
 * (test/fixtures/apps/python-events): an OSS trigger, mns_topic triggers in STREAM and JSON and an MNS queue trigger
 * (eventbridge, MNS source). Each handler gets `event` as bytes in FC's shape for that trigger and reads it as FC's
 * pages show (`json.loads(event)`); a raised exception is retried, recorded and dead-lettered as for a nodejs function.
 * Objects and messages are written by the functions' own adapters (OssObjectStore, MnsQueue, MnsTopic).
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { createMnsClient } from '#shared/aliyun/mns-client';
import { MnsQueue } from '#shared/aliyun/mns-queue';
import { MnsTopic } from '#shared/aliyun/mns-topic';
import { OssObjectStore } from '#shared/aliyun/oss-object-store';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { DestinationPayload } from '../../scripts/local/runtime/async-invoker';
import type { InvocationRecord } from '../../scripts/local/runtime/runtime';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { tempDir } from '../helpers/temp';

/** What every fixture handler answers: the type of `event`, the body or key it read, and the event as JSON. */
interface Answer {
  eventType: string;
  body: string;
  event: Record<string, unknown> | null;
}

describe('python functions behind OSS, MNS and tablestore triggers', () => {
  const dir = tempDir('fx-pyevents-');
  let cloud: LocalCloud;
  let queue: MnsQueue;
  let topic: MnsTopic;
  let uploads: OssObjectStore;
  let seq = 0;
  /** Files the tablestore handler leaves in /tmp to fail a batch once. */
  const markers: string[] = [];
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
  const records = (fn: string): InvocationRecord[] => cloud.runtime.recent({ functionName: fn, limit: 1000 }).sort((a, b) => a.startedAt - b.startedAt);
  /** The succeeded invocation whose handler read `body`, and its answer. */
  const answered = (fn: string, body: string) =>
    eventually(() => {
      const hit = records(fn).find((r) => r.status === 'succeeded' && (JSON.parse(r.payload.toString()) as Answer).body === body);
      expect(hit).toBeDefined();
      return { record: hit!, answer: JSON.parse(hit!.payload.toString()) as Answer };
    });
  const failuresNaming = (fn: string, body: string) => records(fn).filter((r) => r.status === 'failed' && r.error?.errorMessage === `cannot process ${body}`);

  beforeAll(async () => {
    copyFixtureApp('python-events', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, asyncRetryBaseMs: 5, mnsPushRetryScale: 0.0005 });
    const client = createMnsClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.mns.emulator.endpoint });
    queue = new MnsQueue(client);
    topic = new MnsTopic(client);
    uploads = new OssObjectStore({ bucket: 'pyx-uploads', region: 'cn-hangzhou', endpoint: cloud.oss.endpoint, credentials: LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
    for (const marker of markers) rmSync(marker, { force: true });
  });

  it('hands an OSS trigger\'s event to the handler as bytes of FC\'s {"events": [...]} JSON', async () => {
    const key = `in/${unique('photo')}.jpg`;
    await uploads.put(key, Buffer.from('hello'));
    const { record, answer } = await answered('pyx-oss', key);
    expect(answer.eventType).toBe('bytes');
    expect(answer.event).toEqual({
      events: [
        expect.objectContaining({
          eventName: 'ObjectCreated:PutObject',
          eventSource: 'acs:oss',
          region: 'cn-hangzhou',
          oss: expect.objectContaining({ bucket: expect.objectContaining({ name: 'pyx-uploads', arn: `acs:oss:cn-hangzhou:${LOCAL_ACCOUNT_ID}:pyx-uploads` }), object: expect.objectContaining({ key, size: 5 }) }),
        }),
      ],
    });
    expect(record.source).toBe('oss:uploads');
    expect(record.logs).toContain(`read ${key}\n`);
  });

  it('retries a failing OSS event by the async invocation policy, records each failure, then sends it to onFailure', async () => {
    const key = `in/${unique('fail')}.jpg`;
    await uploads.put(key, Buffer.from('bad'));
    const failure = await eventually(async () => {
      const [m] = await queue.receive('pyx-failures', { max: 1 });
      expect(m).toBeDefined();
      return JSON.parse(m!.body) as DestinationPayload;
    }, { timeoutMs: 20000 });
    expect(failure.requestContext).toMatchObject({ condition: 'UnhandledInvocationError', approximateInvokeCount: 2 });
    expect((JSON.parse(failure.requestPayload) as { events: { oss: { object: { key: string } } }[] }).events[0]!.oss.object.key).toBe(key);
    const attempts = failuresNaming('pyx-oss', key);
    expect(attempts.map((r) => [r.source, r.retryCount, r.errorType, r.error?.errorType])).toEqual([
      ['oss:uploads', 0, 'UnhandledInvocationError', 'ValueError'],
      ['oss:uploads', 1, 'UnhandledInvocationError', 'ValueError'],
    ]);
    expect(attempts[0]!.logs).toContain('ValueError: cannot process');
  });

  it('hands an mns_topic STREAM event as the published body\'s bytes, or {body, attrs} JSON with attributes', async () => {
    const plain = unique('plain');
    const tagged = unique('tagged');
    await topic.publish('pyx-events', { body: plain });
    await topic.publish('pyx-events', { body: tagged, attributes: { Extend: '{"level":"high"}' } });
    const bare = await answered('pyx-topic-stream', plain);
    // No attributes: the event is the body as MNS holds it (base64 through the Topic API), not JSON.
    expect(bare.answer).toEqual({ eventType: 'bytes', body: plain, event: null });
    expect(bare.record.source).toBe('mns_topic:stream');
    const withAttrs = await answered('pyx-topic-stream', tagged);
    expect(withAttrs.answer).toEqual({ eventType: 'bytes', body: tagged, event: { body: Buffer.from(tagged).toString('base64'), attrs: { Extend: '{"level":"high"}' } } });
  });

  it('hands an mns_topic JSON event as bytes of FC\'s {TopicOwner, TopicName, …, Message} JSON', async () => {
    const body = unique('json');
    const published = await topic.publish('pyx-events', { body });
    const { answer } = await answered('pyx-topic-json', body);
    expect(answer.eventType).toBe('bytes');
    expect(answer.event).toMatchObject({
      TopicOwner: LOCAL_ACCOUNT_ID,
      TopicName: 'pyx-events',
      SubscriptionName: 'fc-pyx-topic-json-json',
      MessageId: published.messageId,
      Message: Buffer.from(body).toString('base64'),
      PublishTime: expect.any(Number),
    });
  });

  it('retries a Python exception behind an mns_topic trigger by the async invocation policy, for both formats', async () => {
    const body = unique('fail');
    await topic.publish('pyx-events', { body });
    for (const fn of ['pyx-topic-stream', 'pyx-topic-json']) {
      await eventually(() => expect(failuresNaming(fn, body).map((r) => r.retryCount)).toEqual([0, 1]), { timeoutMs: 20000 });
      expect(failuresNaming(fn, body).every((r) => r.errorType === 'UnhandledInvocationError' && r.error?.errorType === 'ValueError')).toBe(true);
    }
    await eventually(() => expect(cloud.asyncInvoker.list(1000).filter((row) => row.source.startsWith('mns_topic:') && row.status === 'failed' && row.attempts === 2).map((row) => row.function_name).sort()).toEqual(['pyx-topic-json', 'pyx-topic-stream']));
  });

  it('hands an MNS queue trigger\'s CloudEvent as bytes, redelivers a failing message and dead-letters it', async () => {
    const good = unique('good');
    const poison = unique('fail');
    await queue.sendBatch('pyx-work-q', [{ body: good }, { body: poison }]);
    const { record, answer } = await answered('pyx-queue', good);
    expect(answer.eventType).toBe('bytes');
    expect(answer.event).toMatchObject({ specversion: '1.0', source: expect.any(String), data: { messageBody: good } });
    expect(record.source).toBe('eventbridge:work');
    const dead = await eventually(async () => {
      const [m] = await queue.receive('pyx-work-dlq', { max: 1 });
      expect(m).toBeDefined();
      return m!;
    }, { timeoutMs: 20000 });
    expect(dead.body).toBe(poison);
    expect(failuresNaming('pyx-queue', poison).map((r) => [r.errorType, r.error?.errorType])).toEqual([
      ['UnhandledInvocationError', 'ValueError'],
      ['UnhandledInvocationError', 'ValueError'],
    ]);
  });
  it('hands an event-streaming batch (RawData, asynchronous) as bytes of a JSON array, one object per message', async () => {
    const bodies = [unique('a'), unique('b'), unique('c')];
    await queue.sendBatch('pyx-batch-q', bodies.map((body) => ({ body })));
    // The window may split the three; each message arrives in exactly one array.
    const carrying = await eventually(() => {
      const got = records('pyx-batch')
        .filter((r) => r.status === 'succeeded')
        .map((r) => ({ record: r, answer: JSON.parse(r.payload.toString()) as Answer & { event: { messages: { messageBody: string }[] } } }))
        .filter(({ answer }) => answer.event.messages.some((m) => bodies.includes(m.messageBody)));
      expect(got.flatMap(({ answer }) => answer.event.messages.map((m) => m.messageBody)).sort()).toEqual([...bodies].sort());
      return got;
    });
    for (const { record, answer } of carrying) {
      expect(answer.eventType).toBe('bytes');
      expect(record.source).toBe('eventbridge:batched');
      for (const message of answer.event.messages) expect(message).toEqual({ requestId: expect.any(String), messageId: expect.any(String), messageBody: expect.any(String) });
    }
  });

  it('hands a tablestore trigger\'s batch as CBOR bytes of FC\'s Sync-v1 records, in order, retrying a failed batch until it succeeds (D139)', async () => {
    const table = new TableStoreTable({ endpoint: cloud.tablestore.endpoint, instance: 'pyx-ots', credentials: LOCAL_CREDENTIALS, schemas: [{ name: 'pyx_rows', primaryKey: [{ name: 'id', type: 'STRING' }] }] });
    const id = unique('row');
    const marker = unique('once');
    markers.push(join('/tmp', `pyx-${marker}`));
    await table.putRow('pyx_rows', { id }, { text: 'first', failOnce: marker });
    await table.updateRow('pyx_rows', { id }, { put: { text: 'second' }, delete: ['failOnce'] });
    await table.deleteRow('pyx_rows', { id });
    type Row = { Type: string; Info: { Timestamp: number }; PrimaryKey: { ColumnName: string; Value: unknown }[]; Columns: { Type: string; ColumnName: string; Value?: unknown; Timestamp: number }[] };
    const rows = await eventually(() => {
      const delivered = records('pyx-table')
        .filter((r) => r.status === 'succeeded')
        .flatMap((r) => (JSON.parse(r.payload.toString()) as Answer).event!.Records as Row[])
        .filter((r) => r.PrimaryKey[0]!.Value === id);
      expect(delivered.map((r) => r.Type)).toEqual(['PutRow', 'UpdateRow', 'DeleteRow']);
      return delivered;
    }, { timeoutMs: 20000 });
    const first = records('pyx-table').find((r) => r.status === 'succeeded' && r.payload.toString().includes(id))!;
    expect(first.source).toBe('tablestore:rows');
    const answer = JSON.parse(first.payload.toString()) as Answer;
    expect(answer.eventType).toBe('bytes');
    expect(answer.event).toMatchObject({ Version: 'Sync-v1' });
    expect(rows[0]).toEqual({
      Type: 'PutRow',
      Info: { Timestamp: expect.any(Number) },
      PrimaryKey: [{ ColumnName: 'id', Value: id }],
      Columns: expect.arrayContaining([{ Type: 'Put', ColumnName: 'text', Value: 'first', Timestamp: expect.any(Number) }]),
    });
    expect(rows[1]!.Columns).toEqual(expect.arrayContaining([expect.objectContaining({ Type: 'Put', ColumnName: 'text', Value: 'second' }), expect.objectContaining({ Type: 'DeleteAllVersions', ColumnName: 'failOnce' })]));
    // The batch that failed came again, the same rows, and then went through.
    expect(failuresNaming('pyx-table', marker).map((r) => [r.source, r.errorType, r.error?.errorType])).toEqual([['tablestore:rows', 'UnhandledInvocationError', 'ValueError']]);
    expect(cloud.tableStreams.status()).toEqual([expect.objectContaining({ function: 'pyx-table', table: 'pyx_rows', failures: 0 })]);
  });
});

describe('a python function that names its region\'s cloud endpoints (D139)', () => {
  const dir = tempDir('fx-pycloud-');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('python-events', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('reaches the OSS emulator at https://<bucket>.oss-<region>.aliyuncs.com and the -internal host over http (urllib, http.client, asyncio), and refuses other cloud hosts by name', async () => {
    const key = `cloud/${Date.now().toString(36)}.txt`;
    const record = await cloud.invoke('pyx-cloud', { bucket: 'pyx-uploads', key, body: 'written by name' });
    expect(record.error).toBeUndefined();
    const answer = JSON.parse(record.payload.toString()) as Record<string, unknown>;
    expect(answer).toMatchObject({
      put: 200,
      httpGet: [200, 'written by name'],
      httpsGet: [200, 'written by name', true],
      asyncioTlsGet: ['HTTP/1.1 200 OK', 'written by name'],
      badSignature: [403, true],
      elsewhere: expect.stringMatching(/ConnectionRefusedError/),
    });
    expect(answer.sls).toMatch(/ENOTEMULATED my-project\.cn-hangzhou\.log\.aliyuncs\.com:443: Simple Log Service \(SLS\) is not emulated by the local cloud/);
    expect(answer.otherRegion).toMatch(/ENOTEMULATED pyx-uploads\.oss-cn-beijing\.aliyuncs\.com:443: OSS outside cn-hangzhou/);
    const store = new OssObjectStore({ bucket: 'pyx-uploads', region: 'cn-hangzhou', endpoint: cloud.oss.endpoint, credentials: LOCAL_CREDENTIALS });
    expect((await store.get(key))?.body.toString()).toBe('written by name');
  });
});
