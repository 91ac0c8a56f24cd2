/**
 * The push outbox: notifications for HTTP and Function Compute endpoints, written in the publish transaction
 * and delivered by a pump, so a restart loses none (at-least-once, like MNS).
 *
 * A failed push is retried by the subscription's NotifyStrategy
 * (https://www.alibabacloud.com/help/en/mns/developer-reference/notifystrategy):
 * - BACKOFF_RETRY: 3 retries, each after a random 10–20 s;
 * - EXPONENTIAL_DECAY_RETRY: 176 retries after 1, 2, 4 … 512 s, then every 512 s (one day in all).
 * After the last retry the notification goes to the subscription's dead-letter queue if it has one, else it is
 * dropped (MNS drops it too) and kept here as `failed` for the console. `retryScale` shrinks the intervals
 * for tests. Each push's first failure and its end (dropped or dead-lettered) are reported (`onFailure`), so a
 * subscription that cannot be delivered to — an HTTP endpoint down, a queue that does not exist — is seen at once.
 * Deleting a subscription or its topic drops the pushes still waiting for it (`drop`, in the same transaction): a
 * deleted subscription receives nothing more (D170).
 *
 * Retry times are the emulator's clock (injected, `Date.now` by default) and are stored with the push, so a day
 * of EXPONENTIAL_DECAY_RETRY survives restarts and a test walks through it by moving the clock (D173). Each
 * attempt first asks `resolve` where the push goes *now*: the subscription's current endpoint, body format,
 * NotifyStrategy and dead-letter queue, so a push waiting for a retry follows SetSubscriptionAttributes or a
 * subscription made again from a changed template; one whose subscription no longer takes it is dropped, visibly.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { Notification, NotifyStrategy } from './topics';

export interface PushRow {
  id: number;
  topic: string;
  subscription: string;
  endpoint: string;
  format: string;
  strategy: NotifyStrategy;
  dlq_target: string | null;
  message_id: string;
  tag: string | null;
  payload: string;
  attempts: number;
  next_at: number;
  status: 'pending' | 'sending' | 'failed';
  last_error: string | null;
  created_at: number;
  /** The published message (JSON), from which the body is made again when the subscription's format changed. */
  message: string | null;
}

/** Where a push goes now, by its subscription as it is at this attempt (see `resolve`). */
export type PushTarget = Pick<PushRow, 'endpoint' | 'format' | 'strategy' | 'dlq_target' | 'payload'>;

/**
 * Thrown by a push whose endpoint is not there *yet* (the local cloud's function runtime is still starting): the
 * push waits a moment and goes again without counting an attempt. Counted, a start would have burnt one of
 * BACKOFF_RETRY's three retries and delayed every push a crash left in the outbox by 10–20 s (D146).
 */
export class EndpointNotReadyError extends Error {}

/** One failed push, as reported: its first failure (`retrying`) and its end (`dropped`, `dead-lettered`). */
export interface PushFailure {
  topic: string;
  subscription: string;
  endpoint: string;
  messageId: string;
  strategy: NotifyStrategy;
  /** Attempts made so far, this one included. */
  attempt: number;
  outcome: 'retrying' | 'dropped' | 'dead-lettered';
  /** Set when `outcome` is `retrying`: when the next attempt goes (epoch ms). */
  nextAt?: number;
  error: string;
}

/**
 * How long a push waits for an endpoint that is not ready yet: real time (a timer), not the emulator's clock,
 * which a test may hold still.
 */
const NOT_READY_RETRY_MS = 100;

export function retryDelayMs(strategy: NotifyStrategy, attempt: number, random: () => number = Math.random): number | undefined {
  if (strategy === 'BACKOFF_RETRY') return attempt <= 3 ? 10000 + Math.floor(random() * 10000) : undefined;
  return attempt <= 176 ? Math.min(512, 2 ** (attempt - 1)) * 1000 : undefined;
}

export class PushOutbox {
  private readonly s;
  private timer: NodeJS.Timeout | undefined;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly notReadyWaits = new Set<NodeJS.Timeout>();
  private closed = false;
  private readonly clock: () => number;

  constructor(
    db: BetterSqlite3.Database,
    private readonly options: {
      /** Delivers one notification; rejects when the endpoint did not accept it. */
      push: (row: PushRow) => Promise<void>;
      /** Called when the NotifyStrategy gave up and the subscription has a dead-letter queue. */
      deadLetter: (row: PushRow) => void;
      /** Told of a push's first failure and of its end (see PushFailure). */
      onFailure?: (failure: PushFailure) => void;
      /**
       * Where the push goes now (its subscription's current endpoint, format, strategy and dead-letter queue), or
       * why it is no longer owed (`discard`). Absent: the push goes where it was addressed at publish.
       */
      resolve?: (row: PushRow) => PushTarget | { discard: string };
      /** Epoch-ms clock for retry times (default Date.now). */
      clock?: () => number;
      retryScale?: number;
      concurrency?: number;
      pollMs?: number;
    },
  ) {
    db.exec(`CREATE TABLE IF NOT EXISTS mns_pushes (
      id INTEGER PRIMARY KEY AUTOINCREMENT, topic TEXT NOT NULL, subscription TEXT NOT NULL, endpoint TEXT NOT NULL, format TEXT NOT NULL,
      strategy TEXT NOT NULL, dlq_target TEXT, message_id TEXT NOT NULL, tag TEXT, payload TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
      next_at INTEGER NOT NULL, status TEXT NOT NULL, last_error TEXT, created_at INTEGER NOT NULL);
      CREATE INDEX IF NOT EXISTS mns_pushes_due ON mns_pushes (status, next_at);`);
    // Databases from before D173 lack the message column; their pushes keep the body made at publish.
    const columns = db.prepare('PRAGMA table_info(mns_pushes)').all() as { name: string }[];
    if (!columns.some((c) => c.name === 'message')) db.exec('ALTER TABLE mns_pushes ADD COLUMN message TEXT');
    this.clock = options.clock ?? Date.now;
    // Pushes that were in flight when the process stopped go again: at-least-once.
    db.prepare(`UPDATE mns_pushes SET status = 'pending' WHERE status = 'sending'`).run();
    this.s = {
      insert: db.prepare(
        `INSERT INTO mns_pushes (topic, subscription, endpoint, format, strategy, dlq_target, message_id, tag, payload, message, next_at, status, created_at)
         VALUES (@topic, @subscription, @endpoint, @format, @strategy, @dlq, @messageId, @tag, @payload, @message, @now, 'pending', @now)`,
      ),
      retarget: db.prepare<[PushTarget & { id: number }]>(
        'UPDATE mns_pushes SET endpoint = @endpoint, format = @format, strategy = @strategy, dlq_target = @dlq_target, payload = @payload WHERE id = @id',
      ),
      requeue: db.prepare<[number, string, number]>(`UPDATE mns_pushes SET status = 'pending', next_at = ?, last_error = ? WHERE id = ? AND status = 'sending'`),
      due: db.prepare<[number, number], PushRow>(`SELECT * FROM mns_pushes WHERE status = 'pending' AND next_at <= ? ORDER BY next_at, id LIMIT ?`),
      claim: db.prepare<[number]>(`UPDATE mns_pushes SET status = 'sending' WHERE id = ? AND status = 'pending'`),
      done: db.prepare<[number]>('DELETE FROM mns_pushes WHERE id = ?'),
      retry: db.prepare<[number, number, string, number]>(`UPDATE mns_pushes SET status = 'pending', attempts = ?, next_at = ?, last_error = ? WHERE id = ?`),
      fail: db.prepare<[number, string, number]>(`UPDATE mns_pushes SET status = 'failed', attempts = ?, last_error = ? WHERE id = ?`),
      list: db.prepare<[number], PushRow>('SELECT * FROM mns_pushes ORDER BY id DESC LIMIT ?'),
      exists: db.prepare<[number]>('SELECT 1 FROM mns_pushes WHERE id = ?').pluck(),
      // Failed rows stay: they are the console's record of what was dropped, and nothing retries them.
      dropSubscription: db.prepare<[string, string]>(`DELETE FROM mns_pushes WHERE topic = ? AND subscription = ? AND status <> 'failed'`),
      dropTopic: db.prepare<[string]>(`DELETE FROM mns_pushes WHERE topic = ? AND status <> 'failed'`),
    };
  }

  /** Part of the publish transaction. */
  add(n: Notification): void {
    const now = this.clock();
    this.s.insert.run({
      topic: n.topic,
      subscription: n.subscription,
      endpoint: n.endpoint,
      format: n.format,
      strategy: n.strategy,
      dlq: n.deadLetterQueue ?? null,
      messageId: n.messageId,
      tag: n.tag ?? null,
      payload: n.payload,
      message: n.message ? JSON.stringify(n.message) : null,
      now,
    });
    if (!this.closed) setImmediate(() => this.drain());
  }

  /**
   * Drops the pushes still owed to a subscription (or to every subscription of a topic) that is being deleted;
   * called inside the Unsubscribe / DeleteTopic transaction. A push in flight at that moment may still land (it
   * was already sent), but is neither retried nor dead-lettered afterwards.
   */
  drop(topic: string, subscription?: string): number {
    return (subscription === undefined ? this.s.dropTopic.run(topic) : this.s.dropSubscription.run(topic, subscription)).changes;
  }

  start(): void {
    const tick = () => {
      if (this.closed) return;
      this.drain();
      this.timer = setTimeout(tick, this.options.pollMs ?? 100);
      this.timer.unref();
    };
    tick();
  }

  /** Looks for due pushes now (after a test moved the clock). */
  poke(): void {
    this.drain();
  }

  /** Pending, retrying and failed pushes, newest first (console). */
  list(limit = 100): PushRow[] {
    return this.s.list.all(limit);
  }

  private drain(): void {
    const free = (this.options.concurrency ?? 8) - this.inFlight.size;
    if (this.closed || free <= 0) return;
    for (const row of this.s.due.all(this.clock(), free)) {
      if (this.s.claim.run(row.id).changes !== 1) continue;
      const job = this.attempt(row).finally(() => {
        this.inFlight.delete(job);
        if (!this.closed) setImmediate(() => this.drain());
      });
      this.inFlight.add(job);
    }
  }

  private async attempt(claimed: PushRow): Promise<void> {
    let row = claimed;
    try {
      const target = this.options.resolve?.(claimed);
      if (target && 'discard' in target) {
        // Its subscription no longer takes this message (a FilterTag changed): dropped, and said so.
        this.s.fail.run(claimed.attempts, target.discard, claimed.id);
        this.report(claimed, claimed.attempts, 'dropped', target.discard);
        return;
      }
      if (target) row = this.retarget(claimed, target);
      await this.options.push(row);
      this.s.done.run(row.id);
    } catch (err) {
      // Failing because the local cloud is stopping is not the endpoint's fault: the push stays `sending`,
      // and the next start sends it again without counting an attempt.
      if (this.closed) return;
      if (err instanceof EndpointNotReadyError) {
        const wait = setTimeout(() => {
          this.notReadyWaits.delete(wait);
          if (this.closed) return;
          this.s.requeue.run(this.clock(), err.message, row.id);
          this.drain();
        }, NOT_READY_RETRY_MS);
        this.notReadyWaits.add(wait);
        return;
      }
      // Its subscription was deleted while the push was in flight: nothing more is owed.
      if (this.s.exists.get(row.id) === undefined) return;
      const attempts = row.attempts + 1;
      const message = err instanceof Error ? err.message : String(err);
      const delay = retryDelayMs(row.strategy, attempts);
      if (delay !== undefined) {
        const nextAt = this.clock() + Math.round(delay * (this.options.retryScale ?? 1));
        this.s.retry.run(attempts, nextAt, message, row.id);
        // The first failure only: EXPONENTIAL_DECAY_RETRY would otherwise report 176 times a day.
        if (attempts === 1) this.report(row, attempts, 'retrying', message, nextAt);
        return;
      }
      if (row.dlq_target) {
        try {
          this.options.deadLetter(row);
          this.s.done.run(row.id);
          this.report(row, attempts, 'dead-lettered', message);
          return;
        } catch (dlqErr) {
          const both = `${message}; dead-letter queue: ${(dlqErr as Error).message}`;
          this.s.fail.run(attempts, both, row.id);
          this.report(row, attempts, 'dropped', both);
          return;
        }
      }
      this.s.fail.run(attempts, message, row.id);
      this.report(row, attempts, 'dropped', message);
    }
  }

  /** The push addressed as its subscription is now; the row is rewritten when that changed, for the console. */
  private retarget(row: PushRow, target: PushTarget): PushRow {
    const same = row.endpoint === target.endpoint && row.format === target.format && row.strategy === target.strategy && row.dlq_target === target.dlq_target && row.payload === target.payload;
    if (!same) this.s.retarget.run({ ...target, id: row.id });
    return { ...row, ...target };
  }

  private report(row: PushRow, attempt: number, outcome: PushFailure['outcome'], error: string, nextAt?: number): void {
    try {
      this.options.onFailure?.({
        topic: row.topic,
        subscription: row.subscription,
        endpoint: row.endpoint,
        messageId: row.message_id,
        strategy: row.strategy,
        attempt,
        outcome,
        ...(nextAt !== undefined ? { nextAt } : {}),
        error,
      });
    } catch {
      // A reporter's failure must not stop the pump.
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    // Pushes waiting for a starting endpoint stay `sending`: the next start sends them again.
    for (const wait of this.notReadyWaits) clearTimeout(wait);
    this.notReadyWaits.clear();
    await Promise.allSettled([...this.inFlight]);
  }
}
