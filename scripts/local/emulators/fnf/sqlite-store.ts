import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { SqliteConnection } from '../../sqlite-connection';
import type { ExecutionDoc, ExecutionStore, FlowRecord, HistoryEvent, ListExecutionsQuery } from '../../flow-engine/model';

/**
 * The flow engine's ExecutionStore in SQLite (`<DATA_DIR>/fnf.sqlite`, WAL). Each engine step is one
 * transaction: the execution document and that step's history events are written together, so a killed
 * process never leaves a history that disagrees with the state it resumes from.
 */
export class SqliteExecutionStore implements ExecutionStore {
  private readonly conn: SqliteConnection;

  constructor(file: string) {
    mkdirSync(dirname(file), { recursive: true });
    this.conn = new SqliteConnection(file);
    this.conn.db.exec(`
      CREATE TABLE IF NOT EXISTS flows (name TEXT PRIMARY KEY, record TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS executions (
        flow TEXT NOT NULL, name TEXT NOT NULL, status TEXT NOT NULL, started_at INTEGER NOT NULL, doc TEXT NOT NULL,
        PRIMARY KEY (flow, name)
      );
      CREATE INDEX IF NOT EXISTS executions_by_start ON executions (flow, started_at DESC);
      CREATE INDEX IF NOT EXISTS executions_running ON executions (status) WHERE status = 'Running';
      CREATE TABLE IF NOT EXISTS events (
        flow TEXT NOT NULL, name TEXT NOT NULL, event_id INTEGER NOT NULL, schedule_event_id INTEGER NOT NULL,
        step TEXT NOT NULL, type TEXT NOT NULL, time INTEGER NOT NULL, detail TEXT NOT NULL,
        PRIMARY KEY (flow, name, event_id)
      ) WITHOUT ROWID;
    `);
  }

  getFlow(name: string): FlowRecord | undefined {
    const row = this.conn.stmt('SELECT record FROM flows WHERE name = ?').get(name) as { record: string } | undefined;
    return row ? (JSON.parse(row.record) as FlowRecord) : undefined;
  }

  putFlow(flow: FlowRecord): void {
    this.conn.stmt('INSERT INTO flows (name, record) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET record = excluded.record').run(flow.name, JSON.stringify(flow));
  }

  deleteFlow(name: string): void {
    this.conn.db.transaction(() => {
      this.conn.stmt('DELETE FROM flows WHERE name = ?').run(name);
      this.conn.stmt('DELETE FROM executions WHERE flow = ?').run(name);
      this.conn.stmt('DELETE FROM events WHERE flow = ?').run(name);
    })();
  }

  listFlows(from: string | undefined, limit: number): FlowRecord[] {
    const rows = this.conn.stmt('SELECT record FROM flows WHERE name >= ? ORDER BY name LIMIT ?').all(from ?? '', limit) as { record: string }[];
    return rows.map((r) => JSON.parse(r.record) as FlowRecord);
  }

  getExecution(flowName: string, name: string): ExecutionDoc | undefined {
    const row = this.conn.stmt('SELECT doc FROM executions WHERE flow = ? AND name = ?').get(flowName, name) as { doc: string } | undefined;
    return row ? (JSON.parse(row.doc) as ExecutionDoc) : undefined;
  }

  createExecution(doc: ExecutionDoc, events: HistoryEvent[]): void {
    this.conn.db.transaction(() => {
      this.conn.stmt('INSERT INTO executions (flow, name, status, started_at, doc) VALUES (?, ?, ?, ?, ?)').run(doc.flowName, doc.name, doc.status, doc.startedAt, JSON.stringify(doc));
      this.insertEvents(doc, events);
    })();
  }

  saveExecution(doc: ExecutionDoc, events: HistoryEvent[]): void {
    this.conn.db.transaction(() => {
      this.conn.stmt('UPDATE executions SET status = ?, doc = ? WHERE flow = ? AND name = ?').run(doc.status, JSON.stringify(doc), doc.flowName, doc.name);
      this.insertEvents(doc, events);
    })();
  }

  private insertEvents(doc: ExecutionDoc, events: HistoryEvent[]): void {
    const insert = this.conn.stmt('INSERT INTO events (flow, name, event_id, schedule_event_id, step, type, time, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    for (const e of events) insert.run(doc.flowName, doc.name, e.eventId, e.scheduleEventId, e.stepName, e.type, e.time, JSON.stringify(e.detail));
  }

  listExecutions(flowName: string, query: ListExecutionsQuery): ExecutionDoc[] {
    const where = ['flow = @flow'];
    const params: Record<string, unknown> = { flow: flowName, limit: query.limit };
    if (query.status) {
      where.push('status = @status');
      params.status = query.status;
    }
    if (query.namePrefix) {
      where.push('substr(name, 1, @prefixLength) = @prefix');
      params.prefix = query.namePrefix;
      params.prefixLength = query.namePrefix.length;
    }
    if (query.startedFrom !== undefined) {
      where.push('started_at >= @startedFrom');
      params.startedFrom = query.startedFrom;
    }
    if (query.startedTo !== undefined) {
      where.push('started_at <= @startedTo');
      params.startedTo = query.startedTo;
    }
    if (query.from !== undefined) {
      const first = this.conn.stmt('SELECT started_at, rowid FROM executions WHERE flow = ? AND name = ?').get(flowName, query.from) as { started_at: number; rowid: number } | undefined;
      if (!first) return [];
      where.push('(started_at < @fromStarted OR (started_at = @fromStarted AND rowid <= @fromRow))');
      params.fromStarted = first.started_at;
      params.fromRow = first.rowid;
    }
    // Newest first; executions started in the same millisecond in reverse order of creation.
    const rows = this.conn.db.prepare(`SELECT doc FROM executions WHERE ${where.join(' AND ')} ORDER BY started_at DESC, rowid DESC LIMIT @limit`).all(params) as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ExecutionDoc);
  }

  runningExecutions(): ExecutionDoc[] {
    const rows = this.conn.stmt("SELECT doc FROM executions WHERE status = 'Running' ORDER BY started_at").all() as { doc: string }[];
    return rows.map((r) => JSON.parse(r.doc) as ExecutionDoc);
  }

  history(flowName: string, name: string, afterEventId: number, limit: number): HistoryEvent[] {
    const rows = this.conn
      .stmt('SELECT event_id, schedule_event_id, step, type, time, detail FROM events WHERE flow = ? AND name = ? AND event_id > ? ORDER BY event_id LIMIT ?')
      .all(flowName, name, afterEventId, limit) as { event_id: number; schedule_event_id: number; step: string; type: HistoryEvent['type']; time: number; detail: string }[];
    return rows.map((r) => ({ eventId: r.event_id, scheduleEventId: r.schedule_event_id, stepName: r.step, type: r.type, time: r.time, detail: JSON.parse(r.detail) as Record<string, unknown> }));
  }

  close(): void {
    this.conn.close();
  }
}
