import type { IncomingMessage, ServerResponse } from 'node:http';
import { LOCAL_ACCOUNT_ID } from './credentials';
import { accessSettingsOf } from './ram/access';
import { startMnsEmulator, QUEUE_DEFAULTS, type MnsEmulator } from './emulators/mns';
import { sendJson, type Mount } from './gateway/server';
import { decodeSegment, limitParam } from './console/query';
import type { AsyncInvoker } from './runtime/async-invoker';
import { MnsQueueTriggers, pushToTopicTrigger, TOPIC_TRIGGER_PREFIX } from './runtime/mns-triggers';
import type { FunctionRuntime } from './runtime/runtime';
import type { AppSpec, DestinationSpec } from './spec/model';
import type { OnBehalfAccess } from './ram/on-behalf';

/**
 * The local cloud's MNS: the emulator on its own port, the queues, topics and subscriptions of the ROS template
 * created at start, the `mns_topic` and `eventbridge` (MNS) triggers of s.yaml, MNS async destinations, and the
 * console's queue API. `scripts/local/cloud.ts` calls `startLocalMns` before the function runtime exists (the
 * endpoint goes into every instance's environment) and `attach` once it does.
 */
export interface LocalMns {
  emulator: MnsEmulator;
  /**
   * Topic pushes to functions go to `asyncInvoker` from now on; the queue triggers consume once `begin` settles
   * (default: at once). Messages that arrive before are delivered then.
   */
  attach(runtime: FunctionRuntime, asyncInvoker: AsyncInvoker, begin?: Promise<unknown>): void;
  /** For `AsyncInvoker`'s `sendToMns`: a destination payload into a queue or topic. */
  sendDestination(destination: Exclude<DestinationSpec, { kind: 'fc' }>, body: string): void;
  /** `/_local/api/queues…`, `/_local/api/topics`, `/_local/api/mns/…`. */
  consoleMount: Mount;
  /** Stops the queue triggers and topic pushes (before the function runtime stops); `close` does it too. */
  stopTriggers(): Promise<void>;
  close(): Promise<void>;
}

export interface LocalMnsOptions {
  spec: AppSpec;
  dataDir: string;
  /** 0: a free port. */
  port: number;
  host?: string;
  clock?: () => number;
  /** Scales NotifyStrategy retry intervals (tests). */
  pushRetryScale?: number;
  /** Holds `mns_topic` triggers' pushes to their `invocationRole` (D152). */
  onBehalf?: OnBehalfAccess;
}

/**
 * MNS pushes to a function with the `mns_topic` trigger's role: a role FC refuses fails the push, which MNS
 * retries by the trigger's NotifyStrategy and then drops (the push outbox shows why: `/_local/api/mns/pushes`).
 */
function topicTriggerRefusal(spec: AppSpec, onBehalf: OnBehalfAccess) {
  return (functionName: string, triggerName: string): string | undefined => {
    const fn = spec.functions.find((f) => f.name === functionName);
    const trigger = fn?.triggers.find((t) => t.type === 'mns_topic' && t.name === triggerName);
    const denial = fn && trigger ? onBehalf.trigger(fn, trigger) : undefined;
    if (!denial) return undefined;
    return onBehalf.refuse(denial, `MNS topic trigger ${triggerName} of ${functionName}`, `The push failed (MNS retries it by its NotifyStrategy, then drops it): ${functionName} did not run`).message;
  };
}

/** Subscriptions made from the ROS template are marked so a later start can drop the ones removed from it. */
const FROM_ROS = 'ros';
const FROM_TRIGGER = 'fc-trigger';

export async function startLocalMns(options: LocalMnsOptions): Promise<LocalMns> {
  const { spec } = options;
  let asyncQueue: AsyncInvoker | undefined;
  const emulator = await startMnsEmulator({
    dataDir: options.dataDir,
    port: options.port,
    region: spec.region,
    access: accessSettingsOf(spec),
    ...(options.host ? { host: options.host } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.pushRetryScale !== undefined ? { pushRetryScale: options.pushRetryScale } : {}),
    pushToFunction: pushToTopicTrigger(() => asyncQueue, options.onBehalf ? topicTriggerRefusal(spec, options.onBehalf) : undefined),
  });
  try {
    provision(emulator, spec);
  } catch (err) {
    await emulator.close();
    throw err;
  }
  let triggers: MnsQueueTriggers | undefined;
  return {
    emulator,
    attach(rt, asyncInvoker, begin) {
      asyncQueue = asyncInvoker;
      const queueTriggers = new MnsQueueTriggers(spec.functions, emulator, rt, asyncInvoker, { region: spec.region, accountId: LOCAL_ACCOUNT_ID });
      triggers = queueTriggers;
      // Started after a stop, the consumers end at once.
      if (begin) void begin.then(() => queueTriggers.start());
      else queueTriggers.start();
    },
    sendDestination(destination, body) {
      if (destination.kind === 'mns-queue') emulator.queues.send(destination.queue, [{ body }]);
      else emulator.topics.publish(destination.topic, { body });
    },
    consoleMount: mnsConsoleApi(emulator, () => triggers),
    async stopTriggers() {
      await triggers?.close();
      await emulator.stopPushes();
    },
    async close() {
      await triggers?.close();
      await emulator.close();
    },
  };
}

/**
 * Brings the emulator in line with the ROS template and the triggers, like a deploy: queues and topics are
 * created or updated (never deleted: their messages are data), subscriptions made from the template or for a
 * trigger are created, updated, or removed when they left s.yaml.
 */
function provision(mns: MnsEmulator, spec: AppSpec): void {
  const { queues, topics, subscriptions } = spec.infra;
  // Dead-letter targets must exist before a policy names them: create every queue first, then set the policies.
  for (const q of queues) if (!mns.queues.hasQueue(q.name)) mns.queues.ensureQueue(q.name, { ...QUEUE_DEFAULTS, ...withoutDlq(q) });
  for (const q of queues) mns.queues.ensureQueue(q.name, { ...withoutDlq(q), ...(q.dlqPolicy ? { dlqPolicy: q.dlqPolicy } : {}) });
  for (const t of topics) mns.topics.ensureTopic(t.name, { maximumMessageSize: t.maximumMessageSize, loggingEnabled: t.loggingEnabled });

  const wanted = new Set<string>();
  for (const s of subscriptions) {
    mns.topics.subscribe(
      s.topic,
      s.name,
      {
        endpoint: s.endpoint,
        notifyStrategy: s.notifyStrategy,
        notifyContentFormat: s.notifyContentFormat,
        ...(s.filterTag ? { filterTag: s.filterTag } : {}),
        ...(s.deadLetterQueue ? { deadLetterQueue: s.deadLetterQueue } : {}),
      },
      FROM_ROS,
    );
    wanted.add(`${s.topic}/${s.name}`);
  }
  for (const fn of spec.functions) {
    for (const t of fn.triggers) {
      if (t.type !== 'mns_topic') continue;
      const name = `${TOPIC_TRIGGER_PREFIX}${fn.name}-${t.name}`;
      mns.topics.subscribe(
        t.topic,
        name,
        {
          endpoint: `acs:fc:${spec.region}:${LOCAL_ACCOUNT_ID}:functions/${fn.name}`,
          notifyStrategy: t.notifyStrategy,
          notifyContentFormat: t.notifyContentFormat,
          ...(t.filterTag ? { filterTag: t.filterTag } : {}),
        },
        FROM_TRIGGER,
      );
      wanted.add(`${t.topic}/${name}`);
    }
  }
  for (const managedBy of [FROM_ROS, FROM_TRIGGER]) {
    for (const s of mns.topics.managedSubscriptions(managedBy)) if (!wanted.has(`${s.topic}/${s.name}`)) mns.topics.unsubscribe(s.topic, s.name);
  }
}

function withoutDlq(q: AppSpec['infra']['queues'][number]) {
  return {
    delaySeconds: q.delaySeconds,
    maximumMessageSize: q.maximumMessageSize,
    messageRetentionPeriod: q.messageRetentionPeriod,
    visibilityTimeout: q.visibilityTimeout,
    pollingWaitSeconds: q.pollingWaitSeconds,
    loggingEnabled: q.loggingEnabled,
  };
}

/**
 * The console's MNS API (side-effect free except redrive, which says so with POST):
 * - `GET /_local/api/queues` — every queue with its counts, attributes and dead-letter policy;
 * - `GET /_local/api/queues/<q>` — one queue, its first Active messages (peeked) and its dead-lettered ones;
 * - `POST /_local/api/queues/<q>/redrive` — moves the queue's dead-lettered messages back to where they came
 *   from (`{"source": "<queue>"}` to move only those of one source queue);
 * - `GET /_local/api/topics` — topics with their subscriptions; `GET /_local/api/mns/pushes` — the push outbox;
 *   `GET /_local/api/mns/triggers` — queue triggers with delivered/failed counts.
 */
export function mnsConsoleApi(mns: MnsEmulator, triggers: () => MnsQueueTriggers | undefined): Mount {
  return async (req: IncomingMessage, res: ServerResponse, url: URL, body: Buffer): Promise<boolean> => {
    const path = url.pathname;
    // Every request of the gateway passes here first: the API's own go on at once.
    if (!path.startsWith('/_local/api/')) return false;
    const method = req.method ?? 'GET';
    const reply = (status: number, value: unknown) => {
      sendJson(res, status, value);
      return true;
    };
    const failed = (err: unknown) => {
      const e = err as { status?: number; code?: string; message: string };
      return reply(e.status && e.status < 500 ? e.status : 400, { error: { code: e.code ?? 'BadRequest', message: e.message } });
    };
    try {
      if (path === '/_local/api/queues' && method === 'GET') {
        const all = mns.queues.listQueues('', '', 1000).queues;
        const dlqOf = new Map<string, string[]>();
        for (const q of all) if (q.dlqPolicy) dlqOf.set(q.dlqPolicy.deadLetterTargetQueue, [...(dlqOf.get(q.dlqPolicy.deadLetterTargetQueue) ?? []), q.name]);
        return reply(200, all.map((q) => ({ ...q, deadLetterFor: dlqOf.get(q.name) ?? [], deadLettered: mns.queues.deadLettered(q.name, 1000).length })));
      }
      const one = /^\/_local\/api\/queues\/([^/]+)(\/redrive)?$/.exec(path);
      if (one) {
        const name = decodeSegment(one[1]!);
        if (one[2] && method === 'POST') {
          const source = body.length > 0 ? (JSON.parse(body.toString('utf8')) as { source?: string }).source : undefined;
          return reply(200, { moved: mns.queues.redrive(name, source) });
        }
        if (!one[2] && method === 'GET') {
          const limit = limitParam(url, 20, 100);
          return reply(200, { ...mns.queues.getQueue(name), messages: mns.queues.peek(name, limit), deadLettered: mns.queues.deadLettered(name, limit) });
        }
      }
      if (path === '/_local/api/topics' && method === 'GET') {
        return reply(200, mns.topics.listTopics('', '', 1000).topics.map((t) => ({ ...t, subscriptions: mns.topics.listSubscriptions(t.name, '', '', 1000).subscriptions })));
      }
      if (path === '/_local/api/mns/pushes' && method === 'GET') return reply(200, mns.pushes(limitParam(url, 100, 1000)));
      if (path === '/_local/api/mns/triggers' && method === 'GET') return reply(200, triggers()?.status() ?? []);
      return false;
    } catch (err) {
      return failed(err);
    }
  };
}
