import type { ExecutionDoc, ExecutionStore, FlowRecord, HistoryEvent, ListExecutionsQuery } from './model';

/**
 * ExecutionStore in memory, for tests and the flow test bed. Documents are stored as JSON text, like the
 * SQLite store does, so a "restart" (a new engine on the same store) sees only what a step saved.
 */
export class MemoryExecutionStore implements ExecutionStore {
  private readonly flows = new Map<string, FlowRecord>();
  private readonly executions = new Map<string, string>();
  private readonly events = new Map<string, HistoryEvent[]>();
  /** Creation order, to list executions started in the same millisecond newest first. */
  private readonly created = new Map<string, number>();

  private key(flowName: string, name: string): string {
    return `${flowName}\u0000${name}`;
  }

  getFlow(name: string): FlowRecord | undefined {
    const flow = this.flows.get(name);
    return flow ? { ...flow } : undefined;
  }

  putFlow(flow: FlowRecord): void {
    this.flows.set(flow.name, { ...flow });
  }

  deleteFlow(name: string): void {
    this.flows.delete(name);
    for (const key of [...this.executions.keys()]) {
      if (!key.startsWith(`${name}\u0000`)) continue;
      this.executions.delete(key);
      this.events.delete(key);
      this.created.delete(key);
    }
  }

  listFlows(from: string | undefined, limit: number): FlowRecord[] {
    return [...this.flows.values()]
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
      .filter((f) => from === undefined || f.name >= from)
      .slice(0, limit)
      .map((f) => ({ ...f }));
  }

  getExecution(flowName: string, name: string): ExecutionDoc | undefined {
    const text = this.executions.get(this.key(flowName, name));
    return text ? (JSON.parse(text) as ExecutionDoc) : undefined;
  }

  createExecution(doc: ExecutionDoc, events: HistoryEvent[]): void {
    if (this.executions.has(this.key(doc.flowName, doc.name))) throw new Error(`execution ${doc.name} exists`);
    this.created.set(this.key(doc.flowName, doc.name), this.created.size);
    this.saveExecution(doc, events);
  }

  saveExecution(doc: ExecutionDoc, events: HistoryEvent[]): void {
    const key = this.key(doc.flowName, doc.name);
    this.executions.set(key, JSON.stringify(doc));
    const list = this.events.get(key) ?? [];
    list.push(...events.map((e) => JSON.parse(JSON.stringify(e)) as HistoryEvent));
    this.events.set(key, list);
  }

  listExecutions(flowName: string, query: ListExecutionsQuery): ExecutionDoc[] {
    const all = [...this.executions.entries()]
      .filter(([key]) => key.startsWith(`${flowName}\u0000`))
      .map(([, text]) => JSON.parse(text) as ExecutionDoc)
      .filter((d) => (!query.status || d.status === query.status) && (!query.namePrefix || d.name.startsWith(query.namePrefix)))
      .filter((d) => (query.startedFrom === undefined || d.startedAt >= query.startedFrom) && (query.startedTo === undefined || d.startedAt <= query.startedTo))
      .sort((a, b) => b.startedAt - a.startedAt || this.created.get(this.key(b.flowName, b.name))! - this.created.get(this.key(a.flowName, a.name))!);
    const start = query.from === undefined ? 0 : all.findIndex((d) => d.name === query.from);
    return start < 0 ? [] : all.slice(start, start + query.limit);
  }

  runningExecutions(): ExecutionDoc[] {
    return [...this.executions.values()].map((text) => JSON.parse(text) as ExecutionDoc).filter((d) => d.status === 'Running');
  }

  history(flowName: string, name: string, afterEventId: number, limit: number): HistoryEvent[] {
    return (this.events.get(this.key(flowName, name)) ?? []).filter((e) => e.eventId > afterEventId).slice(0, limit);
  }
}
