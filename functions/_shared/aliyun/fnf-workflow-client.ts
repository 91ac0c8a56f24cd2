import FnF from '@alicloud/fnf-2019-03-15';
import { ConflictError, NotFoundError } from '../errors';
import type { ExecutionInfo, ExecutionStatus, StartExecutionResult, WorkflowClient } from '../ports/workflow-client';
import type { Credentials } from './credentials';

/**
 * WorkflowClient over CloudFlow's API 2019-03-15 with `@alicloud/fnf-2019-03-15` (pop-core, signature
 * 1.0). In the cloud the endpoint is `https://<region>.fnf.aliyuncs.com`; locally `FNF_ENDPOINT` points
 * at the local cloud's FnF emulator, which checks the same signature.
 *
 * Idempotent start: CloudFlow answers a running execution of the same name with that execution, and one
 * that has ended with `ExecutionAlreadyExists`. So the adapter first asks whether the name exists; two
 * callers racing on a new name may both see `alreadyExisted: false`, but CloudFlow still runs one
 * execution.
 */
export interface FnfWorkflowClientOptions {
  credentials: Credentials;
  region: string;
  /** `http://127.0.0.1:9004` or a host; default `https://<region>.fnf.aliyuncs.com`. */
  endpoint?: string;
  timeoutMs?: number;
}

export class FnfWorkflowClient implements WorkflowClient {
  private readonly client: FnF;

  constructor(options: FnfWorkflowClientOptions) {
    const endpoint = options.endpoint ? (options.endpoint.includes('://') ? options.endpoint : `https://${options.endpoint}`) : `https://${options.region}.fnf.aliyuncs.com`;
    this.client = new FnF({
      endpoint,
      accessKeyId: options.credentials.accessKeyId,
      accessKeySecret: options.credentials.accessKeySecret,
      ...(options.credentials.securityToken ? { securityToken: options.credentials.securityToken } : {}),
      opts: { timeout: options.timeoutMs ?? 10_000 },
    });
  }

  async startExecution(flowName: string, executionName: string, input: object): Promise<StartExecutionResult> {
    if (await this.describeExecution(flowName, executionName)) return { executionName, alreadyExisted: true };
    try {
      await this.client.startExecution({ FlowName: flowName, ExecutionName: executionName, Input: JSON.stringify(input) });
      return { executionName, alreadyExisted: false };
    } catch (err) {
      if (codeOf(err) === 'ExecutionAlreadyExists') return { executionName, alreadyExisted: true };
      throw mapped(err);
    }
  }

  async describeExecution(flowName: string, executionName: string): Promise<ExecutionInfo | undefined> {
    try {
      const e = await this.client.describeExecution({ FlowName: flowName, ExecutionName: executionName });
      return {
        flowName: e.FlowName,
        executionName: e.Name,
        status: (e.Status || 'Running') as ExecutionStatus,
        input: e.Input ?? '{}',
        ...(e.Output ? { output: e.Output } : {}),
        startedTime: e.StartedTime,
        ...(e.StoppedTime ? { stoppedTime: e.StoppedTime } : {}),
      };
    } catch (err) {
      if (codeOf(err) === 'ExecutionNotExists') return undefined;
      throw mapped(err);
    }
  }

  async reportTaskSucceeded(taskToken: string, output: object): Promise<void> {
    try {
      await this.client.reportTaskSucceeded({ TaskToken: taskToken, Output: JSON.stringify(output) });
    } catch (err) {
      throw mapped(err);
    }
  }

  async reportTaskFailed(taskToken: string, error: string, cause: string): Promise<void> {
    try {
      await this.client.reportTaskFailed({ TaskToken: taskToken, Error: error, Cause: cause });
    } catch (err) {
      throw mapped(err);
    }
  }
}

function codeOf(err: unknown): string | undefined {
  return (err as { code?: unknown })?.code as string | undefined;
}

/** CloudFlow's "not there" and "already done" answers as the app's typed errors; anything else as is. */
function mapped(err: unknown): unknown {
  const code = codeOf(err);
  const message = (err as { data?: { Message?: string } })?.data?.Message ?? (err as Error)?.message ?? String(err);
  if (code === 'FlowNotExists' || code === 'ExecutionNotExists') return new NotFoundError(message);
  if (code === 'TaskAlreadyCompleted' || code === 'ExecutionAlreadyCompleted') return new ConflictError(message, code);
  if (code === 'InvalidArgument' && /TaskToken/.test(message)) return new NotFoundError(message);
  return err;
}
