import { createHash } from 'node:crypto';
import type MNS from '@alicloud/mns';
import { ValidationError } from '../errors';
import { QUEUE_BATCH_BYTES, QUEUE_BATCH_LIMIT, type BatchSendResult, type Queue, type QueueMessageInput, type ReceivedMessage, type SentMessage } from '../ports/queue';
import { decodeBody, encodeBody, mnsCall, MnsRequestError, toMnsError } from './mns-client';

/**
 * The Queue port over `@alicloud/mns`: MNS in the cloud, the local MNS emulator by `MNS_ENDPOINT`.
 * Bodies go base64-encoded and come back decoded; MNS errors reject with `MnsRequestError` (`code` as MNS
 * answered it, e.g. `MessageNotExist` for a stale receipt handle).
 */
export class MnsQueue implements Queue {
  constructor(private readonly client: MNS) {}

  async send(queue: string, message: QueueMessageInput): Promise<SentMessage> {
    const wire = encodeBody(message.body);
    const res = await mnsCall(() => this.client.sendMessage(queue, sendParams(wire, message)));
    return { messageId: res.body.MessageId, bodyMd5: checkedMd5(wire, res.body.MessageBodyMD5) };
  }

  async sendBatch(queue: string, messages: QueueMessageInput[]): Promise<BatchSendResult[]> {
    const wires = messages.map((m) => encodeBody(m.body));
    checkBatch(wires);
    const res = await mnsCall(() => this.client.batchSendMessage(queue, messages.map((m, i) => sendParams(wires[i]!, m))));
    const entries = res.body ?? [];
    if (entries.length !== messages.length) throw new MnsRequestError('InvalidResponse', `BatchSendMessage answered ${entries.length} entries for ${messages.length} messages`, res.code);
    return entries.map((entry, i): BatchSendResult =>
      entry.ErrorCode
        ? { ok: false, code: entry.ErrorCode, message: entry.ErrorMessage ?? entry.ErrorCode }
        : { ok: true, messageId: entry.MessageId!, bodyMd5: checkedMd5(wires[i]!, entry.MessageBodyMD5!) },
    );
  }

  async receive(queue: string, options: { max?: number; waitSeconds?: number } = {}): Promise<ReceivedMessage[]> {
    const max = options.max ?? 1;
    const wait = options.waitSeconds ?? 0;
    if (!Number.isInteger(max) || max < 1 || max > QUEUE_BATCH_LIMIT) throw new ValidationError(`receive takes max 1-${QUEUE_BATCH_LIMIT}, got ${max}`);
    if (!Number.isInteger(wait) || wait < 0 || wait > 30) throw new ValidationError(`receive takes waitSeconds 0-30, got ${wait}`);
    // The SDK's receive methods leave `waitseconds=0` out (so the queue's PollingWaitSeconds would apply);
    // its request primitive sends exactly what is asked.
    const resource = `/queues/${queue}/messages?numOfMessages=${max}&waitseconds=${wait}`;
    try {
      const res = await this.client.get<{ Message?: MNS.ReceivedMessageBody[] }>(resource, 'Messages', { timeout: (wait + 5) * 1000, readTimeout: (wait + 5) * 1000 });
      return (res.body?.Message ?? []).map(toReceived);
    } catch (err) {
      const e = toMnsError(err);
      if (e instanceof MnsRequestError && e.code === 'MessageNotExist') return [];
      throw e;
    }
  }

  async delete(queue: string, receiptHandle: string): Promise<void> {
    await mnsCall(() => this.client.deleteMessage(queue, encodeURIComponent(receiptHandle)));
  }

  async deleteBatch(queue: string, receiptHandles: string[]): Promise<{ failed: { receiptHandle: string; code: string; message: string }[] }> {
    const failed: { receiptHandle: string; code: string; message: string }[] = [];
    for (let i = 0; i < receiptHandles.length; i += QUEUE_BATCH_LIMIT) {
      const chunk = receiptHandles.slice(i, i + QUEUE_BATCH_LIMIT);
      const res = await mnsCall(() => this.client.batchDeleteMessage(queue, chunk));
      for (const entry of res.body ?? []) failed.push({ receiptHandle: entry.ReceiptHandle, code: entry.ErrorCode, message: entry.ErrorMessage });
    }
    return { failed };
  }

  async changeVisibility(queue: string, receiptHandle: string, visibilityTimeoutSeconds: number): Promise<{ receiptHandle: string; nextVisibleTime: number }> {
    const res = await mnsCall(() => this.client.changeMessageVisibility(queue, encodeURIComponent(receiptHandle), visibilityTimeoutSeconds));
    return { receiptHandle: res.body.ReceiptHandle, nextVisibleTime: Number(res.body.NextVisibleTime) };
  }
}

function sendParams(wire: string, message: QueueMessageInput): MNS.SendMessageParams {
  return {
    MessageBody: wire,
    ...(message.delaySeconds !== undefined ? { DelaySeconds: message.delaySeconds } : {}),
    ...(message.priority !== undefined ? { Priority: message.priority } : {}),
  };
}

/** MNS's limits, checked before sending so a caller learns which one it broke. */
export function checkBatch(wires: string[]): void {
  if (wires.length < 1 || wires.length > QUEUE_BATCH_LIMIT) throw new ValidationError(`sendBatch takes 1-${QUEUE_BATCH_LIMIT} messages, got ${wires.length}`);
  const bytes = wires.reduce((n, w) => n + Buffer.byteLength(w), 0);
  if (bytes > QUEUE_BATCH_BYTES) throw new ValidationError(`sendBatch is ${bytes} bytes base64-encoded, over MNS's ${QUEUE_BATCH_BYTES}`);
}

/** MNS answers the MD5 of the body it stored; a difference means the body was damaged on the way. */
function checkedMd5(wire: string, answered: string): string {
  const md5 = createHash('md5').update(wire).digest('hex').toUpperCase();
  if (answered.toUpperCase() !== md5) throw new MnsRequestError('MessageBodyMD5Mismatch', `MNS stored a body with MD5 ${answered}, sent ${md5}`);
  return md5;
}

function toReceived(m: MNS.ReceivedMessageBody): ReceivedMessage {
  return {
    messageId: m.MessageId,
    body: decodeBody(m.MessageBody ?? ''),
    receiptHandle: m.ReceiptHandle,
    dequeueCount: Number(m.DequeueCount),
    enqueueTime: Number(m.EnqueueTime),
    firstDequeueTime: Number(m.FirstDequeueTime),
    nextVisibleTime: Number(m.NextVisibleTime),
    priority: Number(m.Priority),
  };
}
