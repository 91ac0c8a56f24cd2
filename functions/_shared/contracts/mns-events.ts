import * as z from 'zod';
import { parseJson, parseWith } from '../validation';

/**
 * The events FC passes to functions fired by MNS, and the wire encoding of message bodies.
 *
 * - Queue (`eventbridge` trigger, `eventSourceType: MNS`): CloudEvents
 *   (https://www.alibabacloud.com/help/en/functioncompute/fc/mns-queue-triggers), a JSON array of them in
 *   `event-streaming` mode, one object in `event-driven` mode; with `eventSchema: RawData` only their `data`.
 *   `data.messageBody` is the decoded body when the trigger has `IsBase64Decode: true` (the default).
 * - Topic (`mns_topic` trigger, reference §2.2): STREAM is the published body itself, or `{body, attrs}` when the
 *   message has attributes; JSON is `{TopicOwner, TopicName, Message, MessageId, …}` with the attributes merged in.
 *   Publishers using the Topic port send base64 bodies (as MNS asks), so the body is decoded here.
 */
export const MnsQueueEventData = z.looseObject({
  requestId: z.string().optional(),
  messageId: z.string(),
  messageBody: z.string(),
});

export const MnsQueueCloudEvent = z.looseObject({
  id: z.string(),
  source: z.string(),
  specversion: z.string(),
  type: z.literal('mns:Queue:SendMessage'),
  subject: z.string(),
  time: z.string(),
  data: MnsQueueEventData,
});
export type MnsQueueCloudEvent = z.infer<typeof MnsQueueCloudEvent>;

export interface MnsQueueMessage {
  messageId: string;
  /** The message body, base64-decoded when it was base64 (as the Queue port sends it). */
  body: string;
  /** `acs:mns:<region>:<account>:queues/<queue>`, when the event carries it (CloudEvents schema). */
  subject?: string;
}

const QueueEventPayload = z.union([MnsQueueCloudEvent, z.array(MnsQueueCloudEvent), MnsQueueEventData, z.array(MnsQueueEventData)]);

/**
 * The messages of an MNS queue trigger event, whatever its push mode and schema. A malformed event is a
 * ValidationError: retrying cannot fix it.
 * @example for (const m of parseMnsQueueEvent(event)) await handle(JSON.parse(m.body));
 */
export function parseMnsQueueEvent(event: Buffer | string): MnsQueueMessage[] {
  const parsed = parseWith(QueueEventPayload, parseJson(event.toString(), 'event'), 'event');
  const list = Array.isArray(parsed) ? parsed : [parsed];
  return list.map((item): MnsQueueMessage => {
    const cloudEvent = MnsQueueCloudEvent.safeParse(item);
    const data = cloudEvent.success ? cloudEvent.data.data : (item as z.infer<typeof MnsQueueEventData>);
    return { messageId: data.messageId, body: decodeBody(data.messageBody), ...(cloudEvent.success ? { subject: cloudEvent.data.subject } : {}) };
  });
}

const TopicJsonEvent = z.looseObject({
  TopicName: z.string(),
  MessageId: z.string(),
  Message: z.string(),
  MessageTag: z.string().optional(),
  PublishTime: z.union([z.number(), z.string()]).optional(),
});
const TopicStreamWithAttributes = z.strictObject({ body: z.string(), attrs: z.record(z.string(), z.string()) });
const TOPIC_JSON_FIELDS = new Set(['TopicOwner', 'TopicName', 'Subscriber', 'SubscriptionName', 'MessageId', 'Message', 'MessageMD5', 'MessageTag', 'PublishTime']);

export interface MnsTopicMessage {
  body: string;
  attributes: Record<string, string>;
  /** JSON format only. */
  messageId?: string;
  topic?: string;
  tag?: string;
  publishTime?: number;
}

/**
 * The message of an MNS topic trigger event, in STREAM or JSON format.
 * @example const { body, attributes } = parseMnsTopicEvent(event);
 */
export function parseMnsTopicEvent(event: Buffer | string): MnsTopicMessage {
  const text = event.toString();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { body: decodeBody(text), attributes: {} };
  }
  const withAttributes = TopicStreamWithAttributes.safeParse(json);
  if (withAttributes.success) return { body: decodeBody(withAttributes.data.body), attributes: withAttributes.data.attrs };
  const notification = TopicJsonEvent.safeParse(json);
  if (!notification.success) return { body: decodeBody(text), attributes: {} };
  const n = notification.data;
  const attributes: Record<string, string> = {};
  for (const [key, value] of Object.entries(n)) if (!TOPIC_JSON_FIELDS.has(key) && typeof value === 'string') attributes[key] = value;
  return {
    body: decodeBody(n.Message),
    attributes,
    messageId: n.MessageId,
    topic: n.TopicName,
    ...(n.MessageTag ? { tag: n.MessageTag } : {}),
    ...(n.PublishTime !== undefined ? { publishTime: Number(n.PublishTime) } : {}),
  };
}

/** Message bodies travel base64-encoded: `@alicloud/mns` does not escape XML, and MNS asks for base64. */
export const encodeBody = (body: string) => Buffer.from(body, 'utf8').toString('base64');

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes a body that is canonical base64 of valid UTF-8 and returns any other text as it is: bodies written by
 * others (FC's destination payload, an XML notification, a trigger that already decoded) stay readable.
 */
export function decodeBody(wire: string): string {
  if (wire.length === 0 || wire.length % 4 !== 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(wire)) return wire;
  const bytes = Buffer.from(wire, 'base64');
  if (bytes.toString('base64') !== wire) return wire;
  try {
    return utf8.decode(bytes);
  } catch {
    return wire;
  }
}
