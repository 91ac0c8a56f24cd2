/**
 * The Queue and Topic contracts against both implementations: the `@alicloud/mns` adapters (MnsQueue,
 * MnsTopic) talking to the local MNS emulator over HTTP with signed requests, and the in-memory fakes unit
 * tests use. The emulator's wire behaviour beyond the ports is tested in test/integration/mns-wire.test.ts.
 */
import { join } from 'node:path';
import { createMnsClient, decodeBody } from '#shared/aliyun/mns-client';
import { MnsQueue } from '#shared/aliyun/mns-queue';
import { MnsTopic } from '#shared/aliyun/mns-topic';
import { ManualClock } from '#shared/ports/clock';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { QUEUE_DEFAULTS, startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { FakeQueue, FakeTopic } from '../helpers/fake-messaging';
import { tempDir } from '../helpers/temp';
import { describeQueueContract } from './queue.contract';
import { describeTopicContract, type TopicDelivery } from './topic.contract';

const REGION = 'cn-hangzhou';

async function emulator(): Promise<{ mns: MnsEmulator; clock: ManualClock; close(): Promise<void> }> {
  const dir = tempDir('mns-contract-');
  // The emulator checks request dates against its clock: start it at the real time the SDK signs with.
  const clock = new ManualClock(Date.now());
  const mns = await startMnsEmulator({ dataDir: join(dir.path, 'data'), region: REGION, port: 0, clock: () => clock.now() });
  return {
    mns,
    clock,
    close: async () => {
      await mns.close();
      dir.cleanup();
    },
  };
}

const client = (mns: MnsEmulator) => createMnsClient({ credentials: LOCAL_CREDENTIALS, region: REGION, accountId: LOCAL_ACCOUNT_ID, endpoint: mns.endpoint });

describeQueueContract('MnsQueue (@alicloud/mns against the local MNS emulator)', async () => {
  const { mns, clock, close } = await emulator();
  return {
    queue: new MnsQueue(client(mns)),
    createQueue: async (name) => void (await client(mns).createQueue(name)),
    advanceClock: (ms) => clock.advance(ms),
    now: () => clock.now(),
    close,
  };
});

describeQueueContract('FakeQueue', async () => {
  const clock = new ManualClock(Date.now());
  return { queue: new FakeQueue(() => clock.now()), createQueue: async () => undefined, advanceClock: (ms) => clock.advance(ms), now: () => clock.now(), close: async () => undefined };
});

describeTopicContract('MnsTopic (@alicloud/mns against the local MNS emulator)', async () => {
  const { mns, close } = await emulator();
  let subscribers = 0;
  return {
    topic: new MnsTopic(client(mns)),
    createTopic: async (name) => void (await client(mns).createTopic(name)),
    // A queue subscribed with the JSON format keeps the tag; the SDK's subscribe() is a stub, so the
    // subscription is made in the emulator directly (raw Subscribe requests are tested in the wire tests).
    subscribe: async (topic, filterTag) => {
      const queue = `${topic}-sub-${++subscribers}`;
      mns.queues.createQueue(queue, QUEUE_DEFAULTS);
      mns.topics.subscribe(topic, `s${subscribers}`, {
        endpoint: `acs:mns:${REGION}:${LOCAL_ACCOUNT_ID}:queues/${queue}`,
        notifyContentFormat: 'JSON',
        ...(filterTag ? { filterTag } : {}),
      });
      return async () =>
        mns.queues.peek(queue, 16).map((m): TopicDelivery => {
          const n = JSON.parse(m.body) as { Message: string; MessageTag?: string };
          return { body: decodeBody(n.Message), ...(n.MessageTag ? { tag: n.MessageTag } : {}) };
        });
    },
    close,
  };
});

describeTopicContract('FakeTopic', async () => {
  const fake = new FakeTopic();
  return {
    topic: fake,
    createTopic: async () => undefined,
    subscribe: async (topic, filterTag) => async () =>
      fake.published.filter((p) => p.topic === topic && (!filterTag || p.tag === filterTag)).map((p) => ({ body: p.body, ...(p.tag ? { tag: p.tag } : {}) })),
    close: async () => undefined,
  };
});
