import { createHash } from 'node:crypto';
import type MNS from '@alicloud/mns';
import { ValidationError } from '../errors';
import type { PublishedMessage, Topic, TopicMessageInput } from '../ports/topic';
import { encodeBody, mnsCall, MnsRequestError, xmlText } from './mns-client';

/** MNS limits a MessageTag (and a subscription's FilterTag) to 16 characters. */
export const MESSAGE_TAG_MAX = 16;
const ATTRIBUTE_NAME = /^[A-Za-z_][\w.-]*$/;

/**
 * The Topic port over `@alicloud/mns` (PublishMessage). The body travels base64-encoded, as MNS asks
 * (https://www.alibabacloud.com/help/en/mns/developer-reference/publishmessage): subscribers — queues and FC
 * `mns_topic` triggers alike — receive it base64-encoded and decode it (`contracts/mns-events.ts`).
 * The tag and attribute values are XML-escaped, which the SDK does not do.
 */
export class MnsTopic implements Topic {
  constructor(private readonly client: MNS) {}

  async publish(topic: string, message: TopicMessageInput): Promise<PublishedMessage> {
    if (message.tag !== undefined && (message.tag.length === 0 || message.tag.length > MESSAGE_TAG_MAX)) {
      throw new ValidationError(`a message tag has 1-${MESSAGE_TAG_MAX} characters, got ${JSON.stringify(message.tag)}`);
    }
    const attributes: Record<string, string> = {};
    for (const [name, value] of Object.entries(message.attributes ?? {})) {
      if (!ATTRIBUTE_NAME.test(name)) throw new ValidationError(`message attribute name ${JSON.stringify(name)} is not an XML element name`);
      attributes[name] = xmlText(value);
    }
    const wire = encodeBody(message.body);
    const res = await mnsCall(() =>
      this.client.publishMessage(topic, {
        MessageBody: wire,
        ...(message.tag !== undefined ? { MessageTag: xmlText(message.tag) } : {}),
        ...(Object.keys(attributes).length > 0 ? { MessageAttributes: attributes } : {}),
      }),
    );
    const md5 = createHash('md5').update(wire).digest('hex').toUpperCase();
    if (res.body.MessageBodyMD5.toUpperCase() !== md5) throw new MnsRequestError('MessageBodyMD5Mismatch', `MNS stored a body with MD5 ${res.body.MessageBodyMD5}, sent ${md5}`);
    return { messageId: res.body.MessageId, bodyMd5: md5 };
  }
}
