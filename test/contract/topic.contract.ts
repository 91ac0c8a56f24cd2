/**
 * The Topic port contract (`functions/_shared/ports/topic.ts`), run against MnsTopic over `@alicloud/mns` with
 * the local MNS emulator and against FakeTopic (`queue.test.ts`).
 */
import { createHash, randomUUID } from 'node:crypto';
import { ValidationError } from '#shared/errors';
import type { Topic } from '#shared/ports/topic';

export interface TopicDelivery {
  body: string;
  tag?: string;
}

export interface TopicUnderTest {
  topic: Topic;
  createTopic(name: string): Promise<void>;
  /** A subscriber of `topic` (with an optional FilterTag): answers what it received so far. */
  subscribe(topic: string, filterTag?: string): Promise<() => Promise<TopicDelivery[]>>;
  close(): Promise<void>;
}

export type TopicFactory = () => Promise<TopicUnderTest>;

const wireMd5 = (body: string) => createHash('md5').update(Buffer.from(body).toString('base64')).digest('hex').toUpperCase();

export function describeTopicContract(name: string, factory: TopicFactory): void {
  describe(`Topic contract: ${name}`, () => {
    let subject: TopicUnderTest;
    let topic: Topic;
    let current = '';
    let seq = 0;
    const run = randomUUID().slice(0, 8);

    beforeAll(async () => {
      subject = await factory();
      topic = subject.topic;
    });
    afterAll(() => subject?.close());
    beforeEach(async () => {
      current = `contract-${run}-${++seq}`;
      await subject.createTopic(current);
    });

    it('publishes a body exactly, to every subscriber', async () => {
      const all = await subject.subscribe(current);
      const other = await subject.subscribe(current);
      const body = '{"alert":"<temp> & \\"hot\\"","日本":"🎉"}';
      const published = await topic.publish(current, { body });
      expect(published).toEqual({ messageId: expect.any(String), bodyMd5: wireMd5(body) });
      expect(await all()).toEqual([{ body }]);
      expect(await other()).toEqual([{ body }]);
    });

    it('delivers to a filtered subscriber only the messages with its tag', async () => {
      const critical = await subject.subscribe(current, 'critical');
      const everything = await subject.subscribe(current);
      await topic.publish(current, { body: 'a', tag: 'critical' });
      await topic.publish(current, { body: 'b', tag: 'info' });
      await topic.publish(current, { body: 'c' });
      expect(await critical()).toEqual([{ body: 'a', tag: 'critical' }]);
      expect((await everything()).map((d) => d.body).sort()).toEqual(['a', 'b', 'c']);
    });

    it('refuses tags and attribute names MNS would refuse, publishing nothing', async () => {
      const all = await subject.subscribe(current);
      await expect(topic.publish(current, { body: 'x', tag: 'seventeen-chars-x' })).rejects.toBeInstanceOf(ValidationError);
      await expect(topic.publish(current, { body: 'x', attributes: { 'not a name': 'v' } })).rejects.toBeInstanceOf(ValidationError);
      expect(await all()).toEqual([]);
    });

    it('carries attribute values with XML characters', async () => {
      await expect(topic.publish(current, { body: 'x', attributes: { Extend: '{"a":"<&>"}' } })).resolves.toMatchObject({ messageId: expect.any(String) });
    });
  });
}
