import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import FC, * as $FC from '@alicloud/fc20230330';
import { GetFunctionRequest, InvokeFunctionHeaders, InvokeFunctionRequest } from '@alicloud/fc20230330';
import { $OpenApiUtil } from '@alicloud/openapi-core';
import OpenApiUtil from '@alicloud/openapi-util';
import { RuntimeOptions } from '@darabonba/typescript';
import { LOCAL_ACCOUNT_ID, LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { ASYNC_PAYLOAD_LIMIT, SYNC_PAYLOAD_LIMIT } from '../../scripts/local/emulators/fc/fc-api';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { REPO_ROOT } from '../../scripts/local/paths';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { tempDir } from '../helpers/temp';

/**
 * The FC emulator as real clients reach it (D145): the official `@alicloud/fc20230330` SDK from a user's own script,
 * and curl / fetch on an HTTP trigger (test/fixtures/apps/fc-clients).
 */
describe('FC for real clients', () => {
  const dir = tempDir('fx-fc-clients-');
  const appDir = join(dir.path, 'app');
  let cloud: LocalCloud;

  beforeAll(async () => {
    copyFixtureApp('fc-clients', appDir);
    cloud = await startLocalCloud({ root: appDir, port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: {} });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  const recordsOf = (fn: string) => cloud.runtime.recent({ functionName: fn, limit: 1000 });
  const sdk = () => new FC(new $OpenApiUtil.Config({ ...LOCAL_CREDENTIALS, endpoint: new URL(cloud.url).host, protocol: 'http' }));
  /** A request signed as FC's docs sign one for a signature-authenticated trigger: @alicloud/openapi-util's ACS3. */
  const signed = (path: string, options: { method?: string; body?: string; secret?: string; token?: string; sentBody?: string; hashHeader?: boolean } = {}) => {
    const url = new URL(`${cloud.url}${path}`);
    const method = options.method ?? 'GET';
    const body = options.body ?? '';
    const headers: Record<string, string> = {
      host: url.host,
      'x-acs-date': new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      'x-acs-security-token': options.token ?? LOCAL_CREDENTIALS.securityToken,
      ...(body ? { 'content-type': 'text/plain' } : {}),
    };
    const query = Object.fromEntries(url.searchParams);
    const payload = createHash('sha256').update(body).digest('hex');
    // The FC API's SDK sends the payload's hash as a header too; FC's HTTP-trigger sample does not.
    if (options.hashHeader) headers['x-acs-content-sha256'] = payload;
    headers.authorization = OpenApiUtil.getAuthorization(
      { method, pathname: url.pathname, query, headers } as never,
      'ACS3-HMAC-SHA256',
      payload,
      LOCAL_CREDENTIALS.accessKeyId,
      options.secret ?? LOCAL_CREDENTIALS.accessKeySecret,
    );
    const { host: _host, ...sent } = headers;
    return fetch(url, { method, headers: sent, ...(method === 'GET' ? {} : { body: options.sentBody ?? body }) });
  };

  const invoke = (name: string, body: Buffer, headers: ConstructorParameters<typeof InvokeFunctionHeaders>[0] = {}) =>
    sdk().invokeFunctionWithOptions(name, new InvokeFunctionRequest({ body: Readable.from([body]) }), new InvokeFunctionHeaders(headers), new RuntimeOptions({}));

  describe('the official SDK from a user\'s own script', () => {
    it('works in its default settings, FC\'s documented endpoint and HTTPS included, when the script runs with use-local-cloud', async () => {
      // As FC's docs write it: the account's regional endpoint, HTTPS (the default), keys from the default chain.
      const script = `
        const FC = require('@alicloud/fc20230330');
        const { $OpenApiUtil } = require('@alicloud/openapi-core');
        const Credential = require('@alicloud/credentials').default;
        const { Readable } = require('node:stream');
        (async () => {
          const client = new FC.default(new $OpenApiUtil.Config({ credential: new Credential(), endpoint: '${LOCAL_ACCOUNT_ID}.cn-hangzhou.fc.aliyuncs.com' }));
          const got = await client.getFunction('fc-sink', new FC.GetFunctionRequest({}));
          const sync = await client.invokeFunction('fc-sink', new FC.InvokeFunctionRequest({ body: Readable.from([Buffer.from('{"from":"script"}')]) }));
          let text = '';
          for await (const chunk of sync.body) text += chunk;
          const queued = await client.invokeFunctionWithOptions('fc-sink', new FC.InvokeFunctionRequest({ body: Readable.from([Buffer.from('{"from":"async script"}')]) }), new FC.InvokeFunctionHeaders({ xFcInvocationType: 'Async' }), {});
          console.log(JSON.stringify({ name: got.body.functionName, text, queued: queued.statusCode }));
        })().catch((err) => { console.error(err.message); process.exit(1); });
      `;
      const file = dir.write('app/user-script.cjs', script);
      const run = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--import', join(REPO_ROOT, 'scripts/local/use-local-cloud.mts'), file], {
        cwd: REPO_ROOT,
        env: { ...process.env, LOCAL_CLOUD_URL: cloud.url, ALIBABA_CLOUD_ACCESS_KEY_ID: '', ALIBABA_CLOUD_ACCESS_KEY_SECRET: '' },
      });
      expect(JSON.parse(run.stdout.trim())).toEqual({ name: 'fc-sink', text: '{"from":"script"}', queued: 202 });
      await eventually(() => expect(recordsOf('fc-sink').some((r) => r.payload.toString() === '{"from":"async script"}')).toBe(true));
    });

    it('gives in GET /_local/api/endpoints the Config the SDK needs besides the keys', async () => {
      const { fc, credentials } = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as LocalEndpoints;
      const client = new FC(new $OpenApiUtil.Config({ ...credentials, ...fc.sdkConfig }));
      expect((await client.getFunction('fc-sink', new GetFunctionRequest({}))).body?.functionName).toBe('fc-sink');
    });

    it('says on the local cloud\'s log which option is missing when the SDK speaks HTTPS to the gateway\'s plain port', async () => {
      const lines: string[] = [];
      const write = jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => (lines.push(String(chunk)), true));
      try {
        const client = new FC(new $OpenApiUtil.Config({ ...LOCAL_CREDENTIALS, endpoint: new URL(cloud.url).host }));
        await expect(client.getFunction('fc-sink', new GetFunctionRequest({}))).rejects.toThrow(/EPROTO|wrong version number/);
      } finally {
        write.mockRestore();
      }
      expect(lines.join('')).toMatch(/HTTPS \(TLS\) connection .*plain HTTP.*protocol: 'http'.*use-local-cloud/s);
    });

    it('returns the last 4 KB of the invocation\'s logs in x-fc-log-result with x-fc-log-type: Tail', async () => {
      const res = await invoke('fc-sink', Buffer.from('{"log":200}'), { xFcLogType: 'Tail' });
      const tail = Buffer.from(res.headers!['x-fc-log-result']!, 'base64').toString();
      expect(Buffer.byteLength(tail)).toBe(4096);
      expect(tail).toContain(`line 199 ${'x'.repeat(60)}`);
      expect(tail).not.toContain('line 100 ');
    });

    it('answers a path whose %-escape is malformed with FunctionNotFound naming it, never a 500', async () => {
      const res = await signed('/2023-03-30/functions/fc%E0%A4%A', { hashHeader: true });
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ Code: 'FunctionNotFound', Message: "function 'fc%E0%A4%A' does not exist", RequestId: res.headers.get('x-fc-request-id') });
    });

    it('refuses payloads over FC\'s limits with FC\'s 400 EntityTooLarge, naming the limit, and runs nothing', async () => {
      const before = recordsOf('fc-sink').length;
      await expect(invoke('fc-sink', Buffer.alloc(ASYNC_PAYLOAD_LIMIT + 1, 97), { xFcInvocationType: 'Async' })).rejects.toMatchObject({
        statusCode: 400,
        code: 'EntityTooLarge',
        message: expect.stringContaining(`payload size exceeds maximum allowed size (${ASYNC_PAYLOAD_LIMIT} bytes)`),
      });
      // Over the synchronous limit the body is not even read whole: still FC's error, in FC's shape.
      const res = await fetch(`${cloud.url}/2023-03-30/functions/fc-sink/invocations`, { method: 'POST', body: Buffer.alloc(SYNC_PAYLOAD_LIMIT + 4096, 97) });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ Code: 'EntityTooLarge', Message: expect.stringContaining(`(${SYNC_PAYLOAD_LIMIT} bytes)`), RequestId: res.headers.get('x-fc-request-id') });
      expect(recordsOf('fc-sink')).toHaveLength(before);
    });
  });

  describe('the FC 3.0 OpenAPI beyond InvokeFunction, with the SDK', () => {
    it('answers ListTriggers and GetTrigger from s.yaml, an HTTP trigger\'s URL being the local one', async () => {
      const listed = await sdk().listTriggers('fc-reply', new $FC.ListTriggersRequest({}));
      expect(listed.body?.triggers).toHaveLength(1);
      const trigger = listed.body!.triggers![0]!;
      expect(trigger).toMatchObject({ triggerName: 'http', triggerType: 'http', qualifier: 'LATEST', targetArn: `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/fc-reply` });
      expect(JSON.parse(trigger.triggerConfig!)).toEqual({ authType: 'anonymous', methods: ['GET', 'POST', 'PUT'] });
      expect(trigger.httpTrigger?.urlInternet).toBe(`${cloud.url}/_fc/fc-reply`);
      expect((await fetch(`${trigger.httpTrigger!.urlInternet}/x?form=text`)).status).toBe(200);
      expect((await sdk().getTrigger('fc-reply', 'http')).body).toEqual(trigger);
      await expect(sdk().getTrigger('fc-reply', 'nope')).rejects.toMatchObject({ statusCode: 404, code: 'TriggerNotFound', message: expect.stringContaining("'nope'") });
      expect((await sdk().listTriggers('fc-sink', new $FC.ListTriggersRequest({}))).body?.triggers).toEqual([]);
      await expect(sdk().listTriggers('fc-nothing', new $FC.ListTriggersRequest({}))).rejects.toMatchObject({ statusCode: 404, code: 'FunctionNotFound' });
    });

    it('answers GetAsyncInvokeConfig from s.yaml\'s asyncInvokeConfig, and 404 for a function without one', async () => {
      const got = await sdk().getAsyncInvokeConfig('fc-sink', new $FC.GetAsyncInvokeConfigRequest({}));
      expect(got.body).toMatchObject({ functionArn: `acs:fc:cn-hangzhou:${LOCAL_ACCOUNT_ID}:functions/fc-sink`, maxAsyncRetryAttempts: 1, maxAsyncEventAgeInSeconds: 300, asyncTask: false });
      await expect(sdk().getAsyncInvokeConfig('fc-reply', new $FC.GetAsyncInvokeConfigRequest({}))).rejects.toMatchObject({ statusCode: 404, code: 'AsyncConfigNotExists' });
    });

    it('answers the versions and aliases a deployment of s.yaml has: none', async () => {
      expect((await sdk().listFunctionVersions('fc-sink', new $FC.ListFunctionVersionsRequest({}))).body?.versions).toEqual([]);
      expect((await sdk().listAliases('fc-sink', new $FC.ListAliasesRequest({}))).body?.aliases).toEqual([]);
      await expect(sdk().getAlias('fc-sink', 'prod')).rejects.toMatchObject({ statusCode: 404, code: 'AliasNotFound', message: expect.stringContaining("'prod'") });
      await expect(sdk().listFunctionVersions('fc-sink', new $FC.ListFunctionVersionsRequest({ direction: 'SIDEWAYS' }))).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining('SIDEWAYS') });
      await expect(sdk().listAliases('fc-sink', new $FC.ListAliasesRequest({ limit: 0 }))).rejects.toMatchObject({ statusCode: 400, code: 'InvalidArgument', message: expect.stringContaining("limit '0'") });
    });

    it('refuses every call that would change a function or needs what is not emulated, by name, in FC\'s shape, changing nothing', async () => {
      const calls: Array<[string, () => Promise<unknown>]> = [
        ['CreateFunction', () => sdk().createFunction(new $FC.CreateFunctionRequest({ body: new $FC.CreateFunctionInput({ functionName: 'fc-new', runtime: 'nodejs20', handler: 'index.handler' }) }))],
        ['UpdateFunction', () => sdk().updateFunction('fc-sink', new $FC.UpdateFunctionRequest({ body: new $FC.UpdateFunctionInput({ timeout: 60 }) }))],
        ['DeleteFunction', () => sdk().deleteFunction('fc-sink')],
        ['PublishFunctionVersion', () => sdk().publishFunctionVersion('fc-sink', new $FC.PublishFunctionVersionRequest({ body: new $FC.PublishVersionInput({ description: 'v1' }) }))],
        ['ListInstances', () => sdk().listInstances('fc-sink', new $FC.ListInstancesRequest({}))],
      ];
      for (const [operation, call] of calls) {
        await expect(call()).rejects.toMatchObject({ statusCode: 400, code: 'PathNotSupported', message: expect.stringContaining(`${operation} is not emulated`) });
      }
      expect((await sdk().getFunction('fc-sink', new GetFunctionRequest({}))).body).toMatchObject({ functionName: 'fc-sink', timeout: 3 });
    });
  });

  describe('HTTP triggers from curl and browsers', () => {
    const reply = (query: string, init?: RequestInit) => fetch(`${cloud.url}/_fc/fc-reply/path?${query}`, init);

    it('base64-encodes a body that is not UTF-8 even when it is labelled as text, so no byte is lost', async () => {
      const bytes = Buffer.from([0x68, 0x69, 0xff, 0xfe, 0x00, 0xc3]);
      const res = await reply('echo=1', { method: 'POST', body: bytes, headers: { 'content-type': 'text/plain' } });
      const event = (await res.json()) as { body: string; isBase64Encoded: boolean };
      expect(event.isBase64Encoded).toBe(true);
      expect(Buffer.from(event.body, 'base64')).toEqual(bytes);
      const text = (await (await reply('echo=1', { method: 'POST', body: 'héllo', headers: { 'content-type': 'text/plain' } })).json()) as { body: string; isBase64Encoded: boolean };
      expect(text).toMatchObject({ body: 'héllo', isBase64Encoded: false });
    });

    it('answers every form a handler returns: a plain string, a number, an object without statusCode, base64 bytes', async () => {
      const text = await reply('form=text');
      expect([text.status, await text.text()]).toEqual([200, 'plain text answer']);
      const number = await reply('form=number');
      expect([number.status, await number.text()]).toEqual([200, '42']);
      const object = await reply('form=object');
      expect([object.status, await object.json()]).toEqual([200, { hello: 'object', statusText: 'no statusCode here' }]);
      const binary = await reply('form=binary');
      expect([binary.status, binary.headers.get('content-type'), Buffer.from(await binary.arrayBuffer())]).toEqual([200, 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 255])]);
    });

    it('keeps the gateway\'s own response headers: a function cannot forge the request id or the error type, nor break the framing', async () => {
      const answer = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }>((resolve, reject) => {
        httpRequest(`${cloud.url}/_fc/fc-reply/path?form=headers`, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        })
          .on('error', reject)
          .end();
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toBe('headers answer');
      expect(answer.headers['x-custom']).toBe('kept');
      expect(answer.headers['content-type']).toBe('text/plain');
      expect(answer.headers['x-fc-request-id']).toMatch(/^1-[0-9a-f]+-/);
      expect(answer.headers['x-fc-error-type']).toBeUndefined();
      expect(answer.headers['content-length']).toBe(String('headers answer'.length));
      expect(answer.headers['transfer-encoding']).toBeUndefined();
      expect(answer.headers['server']).toBeUndefined();
      expect(answer.headers['date']).not.toBe('forged');
      expect(answer.headers['connection']).toBe('keep-alive');
    });

    it('answers a function error and a timeout with 502 and x-fc-error-type, FC\'s error body, and the request id', async () => {
      const thrown = await reply('form=throw');
      expect([thrown.status, thrown.headers.get('x-fc-error-type')]).toEqual([502, 'UnhandledInvocationError']);
      expect(await thrown.json()).toMatchObject({ errorMessage: 'reply was asked to throw', errorType: 'Error' });
      const hung = await reply('form=hang');
      expect(hung.status).toBe(502);
      expect(hung.headers.get('x-fc-request-id')).toMatch(/^1-/);
      expect(await hung.json()).toMatchObject({ errorMessage: 'Function timed out after 1 seconds' });
    });

    it('refuses a request over FC\'s limits (128 KB async, 32 MB sync) with FC\'s 400 InvalidArgument instead of queueing or running it', async () => {
      const marker = `big-${Date.now()}`;
      const body = Buffer.concat([Buffer.from(marker), Buffer.alloc(ASYNC_PAYLOAD_LIMIT, 97)]);
      const res = await reply('x=1', { method: 'POST', body, headers: { 'X-Fc-Invocation-Type': 'Async', 'content-type': 'text/plain' } });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ Code: 'InvalidArgument', Message: `payload size exceeds maximum allowed size (${ASYNC_PAYLOAD_LIMIT} bytes)`, RequestId: res.headers.get('x-fc-request-id') });
      const big = await reply('x=1', { method: 'POST', body: Buffer.alloc(SYNC_PAYLOAD_LIMIT + 4096, 97) });
      expect([big.status, big.headers.get('connection')]).toEqual([400, 'close']);
      expect(await big.json()).toEqual({ Code: 'InvalidArgument', Message: `payload size exceeds maximum allowed size (${SYNC_PAYLOAD_LIMIT} bytes)`, RequestId: big.headers.get('x-fc-request-id') });
      const small = await reply('x=1', { method: 'POST', body: marker, headers: { 'X-Fc-Invocation-Type': 'Async' } });
      expect(small.status).toBe(202);
      await eventually(() => expect(recordsOf('fc-reply').some((r) => r.payload.toString().includes(marker))).toBe(true));
      expect(recordsOf('fc-reply').filter((r) => r.payload.toString().includes(`${marker}aaaa`))).toEqual([]);
    });

    describe('with authType: function', () => {
      it('runs a request signed with the local account\'s keys (ACS3-HMAC-SHA256), its headers reaching the function', async () => {
        const res = await signed('/_fc/fc-private/hello?a=1&b=x%20y');
        expect(res.status).toBe(200);
        const event = (await res.json()) as { headers: Record<string, string>; queryParameters: Record<string, string> };
        expect(event.queryParameters).toEqual({ a: '1', b: 'x y' });
        expect(event.headers.authorization).toMatch(/^ACS3-HMAC-SHA256 Credential=/);
        const posted = await signed('/_fc/fc-private/in', { method: 'POST', body: 'signed body' });
        expect(((await posted.json()) as { body: string }).body).toBe('signed body');
      });

      it('refuses with 403 in FC\'s shape, running nothing: no signature, a wrong key, another token, a body changed after signing', async () => {
        const before = recordsOf('fc-private').length;
        const answers = [
          await fetch(`${cloud.url}/_fc/fc-private/hello`),
          await signed('/_fc/fc-private/hello', { secret: 'not-the-secret' }),
          await signed('/_fc/fc-private/hello', { token: 'someone-elses-token' }),
          await signed('/_fc/fc-private/in', { method: 'POST', body: 'what was signed', sentBody: 'what was sent!!' }),
        ];
        for (const res of answers) {
          expect(res.status).toBe(403);
          expect(await res.json()).toEqual({ Code: expect.any(String), Message: expect.any(String), RequestId: res.headers.get('x-fc-request-id') });
        }
        expect(recordsOf('fc-private')).toHaveLength(before);
        // An anonymous trigger is not asked for a signature.
        expect((await fetch(`${cloud.url}/_fc/fc-reply/x?form=text`)).status).toBe(200);
      });
    });

    it('refuses a method the trigger does not allow with 405, an Allow header and FC\'s error shape naming the function', async () => {
      const res = await reply('x=1', { method: 'DELETE' });
      expect(res.status).toBe(405);
      expect(res.headers.get('allow')).toBe('GET, POST, PUT');
      expect(await res.json()).toEqual({ Code: 'MethodNotAllowed', Message: expect.stringContaining('fc-reply'), RequestId: res.headers.get('x-fc-request-id') });
    });
  });
});
