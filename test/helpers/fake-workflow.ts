import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError } from '#shared/errors';
import type { ExecutionInfo, StartExecutionResult, WorkflowClient } from '#shared/ports/workflow-client';

/**
 * An in-memory WorkflowClient for unit tests of cores that start flows or report callbacks. It runs no
 * flow: a started execution stays Running until the test ends it (`finish`) or a task token the test
 * issued for it (`issueToken`) is reported — then it ends with the report, like a flow whose only step
 * waits for that callback. The same contract suite runs against it and the FnF adapter
 * (test/contract/workflow-client.test.ts), so its answers match CloudFlow's.
 */
export class FakeWorkflowClient implements WorkflowClient {
  readonly executions = new Map<string, ExecutionInfo>();
  readonly calls: { op: string; args: unknown[] }[] = [];
  private readonly tokens = new Map<string, { key: string; state: 'waiting' | 'done' }>();

  constructor(
    private readonly flows: string[],
    private readonly now: () => number = () => Date.now(),
  ) {}

  private key(flowName: string, executionName: string): string {
    return `${flowName}/${executionName}`;
  }

  async startExecution(flowName: string, executionName: string, input: object): Promise<StartExecutionResult> {
    this.calls.push({ op: 'startExecution', args: [flowName, executionName, input] });
    if (!this.flows.includes(flowName)) throw new NotFoundError(`Flow ${flowName} does not exist.`);
    const key = this.key(flowName, executionName);
    if (this.executions.has(key)) return { executionName, alreadyExisted: true };
    this.executions.set(key, { flowName, executionName, status: 'Running', input: JSON.stringify(input), startedTime: new Date(this.now()).toISOString() });
    return { executionName, alreadyExisted: false };
  }

  async describeExecution(flowName: string, executionName: string): Promise<ExecutionInfo | undefined> {
    this.calls.push({ op: 'describeExecution', args: [flowName, executionName] });
    if (!this.flows.includes(flowName)) throw new NotFoundError(`Flow ${flowName} does not exist.`);
    const found = this.executions.get(this.key(flowName, executionName));
    return found ? { ...found } : undefined;
  }

  async reportTaskSucceeded(taskToken: string, output: object): Promise<void> {
    this.calls.push({ op: 'reportTaskSucceeded', args: [taskToken, output] });
    this.finish(...this.spend(taskToken), 'Succeeded', output);
  }

  async reportTaskFailed(taskToken: string, error: string, cause: string): Promise<void> {
    this.calls.push({ op: 'reportTaskFailed', args: [taskToken, error, cause] });
    this.finish(...this.spend(taskToken), 'Failed');
  }

  /** A task token for a running execution, as a WaitForCustomCallback task would hand out. */
  issueToken(flowName: string, executionName: string): string {
    const key = this.key(flowName, executionName);
    if (this.executions.get(key)?.status !== 'Running') throw new Error(`${key} is not running`);
    const token = Buffer.from(`fake#${key}#${randomUUID()}`).toString('base64url');
    this.tokens.set(token, { key, state: 'waiting' });
    return token;
  }

  /** End a running execution, as its flow would. */
  finish(flowName: string, executionName: string, status: 'Succeeded' | 'Failed' | 'Stopped' | 'TimedOut', output?: object): void {
    const execution = this.executions.get(this.key(flowName, executionName));
    if (!execution) throw new Error(`no execution ${flowName}/${executionName}`);
    execution.status = status;
    execution.stoppedTime = new Date(this.now()).toISOString();
    if (output !== undefined) execution.output = JSON.stringify(output);
  }

  private spend(token: string): [string, string] {
    const entry = this.tokens.get(token);
    if (!entry) throw new NotFoundError('TaskToken is invalid: no task was given this token');
    const execution = this.executions.get(entry.key)!;
    if (entry.state === 'done' || execution.status !== 'Running') throw new ConflictError(`Task ${token} has already completed.`, 'TaskAlreadyCompleted');
    entry.state = 'done';
    return [execution.flowName, execution.executionName];
  }
}
