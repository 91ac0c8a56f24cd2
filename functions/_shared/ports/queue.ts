/**
 * Queue port: what functions need from an MNS queue (send in batches, receive with long polling, delete by
 * receipt handle). Adapter: `MnsQueue` over `@alicloud/mns`, pointed at MNS in the cloud and at the local MNS
 * emulator by `MNS_ENDPOINT`.
 *
 * Semantics follow MNS (https://www.alibabacloud.com/help/en/mns/developer-reference/):
 * - at-least-once: a received message that is not deleted before its visibility timeout is delivered again,
 *   with a higher `dequeueCount`; consumers are idempotent;
 * - `sendBatch` takes at most 16 messages and 64 KiB in all; each message succeeds or fails on its own;
 * - bodies are non-empty strings; the adapter base64-encodes them on the wire (the SDK does not escape XML) and
 *   decodes them on receipt, so callers see exactly what was sent (a body someone else wrote in plain text,
 *   e.g. FC's destination payload, comes back as it is);
 * - a receipt handle is valid until the message becomes visible again; only the newest handle of a message
 *   deletes or changes it. A stale handle fails with code `MessageNotExist` (MNS documents this for handles
 *   used after NextVisibleTime), a string that is not a handle with `ReceiptHandleError`;
 * - errors carry MNS's code in `code` (`MnsRequestError` in the adapter); batch limits are checked before
 *   sending and fail with `ValidationError`.
 */
export interface QueueMessageInput {
  body: string;
  /** Seconds before the message becomes visible (MNS `DelaySeconds`, 0–604800). */
  delaySeconds?: number;
  /** 1 (highest) … 16 (lowest); MNS default 8. */
  priority?: number;
}

export interface SentMessage {
  messageId: string;
  /** Upper-case hex MD5 of the body as sent on the wire. */
  bodyMd5: string;
}

export type BatchSendResult = ({ ok: true } & SentMessage) | { ok: false; code: string; message: string };

export interface ReceivedMessage {
  messageId: string;
  body: string;
  receiptHandle: string;
  /** How many times this message has been received, this time included. */
  dequeueCount: number;
  enqueueTime: number;
  firstDequeueTime: number;
  nextVisibleTime: number;
  priority: number;
}

export const QUEUE_BATCH_LIMIT = 16;
export const QUEUE_BATCH_BYTES = 64 * 1024;

export interface Queue {
  send(queue: string, message: QueueMessageInput): Promise<SentMessage>;
  /** At most `QUEUE_BATCH_LIMIT` messages and `QUEUE_BATCH_BYTES` in all; results in the order of `messages`. */
  sendBatch(queue: string, messages: QueueMessageInput[]): Promise<BatchSendResult[]>;
  /** Waits up to `waitSeconds` (0–30) for up to `max` (1–16) messages; an empty array when none arrived. */
  receive(queue: string, options?: { max?: number; waitSeconds?: number }): Promise<ReceivedMessage[]>;
  delete(queue: string, receiptHandle: string): Promise<void>;
  /** Deletes each handle on its own; the result names the handles that failed (e.g. stale). */
  deleteBatch(queue: string, receiptHandles: string[]): Promise<{ failed: { receiptHandle: string; code: string; message: string }[] }>;
  /** Makes the message visible again after `visibilityTimeoutSeconds`; answers the new receipt handle. */
  changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<{ receiptHandle: string; nextVisibleTime: number }>;
}
