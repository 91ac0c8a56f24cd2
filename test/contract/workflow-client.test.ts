import { FnfWorkflowClient } from '#shared/aliyun/fnf-workflow-client';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startFnfEmulator } from '../../scripts/local/emulators/fnf';
import { eventually } from '../helpers/eventually';
import { FakeWorkflowClient } from '../helpers/fake-workflow';
import { tempDir } from '../helpers/temp';
import { describeWorkflowClientContract } from './workflow-client.contract';

/**
 * The WorkflowClient contract against the FnF adapter (`@alicloud/fnf-2019-03-15` through the FnF
 * emulator, signatures checked) and against the in-memory fake unit tests use.
 */
const CALLBACK_FLOW = [
  'Type: StateMachine',
  'Name: contract-callback',
  'SpecVersion: v1',
  'StartAt: Wait',
  'States:',
  '  - Type: Task',
  '    Name: Wait',
  '    Action: FC:InvokeFunction',
  '    TaskMode: WaitForCustomCallback',
  '    Parameters:',
  '      resourceArn: acs:fc:::functions/hand-out',
  '      invocationType: Sync',
  '      body:',
  '        token.$: $Context.Current.TaskToken',
  '    End: true',
  '',
].join('\n');

describeWorkflowClientContract('FnfWorkflowClient against the FnF emulator', async () => {
  const dir = tempDir('wf-contract-');
  const tokens = new Map<string, string>();
  const fnf = await startFnfEmulator({
    dataDir: dir.path,
    port: 0,
    region: 'cn-hangzhou',
    functionNames: () => ['hand-out'],
    invoker: {
      invoke: async (request) => {
        tokens.set(request.executionName, (JSON.parse(request.payload.toString()) as { token: string }).token);
        return { ok: true, payload: Buffer.from('{}') };
      },
    },
  });
  fnf.connect();
  fnf.engine.putFlow({ name: 'contract-callback', definition: CALLBACK_FLOW });
  return {
    client: new FnfWorkflowClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', endpoint: fnf.endpoint }),
    callbackFlow: 'contract-callback',
    tokenOf: (name) =>
      eventually(() => {
        const token = tokens.get(name);
        if (!token) throw new Error(`no task token for ${name} yet`);
        return token;
      }),
    close: async () => {
      await fnf.close();
      dir.cleanup();
    },
  };
});

describeWorkflowClientContract('FakeWorkflowClient', async () => {
  const client = new FakeWorkflowClient(['contract-callback']);
  return {
    client,
    callbackFlow: 'contract-callback',
    tokenOf: async (name) => client.issueToken('contract-callback', name),
    close: async () => undefined,
  };
});

describe('FnfWorkflowClient outside the contract', () => {
  it('defaults to the public CloudFlow endpoint of its region and passes SDK errors it does not map', async () => {
    const client = new FnfWorkflowClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-hangzhou', endpoint: 'http://127.0.0.1:1', timeoutMs: 2000 });
    await expect(client.describeExecution('f', 'e')).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const cloud = new FnfWorkflowClient({ credentials: LOCAL_CREDENTIALS, region: 'cn-shanghai' }) as unknown as { client: { endpoint: string } };
    expect(cloud.client.endpoint).toBe('https://cn-shanghai.fnf.aliyuncs.com');
  });
});
