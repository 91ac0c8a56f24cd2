/**
 * Local MNS (Simple Message Queue) emulator: MNS's XML REST API (version 2015-06-06) on its own port, with
 * queues, topics and subscriptions in their own SQLite file (`<dataDir>/mns.sqlite`, WAL). `@alicloud/mns`
 * reaches it with `endpoint: 'http://127.0.0.1:<port>'`, and so do curl and a user's own scripts signing
 * requests with the local account's keys.
 *
 * LIMITATIONS (what is not emulated; requests that need it fail loudly with the error named):
 * - Authentication: only the V1 `Authorization: MNS <AccessKeyId>:<Signature>` scheme (HMAC-SHA1); the V4
 *   scheme (`MNS4-HMAC-SHA256`) and `x-mns-date` in place of `Date` answer 501 NotImplemented. RAM policies are not evaluated: any request signed
 *   by the local account may do anything. The Host header and the account id in it are not checked.
 * - APIs left out (501 NotImplemented): account attributes (`?accountmeta`), OpenService, message user and
 *   system properties (`UserProperties`), FIFO message groups, queue rate limits (`TenantRateLimitPolicy`),
 *   mail/SMS/DirectMail/mobile-push endpoints, subscriptions assuming a role (`StsRoleArn`), and every
 *   OpenAPI (RPC, `mns-open`) operation: this is the data-plane XML API only.
 * - Dead-letter policy on queues: `<DlqPolicy>` inside `<Queue>` (Enabled, DeadLetterTargetQueue,
 *   MaxReceiveCount, as ROS and the OpenAPI spell it; decision D24). A message moves to the target queue when it
 *   has been received MaxReceiveCount times and becomes visible again — on the next receive, peek or console
 *   look at the source queue, not on a timer.
 * - BatchSendMessage validates the whole batch first (16 messages, 64 KB of bodies, each message's fields):
 *   an invalid message fails the request with InvalidArgument naming it, so the per-message ErrorCode entries
 *   MNS can answer (server-side failures) never occur here.
 * - Stale receipt handles (superseded by a later receive or ChangeMessageVisibility, or used after
 *   NextVisibleTime) answer 404 MessageNotExist, as MNS documents for expired handles; a handle that is not
 *   one of ours, or belongs to another queue, answers 400 ReceiptHandleError.
 * - Topics keep no published messages (no retention, MessageCount counts publishes); a subscription receives
 *   only messages published after it was created. Pushes to HTTP endpoints are not signed (no
 *   `x-mns-signing-cert-url`) and a 2xx answer within 5 s counts as delivered. Function endpoints
 *   (`acs:fc:<region>:<account>:functions/<name>`) are how the local cloud wires FC `mns_topic` triggers.
 * - NotifyStrategy intervals are MNS's (BACKOFF_RETRY 3 × 10–20 s, EXPONENTIAL_DECAY_RETRY 176 × up to 512 s) on
 *   the emulator's `clock`, stored with the push (kept across restarts), optionally scaled (`pushRetryScale`). Each
 *   retry goes where its subscription points then: strategy, endpoint, format, dead-letter queue and filter as they
 *   are now (D173). A push that runs out of retries goes to the
 *   subscription's dead-letter queue if it has one, else it is dropped (kept as failed for the console). MNS's
 *   push backoff (slower pushes to an unavailable subscription) is not emulated. A subscription whose queue does
 *   not exist is accepted and its pushes fail (`QueueNotExist`); deleting a subscription or its topic drops the
 *   pushes still owed to it (D170).
 * - Limits MNS enforces per account (queue and topic counts, QPS, `QpsLimitExceeded`) are not; message
 *   retention is enforced when a queue is read. MessageId and receipt handle formats are MNS-like, not MNS's.
 * - One region and one account: queue and function endpoints naming another region or account are refused
 *   with InvalidEndpoint. No CORS (MNS has none for its data plane either).
 */
import { mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { LOCAL_ACCOUNT_ID, secretFor, securityTokenFor } from '../../credentials';
import { AccessControl, type AccessSettings } from '../../ram/access';
import { mnsErrors } from './errors';
import { PushOutbox, type PushFailure, type PushRow } from './pushes';
import { PUSH_CERT_PATH, pushSigningKeyOf, signedPushHeaders } from './push-signing';
import { QueueStore, type ReceivedMessage } from './queues';
import { createRequestHandler, mnsClientErrorHandler } from './server';
import { stderrAbortLog, type AbortInfo } from '../http-edge';
import type { MnsCredentialLookup } from './signature';
import { parseEndpoint, TopicStore } from './topics';
import { longPoll, QueueWaiters } from './waiters';
import { keepIdleConnections } from '../../keep-alive';

export { MnsError, mnsErrors } from './errors';
export { QUEUE_DEFAULTS, type DlqPolicy, type PeekedMessage, type QueueAttributes, type QueueInfo, type QueueStore, type ReceivedMessage } from './queues';
export { TOPIC_DEFAULTS, type NotifyContentFormat, type NotifyStrategy, type SubscriptionInfo, type SubscriptionInput, type TopicAttributes, type TopicInfo, type TopicStore } from './topics';
export type { PushFailure, PushRow } from './pushes';
export type { MnsCredentialLookup } from './signature';

export interface PushInfo {
  topic: string;
  subscription: string;
  messageId: string;
  tag?: string;
  format: string;
  attempts: number;
}

export interface MnsEmulatorOptions {
  /** The database is `<dataDir>/mns.sqlite`. */
  dataDir: string;
  host?: string;
  /** 0 or absent: a free port. */
  port?: number;
  region: string;
  accountId?: string;
  /** Epoch-ms clock for visibility, delays, retention and signature skew (tests move it). */
  clock?: () => number;
  credentials?: MnsCredentialLookup;
  /** RAM roles whose keys are held to their policies (D144); absent: every verified key may do anything. */
  access?: AccessSettings;
  /**
   * Delivers a notification to a function endpoint (the local cloud queues an asynchronous invocation); rejects
   * when it could not be delivered, so the subscription's NotifyStrategy retries it. Without it, function
   * pushes fail.
   */
  pushToFunction?: (functionName: string, payload: Buffer, info: PushInfo) => Promise<void>;
  /** Multiplies NotifyStrategy retry intervals (tests: e.g. 0.001). Default 1. */
  pushRetryScale?: number;
  /**
   * Told of a push's first failure and of its end (dropped or dead-lettered), e.g. a subscription whose queue does
   * not exist (default: a JSON line on stderr). The outbox keeps the details (`pushes()`).
   */
  onPushFailure?: (failure: PushFailure) => void;
  /** Told when a client hangs up mid-request (default: a JSON line on stderr). */
  onAbort?: (info: AbortInfo) => void;
}

export interface MnsEmulator {
  /** `http://127.0.0.1:<port>`: give it to `@alicloud/mns` as `endpoint`. */
  endpoint: string;
  port: number;
  queues: QueueStore;
  topics: TopicStore;
  /** In-process ReceiveMessage with long polling, for the local cloud's queue triggers; `signal` ends the wait. */
  receive(queue: string, max: number, waitMs: number, signal?: AbortSignal): Promise<ReceivedMessage[]>;
  /** Push outbox: pending, retrying and failed pushes (console). */
  pushes(limit?: number): PushRow[];
  /** Wakes every long poll and the push outbox to look again (after a test moved the clock). */
  poke(): void;
  /** Stops delivering pushes (before the function runtime they call stops); pending ones stay for the next start. */
  stopPushes(): Promise<void>;
  close(): Promise<void>;
}

/** The local account: its STS-style key must come with its security token, like FC's role credentials. */
export const localMnsCredentials: MnsCredentialLookup = (accessKeyId) => {
  const secret = secretFor(accessKeyId);
  if (secret === undefined) return undefined;
  const securityToken = securityTokenFor(accessKeyId);
  return { accessKeySecret: secret, ...(securityToken ? { securityToken } : {}) };
};

/** The default push failure report: one JSON line on stderr, as the local cloud's other logs. */
function stderrPushFailureLog(f: PushFailure): void {
  const msg =
    f.outcome === 'retrying'
      ? `push to ${f.endpoint} failed; retrying by ${f.strategy}`
      : f.outcome === 'dead-lettered'
        ? `push to ${f.endpoint} failed after ${f.attempt} attempts; sent to the subscription's dead-letter queue`
        : `push to ${f.endpoint} failed after ${f.attempt} attempts; dropped, as MNS drops it`;
  process.stderr.write(`${JSON.stringify({ level: 'warn', time: Date.now(), service: 'mns', msg, ...f })}\n`);
}

/**
 * Starts the emulator.
 * @example
 * const mns = await startMnsEmulator({ dataDir: '.data', region: 'cn-hangzhou', port: 0 });
 * const client = new MNS(LOCAL_ACCOUNT_ID, { endpoint: mns.endpoint, accessKeyId, accessKeySecret, securityToken });
 */
export async function startMnsEmulator(options: MnsEmulatorOptions): Promise<MnsEmulator> {
  const clock = options.clock ?? Date.now;
  const local = { region: options.region, accountId: options.accountId ?? LOCAL_ACCOUNT_ID };
  mkdirSync(options.dataDir, { recursive: true });
  const db = new Database(join(options.dataDir, 'mns.sqlite'));
  db.pragma('journal_mode = WAL');
  // NORMAL in WAL mode: a commit is in the WAL (the OS has it) before the answer is sent, so killing the
  // process loses nothing acknowledged; only a power loss could lose the last commits.
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');

  const waiters = new QueueWaiters();
  const queues = new QueueStore(db, clock);
  queues.onReceivable = (queue) => waiters.wake(queue);
  // HTTP pushes are signed as MNS signs them; the key is made at the first push (or certificate fetch).
  const pushSigningKey = pushSigningKeyOf(options.dataDir, clock);
  const push = async (row: PushRow): Promise<void> => {
    const endpoint = parseEndpoint(row.endpoint, local);
    const info: PushInfo = { topic: row.topic, subscription: row.subscription, messageId: row.message_id, format: row.format, attempts: row.attempts, ...(row.tag ? { tag: row.tag } : {}) };
    if (endpoint.kind === 'queue') {
      // The queue did not exist when the message was published; it may exist by now. MNS accepts such a
      // subscription and fails its pushes (D170): the error names the queue, for the console and the log.
      if (!queues.hasQueue(endpoint.queue)) throw new Error(`QueueNotExist: the queue ${endpoint.queue} of the subscription's endpoint does not exist.`);
      queues.insert(endpoint.queue, { body: row.payload });
      queues.onReceivable(endpoint.queue);
      return;
    }
    if (endpoint.kind === 'function') {
      if (!options.pushToFunction) throw new Error(`no function runtime attached to deliver to ${endpoint.functionName}`);
      return options.pushToFunction(endpoint.functionName, Buffer.from(row.payload), info);
    }
    const url = new URL(endpoint.url);
    const headers = signedPushHeaders(await pushSigningKey(), `${emulatorUrl}${PUSH_CERT_PATH}`, {
      resource: `${url.pathname}${url.search}`,
      body: row.payload,
      contentType: row.format === 'JSON' ? 'application/json;charset=utf-8' : row.format === 'XML' ? 'text/xml;charset=utf-8' : 'text/plain;charset=utf-8',
      date: new Date(clock()).toUTCString(),
      mnsHeaders: { 'x-mns-request-id': row.message_id, 'x-mns-message-id': row.message_id, ...(row.tag ? { 'x-mns-message-tag': row.tag } : {}) },
    });
    const res = await fetch(endpoint.url, { method: 'POST', body: row.payload, signal: AbortSignal.timeout(5000), headers });
    await res.arrayBuffer().catch(() => undefined);
    if (res.status < 200 || res.status > 299) throw new Error(`${endpoint.url} answered ${res.status}`);
  };
  const outbox: PushOutbox = new PushOutbox(db, {
    push,
    deadLetter: (row) => {
      queues.insert(row.dlq_target!, { body: row.payload });
      queues.onReceivable(row.dlq_target!);
    },
    onFailure: options.onPushFailure ?? stderrPushFailureLog,
    // Each attempt goes where the subscription points now (D173); `topics` exists before the first attempt.
    resolve: (row: PushRow) => topics.currentTarget(row),
    clock,
    ...(options.pushRetryScale !== undefined ? { retryScale: options.pushRetryScale } : {}),
  });
  const topics: TopicStore = new TopicStore(db, queues, clock, local, outbox);

  let emulatorUrl = '';
  const onAbort = options.onAbort ?? stderrAbortLog('mns');
  const server = createServer(
    createRequestHandler({
      onAbort,
      queues,
      topics,
      waiters,
      clock,
      lookup: options.credentials ?? localMnsCredentials,
      ...(options.access ? { access: new AccessControl({ ...options.access, accountId: local.accountId }) } : {}),
      endpoint: () => emulatorUrl,
      pushCertificate: async () => (await pushSigningKey()).certificatePem,
      accountId: local.accountId,
      onInternalError: (err) => process.emitWarning(`MNS emulator internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`),
    }),
  );
  // Long polls hold a request up to 30 s; the minute of idle keep-alive outlives them.
  keepIdleConnections(server);
  server.on('clientError', mnsClientErrorHandler({ clock, onAbort, endpoint: () => emulatorUrl }));
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
        server.removeListener('error', reject);
        resolve();
      });
    });
  } catch (err) {
    db.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const endpoint = `http://${options.host ?? '127.0.0.1'}:${port}`;
  emulatorUrl = endpoint;
  outbox.start();

  return {
    endpoint,
    port,
    queues,
    topics,
    receive: (queue, max, waitMs, signal) => {
      if (!queues.hasQueue(queue)) return Promise.reject(mnsErrors.queueNotExist(queue));
      return longPoll(waiters, queue, waitMs, () => (queues.hasQueue(queue) && !signal?.aborted ? queues.receive(queue, max) : []), () => queues.msUntilNextVisible(queue), signal);
    },
    pushes: (limit) => outbox.list(limit),
    poke: () => {
      waiters.wakeAll();
      outbox.poke();
    },
    stopPushes: () => outbox.close(),
    async close() {
      waiters.close();
      await outbox.close();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      db.close();
    },
  };
}
