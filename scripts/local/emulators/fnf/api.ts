import type { FlowEngine } from '../../flow-engine/engine';
import { FlowApiError, type ApiErrorCode } from '../../flow-engine/errors';
import type { ExecutionDoc, ExecutionStatus, FlowRecord, HistoryEvent } from '../../flow-engine/model';

/**
 * The actions of the FnF/CloudFlow API 2019-03-15 the emulator answers, with the parameters, response
 * fields, error codes and HTTP statuses of CloudFlow's API metadata (alibabacloud fnf 2019-03-15).
 * Parameters an action does not know, and actions the emulator does not implement, are refused by name.
 */
export interface ApiAnswer {
  status: number;
  body: Record<string, unknown>;
}

const STATUS_OF: Record<ApiErrorCode, number> = {
  FlowNotExists: 404,
  ExecutionNotExists: 404,
  FlowAlreadyExists: 409,
  ExecutionAlreadyExists: 400,
  ExecutionAlreadyCompleted: 400,
  TaskAlreadyCompleted: 400,
  InvalidArgument: 400,
  MissingRequiredParams: 400,
  EntityTooLarge: 400,
};

const STATUSES: ExecutionStatus[] = ['Running', 'Succeeded', 'Failed', 'Stopped', 'TimedOut'];

/** Parameters of the RPC protocol itself, accepted on every action. */
export const PROTOCOL_PARAMS = new Set([
  'Action',
  'Format',
  'Version',
  'Timestamp',
  'SignatureMethod',
  'SignatureVersion',
  'SignatureNonce',
  'SignatureType',
  'AccessKeyId',
  'SecurityToken',
  'Signature',
  'RegionId',
  'RequestId',
]);

/** Actions of the 2019-03-15 API that exist in CloudFlow but not here, with why. */
const NOT_EMULATED: Record<string, string> = {
  StartSyncExecution: 'Express flows are not emulated; use StartExecution on a Standard flow',
  CreateSchedule: 'flow schedules are not emulated',
  DeleteSchedule: 'flow schedules are not emulated',
  UpdateSchedule: 'flow schedules are not emulated',
  DescribeSchedule: 'flow schedules are not emulated',
  ListSchedules: 'flow schedules are not emulated',
  PublishFlowVersion: 'flow versions are not emulated',
  ListFlowVersions: 'flow versions are not emulated',
  DeleteFlowVersion: 'flow versions are not emulated',
  CreateFlowAlias: 'flow aliases are not emulated',
  UpdateFlowAlias: 'flow aliases are not emulated',
  DeleteFlowAlias: 'flow aliases are not emulated',
  DescribeFlowAlias: 'flow aliases are not emulated',
  ListFlowAliases: 'flow aliases are not emulated',
  DescribeMapRun: 'distributed Map runs are not emulated',
  UpdateMapRun: 'distributed Map runs are not emulated',
  DescribeRegions: 'the local cloud has one region',
};

type Params = Record<string, string>;
type Handler = (params: Params) => Promise<Record<string, unknown>> | Record<string, unknown>;

interface ActionSpec {
  required: string[];
  optional: string[];
  handle: Handler;
}

export class FnfApi {
  private readonly actions: Record<string, ActionSpec>;

  constructor(
    private readonly engine: FlowEngine,
    private readonly options: { maxLongPollMs?: number } = {},
  ) {
    this.actions = {
      CreateFlow: { required: ['Name', 'Definition', 'Description', 'Type'], optional: ['RoleArn', 'ExecutionMode', 'ExternalStorageLocation'], handle: (p) => this.createFlow(p) },
      UpdateFlow: { required: ['Name'], optional: ['Definition', 'Description', 'Type', 'RoleArn', 'ExternalStorageLocation'], handle: (p) => this.updateFlow(p) },
      DeleteFlow: { required: ['Name'], optional: [], handle: (p) => (this.engine.deleteFlow(p.Name!), {}) },
      DescribeFlow: { required: ['Name'], optional: [], handle: (p) => flowJson(this.engine.describeFlow(p.Name!)) },
      ListFlows: { required: [], optional: ['NextToken', 'Limit'], handle: (p) => this.listFlows(p) },
      StartExecution: { required: ['FlowName'], optional: ['ExecutionName', 'Input', 'CallbackFnFTaskToken', 'Qualifier'], handle: (p) => this.startExecution(p) },
      StopExecution: { required: ['FlowName', 'ExecutionName'], optional: ['Error', 'Cause'], handle: (p) => executionJson(this.engine.stopExecution(p.FlowName!, p.ExecutionName!, p.Error ?? '', p.Cause ?? '')) },
      DescribeExecution: { required: ['FlowName', 'ExecutionName'], optional: ['WaitTimeSeconds'], handle: (p) => this.describeExecution(p) },
      ListExecutions: {
        required: ['FlowName'],
        optional: ['NextToken', 'Limit', 'Status', 'StartedTimeBegin', 'StartedTimeEnd', 'ExecutionNamePrefix', 'MetadataOnly', 'Qualifier', 'MapRunName'],
        handle: (p) => this.listExecutions(p),
      },
      GetExecutionHistory: { required: ['FlowName', 'ExecutionName'], optional: ['NextToken', 'Limit'], handle: (p) => this.getExecutionHistory(p) },
      ReportTaskSucceeded: { required: ['TaskToken', 'Output'], optional: [], handle: (p) => ({ EventId: this.engine.reportTaskSucceeded(p.TaskToken!, parseJson(p.Output!, 'Output')) }) },
      ReportTaskFailed: { required: ['TaskToken', 'Error'], optional: ['Cause'], handle: (p) => this.reportTaskFailed(p) },
    };
  }

  /** Answer one action; every failure is an API error with CloudFlow's code and status. */
  async handle(action: string, params: Params): Promise<ApiAnswer> {
    try {
      const spec = this.actions[action];
      if (!spec) {
        const why = NOT_EMULATED[action];
        if (why) return error(400, 'ActionNotSupported', `The API operation '${action}' is not emulated by the local CloudFlow: ${why}.`);
        // What Alibaba Cloud's API gateway answers for an action the product does not have (a typo, another API's action).
        return error(404, 'InvalidAction.NotFound', `Specified api is not found, please check your url and method: ${action} is not an action of the FnF API 2019-03-15.`);
      }
      for (const name of Object.keys(params)) {
        if (PROTOCOL_PARAMS.has(name) || spec.required.includes(name) || spec.optional.includes(name)) continue;
        return error(400, 'InvalidArgument', `Parameter ${name} is not a parameter of ${action} the local CloudFlow knows.`);
      }
      for (const name of spec.required) {
        if (params[name] === undefined || (params[name] === '' && name !== 'Description')) return error(400, 'MissingRequiredParams', `The HTTP query '${name}' must be specified.`);
      }
      return { status: 200, body: await spec.handle(params) };
    } catch (err) {
      if (err instanceof FlowApiError) return error(STATUS_OF[err.code], err.code, err.message);
      throw err;
    }
  }

  private createFlow(p: Params): Record<string, unknown> {
    checkFlowOptions(p);
    return flowJson(this.engine.createFlow({ name: p.Name!, definition: p.Definition!, description: p.Description!, roleArn: p.RoleArn ?? '', source: 'api' }));
  }

  private updateFlow(p: Params): Record<string, unknown> {
    checkFlowOptions(p);
    return flowJson(
      this.engine.updateFlow(p.Name!, {
        ...(p.Definition !== undefined ? { definition: p.Definition } : {}),
        ...(p.Description !== undefined ? { description: p.Description } : {}),
        ...(p.RoleArn !== undefined ? { roleArn: p.RoleArn } : {}),
      }),
    );
  }

  private listFlows(p: Params): Record<string, unknown> {
    const limit = limitOf(p.Limit, 1000);
    const flows = this.engine.listFlows(p.NextToken || undefined, limit + 1);
    return { Flows: flows.slice(0, limit).map(flowJson), ...(flows.length > limit ? { NextToken: flows[limit]!.name } : {}) };
  }

  private startExecution(p: Params): Record<string, unknown> {
    if (p.Qualifier) throw new FlowApiError('InvalidArgument', 'Qualifier: flow versions and aliases are not emulated by the local CloudFlow');
    const input = p.Input === undefined || p.Input === '' ? {} : parseJson(p.Input, 'Input');
    const { doc } = this.engine.startExecution(p.FlowName!, p.ExecutionName || undefined, input, p.CallbackFnFTaskToken ? { callbackToken: p.CallbackFnFTaskToken } : {});
    return executionJson(doc);
  }

  /** DescribeExecution, with WaitTimeSeconds long polling (0..60 s) until the execution ends. */
  private async describeExecution(p: Params): Promise<Record<string, unknown>> {
    const wait = p.WaitTimeSeconds === undefined || p.WaitTimeSeconds === '' ? 0 : /^\d{1,9}$/.test(p.WaitTimeSeconds) ? Number(p.WaitTimeSeconds) : NaN;
    if (!Number.isInteger(wait) || wait < 0 || wait > 60) throw new FlowApiError('InvalidArgument', 'WaitTimeSeconds must be an integer in 0..60');
    let doc = this.engine.describeExecution(p.FlowName!, p.ExecutionName!);
    if (wait > 0 && doc.status === 'Running') {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, Math.min(wait * 1000, this.options.maxLongPollMs ?? Infinity));
        const stop = this.engine.onExecutionEnded((ended) => {
          if (ended.flowName === p.FlowName && ended.name === p.ExecutionName) done();
        });
        function done() {
          clearTimeout(timer);
          stop();
          resolve();
        }
      });
      doc = this.engine.describeExecution(p.FlowName!, p.ExecutionName!);
    }
    return executionJson(doc);
  }

  private listExecutions(p: Params): Record<string, unknown> {
    if (p.Qualifier || p.MapRunName) throw new FlowApiError('InvalidArgument', `${p.Qualifier ? 'Qualifier' : 'MapRunName'}: flow versions and distributed Map runs are not emulated by the local CloudFlow`);
    const limit = limitOf(p.Limit, 100);
    if (p.Status && !STATUSES.includes(p.Status as ExecutionStatus)) throw new FlowApiError('InvalidArgument', `Status must be one of ${STATUSES.join(', ')}`);
    const docs = this.engine.listExecutions(p.FlowName!, {
      limit: limit + 1,
      ...(p.Status ? { status: p.Status as ExecutionStatus } : {}),
      ...(p.ExecutionNamePrefix ? { namePrefix: p.ExecutionNamePrefix } : {}),
      ...(p.StartedTimeBegin ? { startedFrom: timeOf(p.StartedTimeBegin, 'StartedTimeBegin') } : {}),
      ...(p.StartedTimeEnd ? { startedTo: timeOf(p.StartedTimeEnd, 'StartedTimeEnd') } : {}),
      ...(p.NextToken ? { from: p.NextToken } : {}),
    });
    const metadataOnly = p.MetadataOnly === 'true';
    return { Executions: docs.slice(0, limit).map((d) => executionJson(d, metadataOnly)), ...(docs.length > limit ? { NextToken: docs[limit]!.name } : {}) };
  }

  private getExecutionHistory(p: Params): Record<string, unknown> {
    const limit = limitOf(p.Limit, 1000);
    const from = p.NextToken ? Number(p.NextToken) : 1;
    if (!Number.isInteger(from) || from < 1) throw new FlowApiError('InvalidArgument', 'NextToken is not a token this API returned');
    const events = this.engine.history(p.FlowName!, p.ExecutionName!, from - 1, limit + 1);
    return { Events: events.slice(0, limit).map(eventJson), ...(events.length > limit ? { NextToken: String(events[limit]!.eventId) } : {}) };
  }

  private reportTaskFailed(p: Params): Record<string, unknown> {
    if (p.Error!.length > 128) throw new FlowApiError('InvalidArgument', 'Error must be 1-128 characters');
    if ((p.Cause ?? '').length > 4096) throw new FlowApiError('InvalidArgument', 'Cause must be at most 4096 characters');
    return { EventId: this.engine.reportTaskFailed(p.TaskToken!, p.Error!, p.Cause ?? '') };
  }
}

function error(status: number, code: string, message: string): ApiAnswer {
  return { status, body: { Code: code, Message: message } };
}

function checkFlowOptions(p: Params): void {
  if (p.Type !== undefined && p.Type !== 'FDL') throw new FlowApiError('InvalidArgument', `Type must be FDL (got ${p.Type})`);
  if (p.ExecutionMode && p.ExecutionMode !== 'Standard') throw new FlowApiError('InvalidArgument', `ExecutionMode ${p.ExecutionMode} is not emulated by the local CloudFlow (Standard only)`);
  if (p.ExternalStorageLocation) throw new FlowApiError('InvalidArgument', 'ExternalStorageLocation is not emulated by the local CloudFlow');
}

/**
 * Deeper than this, a JSON document is refused: `JSON.parse` takes 5 000 levels, but copying it (`JSON.stringify`
 * when it is stored, the engine's state copies) overflowed the stack — a 500 (D147). CloudFlow documents no depth;
 * its 32 KB input limit is checked later, by size.
 */
const MAX_JSON_DEPTH = 1000;

function parseJson(text: string, name: string): unknown {
  let value: unknown;
  try {
    value = JSON.parse(text) as unknown;
  } catch {
    throw new FlowApiError('InvalidArgument', `${name} must be JSON`);
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) throw new FlowApiError('InvalidArgument', `${name} is nested more than ${MAX_JSON_DEPTH} levels deep`);
  return value;
}

/** How deep brackets nest in a valid JSON text (outside strings), without recursion. */
function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c) i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function limitOf(value: string | undefined, max: number): number {
  if (value === undefined || value === '') return 60;
  // Decimal digits only: `Number()` also takes `1e2`, ` 5` and `0x10`.
  const n = /^\d{1,9}$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > max) throw new FlowApiError('InvalidArgument', `Limit must be an integer in 1..${max}`);
  return n;
}

function timeOf(value: string, name: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new FlowApiError('InvalidArgument', `${name} must be an RFC 3339 time, e.g. 2026-11-25T12:00:00Z`);
  return t;
}

const iso = (t: number | undefined) => (t === undefined ? '' : new Date(t).toISOString());

export function flowJson(flow: FlowRecord): Record<string, unknown> {
  return {
    Name: flow.name,
    Definition: flow.definition,
    Description: flow.description,
    Type: flow.type,
    RoleArn: flow.roleArn,
    Id: flow.id,
    CreatedTime: iso(flow.createdAt),
    LastModifiedTime: iso(flow.modifiedAt),
    ExecutionMode: flow.executionMode,
  };
}

export function executionJson(doc: ExecutionDoc, metadataOnly = false): Record<string, unknown> {
  return {
    Name: doc.name,
    FlowName: doc.flowName,
    Status: doc.status,
    StartedTime: iso(doc.startedAt),
    StoppedTime: iso(doc.stoppedAt),
    ...(metadataOnly
      ? {}
      : {
          FlowDefinition: doc.definition,
          Input: JSON.stringify(doc.input),
          Output: doc.output === undefined ? '' : JSON.stringify(doc.output),
        }),
  };
}

export function eventJson(e: HistoryEvent): Record<string, unknown> {
  return { EventId: e.eventId, ScheduleEventId: e.scheduleEventId, StepName: e.stepName, Type: e.type, Time: iso(e.time), EventDetail: JSON.stringify(e.detail) };
}
