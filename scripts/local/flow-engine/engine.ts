import { randomBytes, randomUUID } from 'node:crypto';
import { compileFlow, FlowDefinitionError, formatProblem, type CompileOptions, type FlowDefinition, type StateDef, type StateList, type TaskState } from './definition';
import { ERROR_RUNTIME, ERROR_TASK_TIMEOUT, errorMatches, FlowApiError, type StateError } from './errors';
import { evaluate, ExpressionRuntimeError, type Ast, type EvalScope } from './expression';
import { taskOutput, taskPayload, type TaskResult } from './fc-task';
import type { ActiveState, Clock, ExecutionDoc, ExecutionStatus, ExecutionStore, FlowRecord, HistoryEvent, HistoryEventType, IdSource, ListExecutionsQuery, Scheduler, ScopeDoc, TaskInvoker, TimerHandle, TimerPurpose } from './model';
import { renderTemplate, type Template } from './template';

/**
 * The CloudFlow interpreter (decision D27). Deterministic and free of I/O: time, timers, FC invocations
 * and persistence are injected. Every change to an execution happens in one synchronous step that ends
 * with the execution document and the step's history events saved together; invocations and timers are
 * started only after that save, so a crash between the two is recovered by `recover()`:
 * waits, retries and callback timeouts keep their deadlines, and a task whose invocation was in flight
 * is invoked again (at-least-once, like FC's own retries).
 *
 * @example
 * const engine = new FlowEngine({ store, invoker, clock, scheduler });
 * engine.putFlow({ name: 'order-saga', definition: yamlText, source: 's.yaml' });
 * engine.startExecution('order-saga', 'order-42', { orderId: '42' });
 */
export interface EngineOptions {
  store: ExecutionStore;
  invoker: TaskInvoker;
  clock: Clock;
  scheduler: Scheduler;
  ids?: IdSource;
  /** How Task resourceArns resolve to functions when a flow is compiled. */
  compile?: CompileOptions;
  /** Unexpected failures inside a step (a store error, a bug): default console.error. */
  onError?: (err: unknown) => void;
}

/** CloudFlow's limit on a state's input or output. */
export const MAX_STATE_BYTES = 64 * 1024;
const EXECUTION_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,127}$/;

const defaultIds: IdSource = {
  executionName: () => randomUUID(),
  taskToken: () => randomBytes(12).toString('base64url'),
  uuid: () => randomUUID(),
};

type Effect =
  | { kind: 'invoke'; scopeId: string; epoch: number; state: TaskState; payload: Buffer; token?: string; retryCount: number }
  | { kind: 'timer'; scopeId: string; epoch: number; at: number; what: 'wake' | 'timeout' }
  | { kind: 'deadline'; at: number }
  | { kind: 'ended' };

interface Step {
  doc: ExecutionDoc;
  flow: FlowDefinition;
  now: number;
  events: HistoryEvent[];
  effects: Effect[];
  /** States entered in this step wait here, so long chains of states do not grow the call stack. */
  queue: (() => void)[];
}

/** Stands in for a definition that no longer compiles, to end its executions. */
const UNRUNNABLE: FlowDefinition = { name: '', timeoutSeconds: 0, root: { key: '', startAt: '', states: new Map() }, lists: new Map() };

/** More transitions than this in one step is a loop with no Task or Wait in it: the execution fails. */
const MAX_TRANSITIONS_PER_STEP = 10_000;

class StateFailure extends Error {
  constructor(readonly error: StateError) {
    super(error.detail);
  }
}

const keyOf = (flowName: string, name: string) => `${flowName}\u0000${name}`;
const isMap = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

export class FlowEngine {
  private readonly store: ExecutionStore;
  private readonly ids: IdSource;
  /** Running executions, the only ones a step can change. */
  private readonly running = new Map<string, ExecutionDoc>();
  private readonly compiled = new Map<string, FlowDefinition>();
  private readonly timers = new Map<string, Set<TimerHandle>>();
  private readonly endListeners = new Set<(doc: ExecutionDoc) => void>();
  private readonly idleWaiters: (() => void)[] = [];
  private inFlight = 0;
  private closed = false;

  constructor(private readonly options: EngineOptions) {
    this.store = options.store;
    this.ids = options.ids ?? defaultIds;
  }

  // ------------------------------------------------------------------------------------------------
  // Flows

  /** Compile a definition as this engine would run it; throws FlowDefinitionError. */
  compile(definition: string | object): FlowDefinition {
    const text = typeof definition === 'string' ? definition : JSON.stringify(definition);
    const cached = this.compiled.get(text);
    if (cached) return cached;
    const flow = compileFlow(typeof definition === 'string' ? definition : definition, this.options.compile);
    this.compiled.set(text, flow);
    return flow;
  }

  /** CreateFlow: refuses an existing name and a definition the engine cannot run. */
  createFlow(input: { name: string; definition: string; description?: string; roleArn?: string; source?: FlowRecord['source'] }): FlowRecord {
    if (this.store.getFlow(input.name)) throw new FlowApiError('FlowAlreadyExists', `Flow ${input.name} already exists.`);
    return this.putFlow(input);
  }

  /** Create or replace a flow (the local cloud's way of deploying s.yaml's flows). */
  putFlow(input: { name: string; definition: string; description?: string; roleArn?: string; source?: FlowRecord['source'] }): FlowRecord {
    this.checkDefinition(input.name, input.definition);
    const now = this.options.clock.now();
    const existing = this.store.getFlow(input.name);
    const flow: FlowRecord = {
      name: input.name,
      definition: input.definition,
      description: input.description ?? existing?.description ?? '',
      type: 'FDL',
      roleArn: input.roleArn ?? existing?.roleArn ?? '',
      executionMode: 'Standard',
      id: existing?.id ?? this.ids.uuid(),
      createdAt: existing?.createdAt ?? now,
      modifiedAt: now,
      source: input.source ?? existing?.source ?? 'api',
    };
    this.store.putFlow(flow);
    return flow;
  }

  updateFlow(name: string, changes: { definition?: string; description?: string; roleArn?: string }): FlowRecord {
    const existing = this.requireFlow(name);
    return this.putFlow({ ...existing, ...Object.fromEntries(Object.entries(changes).filter(([, v]) => v !== undefined)), name });
  }

  /** DeleteFlow: the flow, its executions and their history go; running executions stop where they are. */
  deleteFlow(name: string): void {
    this.requireFlow(name);
    for (const [key, doc] of this.running) {
      if (doc.flowName !== name) continue;
      this.running.delete(key);
      this.cancelTimers(key);
    }
    this.store.deleteFlow(name);
  }

  describeFlow(name: string): FlowRecord {
    return this.requireFlow(name);
  }

  listFlows(from: string | undefined, limit: number): FlowRecord[] {
    return this.store.listFlows(from, limit);
  }

  private requireFlow(name: string): FlowRecord {
    const flow = this.store.getFlow(name);
    if (!flow) throw new FlowApiError('FlowNotExists', `Flow ${name} does not exist.`);
    return flow;
  }

  private checkDefinition(name: string, definition: string): FlowDefinition {
    let flow: FlowDefinition;
    try {
      flow = this.compile(definition);
    } catch (err) {
      if (err instanceof FlowDefinitionError) throw new FlowApiError('InvalidArgument', `Definition: ${err.problems.map(formatProblem).join('; ')}`);
      throw err;
    }
    if (flow.name !== name) throw new FlowApiError('InvalidArgument', `Definition: Name "${flow.name}" must equal the flow name "${name}"`);
    return flow;
  }

  // ------------------------------------------------------------------------------------------------
  // Executions: the API's entry points

  /**
   * StartExecution. A name that is running answers that execution (`started: false`); a name that has
   * ended is refused with ExecutionAlreadyExists, as CloudFlow does.
   */
  startExecution(flowName: string, executionName: string | undefined, input: unknown, options: { callbackToken?: string } = {}): { doc: ExecutionDoc; started: boolean } {
    const flowRecord = this.requireFlow(flowName);
    // The naming rule is for names callers choose; a generated name is a UUID as CloudFlow makes it, and most
    // UUIDs start with a digit.
    if (executionName !== undefined && !EXECUTION_NAME.test(executionName)) throw new FlowApiError('InvalidArgument', `ExecutionName "${executionName}" must be 1-128 letters, digits, _ or -, starting with a letter or _`);
    const name = executionName ?? this.ids.executionName();
    const key = keyOf(flowName, name);
    const existing = this.running.get(key) ?? this.store.getExecution(flowName, name);
    if (existing) {
      if (existing.status === 'Running') return { doc: existing, started: false };
      throw new FlowApiError('ExecutionAlreadyExists', `Execution ${name} for flow ${flowName} already exists.`);
    }
    const value = input === undefined ? {} : input;
    if (!isMap(value)) throw new FlowApiError('InvalidArgument', 'Input must be a JSON object');
    const size = Buffer.byteLength(JSON.stringify(value));
    if (size > MAX_STATE_BYTES) throw new FlowApiError('EntityTooLarge', `Input is ${size} bytes; an execution input may have at most ${MAX_STATE_BYTES}`);
    const flow = this.checkDefinition(flowName, flowRecord.definition);
    const now = this.options.clock.now();
    const doc: ExecutionDoc = {
      flowName,
      name,
      definition: flowRecord.definition,
      roleArn: flowRecord.roleArn,
      status: 'Running',
      input: value,
      startedAt: now,
      nextEventId: 1,
      scopes: { root: { id: 'root', listKey: '', status: 'running' } },
      tokens: {},
      ...(flow.timeoutSeconds > 0 ? { deadline: now + flow.timeoutSeconds * 1000 } : {}),
      ...(options.callbackToken ? { callbackToken: options.callbackToken } : {}),
    };
    this.step(doc, true, (step) => {
      this.emit(step, 'ExecutionStarted', '', { Input: value });
      if (doc.deadline !== undefined) step.effects.push({ kind: 'deadline', at: doc.deadline });
      this.enter(step, doc.scopes.root!, flow.root.startAt, value);
    });
    return { doc, started: true };
  }

  /** StopExecution: a running execution ends as Stopped; an ended one is refused. */
  stopExecution(flowName: string, name: string, error = '', cause = ''): ExecutionDoc {
    const doc = this.requireExecution(flowName, name);
    if (doc.status !== 'Running') throw new FlowApiError('ExecutionAlreadyCompleted', `Execution '${name}' for flow '${flowName}' has already completed.`);
    this.step(this.running.get(keyOf(flowName, name)) ?? doc, false, (step) => this.finish(step, 'Stopped', { error: { code: error, detail: cause } }));
    return doc;
  }

  describeExecution(flowName: string, name: string): ExecutionDoc {
    return this.requireExecution(flowName, name);
  }

  listExecutions(flowName: string, query: ListExecutionsQuery): ExecutionDoc[] {
    this.requireFlow(flowName);
    // A page token is the name of the page's first execution: one that never existed is no token of ours
    // (an empty page would read as "no more executions").
    if (query.from !== undefined && !this.store.getExecution(flowName, query.from)) throw new FlowApiError('InvalidArgument', 'NextToken is not a token this API returned');
    return this.store.listExecutions(flowName, query);
  }

  history(flowName: string, name: string, afterEventId = 0, limit = 1000): HistoryEvent[] {
    this.requireExecution(flowName, name);
    return this.store.history(flowName, name, afterEventId, limit);
  }

  private requireExecution(flowName: string, name: string): ExecutionDoc {
    this.requireFlow(flowName);
    const doc = this.running.get(keyOf(flowName, name)) ?? this.store.getExecution(flowName, name);
    if (!doc) throw new FlowApiError('ExecutionNotExists', `Execution ${name} for flow ${flowName} does not exist.`);
    return doc;
  }

  /** ReportTaskSucceeded: the waiting task ends with `output` as its `$Output`. Returns the event id. */
  reportTaskSucceeded(token: string, output: unknown): number {
    // A state's input and output are JSON objects in CloudFlow, as StartExecution's Input is.
    if (!isMap(output)) throw new FlowApiError('InvalidArgument', 'Output must be a JSON object');
    return this.report(token, (step, scope) => {
      const active = scope.active!;
      const id = this.emit(step, 'TaskSucceeded', active.state, { Output: output }, active.scheduledEventId);
      this.succeed(step, scope, output);
      return id;
    });
  }

  /** ReportTaskFailed: the waiting task fails with `error` (matched by Retry/Catch) and `cause`. */
  reportTaskFailed(token: string, error: string, cause = ''): number {
    return this.report(token, (step, scope) => {
      const active = scope.active!;
      const id = this.emit(step, 'TaskFailed', active.state, { Error: error, Cause: cause }, active.scheduledEventId);
      this.fail(step, scope, { code: error, detail: cause });
      return id;
    });
  }

  private report(token: string, apply: (step: Step, scope: ScopeDoc) => number): number {
    const [flowName, name] = decodeToken(token);
    const doc = flowName && name ? (this.running.get(keyOf(flowName, name)) ?? this.store.getExecution(flowName, name)) : undefined;
    if (!doc || !doc.tokens[token]) throw new FlowApiError('InvalidArgument', 'TaskToken is invalid: no task was given this token');
    const scope = Object.values(doc.scopes).find((s) => s.active?.token === token && (s.active.phase === 'invoking' || s.active.phase === 'callback'));
    if (doc.status !== 'Running' || doc.tokens[token] !== 'waiting' || !scope) throw new FlowApiError('TaskAlreadyCompleted', `Task ${token} has already completed.`);
    return this.step(doc, false, (step) => {
      doc.tokens[token] = 'done';
      return apply(step, scope);
    });
  }

  // ------------------------------------------------------------------------------------------------
  // Restart, shutdown, observers

  /**
   * After a restart: pick up every running execution where its document says it was. Timers are armed
   * again at their original times (already due ones fire at once); an invocation that was in flight is
   * made again, recorded as a TaskStarted event saying so.
   */
  recover(): number {
    const docs = this.store.runningExecutions();
    for (const stored of docs) {
      const doc = this.running.get(keyOf(stored.flowName, stored.name)) ?? stored;
      try {
        this.compile(doc.definition);
      } catch (err) {
        if (!(err instanceof FlowDefinitionError)) throw err;
        // s.yaml changed under it (a function it calls is gone): end it loudly rather than leave it hanging.
        const detail = `the definition this execution started with no longer runs here: ${err.problems.map(formatProblem).join('; ')}`;
        this.guard(() => this.step(doc, false, (step) => this.finish(step, 'Failed', { error: { code: ERROR_RUNTIME, detail } }), UNRUNNABLE));
        continue;
      }
      this.guard(() =>
        this.step(doc, false, (step) => {
          if (doc.deadline !== undefined) step.effects.push({ kind: 'deadline', at: doc.deadline });
          for (const scope of Object.values(doc.scopes)) {
            const active = scope.active;
            if (!active || scope.status !== 'running') continue;
            if (active.wakeAt !== undefined && (active.phase === 'wait' || active.phase === 'retry')) step.effects.push({ kind: 'timer', scopeId: scope.id, epoch: active.epoch, at: active.wakeAt, what: 'wake' });
            if (active.timeoutAt !== undefined && (active.phase === 'invoking' || active.phase === 'callback')) step.effects.push({ kind: 'timer', scopeId: scope.id, epoch: active.epoch, at: active.timeoutAt, what: 'timeout' });
            if (active.phase === 'invoking') {
              const state = this.stateOf(step, scope) as TaskState;
              this.emit(step, 'TaskStarted', active.state, { Resumed: 'the local cloud stopped while this invocation was in flight; invoking again (at-least-once)' }, active.scheduledEventId);
              step.effects.push({ kind: 'invoke', scopeId: scope.id, epoch: active.epoch, state, payload: Buffer.from(active.payload ?? '', 'utf8'), ...(active.token ? { token: active.token } : {}), retryCount: active.retryCount });
            }
          }
        }),
      );
    }
    return docs.length;
  }

  /** Stop acting: later results and timers are ignored (the next start recovers from the store). */
  close(): void {
    this.closed = true;
    for (const key of [...this.timers.keys()]) this.cancelTimers(key);
    this.running.clear();
  }

  /** Called with each execution that ends (any status). */
  onExecutionEnded(listener: (doc: ExecutionDoc) => void): () => void {
    this.endListeners.add(listener);
    return () => this.endListeners.delete(listener);
  }

  /** Resolves when no task invocation is in flight (tests settle on it). */
  whenIdle(): Promise<void> {
    if (this.inFlight === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  get pendingInvocations(): number {
    return this.inFlight;
  }

  // ------------------------------------------------------------------------------------------------
  // Steps

  private step<T>(doc: ExecutionDoc, create: boolean, change: (step: Step) => T, flow?: FlowDefinition): T {
    const key = keyOf(doc.flowName, doc.name);
    const step: Step = { doc, flow: flow ?? this.compile(doc.definition), now: this.options.clock.now(), events: [], effects: [], queue: [] };
    let result: T;
    try {
      result = change(step);
      this.drain(step);
      if (create) this.store.createExecution(doc, step.events);
      else this.store.saveExecution(doc, step.events);
    } catch (err) {
      // The document in memory may be half changed: reload it from the store on next use.
      this.running.delete(key);
      throw err;
    }
    if (doc.status === 'Running') this.running.set(key, doc);
    else this.running.delete(key);
    for (const effect of step.effects) this.run(doc, effect);
    return result;
  }

  private drain(step: Step): void {
    let transitions = 0;
    while (step.queue.length > 0) {
      if (++transitions > MAX_TRANSITIONS_PER_STEP) {
        step.queue.length = 0;
        if (step.doc.status === 'Running') {
          this.finish(step, 'Failed', { error: { code: ERROR_RUNTIME, detail: `more than ${MAX_TRANSITIONS_PER_STEP} state transitions without a Task or Wait: the flow loops` } });
        }
        return;
      }
      step.queue.shift()!();
    }
  }

  /** A step triggered by a timer or a finished invocation: ignored once the execution is gone. */
  private later(key: string, change: (step: Step) => void): void {
    if (this.closed) return;
    const doc = this.running.get(key);
    if (!doc || doc.status !== 'Running') return;
    this.guard(() => this.step(doc, false, change));
  }

  private guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      (this.options.onError ?? ((e: unknown) => console.error('[flow-engine]', e)))(err);
    }
  }

  private run(doc: ExecutionDoc, effect: Effect): void {
    const key = keyOf(doc.flowName, doc.name);
    switch (effect.kind) {
      case 'invoke':
        return this.invoke(doc, key, effect);
      case 'timer':
        return this.arm(key, effect.at, effect.what === 'timeout' ? 'task-timeout' : 'wake', () => this.later(key, (step) => this.onTimer(step, effect.scopeId, effect.epoch, effect.what)));
      case 'deadline':
        return this.arm(key, effect.at, 'flow-timeout', () => this.later(key, (step) => this.onDeadline(step)));
      case 'ended':
        this.cancelTimers(key);
        for (const listener of this.endListeners) this.guard(() => listener(doc));
        if (doc.callbackToken) this.reportToParent(doc);
        return;
    }
  }

  private invoke(doc: ExecutionDoc, key: string, effect: Effect & { kind: 'invoke' }): void {
    this.inFlight++;
    const request = {
      flowName: doc.flowName,
      executionName: doc.name,
      stateName: effect.state.name,
      functionName: effect.state.functionName,
      resourceArn: effect.state.resourceArn,
      invocationType: effect.state.invocationType,
      payload: effect.payload,
      retryCount: effect.retryCount,
      ...(effect.token ? { taskToken: effect.token } : {}),
      ...(doc.roleArn ? { roleArn: doc.roleArn } : {}),
    };
    let call: Promise<TaskResult>;
    try {
      call = this.options.invoker.invoke(request);
    } catch (err) {
      call = Promise.reject(err instanceof Error ? err : new Error(String(err)));
    }
    call
      .catch((err: Error): TaskResult => ({ ok: false, error: 'FC.Unknown', cause: err.message }))
      .then((result) => this.later(key, (step) => this.onInvoked(step, effect.scopeId, effect.epoch, result)))
      .finally(() => {
        this.inFlight--;
        if (this.inFlight === 0) for (const resolve of this.idleWaiters.splice(0)) resolve();
      })
      .catch(() => undefined);
  }

  private arm(key: string, at: number, purpose: TimerPurpose, fn: () => void): void {
    if (this.closed) return;
    let set = this.timers.get(key);
    if (!set) this.timers.set(key, (set = new Set()));
    const handles = set;
    const handle = this.options.scheduler.schedule(
      at,
      () => {
        handles.delete(handle);
        fn();
      },
      purpose,
    );
    handles.add(handle);
  }

  private cancelTimers(key: string): void {
    for (const handle of this.timers.get(key) ?? []) handle.cancel();
    this.timers.delete(key);
  }

  private reportToParent(doc: ExecutionDoc): void {
    const token = doc.callbackToken!;
    this.guard(() => {
      try {
        if (doc.status === 'Succeeded') this.reportTaskSucceeded(token, doc.output ?? {});
        else this.reportTaskFailed(token, doc.error?.code || `Execution${doc.status}`, doc.error?.detail ?? '');
      } catch (err) {
        if (!(err instanceof FlowApiError)) throw err;
      }
    });
  }

  private emit(step: Step, type: HistoryEventType, stepName: string, detail: Record<string, unknown>, scheduleEventId = 0): number {
    const eventId = step.doc.nextEventId++;
    step.events.push({ eventId, scheduleEventId, stepName, type, time: step.now, detail });
    return eventId;
  }

  // ------------------------------------------------------------------------------------------------
  // State machine

  private list(step: Step, scope: ScopeDoc): StateList {
    return step.flow.lists.get(scope.listKey)!;
  }

  private stateOf(step: Step, scope: ScopeDoc): StateDef {
    return this.list(step, scope).states.get(scope.active!.state)!;
  }

  private context(step: Step, active: ActiveState, extra: { input?: unknown; output?: unknown; error?: StateError } = {}): Record<string, unknown> {
    const current: Record<string, unknown> = { Name: active.state, Input: extra.input ?? active.input ?? active.rawInput, RetryCount: active.retryCount };
    if (extra.output !== undefined) current.Output = extra.output;
    if (extra.error) current.Error = { Code: extra.error.code, Detail: extra.error.detail };
    if (active.token) current.TaskToken = active.token;
    return { Execution: { Name: step.doc.name, Input: step.doc.input, RoleArn: step.doc.roleArn }, Current: current };
  }

  private scope(step: Step, active: ActiveState, extra: { input?: unknown; output?: unknown; error?: StateError } = {}): EvalScope {
    return {
      Input: extra.input ?? active.input ?? active.rawInput,
      ...(extra.output !== undefined ? { Output: extra.output } : {}),
      Context: this.context(step, active, extra),
      uuid: () => this.ids.uuid(),
    };
  }

  /** Evaluate for a state: expression errors become the state error FnF.RuntimeError, saying where. */
  private render(template: Template, scope: EvalScope, where: string): unknown {
    return runtimeErrorsAt(where, () => renderTemplate(template, scope));
  }

  private evaluateAt(ast: Ast, scope: EvalScope, where: string): unknown {
    return runtimeErrorsAt(where, () => evaluate(ast, scope));
  }

  private checkSize(value: unknown, what: string): void {
    const size = Buffer.byteLength(JSON.stringify(value ?? null));
    if (size > MAX_STATE_BYTES) throw new StateFailure({ code: ERROR_RUNTIME, detail: `${what} is ${size} bytes; CloudFlow allows ${MAX_STATE_BYTES} (64 KiB)` });
  }

  private enter(step: Step, scope: ScopeDoc, stateName: string, rawInput: unknown): void {
    const enteredEventId = this.emit(step, 'StepEntered', stateName, { Input: rawInput });
    const active: ActiveState = { state: stateName, rawInput, enteredEventId, epoch: enteredEventId, retryCount: 0, retriesByRule: [], phase: 'invoking' };
    scope.active = active;
    step.queue.push(() => {
      if (step.doc.status !== 'Running' || step.doc.scopes[scope.id] !== scope || scope.active !== active) return;
      this.attempt(step, scope);
    });
  }

  /** One attempt of the active state (the first, or a retry). */
  private attempt(step: Step, scope: ScopeDoc): void {
    const active = scope.active!;
    const state = this.stateOf(step, scope);
    for (const key of ['wakeAt', 'timeoutAt', 'token', 'children', 'payload', 'input', 'scheduledEventId'] as const) delete active[key];
    if (state.type === 'Task' && state.mode === 'WaitForCustomCallback') {
      active.token = encodeToken(step.doc.flowName, step.doc.name, step.doc.nextEventId, this.ids.taskToken(step.doc.flowName, step.doc.name, step.doc.nextEventId));
      step.doc.tokens[active.token] = 'waiting';
    }
    let started = false;
    try {
      const input = state.input ? this.render(state.input, this.scope(step, active, { input: active.rawInput }), 'InputConstructor') : active.rawInput;
      this.checkSize(input, 'the state input');
      active.input = input;
      active.epoch = this.emit(step, 'StepStarted', state.name, { Input: input, RetryCount: active.retryCount }, active.enteredEventId);
      started = true;
      this.perform(step, scope, state, input);
    } catch (err) {
      if (!(err instanceof StateFailure)) throw err;
      if (!started) active.epoch = this.emit(step, 'StepStarted', state.name, { RetryCount: active.retryCount }, active.enteredEventId);
      this.fail(step, scope, err.error);
    }
  }

  private perform(step: Step, scope: ScopeDoc, state: StateDef, input: unknown): void {
    const active = scope.active!;
    switch (state.type) {
      case 'Pass':
      case 'Succeed':
        return this.succeed(step, scope, input);
      case 'Fail': {
        if (state.output) this.render(state.output, this.scope(step, active, { output: input }), 'OutputConstructor');
        const error = { code: state.code ?? '', detail: state.detail ?? '' };
        this.emit(step, 'StepFailed', state.name, { Error: error.code, Cause: error.detail }, active.enteredEventId);
        this.emit(step, 'StepExited', state.name, {}, active.enteredEventId);
        scope.active = undefined;
        return this.scopeFailed(step, scope, error);
      }
      case 'Choice': {
        const evalScope = this.scope(step, active);
        let next = state.default;
        for (const branch of state.branches) {
          const holds = this.evaluateAt(branch.condition, evalScope, `Condition \`${branch.source}\``);
          if (typeof holds !== 'boolean') throw new StateFailure({ code: ERROR_RUNTIME, detail: `Condition \`${branch.source}\` gave ${JSON.stringify(holds)}, not true or false` });
          if (holds) {
            next = branch.next;
            break;
          }
        }
        this.emit(step, 'StepSucceeded', state.name, { Output: input, Next: next }, active.enteredEventId);
        this.emit(step, 'StepExited', state.name, {}, active.enteredEventId);
        scope.active = undefined;
        return this.enter(step, scope, next, input);
      }
      case 'Wait': {
        let seconds: unknown = state.seconds;
        if (typeof seconds !== 'number') {
          seconds = this.evaluateAt(state.seconds as Ast, this.scope(step, active), 'Seconds.$');
          // Seconds is an int in CloudFlow's Wait docs: a fraction or a numeric string is refused, not rounded.
          if (typeof seconds !== 'number' || !Number.isInteger(seconds) || seconds < 0 || seconds > 300) {
            throw new StateFailure({ code: ERROR_RUNTIME, detail: `Seconds.$ gave ${JSON.stringify(seconds)}; a Wait lasts 0..300 seconds` });
          }
        }
        active.phase = 'wait';
        active.wakeAt = step.now + Math.round((seconds as number) * 1000);
        step.effects.push({ kind: 'timer', scopeId: scope.id, epoch: active.epoch, at: active.wakeAt, what: 'wake' });
        return;
      }
      case 'Task': {
        const body = state.body ? this.render(state.body, this.scope(step, active), 'Parameters.body') : undefined;
        const payload = taskPayload(body);
        active.phase = 'invoking';
        active.payload = payload.toString('utf8');
        active.scheduledEventId = this.emit(
          step,
          'TaskScheduled',
          state.name,
          {
            Resource: state.resourceArn,
            FunctionName: state.functionName,
            InvocationType: state.invocationType,
            TaskMode: state.mode,
            ...(body !== undefined ? { Body: body } : {}),
            ...(active.token ? { TaskToken: active.token } : {}),
            ...(state.timeoutSeconds > 0 ? { TimeoutSeconds: state.timeoutSeconds } : {}),
          },
          active.enteredEventId,
        );
        if (state.timeoutSeconds > 0) {
          active.timeoutAt = step.now + state.timeoutSeconds * 1000;
          step.effects.push({ kind: 'timer', scopeId: scope.id, epoch: active.epoch, at: active.timeoutAt, what: 'timeout' });
        }
        this.emit(step, 'TaskStarted', state.name, {}, active.scheduledEventId);
        step.effects.push({ kind: 'invoke', scopeId: scope.id, epoch: active.epoch, state, payload, ...(active.token ? { token: active.token } : {}), retryCount: active.retryCount });
        return;
      }
      case 'Parallel': {
        active.phase = 'children';
        const ids = state.branches.map((_b, i) => this.childScope(step, scope, state, i).id);
        active.children = { ids, results: [], done: 0 };
        const epoch = active.epoch;
        state.branches.forEach((branch, i) => {
          const child = step.doc.scopes[ids[i]!];
          if (!child || child.status !== 'running' || scope.active?.epoch !== epoch) return;
          this.emit(step, 'BranchEntered', state.name, { Index: i }, active.enteredEventId);
          this.enter(step, child, branch.startAt, input);
        });
        return;
      }
      case 'Map': {
        const items = this.evaluateAt(state.itemsPath, this.scope(step, active), 'ItemsPath');
        if (!Array.isArray(items)) throw new StateFailure({ code: ERROR_RUNTIME, detail: `ItemsPath gave ${items === null ? 'null' : typeof items}, not an array` });
        if (items.length === 0) return this.succeed(step, scope, { Items: [] });
        active.phase = 'children';
        active.children = { ids: items.map(() => null), results: [], done: 0, items, max: state.maxConcurrency };
        const epoch = active.epoch;
        for (let i = 0; i < Math.min(items.length, state.maxConcurrency); i++) {
          if (scope.active?.epoch !== epoch || scope.active.phase !== 'children') return;
          this.startIteration(step, scope, state, i);
        }
        return;
      }
    }
  }

  private childScope(step: Step, parent: ScopeDoc, state: StateDef, index: number): ScopeDoc {
    const active = parent.active!;
    const listKey = state.type === 'Parallel' ? state.branches[index]!.key : (state as StateDef & { type: 'Map' }).processor.key;
    const id = `${parent.id}/${state.name}@${active.epoch}#${index}`;
    const child: ScopeDoc = { id, listKey, parentId: parent.id, index, status: 'running' };
    step.doc.scopes[id] = child;
    return child;
  }

  private startIteration(step: Step, scope: ScopeDoc, state: StateDef & { type: 'Map' }, index: number): void {
    const active = scope.active!;
    const child = this.childScope(step, scope, state, index);
    active.children!.ids[index] = child.id;
    const item = active.children!.items![index];
    this.emit(step, 'IterationEntered', state.name, { Index: index }, active.enteredEventId);
    this.enter(step, child, state.processor.startAt, item);
  }

  /** The active state finished its work with `$Output`; apply its OutputConstructor and move on. */
  private succeed(step: Step, scope: ScopeDoc, result: unknown): void {
    const active = scope.active!;
    const state = this.stateOf(step, scope);
    let output: unknown;
    try {
      output = state.output ? this.render(state.output, this.scope(step, active, { output: result }), 'OutputConstructor') : result;
      this.checkSize(output, 'the state output');
    } catch (err) {
      if (!(err instanceof StateFailure)) throw err;
      return this.fail(step, scope, err.error);
    }
    this.emit(step, 'StepSucceeded', state.name, { Output: output }, active.enteredEventId);
    this.emit(step, 'StepExited', state.name, {}, active.enteredEventId);
    scope.active = undefined;
    if (state.type === 'Succeed' || state.end) return this.scopeSucceeded(step, scope, output);
    return this.enter(step, scope, state.next!, output);
  }

  /**
   * The active state failed. The first Retry rule matching the error decides: retry after its interval
   * while it has attempts left; otherwise the first matching Catch rule moves on to its Next; otherwise
   * the scope fails (and with it the Parallel or Map around it, or the execution).
   */
  private fail(step: Step, scope: ScopeDoc, error: StateError): void {
    const active = scope.active!;
    const state = this.stateOf(step, scope);
    const handles = state.type === 'Task' || state.type === 'Parallel' || state.type === 'Map';
    this.endAttempt(step, active);
    const ruleIndex = handles ? state.retry.findIndex((rule) => errorMatches(rule.errors, error.code)) : -1;
    if (handles && ruleIndex >= 0) {
      const rule = state.retry[ruleIndex]!;
      const used = active.retriesByRule[ruleIndex] ?? 0;
      if (used < rule.maxAttempts) {
        const delay = Math.min(rule.intervalSeconds * rule.backoffRate ** used, rule.maxBackoffSeconds ?? Infinity);
        active.retriesByRule[ruleIndex] = used + 1;
        active.retryCount++;
        active.phase = 'retry';
        active.wakeAt = step.now + Math.round(delay * 1000);
        this.emit(step, 'StepFailed', state.name, { Error: error.code, Cause: error.detail, RetryCount: active.retryCount, RetryIntervalSeconds: delay }, active.enteredEventId);
        step.effects.push({ kind: 'timer', scopeId: scope.id, epoch: active.epoch, at: active.wakeAt, what: 'wake' });
        return;
      }
    }
    const rule = handles ? state.catch.find((c) => errorMatches(c.errors, error.code)) : undefined;
    if (rule) {
      let output: unknown;
      try {
        output = rule.output ? this.render(rule.output, this.scope(step, active, { error }), 'Catch.OutputConstructor') : (active.input ?? active.rawInput);
      } catch (err) {
        if (!(err instanceof StateFailure)) throw err;
        error = err.error;
      }
      if (output !== undefined) {
        this.emit(step, 'StepFailed', state.name, { Error: error.code, Cause: error.detail, CaughtBy: rule.next }, active.enteredEventId);
        this.emit(step, 'StepExited', state.name, {}, active.enteredEventId);
        scope.active = undefined;
        return this.enter(step, scope, rule.next, output);
      }
    }
    this.emit(step, 'StepFailed', state.name, { Error: error.code, Cause: error.detail }, active.enteredEventId);
    this.emit(step, 'StepExited', state.name, {}, active.enteredEventId);
    scope.active = undefined;
    this.scopeFailed(step, scope, error);
  }

  /** Whatever the failed attempt left running (a callback token, branches) is over. */
  private endAttempt(step: Step, active: ActiveState): void {
    if (active.token && step.doc.tokens[active.token] === 'waiting') step.doc.tokens[active.token] = 'done';
    for (const id of active.children?.ids ?? []) if (id) this.cancelScope(step, id);
    delete active.children;
  }

  private cancelScope(step: Step, id: string): void {
    const scope = step.doc.scopes[id];
    if (!scope) return;
    if (scope.active) this.endAttempt(step, scope.active);
    scope.status = 'cancelled';
    delete step.doc.scopes[id];
  }

  private parentWaitingFor(step: Step, scope: ScopeDoc): ScopeDoc | undefined {
    const parent = scope.parentId ? step.doc.scopes[scope.parentId] : undefined;
    if (!parent?.active || parent.active.phase !== 'children' || !parent.active.children?.ids.includes(scope.id)) return undefined;
    return parent;
  }

  private scopeSucceeded(step: Step, scope: ScopeDoc, output: unknown): void {
    scope.status = 'succeeded';
    scope.output = output;
    if (!scope.parentId) return this.finish(step, 'Succeeded', { output });
    const parent = this.parentWaitingFor(step, scope);
    delete step.doc.scopes[scope.id];
    if (!parent) return;
    const active = parent.active!;
    const children = active.children!;
    const state = this.stateOf(step, parent);
    this.emit(step, state.type === 'Parallel' ? 'BranchExited' : 'IterationExited', state.name, { Index: scope.index }, active.enteredEventId);
    children.results[scope.index!] = output;
    children.done++;
    if (children.done === children.ids.length) {
      const aggregate = state.type === 'Parallel' ? Object.fromEntries(children.results.map((r, i) => [`Branch${i}`, r])) : { Items: children.results };
      delete active.children;
      return this.succeed(step, parent, aggregate);
    }
    const next = children.ids.indexOf(null);
    if (state.type === 'Map' && next >= 0) this.startIteration(step, parent, state, next);
  }

  private scopeFailed(step: Step, scope: ScopeDoc, error: StateError): void {
    scope.status = 'failed';
    if (!scope.parentId) return this.finish(step, 'Failed', { error });
    const parent = this.parentWaitingFor(step, scope);
    delete step.doc.scopes[scope.id];
    if (!parent) return;
    const state = this.stateOf(step, parent);
    this.emit(step, state.type === 'Parallel' ? 'BranchExited' : 'IterationExited', state.name, { Index: scope.index, Error: error.code, Cause: error.detail }, parent.active!.enteredEventId);
    this.fail(step, parent, error);
  }

  private finish(step: Step, status: Exclude<ExecutionStatus, 'Running'>, result: { output?: unknown; error?: StateError }): void {
    const doc = step.doc;
    doc.status = status;
    doc.stoppedAt = step.now;
    if (result.output !== undefined) doc.output = result.output;
    if (result.error) doc.error = result.error;
    for (const id of Object.keys(doc.scopes)) if (id !== 'root') this.cancelScope(step, id);
    const root = doc.scopes.root!;
    if (root.active) this.endAttempt(step, root.active);
    delete root.active;
    const detail = status === 'Succeeded' ? { Output: result.output } : { Error: result.error?.code ?? '', Cause: result.error?.detail ?? '' };
    this.emit(step, `Execution${status}`, '', detail);
    step.effects.push({ kind: 'ended' });
  }

  // ------------------------------------------------------------------------------------------------
  // Timers and results

  private onTimer(step: Step, scopeId: string, epoch: number, what: 'wake' | 'timeout'): void {
    const scope = step.doc.scopes[scopeId];
    const active = scope?.active;
    if (!scope || !active || active.epoch !== epoch) return;
    if (what === 'wake') {
      if (active.phase === 'wait') return this.succeed(step, scope, active.input);
      if (active.phase === 'retry') return this.attempt(step, scope);
      return;
    }
    if (active.phase !== 'invoking' && active.phase !== 'callback') return;
    const state = this.stateOf(step, scope) as TaskState;
    const error = { code: ERROR_TASK_TIMEOUT, detail: `the task did not finish within its Timeout of ${state.timeoutSeconds} seconds` };
    this.emit(step, 'TaskTimedOut', state.name, { Error: error.code, Cause: error.detail }, active.scheduledEventId);
    this.fail(step, scope, error);
  }

  private onDeadline(step: Step): void {
    const flow = step.flow;
    this.finish(step, 'TimedOut', { error: { code: 'FnF.Timeout', detail: `the execution did not finish within the flow's Timeout of ${flow.timeoutSeconds} seconds` } });
  }

  private onInvoked(step: Step, scopeId: string, epoch: number, result: TaskResult): void {
    const scope = step.doc.scopes[scopeId];
    const active = scope?.active;
    if (!scope || !active || active.epoch !== epoch || active.phase !== 'invoking') return;
    const state = this.stateOf(step, scope) as TaskState;
    if (!result.ok) {
      this.emit(step, 'TaskFailed', state.name, { Error: result.error, Cause: result.cause }, active.scheduledEventId);
      return this.fail(step, scope, { code: result.error, detail: result.cause });
    }
    if (state.mode === 'WaitForCustomCallback') {
      active.phase = 'callback';
      this.emit(step, 'TaskSubmitted', state.name, {}, active.scheduledEventId);
      return;
    }
    const output = taskOutput(result.payload);
    this.emit(step, 'TaskSucceeded', state.name, { Output: output }, active.scheduledEventId);
    this.succeed(step, scope, output);
  }
}

function runtimeErrorsAt<T>(where: string, fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof ExpressionRuntimeError) throw new StateFailure({ code: ERROR_RUNTIME, detail: `${where}: ${err.message}` });
    throw err;
  }
}

/**
 * Task tokens name their execution so a report finds it, and carry a random part so they cannot be
 * guessed (CloudFlow's own tokens decode to `v1#<flow>#<execution>#<eventId>#<signature>`).
 */
function encodeToken(flowName: string, name: string, eventId: number, nonce: string): string {
  return Buffer.from(`v1#${flowName}#${name}#${eventId}#${nonce}`, 'utf8').toString('base64url');
}

function decodeToken(token: string): [string | undefined, string | undefined] {
  const parts = Buffer.from(token, 'base64url').toString('utf8').split('#');
  return parts.length === 5 && parts[0] === 'v1' ? [parts[1], parts[2]] : [undefined, undefined];
}
