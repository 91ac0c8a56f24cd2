/**
 * Hand-written types for `@alicloud/mns` 1.2.x (ships no .d.ts), read from its `lib/client.js` and
 * `lib/helper.js`. Quirks worth knowing (reference/fc-runtime-and-sdks.md §5):
 * - request bodies are built by string concatenation with no XML escaping: callers base64-encode message
 *   bodies (or escape values themselves);
 * - an MNS error becomes an `Error` named `MNS<Code>Error` (e.g. `MNSQueueNotExistError`) whose message holds
 *   the HTTP status ("… failed with 404 …"); there is no `code` property;
 * - the HTTP status of a success is not checked: a BatchDeleteMessage partial failure (404 `<Errors>`) or a
 *   BatchSendMessage with failed entries resolves normally with the entries in `body`;
 * - receipt handles go into the query string unencoded;
 * - `deleteTopic`, `subscribe`, `unsubscribe`, `listSubscriptionByTopic`, `getSubscriptionAttributes`,
 *   `setSubscriptionAttributes` and `httpEndpoint` are empty stubs that send nothing and return undefined.
 */
declare module '@alicloud/mns' {
  namespace MNS {
    interface Credentials {
      accessKeyId: string;
      accessKeySecret: string;
      securityToken: string;
    }

    interface ClientOptions {
      /** Required unless `endpoint` is given. */
      region?: string;
      accessKeyId?: string;
      /** Older spelling, still accepted. */
      accessKeyID?: string;
      accessKeySecret: string;
      securityToken?: string;
      /** Called at most every `refreshSTSTokenInterval` ms (default 5 min) before a request. */
      refreshSTSToken?: () => Promise<Credentials>;
      refreshSTSTokenInterval?: number;
      /** `http(s)://host[:port]`; default `http(s)://<account>.mns.<region>[-internal][-vpc].aliyuncs.com`. */
      endpoint?: string;
      secure?: boolean;
      internal?: boolean;
      vpc?: boolean;
      /** ms, default 40000. */
      readTimeout?: number;
      /** ms, default 30000. */
      connectTimeout?: number;
    }

    /** Every call resolves to the HTTP status, the headers asked for, and the parsed XML body (text values). */
    interface Response<B> {
      code: number;
      headers: Record<string, string | undefined>;
      body: B;
    }

    /** Element names of a request body; values are inserted into the XML as they are (no escaping). */
    type XmlParams = Record<string, string | number | boolean | Record<string, string | number | boolean>>;

    interface SendMessageParams {
      MessageBody: string;
      DelaySeconds?: number;
      Priority?: number;
    }

    interface PublishMessageParams {
      MessageBody: string;
      MessageTag?: string;
      /** Child elements of `<MessageAttributes>`; values are not escaped. */
      MessageAttributes?: Record<string, string>;
    }

    interface SentMessageBody {
      MessageId: string;
      MessageBodyMD5: string;
    }

    /** One entry of a BatchSendMessage answer: an id, or an error for that message. */
    interface BatchSentMessageBody {
      MessageId?: string;
      MessageBodyMD5?: string;
      ErrorCode?: string;
      ErrorMessage?: string;
    }

    /** All values are strings as parsed from the XML. */
    interface ReceivedMessageBody {
      MessageId: string;
      ReceiptHandle: string;
      MessageBody: string;
      MessageBodyMD5: string;
      EnqueueTime: string;
      NextVisibleTime: string;
      FirstDequeueTime: string;
      DequeueCount: string;
      Priority: string;
    }

    type PeekedMessageBody = Omit<ReceivedMessageBody, 'ReceiptHandle' | 'NextVisibleTime'>;

    interface ChangeVisibilityBody {
      ReceiptHandle: string;
      NextVisibleTime: string;
    }

    interface DeleteErrorBody {
      ErrorCode: string;
      ErrorMessage: string;
      ReceiptHandle: string;
    }

    interface QueueAttributesBody {
      QueueName: string;
      CreateTime: string;
      LastModifyTime: string;
      DelaySeconds: string;
      MaximumMessageSize: string;
      MessageRetentionPeriod: string;
      VisibilityTimeout: string;
      PollingWaitSeconds: string;
      ActiveMessages: string;
      InactiveMessages: string;
      DelayMessages: string;
      LoggingEnabled: string;
      [element: string]: unknown;
    }

    interface TopicAttributesBody {
      TopicName: string;
      CreateTime: string;
      LastModifyTime: string;
      MaximumMessageSize: string;
      MessageRetentionPeriod: string;
      MessageCount: string;
      LoggingEnabled: string;
    }
  }

  class MNS {
    constructor(accountId: string, options: MNS.ClientOptions);
    readonly endpoint: string;

    /**
     * The request primitive the operations use: `resource` is the path and query, signed as is; `type` names
     * the root element whose children become `body`.
     */
    get<B>(resource: string, type: string, options?: { headers?: Record<string, string | number>; timeout?: number; readTimeout?: number }): Promise<MNS.Response<B>>;

    createQueue(name: string, params?: MNS.XmlParams): Promise<MNS.Response<undefined>>;
    deleteQueue(name: string): Promise<MNS.Response<undefined>>;
    /** Note: sends `x-mns-prefix` only when `limit` is given too. The body is the list of `{QueueURL}`. */
    listQueue(start?: string, limit?: number, prefix?: string): Promise<MNS.Response<{ QueueURL: string }[] | undefined>>;
    getQueueAttributes(name: string): Promise<MNS.Response<MNS.QueueAttributesBody>>;
    setQueueAttributes(name: string, params?: MNS.XmlParams): Promise<MNS.Response<undefined>>;

    sendMessage(queue: string, params: MNS.SendMessageParams): Promise<MNS.Response<MNS.SentMessageBody>>;
    batchSendMessage(queue: string, params: MNS.SendMessageParams[]): Promise<MNS.Response<MNS.BatchSentMessageBody[]>>;
    /** Rejects with `MNSMessageNotExistError` when nothing arrived within `waitSeconds`. */
    receiveMessage(queue: string, waitSeconds?: number): Promise<MNS.Response<MNS.ReceivedMessageBody>>;
    batchReceiveMessage(queue: string, numOfMessages: number, waitSeconds?: number): Promise<MNS.Response<MNS.ReceivedMessageBody[]>>;
    peekMessage(queue: string): Promise<MNS.Response<MNS.PeekedMessageBody>>;
    batchPeekMessage(queue: string, numOfMessages: number): Promise<MNS.Response<MNS.PeekedMessageBody[]>>;
    deleteMessage(queue: string, receiptHandle: string): Promise<MNS.Response<undefined>>;
    /** Resolves with `body` undefined when all were deleted, or the failed entries (MNS answers 404 `<Errors>`). */
    batchDeleteMessage(queue: string, receiptHandles: string[]): Promise<MNS.Response<MNS.DeleteErrorBody[] | undefined>>;
    changeMessageVisibility(queue: string, receiptHandle: string, visibilityTimeout: number): Promise<MNS.Response<MNS.ChangeVisibilityBody>>;

    createTopic(name: string, params?: MNS.XmlParams): Promise<MNS.Response<undefined>>;
    listTopic(start?: string, limit?: number, prefix?: string): Promise<MNS.Response<{ TopicURL: string }[] | undefined>>;
    getTopicAttributes(name: string): Promise<MNS.Response<MNS.TopicAttributesBody>>;
    setTopicAttributes(name: string, params?: MNS.XmlParams): Promise<MNS.Response<undefined>>;
    publishMessage(topic: string, params: MNS.PublishMessageParams): Promise<MNS.Response<MNS.SentMessageBody>>;

    /** Stubs in 1.2.x: they send nothing. Use signed requests (or ROS) for these. */
    deleteTopic(): void;
    subscribe(): void;
    unsubscribe(): void;
    listSubscriptionByTopic(): void;
    getSubscriptionAttributes(): void;
    setSubscriptionAttributes(): void;
    httpEndpoint(): void;
  }

  export = MNS;
}
