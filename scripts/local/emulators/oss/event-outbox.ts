/**
 * The OSS emulator's event outbox (D151): a write's event notification is stored in `oss.sqlite` in the same
 * transaction as the write itself, handed to the subscriber (the local cloud's OSS triggers, which put it into FC's
 * async queue in `cloud.sqlite`) right after the commit, and removed once the subscriber took it. Two databases
 * cannot share a transaction; without the outbox a crash between the object's commit and the event's left an object
 * whose trigger never ran (D146). A crash after the subscriber took it and before the row is removed hands it over
 * again at the next start, with the same event id, so the subscriber can take it once.
 */
import { randomBytes } from 'node:crypto';
import type BetterSqlite3 from 'better-sqlite3';
import { crashPoint } from '../../crash-point';
import type { OssEventName, OssNotification } from './events';

/** Who asked for a write, and which event it is: what the storage needs besides the write to record its event. */
export interface EventStamp {
  eventName: OssEventName;
  requestId: string;
  sourceIp: string;
}

/** The object part of an event, known only inside the write's transaction (the size of what it replaced). */
export type EventObject = Pick<OssNotification, 'bucket' | 'key' | 'size' | 'deltaSize' | 'eTag'>;

/** Takes one event; `eventId` is the same every time one event is handed over. */
export type OssEventSubscriber = (n: OssNotification, eventId: string) => void;

/**
 * Thrown by a subscriber that cannot take events yet (the local cloud's async queue is not attached while it
 * starts): the event stays in the outbox and goes with the next `deliver()`, without a warning.
 */
export class OssEventsNotReady extends Error {
  constructor() {
    super('OSS events are not taken yet: the local cloud is starting');
  }
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS oss_event_outbox (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id TEXT NOT NULL,
  notification TEXT NOT NULL
)`;

export class OssEventOutbox {
  private readonly statements;
  private delivering = false;

  constructor(
    db: BetterSqlite3.Database,
    private readonly clock: () => number,
    private readonly subscriber: OssEventSubscriber,
    /** A subscriber that failed for another reason: the event is dropped with this warning, as before the outbox. */
    private readonly warn: (message: string) => void,
  ) {
    db.exec(SCHEMA);
    this.statements = {
      insert: db.prepare<[string, string]>('INSERT INTO oss_event_outbox (event_id, notification) VALUES (?, ?)'),
      pending: db.prepare<[], { seq: number; event_id: string; notification: string }>('SELECT seq, event_id, notification FROM oss_event_outbox ORDER BY seq'),
      remove: db.prepare<[number]>('DELETE FROM oss_event_outbox WHERE seq = ?'),
    };
  }

  /** Stores a write's event; called inside the write's transaction, so both are committed or neither. */
  record(stamp: EventStamp, object: EventObject): void {
    const n: OssNotification = { ...object, eventName: stamp.eventName, sourceIp: stamp.sourceIp, requestId: stamp.requestId, time: new Date(this.clock()).toISOString() };
    this.statements.insert.run(randomBytes(12).toString('hex'), JSON.stringify(n));
  }

  /**
   * Hands every stored event to the subscriber, oldest first, removing each once it was taken. Synchronous, like
   * the subscriber: called right after a write commits, so the event is in FC's queue before the write is answered.
   */
  deliver(): void {
    if (this.delivering) return;
    this.delivering = true;
    try {
      for (const row of this.statements.pending.all()) {
        const n = JSON.parse(row.notification) as OssNotification;
        crashPoint('oss:write-committed', `${n.bucket}/${n.key}`);
        try {
          this.subscriber(n, row.event_id);
        } catch (err) {
          if (err instanceof OssEventsNotReady) return;
          // A failing subscriber must not turn a stored object into a failed upload, nor block the events after it.
          this.warn(`OSS emulator onEvent threw: ${String(err)}`);
        }
        crashPoint('oss:event-enqueued', `${n.bucket}/${n.key}`);
        this.statements.remove.run(row.seq);
      }
    } finally {
      this.delivering = false;
    }
  }
}
