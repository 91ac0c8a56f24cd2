import FnF from '@alicloud/fnf-2019-03-15';
import OpenApi, * as $OpenApi from '@alicloud/openapi-client';
import RPCClient from '@alicloud/pop-core';
import * as $Util from '@alicloud/tea-util';
import { createHmac } from 'node:crypto';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { FnfEmulator } from '../../scripts/local/emulators/fnf';
import { rpcStringToSign } from '../../scripts/local/emulators/fnf/rpc-signature';
import type { TaskRequest } from '../../scripts/local/flow-engine/model';
import { eventually } from '../helpers/eventually';
import { startWorkerFnf, workerArn, workerFlowDefinition } from '../helpers/fnf-worker';
import { tempDir } from '../helpers/temp';

/**
 * The FnF/CloudFlow API emulator as its users reach it: the official `@alicloud/fnf-2019-03-15` SDK
 * (pop-core, signature 1.0), the Tea core `@alicloud/openapi-client` (ACS3 signature), and plain HTTP.
 * Tasks are answered by an in-process invoker here; the local cloud test runs real functions.
 */
type ApiError = Error & { code: string; entry?: { response?: { statusCode: number } }; data?: { Code: string; Message: string; RequestId: string; HostId: string } };

const arn = workerArn;
const definition = (name: string, extra = '') => workerFlowDefinition(name, extra.includes('callback') ? 'WaitForCustomCallback' : 'RequestComplete');

async function rejection(promise: Promise<unknown>): Promise<ApiError> {
  try {
    await promise;
  } catch (err) {
    return err as ApiError;
  }
  throw new Error('expected the call to fail');
}

describe('FnF API emulator', () => {
  const dir = tempDir('fnf-api-');
  let fnf: FnfEmulator;
  let client: FnF;
  let calls: TaskRequest[];
  let hold: Map<string, () => void>;
  let tokenOf: (executionName: string) => Promise<string>;

  beforeAll(async () => {
    ({ fnf, calls, hold, tokenOf } = await startWorkerFnf(dir.path));
    client = new FnF({ endpoint: fnf.endpoint, ...LOCAL_CREDENTIALS });
    await client.createFlow({ Name: 'api-flow', Definition: definition('api-flow'), Description: 'test flow', Type: 'FDL' });
    await client.createFlow({ Name: 'api-callback', Definition: definition('api-callback', 'callback'), Description: 'callbacks', Type: 'FDL' });
  });
  afterAll(async () => {
    for (const release of hold?.values() ?? []) release();
    await fnf?.close();
    dir.cleanup();
  });

  describe('flows', () => {
    it('are created, described, listed with paging, updated and deleted', async () => {
      const created = await client.createFlow({ Name: 'api-temp', Definition: definition('api-temp'), Description: 'temp', Type: 'FDL', RoleArn: 'acs:ram::1000000000000001:role/fnf' });
      expect(created).toMatchObject({ Name: 'api-temp', Type: 'FDL', Description: 'temp', RoleArn: 'acs:ram::1000000000000001:role/fnf', ExecutionMode: 'Standard', RequestId: expect.any(String) });
      expect(await client.describeFlow({ Name: 'api-temp' })).toMatchObject({ Name: 'api-temp', Definition: definition('api-temp'), Id: created.Id, CreatedTime: created.CreatedTime });
      const first = await client.listFlows({ Limit: 2 });
      expect(first.Flows.map((f) => f.Name)).toEqual(['api-callback', 'api-flow']);
      const second = await client.listFlows({ Limit: 2, NextToken: first.NextToken! });
      expect(second.Flows.map((f) => f.Name)).toEqual(['api-temp']);
      expect(second.NextToken).toBeUndefined();
      expect(await client.updateFlow({ Name: 'api-temp', Description: 'changed' })).toMatchObject({ Description: 'changed', Definition: definition('api-temp') });
      await client.deleteFlow({ Name: 'api-temp' });
      const gone = await rejection(client.describeFlow({ Name: 'api-temp' }));
      expect([gone.code, gone.entry?.response?.statusCode, gone.data?.Message]).toEqual(['FlowNotExists', 404, 'Flow api-temp does not exist.']);
    });

    it('refuse a definition the local engine cannot run, naming the state and the field', async () => {
      const bad = definition('api-bad').replace('    End: true', '    HeartbeatSeconds: 10\n    End: true').replace('TaskMode: RequestComplete', 'TaskMode: WaitForSystemCallback');
      const err = await rejection(client.createFlow({ Name: 'api-bad', Definition: bad, Description: '', Type: 'FDL' }));
      expect([err.code, err.entry?.response?.statusCode]).toEqual(['InvalidArgument', 400]);
      expect(err.data?.Message).toContain('state "Work" (States[0].HeartbeatSeconds): HeartbeatSeconds is not supported');
      expect(err.data?.Message).toContain('state "Work" (States[0].TaskMode): WaitForSystemCallback is not emulated');
      const unknownFunction = await rejection(client.createFlow({ Name: 'api-bad', Definition: definition('api-bad').replace('worker', 'ghost'), Description: '', Type: 'FDL' }));
      expect(unknownFunction.data?.Message).toContain('function ghost is not declared in s.yaml');
      const mismatch = await rejection(client.createFlow({ Name: 'other-name', Definition: definition('api-bad'), Description: '', Type: 'FDL' }));
      expect(mismatch.data?.Message).toBe('Definition: Name "api-bad" must equal the flow name "other-name"');
      const exists = await rejection(client.createFlow({ Name: 'api-flow', Definition: definition('api-flow'), Description: '', Type: 'FDL' }));
      expect([exists.code, exists.entry?.response?.statusCode]).toEqual(['FlowAlreadyExists', 409]);
      const express = await rejection(client.request('CreateFlow', { Name: 'api-x', Definition: definition('api-x'), Description: '', Type: 'FDL', ExecutionMode: 'Express' }, { method: 'POST' }));
      expect(express.data?.Message).toBe('ExecutionMode Express is not emulated by the local CloudFlow (Standard only)');
    });
  });

  describe('executions', () => {
    it('start, run the task and end; DescribeExecution long-polls until the end', async () => {
      const started = await client.startExecution({ FlowName: 'api-flow', ExecutionName: 'exec-1', Input: JSON.stringify({ wait: true, n: 1 }) });
      expect(started).toMatchObject({ Name: 'exec-1', FlowName: 'api-flow', Status: 'Running', Input: '{"wait":true,"n":1}', Output: '', StoppedTime: '' });
      await eventually(() => expect(hold.has('exec-1')).toBe(true));
      const polling = client.describeExecution({ FlowName: 'api-flow', ExecutionName: 'exec-1', WaitTimeSeconds: 10 });
      hold.get('exec-1')!();
      const done = await polling;
      expect(done).toMatchObject({ Status: 'Succeeded', Output: JSON.stringify({ Body: { done: { wait: true, n: 1 } } }), FlowDefinition: definition('api-flow') });
      expect(Date.parse(done.StoppedTime!)).toBeGreaterThanOrEqual(Date.parse(done.StartedTime));
      expect(calls.find((c) => c.executionName === 'exec-1')).toMatchObject({ functionName: 'worker', resourceArn: arn('worker'), invocationType: 'Sync' });
    });

    it('are idempotent by name: a running name answers that execution, an ended one ExecutionAlreadyExists', async () => {
      await client.startExecution({ FlowName: 'api-flow', ExecutionName: 'exec-same', Input: '{"wait":true}' });
      await eventually(() => expect(hold.has('exec-same')).toBe(true));
      const again = await client.startExecution({ FlowName: 'api-flow', ExecutionName: 'exec-same', Input: '{"other":1}' });
      expect(again).toMatchObject({ Name: 'exec-same', Status: 'Running', Input: '{"wait":true}' });
      hold.get('exec-same')!();
      await eventually(async () => expect((await client.describeExecution({ FlowName: 'api-flow', ExecutionName: 'exec-same' })).Status).toBe('Succeeded'));
      const ended = await rejection(client.startExecution({ FlowName: 'api-flow', ExecutionName: 'exec-same' }));
      expect([ended.code, ended.entry?.response?.statusCode, ended.data?.Message]).toEqual(['ExecutionAlreadyExists', 400, 'Execution exec-same for flow api-flow already exists.']);
      expect(calls.filter((c) => c.executionName === 'exec-same')).toHaveLength(1);
    });

    it('are listed newest first with paging, a status filter and a name prefix; histories page by event', async () => {
      for (const n of [1, 2, 3]) await client.startExecution({ FlowName: 'api-flow', ExecutionName: `list-${n}`, Input: JSON.stringify(n === 2 ? { fail: 'Nope' } : {}) });
      await eventually(async () => expect((await client.listExecutions({ FlowName: 'api-flow', Status: 'Running' })).Executions).toEqual([]));
      const page1 = await client.request<{ Executions: FnF.Execution[]; NextToken?: string }>('ListExecutions', { FlowName: 'api-flow', ExecutionNamePrefix: 'list-', Limit: 2 });
      expect(page1.Executions.map((e) => e.Name)).toEqual(['list-3', 'list-2']);
      const page2 = await client.request<{ Executions: FnF.Execution[]; NextToken?: string }>('ListExecutions', { FlowName: 'api-flow', ExecutionNamePrefix: 'list-', Limit: 2, NextToken: page1.NextToken });
      expect(page2).toMatchObject({ Executions: [expect.objectContaining({ Name: 'list-1' })] });
      expect(page2.NextToken).toBeUndefined();
      // A token this API never returned is refused, not answered with an empty page (which reads as "no more").
      const badToken = await rejection(client.listExecutions({ FlowName: 'api-flow', NextToken: 'garbage' }));
      expect([badToken.code, badToken.entry?.response?.statusCode, badToken.data?.Message]).toEqual(['InvalidArgument', 400, 'NextToken is not a token this API returned']);
      const failed = await client.listExecutions({ FlowName: 'api-flow', Status: 'Failed' });
      expect(failed.Executions.map((e) => [e.Name, e.Status])).toEqual([['list-2', 'Failed']]);

      const all: FnF.HistoryEvent[] = [];
      let token: string | undefined;
      do {
        const page = await client.getExecutionHistory({ FlowName: 'api-flow', ExecutionName: 'list-2', Limit: 3, ...(token ? { NextToken: token } : {}) });
        all.push(...page.Events);
        token = page.NextToken;
      } while (token);
      expect(all.map((e) => e.Type)).toEqual(['ExecutionStarted', 'StepEntered', 'StepStarted', 'TaskScheduled', 'TaskStarted', 'TaskFailed', 'StepFailed', 'StepExited', 'ExecutionFailed']);
      expect(all.map((e) => e.EventId)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9]);
      expect(JSON.parse(all.at(-1)!.EventDetail)).toEqual({ Error: 'Nope', Cause: 'asked to fail' });
      expect(all[3]).toMatchObject({ StepName: 'Work', ScheduleEventId: 2, Time: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/) });
    });

    it('stop on StopExecution; an ended one answers ExecutionAlreadyCompleted', async () => {
      await client.startExecution({ FlowName: 'api-flow', ExecutionName: 'exec-stop', Input: '{"wait":true}' });
      const stopped = await client.stopExecution({ FlowName: 'api-flow', ExecutionName: 'exec-stop', Error: 'Cancelled', Cause: 'test' });
      expect(stopped).toMatchObject({ Status: 'Stopped', StoppedTime: expect.any(String) });
      const again = await rejection(client.stopExecution({ FlowName: 'api-flow', ExecutionName: 'exec-stop' }));
      expect([again.code, again.entry?.response?.statusCode]).toEqual(['ExecutionAlreadyCompleted', 400]);
      hold.get('exec-stop')?.();
    });

    it('answer ExecutionNotExists and FlowNotExists with 404', async () => {
      const noExec = await rejection(client.describeExecution({ FlowName: 'api-flow', ExecutionName: 'nope' }));
      expect([noExec.code, noExec.entry?.response?.statusCode, noExec.data?.Message]).toEqual(['ExecutionNotExists', 404, 'Execution nope for flow api-flow does not exist.']);
      const noFlow = await rejection(client.getExecutionHistory({ FlowName: 'ghost', ExecutionName: 'x' }));
      expect([noFlow.code, noFlow.entry?.response?.statusCode]).toEqual(['FlowNotExists', 404]);
    });
  });

  describe('task callbacks', () => {
    it('ReportTaskSucceeded resumes the waiting task; a second report is TaskAlreadyCompleted', async () => {
      await client.startExecution({ FlowName: 'api-callback', ExecutionName: 'cb-ok', Input: '{"orderId":"o-1"}' });
      const token = await tokenOf('cb-ok');
      expect(JSON.parse(calls.find((c) => c.executionName === 'cb-ok')!.payload.toString())).toEqual({ input: { orderId: 'o-1' }, token });
      const reported = await client.reportTaskSucceeded({ TaskToken: token, Output: JSON.stringify({ paid: true }) });
      expect(reported.EventId).toEqual(expect.any(Number));
      expect(await client.describeExecution({ FlowName: 'api-callback', ExecutionName: 'cb-ok' })).toMatchObject({ Status: 'Succeeded', Output: '{"paid":true}' });
      const twice = await rejection(client.reportTaskSucceeded({ TaskToken: token, Output: '{}' }));
      expect([twice.code, twice.entry?.response?.statusCode]).toEqual(['TaskAlreadyCompleted', 400]);
    });

    it('ReportTaskFailed fails the task with the reported error; bad tokens and outputs are refused', async () => {
      await client.startExecution({ FlowName: 'api-callback', ExecutionName: 'cb-fail', Input: '{}' });
      const token = await tokenOf('cb-fail');
      const badOutput = await rejection(client.reportTaskSucceeded({ TaskToken: token, Output: 'not json' }));
      expect([badOutput.code, badOutput.data?.Message]).toEqual(['InvalidArgument', 'Output must be JSON']);
      const scalar = await rejection(client.reportTaskSucceeded({ TaskToken: token, Output: '5' }));
      expect([scalar.code, scalar.entry?.response?.statusCode, scalar.data?.Message]).toEqual(['InvalidArgument', 400, 'Output must be a JSON object']);
      await client.reportTaskFailed({ TaskToken: token, Error: 'PaymentDeclined', Cause: 'card 0002' });
      const history = await client.getExecutionHistory({ FlowName: 'api-callback', ExecutionName: 'cb-fail' });
      expect(history.Events.at(-1)).toMatchObject({ Type: 'ExecutionFailed', EventDetail: JSON.stringify({ Error: 'PaymentDeclined', Cause: 'card 0002' }) });
      const invalid = await rejection(client.reportTaskFailed({ TaskToken: 'forged', Error: 'X' }));
      expect([invalid.code, invalid.entry?.response?.statusCode]).toEqual(['InvalidArgument', 400]);
    });
  });

  describe('the RPC protocol', () => {
    it('refuses unemulated actions and unknown parameters by name, and other API versions', async () => {
      const sync = await rejection(client.request('StartSyncExecution', { FlowName: 'api-flow' }, { method: 'POST' }));
      expect([sync.code, sync.entry?.response?.statusCode, sync.data?.Message]).toEqual([
        'ActionNotSupported',
        400,
        "The API operation 'StartSyncExecution' is not emulated by the local CloudFlow: Express flows are not emulated; use StartExecution on a Standard flow.",
      ]);
      const unknown = await rejection(client.request('DescribeFlow', { Name: 'api-flow', Verbose: 'true' }));
      expect([unknown.code, unknown.data?.Message]).toEqual(['InvalidArgument', 'Parameter Verbose is not a parameter of DescribeFlow the local CloudFlow knows.']);
      const missing = await rejection(client.request('StartExecution', {}, { method: 'POST' }));
      expect([missing.code, missing.data?.Message]).toEqual(['MissingRequiredParams', "The HTTP query 'FlowName' must be specified."]);
      const versioned = new RPCClient({ endpoint: fnf.endpoint, apiVersion: '2020-01-01', ...LOCAL_CREDENTIALS });
      const version = await rejection(versioned.request('ListFlows', {}));
      expect([version.code, version.data?.Message]).toEqual(['APIVersionNotSupported', "The requested API version '2020-01-01' is not supported yet. Please check."]);
    });

    it('refuses an Input nested past what it can copy, and numbers not in decimal digits, by name (D147)', async () => {
      // 5 000 nested arrays parse, but copying them overflowed the stack: a 500 InternalServerError.
      const deep = `{"deep":${'['.repeat(5000)}${']'.repeat(5000)}}`;
      const nested = await rejection(client.startExecution({ FlowName: 'api-flow', ExecutionName: 'too-deep', Input: deep }));
      expect([nested.code, nested.entry?.response?.statusCode, nested.data?.Message]).toEqual(['InvalidArgument', 400, 'Input is nested more than 1000 levels deep']);
      expect((await rejection(client.describeExecution({ FlowName: 'api-flow', ExecutionName: 'too-deep' }))).code).toBe('ExecutionNotExists');
      // `Number()` took `1e2` for 100 and ` 5` for 5.
      for (const limit of ['1e2', ' 5', '0x10']) {
        const refused = await rejection(client.request('ListExecutions', { FlowName: 'api-flow', Limit: limit }));
        expect([limit, refused.code, refused.data?.Message]).toEqual([limit, 'InvalidArgument', 'Limit must be an integer in 1..100']);
      }
      const wait = await rejection(client.request('DescribeExecution', { FlowName: 'api-flow', ExecutionName: 'x', WaitTimeSeconds: '1e1' }));
      expect([wait.code, wait.data?.Message]).toEqual(['InvalidArgument', 'WaitTimeSeconds must be an integer in 0..60']);
    });

    it('checks signatures: a wrong secret, an unknown key, a stale timestamp, a replayed request, no signature', async () => {
      const wrongSecret = new FnF({ endpoint: fnf.endpoint, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: 'wrong' });
      const mismatch = await rejection(wrongSecret.listFlows({}));
      expect([mismatch.code, mismatch.entry?.response?.statusCode]).toEqual(['SignatureNotMatch', 403]);
      const unknownKey = new FnF({ endpoint: fnf.endpoint, accessKeyId: 'LTAI-nobody', accessKeySecret: 'x' });
      const badKey = await rejection(unknownKey.listFlows({}));
      expect([badKey.code, badKey.entry?.response?.statusCode, badKey.data?.Message]).toEqual(['InvalidAccessKeyID', 403, 'The AccessKey ID LTAI-nobody is invalid.']);
      // The local key is an STS key: like the cloud, it needs its security token, and only that one.
      const tokenless = new FnF({ endpoint: fnf.endpoint, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret });
      const noToken = await rejection(tokenless.listFlows({}));
      expect([noToken.code, noToken.entry?.response?.statusCode, noToken.data?.Message]).toEqual(['MissingSecurityToken', 400, 'SecurityToken is mandatory for this action.']);
      const otherToken = new FnF({ endpoint: fnf.endpoint, ...LOCAL_CREDENTIALS, securityToken: 'someone-elses-token' });
      const mismatched = await rejection(otherToken.listFlows({}));
      expect([mismatched.code, mismatched.entry?.response?.statusCode]).toEqual(['InvalidSecurityToken.MismatchWithAccessKey', 403]);

      const stale: Record<string, string> = { Action: 'ListFlows', Format: 'JSON', Version: '2019-03-15', Timestamp: new Date(Date.now() - 3600_000).toISOString().replace(/\.\d+Z$/, 'Z'), SignatureMethod: 'HMAC-SHA1', SignatureVersion: '1.0', SignatureNonce: 'stale-1', AccessKeyId: LOCAL_CREDENTIALS.accessKeyId };
      stale.Signature = createHmac('sha1', `${LOCAL_CREDENTIALS.accessKeySecret}&`).update(rpcStringToSign('GET', stale)).digest('base64');
      const staleRes = await fetch(`${fnf.endpoint}/?${new URLSearchParams(stale)}`);
      expect([staleRes.status, ((await staleRes.json()) as { Code: string }).Code]).toEqual([403, 'RequestTimeTooSkewed']);

      // pop-core's second constructor argument (verbose) makes it answer [body, {url, …}]: the signed URL to replay.
      const Verbose = RPCClient as unknown as new (config: object, verbose: boolean) => { request(a: string, p: object): Promise<[unknown, { url: string }]> };
      const verbose = new Verbose({ endpoint: fnf.endpoint, apiVersion: '2019-03-15', ...LOCAL_CREDENTIALS }, true);
      const [, entry] = await verbose.request('ListFlows', {});
      const replay = await fetch(entry.url);
      expect([replay.status, ((await replay.json()) as { Code: string }).Code]).toEqual([400, 'SignatureNonceUsed']);

      const unsigned = await fetch(`${fnf.endpoint}/?Action=ListFlows&Version=2019-03-15`);
      expect(unsigned.status).toBe(400);
      expect(await unsigned.json()).toMatchObject({ Code: 'MissingRequiredParams', RequestId: expect.any(String), HostId: expect.any(String) });
      expect(unsigned.headers.get('x-acs-request-id')).toEqual(expect.any(String));
    });

    it('serves the Tea SDK core (@alicloud/openapi-client, ACS3-HMAC-SHA256) too', async () => {
      const tea = new OpenApi(new $OpenApi.Config({ ...LOCAL_CREDENTIALS, endpoint: fnf.endpoint.replace('http://', ''), protocol: 'HTTP' }));
      const call = (action: string, method: 'GET' | 'POST', query: Record<string, string>) =>
        tea.callApi(new $OpenApi.Params({ action, version: '2019-03-15', protocol: 'HTTP', pathname: '/', method, authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' }), new $OpenApi.OpenApiRequest({ query }), new $Util.RuntimeOptions({}));
      const started = await call('StartExecution', 'POST', { FlowName: 'api-flow', ExecutionName: 'tea-1', Input: '{"via":"tea"}' });
      expect(started.body).toMatchObject({ Name: 'tea-1', Status: 'Running' });
      await eventually(async () => expect(((await call('DescribeExecution', 'GET', { FlowName: 'api-flow', ExecutionName: 'tea-1' })).body as { Status: string }).Status).toBe('Succeeded'));
      const missing = await rejection(call('DescribeFlow', 'GET', { Name: 'ghost' }));
      expect([missing.code, (missing.data as unknown as { statusCode: number }).statusCode]).toEqual(['FlowNotExists', 404]);
      const wrong = new OpenApi(new $OpenApi.Config({ ...LOCAL_CREDENTIALS, accessKeySecret: 'wrong', endpoint: fnf.endpoint.replace('http://', ''), protocol: 'HTTP' }));
      const denied = await rejection(wrong.callApi(new $OpenApi.Params({ action: 'ListFlows', version: '2019-03-15', protocol: 'HTTP', pathname: '/', method: 'GET', authType: 'AK', style: 'RPC', reqBodyType: 'formData', bodyType: 'json' }), new $OpenApi.OpenApiRequest({ query: {} }), new $Util.RuntimeOptions({})));
      expect(denied.code).toBe('SignatureNotMatch');
    });
  });
});
