/**
 * Every public method of the installed `@alicloud/mns` client, one row each: how a user calls it against the
 * local MNS and what MNS answers — the operation's own result, or MNS's `<Error>` XML naming what the emulator
 * does not emulate. The SDK's empty stubs (`deleteTopic`, `subscribe`, …) send nothing, so their rows reach the
 * operation the way a user's own script has to: a request signed by hand (`mns-raw.ts`). A few more rows cover
 * MNS operations the SDK has no method for. `test/integration/mns-sdk-methods.test.ts` runs the table; a method
 * the SDK adds later fails its completeness check until it has a row.
 */
import { createHash } from 'node:crypto';
import type MNS from '@alicloud/mns';
import { errorCode, mnsRaw, parseMnsXml, type RawRequest, type RawResponse } from './mns-raw';
import { rowExpectations, type RowExpected, type SdkMethodRow } from './row-outcome';

export interface MnsMethodEnv {
  /** `new MNS(accountId, { endpoint, accessKeyId, accessKeySecret, securityToken })`: the defaults otherwise. */
  sdk: MNS;
  /** A request signed the way a user's script signs it (a refused row's `<Error>` answer is checked like the SDK's error). */
  raw(request: RawRequest): Promise<RawResponse>;
  /** A name no other row uses. */
  name(label: string): string;
  /** Creates a queue (default attributes unless given) and returns its name. */
  queue(label: string, attributes?: MNS.XmlParams): Promise<string>;
  topic(label: string): Promise<string>;
  /** `acs:mns:<region>:<account>:queues/<name>`, the subscription endpoint of a queue. */
  queueEndpoint(queue: string): string;
  endpoint: string;
}

/**
 * The env both method tables run with: the SDK with default options, names unique per `prefix` and call, queues
 * created without long polling (rows that want it pass `PollingWaitSeconds`).
 */
export function mnsMethodEnv(options: {
  sdk: MNS;
  endpoint: string;
  credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string };
  region: string;
  accountId: string;
  prefix: string;
}): MnsMethodEnv {
  const { sdk, endpoint, credentials, region, accountId, prefix } = options;
  let seq = 0;
  const unique = (label: string) => `${prefix}${label}-${Date.now().toString(36)}-${++seq}`;
  return {
    sdk,
    raw: (request) => mnsRaw(endpoint, credentials, request),
    name: unique,
    queue: async (label, attributes) => {
      const name = unique(label);
      await sdk.createQueue(name, { PollingWaitSeconds: 0, ...attributes });
      return name;
    },
    topic: async (label) => {
      const name = unique(label);
      await sdk.createTopic(name);
      return name;
    },
    queueEndpoint: (queue) => `acs:mns:${region}:${accountId}:queues/${queue}`,
    endpoint,
  };
}

export type MnsExpected = RowExpected<MnsMethodEnv>;
export type MnsMethodRow = SdkMethodRow<MnsMethodEnv>;

// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Loose = any;

const { ok, refused } = rowExpectations<MnsMethodEnv>();
const notImplemented = (names: RegExp) => refused(501, 'NotImplemented', names);

/** Fails the row with what came back unless `condition` holds. */
function must(condition: boolean, what: string, got: unknown): void {
  if (!condition) throw new Error(`${what}; got ${typeof got === 'string' ? got : JSON.stringify(got)}`);
}

const b64 = (text: string) => Buffer.from(text).toString('base64');
const md5Hex = (text: string) => createHash('md5').update(text).digest('hex').toUpperCase();
const xml = (root: string, fields: Record<string, string>) =>
  `<?xml version="1.0" encoding="UTF-8"?><${root} xmlns="http://mns.aliyuncs.com/doc/v1/">${Object.entries(fields)
    .map(([k, v]) => `<${k}>${v}</${k}>`)
    .join('')}</${root}>`;

/** What a stub of the SDK does: nothing, synchronously. A later SDK that implements it fails this row. */
function stubSendsNothing(env: MnsMethodEnv, method: keyof MNS): void {
  const result = (env.sdk[method] as (...args: unknown[]) => unknown)('any', 'args');
  must(result === undefined, `@alicloud/mns ${String(method)} is an empty stub (give it a real row when it is not)`, result);
}

/**
 * An MNS OpenAPI (RPC) call as `@alicloud/mns20220119` or a POP client sends it — to the data-plane endpoint by
 * mistake: its parameters in the query, signed the RPC way, no `Authorization: MNS …` header.
 */
async function openApiCall(env: MnsMethodEnv, action: string): Promise<RawResponse> {
  const query = new URLSearchParams({ Action: action, Version: '2022-01-19', Format: 'JSON', AccessKeyId: 'LTAI-any', SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: String(Math.random()), Timestamp: new Date().toISOString(), Signature: 'x' });
  const res = await fetch(`${env.endpoint}/?${query}`);
  const text = await res.text();
  return { status: res.status, headers: res.headers, text, xml: text.startsWith('<') ? parseMnsXml(text) : undefined };
}

/** Methods that send no request of their own: the transport the others use, and internals. */
export const MNS_LOCAL_ONLY_METHODS: Record<string, string> = {
  request: 'the transport every other method uses (its errors are every row’s errors)',
  get: 'the transport (GET)',
  put: 'the transport (PUT)',
  post: 'the transport (POST)',
  delete: 'the transport (DELETE)',
  sign: 'computes the MNS V1 signature the emulator verifies on every row',
  buildHeaders: 'computes the headers the emulator verifies on every row',
  refreshSTS: 'calls the user’s refreshSTSToken callback before a request; sends nothing to MNS',
};

export const MNS_METHOD_ROWS: MnsMethodRow[] = [
  // ---- queues ----
  {
    method: 'createQueue',
    call: async (e) => {
      const name = e.name('cq');
      const created = await e.sdk.createQueue(name, { DelaySeconds: 0, VisibilityTimeout: 45, PollingWaitSeconds: 0, MaximumMessageSize: 2048, MessageRetentionPeriod: 3600, LoggingEnabled: 'False' });
      const again = await e.sdk.createQueue(name, { DelaySeconds: 0, VisibilityTimeout: 45, PollingWaitSeconds: 0, MaximumMessageSize: 2048, MessageRetentionPeriod: 3600, LoggingEnabled: 'False' });
      const other = await e.sdk.createQueue(name, { VisibilityTimeout: 46 }).catch((err: Error) => err);
      return { created, again, other, name };
    },
    expected: ok((r, e) =>
      must(
        r.created.code === 201 && r.created.headers.location === `${e.endpoint}/queues/${r.name}` && r.again.code === 204 && r.other.name === 'MNSQueueAlreadyExistError',
        '201 with Location, 204 for the same attributes, QueueAlreadyExist for others',
        { created: r.created, again: r.again.code, other: r.other.name },
      ),
    ),
  },
  { method: 'createQueue (a bad name)', call: (e) => e.sdk.createQueue('-starts-with-a-dash'), expected: refused(400, 'InvalidQueueName', /-starts-with-a-dash/) },
  { method: 'createQueue (a rate limit policy)', call: (e) => e.sdk.createQueue(e.name('rl'), { TenantRateLimitPolicy: { Enabled: 'true', MaxReceivesPerSecond: 10 } }), expected: notImplemented(/TenantRateLimitPolicy/) },
  {
    method: 'deleteQueue',
    call: async (e) => {
      const name = await e.queue('dq');
      const deleted = await e.sdk.deleteQueue(name);
      const after = await e.sdk.getQueueAttributes(name).catch((err: Error) => err);
      return { deleted, after };
    },
    expected: ok((r) => must(r.deleted.code === 204 && r.after.name === 'MNSQueueNotExistError', '204, then QueueNotExist', { deleted: r.deleted.code, after: r.after.name })),
  },
  {
    method: 'listQueue',
    call: async (e) => {
      const prefix = e.name('lq');
      for (const suffix of ['a', 'b', 'c']) await e.sdk.createQueue(`${prefix}-${suffix}`);
      const first = await e.sdk.listQueue('', 2, prefix);
      const next = await e.raw({ method: 'GET', resource: '/queues', headers: { 'x-mns-prefix': prefix, 'x-mns-ret-number': '2' } });
      const marker = (next.xml?.Queues as { NextMarker?: string }).NextMarker ?? '';
      const second = await e.sdk.listQueue(marker, 2, prefix);
      const all = await e.sdk.listQueue();
      return { first, second, all, prefix };
    },
    expected: ok((r, e) => {
      const urls = (page: Loose) => (page.body as { QueueURL: string }[]).map((q) => q.QueueURL);
      must(JSON.stringify(urls(r.first)) === JSON.stringify([`${e.endpoint}/queues/${r.prefix}-a`, `${e.endpoint}/queues/${r.prefix}-b`]), 'the first page of two', urls(r.first));
      must(JSON.stringify(urls(r.second)) === JSON.stringify([`${e.endpoint}/queues/${r.prefix}-c`]), 'the page after the marker', urls(r.second));
      must(urls(r.all).includes(`${e.endpoint}/queues/${r.prefix}-c`), 'listQueue() lists every queue', urls(r.all).length);
    }),
  },
  {
    method: 'getQueueAttributes',
    call: async (e) => e.sdk.getQueueAttributes(await e.queue('ga', { VisibilityTimeout: 12, DelaySeconds: 1 })),
    expected: ok((r) =>
      must(
        r.body.VisibilityTimeout === '12' && r.body.DelaySeconds === '1' && r.body.MaximumMessageSize === '65536' && r.body.MessageRetentionPeriod === '345600' && r.body.ActiveMessages === '0' && /^\d+$/.test(r.body.CreateTime),
        'the attributes as MNS names them',
        r.body,
      ),
    ),
  },
  { method: 'getQueueAttributes (a missing queue)', call: (e) => e.sdk.getQueueAttributes(e.name('none')), expected: refused(404, 'QueueNotExist', /none/) },
  {
    method: 'setQueueAttributes',
    call: async (e) => {
      const name = await e.queue('sa', { PollingWaitSeconds: 2 });
      const dlq = await e.queue('sa-dlq');
      const set = await e.sdk.setQueueAttributes(name, { VisibilityTimeout: 40, DlqPolicy: { Enabled: 'true', DeadLetterTargetQueue: dlq, MaxReceiveCount: 4 } });
      return { set, attrs: (await e.sdk.getQueueAttributes(name)).body, dlq };
    },
    expected: ok((r) =>
      must(
        r.set.code === 204 && r.attrs.VisibilityTimeout === '40' && r.attrs.PollingWaitSeconds === '2' && r.attrs.DlqPolicy?.[0]?.DeadLetterTargetQueue === r.dlq && r.attrs.DlqPolicy?.[0]?.MaxReceiveCount === '4',
        'only the given attributes change; the dead-letter policy reads back',
        r.attrs,
      ),
    ),
  },
  { method: 'setQueueAttributes (out of range)', call: async (e) => e.sdk.setQueueAttributes(await e.queue('sr'), { VisibilityTimeout: 0 }), expected: refused(400, 'InvalidArgument', /VisibilityTimeout/) },

  // ---- messages ----
  {
    method: 'sendMessage',
    call: async (e) => {
      const queue = await e.queue('sm');
      const sent = await e.sdk.sendMessage(queue, { MessageBody: b64('hello'), Priority: 3 });
      return { sent, got: await e.sdk.receiveMessage(queue) };
    },
    expected: ok((r) =>
      must(
        r.sent.code === 201 && r.sent.body.MessageBodyMD5 === md5Hex(b64('hello')) && r.got.body.MessageId === r.sent.body.MessageId && r.got.body.MessageBody === b64('hello') && r.got.body.Priority === '3',
        '201 with the id and body MD5; the message arrives as sent',
        { sent: r.sent.body, got: r.got.body },
      ),
    ),
  },
  { method: 'sendMessage (a missing queue)', call: (e) => e.sdk.sendMessage(e.name('gone'), { MessageBody: 'x' }), expected: refused(404, 'QueueNotExist', /gone/) },
  {
    method: 'sendMessage (delayed)',
    call: async (e) => {
      const queue = await e.queue('sd');
      await e.sdk.sendMessage(queue, { MessageBody: 'later', DelaySeconds: 600 });
      return { attrs: (await e.sdk.getQueueAttributes(queue)).body, receive: await e.sdk.receiveMessage(queue).catch((err: Error) => err) };
    },
    expected: ok((r) => must(r.attrs.DelayMessages === '1' && r.receive.name === 'MNSMessageNotExistError', 'a delayed message is counted and not received', { attrs: r.attrs, receive: r.receive.name })),
  },
  {
    // @alicloud/mns puts the body into the XML as it is (no escaping): text that is not XML 1.0 — an HTML entity, a
    // name no DTD declares, a control character raw or as a reference — is MalformedXML at MNS, whose parser is an
    // XML parser. Taken here, it arrived changed (`&nbsp;` as U+00A0) or as a body MNS never stores.
    method: 'sendMessage (text that is not XML: HTML entities, control characters)',
    call: async (e) => {
      const queue = await e.queue('nx');
      const bodies = ['a&nbsp;b', '&copy;', '&unknown;', '\u0001', 'nul\u0000', '\uFFFE', '&#1;', '&#x0;'];
      const answers = await Promise.all(bodies.map((b) => e.sdk.sendMessage(queue, { MessageBody: b }).then(() => 'stored', (err: Error) => err.name)));
      // References to characters XML allows still are text, decoded: a carriage return and an emoji.
      const allowed = await e.sdk.sendMessage(queue, { MessageBody: '&#13;&#x1F600;&amp;' }).then(() => e.sdk.receiveMessage(queue));
      return { answers, attrs: (await e.sdk.getQueueAttributes(queue)).body, allowed: allowed.body.MessageBody };
    },
    expected: ok((r) => {
      must(r.answers.every((a: string) => a === 'MNSMalformedXMLError'), 'every body that is not XML is MalformedXML', r.answers);
      must(r.attrs.ActiveMessages === '0' && r.attrs.InactiveMessages === '1', 'nothing of them was stored', r.attrs);
      must(r.allowed === '\r\u{1F600}&', 'character references XML allows are decoded', r.allowed);
    }),
  },
  {
    method: 'sendMessage (user properties)',
    call: async (e) => e.raw({ method: 'POST', resource: `/queues/${await e.queue('up')}/messages`, body: xml('Message', { MessageBody: 'eA==', UserProperties: '<PropertyValue><Name>k</Name><Value>v</Value></PropertyValue>' }) }),
    expected: notImplemented(/UserProperties/),
  },
  {
    method: 'batchSendMessage',
    call: async (e) => {
      const queue = await e.queue('bs');
      const sent = await e.sdk.batchSendMessage(queue, [{ MessageBody: b64('one') }, { MessageBody: b64('two'), Priority: 1 }]);
      return { sent, got: await e.sdk.batchReceiveMessage(queue, 16) };
    },
    expected: ok((r) => {
      must(r.sent.code === 201 && r.sent.body.length === 2 && r.sent.body.every((m: Loose) => /\S/.test(m.MessageId)), '201 with one id per message', r.sent.body);
      must(JSON.stringify(r.got.body.map((m: Loose) => m.MessageBody).sort()) === JSON.stringify([b64('one'), b64('two')]), 'both arrive', r.got.body);
    }),
  },
  {
    method: 'batchSendMessage (17 messages)',
    call: async (e) => e.sdk.batchSendMessage(await e.queue('b17'), Array.from({ length: 17 }, (_, i) => ({ MessageBody: String(i) }))),
    expected: refused(400, 'InvalidArgument', /BatchSendMessage takes 1 to 16/),
  },
  {
    method: 'receiveMessage',
    call: async (e) => {
      const queue = await e.queue('rm', { VisibilityTimeout: 30 });
      await e.sdk.sendMessage(queue, { MessageBody: 'r' });
      const got = await e.sdk.receiveMessage(queue, 1);
      const hidden = await e.sdk.receiveMessage(queue).catch((err: Error) => err);
      return { got, hidden };
    },
    expected: ok((r) =>
      must(
        r.got.body.DequeueCount === '1' && /\S/.test(r.got.body.ReceiptHandle) && Number(r.got.body.NextVisibleTime) > Number(r.got.body.FirstDequeueTime) && r.hidden.name === 'MNSMessageNotExistError',
        'a received message carries a handle and is hidden for the visibility timeout',
        { got: r.got.body, hidden: r.hidden.name },
      ),
    ),
  },
  { method: 'receiveMessage (an empty queue, long poll)', call: async (e) => e.sdk.receiveMessage(await e.queue('re'), 1), expected: refused(404, 'MessageNotExist', /Message not exist/) },
  {
    method: 'batchReceiveMessage',
    call: async (e) => {
      const queue = await e.queue('br');
      await e.sdk.batchSendMessage(queue, [{ MessageBody: 'a' }, { MessageBody: 'b' }, { MessageBody: 'c' }]);
      return e.sdk.batchReceiveMessage(queue, 2, 1);
    },
    expected: ok((r) => must(r.body.length === 2 && r.body.every((m: Loose) => m.DequeueCount === '1'), 'at most numOfMessages messages', r.body)),
  },
  { method: 'batchReceiveMessage (more than 16)', call: async (e) => e.sdk.batchReceiveMessage(await e.queue('b99'), 17), expected: refused(400, 'InvalidArgument', /numOfMessages/) },
  {
    method: 'peekMessage',
    call: async (e) => {
      const queue = await e.queue('pk');
      await e.sdk.sendMessage(queue, { MessageBody: 'p' });
      const peeked = await e.sdk.peekMessage(queue);
      return { peeked, received: await e.sdk.receiveMessage(queue) };
    },
    expected: ok((r) =>
      must(r.peeked.body.MessageBody === 'p' && r.peeked.body.ReceiptHandle === undefined && r.received.body.DequeueCount === '1', 'a peek returns no handle and leaves the message visible', { peeked: r.peeked.body, received: r.received.body }),
    ),
  },
  {
    method: 'batchPeekMessage',
    call: async (e) => {
      const queue = await e.queue('bp');
      await e.sdk.batchSendMessage(queue, [{ MessageBody: 'a' }, { MessageBody: 'b' }]);
      return e.sdk.batchPeekMessage(queue, 16);
    },
    expected: ok((r) => must(r.body.length === 2 && r.body.every((m: Loose) => m.DequeueCount === '0'), 'both, not dequeued', r.body)),
  },
  {
    method: 'deleteMessage',
    call: async (e) => {
      const queue = await e.queue('dm');
      await e.sdk.sendMessage(queue, { MessageBody: 'd' });
      const handle = (await e.sdk.receiveMessage(queue)).body.ReceiptHandle;
      const deleted = await e.sdk.deleteMessage(queue, handle);
      return { deleted, again: await e.sdk.deleteMessage(queue, handle).catch((err: Error) => err), attrs: (await e.sdk.getQueueAttributes(queue)).body };
    },
    expected: ok((r) =>
      must(
        r.deleted.code === 204 && r.again.name === 'MNSMessageNotExistError' && r.attrs.ActiveMessages === '0' && r.attrs.InactiveMessages === '0',
        '204, then the handle is stale',
        { deleted: r.deleted.code, again: r.again.name, attrs: r.attrs },
      ),
    ),
  },
  { method: 'deleteMessage (a handle that is not one)', call: async (e) => e.sdk.deleteMessage(await e.queue('dx'), 'nonsense'), expected: refused(400, 'ReceiptHandleError', /nonsense/) },
  {
    method: 'batchDeleteMessage',
    call: async (e) => {
      const queue = await e.queue('bd');
      await e.sdk.batchSendMessage(queue, [{ MessageBody: 'a' }, { MessageBody: 'b' }, { MessageBody: 'c' }]);
      const handles = (await e.sdk.batchReceiveMessage(queue, 16)).body.map((m) => m.ReceiptHandle);
      const all = await e.sdk.batchDeleteMessage(queue, handles.slice(0, 2));
      const partial = await e.sdk.batchDeleteMessage(queue, [handles[2]!, handles[0]!]);
      return { all, partial, stale: handles[0] };
    },
    expected: ok((r) =>
      must(
        r.all.code === 204 && r.all.body === undefined && r.partial.code === 404 && r.partial.body.length === 1 && r.partial.body[0].ReceiptHandle === r.stale && r.partial.body[0].ErrorCode === 'MessageNotExist',
        '204 when all are deleted; 404 <Errors> with only the failed handles',
        { all: r.all, partial: r.partial },
      ),
    ),
  },
  {
    method: 'changeMessageVisibility',
    call: async (e) => {
      const queue = await e.queue('cv');
      await e.sdk.sendMessage(queue, { MessageBody: 'v' });
      const handle = (await e.sdk.receiveMessage(queue)).body.ReceiptHandle;
      const changed = await e.sdk.changeMessageVisibility(queue, handle, 120);
      const old = await e.sdk.deleteMessage(queue, handle).catch((err: Error) => err);
      const fresh = await e.sdk.deleteMessage(queue, changed.body.ReceiptHandle);
      return { changed, old, fresh };
    },
    expected: ok((r) =>
      must(r.changed.code === 200 && /^\d+$/.test(r.changed.body.NextVisibleTime) && r.old.name === 'MNSMessageNotExistError' && r.fresh.code === 204, 'a new handle; the old one goes stale', { changed: r.changed.body, old: r.old.name }),
    ),
  },
  {
    method: 'changeMessageVisibility (out of range)',
    call: async (e) => {
      const queue = await e.queue('cr');
      await e.sdk.sendMessage(queue, { MessageBody: 'v' });
      return e.sdk.changeMessageVisibility(queue, (await e.sdk.receiveMessage(queue)).body.ReceiptHandle, 0);
    },
    expected: refused(400, 'InvalidArgument', /VisibilityTimeout/),
  },

  // ---- topics ----
  {
    method: 'createTopic',
    call: async (e) => {
      const name = e.name('ct');
      const created = await e.sdk.createTopic(name, { MaximumMessageSize: 1024 });
      return { created, again: await e.sdk.createTopic(name, { MaximumMessageSize: 1024 }), other: await e.sdk.createTopic(name, { MaximumMessageSize: 2048 }).catch((err: Error) => err), name };
    },
    expected: ok((r, e) =>
      must(
        r.created.code === 201 && r.created.headers.location === `${e.endpoint}/topics/${r.name}` && r.again.code === 204 && r.other.name === 'MNSTopicAlreadyExistError',
        '201 with Location, 204 for the same attributes, TopicAlreadyExist for others',
        { created: r.created, again: r.again.code, other: r.other.name },
      ),
    ),
  },
  {
    method: 'listTopic',
    call: async (e) => {
      const prefix = e.name('lt');
      for (const suffix of ['a', 'b', 'c']) await e.sdk.createTopic(`${prefix}-${suffix}`);
      return { page: await e.sdk.listTopic('', 2, prefix), prefix };
    },
    expected: ok((r, e) => {
      const urls = (r.page.body as { TopicURL: string }[]).map((t) => t.TopicURL);
      must(JSON.stringify(urls) === JSON.stringify([`${e.endpoint}/topics/${r.prefix}-a`, `${e.endpoint}/topics/${r.prefix}-b`]), 'the first page of two', urls);
    }),
  },
  {
    method: 'getTopicAttributes',
    call: async (e) => e.sdk.getTopicAttributes(await e.topic('gt')),
    expected: ok((r) => must(r.body.MaximumMessageSize === '65536' && r.body.MessageCount === '0' && r.body.LoggingEnabled === 'False', 'the attributes as MNS names them', r.body)),
  },
  { method: 'getTopicAttributes (a missing topic)', call: (e) => e.sdk.getTopicAttributes(e.name('nt')), expected: refused(404, 'TopicNotExist', /nt/) },
  {
    method: 'setTopicAttributes',
    call: async (e) => {
      const name = await e.topic('st');
      const set = await e.sdk.setTopicAttributes(name, { MaximumMessageSize: 4096, LoggingEnabled: 'True' });
      return { set, attrs: (await e.sdk.getTopicAttributes(name)).body };
    },
    expected: ok((r) => must(r.set.code === 204 && r.attrs.MaximumMessageSize === '4096' && r.attrs.LoggingEnabled === 'True', 'changed', r.attrs)),
  },
  {
    method: 'publishMessage',
    call: async (e) => {
      const topic = await e.topic('pm');
      const [all, hot] = [await e.queue('pm-all'), await e.queue('pm-hot')];
      await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/all`, body: xml('Subscription', { Endpoint: e.queueEndpoint(all), NotifyContentFormat: 'SIMPLIFIED' }) });
      await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/hot`, body: xml('Subscription', { Endpoint: e.queueEndpoint(hot), NotifyContentFormat: 'JSON', FilterTag: 'hot' }) });
      const sent = await e.sdk.publishMessage(topic, { MessageBody: b64('warm'), MessageTag: 'warm' });
      await e.sdk.publishMessage(topic, { MessageBody: b64('hot'), MessageTag: 'hot', MessageAttributes: { Extend: '{"k":"v"}' } });
      return { sent, all: (await e.sdk.batchReceiveMessage(all, 16, 1)).body, hot: (await e.sdk.batchReceiveMessage(hot, 16, 1)).body };
    },
    expected: ok((r) => {
      must(r.sent.code === 201 && r.sent.body.MessageBodyMD5 === md5Hex(b64('warm')), '201 with the id and MD5', r.sent.body);
      must(JSON.stringify(r.all.map((m: Loose) => m.MessageBody).sort()) === JSON.stringify([b64('hot'), b64('warm')]), 'the untagged subscription gets both', r.all);
      const hot = r.hot.map((m: Loose) => JSON.parse(m.MessageBody));
      must(hot.length === 1 && hot[0].MessageTag === 'hot' && hot[0].Message === b64('hot'), 'the FilterTag subscription gets the tagged one, as JSON', hot);
    }),
  },
  { method: 'publishMessage (a missing topic)', call: (e) => e.sdk.publishMessage(e.name('pt'), { MessageBody: 'x' }), expected: refused(404, 'TopicNotExist', /pt/) },

  // ---- the SDK's stubs: the operations through a signed request ----
  {
    method: 'deleteTopic (a stub: DeleteTopic signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'deleteTopic');
      const topic = await e.topic('dt');
      const deleted = await e.raw({ method: 'DELETE', resource: `/topics/${topic}` });
      return { deleted, after: await e.sdk.getTopicAttributes(topic).catch((err: Error) => err) };
    },
    expected: ok((r) => must(r.deleted.status === 204 && r.after.name === 'MNSTopicNotExistError', '204, then TopicNotExist', { deleted: r.deleted.status, after: r.after.name })),
  },
  {
    method: 'subscribe (a stub: Subscribe signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'subscribe');
      const [topic, queue] = [await e.topic('sb'), await e.queue('sb')];
      const body = xml('Subscription', { Endpoint: e.queueEndpoint(queue), NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY', NotifyContentFormat: 'XML', FilterTag: 'a' });
      const created = await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s`, body });
      const again = await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s`, body });
      return { created, again, topic };
    },
    expected: ok((r, e) =>
      must(r.created.status === 201 && r.created.headers.get('location') === `${e.endpoint}/topics/${r.topic}/subscriptions/s` && r.again.status === 204, '201 with Location, 204 for the same', {
        created: r.created.status,
        again: r.again.status,
      }),
    ),
  },
  {
    method: 'subscribe (a mail endpoint)',
    call: async (e) => e.raw({ method: 'PUT', resource: `/topics/${await e.topic('sm')}/subscriptions/mail`, body: xml('Subscription', { Endpoint: 'mail:directmail:someone@example.com' }) }),
    expected: notImplemented(/mail/i),
  },
  {
    method: 'subscribe (assuming a role)',
    call: async (e) =>
      e.raw({ method: 'PUT', resource: `/topics/${await e.topic('sr')}/subscriptions/r`, body: xml('Subscription', { Endpoint: e.queueEndpoint(await e.queue('sr')), StsRoleArn: 'acs:ram::1:role/x' }) }),
    expected: notImplemented(/StsRoleArn/),
  },
  {
    method: 'subscribe (a queue that does not exist yet)',
    call: async (e) => {
      // MNS accepts it: an endpoint that cannot take the message fails the push, which is retried by the
      // NotifyStrategy (the Subscribe API reference says so); a queue created before the retries end gets it.
      const [topic, queue] = [await e.topic('sq'), e.name('later')];
      const created = await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/later`, body: xml('Subscription', { Endpoint: e.queueEndpoint(queue) }) });
      await e.sdk.publishMessage(topic, { MessageBody: b64('waiting') });
      await e.sdk.createQueue(queue);
      return { created, got: await e.sdk.receiveMessage(queue, 30) };
    },
    expected: ok((r) => must(r.created.status === 201 && r.got.body.MessageBody.includes(b64('waiting')), 'accepted; the retried push reaches the queue once it exists', { created: r.created.status, got: r.got.body })),
  },
  {
    method: 'unsubscribe (a stub: Unsubscribe signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'unsubscribe');
      const [topic, queue] = [await e.topic('us'), await e.queue('us')];
      await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s`, body: xml('Subscription', { Endpoint: e.queueEndpoint(queue) }) });
      const deleted = await e.raw({ method: 'DELETE', resource: `/topics/${topic}/subscriptions/s` });
      return { deleted, after: await e.raw({ method: 'GET', resource: `/topics/${topic}/subscriptions/s` }) };
    },
    expected: ok((r) => must(r.deleted.status === 204 && errorCode(r.after) === 'SubscriptionNotExist', '204, then SubscriptionNotExist', { deleted: r.deleted.status, after: r.after.text })),
  },
  {
    method: 'listSubscriptionByTopic (a stub: ListSubscriptionByTopic signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'listSubscriptionByTopic');
      const [topic, queue] = [await e.topic('ls'), await e.queue('ls')];
      for (const name of ['a', 'b', 'c']) await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/${name}`, body: xml('Subscription', { Endpoint: e.queueEndpoint(queue) }) });
      return { page: await e.raw({ method: 'GET', resource: `/topics/${topic}/subscriptions`, headers: { 'x-mns-ret-number': '2', 'x-mns-with-meta': 'true' } }), topic };
    },
    expected: ok((r) => {
      const list = r.page.xml.Subscriptions as { Subscription: { SubscriptionName: string }[]; NextMarker?: string };
      must(JSON.stringify(list.Subscription.map((s) => s.SubscriptionName)) === '["a","b"]' && Boolean(list.NextMarker), 'a page of two with a marker', list);
    }),
  },
  {
    method: 'getSubscriptionAttributes (a stub: GetSubscriptionAttributes signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'getSubscriptionAttributes');
      const [topic, queue] = [await e.topic('gs'), await e.queue('gs')];
      await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s`, body: xml('Subscription', { Endpoint: e.queueEndpoint(queue), FilterTag: 't' }) });
      return { got: await e.raw({ method: 'GET', resource: `/topics/${topic}/subscriptions/s` }), topic, queue };
    },
    expected: ok((r, e) => {
      const s = (r.got.xml.Subscription as Record<string, string>[])[0]!;
      must(s.TopicName === r.topic && s.Endpoint === e.queueEndpoint(r.queue) && s.FilterTag === 't' && s.NotifyStrategy === 'BACKOFF_RETRY' && s.NotifyContentFormat === 'XML', 'the subscription with MNS defaults', s);
    }),
  },
  {
    method: 'setSubscriptionAttributes (a stub: SetSubscriptionAttributes signed by hand)',
    call: async (e) => {
      stubSendsNothing(e, 'setSubscriptionAttributes');
      const [topic, queue] = [await e.topic('ss'), await e.queue('ss')];
      await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s`, body: xml('Subscription', { Endpoint: e.queueEndpoint(queue) }) });
      const set = await e.raw({ method: 'PUT', resource: `/topics/${topic}/subscriptions/s?metaoverride=true`, body: xml('Subscription', { NotifyStrategy: 'EXPONENTIAL_DECAY_RETRY' }) });
      return { set, got: await e.raw({ method: 'GET', resource: `/topics/${topic}/subscriptions/s` }) };
    },
    expected: ok((r) => must(r.set.status === 204 && (r.got.xml.Subscription as Record<string, string>[])[0]!.NotifyStrategy === 'EXPONENTIAL_DECAY_RETRY', 'changed', r.got.text)),
  },
  {
    method: 'httpEndpoint (a stub: an HTTP subscription receives pushes)',
    call: async (e) => {
      stubSendsNothing(e, 'httpEndpoint');
      return e.raw({ method: 'PUT', resource: `/topics/${await e.topic('he')}/subscriptions/web`, body: xml('Subscription', { Endpoint: 'http://127.0.0.1:9/notify', NotifyContentFormat: 'SIMPLIFIED' }) });
    },
    expected: ok((r) => must(r.status === 201, 'an HTTP endpoint subscription is created (its pushes: mns-wire.test.ts)', r.text)),
  },

  // ---- MNS operations the SDK has no method for ----
  { method: 'GetAccountAttributes (no SDK method)', call: (e) => e.raw({ method: 'GET', resource: '/?accountmeta=true' }), expected: notImplemented(/GetAccountAttributes/) },
  {
    method: 'SetAccountAttributes (no SDK method)',
    call: (e) => e.raw({ method: 'PUT', resource: '/?accountmeta=true', body: xml('Account', { LoggingBucket: 'logs' }) }),
    expected: notImplemented(/SetAccountAttributes/),
  },
  { method: 'OpenService (no SDK method)', call: (e) => e.raw({ method: 'POST', resource: '/commonbuy/openservice' }), expected: notImplemented(/OpenService/) },
  {
    method: 'TagResources (the MNS OpenAPI, sent to the XML endpoint)',
    call: (e) => openApiCall(e, 'TagResources'),
    expected: notImplemented(/OpenAPI.*TagResources/),
  },
  {
    method: 'UntagResources (the MNS OpenAPI from a Tea SDK: x-acs-action)',
    call: async (e) => {
      const res = await fetch(`${e.endpoint}/`, { method: 'POST', headers: { 'x-acs-action': 'UntagResources', 'x-acs-version': '2022-01-19', authorization: 'ACS3-HMAC-SHA256 Credential=any,SignedHeaders=host,Signature=x' } });
      const text = await res.text();
      return { status: res.status, headers: res.headers, text, xml: parseMnsXml(text) };
    },
    expected: notImplemented(/OpenAPI.*UntagResources/),
  },
  {
    method: 'ListTagResources (the MNS OpenAPI, signed the MNS way)',
    call: (e) => e.raw({ method: 'GET', resource: '/?Action=ListTagResources&ResourceType=queue' }),
    expected: notImplemented(/OpenAPI.*ListTagResources/),
  },
];
