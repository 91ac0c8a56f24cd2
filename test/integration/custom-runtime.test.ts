import { join } from 'node:path';
import { GetFunctionRequest } from '@alicloud/fc20230330';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';
import { invokeWithSdk, localFcClient, processAlive } from '../helpers/fc-sdk';

/**
 * FC 3.0's custom runtime in the local cloud (D123), on a user's plain `node server.js` (test/fixtures/apps/custom):
 * the server is started as each instance and reached through the gateway's HTTP trigger and the FC API's
 * InvokeFunction (the real @alicloud/fc20230330 client), with FC's headers, hooks, instanceConcurrency, crashes
 * and timeouts.
 */

interface Facts {
  pid: number;
  requestId: string;
  controlPath: string;
  functionName: string;
  region: string;
  greeting: string;
  listenPort: number;
  customListenPort: string;
  accessKeyId?: string;
  cwd: string;
  initializations: number;
  maxActive: number;
}

describe('custom runtime', () => {
  const dir = tempDir('fx-custom-');
  let cloud: LocalCloud;
  const logs: { fn: string; text: string }[] = [];

  beforeAll(async () => {
    copyFixtureApp('custom', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, onLog: (fn, text) => logs.push({ fn: fn.name, text }) });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const sdk = () => localFcClient(cloud.url);
  const invokeFunction = (name: string, event: unknown) => invokeWithSdk(cloud.url, name, event);

  it('passes an HTTP trigger request through to the server as it came, with FC headers, and its response back', async () => {
    const res = await fetch(`${cloud.url}/_fc/fx-web/hello/world?x=1&y=two`, { method: 'POST', body: 'ping', headers: { 'x-custom': 'yes', 'x-fc-request-id': 'forged', constructor: 'from-client' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('server.js');
    expect(res.headers.get('constructor')).toBe('from-server');
    expect(res.headers.getSetCookie()).toEqual(['a=1; Path=/', 'b=2; Path=/']);
    const got = (await res.json()) as Facts & { method: string; path: string; query: string; body: string; custom: string; named: string };
    expect(got).toMatchObject({ method: 'POST', path: '/hello/world', query: '?x=1&y=two', body: 'ping', custom: 'yes', named: 'from-client', controlPath: '/http-invoke' });
    expect(got.requestId).toBe(res.headers.get('x-fc-request-id'));
    expect(got).toMatchObject({ functionName: 'fx-web', region: 'cn-hangzhou', greeting: 'hello from s.yaml' });
    // fx-web has no role: FC sends it no x-fc-access-key-* headers (D157; role-credentials.test.ts has both cases).
    expect(got.accessKeyId).toBeUndefined();
    expect(String(got.listenPort)).toBe(got.customListenPort);
    expect(got.cwd).toBe(join(dir.path, 'app', 'code', 'web'));
    // The initializer ran once, before the first request reached the server.
    expect(got.initializations).toBe(1);
    // What the server printed while starting is in the function's log too.
    expect(logs).toContainEqual({ fn: 'fx-web', text: `listening on ${got.listenPort}\n` });
    const missing = await fetch(`${cloud.url}/_fc/fx-web/missing`);
    expect(missing.status).toBe(404);
  });

  it('sends an InvokeFunction event as POST /invoke and answers with the body the server returned', async () => {
    const { status, headers, text } = await invokeFunction('fx-web', { hello: 'event' });
    expect(status).toBe(200);
    const got = JSON.parse(text) as Facts & { event: unknown; contentType: string };
    expect(got).toMatchObject({ event: { hello: 'event' }, controlPath: '/invoke', contentType: 'application/octet-stream', requestId: headers['x-fc-request-id'] });
    expect(headers['x-fc-error-type']).toBeUndefined();
    // The server's output is the function's log, as for any other function: printed, and in the invocation's record.
    await eventually(() => expect(logs.some((l) => l.fn === 'fx-web' && l.text.includes(`FC Invoke Start RequestId: ${got.requestId}`))).toBe(true));
    const record = cloud.runtime.recent({ functionName: 'fx-web' }).find((r) => r.requestId === got.requestId);
    expect(record).toMatchObject({ status: 'succeeded', source: 'invoke-api' });
    expect(record!.logs).toContain(`FC Invoke End RequestId: ${got.requestId}`);
  });

  it('reports a 404 / x-fc-status 404 from /invoke as a function error with the server body', async () => {
    const { status, headers, text } = await invokeFunction('fx-web', { fail: 'on purpose' });
    expect(status).toBe(200);
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(text).toBe('failed on purpose: on purpose');
    expect(cloud.runtime.recent({ functionName: 'fx-web', limit: 1 })[0]).toMatchObject({ status: 'failed' });
  });

  it('lets one instance serve up to instanceConcurrency requests at once', async () => {
    const answers = await Promise.all([1, 2, 3, 4].map(() => fetch(`${cloud.url}/_fc/fx-web/slow?sleepMs=400`).then((r) => r.json() as Promise<Facts>)));
    expect(new Set(answers.map((a) => a.pid)).size).toBe(1);
    expect(Math.max(...answers.map((a) => a.maxActive))).toBeGreaterThanOrEqual(4);
    expect(cloud.runtime.poolStats().find((p) => p.name === 'fx-web')!.instances).toBe(1);
  });

  it('answers a crash as FC does and replaces the process on the next request', async () => {
    const before = JSON.parse((await invokeFunction('fx-web-solo', {})).text) as Facts;
    expect(before.cwd).toBe(join(dir.path, 'app', 'code', 'web'));
    const crash = await invokeFunction('fx-web-solo', { crash: true });
    expect(crash.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(crash.text)).toMatchObject({ errorMessage: 'Process exited unexpectedly before completing request' });
    const after = JSON.parse((await invokeFunction('fx-web-solo', {})).text) as Facts;
    expect(after.pid).not.toBe(before.pid);
    expect(processAlive(before.pid)).toBe(false);
  });

  it('cuts a request running past the timeout, answers FunctionTimeout and replaces the instance', async () => {
    const before = JSON.parse((await invokeFunction('fx-web-solo', {})).text) as Facts;
    const slow = await invokeFunction('fx-web-solo', { sleepMs: 5000 });
    expect(slow.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(slow.text)).toMatchObject({ errorType: 'FunctionTimeout', errorMessage: 'Function timed out after 1 seconds' });
    expect(cloud.runtime.recent({ functionName: 'fx-web-solo', limit: 1 })[0]).toMatchObject({ status: 'timeout' });
    const after = JSON.parse((await invokeFunction('fx-web-solo', {})).text) as Facts;
    expect(after.pid).not.toBe(before.pid);
    await eventually(() => expect(processAlive(before.pid)).toBe(false));
  });

  it('answers FunctionNotStarted with the server\'s last output when it exits before listening', async () => {
    const { headers, text } = await invokeFunction('fx-web-broken', {});
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    const error = JSON.parse(text) as { errorType: string; errorMessage: string };
    expect(error.errorType).toBe('FunctionNotStarted');
    expect(error.errorMessage).toContain('exited before listening (exit code 2)');
    expect(error.errorMessage).toContain('missing DATABASE_URL');
  });

  it('refuses an asynchronous HTTP invocation of a custom runtime by name rather than queue a wrong event', async () => {
    const res = await fetch(`${cloud.url}/_fc/fx-web/hello`, { headers: { 'x-fc-invocation-type': 'Async' } });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: { code: 'NotImplemented', message: expect.stringContaining('asynchronous HTTP invocations of custom-runtime function fx-web') } });
  });

  it('describes the function with GetFunction: runtime, instanceConcurrency and customRuntimeConfig as s.yaml has them', async () => {
    const got = await sdk().getFunction('fx-web-solo', new GetFunctionRequest({}));
    expect(got.body).toMatchObject({ functionArn: `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/fx-web-solo`, runtime: 'custom.debian10', instanceConcurrency: 1, customRuntimeConfig: { command: ['node', '/code/server.js'], args: [], port: 9000 } });
  });

  it('calls GET /pre-stop before an instance is retired, then stops its process', async () => {
    const served = (await fetch(`${cloud.url}/_fc/fx-web/pid`).then((r) => r.json())) as Facts;
    cloud.runtime.reload(['fx-web']);
    await eventually(() => expect(logs.some((l) => l.fn === 'fx-web' && l.text.startsWith('FC PreStop Start RequestId: '))).toBe(true));
    await eventually(() => expect(processAlive(served.pid)).toBe(false));
  });

  it('stops every server process when the local cloud stops', async () => {
    const pids = await Promise.all([fetch(`${cloud.url}/_fc/fx-web/pid`).then((r) => r.json() as Promise<Facts>), invokeFunction('fx-web-solo', {}).then((r) => JSON.parse(r.text) as Facts)]);
    expect(pids.every((p) => processAlive(p.pid))).toBe(true);
    await cloud.stop();
    expect(pids.map((p) => processAlive(p.pid))).toEqual([false, false]);
  });
});
