import { join } from 'node:path';
import TableStore from 'tablestore';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { AbortInfo } from '../../scripts/local/emulators/http-edge';
import { startFnfEmulator, type FnfEmulator } from '../../scripts/local/emulators/fnf';
import { startMnsEmulator, type MnsEmulator } from '../../scripts/local/emulators/mns';
import { protos, startTableStoreEmulator, type TableStoreEmulator } from '../../scripts/local/emulators/tablestore';
import { eventually } from '../helpers/eventually';
import { hangUpMidBody, MALFORMED_REQUESTS, parseAnswer, rawExchange, resetIdleAfterOneRequest } from '../helpers/raw-socket';
import { signedCall } from '../helpers/tablestore-raw';
import { tempDir } from '../helpers/temp';

/**
 * The HTTP edge of the TableStore, MNS and FnF emulators, on the wire: HTTP Node's parser refuses is answered
 * in each service's own error shape (never Node's empty 400), a client that hangs up mid-body is logged as an
 * abort (never an internal error), and what a service does not have is refused by name. (OSS: its own tests;
 * the FC API and HTTP triggers: local-cloud-runtime.test.ts.)
 */
const INSTANCE = 'edge-test';
const decodeOtsError = (body: Buffer) => protos.main.Error!.decode(body) as unknown as { code: string; message: string };

describe('emulator HTTP edges', () => {
  const dir = tempDir('http-edge-');
  const aborts: Record<'tablestore' | 'mns' | 'fnf', AbortInfo[]> = { tablestore: [], mns: [], fnf: [] };
  let ots: TableStoreEmulator;
  let mns: MnsEmulator;
  let fnf: FnfEmulator;

  beforeAll(async () => {
    ots = await startTableStoreEmulator({ dataDir: join(dir.path, 'ots'), instances: [INSTANCE], port: 0, onAbort: (a) => aborts.tablestore.push(a) });
    mns = await startMnsEmulator({ dataDir: join(dir.path, 'mns'), region: 'cn-hangzhou', port: 0, onAbort: (a) => aborts.mns.push(a) });
    fnf = await startFnfEmulator({ dataDir: join(dir.path, 'fnf'), region: 'cn-hangzhou', port: 0, functionNames: () => [], onAbort: (a) => aborts.fnf.push(a) });
  });
  afterAll(async () => {
    await Promise.all([ots?.close(), mns?.close(), fnf?.close()]);
    dir.cleanup();
  });

  // A client closing an idle keep-alive connection (autocannon when it stops, an agent's pool) aborted nothing:
  // logging it as "request aborted by the client" filled a load test's output with hundreds of empty lines.
  it.each([
    ['tablestore', () => ots.port!, 'POST /ListTable HTTP/1.1\r\nHost: localhost\r\nContent-Length: 0\r\n\r\n', 'POST /PutRow HTTP/1.1\r\nHost: localhost\r\n'],
    ['mns', () => mns.port, 'GET /queues/q HTTP/1.1\r\nHost: localhost\r\n\r\n', 'POST /queues/q/messages HTTP/1.1\r\nHost: localhost\r\n'],
    ['fnf', () => fnf.port, 'GET /x HTTP/1.1\r\nHost: localhost\r\n\r\n', 'POST /?Action=ListFlows HTTP/1.1\r\nHost: localhost\r\n'],
  ] as const)('%s: a reset of an idle keep-alive connection is not logged as an abort', async (service, port, request, abortedHead) => {
    const before = aborts[service].length;
    await resetIdleAfterOneRequest(port(), request);
    // A real abort afterwards marks the point by which the idle reset would have been logged.
    await hangUpMidBody(port(), abortedHead);
    await eventually(() => expect(aborts[service].length).toBeGreaterThan(before));
    expect(aborts[service].slice(before)).toEqual([expect.objectContaining({ method: 'POST', url: abortedHead.split(' ')[1] })]);
  });

  describe('TableStore', () => {
    it.each(MALFORMED_REQUESTS)('answers malformed HTTP (%s) with a protobuf Error and x-ots headers', async (_what, request, status) => {
      const answer = parseAnswer(await rawExchange(ots.port!, request));
      expect(answer.status).toBe(status);
      expect(answer.headers).toMatchObject({ 'content-type': 'application/x-protobuf', 'x-ots-requestid': expect.stringMatching(/^[0-9a-f]{32}$/), connection: 'close' });
      expect(decodeOtsError(answer.body)).toEqual({ code: 'OTSParameterInvalid', message: expect.stringContaining('not valid HTTP/1.1') });
    });

    it('answers an unknown operation with OTSParameterInvalid "Unsupported operation", and GET with OTSMethodNotAllowed', async () => {
      const unknown = await signedCall(ots.endpoint, INSTANCE, LOCAL_CREDENTIALS, 'ListTables', new Uint8Array());
      expect([unknown.status, decodeOtsError(unknown.body)]).toEqual([400, { code: 'OTSParameterInvalid', message: 'Unsupported operation: ListTables.' }]);
      const get = await fetch(`${ots.endpoint}/ListTable`);
      expect([get.status, decodeOtsError(Buffer.from(await get.arrayBuffer()))]).toEqual([405, { code: 'OTSMethodNotAllowed', message: 'Only POST method for requests is supported.' }]);
      expect(ots.internalErrors).toEqual([]);
    });

    it('is read by the tablestore SDK in its defaults: status, the code in the message, and the request id', async () => {
      const client = new TableStore.Client({ endpoint: ots.endpoint, instancename: INSTANCE, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken, maxRetries: 0 });
      const err = (await client.describeTable({ tableName: 'no_such_table' }).catch((e: unknown) => e)) as { code: number; message: string };
      expect(err.code).toBe(404);
      expect(err.message).toMatch(/OTSObjectNotExist[\s\S]*requestId:[0-9a-f]{32}$/);
    });

    it('logs a client that hangs up mid-body as an abort, not an internal error', async () => {
      await hangUpMidBody(ots.port!, 'POST /PutRow HTTP/1.1\r\nHost: localhost\r\n');
      await eventually(() => expect(aborts.tablestore.at(-1)).toMatchObject({ method: 'POST', url: '/PutRow' }));
      expect(ots.aborts.at(-1)).toMatchObject({ url: '/PutRow' });
      expect(ots.internalErrors).toEqual([]);
    });
  });

  describe('MNS', () => {
    it.each(MALFORMED_REQUESTS)('answers malformed HTTP (%s) with its XML Error', async (_what, request, status) => {
      const answer = parseAnswer(await rawExchange(mns.port, request));
      expect(answer.status).toBe(status);
      expect(answer.headers).toMatchObject({ 'content-type': 'text/xml;charset=utf-8', 'x-mns-request-id': expect.stringMatching(/^[0-9A-F]{24}$/), 'x-mns-version': '2015-06-06' });
      const code = status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidRequest';
      expect(answer.body.toString()).toMatch(
        new RegExp(`^<\\?xml version="1.0" encoding="UTF-8"\\?>\\n<Error xmlns="http://mns.aliyuncs.com/doc/v1/"><Code>${code}</Code><Message>The request is not valid HTTP/1.1 \\([^<]+\\)\\.</Message><RequestId>${answer.headers['x-mns-request-id']}</RequestId><HostId>127.0.0.1:${mns.port}</HostId></Error>$`),
      );
    });

    it('logs a client that hangs up mid-body as an abort', async () => {
      await hangUpMidBody(mns.port, 'POST /queues/q/messages HTTP/1.1\r\nHost: localhost\r\n');
      await eventually(() => expect(aborts.mns.at(-1)).toMatchObject({ method: 'POST', url: '/queues/q/messages' }));
    });
  });

  describe('FnF', () => {
    it.each(MALFORMED_REQUESTS)('answers malformed HTTP (%s) with its JSON error', async (_what, request, status) => {
      const answer = parseAnswer(await rawExchange(fnf.port, request));
      expect(answer.status).toBe(status);
      expect(answer.headers['content-type']).toBe('application/json;charset=utf-8');
      const body = JSON.parse(answer.body.toString()) as Record<string, string>;
      expect(body).toEqual({
        RequestId: answer.headers['x-acs-request-id'],
        HostId: `127.0.0.1:${fnf.port}`,
        Code: status === 431 ? 'RequestHeaderFieldsTooLarge' : 'InvalidRequest',
        Message: expect.stringContaining('not valid HTTP/1.1'),
      });
    });

    it('answers an unknown path and method in its JSON error, naming them', async () => {
      const path = await fetch(`${fnf.endpoint}/2019-03-15/flows`);
      expect([path.status, await path.json()]).toEqual([404, expect.objectContaining({ Code: 'PathNotSupported', Message: expect.stringContaining('/2019-03-15/flows') })]);
      const method = await fetch(`${fnf.endpoint}/`, { method: 'PUT' });
      expect([method.status, await method.json()]).toEqual([405, expect.objectContaining({ Code: 'MethodNotAllowed', Message: expect.stringContaining('PUT') })]);
    });

    it('logs a client that hangs up mid-body as an abort', async () => {
      await hangUpMidBody(fnf.port, 'POST /?Action=ListFlows HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/x-www-form-urlencoded\r\n');
      await eventually(() => expect(aborts.fnf.at(-1)).toMatchObject({ method: 'POST', url: '/?Action=ListFlows' }));
    });
  });
});
