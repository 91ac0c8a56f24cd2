/**
 * WorkflowClient port: what functions need from Serverless Workflow (CloudFlow, API version 2019-03-15).
 * Adapter: `FnfWorkflowClient` over `@alicloud/fnf-2019-03-15`, pointed at CloudFlow in the cloud and at the
 * local FnF emulator by `FNF_ENDPOINT`.
 *
 * - `startExecution` is idempotent by `executionName` within a flow: starting a name that already exists
 *   answers that execution (`alreadyExisted: true`) instead of a second run (CloudFlow answers
 *   `ExecutionAlreadyExists`; the adapter turns it into this result).
 * - `reportTaskSucceeded`/`reportTaskFailed` resume a `WaitForCallback` task by its task token; a token that
 *   is unknown or already used fails with `TaskNotExist`-style errors mapped to `NotFoundError`/`ConflictError`.
 */
export type ExecutionStatus = 'Starting' | 'Running' | 'Stopped' | 'Succeeded' | 'Failed' | 'TimedOut';

export interface ExecutionInfo {
  flowName: string;
  executionName: string;
  status: ExecutionStatus;
  /** The execution's input and, once finished, output, as JSON text. */
  input: string;
  output?: string;
  startedTime: string;
  stoppedTime?: string;
}

export interface StartExecutionResult {
  executionName: string;
  /** True when an execution with this name already existed and was answered instead of starting another. */
  alreadyExisted: boolean;
}

export interface WorkflowClient {
  startExecution(flowName: string, executionName: string, input: object): Promise<StartExecutionResult>;
  describeExecution(flowName: string, executionName: string): Promise<ExecutionInfo | undefined>;
  reportTaskSucceeded(taskToken: string, output: object): Promise<void>;
  reportTaskFailed(taskToken: string, error: string, cause: string): Promise<void>;
}
