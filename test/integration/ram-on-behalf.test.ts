/**
 * What the platform does on a function's or a resource's behalf is held to the role it does it with (D152), and a
 * refusal fails the way the cloud fails — at run time, with the work lost or retried, and said where one looks:
 * - a trigger's invocationRole (OSS, MNS topic, TableStore) that may not invoke the function, or that the source
 *   service may not assume: the event does not invoke it (FC FAQ "a trigger cannot trigger function execution");
 *   OSS's event is lost, MNS retries the push by its NotifyStrategy, TableStore retries the batch;
 * - a function's role that may not send to its async destination: the result is not delivered;
 * - a flow's role that may not invoke a Task's function: the task fails with FC.AccessDenied, which Catch matches.
 * Each is named (role, action, resource) at start and when it happens. Fixture: test/fixtures/apps/roles-on-behalf.
 */
import { join } from 'node:path';
import OSS from 'ali-oss';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { copyFixtureApp } from '../helpers/fixture-app';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

const FN = (name: string) => `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/${name}`;

describe('roles the platform acts with, in the local cloud', () => {
  const dir = tempDir('ram-on-behalf-');
  let cloud: LocalCloud;
  const said: string[] = [];
  const id = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

  beforeAll(async () => {
    copyFixtureApp('roles-on-behalf', join(dir.path, 'app'));
    cloud = await startLocalCloud({
      root: join(dir.path, 'app'),
      port: 0,
      dataDir: join(dir.path, 'data'),
      prewarm: false,
      watch: false,
      env: {},
      asyncRetryBaseMs: 10,
      mnsPushRetryScale: 0.0005,
      onAccessDenied: (text) => said.push(text),
    });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const invocationsOf = async (fn: string) => ((await (await fetch(`${cloud.url}/_local/api/invocations?fn=${fn}&limit=50`)).json()) as { source: string }[]);
  const denialsOf = (caller: string) => cloud.onBehalf.denials().filter((d) => d.caller === caller);

  it('says at start what each role will be refused, and nothing of the roles that may', () => {
    const text = said.join('\n');
    expect(text).toContain(`oss trigger denied-uploads of fx-ob-oss-denied: RAM role fx-ob-invoker may not fc:InvokeFunction on ${FN('fx-ob-oss-denied')}`);
    expect(text).toContain(`mns_topic trigger events of fx-ob-topic-denied: RAM role fx-ob-invoker may not fc:InvokeFunction on ${FN('fx-ob-topic-denied')}`);
    expect(text).toContain('tablestore trigger entries-stream of fx-ob-stream-denied: RAM role fx-ob-invoker does not trust ots.aliyuncs.com');
    expect(text).toContain(`onFailure destination of fx-ob-fails-denied: RAM role fx-ob-fn may not mns:SendMessage on acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:/queues/fx-ob-dlq/messages`);
    expect(text).toContain(`flow fx-ob-flow: RAM role fx-ob-flow-role may not fc:InvokeFunction on ${FN('fx-ob-oss-denied')}/LATEST`);
    expect(text).not.toMatch(/fx-ob-oss-ok:|fx-ob-fails-ok:|functions\/fx-ob-oss-ok/);
  });

  it("does not invoke a function whose OSS trigger's role may not, and names role, action and resource", async () => {
    const oss = new OSS({ region: 'oss-cn-hangzhou', endpoint: cloud.oss.endpoint, bucket: 'fx-ob-media', sldEnable: true, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, accessKeySecret: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken } as OSS.Options);
    const key = id('up');
    await oss.put(`denied/${key}`, Buffer.from('x'));
    await oss.put(`ok/${key}`, Buffer.from('x'));
    // The sibling trigger with the same role is delivered: the role is checked per function.
    await eventually(async () => expect((await invocationsOf('fx-ob-oss-ok')).some((r) => r.source === 'oss:ok-uploads')).toBe(true));
    const [denial] = denialsOf('OSS trigger denied-uploads of fx-ob-oss-denied');
    expect(denial).toMatchObject({ role: 'fx-ob-invoker', action: 'fc:InvokeFunction', resource: FN('fx-ob-oss-denied'), kind: 'ImplicitDeny' });
    expect(denial!.outcome).toContain(`fx-ob-media/denied/${key} was not delivered`);
    expect(await invocationsOf('fx-ob-oss-denied')).toEqual([]);
    // The console lists it.
    const listed = (await (await fetch(`${cloud.url}/_local/api/denials`)).json()) as { caller: string }[];
    expect(listed.map((d) => d.caller)).toContain('OSS trigger denied-uploads of fx-ob-oss-denied');
  });

  it('fails the MNS push to a function its topic trigger\'s role may not invoke: MNS retries it, then gives up', async () => {
    cloud.mns.emulator.topics.publish('fx-ob-events', { body: JSON.stringify({ n: id('msg') }) });
    await eventually(() => {
      const push = cloud.mns.emulator.pushes(100).find((p) => p.topic === 'fx-ob-events');
      expect(push?.status).toBe('failed');
      expect(push?.last_error).toContain(`AccessDenied: RAM role fx-ob-invoker may not fc:InvokeFunction on ${FN('fx-ob-topic-denied')}`);
    });
    expect(await invocationsOf('fx-ob-topic-denied')).toEqual([]);
  });

  it("holds a TableStore trigger's stream records when TableStore cannot assume its role, saying why", async () => {
    const table = new TableStoreTable({ endpoint: cloud.tablestore.endpoint, instance: 'fx-ob', credentials: LOCAL_CREDENTIALS, schemas: [{ name: 'entries', primaryKey: [{ name: 'id', type: 'STRING' }] }] });
    await table.putRow('entries', { id: id('row') }, { v: 1 });
    await eventually(() => {
      const status = cloud.tableStreams.status().find((s) => s.function === 'fx-ob-stream-denied');
      expect(status?.problem).toContain('AccessDenied: RAM role fx-ob-invoker does not trust ots.aliyuncs.com');
      expect(status?.problem).toContain(`sts:AssumeRole on acs:ram::${LOCAL_ACCOUNT_ID}:role/fx-ob-invoker`);
    });
    expect(denialsOf('TableStore trigger entries-stream of fx-ob-stream-denied')).toHaveLength(1);
    expect(await invocationsOf('fx-ob-stream-denied')).toEqual([]);
  });

  it("does not deliver an async result to a destination the function's role may not send to", async () => {
    const denied = cloud.asyncInvoker.enqueue('fx-ob-fails-denied', Buffer.from('{"fail":true}'), 'test');
    const allowed = cloud.asyncInvoker.enqueue('fx-ob-fails-ok', Buffer.from('{"fail":true}'), 'test');
    await eventually(() => {
      expect(cloud.asyncInvoker.get(denied)).toMatchObject({ status: 'failed', destination_owed: null });
      expect(cloud.asyncInvoker.get(allowed)).toMatchObject({ status: 'failed', destination_owed: null, destination_error: null });
    });
    expect(cloud.asyncInvoker.get(denied)?.destination_error).toContain(`AccessDenied: RAM role fx-ob-fn may not mns:SendMessage on acs:mns:cn-hangzhou:${LOCAL_ACCOUNT_ID}:/queues/fx-ob-dlq/messages`);
    const bodies = cloud.mns.emulator.queues.peek('fx-ob-dlq', 20).map((m) => m.body);
    expect(bodies.some((b) => b.includes(allowed))).toBe(true);
    expect(bodies.some((b) => b.includes(denied))).toBe(false);
  });

  it("fails a flow's task with FC.AccessDenied when its role may not invoke the function; Catch sees it", async () => {
    const name = id('exec');
    cloud.fnf.engine.startExecution('fx-ob-flow', name, {});
    await eventually(() => expect(cloud.fnf.engine.describeExecution('fx-ob-flow', name).status).toBe('Succeeded'));
    const events = cloud.fnf.engine.history('fx-ob-flow', name);
    expect(events.some((e) => e.stepName === 'Allowed' && e.type === 'TaskSucceeded')).toBe(true);
    const failed = events.find((e) => e.stepName === 'Denied' && e.type === 'TaskFailed');
    expect(failed?.detail).toMatchObject({ Error: 'FC.AccessDenied' });
    expect(String(failed?.detail.Cause)).toContain(`RAM role fx-ob-flow-role may not fc:InvokeFunction on ${FN('fx-ob-oss-denied')}/LATEST`);
    expect(events.some((e) => e.stepName === 'Refused')).toBe(true);
    expect(await invocationsOf('fx-ob-oss-denied')).toEqual([]);
  });
});
