import type { FlowEngine } from '../flow-engine/engine';
import type { ExecutionDoc, ExecutionStatus } from '../flow-engine/model';
import { choiceParam, decodeSegment, limitParam } from './query';

const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['Running', 'Succeeded', 'Failed', 'Stopped', 'TimedOut'];

/**
 * Read-only console sections for CloudFlow: `GET /_local/api/flows` (flows with their latest executions),
 * `GET /_local/api/executions?flow=&status=&limit=` (newest first, across flows) and
 * `GET /_local/api/executions/<flow>/<execution>` (one execution with its whole history, step by step).
 */
export function flowSections(engine: FlowEngine): Record<string, (url: URL) => unknown> {
  const summary = (doc: ExecutionDoc) => ({
    flow: doc.flowName,
    name: doc.name,
    status: doc.status,
    startedAt: doc.startedAt,
    stoppedAt: doc.stoppedAt ?? null,
    input: doc.input,
    output: doc.output ?? null,
    error: doc.error ?? null,
    waitingOn: Object.values(doc.scopes)
      .filter((s) => s.active)
      .map((s) => ({ state: s.active!.state, phase: s.active!.phase, wakeAt: s.active!.wakeAt ?? s.active!.timeoutAt ?? null })),
  });
  return {
    flows: () =>
      engine.listFlows(undefined, 1000).map((flow) => ({
        name: flow.name,
        description: flow.description,
        source: flow.source,
        modifiedAt: flow.modifiedAt,
        definition: flow.definition,
      })),
    executions: (url) => {
      const [flowName, name] = url.pathname.split('/').slice(4).map(decodeSegment);
      if (flowName && name) return { ...summary(engine.describeExecution(flowName, name)), events: engine.history(flowName, name, 0, 100_000) };
      const limit = limitParam(url, 50, 500);
      const status = choiceParam<ExecutionStatus>(url, 'status', EXECUTION_STATUSES);
      const flows = flowName ? [flowName] : (url.searchParams.get('flow') ? [url.searchParams.get('flow')!] : engine.listFlows(undefined, 1000).map((f) => f.name));
      return flows
        .flatMap((flow) => engine.listExecutions(flow, { limit, ...(status ? { status } : {}) }))
        .sort((a, b) => b.startedAt - a.startedAt)
        .slice(0, limit)
        .map(summary);
    },
  };
}
