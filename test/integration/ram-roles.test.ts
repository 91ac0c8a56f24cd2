/**
 * RAM on a laptop (D144): each function gets its role's temporary credentials, and every emulator holds them to
 * the role's policies in the ROS template, answering as the service does when RAM says no — OSS 403 AccessDenied
 * XML (EC 0003-00000202 / 0003-00000201), TableStore 403 OTSNoPermissionAccess, MNS 403 AccessDenied, FC and
 * CloudFlow 403 AccessDenied JSON — naming the action and the resource. The account's own key may do anything.
 * Fixture: test/fixtures/apps/roles (fx-writer and fx-reader run the same code under different roles).
 */
import { join } from 'node:path';
import { createMnsClient } from '#shared/aliyun/mns-client';
import { MnsQueue } from '#shared/aliyun/mns-queue';
import { FcFunctionInvoker } from '#shared/aliyun/fc-invoker';
import { FnfWorkflowClient } from '#shared/aliyun/fnf-workflow-client';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import OSS from 'ali-oss';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS, roleCredentials } from '../../scripts/local/credentials';
import { startFnfEmulator } from '../../scripts/local/emulators/fnf';
import { copyFixtureApp } from '../helpers/fixture-app';
import { tempDir } from '../helpers/temp';

const KV = [{ name: 'kv', primaryKey: [{ name: 'id', type: 'STRING' as const }] }];

describe('RAM roles in the local cloud', () => {
  const dir = tempDir('ram-roles-');
  let cloud: LocalCloud;
  const writer = roleCredentials('fx-writer');
  const reader = roleCredentials('fx-reader');
  const id = (label: string) => `${label}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`;

  beforeAll(async () => {
    copyFixtureApp('roles', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const invoke = async (fn: string, event: object) => {
    const record = await cloud.runtime.invoke(fn, Buffer.from(JSON.stringify(event)), { source: 'test' });
    expect(record.error).toBeUndefined();
    return JSON.parse(record.payload.toString()) as Record<string, unknown>;
  };
  const oss = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken: string }) =>
    new OSS({ region: 'oss-cn-hangzhou', endpoint: cloud.oss.endpoint, bucket: 'fx-roles-media', sldEnable: true, accessKeyId: credentials.accessKeyId, accessKeySecret: credentials.accessKeySecret, stsToken: credentials.securityToken, retryMax: 0 } as OSS.Options);
  const table = (credentials: typeof writer) => new TableStoreTable({ endpoint: cloud.tablestore.endpoint, instance: 'fx-roles', credentials, schemas: KV });
  const queue = (credentials: typeof writer) => new MnsQueue(createMnsClient({ credentials, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.mns.emulator.endpoint }));
  const fc = (credentials: typeof writer) => new FcFunctionInvoker({ credentials, region: 'cn-hangzhou', accountId: LOCAL_ACCOUNT_ID, endpoint: cloud.url });

  it("hands each function its own role's credentials, which OSS holds to that role's policy", async () => {
    const key = `${id('probe')}.txt`;
    expect(await invoke('fx-writer', { key })).toEqual({ written: true, accessKeyId: writer.accessKeyId });
    const denied = await invoke('fx-reader', { key });
    expect(denied).toMatchObject({ written: false, status: 403, code: 'AccessDenied', accessKeyId: reader.accessKeyId });
    expect(denied.message).toContain(`RAM role fx-reader may not oss:PutObject on acs:oss:*:${LOCAL_ACCOUNT_ID}:fx-roles-media/${key}`);
    // What the reader may do, it does: the writer's object reads back.
    expect(((await oss(reader).get(key)).content as Buffer).toString()).toBe('written by fx-writer');
  });

  it("answers OSS's own AccessDenied XML: the action, ImplicitDeny or ExplicitDeny, and the EC", async () => {
    const res = await fetch(oss(reader).signatureUrl(`${id('url')}.txt`, { method: 'PUT', expires: 60 }), { method: 'PUT', body: new Uint8Array([120]) });
    expect(res.status).toBe(403);
    const xml = await res.text();
    expect(xml).toMatch(/<Code>AccessDenied<\/Code>/);
    expect(xml).toMatch(/<AuthAction>oss:PutObject<\/AuthAction>/);
    expect(xml).toMatch(/<NoPermissionType>ImplicitDeny<\/NoPermissionType>/);
    expect(xml).toMatch(/<EC>0003-00000202<\/EC>/);
    // A Deny statement wins over an Allow of the same role.
    await expect(oss(writer).put(`locked/${id('x')}`, Buffer.from('x'))).rejects.toMatchObject({ status: 403, code: 'AccessDenied', message: expect.stringMatching(/a Deny statement of its policies matches/) as unknown });
  });

  it("holds a browser form upload (PostObject) signed with a role's STS key to that role's policy", async () => {
    const post = async (client: OSS, credentials: typeof writer, key: string) => {
      const signed = client.calculatePostSignature({ expiration: new Date(Date.now() + 60_000).toISOString(), conditions: [['eq', '$key', key]] });
      const form = new FormData();
      form.set('key', key);
      form.set('OSSAccessKeyId', signed.OSSAccessKeyId);
      form.set('policy', signed.policy);
      form.set('Signature', signed.Signature);
      form.set('x-oss-security-token', credentials.securityToken);
      form.set('file', new Blob(['posted']), 'posted.txt');
      return fetch(`${cloud.oss.endpoint}/fx-roles-media`, { method: 'POST', body: form });
    };
    const deniedKey = `${id('form')}.txt`;
    const denied = await post(oss(reader), reader, deniedKey);
    expect(denied.status).toBe(403);
    const xml = await denied.text();
    expect(xml).toMatch(/<Code>AccessDenied<\/Code>/);
    expect(xml).toMatch(/<AuthAction>oss:PutObject<\/AuthAction>/);
    expect(xml).toContain(`RAM role fx-reader may not oss:PutObject on acs:oss:*:${LOCAL_ACCOUNT_ID}:fx-roles-media/${deniedKey}`);
    await expect(oss(writer).head(deniedKey)).rejects.toMatchObject({ status: 404 });
    // The writer's role may: its form is stored.
    const allowedKey = `${id('form')}.txt`;
    expect((await post(oss(writer), writer, allowedKey)).status).toBe(204);
    expect(((await oss(reader).get(allowedKey)).content as Buffer).toString()).toBe('posted');
  });

  it('answers TableStore OTSNoPermissionAccess for an action the role lacks, and serves the ones it has', async () => {
    const key = { id: id('row') };
    await table(writer).putRow('kv', key, { v: 'one' });
    expect((await table(reader).getRow('kv', key))?.attributes).toEqual({ v: 'one' });
    await expect(table(reader).putRow('kv', key, { v: 'two' })).rejects.toThrow(/OTSNoPermissionAccess.*RAM role fx-reader may not ots:PutRow on acs:ots:cn-hangzhou:1000000000000001:instance\/fx-roles\/table\/kv/s);
    expect((await table(writer).getRow('kv', key))?.attributes).toEqual({ v: 'one' });
  });

  it('answers MNS AccessDenied for a queue the role may not send to', async () => {
    await expect(queue(writer).send('fx-jobs', { body: 'job' })).resolves.toMatchObject({ messageId: expect.any(String) });
    await expect(queue(reader).send('fx-jobs', { body: 'job' })).rejects.toThrow(/AccessDenied|mns:SendMessage on acs:mns:cn-hangzhou:1000000000000001:\/queues\/fx-jobs\/messages/);
  });

  it('answers FC AccessDenied for a function the role may not invoke', async () => {
    await expect(fc(writer).invoke('fx-reader', { key: `${id('via-fc')}.txt` })).resolves.toMatchObject({});
    await expect(fc(reader).invoke('fx-writer', { key: 'x.txt' })).rejects.toThrow(/AccessDenied|fc:InvokeFunction on acs:fc:cn-hangzhou:1000000000000001:functions\/fx-writer/);
  });

  it("leaves the account's own key (users' scripts, npm start's printout) full access", async () => {
    await expect(oss(LOCAL_CREDENTIALS).put(`locked/${id('owner')}`, Buffer.from('x'))).resolves.toBeDefined();
    await expect(table(LOCAL_CREDENTIALS).putRow('kv', { id: id('owner') }, { v: 'x' })).resolves.toBeUndefined();
    await expect(fc(LOCAL_CREDENTIALS).invoke('fx-writer', { key: `${id('owner')}.txt` })).resolves.toBeDefined();
  });

  it('answers CloudFlow AccessDenied (JSON) for an action the role lacks; its calls are granted on "*" only', async () => {
    const fnfDir = tempDir('ram-fnf-');
    const roles = [{ name: 'fx-flow-reader', trustedServices: ['fc.aliyuncs.com'], statements: [{ effect: 'Allow' as const, actions: ['fnf:DescribeExecution'], resources: ['*'] }] }];
    const fnf = await startFnfEmulator({ dataDir: fnfDir.path, region: 'cn-hangzhou', port: 0, functionNames: () => [], access: { roles, region: 'cn-hangzhou' } });
    try {
      const client = new FnfWorkflowClient({ credentials: roleCredentials('fx-flow-reader'), region: 'cn-hangzhou', endpoint: fnf.endpoint });
      // Allowed: the emulator gets as far as the flow, which does not exist.
      await expect(client.describeExecution('no-such-flow', 'e1')).rejects.toThrow(/Flow no-such-flow does not exist/);
      const denied = new FnfWorkflowClient({ credentials: roleCredentials('fx-nobody'), region: 'cn-hangzhou', endpoint: fnf.endpoint });
      await expect(denied.describeExecution('no-such-flow', 'e1')).rejects.toThrow(/RAM role fx-nobody may not fnf:DescribeExecution on \*/);
    } finally {
      await fnf.close();
      fnfDir.cleanup();
    }
  });
});
