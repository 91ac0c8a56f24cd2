/**
 * Queues and their messages, persisted in the MNS emulator's SQLite file. Every operation is one synchronous
 * transaction (better-sqlite3), so concurrent requests never see half a batch, and an answered request is in
 * the WAL before the answer leaves (a killed process loses nothing it acknowledged).
 *
 * Message states follow MNS (https://www.alibabacloud.com/help/en/mns/queuemessage): Delayed (sent with a
 * delay, never received), Active (`visible_at <= now`), Inactive (received, invisible until `visible_at`).
 * A receive makes a message Inactive for the queue's VisibilityTimeout and gives it a fresh receipt handle;
 * only the newest handle deletes or changes it, and only while it is still Inactive.
 *
 * Dead-lettering (decision D24) follows the queue's `DlqPolicy` as ROS and the MNS OpenAPI spell it
 * (`Enabled`, `DeadLetterTargetQueue`, `MaxReceiveCount`): a message received `MaxReceiveCount` times that
 * becomes visible again moves to the target queue (same MessageId and body, DequeueCount reset) instead of
 * being delivered an extra time.
 */
import { createHash, randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { mnsErrors } from './errors';

export interface DlqPolicy {
  deadLetterTargetQueue: string;
  maxReceiveCount: number;
}

export interface QueueAttributes {
  delaySeconds: number;
  maximumMessageSize: number;
  messageRetentionPeriod: number;
  visibilityTimeout: number;
  pollingWaitSeconds: number;
  loggingEnabled: boolean;
  dlqPolicy?: DlqPolicy;
}

export const QUEUE_DEFAULTS: QueueAttributes = {
  delaySeconds: 0,
  maximumMessageSize: 65536,
  messageRetentionPeriod: 345600,
  visibilityTimeout: 30,
  pollingWaitSeconds: 0,
  loggingEnabled: false,
};

/** Attribute ranges (MNS CreateQueue / ROS ALIYUN::MNS::Queue). */
export const QUEUE_LIMITS = {
  DelaySeconds: [0, 604800],
  MaximumMessageSize: [1024, 65536],
  MessageRetentionPeriod: [60, 604800],
  VisibilityTimeout: [1, 43200],
  PollingWaitSeconds: [0, 30],
  MaxReceiveCount: [1, 1000],
} as const;

export interface QueueInfo extends QueueAttributes {
  name: string;
  /** Epoch seconds, as MNS reports them. */
  createTime: number;
  lastModifyTime: number;
  activeMessages: number;
  inactiveMessages: number;
  delayMessages: number;
}

export interface MessageInput {
  body: string;
  /** Overrides the queue's DelaySeconds when set. */
  delaySeconds?: number;
  /** 1 (highest) … 16; default 8. */
  priority?: number;
}

export interface SentMessage {
  messageId: string;
  bodyMd5: string;
}

export interface ReceivedMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  bodyMd5: string;
  enqueueTime: number;
  nextVisibleTime: number;
  firstDequeueTime: number;
  dequeueCount: number;
  priority: number;
}

export type PeekedMessage = Omit<ReceivedMessage, 'receiptHandle' | 'nextVisibleTime'> & {
  /** Where a dead-lettered message came from (console redrive); undefined otherwise. */
  deadLetterSource?: string;
};

export const NAME = /^[A-Za-z0-9][A-Za-z0-9-]*$/;

interface QueueRow {
  name: string;
  created_at: number;
  modified_at: number;
  delay_seconds: number;
  max_message_size: number;
  retention_seconds: number;
  visibility_timeout: number;
  polling_wait_seconds: number;
  logging_enabled: number;
  dlq_target: string | null;
  dlq_max_receive: number | null;
}

interface MessageRow {
  seq: number;
  queue: string;
  message_id: string;
  body_md5: string;
  priority: number;
  enqueue_time: number;
  visible_at: number;
  first_dequeue_time: number;
  dequeue_count: number;
  receipt_handle: string | null;
  expires_at: number;
  dead_letter_source: string | null;
}

export const md5Hex = (text: string) => createHash('md5').update(text, 'utf8').digest('hex').toUpperCase();

/** Receipt handles carry the message's row number and a random part: `1-<seq base36>-<16 hex>`. URL-safe. */
const HANDLE = /^1-([0-9a-z]{1,12})-[0-9a-f]{16}$/;

/** One page of a name-ordered listing fetched with `limit + 1` rows: the extra row's name is the next marker. */
export function pageOf<R extends { name: string }, T>(rows: R[], limit: number, map: (row: R) => T): { items: T[]; next?: string } {
  const items = rows.slice(0, limit).map(map);
  return rows.length > limit ? { items, next: rows[limit]!.name } : { items };
}

export function checkQueueName(name: string): void {
  if (name.length < 1 || name.length > 256) throw mnsErrors.queueNameLength();
  if (!NAME.test(name)) throw mnsErrors.invalidQueueName(name);
}

export class QueueStore {
  private readonly s;
  private readonly node = randomBytes(8).toString('hex').toUpperCase();
  private counter = 0;
  /** Called after a change that can make messages of `queue` receivable (long polls wake up). */
  onReceivable: (queue: string) => void = () => undefined;

  constructor(
    private readonly db: BetterSqlite3.Database,
    private readonly clock: () => number,
  ) {
    db.exec(`
      CREATE TABLE IF NOT EXISTS mns_queues (
        name TEXT PRIMARY KEY, created_at INTEGER NOT NULL, modified_at INTEGER NOT NULL,
        delay_seconds INTEGER NOT NULL, max_message_size INTEGER NOT NULL, retention_seconds INTEGER NOT NULL,
        visibility_timeout INTEGER NOT NULL, polling_wait_seconds INTEGER NOT NULL, logging_enabled INTEGER NOT NULL,
        dlq_target TEXT, dlq_max_receive INTEGER);
      CREATE TABLE IF NOT EXISTS mns_messages (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, queue TEXT NOT NULL, message_id TEXT NOT NULL,
        body_md5 TEXT NOT NULL, priority INTEGER NOT NULL, enqueue_time INTEGER NOT NULL, visible_at INTEGER NOT NULL,
        first_dequeue_time INTEGER NOT NULL DEFAULT 0, dequeue_count INTEGER NOT NULL DEFAULT 0, receipt_handle TEXT,
        expires_at INTEGER NOT NULL, dead_letter_source TEXT);
      CREATE TABLE IF NOT EXISTS mns_bodies (seq INTEGER PRIMARY KEY, body TEXT NOT NULL);
      CREATE TRIGGER IF NOT EXISTS mns_messages_body_gone AFTER DELETE ON mns_messages BEGIN DELETE FROM mns_bodies WHERE seq = old.seq; END;
      CREATE INDEX IF NOT EXISTS mns_messages_order ON mns_messages (queue, priority, seq);
      CREATE INDEX IF NOT EXISTS mns_messages_visible ON mns_messages (queue, visible_at);
      CREATE INDEX IF NOT EXISTS mns_messages_expiry ON mns_messages (queue, expires_at);
      CREATE INDEX IF NOT EXISTS mns_messages_received ON mns_messages (queue, dequeue_count, visible_at);`);
    moveBodiesOut(db);
    this.s = {
      queue: db.prepare<[string], QueueRow>('SELECT * FROM mns_queues WHERE name = ?'),
      queues: db.prepare<[{ start: string; prefix: string; limit: number }], QueueRow>(
        'SELECT * FROM mns_queues WHERE name >= @start AND substr(name, 1, length(@prefix)) = @prefix ORDER BY name LIMIT @limit',
      ),
      insertQueue: db.prepare(
        `INSERT INTO mns_queues (name, created_at, modified_at, delay_seconds, max_message_size, retention_seconds, visibility_timeout, polling_wait_seconds, logging_enabled, dlq_target, dlq_max_receive)
         VALUES (@name, @now, @now, @delaySeconds, @maximumMessageSize, @messageRetentionPeriod, @visibilityTimeout, @pollingWaitSeconds, @logging, @dlqTarget, @dlqMax)`,
      ),
      updateQueue: db.prepare(
        `UPDATE mns_queues SET modified_at = @now, delay_seconds = @delaySeconds, max_message_size = @maximumMessageSize, retention_seconds = @messageRetentionPeriod,
         visibility_timeout = @visibilityTimeout, polling_wait_seconds = @pollingWaitSeconds, logging_enabled = @logging, dlq_target = @dlqTarget, dlq_max_receive = @dlqMax WHERE name = @name`,
      ),
      deleteQueue: db.prepare<[string]>('DELETE FROM mns_queues WHERE name = ?'),
      deleteQueueMessages: db.prepare<[string]>('DELETE FROM mns_messages WHERE queue = ?'),
      counts: db.prepare<[{ now: number; queue: string }], { active: number; inactive: number; delayed: number }>(
        `SELECT coalesce(sum(visible_at <= @now), 0) AS active, coalesce(sum(visible_at > @now AND dequeue_count > 0), 0) AS inactive,
                coalesce(sum(visible_at > @now AND dequeue_count = 0), 0) AS delayed FROM mns_messages WHERE queue = @queue AND expires_at > @now`,
      ),
      insertMessage: db.prepare(
        `INSERT INTO mns_messages (queue, message_id, body_md5, priority, enqueue_time, visible_at, expires_at, dead_letter_source)
         VALUES (@queue, @messageId, @bodyMd5, @priority, @now, @visibleAt, @expiresAt, @deadLetterSource)`,
      ),
      insertBody: db.prepare<[number | bigint, string]>('INSERT INTO mns_bodies (seq, body) VALUES (?, ?)'),
      body: db.prepare<[number], { body: string }>('SELECT body FROM mns_bodies WHERE seq = ?'),
      // Walks the queue in delivery order and stops at LIMIT; left to itself SQLite would pick the visible_at
      // index and sort every Active message of a backlog on each receive.
      visible: db.prepare<[string, number, number, number], MessageRow>(
        'SELECT * FROM mns_messages INDEXED BY mns_messages_order WHERE queue = ? AND visible_at <= ? AND expires_at > ? ORDER BY priority, seq LIMIT ?',
      ),
      markReceived: db.prepare<[{ now: number; until: number; handle: string; seq: number }]>(
        'UPDATE mns_messages SET dequeue_count = dequeue_count + 1, first_dequeue_time = CASE WHEN first_dequeue_time = 0 THEN @now ELSE first_dequeue_time END, visible_at = @until, receipt_handle = @handle WHERE seq = @seq',
      ),
      bySeq: db.prepare<[number], MessageRow>('SELECT * FROM mns_messages WHERE seq = ?'),
      deleteSeq: db.prepare<[number]>('DELETE FROM mns_messages WHERE seq = ?'),
      setVisibility: db.prepare<[number, string, number]>('UPDATE mns_messages SET visible_at = ?, receipt_handle = ? WHERE seq = ?'),
      expire: db.prepare<[string, number]>('DELETE FROM mns_messages WHERE queue = ? AND expires_at <= ?'),
      // Served by (queue, dequeue_count, visible_at): only messages received MaxReceiveCount times are looked at.
      deadLetters: db.prepare<[string, number, number], MessageRow>('SELECT * FROM mns_messages WHERE queue = ? AND dequeue_count >= ? AND visible_at <= ?'),
      moveToQueue: db.prepare<[string, string | null, number, number, number]>(
        'UPDATE mns_messages SET queue = ?, dead_letter_source = ?, dequeue_count = 0, first_dequeue_time = 0, receipt_handle = NULL, visible_at = ?, expires_at = ? WHERE seq = ?',
      ),
      nextVisible: db.prepare<[string, number], { at: number | null }>('SELECT min(visible_at) AS at FROM mns_messages WHERE queue = ? AND visible_at > ?'),
      peekAll: db.prepare<[string, number, number, number], MessageRow>(
        'SELECT * FROM mns_messages INDEXED BY mns_messages_order WHERE queue = ? AND visible_at <= ? AND expires_at > ? ORDER BY priority, seq LIMIT ?',
      ),
      fromSource: db.prepare<[string, string, number], MessageRow>('SELECT * FROM mns_messages WHERE queue = ? AND dead_letter_source = ? ORDER BY seq LIMIT ?'),
      deadLettered: db.prepare<[string, number], MessageRow>('SELECT * FROM mns_messages WHERE queue = ? AND dead_letter_source IS NOT NULL ORDER BY seq LIMIT ?'),
    };
    // A message and its body commit together (a savepoint inside a batch's transaction).
    this.insertRows = db.transaction((body: string, params: Record<string, unknown>) => {
      this.s.insertBody.run(this.s.insertMessage.run(params).lastInsertRowid, body);
    });
  }

  /**
   * Bodies live in `mns_bodies`, apart from the message's state: a receive, a visibility change or a move to the
   * DLQ then rewrites a small row instead of the whole (up to 64 KB) message, and walking past Inactive messages
   * reads no body.
   */
  private readonly insertRows: (body: string, params: Record<string, unknown>) => void;

  private bodyOf(seq: number): string {
    return this.s.body.get(seq)?.body ?? '';
  }

  // ---- queues ----

  /** CreateQueue: true when created, false when it already existed with the same attributes (MNS: 204). */
  createQueue(name: string, attributes: QueueAttributes): boolean {
    checkQueueName(name);
    const existing = this.s.queue.get(name);
    if (existing) {
      if (sameAttributes(toAttributes(existing), attributes)) return false;
      throw mnsErrors.queueAlreadyExist(name);
    }
    this.checkDlq(name, attributes.dlqPolicy);
    this.s.insertQueue.run(queueParams(name, attributes, this.clock()));
    return true;
  }

  /** Creates or brings the attributes in line (the local cloud provisioning from the ROS template). */
  ensureQueue(name: string, attributes: QueueAttributes): void {
    checkQueueName(name);
    if (!this.s.queue.get(name)) return void this.s.insertQueue.run(queueParams(name, attributes, this.clock()));
    this.s.updateQueue.run(queueParams(name, attributes, this.clock()));
  }

  setQueueAttributes(name: string, change: (current: QueueAttributes) => QueueAttributes): void {
    const row = this.requireQueue(name);
    const next = change(toAttributes(row));
    this.checkDlq(name, next.dlqPolicy);
    this.s.updateQueue.run(queueParams(name, next, this.clock()));
    this.onReceivable(name);
  }

  getQueue(name: string): QueueInfo {
    return this.info(this.requireQueue(name));
  }

  /** The attributes alone (no message counts, which cost a pass over the queue's messages). */
  attributes(name: string): QueueAttributes {
    return toAttributes(this.requireQueue(name));
  }

  hasQueue(name: string): boolean {
    return this.s.queue.get(name) !== undefined;
  }

  /** ListQueue page: names ≥ `marker` with `prefix`, at most `limit`; `next` is the marker of the next page. */
  listQueues(prefix: string, marker: string, limit: number): { queues: QueueInfo[]; next?: string } {
    const { items, next } = pageOf(this.s.queues.all({ start: marker > prefix ? marker : prefix, prefix, limit: limit + 1 }), limit, (row) => this.info(row));
    return { queues: items, ...(next ? { next } : {}) };
  }

  deleteQueue(name: string): void {
    this.requireQueue(name);
    this.db.transaction(() => {
      this.s.deleteQueueMessages.run(name);
      this.s.deleteQueue.run(name);
    })();
    this.onReceivable(name);
  }

  // ---- messages ----

  send(queue: string, messages: MessageInput[], now = this.clock()): SentMessage[] {
    const row = this.requireQueue(queue);
    for (const [i, m] of messages.entries()) this.checkMessage(row, m, messages.length > 1 ? `Message[${i + 1}]` : 'Message');
    const sent = this.db.transaction(() => messages.map((m) => this.insert(row, m, now)))();
    if (sent.length > 0) this.onReceivable(queue);
    return sent;
  }

  /** Inserts without the size checks: topic fan-out and dead-lettering carry bodies MNS already accepted. */
  insert(row: QueueRow | string, m: MessageInput & { messageId?: string; deadLetterSource?: string }, now = this.clock()): SentMessage {
    const queue = typeof row === 'string' ? this.requireQueue(row) : row;
    const delay = m.delaySeconds ?? queue.delay_seconds;
    const messageId = m.messageId ?? this.newMessageId(now);
    const bodyMd5 = md5Hex(m.body);
    this.insertRows(m.body, {
      queue: queue.name,
      messageId,
      bodyMd5,
      priority: m.priority ?? 8,
      now,
      visibleAt: now + delay * 1000,
      expiresAt: now + queue.retention_seconds * 1000,
      deadLetterSource: m.deadLetterSource ?? null,
    });
    return { messageId, bodyMd5 };
  }

  /**
   * ReceiveMessage / BatchReceiveMessage without waiting: up to `max` Active messages, highest priority and
   * oldest first, each made Inactive for the queue's VisibilityTimeout with a new receipt handle.
   */
  receive(queue: string, max: number): ReceivedMessage[] {
    const now = this.clock();
    const row = this.requireQueue(queue);
    return this.db.transaction(() => {
      this.settle(row, now);
      const visibleUntil = now + row.visibility_timeout * 1000;
      return this.s.visible.all(queue, now, now, max).map((m) => {
        const receiptHandle = `1-${m.seq.toString(36)}-${randomBytes(8).toString('hex')}`;
        this.s.markReceived.run({ now, until: visibleUntil, handle: receiptHandle, seq: m.seq });
        return {
          messageId: m.message_id,
          receiptHandle,
          body: this.bodyOf(m.seq),
          bodyMd5: m.body_md5,
          enqueueTime: m.enqueue_time,
          nextVisibleTime: visibleUntil,
          firstDequeueTime: m.first_dequeue_time || now,
          dequeueCount: m.dequeue_count + 1,
          priority: m.priority,
        };
      });
    })();
  }

  /** PeekMessage / BatchPeekMessage: Active messages, state unchanged. */
  peek(queue: string, max: number): PeekedMessage[] {
    const now = this.clock();
    const row = this.requireQueue(queue);
    this.db.transaction(() => this.settle(row, now))();
    return this.s.peekAll.all(queue, now, now, max).map((m) => toPeeked(m, this.bodyOf(m.seq)));
  }

  /** DeleteMessage: only the newest receipt handle of a message that is still Inactive. */
  delete(queue: string, receiptHandle: string): void {
    const m = this.current(queue, receiptHandle);
    this.s.deleteSeq.run(m.seq);
  }

  /** BatchDeleteMessage: each handle on its own; the failures, in request order. */
  deleteBatch(queue: string, receiptHandles: string[]): { receiptHandle: string; code: string; message: string }[] {
    this.requireQueue(queue);
    const failed: { receiptHandle: string; code: string; message: string }[] = [];
    this.db.transaction(() => {
      for (const receiptHandle of receiptHandles) {
        try {
          this.delete(queue, receiptHandle);
        } catch (err) {
          const e = err as { code?: string; message: string };
          failed.push({ receiptHandle, code: e.code ?? 'InternalError', message: e.message });
        }
      }
    })();
    return failed;
  }

  /** ChangeMessageVisibility: the message becomes visible `seconds` from now; answers its new handle. */
  changeVisibility(queue: string, receiptHandle: string, seconds: number): { receiptHandle: string; nextVisibleTime: number } {
    const m = this.current(queue, receiptHandle);
    const next = `1-${m.seq.toString(36)}-${randomBytes(8).toString('hex')}`;
    const nextVisibleTime = this.clock() + seconds * 1000;
    this.s.setVisibility.run(nextVisibleTime, next, m.seq);
    return { receiptHandle: next, nextVisibleTime };
  }

  /** Milliseconds until the next Inactive or Delayed message of `queue` becomes Active (long polls sleep that long). */
  msUntilNextVisible(queue: string): number | undefined {
    const now = this.clock();
    const at = this.s.nextVisible.get(queue, now)?.at;
    return at === null || at === undefined ? undefined : Math.max(0, at - now);
  }

  /** Console: dead-lettered messages in `queue`, with the queue each came from. */
  deadLettered(queue: string, limit = 100): PeekedMessage[] {
    this.requireQueue(queue);
    return this.s.deadLettered.all(queue, limit).map((m) => toPeeked(m, this.bodyOf(m.seq)));
  }

  /**
   * Console redrive: moves the dead-lettered messages of `dlq` back to the queues they came from (or only those
   * from `source`), as new Active messages with DequeueCount 0. Answers how many moved.
   */
  redrive(dlq: string, source?: string, limit = 10000): number {
    this.requireQueue(dlq);
    const now = this.clock();
    const rows = source ? this.s.fromSource.all(dlq, source, limit) : this.s.deadLettered.all(dlq, limit);
    const woken = new Set<string>();
    let moved = 0;
    this.db.transaction(() => {
      for (const m of rows) {
        const target = this.s.queue.get(m.dead_letter_source!);
        // A source queue deleted since: the message stays in the dead-letter queue.
        if (!target) continue;
        this.s.moveToQueue.run(target.name, null, now, now + target.retention_seconds * 1000, m.seq);
        woken.add(target.name);
        moved++;
      }
    })();
    for (const name of woken) this.onReceivable(name);
    return moved;
  }

  newMessageId(now = this.clock()): string {
    this.counter = (this.counter + 1) % 0x100000000;
    return `${this.node}-1-${now.toString(16).toUpperCase()}-${this.counter.toString(16).toUpperCase().padStart(8, '0')}`;
  }

  requireQueue(name: string): QueueRow {
    const row = this.s.queue.get(name);
    if (!row) throw mnsErrors.queueNotExist(name);
    return row;
  }

  /** Expired messages go; messages received MaxReceiveCount times that are visible again move to the DLQ. */
  private settle(row: QueueRow, now: number): void {
    this.s.expire.run(row.name, now);
    if (!row.dlq_target || !row.dlq_max_receive) return;
    const target = this.s.queue.get(row.dlq_target);
    if (!target) return;
    const dead = this.s.deadLetters.all(row.name, row.dlq_max_receive, now);
    for (const m of dead) this.s.moveToQueue.run(target.name, row.name, now, m.enqueue_time + target.retention_seconds * 1000, m.seq);
    if (dead.length > 0) queueMicrotask(() => this.onReceivable(target.name));
  }

  private current(queue: string, receiptHandle: string): MessageRow {
    this.requireQueue(queue);
    const match = HANDLE.exec(receiptHandle);
    if (!match) throw mnsErrors.receiptHandleError(receiptHandle);
    const m = this.s.bySeq.get(parseInt(match[1]!, 36));
    if (m && m.queue !== queue && m.receipt_handle === receiptHandle) throw mnsErrors.receiptHandleError(receiptHandle);
    // A handle that was superseded (received again, visibility changed) or whose visibility ran out is stale:
    // MNS documents MessageNotExist for a handle used after its NextVisibleTime.
    if (!m || m.receipt_handle !== receiptHandle || m.visible_at <= this.clock()) throw mnsErrors.messageNotExist();
    return m;
  }

  private checkMessage(queue: QueueRow, m: MessageInput, element: string): void {
    const bytes = Buffer.byteLength(m.body);
    if (bytes === 0) throw mnsErrors.invalidArgument(`${element}: MessageBody must not be empty.`);
    if (bytes > queue.max_message_size) {
      throw mnsErrors.invalidArgument(`${element}: the MessageBody is ${bytes} bytes, more than the queue's MaximumMessageSize (${queue.max_message_size}).`);
    }
    if (m.delaySeconds !== undefined && (m.delaySeconds < 0 || m.delaySeconds > 604800)) throw mnsErrors.outOfRange(`${element}.DelaySeconds`, 0, 604800);
    if (m.priority !== undefined && (m.priority < 1 || m.priority > 16)) throw mnsErrors.outOfRange(`${element}.Priority`, 1, 16, '');
  }

  private checkDlq(name: string, dlq: DlqPolicy | undefined): void {
    if (!dlq) return;
    if (dlq.deadLetterTargetQueue === name) throw mnsErrors.invalidArgument('DlqPolicy.DeadLetterTargetQueue: a queue cannot be its own dead-letter queue.');
    if (!this.s.queue.get(dlq.deadLetterTargetQueue)) throw mnsErrors.queueNotExist(dlq.deadLetterTargetQueue);
  }

  private info(row: QueueRow): QueueInfo {
    const now = this.clock();
    const counts = this.s.counts.get({ now, queue: row.name })!;
    return {
      name: row.name,
      ...toAttributes(row),
      createTime: Math.floor(row.created_at / 1000),
      lastModifyTime: Math.floor(row.modified_at / 1000),
      activeMessages: counts.active,
      inactiveMessages: counts.inactive,
      delayMessages: counts.delayed,
    };
  }
}

function toAttributes(row: QueueRow): QueueAttributes {
  return {
    delaySeconds: row.delay_seconds,
    maximumMessageSize: row.max_message_size,
    messageRetentionPeriod: row.retention_seconds,
    visibilityTimeout: row.visibility_timeout,
    pollingWaitSeconds: row.polling_wait_seconds,
    loggingEnabled: row.logging_enabled === 1,
    ...(row.dlq_target && row.dlq_max_receive ? { dlqPolicy: { deadLetterTargetQueue: row.dlq_target, maxReceiveCount: row.dlq_max_receive } } : {}),
  };
}

function queueParams(name: string, a: QueueAttributes, now: number) {
  return {
    name,
    now,
    delaySeconds: a.delaySeconds,
    maximumMessageSize: a.maximumMessageSize,
    messageRetentionPeriod: a.messageRetentionPeriod,
    visibilityTimeout: a.visibilityTimeout,
    pollingWaitSeconds: a.pollingWaitSeconds,
    logging: a.loggingEnabled ? 1 : 0,
    dlqTarget: a.dlqPolicy?.deadLetterTargetQueue ?? null,
    dlqMax: a.dlqPolicy?.maxReceiveCount ?? null,
  };
}

function sameAttributes(a: QueueAttributes, b: QueueAttributes): boolean {
  return JSON.stringify(toComparable(a)) === JSON.stringify(toComparable(b));
}

const toComparable = (a: QueueAttributes) => [a.delaySeconds, a.maximumMessageSize, a.messageRetentionPeriod, a.visibilityTimeout, a.pollingWaitSeconds, a.loggingEnabled, a.dlqPolicy?.deadLetterTargetQueue ?? null, a.dlqPolicy?.maxReceiveCount ?? null];

function toPeeked(m: MessageRow, body: string): PeekedMessage {
  return {
    messageId: m.message_id,
    body,
    bodyMd5: m.body_md5,
    enqueueTime: m.enqueue_time,
    firstDequeueTime: m.first_dequeue_time,
    dequeueCount: m.dequeue_count,
    priority: m.priority,
    ...(m.dead_letter_source ? { deadLetterSource: m.dead_letter_source } : {}),
  };
}

/**
 * Data folders from before bodies had their own table (`mns_messages.body`): the bodies move to `mns_bodies`, in
 * one transaction, the first time such a file is opened.
 */
function moveBodiesOut(db: BetterSqlite3.Database): void {
  const columns = db.prepare<[], { name: string }>("SELECT name FROM pragma_table_info('mns_messages')").all();
  if (!columns.some((c) => c.name === 'body')) return;
  db.transaction(() => {
    db.exec('INSERT INTO mns_bodies (seq, body) SELECT seq, body FROM mns_messages; ALTER TABLE mns_messages DROP COLUMN body;');
  })();
}
