/**
 * The Queue port contract: MNS queue semantics as `functions/_shared/ports/queue.ts` states them, run against
 * every implementation (`queue.test.ts`: MnsQueue over `@alicloud/mns` against the local MNS emulator, and the
 * FakeQueue unit tests use). Every test works in a queue of its own.
 */
import { createHash, randomUUID } from 'node:crypto';
import { ValidationError } from '#shared/errors';
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_LIMIT, type Queue, type ReceivedMessage } from '#shared/ports/queue';

export interface QueueUnderTest {
  queue: Queue;
  /** Creates an empty queue with MNS's defaults (VisibilityTimeout 30 s). */
  createQueue(name: string): Promise<void>;
  /** Moves the clock visibility timeouts and delays are measured with. */
  advanceClock(ms: number): void;
  now(): number;
  close(): Promise<void>;
}

export type QueueFactory = () => Promise<QueueUnderTest>;

/** Bodies travel base64-encoded; the MD5 MNS answers is of the body as sent. */
const wireMd5 = (body: string) => createHash('md5').update(Buffer.from(body).toString('base64')).digest('hex').toUpperCase();

export function describeQueueContract(name: string, factory: QueueFactory): void {
  describe(`Queue contract: ${name}`, () => {
    let subject: QueueUnderTest;
    let queue: Queue;
    let current = '';
    let seq = 0;
    const run = randomUUID().slice(0, 8);

    beforeAll(async () => {
      subject = await factory();
      queue = subject.queue;
    });
    afterAll(() => subject?.close());
    beforeEach(async () => {
      current = `contract-${run}-${++seq}`;
      await subject.createQueue(current);
    });

    /** Receives until `count` messages arrived (MNS may answer fewer than asked per call). */
    async function receiveAll(count: number): Promise<ReceivedMessage[]> {
      const got: ReceivedMessage[] = [];
      for (let i = 0; i < 50 && got.length < count; i++) got.push(...(await queue.receive(current, { max: QUEUE_BATCH_LIMIT })));
      return got;
    }

    it('delivers a body exactly as sent, with MNS message fields', async () => {
      const body = 'ünïcødé <xml> & "quotes" \'apos\'\n\ttabs 日本語 🎉 {"json":[1,2]}';
      const sent = await queue.send(current, { body });
      expect(sent.bodyMd5).toBe(wireMd5(body));
      const before = subject.now();
      const [m] = await queue.receive(current);
      expect(m).toMatchObject({ messageId: sent.messageId, body, dequeueCount: 1, priority: 8 });
      expect(m!.receiptHandle).toEqual(expect.any(String));
      expect(m!.nextVisibleTime).toBeGreaterThanOrEqual(before + 30000);
      expect(m!.enqueueTime).toBeLessThanOrEqual(m!.firstDequeueTime);
    });

    it('answers an empty list when the queue has nothing visible', async () => {
      expect(await queue.receive(current, { max: 16 })).toEqual([]);
    });

    it('hides a received message until its visibility timeout, then delivers it again with a new handle', async () => {
      await queue.send(current, { body: 'again' });
      const [first] = await queue.receive(current);
      expect(await queue.receive(current)).toEqual([]);
      subject.advanceClock(31000);
      const [second] = await queue.receive(current);
      expect(second).toMatchObject({ messageId: first!.messageId, body: 'again', dequeueCount: 2 });
      expect(second!.receiptHandle).not.toBe(first!.receiptHandle);
      // Only the newest handle deletes the message.
      await expect(queue.delete(current, first!.receiptHandle)).rejects.toMatchObject({ code: 'MessageNotExist' });
      await queue.delete(current, second!.receiptHandle);
      subject.advanceClock(31000);
      expect(await queue.receive(current)).toEqual([]);
    });

    it('refuses a handle used after the visibility timeout ran out', async () => {
      await queue.send(current, { body: 'late' });
      const [m] = await queue.receive(current);
      subject.advanceClock(31000);
      await expect(queue.delete(current, m!.receiptHandle)).rejects.toMatchObject({ code: 'MessageNotExist' });
      await expect(queue.changeVisibility(current, m!.receiptHandle, 10)).rejects.toMatchObject({ code: 'MessageNotExist' });
    });

    it('refuses a receipt handle that is not one', async () => {
      await expect(queue.delete(current, 'not-a-receipt-handle')).rejects.toMatchObject({ code: 'ReceiptHandleError' });
    });

    it('sends up to 16 messages in one batch, results in order', async () => {
      const bodies = Array.from({ length: QUEUE_BATCH_LIMIT }, (_, i) => `batch-${i}`);
      const results = await queue.sendBatch(current, bodies.map((body) => ({ body })));
      expect(results).toHaveLength(QUEUE_BATCH_LIMIT);
      results.forEach((r, i) => expect(r).toEqual({ ok: true, messageId: expect.any(String), bodyMd5: wireMd5(bodies[i]!) }));
      const got = await receiveAll(QUEUE_BATCH_LIMIT);
      expect(got.map((m) => m.body).sort()).toEqual([...bodies].sort());
      expect(new Set(got.map((m) => m.messageId))).toEqual(new Set(results.map((r) => (r.ok ? r.messageId : ''))));
    });

    it('refuses batches over MNS limits before sending anything', async () => {
      await expect(queue.sendBatch(current, [])).rejects.toBeInstanceOf(ValidationError);
      await expect(queue.sendBatch(current, Array.from({ length: QUEUE_BATCH_LIMIT + 1 }, () => ({ body: 'x' })))).rejects.toBeInstanceOf(ValidationError);
      // 64 KiB is measured on the wire: 3 bytes of body become 4 base64 characters.
      const body = 'a'.repeat(Math.floor((QUEUE_BATCH_BYTES / 2) * 0.75) + 3);
      await expect(queue.sendBatch(current, [{ body }, { body }])).rejects.toBeInstanceOf(ValidationError);
      expect(await queue.receive(current, { max: 16 })).toEqual([]);
    });

    it('refuses an empty body', async () => {
      await expect(queue.send(current, { body: '' })).rejects.toThrow();
    });

    it('deletes in batches and names the handles that failed', async () => {
      await queue.sendBatch(current, [{ body: 'a' }, { body: 'b' }, { body: 'c' }]);
      const got = await receiveAll(3);
      const [stale] = got;
      const fresh = await queue.changeVisibility(current, stale!.receiptHandle, 60);
      const result = await queue.deleteBatch(current, got.map((m) => m.receiptHandle));
      expect(result.failed).toEqual([{ receiptHandle: stale!.receiptHandle, code: 'MessageNotExist', message: expect.any(String) }]);
      await queue.delete(current, fresh.receiptHandle);
      subject.advanceClock(61000);
      expect(await queue.receive(current, { max: 16 })).toEqual([]);
    });

    it('changes visibility with a new handle', async () => {
      await queue.send(current, { body: 'vis' });
      const [m] = await queue.receive(current);
      const changed = await queue.changeVisibility(current, m!.receiptHandle, 100);
      expect(changed.receiptHandle).not.toBe(m!.receiptHandle);
      expect(changed.nextVisibleTime).toBeGreaterThanOrEqual(subject.now() + 100000 - 1000);
      subject.advanceClock(60000);
      expect(await queue.receive(current)).toEqual([]);
      subject.advanceClock(41000);
      const [again] = await queue.receive(current);
      expect(again).toMatchObject({ messageId: m!.messageId, dequeueCount: 2 });
    });

    it('keeps a delayed message invisible until its delay has passed', async () => {
      await queue.send(current, { body: 'later', delaySeconds: 20 });
      expect(await queue.receive(current)).toEqual([]);
      subject.advanceClock(21000);
      expect((await queue.receive(current)).map((m) => m.body)).toEqual(['later']);
    });

    it('delivers higher priority (lower number) first', async () => {
      await queue.send(current, { body: 'low', priority: 16 });
      await queue.send(current, { body: 'high', priority: 1 });
      await queue.send(current, { body: 'normal' });
      const got = await receiveAll(3);
      expect(got.map((m) => m.body)).toEqual(['high', 'normal', 'low']);
      expect(got.map((m) => m.priority)).toEqual([1, 8, 16]);
    });
  });
}
