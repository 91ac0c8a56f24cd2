import { SpecError } from './errors';
import type { MnsQueueSpec, MnsSubscriptionSpec, MnsTopicSpec } from './model';

/**
 * MNS resources of the ROS template, with the properties and ranges ROS documents
 * (https://www.alibabacloud.com/help/en/ros/developer-reference/aliyun-mns-queue, …-topic, …-subscription).
 * The local cloud creates them in its MNS emulator at start. A property not listed here is refused by name.
 */
type Props = Record<string, unknown>;

const QUEUE_PROPS = ['QueueName', 'DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'VisibilityTimeout', 'PollingWaitSeconds', 'LoggingEnabled', 'DlqPolicy', 'Tags'];
const TOPIC_PROPS = ['TopicName', 'MaximumMessageSize', 'LoggingEnabled', 'Tags'];
const SUBSCRIPTION_PROPS = ['TopicName', 'SubscriptionName', 'Endpoint', 'FilterTag', 'NotifyStrategy', 'NotifyContentFormat', 'DlqPolicy', 'PushType'];
const NAME = /^[A-Za-z0-9][A-Za-z0-9-]{0,255}$/;

function only(p: Props, allowed: string[], path: string): void {
  for (const key of Object.keys(p)) if (!allowed.includes(key)) throw new SpecError(`${path}.${key}`, 'is not a property the local cloud knows', `it creates these from ${allowed.join(', ')}`);
}

function name(p: Props, key: string, path: string): string {
  const value = p[key];
  if (typeof value !== 'string' || !NAME.test(value)) throw new SpecError(`${path}.${key}`, `must be a name of letters, digits and "-" starting with a letter or digit (got ${JSON.stringify(value)})`);
  return value;
}

function int(p: Props, key: string, low: number, high: number, fallback: number, path: string): number {
  const raw = p[key];
  if (raw === undefined) return fallback;
  const value = typeof raw === 'string' && /^\d+$/.test(raw) ? Number(raw) : raw;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < low || value > high) throw new SpecError(`${path}.${key}`, `must be an integer in ${low}..${high} (got ${JSON.stringify(raw)})`);
  return value;
}

function bool(p: Props, key: string, fallback: boolean, path: string): boolean {
  const raw = p[key];
  if (raw === undefined) return fallback;
  if (raw === true || raw === 'true') return true;
  if (raw === false || raw === 'false') return false;
  throw new SpecError(`${path}.${key}`, `must be true or false (got ${JSON.stringify(raw)})`);
}

function oneOf<T extends string>(p: Props, key: string, values: T[], fallback: T, path: string): T {
  const raw = p[key];
  if (raw === undefined) return fallback;
  if (typeof raw !== 'string' || !values.includes(raw as T)) throw new SpecError(`${path}.${key}`, `must be one of ${values.join(', ')} (got ${JSON.stringify(raw)})`);
  return raw as T;
}

/** `DlqPolicy: {Enabled, DeadLetterTargetQueue, MaxReceiveCount}`; undefined when absent or not enabled. */
function dlq(p: Props, path: string, withCount: boolean): { deadLetterTargetQueue: string; maxReceiveCount: number } | undefined {
  const raw = p.DlqPolicy;
  if (raw === undefined) return undefined;
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) throw new SpecError(`${path}.DlqPolicy`, 'must be a map');
  const d = raw as Props;
  only(d, withCount ? ['Enabled', 'DeadLetterTargetQueue', 'MaxReceiveCount'] : ['Enabled', 'DeadLetterTargetQueue'], `${path}.DlqPolicy`);
  if (!bool(d, 'Enabled', true, `${path}.DlqPolicy`)) return undefined;
  return { deadLetterTargetQueue: name(d, 'DeadLetterTargetQueue', `${path}.DlqPolicy`), maxReceiveCount: withCount ? int(d, 'MaxReceiveCount', 1, 1000, 3, `${path}.DlqPolicy`) : 0 };
}

export function mnsQueue(p: Props, path: string): MnsQueueSpec {
  only(p, QUEUE_PROPS, path);
  const policy = dlq(p, path, true);
  return {
    name: name(p, 'QueueName', path),
    delaySeconds: int(p, 'DelaySeconds', 0, 604800, 0, path),
    maximumMessageSize: int(p, 'MaximumMessageSize', 1024, 65536, 65536, path),
    messageRetentionPeriod: int(p, 'MessageRetentionPeriod', 60, 604800, 345600, path),
    visibilityTimeout: int(p, 'VisibilityTimeout', 1, 43200, 30, path),
    pollingWaitSeconds: int(p, 'PollingWaitSeconds', 0, 30, 0, path),
    loggingEnabled: bool(p, 'LoggingEnabled', false, path),
    ...(policy ? { dlqPolicy: policy } : {}),
  };
}

export function mnsTopic(p: Props, path: string): MnsTopicSpec {
  only(p, TOPIC_PROPS, path);
  return { name: name(p, 'TopicName', path), maximumMessageSize: int(p, 'MaximumMessageSize', 1024, 65536, 65536, path), loggingEnabled: bool(p, 'LoggingEnabled', false, path) };
}

export function mnsSubscription(p: Props, path: string): MnsSubscriptionSpec {
  only(p, SUBSCRIPTION_PROPS, path);
  const endpoint = p.Endpoint;
  if (typeof endpoint !== 'string' || !endpoint) throw new SpecError(`${path}.Endpoint`, 'is required: acs:mns:<region>:<account>:queues/<queue> or http(s)://…');
  if (/^(mail|sms):/i.test(endpoint)) throw new SpecError(`${path}.Endpoint`, 'mail and SMS endpoints are not emulated');
  const filterTag = p.FilterTag;
  if (filterTag !== undefined && (typeof filterTag !== 'string' || filterTag.length > 16)) throw new SpecError(`${path}.FilterTag`, 'must be a string of at most 16 characters');
  const policy = dlq(p, path, false);
  return {
    topic: name(p, 'TopicName', path),
    name: name(p, 'SubscriptionName', path),
    endpoint,
    notifyStrategy: oneOf(p, 'NotifyStrategy', ['BACKOFF_RETRY', 'EXPONENTIAL_DECAY_RETRY'], 'BACKOFF_RETRY', path),
    notifyContentFormat: oneOf(p, 'NotifyContentFormat', ['XML', 'JSON', 'SIMPLIFIED'], 'XML', path),
    ...(filterTag ? { filterTag: filterTag as string } : {}),
    ...(policy ? { deadLetterQueue: policy.deadLetterTargetQueue } : {}),
  };
}
