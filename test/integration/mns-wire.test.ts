/**
 * The MNS emulator on the wire, with the clients users have: the official `@alicloud/mns` SDK in its default
 * settings, and raw requests signed the way a user's script or curl would sign them (test/helpers/mns-raw.ts)
 * for the APIs the SDK only stubs and for the error answers.
 */
import { createHash, verify as cryptoVerify, X509Certificate } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import MNS from '@alicloud/mns';
import { ManualClock } from '#shared/ports/clock';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { QueueWaiters } from '../../scripts/local/emulators/mns/waiters';
import { eventually } from '../helpers/eventually';
import { errorCode, mnsRaw, signedHeaders, subscriptionXml, type RawRequest } from '../helpers/mns-raw';
import { tempDir } from '../helpers/temp';

const REGION = 'cn-hangzhou';
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string) => Buffer.from(s, 'base64').toString('utf8');
const queueEndpoint = (q: string) => `acs:mns:${REGION}:${LOCAL_ACCOUNT_ID}:queues/${q}`;

describe('MNS emulator on the wire', () => {
  const dir = tempDir('mns-wire-');
  const clock = new ManualClock(Date.now());
  let mns: MnsEmulator;
  let sdk: MNS;
  const functionPushes: { fn: string; payload: string; attempts: number }[] = [];
  let failFunctionPushes = 0;
  let seq = 0;
  const unique = (label: string) => `${label}-${Date.now().toString(36)}-${++seq}`;
  const raw = (request: RawRequest) => mnsRaw(mns.endpoint, LOCAL_CREDENTIALS, request);
  // Push retries are due on the emulator's clock (D173), scaled to 1–2 ms here: a look moves it that far on.
  const retryDuePushes = () => {
    clock.advance(2);
    mns.poke();
  };

  const start = () =>
    startMnsEmulator({
      dataDir: join(dir.path, 'data'),
      region: REGION,
      port: 0,
      clock: () => clock.now(),
      pushRetryScale: 0.0001,
      pushToFunction: async (fn, payload, info) => {
        if (failFunctionPushes > 0) {
          failFunctionPushes--;
          throw new Error('function failed');
        }
        functionPushes.push({ fn, payload: payload.toString(), attempts: info.attempts });
      },
    });

  beforeAll(async () => {
    mns = await start();
    sdk = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS });
  });
  afterAll(async () => {
    await mns?.close();
    dir.cleanup();
  });

  describe('queues', () => {
    it('creates, reads, changes, lists with prefix and paging, and deletes queues', async () => {
      const prefix = unique('life');
      const created = await sdk.createQueue(`${prefix}-a`, { VisibilityTimeout: 12, PollingWaitSeconds: 2, DelaySeconds: 1 });
      expect(created.code).toBe(201);
      expect(created.headers.location).toBe(`${mns.endpoint}/queues/${prefix}-a`);
      expect((await sdk.createQueue(`${prefix}-a`, { VisibilityTimeout: 12, PollingWaitSeconds: 2, DelaySeconds: 1 })).code).toBe(204);
      await expect(sdk.createQueue(`${prefix}-a`, { VisibilityTimeout: 13 })).rejects.toMatchObject({ name: 'MNSQueueAlreadyExistError' });
      await sdk.createQueue(`${prefix}-b`);
      await sdk.createQueue(`${prefix}-c`);

      const attrs = (await sdk.getQueueAttributes(`${prefix}-a`)).body;
      expect(attrs).toMatchObject({ QueueName: `${prefix}-a`, VisibilityTimeout: '12', PollingWaitSeconds: '2', DelaySeconds: '1', MaximumMessageSize: '65536', MessageRetentionPeriod: '345600', ActiveMessages: '0' });
      await sdk.setQueueAttributes(`${prefix}-a`, { VisibilityTimeout: 40 });
      expect((await sdk.getQueueAttributes(`${prefix}-a`)).body).toMatchObject({ VisibilityTimeout: '40', PollingWaitSeconds: '2' });

      const page1 = await raw({ method: 'GET', resource: '/queues', headers: { 'x-mns-prefix': prefix, 'x-mns-ret-number': '2' } });
      const queues1 = (page1.xml!.Queues as { Queue: { QueueURL: string }[]; NextMarker: string });
      expect(queues1.Queue.map((q) => q.QueueURL)).toEqual([`${mns.endpoint}/queues/${prefix}-a`, `${mns.endpoint}/queues/${prefix}-b`]);
      const page2 = await raw({ method: 'GET', resource: '/queues', headers: { 'x-mns-prefix': prefix, 'x-mns-ret-number': '2', 'x-mns-marker': queues1.NextMarker, 'x-mns-with-meta': 'true' } });
      const queues2 = page2.xml!.Queues as { Queue: { QueueName: string }[]; NextMarker?: string };
      expect(queues2.Queue.map((q) => q.QueueName)).toEqual([`${prefix}-c`]);
      expect(queues2.NextMarker).toBeUndefined();

      await sdk.deleteQueue(`${prefix}-c`);
      await expect(sdk.getQueueAttributes(`${prefix}-c`)).rejects.toMatchObject({ name: 'MNSQueueNotExistError' });
    });

    it('hides received messages for the visibility timeout and gives them back with a higher dequeue count', async () => {
      const q = unique('vis');
      await sdk.createQueue(q, { VisibilityTimeout: 10 });
      await sdk.sendMessage(q, { MessageBody: b64('m1') });
      const first = (await sdk.receiveMessage(q)).body;
      expect(first.DequeueCount).toBe('1');
      await expect(sdk.receiveMessage(q)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
      expect((await sdk.getQueueAttributes(q)).body).toMatchObject({ ActiveMessages: '0', InactiveMessages: '1' });
      clock.advance(10001);
      const second = (await sdk.receiveMessage(q)).body;
      expect(second).toMatchObject({ MessageId: first.MessageId, DequeueCount: '2', FirstDequeueTime: first.FirstDequeueTime });
      // The first handle went stale when the message was received again.
      await expect(sdk.deleteMessage(q, first.ReceiptHandle)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
      await sdk.deleteMessage(q, second.ReceiptHandle);
      expect((await sdk.getQueueAttributes(q)).body).toMatchObject({ ActiveMessages: '0', InactiveMessages: '0' });
    });

    it('long polls: a receive waiting on an empty queue returns as soon as a message arrives', async () => {
      const q = unique('poll');
      await sdk.createQueue(q);
      const started = Date.now();
      // Sent once the receive is waiting on the queue (a fixed 150 ms pause could send first on a slow machine,
      // and the receive then found the message without waiting at all).
      const wait = jest.spyOn(QueueWaiters.prototype, 'wait');
      const waiting = sdk.receiveMessage(q, 20);
      try {
        await eventually(() => expect(wait.mock.calls.map(([queue]) => queue)).toContain(q));
      } finally {
        wait.mockRestore();
      }
      await sdk.sendMessage(q, { MessageBody: b64('wake up') });
      const got = await waiting;
      expect(unb64(got.body.MessageBody)).toBe('wake up');
      // Far less than the 20 s it was allowed to wait (a generous bound: this machine is shared).
      expect(Date.now() - started).toBeLessThan(10000);
    });

    it('long polls batch receives and answers MessageNotExist once the wait is over', async () => {
      const q = unique('pollb');
      await sdk.createQueue(q);
      await expect(sdk.batchReceiveMessage(q, 16, 1)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
      const waiting = sdk.batchReceiveMessage(q, 16, 10);
      await sdk.batchSendMessage(q, [{ MessageBody: b64('x') }, { MessageBody: b64('y') }]);
      const got = await waiting;
      expect(got.body.map((m) => unb64(m.MessageBody)).sort()).toEqual(['x', 'y']);
    });

    it('uses the queue PollingWaitSeconds when a receive names no wait', async () => {
      const q = unique('pollq');
      await sdk.createQueue(q, { PollingWaitSeconds: 10 });
      const waiting = sdk.receiveMessage(q);
      setTimeout(() => void sdk.sendMessage(q, { MessageBody: b64('late') }), 100);
      expect(unb64((await waiting).body.MessageBody)).toBe('late');
    });

    it('peeks without changing state, and delays messages', async () => {
      const q = unique('peek');
      await sdk.createQueue(q);
      await sdk.sendMessage(q, { MessageBody: b64('now') });
      await sdk.sendMessage(q, { MessageBody: b64('later'), DelaySeconds: 30 });
      const peeked = (await sdk.batchPeekMessage(q, 16)).body;
      expect(peeked.map((m) => unb64(m.MessageBody))).toEqual(['now']);
      expect(peeked[0]).not.toHaveProperty('ReceiptHandle');
      expect((await sdk.peekMessage(q)).body.DequeueCount).toBe('0');
      expect((await sdk.getQueueAttributes(q)).body).toMatchObject({ ActiveMessages: '1', DelayMessages: '1' });
      clock.advance(30001);
      expect((await sdk.batchReceiveMessage(q, 16)).body.map((m) => unb64(m.MessageBody)).sort()).toEqual(['later', 'now']);
    });

    it('changes visibility: the old handle goes stale, the new one deletes', async () => {
      const q = unique('chg');
      await sdk.createQueue(q);
      await sdk.sendMessage(q, { MessageBody: b64('c') });
      const m = (await sdk.receiveMessage(q)).body;
      const changed = (await sdk.changeMessageVisibility(q, m.ReceiptHandle, 5)).body;
      expect(Number(changed.NextVisibleTime)).toBe(clock.now() + 5000);
      await expect(sdk.changeMessageVisibility(q, m.ReceiptHandle, 5)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
      await expect(sdk.changeMessageVisibility(q, changed.ReceiptHandle, 0)).rejects.toMatchObject({ name: 'MNSInvalidArgumentError' });
      await sdk.deleteMessage(q, changed.ReceiptHandle);
    });

    it('deletes in batches and answers the failed handles with MNS error codes', async () => {
      const q = unique('bdel');
      await sdk.createQueue(q);
      await sdk.batchSendMessage(q, [{ MessageBody: b64('1') }, { MessageBody: b64('2') }]);
      const got = (await sdk.batchReceiveMessage(q, 16)).body;
      const res = await sdk.batchDeleteMessage(q, [...got.map((m) => m.ReceiptHandle), 'garbage']);
      expect(res.code).toBe(404);
      expect(res.body).toEqual([{ ErrorCode: 'ReceiptHandleError', ErrorMessage: expect.any(String), ReceiptHandle: 'garbage' }]);
      const again = await sdk.batchDeleteMessage(q, got.map((m) => m.ReceiptHandle));
      expect(again.body!.map((e) => e.ErrorCode)).toEqual(['MessageNotExist', 'MessageNotExist']);
    });

    it('refuses batches over the MNS limits by name, storing nothing', async () => {
      const q = unique('lim');
      await sdk.createQueue(q);
      await expect(sdk.batchSendMessage(q, Array.from({ length: 17 }, () => ({ MessageBody: 'eA==' })))).rejects.toMatchObject({ name: 'MNSInvalidArgumentError', message: expect.stringContaining('1 to 16 messages') });
      const big = 'A'.repeat(33 * 1024);
      await expect(sdk.batchSendMessage(q, [{ MessageBody: big }, { MessageBody: big }])).rejects.toMatchObject({ message: expect.stringContaining('more than 65536') });
      await expect(sdk.sendMessage(q, { MessageBody: b64('x'), Priority: 17 })).rejects.toMatchObject({ message: expect.stringContaining('Priority') });
      await expect(sdk.sendMessage(q, { MessageBody: b64('x'), DelaySeconds: 604801 })).rejects.toMatchObject({ message: expect.stringContaining('DelaySeconds') });
      expect((await sdk.getQueueAttributes(q)).body.ActiveMessages).toBe('0');
    });

    it('dead-letters a message received MaxReceiveCount times to the queue of its DlqPolicy', async () => {
      const q = unique('poison');
      const dlq = `${q}-dlq`;
      await sdk.createQueue(dlq);
      // The SDK builds nested elements from nested objects: <DlqPolicy><Enabled>…</Enabled>…</DlqPolicy>.
      await sdk.createQueue(q, { VisibilityTimeout: 5, DlqPolicy: { Enabled: true, DeadLetterTargetQueue: dlq, MaxReceiveCount: 3 } });
      expect((await sdk.getQueueAttributes(q)).body.DlqPolicy).toEqual([{ Enabled: 'true', DeadLetterTargetQueue: dlq, MaxReceiveCount: '3' }]);
      const sent = (await sdk.sendMessage(q, { MessageBody: b64('poison') })).body;
      for (let i = 1; i <= 3; i++) {
        const m = (await sdk.receiveMessage(q)).body;
        expect(m.DequeueCount).toBe(String(i));
        clock.advance(5001);
      }
      // The fourth receive finds it dead-lettered.
      await expect(sdk.receiveMessage(q)).rejects.toMatchObject({ name: 'MNSMessageNotExistError' });
      const dead = (await sdk.receiveMessage(dlq)).body;
      expect(dead).toMatchObject({ MessageId: sent.MessageId, DequeueCount: '1' });
      expect(unb64(dead.MessageBody)).toBe('poison');
      // The console lists where it came from and can send it back (redrive), as a fresh message.
      expect(mns.queues.deadLettered(dlq).map((m) => [m.messageId, m.deadLetterSource])).toEqual([[sent.MessageId, q]]);
      expect(mns.queues.redrive(dlq)).toBe(1);
      expect(mns.queues.deadLettered(dlq)).toEqual([]);
      const back = (await sdk.receiveMessage(q)).body;
      expect(back).toMatchObject({ MessageId: sent.MessageId, DequeueCount: '1' });
    });

    it('keeps queues and messages across a restart', async () => {
      const q = unique('restart');
      await sdk.createQueue(q, { VisibilityTimeout: 7 });
      await sdk.sendMessage(q, { MessageBody: b64('survives') });
      const received = (await sdk.receiveMessage(q)).body;
      await mns.close();
      mns = await start();
      sdk = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS });
      expect((await sdk.getQueueAttributes(q)).body).toMatchObject({ VisibilityTimeout: '7', InactiveMessages: '1' });
      // The receipt handle issued before the restart still deletes the message.
      await sdk.deleteMessage(q, received.ReceiptHandle);
      expect((await sdk.getQueueAttributes(q)).body.InactiveMessages).toBe('0');
    });
  });

  describe('topics', () => {
    it('fans a message out to subscribed queues by tag, in each NotifyContentFormat', async () => {
      const t = unique('fan');
      const [all, critical, simple] = [unique('all'), unique('crit'), unique('simple')];
      await sdk.createTopic(t);
      for (const q of [all, critical, simple]) await sdk.createQueue(q);
      const subscribe = (name: string, fields: Record<string, string>) => raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/${name}`, body: subscriptionXml(fields) });
      expect((await subscribe('all', { Endpoint: queueEndpoint(all), NotifyContentFormat: 'XML' })).status).toBe(201);
      expect((await subscribe('crit', { Endpoint: queueEndpoint(critical), NotifyContentFormat: 'JSON', FilterTag: 'critical' })).status).toBe(201);
      expect((await subscribe('simple', { Endpoint: queueEndpoint(simple), NotifyContentFormat: 'SIMPLIFIED' })).status).toBe(201);

      const hot = (await sdk.publishMessage(t, { MessageBody: b64('hot'), MessageTag: 'critical' })).body;
      await sdk.publishMessage(t, { MessageBody: b64('mild'), MessageTag: 'info' });

      const xml = (await sdk.batchReceiveMessage(all, 16)).body.map((m) => m.MessageBody);
      expect(xml).toHaveLength(2);
      expect(xml[0]).toContain('<Notification');
      expect(xml[0]).toContain(`<TopicName>${t}</TopicName>`);
      expect(xml[0]).toContain(`<MessageId>${hot.MessageId}</MessageId>`);
      expect(xml[0]).toContain(`<Message>${b64('hot')}</Message>`);
      expect(xml[0]).toContain('<MessageTag>critical</MessageTag>');

      const json = (await sdk.batchReceiveMessage(critical, 16)).body.map((m) => JSON.parse(m.MessageBody) as Record<string, string>);
      expect(json).toEqual([
        {
          TopicOwner: LOCAL_ACCOUNT_ID,
          TopicName: t,
          Subscriber: LOCAL_ACCOUNT_ID,
          SubscriptionName: 'crit',
          MessageId: hot.MessageId,
          Message: b64('hot'),
          MessageMD5: hot.MessageBodyMD5,
          MessageTag: 'critical',
          PublishTime: expect.stringMatching(/^\d+$/),
        },
      ]);
      const plain = (await sdk.batchReceiveMessage(simple, 16)).body.map((m) => unb64(m.MessageBody)).sort();
      expect(plain).toEqual(['hot', 'mild']);
      expect((await sdk.getTopicAttributes(t)).body.MessageCount).toBe('2');
    });

    it('manages subscriptions through signed raw requests (the SDK only stubs them)', async () => {
      const t = unique('subs');
      const q = unique('subq');
      await sdk.createTopic(t);
      await sdk.createQueue(q);
      const body = subscriptionXml({ Endpoint: queueEndpoint(q), FilterTag: 'a', NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY' });
      expect((await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/s1`, body })).status).toBe(201);
      expect((await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/s1`, body })).status).toBe(204);
      const conflict = await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/s1`, body: subscriptionXml({ Endpoint: queueEndpoint(q), FilterTag: 'b' }) });
      expect([conflict.status, errorCode(conflict)]).toEqual([409, 'SubscriptionAlreadyExist']);
      const got = await raw({ method: 'GET', resource: `/topics/${t}/subscriptions/s1` });
      expect((got.xml!.Subscription as Record<string, string>[])[0]).toMatchObject({ SubscriptionName: 's1', TopicName: t, Endpoint: queueEndpoint(q), FilterTag: 'a', NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY', NotifyContentFormat: 'XML' });
      expect((await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/s1?metaoverride=true`, body: subscriptionXml({ NotifyStrategy: 'BACKOFF_RETRY' }) })).status).toBe(204);
      const list = await raw({ method: 'GET', resource: `/topics/${t}/subscriptions` });
      expect((list.xml!.Subscriptions as { Subscription: { SubscriptionURL: string }[] }).Subscription).toEqual([{ SubscriptionURL: `${mns.endpoint}/topics/${t}/subscriptions/s1` }]);
      expect((await raw({ method: 'DELETE', resource: `/topics/${t}/subscriptions/s1` })).status).toBe(204);
      expect(errorCode(await raw({ method: 'GET', resource: `/topics/${t}/subscriptions/s1` }))).toBe('SubscriptionNotExist');
      expect((await raw({ method: 'DELETE', resource: `/topics/${t}` })).status).toBe(204);
      await expect(sdk.getTopicAttributes(t)).rejects.toMatchObject({ name: 'MNSTopicNotExistError' });
    });

    it('pushes to HTTP endpoints and retries by the NotifyStrategy until the endpoint accepts', async () => {
      const received: { body: string; headers: IncomingMessage['headers'] }[] = [];
      let refuse = 2;
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          if (refuse-- > 0) {
            res.writeHead(500).end();
            return;
          }
          received.push({ body: Buffer.concat(chunks).toString(), headers: req.headers });
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const t = unique('http');
        await sdk.createTopic(t);
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notify`;
        await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/web`, body: subscriptionXml({ Endpoint: url, NotifyContentFormat: 'SIMPLIFIED' }) });
        const sent = (await sdk.publishMessage(t, { MessageBody: 'plain text', MessageTag: 'web' })).body;
        await eventually(
          () => {
            retryDuePushes();
            expect(received).toHaveLength(1);
          },
          { timeoutMs: 20000 },
        );
        expect(received[0]).toMatchObject({ body: 'plain text', headers: { 'x-mns-message-id': sent.MessageId, 'x-mns-message-tag': 'web' } });
      } finally {
        server.close();
      }
    });

    it('signs HTTP pushes as MNS does, so an endpoint that verifies them (as the docs tell it to) takes them (D136)', async () => {
      // The endpoint of MNS's "verify HTTP push signatures" page, written from its four steps: the certificate from
      // the base64 URL in x-mns-signing-cert-url, the string to sign, the RSA-SHA1 signature in Authorization.
      const verified: { ok: boolean; body: string; why?: string }[] = [];
      const server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', async () => {
          const body = Buffer.concat(chunks).toString();
          const h = (name: string) => (req.headers[name] as string | undefined) ?? '';
          try {
            const certUrl = Buffer.from(h('x-mns-signing-cert-url'), 'base64').toString();
            const cert = new X509Certificate(Buffer.from(await (await fetch(certUrl)).arrayBuffer()));
            const mnsHeaders = Object.keys(req.headers).filter((k) => k.startsWith('x-mns-')).sort().map((k) => `${k}:${h(k)}\n`).join('');
            const toSign = `${req.method}\n${h('content-md5')}\n${h('content-type')}\n${h('date')}\n${mnsHeaders}${req.url}`;
            const ok = cryptoVerify('sha1', Buffer.from(toSign), cert.publicKey, Buffer.from(h('authorization'), 'base64'));
            const md5 = Buffer.from(createHash('md5').update(body).digest('hex')).toString('base64');
            verified.push({ ok: ok && h('content-md5') === md5 && h('x-mns-version') === '2015-06-06', body });
            res.writeHead(ok ? 201 : 403).end();
          } catch (err) {
            verified.push({ ok: false, body, why: String(err) });
            res.writeHead(403).end();
          }
        });
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      try {
        const t = unique('signed');
        await sdk.createTopic(t);
        const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/notifications?from=mns`;
        await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/xml`, body: subscriptionXml({ Endpoint: url, NotifyContentFormat: 'XML' }) });
        await sdk.publishMessage(t, { MessageBody: 'signed 你好', MessageTag: 'web' });
        await eventually(() => expect(verified).toHaveLength(1), { timeoutMs: 20000 });
        expect(verified[0]).toMatchObject({ ok: true });
        expect(verified[0]!.body).toContain('<Message>signed 你好</Message>');
      } finally {
        server.close();
      }
    });

    it('pushes to function endpoints in STREAM and JSON, retries failures, and dead-letters after the last retry', async () => {
      const t = unique('fn');
      const dlq = unique('fndlq');
      await sdk.createTopic(t);
      await sdk.createQueue(dlq);
      const fnEndpoint = `acs:fc:${REGION}:${LOCAL_ACCOUNT_ID}:functions/fx-target`;
      await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/stream`, body: subscriptionXml({ Endpoint: fnEndpoint, NotifyContentFormat: 'STREAM' }) });
      await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/json`, body: subscriptionXml({ Endpoint: fnEndpoint, NotifyContentFormat: 'JSON', FilterTag: 'j' }) });
      const queueSub = await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/bad`, body: subscriptionXml({ Endpoint: queueEndpoint(dlq), NotifyContentFormat: 'STREAM' }) });
      expect([queueSub.status, errorCode(queueSub)]).toEqual([400, 'InvalidArgument']);

      functionPushes.length = 0;
      await sdk.publishMessage(t, { MessageBody: 'plain' });
      await sdk.publishMessage(t, { MessageBody: 'with-attrs', MessageTag: 'j', MessageAttributes: { Extend: '{"k":"v"}' } });
      await eventually(() => expect(functionPushes).toHaveLength(3));
      const payloads = functionPushes.map((p) => p.payload);
      expect(payloads).toContain('plain');
      expect(payloads).toContain(JSON.stringify({ body: 'with-attrs', attrs: { Extend: '{"k":"v"}' } }));
      const json = payloads.map((p) => (p.startsWith('{"Extend"') ? (JSON.parse(p) as Record<string, unknown>) : undefined)).find(Boolean);
      expect(json).toMatchObject({ Extend: '{"k":"v"}', TopicName: t, SubscriptionName: 'json', Message: 'with-attrs', MessageTag: 'j', PublishTime: expect.any(Number) });

      // A failing function is retried (BACKOFF_RETRY: 3 retries), then the notification goes to the DLQ.
      await raw({ method: 'PUT', resource: `/topics/${t}/subscriptions/stream?metaoverride=true`, body: subscriptionXml({ NotifyStrategy: 'BACKOFF_RETRY' }) });
      const t2 = unique('fnd');
      await sdk.createTopic(t2);
      const withDlq = subscriptionXml({ Endpoint: fnEndpoint, NotifyContentFormat: 'STREAM', DlqPolicy: `<Enabled>true</Enabled><DeadLetterTargetQueue>${dlq}</DeadLetterTargetQueue>` });
      expect((await raw({ method: 'PUT', resource: `/topics/${t2}/subscriptions/d`, body: withDlq })).status).toBe(201);
      functionPushes.length = 0;
      failFunctionPushes = 4;
      await sdk.publishMessage(t2, { MessageBody: 'never' });
      const dead = await eventually(
        async () => {
          retryDuePushes();
          return (await sdk.receiveMessage(dlq)).body;
        },
        { timeoutMs: 20000 },
      );
      expect(dead.MessageBody).toBe('never');
      expect(functionPushes).toEqual([]);
      expect(failFunctionPushes).toBe(0);
    });
  });

  describe('errors, as MNS answers them', () => {
    it('answers MNS error codes with their HTTP statuses', async () => {
      const q = unique('err');
      await sdk.createQueue(q);
      const cases: [RawRequest, number, string][] = [
        [{ method: 'GET', resource: '/queues/no-such-queue' }, 404, 'QueueNotExist'],
        [{ method: 'GET', resource: '/topics/no-such-topic' }, 404, 'TopicNotExist'],
        [{ method: 'GET', resource: `/queues/${q}/messages` }, 404, 'MessageNotExist'],
        [{ method: 'DELETE', resource: `/queues/${q}/messages?ReceiptHandle=nonsense` }, 400, 'ReceiptHandleError'],
        [{ method: 'DELETE', resource: `/queues/${q}/messages?ReceiptHandle=` }, 400, 'MissingReceiptHandle'],
        [{ method: 'PUT', resource: `/queues/${q}/messages?receiptHandle=1-1-0000000000000000` }, 400, 'MissingVisibilityTimeout'],
        [{ method: 'PUT', resource: '/queues/-bad-name', body: '<Queue/>' }, 400, 'InvalidQueueName'],
        [{ method: 'PUT', resource: `/queues/${q}x`, body: '<Queue><VisibilityTimeout>0</VisibilityTimeout></Queue>' }, 400, 'InvalidArgument'],
        [{ method: 'PUT', resource: `/queues/${q}x`, body: '<Queue><Color>red</Color></Queue>' }, 400, 'InvalidArgument'],
        [{ method: 'POST', resource: `/queues/${q}/messages`, body: '<Message><MessageBody>a & b</MessageBody></Message>' }, 400, 'MalformedXML'],
        [{ method: 'POST', resource: `/queues/${q}/messages`, body: '<Message><Body>x</Body></Message>' }, 400, 'InvalidArgument'],
        [{ method: 'GET', resource: `/queues/${q}/messages?waitseconds=31` }, 400, 'InvalidArgument'],
        [{ method: 'GET', resource: `/queues/${q}/messages?colour=red` }, 400, 'InvalidQueryString'],
        [{ method: 'GET', resource: '/nowhere' }, 400, 'InvalidRequestURL'],
        [{ method: 'GET', resource: '/?accountmeta=true' }, 501, 'NotImplemented'],
        [{ method: 'POST', resource: `/queues/${q}/messages`, body: '<Message><MessageBody>eA==</MessageBody><UserProperties/></Message>' }, 501, 'NotImplemented'],
      ];
      for (const [request, status, code] of cases) {
        const res = await raw(request);
        expect({ request: `${request.method} ${request.resource}`, status: res.status, code: errorCode(res) }).toEqual({ request: `${request.method} ${request.resource}`, status, code });
        expect(res.headers.get('content-type')).toMatch(/^text\/xml/);
        expect(res.headers.get('x-mns-request-id')).toMatch(/^[0-9A-F]{24}$/);
      }
    });

    it('refuses unsigned, wrongly signed, stale and tokenless requests', async () => {
      const unsigned = await fetch(`${mns.endpoint}/queues`, { headers: { date: new Date().toUTCString(), 'x-mns-version': '2015-06-06' } });
      expect(unsigned.status).toBe(400);
      expect(await unsigned.text()).toContain('<Code>MissingAuthorizationHeader</Code>');
      // x-mns-date in place of Date (MNS's common parameters allow it; how it is signed is not documented): refused by name.
      const xDate = signedHeaders(LOCAL_CREDENTIALS, { method: 'GET', resource: '/queues', headers: { 'x-mns-date': new Date().toUTCString() } });
      delete xDate.date;
      const byXDate = await fetch(`${mns.endpoint}/queues`, { headers: xDate });
      const byXDateText = await byXDate.text();
      expect([byXDate.status, byXDateText]).toEqual([501, expect.stringContaining('<Code>NotImplemented</Code>')]);
      expect(byXDateText).toContain('x-mns-date');
      const cases: [RawRequest, number, string][] = [
        [{ method: 'GET', resource: '/queues', signWith: 'not-the-secret' }, 403, 'SignatureDoesNotMatch'],
        [{ method: 'GET', resource: '/queues', omitToken: true }, 403, 'AccessDenied'],
        [{ method: 'GET', resource: '/queues', date: new Date(clock.now() - 20 * 60 * 1000) }, 408, 'TimeExpired'],
        [{ method: 'GET', resource: '/queues', headers: { 'x-mns-version': '2013-01-01' } }, 400, 'InvalidVersionHeader'],
      ];
      for (const [request, status, code] of cases) {
        const res = await raw(request);
        expect([res.status, errorCode(res)]).toEqual([status, code]);
      }
      const stranger = await mnsRaw(mns.endpoint, { accessKeyId: 'LTAIunknown', accessKeySecret: 'x' }, { method: 'GET', resource: '/queues' });
      expect([stranger.status, errorCode(stranger)]).toEqual([403, 'InvalidAccessKeyId']);
      // The SDK surfaces the same answers as named errors.
      const wrong = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, ...LOCAL_CREDENTIALS, accessKeySecret: 'wrong' });
      await expect(wrong.listQueue()).rejects.toMatchObject({ name: 'MNSSignatureDoesNotMatchError' });
    });

    it('verifies Content-MD5 in the documented form and in the SDK form', async () => {
      const q = unique('md5');
      await sdk.createQueue(q);
      const ok = await raw({ method: 'POST', resource: `/queues/${q}/messages`, body: '<Message><MessageBody>eA==</MessageBody></Message>', contentMd5: true });
      expect(ok.status).toBe(201);
      const bad = await raw({ method: 'POST', resource: `/queues/${q}/messages`, body: '<Message><MessageBody>eA==</MessageBody></Message>', headers: { 'content-md5': 'AAAAAAAAAAAAAAAAAAAAAA==' } });
      expect([bad.status, errorCode(bad)]).toEqual([400, 'InvalidDegist']);
    });
  });
});
