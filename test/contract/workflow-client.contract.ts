import { ConflictError, NotFoundError } from '#shared/errors';
import type { WorkflowClient } from '#shared/ports/workflow-client';

/**
 * What every WorkflowClient must do, as CloudFlow does it. The subject gives a flow whose executions
 * wait for one callback (`callbackFlow`) and a way to get the token its task hands out.
 */
export interface WorkflowSubject {
  client: WorkflowClient;
  /** Executions of this flow run one WaitForCustomCallback task and end with what is reported. */
  callbackFlow: string;
  /** The task token of a running execution of callbackFlow (waits until its task has it). */
  tokenOf(executionName: string): Promise<string>;
  close(): Promise<void>;
}

export function describeWorkflowClientContract(name: string, open: () => Promise<WorkflowSubject>): void {
  describe(`WorkflowClient contract: ${name}`, () => {
    let s: WorkflowSubject;
    let n = 0;
    const unique = (prefix: string) => `${prefix}-${Date.now().toString(36)}-${++n}`;
    beforeAll(async () => {
      s = await open();
    });
    afterAll(async () => s?.close());

    it('starts an execution once per name: a second start of the same name answers alreadyExisted', async () => {
      const name = unique('start');
      expect(await s.client.startExecution(s.callbackFlow, name, { orderId: 'o-1' })).toEqual({ executionName: name, alreadyExisted: false });
      expect(await s.client.startExecution(s.callbackFlow, name, { orderId: 'o-1' })).toEqual({ executionName: name, alreadyExisted: true });
      const described = await s.client.describeExecution(s.callbackFlow, name);
      expect(described).toMatchObject({ flowName: s.callbackFlow, executionName: name, status: 'Running', startedTime: expect.any(String) });
      expect(JSON.parse(described!.input)).toEqual({ orderId: 'o-1' });
      expect(described!.output).toBeUndefined();
    });

    it('answers alreadyExisted for a name whose execution has ended, instead of failing', async () => {
      const name = unique('ended');
      await s.client.startExecution(s.callbackFlow, name, {});
      await s.client.reportTaskSucceeded(await s.tokenOf(name), { paid: true });
      expect(await s.client.startExecution(s.callbackFlow, name, {})).toEqual({ executionName: name, alreadyExisted: true });
    });

    it('describes a missing execution as undefined, and a missing flow as NotFoundError', async () => {
      expect(await s.client.describeExecution(s.callbackFlow, unique('never'))).toBeUndefined();
      await expect(s.client.startExecution('no-such-flow', unique('x'), {})).rejects.toBeInstanceOf(NotFoundError);
    });

    it('resumes a waiting task with reportTaskSucceeded; a second report is a ConflictError', async () => {
      const name = unique('paid');
      await s.client.startExecution(s.callbackFlow, name, { orderId: 'o-2' });
      const token = await s.tokenOf(name);
      await s.client.reportTaskSucceeded(token, { paid: true, txId: 't-1' });
      const done = await s.client.describeExecution(s.callbackFlow, name);
      expect(done).toMatchObject({ status: 'Succeeded', stoppedTime: expect.any(String) });
      expect(JSON.parse(done!.output!)).toEqual({ paid: true, txId: 't-1' });
      await expect(s.client.reportTaskSucceeded(token, {})).rejects.toBeInstanceOf(ConflictError);
      await expect(s.client.reportTaskFailed(token, 'Late', 'too late')).rejects.toMatchObject({ code: 'TaskAlreadyCompleted', status: 409 });
    });

    it('fails a waiting task with reportTaskFailed; an unknown token is a NotFoundError', async () => {
      const name = unique('declined');
      await s.client.startExecution(s.callbackFlow, name, {});
      await s.client.reportTaskFailed(await s.tokenOf(name), 'PaymentDeclined', 'card declined');
      expect(await s.client.describeExecution(s.callbackFlow, name)).toMatchObject({ status: 'Failed' });
      await expect(s.client.reportTaskSucceeded(Buffer.from('v1#x#y#1#nope').toString('base64url'), {})).rejects.toBeInstanceOf(NotFoundError);
    });
  });
}
