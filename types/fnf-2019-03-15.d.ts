/**
 * Hand-written types for `@alicloud/fnf-2019-03-15` 1.2.0 (ships no .d.ts): an `@alicloud/pop-core`
 * RPCClient whose methods take the API's PascalCase parameters and resolve to the JSON answer.
 * Response fields from the FnF 2019-03-15 API metadata and the Tea SDK models. On an error answer
 * pop-core throws an Error with `code` (e.g. `ExecutionAlreadyExists`), `name` = code + 'Error' and
 * `data` (the whole body).
 */
declare module '@alicloud/fnf-2019-03-15' {
  namespace FnFClient {
    interface Config {
      /** `https://<region>.fnf.aliyuncs.com`, or the local emulator's `http://127.0.0.1:<port>`. */
      endpoint: string;
      accessKeyId?: string;
      accessKeySecret?: string;
      securityToken?: string;
      credentialsProvider?: { getCredentials(): Promise<{ accessKeyId: string; accessKeySecret: string; securityToken?: string }> };
      /** httpx options, e.g. `{ timeout: 10000 }`. */
      opts?: { timeout?: number };
      codes?: (string | number)[];
    }
    interface Response {
      RequestId: string;
    }
    type ExecutionStatus = 'Starting' | 'Running' | 'Stopped' | 'Succeeded' | 'Failed' | 'TimedOut';
    interface Execution {
      Name: string;
      FlowName: string;
      FlowDefinition?: string;
      /** JSON text. */
      Input?: string;
      /** JSON text; empty until the execution succeeds. */
      Output?: string;
      Status: ExecutionStatus | '';
      StartedTime: string;
      /** Empty while running. */
      StoppedTime?: string;
    }
    interface Flow {
      Name: string;
      Definition: string;
      Description: string;
      Type: string;
      RoleArn?: string;
      Id: string;
      CreatedTime: string;
      LastModifiedTime: string;
      ExecutionMode?: string;
    }
    interface HistoryEvent {
      EventId: number;
      ScheduleEventId: number;
      StepName: string;
      Type: string;
      Time: string;
      /** JSON text. */
      EventDetail: string;
    }
    interface RequestOptions {
      method?: 'GET' | 'POST';
      timeout?: number;
    }
    /** What pop-core throws for an error answer. */
    interface ApiError extends Error {
      code: string;
      data?: { Code?: string; Message?: string; RequestId?: string };
    }
  }

  class FnFClient {
    constructor(config: FnFClient.Config);
    createFlow(params: { Name: string; Definition: string; Description: string; Type: 'FDL'; RoleArn?: string; ExecutionMode?: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Flow>;
    updateFlow(params: { Name: string; Definition?: string; Description?: string; Type?: 'FDL'; RoleArn?: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Flow>;
    deleteFlow(params: { Name: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response>;
    describeFlow(params: { Name: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Flow>;
    listFlows(params?: { NextToken?: string; Limit?: number }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & { Flows: FnFClient.Flow[]; NextToken?: string }>;
    startExecution(params: { FlowName: string; ExecutionName?: string; Input?: string; CallbackFnFTaskToken?: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Execution>;
    stopExecution(params: { FlowName: string; ExecutionName: string; Error?: string; Cause?: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Execution>;
    describeExecution(params: { FlowName: string; ExecutionName: string; WaitTimeSeconds?: number }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & FnFClient.Execution>;
    listExecutions(
      params: { FlowName: string; NextToken?: string; Limit?: number; Status?: FnFClient.ExecutionStatus },
      options?: FnFClient.RequestOptions,
    ): Promise<FnFClient.Response & { Executions: FnFClient.Execution[]; NextToken?: string }>;
    getExecutionHistory(
      params: { FlowName: string; ExecutionName: string; NextToken?: string; Limit?: number },
      options?: FnFClient.RequestOptions,
    ): Promise<FnFClient.Response & { Events: FnFClient.HistoryEvent[]; NextToken?: string }>;
    reportTaskSucceeded(params: { TaskToken: string; Output: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & { EventId: number }>;
    reportTaskFailed(params: { TaskToken: string; Error: string; Cause?: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & { EventId: number }>;
    /** Flow schedules (the local CloudFlow refuses these with `ActionNotSupported`). */
    createSchedule(params: { FlowName: string; ScheduleName: string; CronExpression: string; Description?: string; Payload?: string; Enable?: boolean }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & Record<string, unknown>>;
    describeSchedule(params: { FlowName: string; ScheduleName: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & Record<string, unknown>>;
    listSchedules(params: { FlowName: string; NextToken?: string; Limit?: number }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response & Record<string, unknown>>;
    updateSchedule(
      params: { FlowName: string; ScheduleName: string; CronExpression?: string; Description?: string; Payload?: string; Enable?: boolean },
      options?: FnFClient.RequestOptions,
    ): Promise<FnFClient.Response & Record<string, unknown>>;
    deleteSchedule(params: { FlowName: string; ScheduleName: string }, options?: FnFClient.RequestOptions): Promise<FnFClient.Response>;
    /** Any action by name (pop-core's generic call), e.g. ones this SDK version has no method for. */
    request<T = unknown>(action: string, params?: Record<string, unknown>, options?: FnFClient.RequestOptions): Promise<T>;
  }

  export = FnFClient;
}
