/**
 * Topic port: publish to an MNS topic, which fans out to its subscriptions (queues, FC functions through
 * `mns_topic` triggers, HTTP endpoints). Adapter: `MnsTopic` over `@alicloud/mns`, pointed at the local MNS
 * emulator by `MNS_ENDPOINT`.
 *
 * A subscription with a `FilterTag` receives only messages published with that tag. Subscriptions are
 * infrastructure (ROS `ALIYUN::MNS::Subscription` / s.yaml triggers), never created by functions.
 */
export interface TopicMessageInput {
  body: string;
  /** MNS `MessageTag` (≤ 16 characters): subscriptions with a `FilterTag` receive only matching messages. */
  tag?: string;
  /** MNS message attributes (delivered to `mns_topic` triggers as `attrs`). */
  attributes?: Record<string, string>;
}

export interface PublishedMessage {
  messageId: string;
  bodyMd5: string;
}

export interface Topic {
  publish(topic: string, message: TopicMessageInput): Promise<PublishedMessage>;
}
