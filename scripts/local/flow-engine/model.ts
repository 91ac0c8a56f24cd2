import type { StateError } from './errors';
import type { TaskResult } from './fc-task';

/**
 * The engine's data and the ports it is built on. The engine core does no I/O: time, timers, task
 * invocations and persistence come in through these interfaces (decision D27).
 */
export type ExecutionStatus = 'Running' | 'Succeeded' | 'Failed' | 'Stopped' | 'TimedOut';

/** A flow as CreateFlow/DescribeFlow know it. */
export interface FlowRecord {
  name: string;
  /** The definition text (YAML or JSON) exactly as given. */
  definition: string;
  description: string;
  type: 'FDL';
  roleArn: string;
  executionMode: 'Standard';
  id: string;
  createdAt: number;
  modifiedAt: number;
  /** Where it came from: `s.yaml` (recreated at every start) or `api`. */
  source: 's.yaml' | 'api';
}

/** One GetExecutionHistory event, named and shaped as CloudFlow names it. */
export interface HistoryEvent {
  eventId: number;
  /** The event this one belongs to (the state's StepEntered, a task's TaskScheduled). */
  scheduleEventId: number;
  stepName: string;
  type: HistoryEventType;
  time: number;
  /** JSON object with the event's details (Input, Output, Error, Cause, …). */
  detail: Record<string, unknown>;
}

export type HistoryEventType =
  | 'ExecutionStarted'
  | 'ExecutionSucceeded'
  | 'ExecutionFailed'
  | 'ExecutionStopped'
  | 'ExecutionTimedOut'
  | 'StepEntered'
  | 'StepStarted'
  | 'StepSucceeded'
  | 'StepFailed'
  | 'StepExited'
  | 'BranchEntered'
  | 'BranchExited'
  | 'IterationEntered'
  | 'IterationExited'
  | 'TaskScheduled'
  | 'TaskStarted'
  | 'TaskSubmitted'
  | 'TaskSubmitFailed'
  | 'TaskSucceeded'
  | 'TaskFailed'
  | 'TaskTimedOut';

/**
 * An execution's whole state, persisted after every step (one transaction with that step's history
 * events), so a restart resumes each scope where it was.
 */
export interface ExecutionDoc {
  flowName: string;
  name: string;
  /** The flow definition the execution started with (a later UpdateFlow does not change it). */
  definition: string;
  roleArn: string;
  status: ExecutionStatus;
  input: unknown;
  output?: unknown;
  error?: StateError;
  startedAt: number;
  stoppedAt?: number;
  /** Flow `Timeout`: when the execution times out. */
  deadline?: number;
  nextEventId: number;
  scopes: Record<string, ScopeDoc>;
  /** Task tokens ever minted: whether each still waits for a report. */
  tokens: Record<string, 'waiting' | 'done'>;
  /** StartExecution's CallbackFnFTaskToken: reported when this execution ends. */
  callbackToken?: string;
}

/** One sequence of states: the flow itself, a Parallel branch or a Map iteration. */
export interface ScopeDoc {
  id: string;
  /** Key of its States list in the compiled flow ('' for the flow). */
  listKey: string;
  parentId?: string;
  index?: number;
  status: 'running' | 'succeeded' | 'failed' | 'cancelled';
  output?: unknown;
  active?: ActiveState;
}

export interface ActiveState {
  state: string;
  /** The state's input before its InputConstructor (an attempt starts from it again). */
  rawInput: unknown;
  /** `$Input` of the current attempt. */
  input?: unknown;
  enteredEventId: number;
  /** Identifies the current attempt: its StepStarted event id. Late results of older attempts are ignored. */
  epoch: number;
  /** `$Context.Current.RetryCount`. */
  retryCount: number;
  /** Retries used per Retry rule (by index). */
  retriesByRule: number[];
  phase: 'invoking' | 'callback' | 'wait' | 'retry' | 'children';
  /** Wait end or next retry. */
  wakeAt?: number;
  /** Task `Timeout`. */
  timeoutAt?: number;
  token?: string;
  /** The event bytes of the Task's invocation (UTF-8), kept to invoke again after a restart. */
  payload?: string;
  scheduledEventId?: number;
  children?: ChildrenState;
}

export interface ChildrenState {
  /** Child scope id per branch/item; null until a Map item starts. */
  ids: (string | null)[];
  results: unknown[];
  done: number;
  /** Map: the items and how many may run at once. */
  items?: unknown[];
  max?: number;
}

/** Summary row for ListExecutions. */
export interface ExecutionSummary {
  flowName: string;
  name: string;
  status: ExecutionStatus;
  startedAt: number;
  stoppedAt?: number;
}

export interface ListExecutionsQuery {
  status?: ExecutionStatus;
  namePrefix?: string;
  startedFrom?: number;
  startedTo?: number;
  /** Start at this execution, inclusive (the previous page's NextToken, as CloudFlow's API pages). */
  from?: string;
  limit: number;
}

/**
 * Persistence for flows, executions and their history. Synchronous: the engine's steps are
 * synchronous, and `saveExecution` must store the document and its new events atomically.
 */
export interface ExecutionStore {
  getFlow(name: string): FlowRecord | undefined;
  putFlow(flow: FlowRecord): void;
  /** Deletes the flow with its executions and their history. */
  deleteFlow(name: string): void;
  /** By name, starting at `from` (inclusive), like ListFlows' NextToken. */
  listFlows(from: string | undefined, limit: number): FlowRecord[];
  getExecution(flowName: string, name: string): ExecutionDoc | undefined;
  /** Throws if the execution already exists. */
  createExecution(doc: ExecutionDoc, events: HistoryEvent[]): void;
  saveExecution(doc: ExecutionDoc, events: HistoryEvent[]): void;
  /** Newest first. */
  listExecutions(flowName: string, query: ListExecutionsQuery): ExecutionDoc[];
  runningExecutions(): ExecutionDoc[];
  history(flowName: string, name: string, afterEventId: number, limit: number): HistoryEvent[];
}

export interface Clock {
  now(): number;
}

export interface TimerHandle {
  cancel(): void;
}

/**
 * What a timer is for, so the driver can decide how its time counts (the core only says): a `Wait` state or a
 * retry's backoff (`wake`), a Task's `Timeout` — time given to work done by FC and the callers of
 * ReportTask* (`task-timeout`) — and the flow's `Timeout` (`flow-timeout`).
 */
export type TimerPurpose = 'wake' | 'task-timeout' | 'flow-timeout';

/** Calls `fn` once `clock.now() >= at` (a driver may wait longer for a `task-timeout`, D107). */
export interface Scheduler {
  schedule(at: number, fn: () => void, purpose?: TimerPurpose): TimerHandle;
}

/** One FC invocation a Task asks for. */
export interface TaskRequest {
  flowName: string;
  executionName: string;
  stateName: string;
  functionName: string;
  resourceArn: string;
  invocationType: 'Sync' | 'Async';
  /** The event bytes the function receives. */
  payload: Buffer;
  taskToken?: string;
  /** 0 for the first attempt. */
  retryCount: number;
  /** The execution's role, which CloudFlow invokes the function with (D152). */
  roleArn?: string;
}

export interface TaskInvoker {
  invoke(request: TaskRequest): Promise<TaskResult>;
}

/** Random ids; injected so tests are reproducible. */
export interface IdSource {
  executionName(): string;
  taskToken(flowName: string, executionName: string, eventId: number): string;
  uuid(): string;
}
