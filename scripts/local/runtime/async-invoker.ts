import { EventEmitter } from 'node:events';
import { LOCAL_ACCOUNT_ID } from '../credentials';
import { crashPoint } from '../crash-point';
import type { Statement } from 'better-sqlite3';
import type { ControlDb } from '../control-db';
import type { OnBehalfAccess } from '../ram/on-behalf';
import type { DestinationSpec, FunctionSpec } from '../spec/model';
import { newRequestId, type FunctionRuntime, type InvocationRecord } from './runtime';
import type { InvocationClass } from './priority';

/**
 * FC asynchronous invocation, persisted: an accepted event survives a restart (at-least-once).
 *
 * Retry policy (https://www.alibabacloud.com/help/en/functioncompute/fc/error-handling-1-2):
 * - function errors (HandledInvocationError / UnhandledInvocationError, timeouts included) are retried
 *   `maxAsyncRetryAttempts` times (default 3) with a doubling backoff;
 * - throttling (429) is retried with binary exponential backoff from 0.5 s, not counted as an attempt,
 *   until the event is older than `maxAsyncEventAgeInSeconds`.
 * After the last attempt (or on success) the `onFailure` / `onSuccess` destination receives FC's
 * destination payload (https://help.aliyun.com/zh/functioncompute/user-guide/result-callback).
 */
export interface AsyncInvokerOptions {
  /** First retry delay after a function error; doubles each time. FC's exact interval is not documented. */
  retryBaseMs?: number;
  /** First retry delay after throttling (FC: 500 ms, doubling). */
  throttleBaseMs?: number;
  /** Events running at once across all functions. */
  concurrency?: number;
  /**
   * Events of one function running at once. FC keeps a queue per function, so a burst for one function
   * must not hold back another's events (e.g. catalog-image behind 50 make-thumbnail uploads).
   */
  perFunctionConcurrency?: number;
  pollMs?: number;
  region: string;
  /** Delivers a destination payload to an MNS queue or topic destination (the local MNS emulator). */
  sendToMns?: (destination: Exclude<DestinationSpec, { kind: 'fc' }>, body: string) => void;
  /** Holds destination deliveries to the function's role (D152). */
  onBehalf?: OnBehalfAccess;
}

export interface AsyncEventRow {
  request_id: string;
  function_name: string;
  payload: Buffer;
  source: string;
  attempts: number;
  /** Throttled tries, not counted as attempts. */
  throttles: number;
  created_at: number;
  next_at: number;
  status: 'queued' | 'running' | 'succeeded' | 'failed' | 'expired' | 'stopped';
  last_error: string | null;
  updated_at: number;
  /** Why the destination this event owed was not delivered (its function's role may not send there, D152). */
  destination_error?: string | null;
  /** `Succeeded` once the destination was sent, `Failed` when it could not be (D159's `destinationStatus`). */
  destination_status?: string | null;
  /** The event's async task id (D159), when its function has `asyncTask: true`; the task's other columns follow. */
  task_id?: string | null;
  /** When the task first ran and when it ended (ms). */
  started_at?: number | null;
  ended_at?: number | null;
  /** The function's answer (up to FC's 1 MB) and the instance of the last attempt. */
  return_payload?: Buffer | null;
  instance_id?: string | null;
  /** The task's status changes, a JSON array of `{status, timestamp, eventDetail}`. */
  task_events?: string | null;
  /** StopAsyncTask asked to stop it while it ran (its status reads `Stopping`). */
  stop_requested?: number | null;
}

/** What StopAsyncTask found (D159). */
export type StopOutcome = { stopped: 'queued' | 'running' } | { notFound: true } | { ended: AsyncEventRow['status'] };

/** FC's limit on a task's `returnPayload`. */
const RETURN_PAYLOAD_LIMIT = 1024 * 1024;

/** Appends one event to a task's events, in SQL (`?` is the event's JSON). */
const APPEND_EVENT = `task_events = json_insert(coalesce(task_events, '[]'), '$[#]', json(?))`;

function taskEvent(status: string, eventDetail: string, timestamp = Date.now()): string {
  return JSON.stringify({ status, timestamp, eventDetail });
}

/** The instance an attempt ran on; none when it never reached one (throttled, an injected fault: `-`). */
function instanceOf(record: InvocationRecord): string | null {
  return record.instanceId && record.instanceId !== '-' ? record.instanceId : null;
}

/** FC's task statuses (`@alicloud/fc20230330`'s AsyncTask); Dequeued and Invalid do not occur locally. */
export const TASK_STATUSES = ['Enqueued', 'Dequeued', 'Running', 'Succeeded', 'Failed', 'Stopped', 'Stopping', 'Expired', 'Invalid', 'Retrying'];

/** FC's task status of an ended event. */
const TASK_STATUS_OF: Record<AsyncEventRow['status'], string> = { queued: 'Enqueued', running: 'Running', succeeded: 'Succeeded', failed: 'Failed', expired: 'Expired', stopped: 'Stopped' };

/** FC's task status of a row, in SQL: a queued event that has run once waits for a retry; a running one may be stopping. */
export const TASK_STATUS = `CASE status WHEN 'queued' THEN CASE WHEN attempts > 0 THEN 'Retrying' ELSE 'Enqueued' END
  WHEN 'running' THEN CASE WHEN stop_requested = 1 THEN 'Stopping' ELSE 'Running' END
  WHEN 'succeeded' THEN 'Succeeded' WHEN 'failed' THEN 'Failed' WHEN 'expired' THEN 'Expired' WHEN 'stopped' THEN 'Stopped' END`;

/** ListAsyncTasks' filters (D159), checked by the FC API emulator. */
export interface TaskFilter {
  prefix?: string;
  /** FC's task status (`Succeeded`, `Running`…). */
  status?: string;
  startedTimeBegin?: number;
  startedTimeEnd?: number;
  order: 'asc' | 'desc';
  /** The first row's key (`[created_at, task_id]`), from the previous page's token. */
  after?: [number, string];
  /** Rows to read (a page and one more, for the next token). */
  limit: number;
}

export interface DestinationPayload {
  timestamp: number;
  requestContext: { requestId: string; functionArn: string; condition: string; approximateInvokeCount: number };
  requestPayload: string;
  responseContext: { statusCode: number; functionError: string };
  responsePayload: string;
}

/** A destination an ended event has not sent yet (`destination_owed`). */
interface OwedDestination {
  destination: DestinationSpec;
  payload: DestinationPayload;
  /** The async event's source, for an FC destination. */
  source: string;
  functionName: string;
}

export class AsyncInvoker extends EventEmitter {
  private readonly retryBaseMs: number;
  private readonly throttleBaseMs: number;
  private readonly concurrency: number;
  private running = 0;
  /** Queued events that interactive work queued (D143); every other event runs as background work. */
  private readonly interactive = new Set<string>();
  private readonly runningByFunction = new Map<string, number>();
  private readonly perFunction: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Prepared once: the queue is drained every 50 ms and after every event, and preparing cost more than running. */
  private readonly statements = new Map<string, Statement>();

  constructor(
    private readonly db: ControlDb,
    private readonly runtime: FunctionRuntime,
    private readonly options: AsyncInvokerOptions,
  ) {
    super();
    this.retryBaseMs = options.retryBaseMs ?? 1000;
    this.throttleBaseMs = options.throttleBaseMs ?? 500;
    this.concurrency = options.concurrency ?? 12;
    this.perFunction = options.perFunctionConcurrency ?? 4;
    db.exec(`CREATE TABLE IF NOT EXISTS async_invocations (
      request_id TEXT PRIMARY KEY, function_name TEXT NOT NULL, payload BLOB NOT NULL, source TEXT NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, throttles INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL, next_at INTEGER NOT NULL,
      status TEXT NOT NULL, last_error TEXT, updated_at INTEGER NOT NULL)`);
    db.exec(`CREATE INDEX IF NOT EXISTS async_due ON async_invocations (status, next_at)`);
    // The destination an ended event still owes (its payload, as JSON), written with the event's final status: a
    // crash between the two would otherwise lose the destination, and dead-letters are what must not be lost (D146).
    const columns = db.prepare(`SELECT name FROM pragma_table_info('async_invocations')`).all() as { name: string }[];
    if (!columns.some((c) => c.name === 'destination_owed')) db.exec(`ALTER TABLE async_invocations ADD COLUMN destination_owed TEXT`);
    if (!columns.some((c) => c.name === 'destination_error')) db.exec(`ALTER TABLE async_invocations ADD COLUMN destination_error TEXT`);
    // Async tasks (D159): a task is its event's row with these columns set, so a task is queued, claimed, retried and
    // ended by the same writes as its event — never a task without its event or the other way round.
    const taskColumns: Array<[string, string]> = [
      ['task_id', 'TEXT'],
      ['started_at', 'INTEGER'],
      ['ended_at', 'INTEGER'],
      ['return_payload', 'BLOB'],
      ['instance_id', 'TEXT'],
      ['task_events', 'TEXT'],
      ['stop_requested', 'INTEGER'],
      ['destination_status', 'TEXT'],
    ];
    for (const [name, type] of taskColumns) if (!columns.some((c) => c.name === name)) db.exec(`ALTER TABLE async_invocations ADD COLUMN ${name} ${type}`);
    // A task id is unique per function: a second InvokeFunction with it is refused (FC's task deduplication, 409).
    db.exec(`CREATE UNIQUE INDEX IF NOT EXISTS async_task_ids ON async_invocations (function_name, task_id) WHERE task_id IS NOT NULL`);
    // A task being stopped when the process stopped is stopped, not run again.
    const now = Date.now();
    db.prepare(`UPDATE async_invocations SET status = 'stopped', ended_at = ?, updated_at = ?, ${APPEND_EVENT} WHERE status = 'running' AND stop_requested = 1`).run(now, now, taskEvent('Stopped', 'stopped while the local cloud was down', now));
    // Events that were running when the process stopped run again: at-least-once, as on FC.
    db.prepare(`UPDATE async_invocations SET status = 'queued' WHERE status = 'running'`).run();
  }

  private statement(sql: string): Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  start(): void {
    // Destinations a crash kept from being sent: sent now (at-least-once; FC's destinations are at-least-once too).
    const owed = this.statement(`SELECT request_id, destination_owed FROM async_invocations WHERE destination_owed IS NOT NULL`).all() as { request_id: string; destination_owed: string }[];
    for (const row of owed) this.sendOwed(row.request_id, JSON.parse(row.destination_owed) as OwedDestination);
    const tick = () => {
      if (this.closed) return;
      this.drain();
      this.timer = setTimeout(tick, this.options.pollMs ?? 50);
      this.timer.unref();
    };
    tick();
  }

  /** Accept an event (202 semantics): it is stored before this returns. */
  /**
   * `priority`: an event queued by interactive work (a flow's async task, an async call made by a page's call
   * tree: the payment sandbox settling a charge a shopper watches) keeps that class when it runs (D143); other
   * events run as background work. Kept in memory only: after a restart such an event runs as background.
   */
  enqueue(functionName: string, payload: Buffer, source: string, requestId: string = newRequestId(), priority: InvocationClass = 'background'): string {
    this.insert('INSERT', functionName, payload, source, requestId, priority);
    return requestId;
  }

  /**
   * Accept an event with the async task id its caller chose (`x-fc-async-task-id`, D159): answers false, storing
   * nothing, when the function already has a task of that id (FC refuses the resubmission with 409).
   */
  enqueueTask(functionName: string, payload: Buffer, source: string, requestId: string, taskId: string, priority: InvocationClass = 'background'): boolean {
    return this.insert('INSERT OR IGNORE', functionName, payload, source, requestId, priority, taskId);
  }

  /**
   * Accept an event a source may hand over twice (an MNS push sent again after a crash, D146): the second time,
   * the same `requestId` is already stored and nothing is added. Answers whether this call stored it.
   */
  enqueueOnce(functionName: string, payload: Buffer, source: string, requestId: string): boolean {
    return this.insert('INSERT OR IGNORE', functionName, payload, source, requestId, 'background');
  }

  private insert(verb: 'INSERT' | 'INSERT OR IGNORE', functionName: string, payload: Buffer, source: string, requestId: string, priority: InvocationClass, taskId?: string): boolean {
    const fn = this.runtime.find(functionName);
    if (!fn) throw new Error(`Function ${functionName} not found`);
    const now = Date.now();
    // In task mode every async invocation is a task; without a caller's id, its request id is the task id (FC's rule).
    const task = fn.asyncInvokeConfig?.asyncTask ? (taskId ?? requestId) : undefined;
    const stored = task
      ? this.statement(`${verb} INTO async_invocations (request_id, function_name, payload, source, attempts, created_at, next_at, status, updated_at, task_id, task_events) VALUES (?, ?, ?, ?, 0, ?, ?, 'queued', ?, ?, json_array(json(?)))`)
          .run(requestId, fn.name, payload, source, now, now, now, task, taskEvent('Enqueued', `queued by ${source}`, now))
      : this.statement(`${verb} INTO async_invocations (request_id, function_name, payload, source, attempts, created_at, next_at, status, updated_at) VALUES (?, ?, ?, ?, 0, ?, ?, 'queued', ?)`)
          .run(requestId, fn.name, payload, source, now, now, now);
    if (stored.changes !== 1) return false;
    if (priority === 'interactive') this.interactive.add(requestId);
    setImmediate(() => this.drain());
    return true;
  }

  /** A function's async task by its id (D159). */
  task(functionName: string, taskId: string): AsyncEventRow | undefined {
    return this.statement('SELECT * FROM async_invocations WHERE function_name = ? AND task_id = ?').get(functionName, taskId) as AsyncEventRow | undefined;
  }

  /**
   * StopAsyncTask (D159): a queued task (waiting to run or for a retry) is stopped at once and never runs; a running
   * one is marked `Stopping` and its instance is ended, and it ends `Stopped` when the attempt returns.
   */
  stopTask(functionName: string, taskId: string): StopOutcome {
    const row = this.task(functionName, taskId);
    if (!row) return { notFound: true };
    const now = Date.now();
    if (row.status === 'queued') {
      const stopped = this.statement(`UPDATE async_invocations SET status = 'stopped', ended_at = ?, updated_at = ?, ${APPEND_EVENT} WHERE request_id = ? AND status = 'queued'`)
        .run(now, now, taskEvent('Stopped', 'stopped before it ran (StopAsyncTask)', now), row.request_id);
      if (stopped.changes === 1) {
        this.interactive.delete(row.request_id);
        this.emit('settled', { requestId: row.request_id, functionName, status: 'stopped' });
        return { stopped: 'queued' };
      }
      // Claimed between the read and the write: it runs now, so it is stopped as a running task.
    }
    if (row.status === 'queued' || row.status === 'running') {
      const marked = this.statement(`UPDATE async_invocations SET stop_requested = 1, updated_at = ?, ${APPEND_EVENT} WHERE request_id = ? AND status = 'running' AND stop_requested IS NULL`)
        .run(now, taskEvent('Stopping', 'StopAsyncTask', now), row.request_id);
      if (marked.changes === 1 || this.get(row.request_id)?.status === 'running') {
        this.runtime.stop(functionName, row.request_id);
        return { stopped: 'running' };
      }
    }
    return { ended: this.get(row.request_id)!.status };
  }

  /**
   * A page of a function's tasks for ListAsyncTasks (D159), in the order they were queued: `status` is FC's task
   * status (read from the event's by `TASK_STATUS`), `after` the key the page starts at (`[created_at, task_id]`).
   */
  listTasks(functionName: string, filter: TaskFilter): AsyncEventRow[] {
    const desc = filter.order === 'desc';
    const [at, id] = filter.after ?? [desc ? Number.MAX_SAFE_INTEGER : 0, ''];
    const keyset = desc ? '(created_at < ? OR (created_at = ? AND task_id <= ?))' : '(created_at > ? OR (created_at = ? AND task_id >= ?))';
    const sql = `SELECT * FROM (SELECT *, ${TASK_STATUS} AS task_status FROM async_invocations WHERE function_name = ? AND task_id IS NOT NULL)
      WHERE substr(task_id, 1, length(?)) = ? AND (? IS NULL OR task_status = ?) AND (? IS NULL OR started_at >= ?) AND (? IS NULL OR started_at <= ?) AND ${keyset}
      ORDER BY created_at ${desc ? 'DESC' : 'ASC'}, task_id ${desc ? 'DESC' : 'ASC'} LIMIT ?`;
    const prefix = filter.prefix ?? '';
    const status = filter.status ?? null;
    const begin = filter.startedTimeBegin ?? null;
    const end = filter.startedTimeEnd ?? null;
    return this.statement(sql).all(functionName, prefix, prefix, status, status, begin, begin, end, end, at, at, id, filter.limit) as AsyncEventRow[];
  }

  get(requestId: string): AsyncEventRow | undefined {
    return this.statement('SELECT * FROM async_invocations WHERE request_id = ?').get(requestId) as AsyncEventRow | undefined;
  }

  list(limit = 100): AsyncEventRow[] {
    return this.statement('SELECT * FROM async_invocations ORDER BY updated_at DESC LIMIT ?').all(limit) as AsyncEventRow[];
  }

  /** Number of events not finished yet (queued, waiting for a retry, or running). */
  pending(): number {
    return (this.statement(`SELECT count(*) AS n FROM async_invocations WHERE status IN ('queued', 'running')`).get() as { n: number }).n;
  }

  private drain(): void {
    if (this.closed) return;
    // Oldest first, but a function already at its own limit is passed over for the next one. The functions at
    // their limit are left out by the query itself: under a surge the backlog is mostly theirs, and it is
    // drained after every event that ends, so reading it into JavaScript each time cost more than the rest (D120).
    // A few passes, since a function may reach its limit while this pass starts its events.
    for (let pass = 0; pass < 3; pass++) {
      const free = this.concurrency - this.running;
      if (free <= 0) return;
      const atLimit = [...this.runningByFunction].filter(([, n]) => n >= this.perFunction).map(([name]) => name);
      const due = this.statement(`SELECT request_id, function_name FROM async_invocations WHERE status = 'queued' AND next_at <= ? AND function_name NOT IN (SELECT value FROM json_each(?)) ORDER BY next_at LIMIT ?`).all(Date.now(), JSON.stringify(atLimit), free) as Pick<AsyncEventRow, 'request_id' | 'function_name'>[];
      let passedOver = 0;
      for (const candidate of due) {
        if (this.running >= this.concurrency) return;
        const busy = this.runningByFunction.get(candidate.function_name) ?? 0;
        if (busy >= this.perFunction) {
          passedOver++;
          continue;
        }
        const claimed = this.statement(`UPDATE async_invocations SET status = 'running', updated_at = ? WHERE request_id = ? AND status = 'queued'`).run(Date.now(), candidate.request_id);
        if (claimed.changes !== 1) continue;
        const row = this.get(candidate.request_id)!;
        this.running++;
        this.runningByFunction.set(row.function_name, busy + 1);
        const job = this.attempt(row).finally(() => {
          this.running--;
          this.runningByFunction.set(row.function_name, (this.runningByFunction.get(row.function_name) ?? 1) - 1);
          this.inFlight.delete(job);
          setImmediate(() => this.drain());
        });
        this.inFlight.add(job);
      }
      if (passedOver === 0) return;
    }
  }

  private async attempt(row: AsyncEventRow): Promise<void> {
    const fn = this.runtime.find(row.function_name);
    const now = Date.now();
    const config = fn?.asyncInvokeConfig;
    const maxAgeMs = (config?.maxAsyncEventAgeInSeconds ?? 18000) * 1000;
    if (!fn) return this.finish(row, 'failed', 'function no longer exists');
    if (now - row.created_at > maxAgeMs) return this.finish(row, 'expired', 'event older than maxAsyncEventAgeInSeconds', this.destinationOf(fn, row, 'onFailure', 'EventExpired', undefined));
    if (row.task_id) {
      this.statement(`UPDATE async_invocations SET started_at = coalesce(started_at, ?), ${APPEND_EVENT} WHERE request_id = ?`)
        .run(now, taskEvent('Running', `attempt ${row.attempts + 1}`, now), row.request_id);
    }
    // Nobody waits on an asynchronous invocation's answer: unless interactive work queued it, it yields (D143).
    const priority = this.interactive.has(row.request_id) ? 'interactive' : 'background';
    const record = await this.runtime.invoke(fn.name, row.payload, { source: row.source, requestId: row.request_id, retryCount: row.attempts, priority });
    crashPoint('async-invoker:before-status', fn.name);
    // A task StopAsyncTask stopped ends Stopped, without a retry or a destination — unless it had already succeeded.
    if (row.task_id && record.status !== 'succeeded' && this.get(row.request_id)?.stop_requested) {
      return this.finish({ ...row, attempts: row.attempts + 1 }, 'stopped', 'stopped (StopAsyncTask)', undefined, record);
    }
    if (record.status === 'throttled') {
      const delay = this.throttleBaseMs * 2 ** Math.min(row.throttles, 15);
      this.statement(`UPDATE async_invocations SET status = 'queued', throttles = throttles + 1, next_at = ?, last_error = ?, updated_at = ? WHERE request_id = ?`)
        .run(Date.now() + delay, 'ResourceThrottled', Date.now(), row.request_id);
      return;
    }
    const attempts = row.attempts + 1;
    if (record.status === 'succeeded') return this.finish({ ...row, attempts }, 'succeeded', null, this.destinationOf(fn, { ...row, attempts }, 'onSuccess', '', record), record);
    const retries = config?.maxAsyncRetryAttempts ?? 3;
    if (attempts <= retries) {
      const delay = this.retryBaseMs * 2 ** (attempts - 1);
      const error = record.error?.errorMessage ?? 'error';
      if (row.task_id) {
        this.statement(`UPDATE async_invocations SET status = 'queued', attempts = ?, next_at = ?, last_error = ?, updated_at = ?, instance_id = coalesce(?, instance_id), ${APPEND_EVENT} WHERE request_id = ?`)
          .run(attempts, Date.now() + delay, error, Date.now(), instanceOf(record), taskEvent('Retrying', error), row.request_id);
      } else {
        this.statement(`UPDATE async_invocations SET status = 'queued', attempts = ?, next_at = ?, last_error = ?, updated_at = ? WHERE request_id = ?`)
          .run(attempts, Date.now() + delay, error, Date.now(), row.request_id);
      }
      this.emit('retry', { requestId: row.request_id, functionName: fn.name, attempts });
      return;
    }
    this.finish({ ...row, attempts }, 'failed', record.error?.errorMessage ?? 'error', this.destinationOf(fn, { ...row, attempts }, 'onFailure', record.errorType ?? 'UnhandledInvocationError', record), record);
  }

  /**
   * The event's final status and the destination it owes, in one write; then the destination is sent. A crash
   * after the write sends it at the next start (`start`), so an event that ended is never without its destination.
   */
  private finish(row: AsyncEventRow, status: AsyncEventRow['status'], error: string | null, owed?: OwedDestination, record?: InvocationRecord): void {
    this.interactive.delete(row.request_id);
    const now = Date.now();
    const owedJson = owed ? JSON.stringify(owed) : null;
    if (row.task_id) {
      // The task's end in the same write: its answer (FC keeps up to 1 MB), the instance and the final event.
      const answer = record?.status === 'succeeded' ? record.payload.subarray(0, RETURN_PAYLOAD_LIMIT) : null;
      const event = taskEvent(TASK_STATUS_OF[status], error ?? (record ? `answered in ${record.durationMs} ms` : ''), now);
      this.statement(`UPDATE async_invocations SET status = ?, attempts = ?, last_error = ?, updated_at = ?, destination_owed = ?, ended_at = ?, return_payload = ?, instance_id = coalesce(?, instance_id), ${APPEND_EVENT} WHERE request_id = ?`)
        .run(status, row.attempts, error, now, owedJson, now, answer, record ? instanceOf(record) : null, event, row.request_id);
    } else {
      this.statement(`UPDATE async_invocations SET status = ?, attempts = ?, last_error = ?, updated_at = ?, destination_owed = ? WHERE request_id = ?`).run(status, row.attempts, error, now, owedJson, row.request_id);
    }
    this.emit('settled', { requestId: row.request_id, functionName: row.function_name, status });
    if (!owed) return;
    crashPoint('async-invoker:before-destination', row.function_name);
    this.sendOwed(row.request_id, owed);
  }

  /**
   * Sends an owed destination and clears it. An FC destination is an event of this same queue, so it is enqueued
   * and cleared in one transaction: exactly once. An MNS one lives in the MNS emulator's own database: sent, then
   * cleared, so only a crash between those two commits sends it twice.
   */
  private sendOwed(requestId: string, owed: OwedDestination): void {
    const clear = (status = 'Succeeded') => this.statement(`UPDATE async_invocations SET destination_owed = NULL, destination_status = ? WHERE request_id = ?`).run(status, requestId);
    const { destination, payload, source } = owed;
    // FC sends the result with the function's role: a role that may not send there loses it (D152). The reason
    // stays on the event (`/_local/api/async`), beside its status.
    const fn = this.runtime.find(owed.functionName);
    const denial = fn && this.options.onBehalf?.destination(fn, destination);
    if (denial) {
      const kind = source.split(':')[1] ?? 'destination';
      const refusal = this.options.onBehalf!.refuse(denial, `${kind} destination of ${owed.functionName}`, `The result of async invocation ${requestId} was not delivered to ${destination.arn}`);
      this.statement(`UPDATE async_invocations SET destination_owed = NULL, destination_error = ?, destination_status = 'Failed' WHERE request_id = ?`).run(`AccessDenied: ${refusal.message}`, requestId);
      return;
    }
    if (destination.kind === 'fc') {
      this.db.transaction(() => {
        this.enqueue(destination.functionName, Buffer.from(JSON.stringify(payload)), source);
        clear();
      })();
      return;
    }
    try {
      if (!this.options.sendToMns) throw new Error('no MNS emulator attached');
      this.options.sendToMns(destination, JSON.stringify(payload));
    } catch (err) {
      process.emitWarning(`async destination ${destination.arn} of ${owed.functionName} failed: ${(err as Error).message}`);
      return void clear('Failed');
    }
    clear();
  }

  /** FC's destination payload for an event that ended, if its function has a destination of that kind. */
  private destinationOf(fn: FunctionSpec, row: AsyncEventRow, kind: 'onSuccess' | 'onFailure', condition: string, record: InvocationRecord | undefined): OwedDestination | undefined {
    const destination: DestinationSpec | undefined = fn.asyncInvokeConfig?.[kind];
    if (!destination) return undefined;
    const payload: DestinationPayload = {
      timestamp: Date.now(),
      requestContext: {
        requestId: row.request_id,
        functionArn: `acs:fc:${this.options.region}:${LOCAL_ACCOUNT_ID}:functions/${fn.name}`,
        condition,
        approximateInvokeCount: row.attempts,
      },
      requestPayload: row.payload.toString('utf8'),
      responseContext: { statusCode: 200, functionError: record && record.status !== 'succeeded' ? (record.errorType ?? 'UnhandledInvocationError') : '' },
      responsePayload: record ? record.payload.toString('utf8') : '',
    };
    return { destination, payload, source: `destination:${kind}:${fn.name}`, functionName: fn.name };
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    await Promise.allSettled([...this.inFlight]);
  }
}
