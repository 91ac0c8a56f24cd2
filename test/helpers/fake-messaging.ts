import { createHash, randomUUID } from 'node:crypto';
import { ValidationError } from '#shared/errors';
import type { BatchSendResult, Queue, QueueMessageInput, ReceivedMessage, SentMessage } from '#shared/ports/queue';
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_LIMIT } from '#shared/ports/queue';
import type { PublishedMessage, Topic, TopicMessageInput } from '#shared/ports/topic';

/**
 * In-memory Queue and Topic for unit tests. They pass the same contract suites as the MNS adapters
 * (test/contract/queue.test.ts), so a core tested against them behaves the same against MNS.
 */
const wire = (body: string) => Buffer.from(body).toString('base64');
/** MNS answers the MD5 of the body as sent on the wire, which the adapters base64-encode. */
const wireMd5 = (body: string) => createHash('md5').update(wire(body)).digest('hex').toUpperCase();

/** An error with MNS's code, as MnsQueue rejects with (`MnsRequestError`). */
const mnsError = (code: string, message: string) => Object.assign(new Error(`${code}: ${message}`), { code });

interface StoredMessage {
  messageId: string;
  body: string;
  priority: number;
  seq: number;
  enqueueTime: number;
  visibleAt: number;
  dequeueCount: number;
  firstDequeueTime: number;
  receiptHandle?: string;
}

/**
 * An in-memory Queue: visibility timeouts and receipt handles as MNS has them, on an injected clock (no long
 * polling: `receive` answers at once). Records every call so tests assert on batching.
 */
export class FakeQueue implements Queue {
  readonly queues = new Map<string, StoredMessage[]>();
  readonly calls: { op: string; queue: string; count: number }[] = [];
  private seq = 0;
  constructor(
    private readonly now: () => number = () => Date.now(),
    private readonly visibilityTimeoutSeconds = 30,
  ) {}

  messages(queue: string): StoredMessage[] {
    let list = this.queues.get(queue);
    if (!list) this.queues.set(queue, (list = []));
    return list;
  }

  async send(queue: string, message: QueueMessageInput): Promise<SentMessage> {
    this.calls.push({ op: 'send', queue, count: 1 });
    return this.store(queue, message);
  }

  async sendBatch(queue: string, messages: QueueMessageInput[]): Promise<BatchSendResult[]> {
    this.calls.push({ op: 'sendBatch', queue, count: messages.length });
    if (messages.length === 0 || messages.length > QUEUE_BATCH_LIMIT) throw new ValidationError(`sendBatch takes 1-${QUEUE_BATCH_LIMIT} messages, got ${messages.length}`);
    const bytes = messages.reduce((n, m) => n + wire(m.body).length, 0);
    if (bytes > QUEUE_BATCH_BYTES) throw new ValidationError(`sendBatch is ${bytes} bytes base64-encoded, over MNS's ${QUEUE_BATCH_BYTES}`);
    messages.forEach((m) => this.check(m));
    return messages.map((m) => ({ ok: true as const, ...this.store(queue, m) }));
  }

  async receive(queue: string, options: { max?: number; waitSeconds?: number } = {}): Promise<ReceivedMessage[]> {
    this.calls.push({ op: 'receive', queue, count: options.max ?? 1 });
    const now = this.now();
    const ready = this.messages(queue)
      .filter((m) => m.visibleAt <= now)
      .sort((a, b) => a.priority - b.priority || a.seq - b.seq)
      .slice(0, options.max ?? 1);
    return ready.map((m) => {
      m.dequeueCount += 1;
      if (!m.firstDequeueTime) m.firstDequeueTime = now;
      m.visibleAt = now + this.visibilityTimeoutSeconds * 1000;
      m.receiptHandle = randomUUID();
      return { messageId: m.messageId, body: m.body, receiptHandle: m.receiptHandle, dequeueCount: m.dequeueCount, enqueueTime: m.enqueueTime, firstDequeueTime: m.firstDequeueTime, nextVisibleTime: m.visibleAt, priority: m.priority };
    });
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    this.calls.push({ op: 'delete', queue, count: 1 });
    const list = this.messages(queue);
    list.splice(list.indexOf(this.current(queue, receiptHandle)), 1);
  }

  async deleteBatch(queue: string, receiptHandles: string[]) {
    const failed: { receiptHandle: string; code: string; message: string }[] = [];
    for (const receiptHandle of receiptHandles) {
      try {
        await this.delete(queue, receiptHandle);
      } catch (err) {
        failed.push({ receiptHandle, code: (err as { code: string }).code, message: (err as Error).message });
      }
    }
    return { failed };
  }

  async changeVisibility(queue: string, receiptHandle: string, seconds: number) {
    const message = this.current(queue, receiptHandle);
    message.visibleAt = this.now() + seconds * 1000;
    message.receiptHandle = randomUUID();
    return { receiptHandle: message.receiptHandle, nextVisibleTime: message.visibleAt };
  }

  /** Like MNS: a handle that is not one is ReceiptHandleError; a superseded or expired one, MessageNotExist. */
  private current(queue: string, receiptHandle: string): StoredMessage {
    if (!/^[0-9a-f-]{36}$/.test(receiptHandle)) throw mnsError('ReceiptHandleError', `The receipt handle you provide is not valid: ${receiptHandle}`);
    const message = this.messages(queue).find((m) => m.receiptHandle === receiptHandle && m.visibleAt > this.now());
    if (!message) throw mnsError('MessageNotExist', 'Message not exist.');
    return message;
  }

  private check(message: QueueMessageInput): void {
    if (message.body.length === 0) throw mnsError('InvalidArgument', 'MessageBody must not be empty.');
  }

  private store(queue: string, message: QueueMessageInput): SentMessage {
    this.check(message);
    const now = this.now();
    const stored: StoredMessage = {
      messageId: randomUUID().replace(/-/g, '').toUpperCase(),
      body: message.body,
      priority: message.priority ?? 8,
      seq: ++this.seq,
      enqueueTime: now,
      visibleAt: now + (message.delaySeconds ?? 0) * 1000,
      dequeueCount: 0,
      firstDequeueTime: 0,
    };
    this.messages(queue).push(stored);
    return { messageId: stored.messageId, bodyMd5: wireMd5(message.body) };
  }
}

/** An in-memory Topic that records what was published, per topic, for assertions. */
export class FakeTopic implements Topic {
  readonly published: ({ topic: string } & TopicMessageInput)[] = [];
  /** Make the next publishes fail (e.g. to test retries). */
  failNext = 0;

  async publish(topic: string, message: TopicMessageInput): Promise<PublishedMessage> {
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error('FakeTopic: injected publish failure');
    }
    if (message.tag !== undefined && (message.tag.length === 0 || message.tag.length > 16)) throw new ValidationError(`a message tag has 1-16 characters, got ${JSON.stringify(message.tag)}`);
    for (const name of Object.keys(message.attributes ?? {})) {
      if (!/^[A-Za-z_][\w.-]*$/.test(name)) throw new ValidationError(`message attribute name ${JSON.stringify(name)} is not an XML element name`);
    }
    this.published.push({ topic, ...message });
    return { messageId: randomUUID().replace(/-/g, '').toUpperCase(), bodyMd5: wireMd5(message.body) };
  }
}
