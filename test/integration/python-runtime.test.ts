import { join } from 'node:path';
import { GetFunctionRequest } from '@alicloud/fc20230330';
import { LOCAL_ACCOUNT_ID } from '../../scripts/local/credentials';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';
import { copyFixtureApp } from '../helpers/fixture-app';
import { invokeWithSdk, localFcClient, processAlive } from '../helpers/fc-sdk';

/**
 * FC 3.0's built-in Python runtimes in the local cloud (D131), on a user's plain code folder (test/fixtures/apps/python):
 * `handler(event, context)` on the host's python3 behind the local cloud's bootstrap, reached through the gateway's
 * HTTP trigger and the FC API (the real @alicloud/fc20230330 client), with FC's context, hooks, errors and timeouts.
 */

interface Facts {
  pid: number;
  cwd: string;
  eventType: string;
  greeting: string;
  initializations: number;
  vendored: string | null;
  context: {
    request_id: string;
    region: string;
    account_id: string;
    function: Record<string, unknown>;
    hasCredentials: boolean;
    hasLoggerAttribute: boolean;
    access_key_id?: string;
    service?: Record<string, unknown>;
    tracing?: Record<string, unknown>;
    log_project?: string;
  };
  http?: { method: string; rawPath: string; query: Record<string, string>; body: string; custom: string };
  event?: unknown;
}

describe('python runtimes', () => {
  const dir = tempDir('fx-python-');
  let cloud: LocalCloud;
  const logs: { fn: string; text: string }[] = [];
  const logOf = (fn: string) => logs.filter((l) => l.fn === fn).map((l) => l.text).join('');

  beforeAll(async () => {
    copyFixtureApp('python', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {}, onLog: (fn, text) => logs.push({ fn: fn.name, text }) });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const sdk = () => localFcClient(cloud.url);
  const invokeFunction = (name: string, event: unknown, async = false) => invokeWithSdk(cloud.url, name, event, { async });

  it('answers an HTTP trigger request with the {statusCode, headers, body} the handler returned for FC\'s HTTP event', async () => {
    const res = await fetch(`${cloud.url}/_fc/py-web/hello/world?x=1&x=2`, { method: 'POST', body: 'ping', headers: { 'x-custom': 'yes', 'content-type': 'text/plain' } });
    expect(res.status).toBe(200);
    expect(res.headers.get('x-served-by')).toBe('index.py');
    const got = (await res.json()) as Facts;
    expect(got.http).toEqual({ method: 'POST', rawPath: '/hello/world', query: { x: '1,2' }, body: 'ping', custom: 'yes' });
    expect(got.eventType).toBe('bytes');
    expect(got.context.request_id).toBe(res.headers.get('x-fc-request-id'));
    // py-web has no role: the credentials object is there, its fields empty (no x-fc-access-key-* headers, D157).
    expect(got.context).toMatchObject({ region: 'cn-hangzhou', account_id: LOCAL_ACCOUNT_ID, hasCredentials: true, access_key_id: '' });
    expect(got.context.function).toMatchObject({ name: 'py-web', handler: 'index.handler', memory: 256, timeout: 5, initializer: 'index.initialize', initialization_timeout: 3 });
    expect(got.context.service).toMatchObject({ log_project: 'local-cloud', log_store: 'function-logs', qualifier: 'LATEST' });
    // tracing as the context page lists it for 3.10/3.9/3, its parseOpenTracingBaggages() included (D139).
    expect(got.context.tracing).toEqual({ span_context: null, jaeger_endpoint: null, span_baggages: {}, baggages: {} });
    expect(got).toMatchObject({ cwd: join(dir.path, 'app', 'code', 'app'), greeting: 'hello from s.yaml', vendored: 'vendored' });
    // The initializer ran once, before the first request, in the same process.
    expect(got.initializations).toBe(1);
    // print and logging reach the function's log; logging lines carry FC's time, request id and level.
    await eventually(() => expect(logOf('py-web')).toContain(`FC Invoke Start RequestId: ${got.context.request_id}`));
    expect(logOf('py-web')).toMatch(new RegExp(`\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d\\.\\d{3}Z ${got.context.request_id} \\[INFO\\] http POST /hello/world`));
    expect(logOf('py-web')).toMatch(/local cloud: py-web \(runtime python3\.10\) runs on this machine's Python 3\.\d+\.\d+/);
    const record = cloud.runtime.recent({ functionName: 'py-web' }).find((r) => r.requestId === got.context.request_id);
    expect(record!.logs).toContain(`${got.context.request_id} [INFO] context read`);
  });

  it('maps base64 bodies and answers that are not {statusCode, …} as FC\'s HTTP trigger does', async () => {
    const binary = await fetch(`${cloud.url}/_fc/py-web/binary`);
    expect(binary.status).toBe(201);
    expect(Buffer.from(await binary.arrayBuffer())).toEqual(Buffer.from([0, 1, 2, 255]));
    const plain = await fetch(`${cloud.url}/_fc/py-web/plain`);
    expect(plain.status).toBe(200);
    expect(await plain.text()).toBe('just text');
  });

  it('invokes the handler with an InvokeFunction event as bytes and answers what it returned, dicts as JSON', async () => {
    const { status, headers, body } = await invokeFunction('py-web', { hello: 'event' });
    expect(status).toBe(200);
    expect(headers['x-fc-error-type']).toBeUndefined();
    const got = JSON.parse(body.toString()) as Facts;
    expect(got).toMatchObject({ event: { hello: 'event' }, eventType: 'bytes' });
    expect(got.context.request_id).toBe(headers['x-fc-request-id']);
    const raw = await invokeFunction('py-web', { raw: true });
    expect(raw.body).toEqual(Buffer.from([0, 1, 0x72, 0x61, 0x77]));
    // Text in and out as UTF-8, printed into the log as it is (the host's locale does not matter).
    const said = await invokeFunction('py-web', { say: 'héllo ✓ 你好' });
    expect(said.text).toBe('héllo ✓ 你好');
    expect(cloud.runtime.recent({ functionName: 'py-web', limit: 1 })[0]!.logs).toContain('héllo ✓ 你好\n');
    expect(cloud.runtime.recent({ functionName: 'py-web', limit: 1 })[0]).toMatchObject({ status: 'succeeded', source: 'invoke-api' });
  });

  it('answers an unhandled exception as FC does: x-fc-error-type and {errorMessage, errorType, stackTrace}', async () => {
    const { status, headers, body } = await invokeFunction('py-web', { fail: 'something is wrong' });
    expect(status).toBe(200);
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    const error = JSON.parse(body.toString()) as { errorMessage: string; errorType: string; stackTrace: string[][] };
    expect(error).toMatchObject({ errorMessage: 'something is wrong', errorType: 'ValueError' });
    // FC's frames: [File "…", line n, in function, code], the handler's own (none of the bootstrap's).
    expect(error.stackTrace).toEqual([[`File "${join(dir.path, 'app', 'code', 'app', 'index.py')}"`, expect.stringMatching(/^line \d+$/), 'in handler', "raise ValueError(request['fail'])"]]);
    expect(cloud.runtime.recent({ functionName: 'py-web', limit: 1 })[0]).toMatchObject({ status: 'failed', error: { errorType: 'ValueError' } });
    expect(cloud.runtime.recent({ functionName: 'py-web', limit: 1 })[0]!.atLoad).toBeUndefined();
    // The instance keeps serving after its handler raised.
    expect((await invokeFunction('py-web', {})).headers['x-fc-error-type']).toBeUndefined();
  });

  it('answers a module that fails to import with the import\'s error', async () => {
    const { headers, body } = await invokeFunction('py-broken', {});
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    const error = JSON.parse(body.toString()) as { errorMessage: string; errorType: string; stackTrace: string[][] };
    expect(error).toMatchObject({ errorType: 'ImportError', errorMessage: 'missing the settings module' });
    expect(error.stackTrace.at(-1)).toEqual([`File "${join(dir.path, 'app', 'code', 'app', 'broken.py')}"`, 'line 4', 'in <module>', "raise ImportError('missing the settings module')"]);
    // At load (D149): the module's import failed, not a handler's run.
    expect(cloud.runtime.recent({ functionName: 'py-broken', limit: 1 })[0]!.atLoad).toBe(true);
  });

  it('fails the invocation with InitializationError when the initializer raises', async () => {
    const { headers, body } = await invokeFunction('py-badinit', {});
    expect(headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(body.toString())).toMatchObject({ errorType: 'InitializationError', errorMessage: 'the database is not reachable' });
  });

  it('cuts a handler running past the timeout, answers FunctionTimeout and starts a new process', async () => {
    const before = JSON.parse((await invokeFunction('py-slow', {})).body.toString()) as Facts;
    const slow = await invokeFunction('py-slow', { sleep: 30 });
    expect(slow.headers['x-fc-error-type']).toBe('UnhandledInvocationError');
    expect(JSON.parse(slow.body.toString())).toMatchObject({ errorType: 'FunctionTimeout', errorMessage: 'Function timed out after 1 seconds' });
    expect(cloud.runtime.recent({ functionName: 'py-slow', limit: 1 })[0]).toMatchObject({ status: 'timeout' });
    await eventually(() => expect(processAlive(before.pid)).toBe(false));
    const after = JSON.parse((await invokeFunction('py-slow', {})).body.toString()) as Facts;
    expect(after.pid).not.toBe(before.pid);
  });

  it('answers a handler that exits as a crash and replaces the process', async () => {
    const crash = await invokeFunction('py-slow', { exit: true });
    expect(JSON.parse(crash.body.toString())).toMatchObject({ errorMessage: 'Process exited unexpectedly before completing request' });
    expect((await invokeFunction('py-slow', {})).headers['x-fc-error-type']).toBeUndefined();
  });

  it('gives python3.12 its own context: no credentials (they are in the environment), log_project and logger at the top', async () => {
    const got = JSON.parse((await invokeFunction('py-312', {})).body.toString()) as Facts;
    expect(got.context).toMatchObject({ hasCredentials: false, hasLoggerAttribute: true, log_project: 'local-cloud' });
    expect(got.context.function).toMatchObject({ name: 'py-312', qualifier: 'LATEST' });
  });

  it('runs asynchronous invocations through the same queue as other functions', async () => {
    const queued = await invokeFunction('py-web', { hello: 'async' }, true);
    expect(queued.status).toBe(202);
    const requestId = queued.headers['x-fc-request-id'];
    await eventually(() => expect(cloud.runtime.recent({ functionName: 'py-web' }).find((r) => r.requestId === requestId)).toMatchObject({ status: 'succeeded' }));
  });

  it('is invoked by a timer trigger with FC\'s timer event, as any function', async () => {
    await eventually(() => expect(cloud.runtime.recent({ functionName: 'py-312' }).find((r) => r.source.startsWith('timer:') && r.status === 'succeeded')).toBeDefined());
    const record = cloud.runtime.recent({ functionName: 'py-312' }).find((r) => r.source.startsWith('timer:') && r.status === 'succeeded')!;
    // FC's timer event: the time in whole seconds with a Z, the trigger's name, its payload as a string (D139).
    expect(JSON.parse(record.payload.toString()).event).toEqual({ triggerTime: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/), triggerName: 'tick', payload: '{"from":"timer"}' });
    expect(record.source).toBe('timer:tick');
  });

  it('queues an asynchronous HTTP trigger request as FC\'s HTTP event, as for a nodejs function', async () => {
    const res = await fetch(`${cloud.url}/_fc/py-web/queued`, { method: 'POST', body: 'later', headers: { 'x-fc-invocation-type': 'Async', 'content-type': 'text/plain' } });
    expect(res.status).toBe(202);
    const requestId = res.headers.get('x-fc-request-id');
    await eventually(() => expect(cloud.runtime.recent({ functionName: 'py-web' }).find((r) => r.requestId === requestId)).toMatchObject({ status: 'succeeded' }));
    const record = cloud.runtime.recent({ functionName: 'py-web' }).find((r) => r.requestId === requestId)!;
    expect(JSON.parse(JSON.parse(record.payload.toString()).body as string)).toMatchObject({ http: { rawPath: '/queued', body: 'later' } });
  });

  it('describes the function with GetFunction as s.yaml has it', async () => {
    const got = await sdk().getFunction('py-web', new GetFunctionRequest({}));
    expect(got.body).toMatchObject({ runtime: 'python3.10', handler: 'index.handler', instanceConcurrency: 1 });
    expect(got.body?.customRuntimeConfig).toBeUndefined();
  });

  it('runs the preStop hook before an instance is retired, then ends its process', async () => {
    const served = (await fetch(`${cloud.url}/_fc/py-web/pid`).then((r) => r.json())) as Facts;
    cloud.runtime.reload(['py-web']);
    await eventually(() => expect(logOf('py-web')).toContain('FC PreStop Start RequestId: hook-'));
    await eventually(() => expect(processAlive(served.pid)).toBe(false));
  });

  it('ends every Python process when the local cloud stops', async () => {
    const got = JSON.parse((await invokeFunction('py-312', {})).body.toString()) as Facts;
    expect(processAlive(got.pid)).toBe(true);
    await cloud.stop();
    expect(processAlive(got.pid)).toBe(false);
  });
});
