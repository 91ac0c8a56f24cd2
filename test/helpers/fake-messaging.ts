import { createHash, randomUUID } from 'node:crypto';
import type { BatchSendResult, Queue, QueueMessageInput, ReceivedMessage, SentMessage } from '#shared/ports/queue';
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_LIMIT } from '#shared/ports/queue';
import type { PublishedMessage, Topic, TopicMessageInput } from '#shared/ports/topic';

const md5 = (body: string) => createHash('md5').update(body).digest('hex').toUpperCase();

interface StoredMessage {
  messageId: string;
  body: string;
  priority: number;
  enqueueTime: number;
  visibleAt: number;
  dequeueCount: number;
  firstDequeueTime: number;
  receiptHandle?: string;
}

/**
 * An in-memory Queue for unit tests: visibility timeouts and receipt handles as MNS has them, on an injected
 * clock (no long polling: `receive` answers at once). Records every call so tests assert on batching.
 */
export class FakeQueue implements Queue {
  readonly queues = new Map<string, StoredMessage[]>();
  readonly calls: { op: string; queue: string; count: number }[] = [];
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
    if (messages.length === 0 || messages.length > QUEUE_BATCH_LIMIT) throw new Error(`sendBatch takes 1-${QUEUE_BATCH_LIMIT} messages`);
    if (messages.reduce((n, m) => n + Buffer.byteLength(m.body), 0) > QUEUE_BATCH_BYTES) throw new Error('sendBatch is over 64 KiB');
    return messages.map((m) => ({ ok: true as const, ...this.store(queue, m) }));
  }

  async receive(queue: string, options: { max?: number; waitSeconds?: number } = {}): Promise<ReceivedMessage[]> {
    this.calls.push({ op: 'receive', queue, count: options.max ?? 1 });
    const now = this.now();
    const ready = this.messages(queue)
      .filter((m) => m.visibleAt <= now)
      .sort((a, b) => a.priority - b.priority || a.enqueueTime - b.enqueueTime)
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
    const index = list.findIndex((m) => m.receiptHandle === receiptHandle && m.visibleAt > this.now());
    if (index < 0) throw Object.assign(new Error(`ReceiptHandleError: ${receiptHandle}`), { code: 'ReceiptHandleError' });
    list.splice(index, 1);
  }

  async deleteBatch(queue: string, receiptHandles: string[]) {
    const failed: { receiptHandle: string; code: string; message: string }[] = [];
    for (const receiptHandle of receiptHandles) {
      try {
        await this.delete(queue, receiptHandle);
      } catch (err) {
        failed.push({ receiptHandle, code: 'ReceiptHandleError', message: (err as Error).message });
      }
    }
    return { failed };
  }

  async changeVisibility(queue: string, receiptHandle: string, seconds: number) {
    const message = this.messages(queue).find((m) => m.receiptHandle === receiptHandle && m.visibleAt > this.now());
    if (!message) throw Object.assign(new Error(`ReceiptHandleError: ${receiptHandle}`), { code: 'ReceiptHandleError' });
    message.visibleAt = this.now() + seconds * 1000;
    message.receiptHandle = randomUUID();
    return { receiptHandle: message.receiptHandle, nextVisibleTime: message.visibleAt };
  }

  private store(queue: string, message: QueueMessageInput): SentMessage {
    const now = this.now();
    const stored: StoredMessage = { messageId: randomUUID().replace(/-/g, '').toUpperCase(), body: message.body, priority: message.priority ?? 8, enqueueTime: now, visibleAt: now + (message.delaySeconds ?? 0) * 1000, dequeueCount: 0, firstDequeueTime: 0 };
    this.messages(queue).push(stored);
    return { messageId: stored.messageId, bodyMd5: md5(message.body) };
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
    this.published.push({ topic, ...message });
    return { messageId: randomUUID().replace(/-/g, '').toUpperCase(), bodyMd5: md5(message.body) };
  }
}
