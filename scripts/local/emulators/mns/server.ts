/**
 * HTTP front of the MNS emulator: reads the request, verifies the MNS signature, routes the XML REST API
 * (https://www.alibabacloud.com/help/en/mns/developer-reference/api-overview) and answers in MNS's shapes.
 * Every answer carries `x-mns-request-id` and `x-mns-version`; errors are MNS's `<Error>` document, also for HTTP
 * Node's parser refuses (`mnsClientErrorHandler`). A client that hangs up mid-request is an abort, not an error.
 */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { createClientErrorHandler, isClientAbort, type AbortInfo } from '../http-edge';
import { MnsError, mnsErrors } from './errors';
import { QUEUE_DEFAULTS, QUEUE_LIMITS, type DlqPolicy, type QueueAttributes, type QueueInfo, type QueueStore, type ReceivedMessage } from './queues';
import { PUSH_CERT_PATH } from './push-signing';
import { authenticate, type MnsCredentialLookup } from './signature';
import type { NotifyContentFormat, NotifyStrategy, SubscriptionInfo, TopicInfo, TopicStore } from './topics';
import { longPoll, type QueueWaiters } from './waiters';
import { checkMnsAccess } from './ram-actions';
import type { AccessControl } from '../../ram/access';
import { boolOf, intOf, isRecord, onlyElements, parseXmlBody, renderXml, textOf, type XmlElement, type XmlNode } from './xml';

export interface ServerDeps {
  queues: QueueStore;
  topics: TopicStore;
  waiters: QueueWaiters;
  clock: () => number;
  lookup: MnsCredentialLookup;
  /** RAM: a function's role key is held to its role's policies (D144); the account's key may do anything. */
  access?: AccessControl;
  /** `http://127.0.0.1:<port>`, for Location headers and queue/topic URLs. */
  endpoint: () => string;
  accountId: string;
  /** The certificate HTTP pushes are signed with (PEM), served unsigned at `PUSH_CERT_PATH`. */
  pushCertificate?: () => Promise<string>;
  onInternalError: (err: unknown) => void;
  /** A client hung up before its answer (not an error of the emulator). */
  onAbort: (info: AbortInfo) => void;
}

const newRequestId = () => randomBytes(12).toString('hex').toUpperCase();

function errorXml(e: MnsError, requestId: string, host: string): string {
  return renderXml('Error', [['Code', e.code], ['Message', e.message], ['RequestId', requestId], ['HostId', host]]);
}

/** The server's `clientError` listener: malformed HTTP gets MNS's `<Error>` document, not an empty 400. */
export function mnsClientErrorHandler(deps: Pick<ServerDeps, 'clock' | 'onAbort' | 'endpoint'>): (err: Error & { code?: string }, socket: Socket) => void {
  return createClientErrorHandler({
    newRequestId,
    onAbort: deps.onAbort,
    render: ({ requestId, status, message }) => {
      const error = status === 408 ? new MnsError(408, 'RequestTimeout', message) : new MnsError(status, status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidRequest', message);
      return {
        contentType: 'text/xml;charset=utf-8',
        body: errorXml(error, requestId, deps.endpoint().replace(/^https?:\/\//, '')),
        headers: { 'x-mns-request-id': requestId, 'x-mns-version': '2015-06-06', Date: new Date(deps.clock()).toUTCString() },
      };
    },
  });
}

/** Largest request body read (16 messages × 64 KB plus XML). */
const MAX_BODY_BYTES = 2 * 1024 * 1024;
const BATCH_LIMIT = 16;
const BATCH_BYTES = 64 * 1024;

interface Request {
  method: string;
  segments: string[];
  /** Query parameter names lower-cased → value. */
  query: Map<string, string>;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export function createRequestHandler(deps: ServerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => void handle(deps, req, res);
}

async function handle(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const requestId = newRequestId();
  res.setHeader('x-mns-request-id', requestId);
  res.setHeader('x-mns-version', '2015-06-06');
  res.setHeader('Date', new Date(deps.clock()).toUTCString());
  try {
    const body = await readBody(req);
    const resource = (req.url ?? '/').replace(/^https?:\/\/[^/]*/i, '') || '/';
    const method = (req.method ?? 'GET').toUpperCase();
    // What a push endpoint fetches to verify a push (push-signing.ts): public, as MNS's is.
    if (method === 'GET' && resource === PUSH_CERT_PATH && deps.pushCertificate) return void send(res, 200, await deps.pushCertificate(), { 'Content-Type': 'application/x-x509-ca-cert' });
    const request = parseTarget(method, resource, req.headers, body);
    // An OpenAPI client pointed here is signed its own way: name what it asked for before asking for our signature.
    const action = openApiAction(request);
    if (action) throw openApiRefusal(action);
    const accessKeyId = authenticate({ method, resource, headers: req.headers, body }, deps.clock(), deps.lookup);
    checkMnsAccess(deps.access, accessKeyId, request);
    const answer = await route(deps, request);
    send(res, answer.status, answer.body, answer.headers);
  } catch (err) {
    if (!(err instanceof MnsError) && isClientAbort(req, err)) {
      deps.onAbort({ requestId, method: req.method ?? '', url: req.url ?? '', reason: err instanceof Error ? err.message : String(err) });
      return void res.destroy();
    }
    if (res.headersSent) return void res.destroy();
    if (!(err instanceof MnsError)) deps.onInternalError(err);
    const e = err instanceof MnsError ? err : mnsErrors.internal();
    send(res, e.status, errorXml(e, requestId, req.headers.host ?? 'localhost'), req.complete ? {} : { Connection: 'close' });
  } finally {
    if (!req.complete) req.resume();
  }
}

function send(res: ServerResponse, status: number, body: string | undefined, headers: Record<string, string> = {}): void {
  if (body === undefined) {
    res.writeHead(status, { ...headers, 'Content-Length': 0 });
    res.end();
    return;
  }
  const bytes = Buffer.from(body);
  res.writeHead(status, { 'Content-Type': 'text/xml;charset=utf-8', ...headers, 'Content-Length': bytes.length });
  res.end(bytes);
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw mnsErrors.invalidArgument(`The request body is larger than ${MAX_BODY_BYTES} bytes.`);
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function parseTarget(method: string, resource: string, headers: IncomingMessage['headers'], body: Buffer): Request {
  const q = resource.indexOf('?');
  const path = q >= 0 ? resource.slice(0, q) : resource;
  const query = new Map<string, string>();
  if (q >= 0) {
    for (const pair of resource.slice(q + 1).split('&')) {
      if (!pair) continue;
      const eq = pair.indexOf('=');
      // `+` stays a plus: @alicloud/mns puts receipt handles in the query unencoded.
      query.set(decode(eq >= 0 ? pair.slice(0, eq) : pair).toLowerCase(), decode(eq >= 0 ? pair.slice(eq + 1) : ''));
    }
  }
  const segments = path.split('/').slice(1).filter((s, i, all) => s !== '' || i < all.length - 1).map(decode);
  return { method, segments, query, headers, body };
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw mnsErrors.invalidRequestUrl(text);
  }
}

/**
 * The action of an MNS OpenAPI call (RPC style: `?Action=…`, or the Tea SDKs' `x-acs-action` header) — tags,
 * the console's queue and topic calls. They belong to `mns-open.<region>.aliyuncs.com`, not this XML API.
 */
function openApiAction(r: Request): string | undefined {
  if (r.segments.length > 0) return undefined;
  const header = r.headers['x-acs-action'];
  return r.query.get('action') ?? (Array.isArray(header) ? header[0] : header);
}

const openApiRefusal = (action: string) => mnsErrors.notImplemented(`The MNS OpenAPI (${action}; RPC, served by mns-open.<region>.aliyuncs.com) — this emulator serves the MNS XML API`);

interface Answer {
  status: number;
  body?: string;
  headers?: Record<string, string>;
}

const ok = (status: number, body?: string, headers?: Record<string, string>): Answer => ({ status, ...(body !== undefined ? { body } : {}), ...(headers ? { headers } : {}) });

async function route(deps: ServerDeps, r: Request): Promise<Answer> {
  const [collection, name, sub, subName, ...rest] = r.segments;
  const path = `/${r.segments.join('/')}`;
  if (rest.length > 0) throw mnsErrors.invalidRequestUrl(path);
  if (collection === 'queues') {
    if (name === undefined) return only(r, 'GET', path, () => listQueues(deps, r));
    if (sub === undefined) return queueResource(deps, r, name, path);
    if (sub === 'messages' && subName === undefined) return messageResource(deps, r, name, path);
    throw mnsErrors.invalidRequestUrl(path);
  }
  if (collection === 'topics') {
    if (name === undefined) return only(r, 'GET', path, () => listTopics(deps, r));
    if (sub === undefined) return topicResource(deps, r, name, path);
    if (sub === 'messages' && subName === undefined) return only(r, 'POST', path, () => publish(deps, r, name));
    if (sub === 'subscriptions') {
      if (subName === undefined) return only(r, 'GET', path, () => listSubscriptions(deps, r, name));
      return subscriptionResource(deps, r, name, subName, path);
    }
    throw mnsErrors.invalidRequestUrl(path);
  }
  if (collection === '' || collection === undefined) {
    if (r.query.has('accountmeta')) throw mnsErrors.notImplemented('GetAccountAttributes / SetAccountAttributes (?accountmeta)');
    throw mnsErrors.invalidRequestUrl(path);
  }
  if (collection === 'commonbuy') throw mnsErrors.notImplemented('OpenService (/commonbuy/openservice)');
  throw mnsErrors.invalidRequestUrl(path);
}

function only(r: Request, method: string, path: string, run: () => Answer | Promise<Answer>): Answer | Promise<Answer> {
  if (r.method !== method) throw mnsErrors.methodNotAllowed(r.method, path);
  return run();
}

/** Query parameters an operation takes; any other one is InvalidQueryString. */
function allowQuery(r: Request, names: string[]): void {
  for (const key of r.query.keys()) if (!names.includes(key)) throw mnsErrors.invalidQueryString(key);
}

// ---------------------------------------------------------------- queues

function queueResource(deps: ServerDeps, r: Request, name: string, path: string): Answer {
  switch (r.method) {
    case 'PUT': {
      allowQuery(r, ['metaoverride']);
      const element = parseXmlBody(r.body.toString('utf8'), 'Queue');
      if (r.query.get('metaoverride') === 'true') {
        deps.queues.setQueueAttributes(name, (current) => queueAttributes(element, current));
        return ok(204);
      }
      const created = deps.queues.createQueue(name, queueAttributes(element, undefined));
      return ok(created ? 201 : 204, undefined, { Location: `${deps.endpoint()}/queues/${name}` });
    }
    case 'GET':
      allowQuery(r, []);
      return ok(200, renderXml('Queue', queueNodes(deps.queues.getQueue(name))));
    case 'DELETE':
      allowQuery(r, []);
      deps.queues.deleteQueue(name);
      return ok(204);
    default:
      throw mnsErrors.methodNotAllowed(r.method, path);
  }
}

const QUEUE_ELEMENTS = ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'VisibilityTimeout', 'PollingWaitSeconds', 'LoggingEnabled', 'DlqPolicy'] as const;

/** CreateQueue starts from the defaults; SetQueueAttributes changes only the elements given. */
export function queueAttributes(element: XmlElement, current: QueueAttributes | undefined): QueueAttributes {
  onlyElements(element, QUEUE_ELEMENTS, { TenantRateLimitPolicy: 'Queue rate limits (TenantRateLimitPolicy)' });
  const base = current ?? QUEUE_DEFAULTS;
  const range = (key: keyof typeof QUEUE_LIMITS, fallback: number, unit?: string) => intOf(element, key, QUEUE_LIMITS[key][0], QUEUE_LIMITS[key][1], fallback, unit);
  const dlq = element.DlqPolicy === undefined ? current?.dlqPolicy : dlqPolicy(element.DlqPolicy, true);
  return {
    delaySeconds: range('DelaySeconds', base.delaySeconds),
    maximumMessageSize: range('MaximumMessageSize', base.maximumMessageSize, 'bytes'),
    messageRetentionPeriod: range('MessageRetentionPeriod', base.messageRetentionPeriod),
    visibilityTimeout: range('VisibilityTimeout', base.visibilityTimeout),
    pollingWaitSeconds: range('PollingWaitSeconds', base.pollingWaitSeconds),
    loggingEnabled: boolOf(element, 'LoggingEnabled', base.loggingEnabled),
    ...(dlq ? { dlqPolicy: dlq } : {}),
  };
}

/** `<DlqPolicy><Enabled/><DeadLetterTargetQueue/><MaxReceiveCount/></DlqPolicy>`; undefined when not enabled. */
function dlqPolicy(value: unknown, withCount: boolean): DlqPolicy | undefined {
  const element: XmlElement = isRecord(value) ? value : {};
  if (!isRecord(value) && value !== '') throw mnsErrors.malformedXml('<DlqPolicy> must contain elements');
  onlyElements(element, withCount ? ['Enabled', 'DeadLetterTargetQueue', 'MaxReceiveCount'] : ['Enabled', 'DeadLetterTargetQueue']);
  if (!boolOf(element, 'Enabled', true)) return undefined;
  const target = textOf(element, 'DeadLetterTargetQueue');
  if (!target) throw mnsErrors.invalidArgument('DlqPolicy.DeadLetterTargetQueue is required when the dead-letter policy is enabled.');
  const [low, high] = QUEUE_LIMITS.MaxReceiveCount;
  return { deadLetterTargetQueue: target, maxReceiveCount: withCount ? intOf(element, 'MaxReceiveCount', low, high, 3, 'times') : 0 };
}

function queueNodes(q: QueueInfo): XmlNode[] {
  return [
    ['QueueName', q.name],
    ['CreateTime', q.createTime],
    ['LastModifyTime', q.lastModifyTime],
    ['DelaySeconds', q.delaySeconds],
    ['MaximumMessageSize', q.maximumMessageSize],
    ['MessageRetentionPeriod', q.messageRetentionPeriod],
    ['VisibilityTimeout', q.visibilityTimeout],
    ['PollingWaitSeconds', q.pollingWaitSeconds],
    ['ActiveMessages', q.activeMessages],
    ['InactiveMessages', q.inactiveMessages],
    ['DelayMessages', q.delayMessages],
    ['LoggingEnabled', q.loggingEnabled ? 'True' : 'False'],
    [
      'DlqPolicy',
      q.dlqPolicy
        ? [
            ['Enabled', 'true'],
            ['DeadLetterTargetQueue', q.dlqPolicy.deadLetterTargetQueue],
            ['MaxReceiveCount', q.dlqPolicy.maxReceiveCount],
          ]
        : undefined,
    ],
  ];
}

/** ListQueue / ListTopic / ListSubscriptionByTopic paging headers (`x-mns-prefix`, `x-mns-marker`, `x-mns-ret-number`). */
function paging(r: Request): { prefix: string; marker: string; limit: number; withMeta: boolean } {
  const h = (name: string) => {
    const v = r.headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const number = h('x-mns-ret-number');
  const limit = number === undefined ? 1000 : Number(number);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw mnsErrors.outOfRange('x-mns-ret-number', 1, 1000, '');
  return { prefix: h('x-mns-prefix') ?? '', marker: h('x-mns-marker') ?? '', limit, withMeta: h('x-mns-with-meta') === 'true' };
}

function listQueues(deps: ServerDeps, r: Request): Answer {
  allowQuery(r, []);
  const p = paging(r);
  const page = deps.queues.listQueues(p.prefix, p.marker, p.limit);
  const nodes: XmlNode[] = page.queues.map((q) => ['Queue', p.withMeta ? [['QueueURL', `${deps.endpoint()}/queues/${q.name}`], ...queueNodes(q)] : [['QueueURL', `${deps.endpoint()}/queues/${q.name}`]]]);
  if (page.next) nodes.push(['NextMarker', page.next]);
  return ok(200, renderXml('Queues', nodes));
}

// ---------------------------------------------------------------- messages

function rootOf(text: string): string | undefined {
  return /<([A-Za-z][\w.-]*)[\s>/]/.exec(text.replace(/<\?xml[^>]*\?>/, '').replace(/<!--[\s\S]*?-->/g, ''))?.[1];
}

async function messageResource(deps: ServerDeps, r: Request, queue: string, path: string): Promise<Answer> {
  switch (r.method) {
    case 'POST': {
      allowQuery(r, []);
      const text = r.body.toString('utf8');
      return rootOf(text) === 'Messages' ? batchSend(deps, queue, parseXmlBody(text, 'Messages')) : sendOne(deps, queue, parseXmlBody(text, 'Message'));
    }
    case 'GET':
      return receive(deps, r, queue);
    case 'DELETE': {
      if (r.query.has('receipthandle')) {
        allowQuery(r, ['receipthandle']);
        const handle = r.query.get('receipthandle')!;
        if (!handle) throw mnsErrors.missingReceiptHandle();
        deps.queues.delete(queue, handle);
        return ok(204);
      }
      allowQuery(r, []);
      return batchDelete(deps, queue, parseXmlBody(r.body.toString('utf8'), 'ReceiptHandles'));
    }
    case 'PUT': {
      allowQuery(r, ['receipthandle', 'visibilitytimeout']);
      const handle = r.query.get('receipthandle');
      if (!handle) throw mnsErrors.missingReceiptHandle();
      const seconds = r.query.get('visibilitytimeout');
      if (seconds === undefined || seconds === '') throw mnsErrors.missingVisibilityTimeout();
      const value = Number(seconds);
      if (!Number.isInteger(value) || value < 1 || value > 43200) throw mnsErrors.outOfRange('VisibilityTimeout', 1, 43200);
      const changed = deps.queues.changeVisibility(queue, handle, value);
      return ok(200, renderXml('ChangeVisibility', [['ReceiptHandle', changed.receiptHandle], ['NextVisibleTime', changed.nextVisibleTime]]));
    }
    default:
      throw mnsErrors.methodNotAllowed(r.method, path);
  }
}

const MESSAGE_NOT_EMULATED = { UserProperties: 'Message user properties (UserProperties)', MessageGroupId: 'FIFO message groups (MessageGroupId)' };

function messageInput(element: XmlElement, where: string) {
  onlyElements(element, ['MessageBody', 'DelaySeconds', 'Priority'], MESSAGE_NOT_EMULATED);
  const body = textOf(element, 'MessageBody');
  if (body === undefined) throw mnsErrors.invalidArgument(`${where}: MessageBody is required.`);
  const delay = textOf(element, 'DelaySeconds') === undefined ? undefined : intOf(element, 'DelaySeconds', 0, 604800, 0);
  const priority = textOf(element, 'Priority') === undefined ? undefined : intOf(element, 'Priority', 1, 16, 8, '');
  return { body, ...(delay !== undefined ? { delaySeconds: delay } : {}), ...(priority !== undefined ? { priority } : {}) };
}

function sendOne(deps: ServerDeps, queue: string, element: XmlElement): Answer {
  const [sent] = deps.queues.send(queue, [messageInput(element, 'Message')]);
  return ok(201, renderXml('Message', [['MessageId', sent!.messageId], ['MessageBodyMD5', sent!.bodyMd5]]));
}

function batchSend(deps: ServerDeps, queue: string, element: XmlElement): Answer {
  onlyElements(element, ['Message']);
  const list = (element.Message ?? []) as unknown[];
  if (list.length < 1 || list.length > BATCH_LIMIT) throw mnsErrors.invalidArgument(`BatchSendMessage takes 1 to ${BATCH_LIMIT} messages, got ${list.length}.`);
  const inputs = list.map((m, i) => messageInput(isRecord(m) ? m : {}, `Message[${i + 1}]`));
  const total = inputs.reduce((n, m) => n + Buffer.byteLength(m.body), 0);
  if (total > BATCH_BYTES) throw mnsErrors.invalidArgument(`The message bodies of a BatchSendMessage add up to ${total} bytes, more than ${BATCH_BYTES}.`);
  const sent = deps.queues.send(queue, inputs);
  return ok(201, renderXml('Messages', sent.map((m) => ['Message', [['MessageId', m.messageId], ['MessageBodyMD5', m.bodyMd5]]])));
}

async function receive(deps: ServerDeps, r: Request, queue: string): Promise<Answer> {
  allowQuery(r, ['waitseconds', 'numofmessages', 'peekonly']);
  const count = r.query.get('numofmessages');
  const batch = count !== undefined;
  const max = batch ? Number(count) : 1;
  if (!Number.isInteger(max) || max < 1 || max > BATCH_LIMIT) throw mnsErrors.outOfRange('numOfMessages', 1, BATCH_LIMIT, '');
  if (r.query.get('peekonly') === 'true') {
    const peeked = deps.queues.peek(queue, max);
    if (peeked.length === 0) throw mnsErrors.messageNotExist();
    const nodes = (m: (typeof peeked)[number]): XmlNode[] => [
      ['MessageId', m.messageId],
      ['MessageBody', m.body],
      ['MessageBodyMD5', m.bodyMd5],
      ['EnqueueTime', m.enqueueTime],
      ['FirstDequeueTime', m.firstDequeueTime],
      ['DequeueCount', m.dequeueCount],
      ['Priority', m.priority],
    ];
    return ok(200, batch ? renderXml('Messages', peeked.map((m) => ['Message', nodes(m)])) : renderXml('Message', nodes(peeked[0]!)));
  }
  const waitText = r.query.get('waitseconds');
  const wait = waitText === undefined || waitText === '' ? deps.queues.attributes(queue).pollingWaitSeconds : Number(waitText);
  if (!Number.isInteger(wait) || wait < 0 || wait > 30) throw mnsErrors.outOfRange('waitseconds', 0, 30);
  const got = await longPoll(deps.waiters, queue, wait * 1000, () => deps.queues.receive(queue, max), () => deps.queues.msUntilNextVisible(queue));
  if (got.length === 0) throw mnsErrors.messageNotExist();
  return ok(200, batch ? renderXml('Messages', got.map((m) => ['Message', receivedNodes(m)])) : renderXml('Message', receivedNodes(got[0]!)));
}

function receivedNodes(m: ReceivedMessage): XmlNode[] {
  return [
    ['MessageId', m.messageId],
    ['ReceiptHandle', m.receiptHandle],
    ['MessageBody', m.body],
    ['MessageBodyMD5', m.bodyMd5],
    ['EnqueueTime', m.enqueueTime],
    ['NextVisibleTime', m.nextVisibleTime],
    ['FirstDequeueTime', m.firstDequeueTime],
    ['DequeueCount', m.dequeueCount],
    ['Priority', m.priority],
  ];
}

function batchDelete(deps: ServerDeps, queue: string, element: XmlElement): Answer {
  onlyElements(element, ['ReceiptHandle']);
  const handles = ((element.ReceiptHandle ?? []) as unknown[]).map((h) => (typeof h === 'string' ? h : ''));
  if (handles.length < 1 || handles.length > BATCH_LIMIT) throw mnsErrors.invalidArgument(`BatchDeleteMessage takes 1 to ${BATCH_LIMIT} receipt handles, got ${handles.length}.`);
  const failed = deps.queues.deleteBatch(queue, handles);
  if (failed.length === 0) return ok(204);
  // MNS answers a partial failure with the failed handles only, as 404.
  return ok(404, renderXml('Errors', failed.map((f) => ['Error', [['ErrorCode', f.code], ['ErrorMessage', f.message], ['ReceiptHandle', f.receiptHandle]]])));
}

// ---------------------------------------------------------------- topics

function topicResource(deps: ServerDeps, r: Request, name: string, path: string): Answer {
  switch (r.method) {
    case 'PUT': {
      allowQuery(r, ['metaoverride']);
      const element = parseXmlBody(r.body.toString('utf8'), 'Topic');
      onlyElements(element, ['MaximumMessageSize', 'LoggingEnabled']);
      const attributes = (current: { maximumMessageSize: number; loggingEnabled: boolean }) => ({
        maximumMessageSize: intOf(element, 'MaximumMessageSize', 1024, 65536, current.maximumMessageSize, 'bytes'),
        loggingEnabled: boolOf(element, 'LoggingEnabled', current.loggingEnabled),
      });
      if (r.query.get('metaoverride') === 'true') {
        deps.topics.setTopicAttributes(name, attributes);
        return ok(204);
      }
      const created = deps.topics.createTopic(name, attributes({ maximumMessageSize: 65536, loggingEnabled: false }));
      return ok(created ? 201 : 204, undefined, { Location: `${deps.endpoint()}/topics/${name}` });
    }
    case 'GET':
      allowQuery(r, []);
      return ok(200, renderXml('Topic', topicNodes(deps.topics.getTopic(name))));
    case 'DELETE':
      allowQuery(r, []);
      deps.topics.deleteTopic(name);
      return ok(204);
    default:
      throw mnsErrors.methodNotAllowed(r.method, path);
  }
}

function topicNodes(t: TopicInfo): XmlNode[] {
  return [
    ['TopicName', t.name],
    ['CreateTime', t.createTime],
    ['LastModifyTime', t.lastModifyTime],
    ['MaximumMessageSize', t.maximumMessageSize],
    ['MessageRetentionPeriod', t.messageRetentionPeriod],
    ['MessageCount', t.messageCount],
    ['LoggingEnabled', t.loggingEnabled ? 'True' : 'False'],
  ];
}

function listTopics(deps: ServerDeps, r: Request): Answer {
  allowQuery(r, []);
  const p = paging(r);
  const page = deps.topics.listTopics(p.prefix, p.marker, p.limit);
  const url = (t: TopicInfo) => `${deps.endpoint()}/topics/${t.name}`;
  const nodes: XmlNode[] = page.topics.map((t) => ['Topic', p.withMeta ? [['TopicURL', url(t)], ...topicNodes(t)] : [['TopicURL', url(t)]]]);
  if (page.next) nodes.push(['NextMarker', page.next]);
  return ok(200, renderXml('Topics', nodes));
}

function publish(deps: ServerDeps, r: Request, topic: string): Answer {
  allowQuery(r, []);
  const element = parseXmlBody(r.body.toString('utf8'), 'Message');
  onlyElements(element, ['MessageBody', 'MessageTag', 'MessageAttributes'], MESSAGE_NOT_EMULATED);
  const body = textOf(element, 'MessageBody');
  if (body === undefined) throw mnsErrors.invalidArgument('MessageBody is required.');
  const tag = textOf(element, 'MessageTag');
  const attributes = messageAttributes(element.MessageAttributes);
  const published = deps.topics.publish(topic, { body, ...(tag ? { tag } : {}), ...(attributes ? { attributes } : {}) });
  return ok(201, renderXml('Message', [['MessageId', published.messageId], ['MessageBodyMD5', published.bodyMd5]]));
}

/** `<MessageAttributes><Name>value</Name>…</MessageAttributes>`: leaf elements, delivered to FC triggers as `attrs`. */
function messageAttributes(value: unknown): Record<string, string> | undefined {
  if (value === undefined || value === '') return undefined;
  if (!isRecord(value)) throw mnsErrors.malformedXml('<MessageAttributes> must contain elements');
  const out: Record<string, string> = {};
  for (const name of Object.keys(value)) {
    const text = textOf(value, name);
    if (text === undefined) continue;
    out[name] = text;
  }
  return out;
}

// ---------------------------------------------------------------- subscriptions

const STRATEGIES: NotifyStrategy[] = ['BACKOFF_RETRY', 'EXPONENTIAL_DECAY_RETRY'];
const FORMATS: NotifyContentFormat[] = ['XML', 'JSON', 'SIMPLIFIED', 'STREAM'];

function subscriptionResource(deps: ServerDeps, r: Request, topic: string, name: string, path: string): Answer {
  switch (r.method) {
    case 'PUT': {
      allowQuery(r, ['metaoverride']);
      const element = parseXmlBody(r.body.toString('utf8'), 'Subscription');
      if (r.query.get('metaoverride') === 'true') {
        onlyElements(element, ['NotifyStrategy']);
        const strategy = enumOf(element, 'NotifyStrategy', STRATEGIES);
        if (!strategy) throw mnsErrors.invalidArgument('NotifyStrategy is required.');
        deps.topics.setSubscriptionStrategy(topic, name, strategy);
        return ok(204);
      }
      onlyElements(element, ['Endpoint', 'FilterTag', 'NotifyStrategy', 'NotifyContentFormat', 'DlqPolicy', 'PushType'], {
        StsRoleArn: 'Subscriptions assuming a RAM role (StsRoleArn)',
      });
      const endpoint = textOf(element, 'Endpoint');
      if (!endpoint) throw mnsErrors.invalidArgument('Endpoint is required.');
      const strategy = enumOf(element, 'NotifyStrategy', STRATEGIES);
      const format = enumOf(element, 'NotifyContentFormat', FORMATS);
      const filterTag = textOf(element, 'FilterTag');
      const dlq = element.DlqPolicy === undefined ? undefined : dlqPolicy(element.DlqPolicy, false);
      const created = deps.topics.subscribe(topic, name, {
        endpoint,
        ...(filterTag ? { filterTag } : {}),
        ...(strategy ? { notifyStrategy: strategy } : {}),
        ...(format ? { notifyContentFormat: format } : {}),
        ...(dlq ? { deadLetterQueue: dlq.deadLetterTargetQueue } : {}),
      });
      return ok(created ? 201 : 204, undefined, { Location: `${deps.endpoint()}/topics/${topic}/subscriptions/${name}` });
    }
    case 'GET':
      allowQuery(r, []);
      return ok(200, renderXml('Subscription', subscriptionNodes(deps.topics.getSubscription(topic, name), deps.accountId)));
    case 'DELETE':
      allowQuery(r, []);
      deps.topics.unsubscribe(topic, name);
      return ok(204);
    default:
      throw mnsErrors.methodNotAllowed(r.method, path);
  }
}

function enumOf<T extends string>(element: XmlElement, name: string, values: T[]): T | undefined {
  const text = textOf(element, name);
  if (text === undefined || text === '') return undefined;
  const value = text.trim().toUpperCase() as T;
  if (!values.includes(value)) throw mnsErrors.invalidArgument(`${name} must be one of ${values.join(', ')}, got "${text}".`);
  return value;
}

function subscriptionNodes(s: SubscriptionInfo, accountId: string): XmlNode[] {
  return [
    ['SubscriptionName', s.name],
    ['Subscriber', accountId],
    ['TopicOwner', accountId],
    ['TopicName', s.topic],
    ['Endpoint', s.endpoint],
    ['NotifyStrategy', s.notifyStrategy],
    ['NotifyContentFormat', s.notifyContentFormat],
    ['FilterTag', s.filterTag],
    ['CreateTime', s.createTime],
    ['LastModifyTime', s.lastModifyTime],
    ['DlqPolicy', s.deadLetterQueue ? [['Enabled', 'true'], ['DeadLetterTargetQueue', s.deadLetterQueue]] : undefined],
  ];
}

function listSubscriptions(deps: ServerDeps, r: Request, topic: string): Answer {
  allowQuery(r, []);
  const p = paging(r);
  const page = deps.topics.listSubscriptions(topic, p.prefix, p.marker, p.limit);
  const url = (s: SubscriptionInfo) => `${deps.endpoint()}/topics/${topic}/subscriptions/${s.name}`;
  const nodes: XmlNode[] = page.subscriptions.map((s) => ['Subscription', p.withMeta ? [['SubscriptionURL', url(s)], ...subscriptionNodes(s, deps.accountId)] : [['SubscriptionURL', url(s)]]]);
  if (page.next) nodes.push(['NextMarker', page.next]);
  return ok(200, renderXml('Subscriptions', nodes));
}
