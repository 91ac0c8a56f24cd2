/**
 * Topics, subscriptions and PublishMessage fan-out, persisted beside the queues.
 *
 * A published message goes to every subscription whose FilterTag is empty or equals the MessageTag
 * (https://www.alibabacloud.com/help/en/mns/developer-reference/subscription). Queue endpoints receive the
 * notification in the same transaction as the publish (nothing is lost between the two); HTTP and Function
 * Compute endpoints get it through the push outbox (`pushes.ts`), retried by the subscription's NotifyStrategy.
 * Bodies follow NotifyContentFormat (https://www.alibabacloud.com/help/en/mns/notifycontentformat): XML and
 * JSON wrap the message with its metadata, SIMPLIFIED is the message body as published; function endpoints
 * (FC `mns_topic` triggers) take STREAM or JSON as FC documents them.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { mnsErrors } from './errors';
import type { PushTarget } from './pushes';
import { md5Hex, NAME, pageOf, type QueueStore } from './queues';
import { escapeXml, MNS_NAMESPACE } from './xml';

export type NotifyStrategy = 'BACKOFF_RETRY' | 'EXPONENTIAL_DECAY_RETRY';
export type NotifyContentFormat = 'XML' | 'JSON' | 'SIMPLIFIED' | 'STREAM';

export type Endpoint =
  | { kind: 'queue'; queue: string }
  | { kind: 'http'; url: string }
  | { kind: 'function'; functionName: string };

export interface TopicAttributes {
  maximumMessageSize: number;
  loggingEnabled: boolean;
}

export const TOPIC_DEFAULTS: TopicAttributes = { maximumMessageSize: 65536, loggingEnabled: false };

export interface TopicInfo extends TopicAttributes {
  name: string;
  createTime: number;
  lastModifyTime: number;
  /** Retention of published messages is not emulated; MNS reports 86400 s. */
  messageRetentionPeriod: number;
  messageCount: number;
}

export interface SubscriptionInput {
  endpoint: string;
  filterTag?: string;
  notifyStrategy?: NotifyStrategy;
  notifyContentFormat?: NotifyContentFormat;
  /** Where a notification goes once the NotifyStrategy gave up (subscription `DlqPolicy`). */
  deadLetterQueue?: string;
}

export interface SubscriptionInfo {
  topic: string;
  name: string;
  endpoint: string;
  filterTag: string;
  notifyStrategy: NotifyStrategy;
  notifyContentFormat: NotifyContentFormat;
  deadLetterQueue?: string;
  createTime: number;
  lastModifyTime: number;
  /** Set for subscriptions the local cloud made for an FC `mns_topic` trigger. */
  managedBy?: string;
}

export interface PublishInput {
  body: string;
  tag?: string;
  attributes?: Record<string, string>;
}

/** One notification ready to push to an HTTP or function endpoint. */
export interface Notification {
  topic: string;
  subscription: string;
  endpoint: string;
  format: NotifyContentFormat;
  strategy: NotifyStrategy;
  deadLetterQueue?: string;
  messageId: string;
  tag?: string;
  payload: string;
  /** The message as published, so a later attempt can make the body again in the subscription's current format. */
  message?: Published;
}

interface TopicRow {
  name: string;
  created_at: number;
  modified_at: number;
  max_message_size: number;
  logging_enabled: number;
  message_count: number;
}

interface SubscriptionRow {
  topic: string;
  name: string;
  endpoint: string;
  filter_tag: string;
  notify_strategy: NotifyStrategy;
  notify_content_format: NotifyContentFormat;
  dlq_target: string | null;
  created_at: number;
  modified_at: number;
  managed_by: string | null;
}

export const MAX_TAG_LENGTH = 16;

export function checkTopicName(name: string): void {
  if (name.length < 1 || name.length > 256) throw mnsErrors.topicNameLength();
  if (!NAME.test(name)) throw mnsErrors.invalidTopicName(name);
}

export function checkSubscriptionName(name: string): void {
  if (name.length < 1 || name.length > 256) throw mnsErrors.subscriptionNameLength();
  if (!NAME.test(name)) throw mnsErrors.invalidSubscriptionName(name);
}

/**
 * Endpoint forms (ROS ALIYUN::MNS::Subscription): `acs:mns:<region>:<account>:queues/<name>`, `http(s)://…`,
 * and FC's `acs:fc:<region>:<account>:functions/<name>`. Mail and SMS endpoints are not emulated.
 */
export function parseEndpoint(endpoint: string, local: { region: string; accountId: string }): Endpoint {
  const queue = /^acs:mns:([^:]*):([^:]*):\/?queues\/([^/]+)$/.exec(endpoint);
  if (queue) {
    checkScope(endpoint, queue[1]!, queue[2]!, local);
    return { kind: 'queue', queue: queue[3]! };
  }
  const fn = /^acs:fc:([^:]*):([^:]*):functions\/([\w-]+)(?:\/[\w-]+)?$/.exec(endpoint);
  if (fn) {
    checkScope(endpoint, fn[1]!, fn[2]!, local);
    return { kind: 'function', functionName: fn[3]! };
  }
  if (/^https?:\/\/[^\s]+$/i.test(endpoint)) {
    try {
      return { kind: 'http', url: new URL(endpoint).toString() };
    } catch {
      throw mnsErrors.invalidEndpoint(endpoint, 'not a URL');
    }
  }
  if (/^(mail|sms|dm):/i.test(endpoint)) throw mnsErrors.notImplemented(`Mail and SMS endpoints (${endpoint.split(':').slice(0, 2).join(':')})`);
  throw mnsErrors.invalidEndpoint(endpoint, 'expected acs:mns:<region>:<account>:queues/<name>, http(s)://… or acs:fc:<region>:<account>:functions/<name>');
}

function checkScope(endpoint: string, region: string, account: string, local: { region: string; accountId: string }): void {
  if (region && region !== local.region) throw mnsErrors.invalidEndpoint(endpoint, `the local MNS serves region ${local.region} only`);
  if (account && account !== local.accountId) throw mnsErrors.invalidEndpoint(endpoint, `the local MNS serves account ${local.accountId} only`);
}

const FORMATS: Record<Endpoint['kind'], NotifyContentFormat[]> = {
  queue: ['XML', 'JSON', 'SIMPLIFIED'],
  http: ['XML', 'JSON', 'SIMPLIFIED'],
  function: ['STREAM', 'JSON'],
};

export class TopicStore {
  private readonly s;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly queues: QueueStore,
    private readonly clock: () => number,
    private readonly local: { region: string; accountId: string },
    /**
     * The push outbox: `add` receives the notifications for HTTP and function endpoints (and queues that do not
     * exist) inside the publish transaction; `drop` forgets those still owed to a subscription being deleted.
     */
    private readonly outbox: { add(n: Notification): void; drop(topic: string, subscription?: string): void },
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS mns_topics (
        name TEXT PRIMARY KEY, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, max_message_size INTEGER NOT NULL,
        logging_enabled INTEGER NOT NULL, message_count INTEGER NOT NULL DEFAULT 0);
      CREATE TABLE IF NOT EXISTS mns_subscriptions (
        topic TEXT NOT NULL, name TEXT NOT NULL, endpoint TEXT NOT NULL, filter_tag TEXT NOT NULL, notify_strategy TEXT NOT NULL,
        notify_content_format TEXT NOT NULL, dlq_target TEXT, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL, managed_by TEXT,
        PRIMARY KEY (topic, name));`);
    this.s = {
      topic: db.prepare<[string], TopicRow>('SELECT * FROM mns_topics WHERE name = ?'),
      topics: db.prepare<[{ start: string; prefix: string; limit: number }], TopicRow>(
        'SELECT * FROM mns_topics WHERE name >= @start AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit',
      ),
      insertTopic: db.prepare<[string, number, number, number, number]>('INSERT INTO mns_topics (name, created_at, modified_at, max_message_size, logging_enabled) VALUES (?, ?, ?, ?, ?)'),
      updateTopic: db.prepare<[number, number, number, string]>('UPDATE mns_topics SET modified_at = ?, max_message_size = ?, logging_enabled = ? WHERE name = ?'),
      countPublish: db.prepare<[string]>('UPDATE mns_topics SET message_count = message_count + 1 WHERE name = ?'),
      deleteTopic: db.prepare<[string]>('DELETE FROM mns_topics WHERE name = ?'),
      deleteTopicSubscriptions: db.prepare<[string]>('DELETE FROM mns_subscriptions WHERE topic = ?'),
      subscription: db.prepare<[string, string], SubscriptionRow>('SELECT * FROM mns_subscriptions WHERE topic = ? AND name = ?'),
      subscriptions: db.prepare<[{ topic: string; start: string; prefix: string; limit: number }], SubscriptionRow>(
        'SELECT * FROM mns_subscriptions WHERE topic = @topic AND name >= @start AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit',
      ),
      allSubscriptions: db.prepare<[string], SubscriptionRow>('SELECT * FROM mns_subscriptions WHERE topic = ? ORDER BY name'),
      managed: db.prepare<[string], SubscriptionRow>('SELECT * FROM mns_subscriptions WHERE managed_by = ?'),
      upsertSubscription: db.prepare(
        `INSERT INTO mns_subscriptions (topic, name, endpoint, filter_tag, notify_strategy, notify_content_format, dlq_target, created_at, modified_at, managed_by)
         VALUES (@topic, @name, @endpoint, @filterTag, @strategy, @format, @dlq, @now, @now, @managedBy)
         ON CONFLICT (topic, name) DO UPDATE SET endpoint = excluded.endpoint, filter_tag = excluded.filter_tag, notify_strategy = excluded.notify_strategy,
           notify_content_format = excluded.notify_content_format, dlq_target = excluded.dlq_target, modified_at = excluded.modified_at, managed_by = excluded.managed_by`,
      ),
      setStrategy: db.prepare<[string, number, string, string]>('UPDATE mns_subscriptions SET notify_strategy = ?, modified_at = ? WHERE topic = ? AND name = ?'),
      deleteSubscription: db.prepare<[string, string]>('DELETE FROM mns_subscriptions WHERE topic = ? AND name = ?'),
    };
  }

  // ---- topics ----

  createTopic(name: string, attributes: TopicAttributes): boolean {
    checkTopicName(name);
    const existing = this.s.topic.get(name);
    if (existing) {
      if (existing.max_message_size === attributes.maximumMessageSize && (existing.logging_enabled === 1) === attributes.loggingEnabled) return false;
      throw mnsErrors.topicAlreadyExist(name);
    }
    const now = this.clock();
    this.s.insertTopic.run(name, now, now, attributes.maximumMessageSize, attributes.loggingEnabled ? 1 : 0);
    return true;
  }

  ensureTopic(name: string, attributes: TopicAttributes): void {
    checkTopicName(name);
    if (this.s.topic.get(name)) this.s.updateTopic.run(this.clock(), attributes.maximumMessageSize, attributes.loggingEnabled ? 1 : 0, name);
    else this.createTopic(name, attributes);
  }

  setTopicAttributes(name: string, change: (current: TopicAttributes) => TopicAttributes): void {
    const row = this.requireTopic(name);
    const next = change({ maximumMessageSize: row.max_message_size, loggingEnabled: row.logging_enabled === 1 });
    this.s.updateTopic.run(this.clock(), next.maximumMessageSize, next.loggingEnabled ? 1 : 0, name);
  }

  getTopic(name: string): TopicInfo {
    return toTopicInfo(this.requireTopic(name));
  }

  hasTopic(name: string): boolean {
    return this.s.topic.get(name) !== undefined;
  }

  listTopics(prefix: string, marker: string, limit: number): { topics: TopicInfo[]; next?: string } {
    const { items, next } = pageOf(this.s.topics.all({ start: marker > prefix ? marker : prefix, prefix, limit: limit + 1 }), limit, toTopicInfo);
    return { topics: items, ...(next ? { next } : {}) };
  }

  deleteTopic(name: string): void {
    this.requireTopic(name);
    this.db.transaction(() => {
      this.s.deleteTopicSubscriptions.run(name);
      this.s.deleteTopic.run(name);
      this.outbox.drop(name);
    })();
  }

  // ---- subscriptions ----

  /** Subscribe: true when created, false when the same subscription already existed (MNS: 204). */
  subscribe(topic: string, name: string, input: SubscriptionInput, managedBy?: string): boolean {
    this.requireTopic(topic);
    checkSubscriptionName(name);
    const row = this.normalise(topic, name, input, managedBy);
    const existing = this.s.subscription.get(topic, name);
    if (existing && !managedBy) {
      const same =
        existing.endpoint === row.endpoint &&
        existing.filter_tag === row.filterTag &&
        existing.notify_strategy === row.strategy &&
        existing.notify_content_format === row.format &&
        existing.dlq_target === row.dlq;
      if (same) return false;
      throw mnsErrors.subscriptionAlreadyExist(name);
    }
    this.s.upsertSubscription.run(row);
    return !existing;
  }

  setSubscriptionStrategy(topic: string, name: string, strategy: NotifyStrategy): void {
    this.requireSubscription(topic, name);
    this.s.setStrategy.run(strategy, this.clock(), topic, name);
  }

  getSubscription(topic: string, name: string): SubscriptionInfo {
    return toSubscriptionInfo(this.requireSubscription(topic, name));
  }

  listSubscriptions(topic: string, prefix: string, marker: string, limit: number): { subscriptions: SubscriptionInfo[]; next?: string } {
    this.requireTopic(topic);
    const { items, next } = pageOf(this.s.subscriptions.all({ topic, start: marker > prefix ? marker : prefix, prefix, limit: limit + 1 }), limit, toSubscriptionInfo);
    return { subscriptions: items, ...(next ? { next } : {}) };
  }

  unsubscribe(topic: string, name: string): void {
    this.requireTopic(topic);
    this.requireSubscription(topic, name);
    // A deleted subscription receives nothing more, not even the retries of what was published before (D170).
    this.db.transaction(() => {
      this.s.deleteSubscription.run(topic, name);
      this.outbox.drop(topic, name);
    })();
  }

  /** Subscriptions made by `managedBy` (the local cloud's triggers), so stale ones can be removed. */
  managedSubscriptions(managedBy: string): SubscriptionInfo[] {
    return this.s.managed.all(managedBy).map(toSubscriptionInfo);
  }

  // ---- publishing ----

  publish(topic: string, input: PublishInput): { messageId: string; bodyMd5: string } {
    const row = this.requireTopic(topic);
    const bytes = Buffer.byteLength(input.body);
    if (bytes === 0) throw mnsErrors.invalidArgument('MessageBody must not be empty.');
    if (bytes > row.max_message_size) throw mnsErrors.invalidArgument(`The MessageBody is ${bytes} bytes, more than the topic's MaximumMessageSize (${row.max_message_size}).`);
    if (input.tag !== undefined && input.tag.length > MAX_TAG_LENGTH) throw mnsErrors.invalidArgument(`MessageTag is longer than ${MAX_TAG_LENGTH} characters.`);
    const now = this.clock();
    const messageId = this.queues.newMessageId(now);
    const bodyMd5 = md5Hex(input.body);
    const woken = new Set<string>();
    this.db.transaction(() => {
      this.s.countPublish.run(topic);
      for (const sub of this.s.allSubscriptions.all(topic)) {
        if (sub.filter_tag && sub.filter_tag !== (input.tag ?? '')) continue;
        const endpoint = parseEndpoint(sub.endpoint, this.local);
        const message: Published = { ...input, messageId, bodyMd5, publishTime: now, topicOwner: this.local.accountId };
        const payload = notificationBody(sub, endpoint, message);
        if (endpoint.kind === 'queue' && this.queues.hasQueue(endpoint.queue)) {
          this.queues.insert(endpoint.queue, { body: payload }, now);
          woken.add(endpoint.queue);
        } else {
          // HTTP and function endpoints, and queue endpoints whose queue is gone (the push fails and is retried).
          this.outbox.add(
            {
              topic,
              subscription: sub.name,
              endpoint: sub.endpoint,
              format: sub.notify_content_format,
              strategy: sub.notify_strategy,
              messageId,
              payload,
              message,
              ...(input.tag ? { tag: input.tag } : {}),
              ...(sub.dlq_target ? { deadLetterQueue: sub.dlq_target } : {}),
            });
        }
      }
    })();
    for (const queue of woken) this.queues.onReceivable(queue);
    return { messageId, bodyMd5 };
  }

  /**
   * Where a push waiting in the outbox goes now: its subscription as it is at this attempt — endpoint,
   * NotifyContentFormat (the body made again from the message), NotifyStrategy and dead-letter queue — so a
   * waiting push follows SetSubscriptionAttributes and a subscription made again from a changed template (D173).
   * A subscription that no longer takes the message (gone, or now filtering on another tag) discards it.
   */
  currentTarget(push: { topic: string; subscription: string; tag: string | null; payload: string; message: string | null }): PushTarget | { discard: string } {
    const sub = this.s.subscription.get(push.topic, push.subscription);
    if (!sub) return { discard: `the subscription ${push.subscription} of topic ${push.topic} no longer exists` };
    if (sub.filter_tag && sub.filter_tag !== (push.tag ?? '')) {
      return { discard: `the subscription's FilterTag is now "${sub.filter_tag}" and the message's tag ${push.tag ? `"${push.tag}"` : '(none)'} does not pass it` };
    }
    const endpoint = parseEndpoint(sub.endpoint, this.local);
    // Pushes stored before D173 have no message: they keep the body made at publish.
    const payload = push.message ? notificationBody(sub, endpoint, JSON.parse(push.message) as Published) : push.payload;
    return { endpoint: sub.endpoint, format: sub.notify_content_format, strategy: sub.notify_strategy, dlq_target: sub.dlq_target, payload };
  }

  private normalise(topic: string, name: string, input: SubscriptionInput, managedBy: string | undefined) {
    const endpoint = parseEndpoint(input.endpoint, this.local);
    const format = input.notifyContentFormat ?? (endpoint.kind === 'function' ? 'STREAM' : 'XML');
    if (!FORMATS[endpoint.kind].includes(format)) {
      throw mnsErrors.invalidArgument(`NotifyContentFormat ${format} is not valid for a ${endpoint.kind} endpoint; use ${FORMATS[endpoint.kind].join(', ')}.`);
    }
    const filterTag = input.filterTag ?? '';
    if (filterTag.length > MAX_TAG_LENGTH) throw mnsErrors.invalidArgument(`FilterTag is longer than ${MAX_TAG_LENGTH} characters.`);
    if (input.deadLetterQueue && !this.queues.hasQueue(input.deadLetterQueue)) throw mnsErrors.queueNotExist(input.deadLetterQueue);
    if (input.deadLetterQueue && endpoint.kind === 'queue' && endpoint.queue === input.deadLetterQueue) {
      throw mnsErrors.invalidArgument('DlqPolicy.DeadLetterTargetQueue: a queue subscription cannot use its own queue as dead-letter queue.');
    }
    return {
      topic,
      name,
      endpoint: input.endpoint,
      filterTag,
      strategy: input.notifyStrategy ?? 'BACKOFF_RETRY',
      format,
      dlq: input.deadLetterQueue ?? null,
      now: this.clock(),
      managedBy: managedBy ?? null,
    };
  }

  private requireTopic(name: string): TopicRow {
    const row = this.s.topic.get(name);
    if (!row) throw mnsErrors.topicNotExist(name);
    return row;
  }

  private requireSubscription(topic: string, name: string): SubscriptionRow {
    const row = this.s.subscription.get(topic, name);
    if (!row) throw mnsErrors.subscriptionNotExist(name);
    return row;
  }
}

interface Published extends PublishInput {
  messageId: string;
  bodyMd5: string;
  publishTime: number;
  topicOwner: string;
}

/** The body an endpoint receives for one published message, by the subscription's NotifyContentFormat. */
export function notificationBody(sub: Pick<SubscriptionRow, 'topic' | 'name' | 'notify_content_format'>, endpoint: Endpoint, m: Published): string {
  const meta = {
    TopicOwner: m.topicOwner,
    TopicName: sub.topic,
    Subscriber: m.topicOwner,
    SubscriptionName: sub.name,
    MessageId: m.messageId,
    Message: m.body,
    MessageMD5: m.bodyMd5,
    ...(m.tag ? { MessageTag: m.tag } : {}),
  };
  const attributes = m.attributes ?? {};
  switch (sub.notify_content_format) {
    case 'SIMPLIFIED':
      return m.body;
    case 'STREAM':
      // FC's STREAM event: the body itself, or {body, attrs} when the message has attributes.
      return Object.keys(attributes).length > 0 ? JSON.stringify({ body: m.body, attrs: attributes }) : m.body;
    case 'JSON':
      // FC's JSON event carries PublishTime as a number and the attributes at the top level; MNS's queue and
      // HTTP JSON format documents it as a string.
      return endpoint.kind === 'function'
        ? JSON.stringify({ ...attributes, ...meta, PublishTime: m.publishTime })
        : JSON.stringify({ ...meta, PublishTime: String(m.publishTime) });
    default: {
      const children = Object.entries({ ...meta, PublishTime: String(m.publishTime) })
        .map(([name, value]) => `<${name}>${escapeXml(value)}</${name}>`)
        .join('');
      return `<?xml version="1.0" encoding="utf-8"?><Notification xmlns="${MNS_NAMESPACE}">${children}</Notification>`;
    }
  }
}

function toTopicInfo(row: TopicRow): TopicInfo {
  return {
    name: row.name,
    createTime: Math.floor(row.created_at / 1000),
    lastModifyTime: Math.floor(row.modified_at / 1000),
    maximumMessageSize: row.max_message_size,
    loggingEnabled: row.logging_enabled === 1,
    messageRetentionPeriod: 86400,
    messageCount: row.message_count,
  };
}

function toSubscriptionInfo(row: SubscriptionRow): SubscriptionInfo {
  return {
    topic: row.topic,
    name: row.name,
    endpoint: row.endpoint,
    filterTag: row.filter_tag,
    notifyStrategy: row.notify_strategy,
    notifyContentFormat: row.notify_content_format,
    createTime: Math.floor(row.created_at / 1000),
    lastModifyTime: Math.floor(row.modified_at / 1000),
    ...(row.dlq_target ? { deadLetterQueue: row.dlq_target } : {}),
    ...(row.managed_by ? { managedBy: row.managed_by } : {}),
  };
}
