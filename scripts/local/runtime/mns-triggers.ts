import { randomBytes, randomUUID } from 'node:crypto';
import { crashPoint } from '../crash-point';
import { decodeBody } from '../../../functions/_shared/contracts/mns-events';
import type { MnsEmulator, PushInfo, ReceivedMessage } from '../emulators/mns';
import { EndpointNotReadyError } from '../emulators/mns/pushes';
import type { FunctionSpec, MnsQueueTriggerSpec } from '../spec/model';
import type { AsyncInvoker } from './async-invoker';
import { stableRequestId, type FunctionRuntime } from './runtime';

/**
 * FC's MNS triggers on the local MNS emulator (decision D25).
 *
 * `eventbridge` triggers with an MNS source (FC's "MNS queue trigger", an EventBridge event stream in the cloud):
 * each trigger runs `maximumTasks` consumers that receive from the queue (long polling), gather a batch by the
 * trigger's `batchWindow` (up to CountBasedWindow messages, waiting up to TimeBasedWindow seconds once the first
 * arrived) and invoke the function with CloudEvents — an array in `event-streaming` mode, one event per
 * invocation in `event-driven` mode. A synchronous invocation that succeeds deletes the batch's messages; one
 * that fails leaves them, so they come back after the queue's VisibilityTimeout with a higher DequeueCount and
 * end in the queue's dead-letter queue after its MaxReceiveCount. With `asyncInvocationType: true` the events go
 * to FC's async queue (retries, destinations) and the messages are deleted once it accepted them.
 *
 * `mns_topic` triggers are subscriptions with a function endpoint, which the emulator pushes to through
 * `pushToTopicTrigger`: FC takes the event as an asynchronous invocation (FC invokes its event triggers
 * asynchronously; `asyncInvokeConfig` retries and destinations apply), and MNS retries the push by the trigger's
 * notifyStrategy only when FC did not take it.
 */

/** FC's invocation payload limits for event-source triggers (sync 32 MB, async 128 KB). */
const SYNC_LIMIT = 32 * 1024 * 1024;
const ASYNC_LIMIT = 128 * 1024;
/** How long an idle consumer long-polls before looking again (bounds how fast `close` returns). */
const IDLE_POLL_MS = 1000;

interface Consumer {
  fn: FunctionSpec;
  trigger: MnsQueueTriggerSpec;
  delivered: number;
  failed: number;
  lastError?: string;
}

export interface MnsTriggerStatus {
  function: string;
  trigger: string;
  queue: string;
  consumers: number;
  delivered: number;
  failed: number;
  lastError?: string;
}

export class MnsQueueTriggers {
  private readonly consumers: Consumer[] = [];
  private readonly loops: Promise<void>[] = [];
  private readonly stopping = new AbortController();

  private get closed(): boolean {
    return this.stopping.signal.aborted;
  }

  constructor(
    functions: FunctionSpec[],
    private readonly mns: MnsEmulator,
    private readonly runtime: FunctionRuntime,
    private readonly asyncInvoker: AsyncInvoker,
    private readonly scope: { region: string; accountId: string },
  ) {
    for (const fn of functions) for (const trigger of fn.triggers) if (trigger.type === 'eventbridge' && trigger.enabled) this.consumers.push({ fn, trigger, delivered: 0, failed: 0 });
  }

  start(): void {
    for (const consumer of this.consumers) for (let i = 0; i < consumer.trigger.consumers; i++) this.loops.push(this.consume(consumer));
  }

  status(): MnsTriggerStatus[] {
    return this.consumers.map((c) => ({
      function: c.fn.name,
      trigger: c.trigger.name,
      queue: c.trigger.queue,
      consumers: c.trigger.consumers,
      delivered: c.delivered,
      failed: c.failed,
      ...(c.lastError ? { lastError: c.lastError } : {}),
    }));
  }

  async close(): Promise<void> {
    this.stopping.abort();
    this.mns.poke();
    await Promise.allSettled(this.loops);
  }

  private async consume(c: Consumer): Promise<void> {
    while (!this.closed) {
      try {
        const batch = await this.gather(c.trigger);
        if (batch.length > 0 && !this.closed) await this.deliver(c, batch);
      } catch (err) {
        // The queue was deleted, or the emulator is closing: note it and look again a little later.
        c.lastError = (err as Error).message;
        if (!this.closed) await new Promise((resolve) => setTimeout(resolve, IDLE_POLL_MS));
      }
    }
  }

  /** One batch by the trigger's window: up to `batchSize` messages, waiting up to `batchWindowSeconds` once one arrived. */
  private async gather(t: MnsQueueTriggerSpec): Promise<ReceivedMessage[]> {
    const batch = await this.mns.receive(t.queue, Math.min(16, t.batchSize), IDLE_POLL_MS, this.stopping.signal);
    if (batch.length === 0) return batch;
    const deadline = Date.now() + t.batchWindowSeconds * 1000;
    while (batch.length < t.batchSize && !this.closed) {
      const wait = deadline - Date.now();
      const more = await this.mns.receive(t.queue, Math.min(16, t.batchSize - batch.length), Math.max(0, wait), this.stopping.signal);
      if (more.length === 0) break;
      batch.push(...more);
    }
    return batch;
  }

  private async deliver(c: Consumer, batch: ReceivedMessage[]): Promise<void> {
    const { fn, trigger } = c;
    const events = batch.map((m) => ({ message: m, event: this.cloudEvent(fn, trigger, m) }));
    const wanted = events.filter((e) => matches(trigger.filterPattern, e.event));
    // Messages the event rule filters out are consumed without an invocation, as EventBridge drops them.
    const dropped = events.filter((e) => !wanted.includes(e)).map((e) => e.message.receiptHandle);
    if (dropped.length > 0) this.deleteAll(trigger.queue, dropped);
    // Each event is written as JSON once: its size decides the chunks, and the chunk's payload joins the texts
    // (a batch of 64 readings messages is ~3 MB of JSON, which the gateway's thread wrote twice before).
    const texts = wanted.map((e) => ({ message: e.message, json: JSON.stringify(trigger.eventSchema === 'RawData' ? e.event.data : e.event) }));
    const groups = trigger.mode === 'event-driven' ? texts.map((e) => [e]) : chunkBySize(texts, (e) => Buffer.byteLength(e.json), trigger.async ? ASYNC_LIMIT : SYNC_LIMIT);
    for (const group of groups) {
      const payload = Buffer.from(trigger.mode === 'event-driven' ? group[0]!.json : `[${group.map((e) => e.json).join(',')}]`);
      const source = `eventbridge:${trigger.name}`;
      if (trigger.async) {
        this.asyncInvoker.enqueue(fn.name, payload, source);
        this.deleteAll(trigger.queue, group.map((e) => e.message.receiptHandle));
        c.delivered += group.length;
        continue;
      }
      const held = this.holdOutOfSight(trigger.queue, group.map((e) => e.message.receiptHandle));
      const record = await this.runtime.invoke(fn.name, payload, { source }).finally(() => held.release());
      if (record.status === 'succeeded') {
        crashPoint('mns-trigger:before-delete', fn.name);
        this.deleteAll(trigger.queue, held.handles);
        c.delivered += group.length;
      } else {
        // Left in the queue: visible again after its VisibilityTimeout, dead-lettered after MaxReceiveCount.
        c.failed += group.length;
        c.lastError = record.error?.errorMessage ?? record.status;
      }
    }
  }

  /**
   * Keeps the messages of a delivery invisible until it ends. EventBridge owns a message once it pulled it, so on
   * FC a function slower than the queue's VisibilityTimeout still runs it once; locally the invocation may also
   * wait in line for an instance or behind interactive work (D143). Without this, the message came back into sight,
   * was received again and — at its MaxReceiveCount — dead-lettered while its first run was about to succeed.
   * Each renewal supersedes the receipt handle, so `handles` is read when the delivery ends. Once released, a
   * failed delivery's messages become visible one VisibilityTimeout after the last renewal, as before.
   */
  private holdOutOfSight(queue: string, receiptHandles: string[]): { handles: string[]; release: () => void } {
    const handles = [...receiptHandles];
    const seconds = this.mns.queues.attributes(queue).visibilityTimeout;
    const renew = () => {
      for (let i = 0; i < handles.length; i++) {
        try {
          handles[i] = this.mns.queues.changeVisibility(queue, handles[i]!, seconds).receiptHandle;
        } catch {
          // Gone (the queue was deleted, or a renewal came too late): the delivery's outcome stands as it is.
        }
      }
    };
    const timer = setInterval(renew, Math.max(100, (seconds * 1000) / 2));
    timer.unref();
    return { handles, release: () => clearInterval(timer) };
  }

  private deleteAll(queue: string, handles: string[]): void {
    if (handles.length > 0) this.mns.queues.deleteBatch(queue, handles);
  }

  /** One message as FC's MNS queue trigger delivers it (reference §2.3; source and bus named as FC names them). */
  private cloudEvent(fn: FunctionSpec, trigger: MnsQueueTriggerSpec, m: ReceivedMessage) {
    const source = `MNS-${fn.name}-${trigger.name}`;
    return {
      id: randomUUID(),
      source,
      specversion: '1.0',
      type: 'mns:Queue:SendMessage',
      datacontenttype: 'application/json; charset=utf-8',
      subject: `acs:mns:${this.scope.region}:${this.scope.accountId}:queues/${trigger.queue}`,
      time: new Date(m.enqueueTime).toISOString(),
      aliyunaccountid: this.scope.accountId,
      aliyunpublishtime: new Date().toISOString(),
      aliyuneventbusname: source,
      aliyunregionid: this.scope.region,
      data: {
        requestId: randomBytes(12).toString('hex').toUpperCase(),
        messageId: m.messageId,
        messageBody: trigger.base64Decode ? decodeBody(m.body) : m.body,
      },
    };
  }
}

/** `eventRuleFilterPattern`: every field it names must have one of its values. */
function matches(pattern: Record<string, string[]> | undefined, event: Record<string, unknown>): boolean {
  if (!pattern) return true;
  return Object.entries(pattern).every(([field, values]) => values.includes(String(event[field])));
}

/** Splits `items` so no group's JSON array exceeds `limit` bytes (a single oversized item goes alone). */
function chunkBySize<T>(items: T[], size: (item: T) => number, limit: number): T[][] {
  const groups: T[][] = [];
  let current: T[] = [];
  let bytes = 2;
  for (const item of items) {
    const n = size(item) + 1;
    if (current.length > 0 && bytes + n > limit) {
      groups.push(current);
      current = [];
      bytes = 2;
    }
    current.push(item);
    bytes += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

/** Subscriptions the local cloud makes for `mns_topic` triggers are named `fc-<function>-<trigger>`. */
export const TOPIC_TRIGGER_PREFIX = 'fc-';

/**
 * The emulator's function endpoint → an asynchronous invocation of the `mns_topic` trigger's function, accepted
 * (persisted) before the push counts as delivered. When it cannot be accepted (no such function, the local
 * cloud still starting) the push fails and MNS retries it by the subscription's NotifyStrategy — at once and
 * without counting an attempt while the local cloud is still starting.
 */
export function pushToTopicTrigger(asyncInvoker: () => AsyncInvoker | undefined, refuse?: (functionName: string, trigger: string) => string | undefined) {
  return async (functionName: string, payload: Buffer, info: PushInfo): Promise<void> => {
    const invoker = asyncInvoker();
    if (!invoker) throw new EndpointNotReadyError('the local cloud is starting');
    const prefix = `${TOPIC_TRIGGER_PREFIX}${functionName}-`;
    const trigger = info.subscription.startsWith(prefix) ? info.subscription.slice(prefix.length) : info.subscription;
    // The trigger's role may not invoke the function: FC refuses the push, MNS retries it (D152).
    const refused = refuse?.(functionName, trigger);
    if (refused) throw new Error(`AccessDenied: ${refused}`);
    // One async event per message and subscription, however often the push is sent: the outbox sends it again when
    // a crash came after FC took it and before the outbox removed it (D146).
    invoker.enqueueOnce(functionName, payload, `mns_topic:${trigger}`, pushRequestId(info));
    crashPoint('mns-push:fc-accepted', functionName);
  };
}

/** A stable request id (FC's shape) for one message pushed to one subscription. */
export function pushRequestId(info: Pick<PushInfo, 'topic' | 'subscription' | 'messageId'>): string {
  return stableRequestId(`${info.topic}\n${info.subscription}\n${info.messageId}`);
}
