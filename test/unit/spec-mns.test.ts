/**
 * s.yaml and ROS keys for MNS (decision D25): what the loader accepts, what it refuses by name, and the
 * cross-checks a deploy would fail on too.
 */
import { loadSpec } from '../../scripts/local/spec/load';
import { SpecErrors } from '../../scripts/local/spec/errors';
import type { AppSpec, MnsQueueTriggerSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

const INFRA = `ROSTemplateFormatVersion: '2015-09-01'
Resources:
  Jobs:
    Type: ALIYUN::MNS::Queue
    Properties: { QueueName: jobs, VisibilityTimeout: 5, DlqPolicy: { Enabled: true, DeadLetterTargetQueue: jobs-dlq, MaxReceiveCount: 4 } }
  JobsDlq:
    Type: ALIYUN::MNS::Queue
    Properties: { QueueName: jobs-dlq }
  Events:
    Type: ALIYUN::MNS::Topic
    Properties: { TopicName: events }
  Copy:
    Type: ALIYUN::MNS::Subscription
    Properties:
      TopicName: events
      SubscriptionName: copy
      Endpoint: { 'Fn::Sub': 'acs:mns:\${ALIYUN::Region}:\${ALIYUN::AccountId}:queues/jobs' }
      FilterTag: important
      NotifyContentFormat: SIMPLIFIED
`;

function load(functionProps: string, infra = INFRA): AppSpec {
  const dir = tempDir();
  try {
    dir.write('infra.yaml', infra);
    return loadSpec(
      dir.write(
        's.yaml',
        `edition: 3.0.0
name: t
resources:
  infra:
    component: ros
    props: { region: cn-hangzhou, name: t, template: ./infra.yaml }
  f:
    component: fc3
    props:
      region: cn-hangzhou
      functionName: t-f
      runtime: nodejs20
      code: ./dist/f
      handler: index.handler
${functionProps}`,
      ),
      {},
    );
  } finally {
    dir.cleanup();
  }
}

function errorsOf(functionProps: string, infra = INFRA): string[] {
  try {
    load(functionProps, infra);
    return [];
  } catch (err) {
    if (err instanceof SpecErrors) return err.errors.map((e) => e.message);
    throw err;
  }
}

const queueTrigger = (config: string) => `      triggers:
        - triggerName: q
          triggerType: eventbridge
          triggerConfig:
${config}`;

const MNS_SOURCE = `            eventSourceConfig:
              eventSourceType: MNS
              eventSourceParameters:
                sourceMNSParameters: { QueueName: jobs }
`;

describe('MNS resources of the ROS template', () => {
  it('become queues, topics and subscriptions, with pseudo parameters resolved', () => {
    const spec = load('');
    expect(spec.infra.queues).toEqual([
      { name: 'jobs', delaySeconds: 0, maximumMessageSize: 65536, messageRetentionPeriod: 345600, visibilityTimeout: 5, pollingWaitSeconds: 0, loggingEnabled: false, dlqPolicy: { deadLetterTargetQueue: 'jobs-dlq', maxReceiveCount: 4 } },
      expect.objectContaining({ name: 'jobs-dlq', visibilityTimeout: 30 }),
    ]);
    expect(spec.infra.topics).toEqual([{ name: 'events', maximumMessageSize: 65536, loggingEnabled: false }]);
    expect(spec.infra.subscriptions).toEqual([
      { topic: 'events', name: 'copy', endpoint: 'acs:mns:cn-hangzhou:1000000000000001:queues/jobs', filterTag: 'important', notifyStrategy: 'BACKOFF_RETRY', notifyContentFormat: 'SIMPLIFIED' },
    ]);
  });

  it('refuse unknown properties, values out of range and undeclared references by name', () => {
    const bad = INFRA.replace('VisibilityTimeout: 5', 'VisibilityTimeout: 0, Colour: red').replace('DeadLetterTargetQueue: jobs-dlq', 'DeadLetterTargetQueue: nowhere');
    expect(errorsOf('', bad)).toEqual([expect.stringContaining('Resources.Jobs.Properties.Colour: is not a property the local cloud knows')]);
    expect(errorsOf('', INFRA.replace('VisibilityTimeout: 5', 'VisibilityTimeout: 0'))).toEqual([expect.stringContaining('VisibilityTimeout: must be an integer in 1..43200')]);
    expect(errorsOf('', INFRA.replace('DeadLetterTargetQueue: jobs-dlq', 'DeadLetterTargetQueue: nowhere'))).toEqual([expect.stringContaining('queue "nowhere" is not declared')]);
    expect(errorsOf('', INFRA.replace('TopicName: events\n      SubscriptionName', 'TopicName: other\n      SubscriptionName'))).toEqual([expect.stringContaining('topic "other" is not declared')]);
  });
});

describe('eventbridge triggers with an MNS source', () => {
  it('read the batch, push and schema settings', () => {
    const spec = load(
      queueTrigger(`            asyncInvocationType: true
            eventRuleFilterPattern: '{"source":["MNS-t-f-q"]}'
${MNS_SOURCE.replace('{ QueueName: jobs }', '{ QueueName: jobs, IsBase64Decode: false }')}            eventSinkConfig: { deliveryOption: { eventSchema: RawData, concurrency: 2 } }
            runOptions:
              mode: event-streaming
              batchWindow: { CountBasedWindow: 100, TimeBasedWindow: 3 }
              maximumTasks: 4
              retryStrategy: { PushRetryStrategy: EXPONENTIAL_DECAY_RETRY }
`),
    );
    expect(spec.functions[0]!.triggers[0]).toEqual({
      type: 'eventbridge',
      name: 'q',
      queue: 'jobs',
      enabled: true,
      async: true,
      base64Decode: false,
      mode: 'event-streaming',
      eventSchema: 'RawData',
      batchSize: 100,
      batchWindowSeconds: 3,
      consumers: 4,
      filterPattern: { source: ['MNS-t-f-q'] },
      declared: expect.objectContaining({ triggerConfig: expect.objectContaining({ eventSourceConfig: expect.anything() }) }),
    } satisfies MnsQueueTriggerSpec & { declared: unknown });
  });

  it('default to synchronous, decoded, one-message event streams', () => {
    expect(load(queueTrigger(MNS_SOURCE)).functions[0]!.triggers[0]).toMatchObject({ async: false, base64Decode: true, mode: 'event-streaming', eventSchema: 'CloudEvents', batchSize: 1, batchWindowSeconds: 0, consumers: 1 });
  });

  it('refuse what is not emulated, naming the key and why', () => {
    expect(errorsOf(queueTrigger(MNS_SOURCE.replace('MNS\n', 'RocketMQ\n')))).toEqual([expect.stringContaining('eventSourceType: "RocketMQ" is not emulated')]);
    expect(errorsOf(queueTrigger(`${MNS_SOURCE}            runOptions: { deadLetterQueue: { Arn: 'acs:mns:cn-hangzhou:1:/queues/x' } }\n`))).toEqual([
      expect.stringContaining('runOptions.deadLetterQueue: not supported by the local cloud: EventBridge\'s own dead-letter queue is not emulated'),
    ]);
    expect(errorsOf(queueTrigger(`${MNS_SOURCE}            runOptions: { errorsTolerance: ALL }\n`))).toEqual([expect.stringContaining('errorsTolerance: "ALL" is not emulated')]);
    expect(errorsOf(queueTrigger(`${MNS_SOURCE}            runOptions: { mode: event-driven, batchWindow: { CountBasedWindow: 10 } }\n`))).toEqual([expect.stringContaining('batching needs mode event-streaming')]);
    expect(errorsOf(queueTrigger(`${MNS_SOURCE}            eventRuleFilterPattern: '{"source":[{"prefix":"MNS"}]}'\n`))).toEqual([expect.stringContaining('only exact-value patterns')]);
    expect(errorsOf(queueTrigger(MNS_SOURCE.replace('QueueName: jobs', 'QueueName: missing')))).toEqual([expect.stringContaining('queue "missing" is not declared')]);
    expect(errorsOf(queueTrigger(`${MNS_SOURCE}            runOption: {}\n`))).toEqual([expect.stringContaining('did you mean "runOptions"?')]);
  });
});

describe('mns_topic triggers and MNS destinations', () => {
  const topicTrigger = (arn: string, config: string) => `      triggers:
        - triggerName: t
          triggerType: mns_topic
          sourceArn: ${arn}
          triggerConfig: ${config}
`;

  it('read the topic, format, strategy and filter tag', () => {
    const spec = load(topicTrigger('acs:mns:cn-hangzhou:123:/topics/events', '{ notifyContentFormat: JSON, notifyStrategy: EXPONENTIAL_DECAY_RETRY, filterTag: vip }'));
    expect(spec.functions[0]!.triggers[0]).toEqual({
      type: 'mns_topic',
      name: 't',
      topic: 'events',
      notifyContentFormat: 'JSON',
      notifyStrategy: 'EXPONENTIAL_DECAY_RETRY',
      filterTag: 'vip',
      declared: { triggerConfig: { notifyContentFormat: 'JSON', notifyStrategy: 'EXPONENTIAL_DECAY_RETRY', filterTag: 'vip' }, sourceArn: expect.stringMatching(/topics\/events$/) },
    });
  });

  it('refuse a bad format, an undeclared topic and a filter tag over 16 characters', () => {
    expect(errorsOf(topicTrigger('acs:mns:cn-hangzhou:123:/topics/events', '{ notifyContentFormat: XML, notifyStrategy: BACKOFF_RETRY }'))).toEqual([expect.stringContaining('notifyContentFormat: must be STREAM or JSON')]);
    expect(errorsOf(topicTrigger('acs:mns:cn-hangzhou:123:/topics/nope', '{ notifyContentFormat: STREAM, notifyStrategy: BACKOFF_RETRY }'))).toEqual([expect.stringContaining('topic "nope" is not declared')]);
    expect(errorsOf(topicTrigger('acs:mns:cn-hangzhou:123:/topics/events', '{ notifyContentFormat: STREAM, notifyStrategy: BACKOFF_RETRY, filterTag: seventeen-chars-x }'))).toEqual([expect.stringContaining('filterTag: must be a string of at most 16')]);
  });

  it('name only the template mistake, not every reference to what the refused template declares (D165)', () => {
    const typo = INFRA.replace('VisibilityTimeout: 5', 'VisibilityTimeout: 5, ReceiveMessageWaitTime: 5');
    expect(errorsOf(topicTrigger('acs:mns:cn-hangzhou:123:/topics/events', '{ notifyContentFormat: JSON, notifyStrategy: BACKOFF_RETRY }'), typo)).toEqual([
      expect.stringContaining('Resources.Jobs.Properties.ReceiveMessageWaitTime: is not a property the local cloud knows'),
    ]);
  });

  it('accept MNS queue and topic destinations and check they are declared', () => {
    const destinations = (onSuccess: string, onFailure: string) => `      asyncInvokeConfig:
        destinationConfig:
          onSuccess: { destination: '${onSuccess}' }
          onFailure: { destination: '${onFailure}' }
`;
    const spec = load(destinations('acs:mns:cn-hangzhou::/topics/events/messages', 'acs:mns:cn-hangzhou:123:/queues/jobs-dlq/messages'));
    expect(spec.functions[0]!.asyncInvokeConfig).toMatchObject({
      onSuccess: { kind: 'mns-topic', topic: 'events' },
      onFailure: { kind: 'mns-queue', queue: 'jobs-dlq' },
    });
    expect(errorsOf(destinations('acs:mns:cn-hangzhou::/topics/gone/messages', 'acs:mns:cn-hangzhou::/queues/lost/messages'))).toEqual([
      expect.stringContaining('topic "gone" is not declared'),
      expect.stringContaining('queue "lost" is not declared'),
    ]);
  });
});
