import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { HttpTriggerRequest } from '../../scripts/local/runtime/http-trigger-event';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

/**
 * D126 builds an invocation's record and an HTTP answer's outcome without a getter made per invocation (a literal's
 * `get payload()` gave every record a dictionary of its own on the main thread). What the console, the FC API and a
 * listener of `invocation` see must not change: the same own keys in the same order, `payload` an own enumerable
 * getter read through to the answer's JSON (made only when read, D63), nothing else visible on the record.
 */
const FUNCTION_CODE = `
exports.page = async (event) => {
  const e = JSON.parse(event.toString());
  return { statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-Path': e.rawPath }, body: JSON.stringify({ q: e.queryParameters, quote: 'say "hi"' }) };
};
exports.bytes = async () => Buffer.from('raw bytes');
exports.hook = async () => undefined;
`;

const RECORD_KEYS = ['requestId', 'functionName', 'resource', 'source', 'startedAt', 'retryCount', 'durationMs', 'status', 'payload', 'logs', 'heapMb', 'coldStart', 'waitMs', 'instanceId'];

function request(requestId: string): HttpTriggerRequest {
  return { method: 'GET', rawPath: '/items/7', search: 'a=1&a=2', rawHeaders: ['Host', 'localhost'], body: new Uint8Array(0), httpVersion: '1.1', sourceIp: '127.0.0.1', requestId, accountId: '1', timeEpoch: Date.now() };
}

describe('invocation records and HTTP outcomes (D126)', () => {
  const dir = tempDir('record-shape-');
  dir.write('index.js', FUNCTION_CODE);
  const fn = (resource: string, handler: string, initializer?: boolean): FunctionSpec =>
    ({ resource, name: `${resource}-${process.pid}`, runtime: 'nodejs20', codeDir: dir.path, handler, memorySize: 128, timeout: 10, environment: {}, triggers: [], ...(initializer ? { initializer: { handler: 'index.hook', timeout: 5 } } : {}) }) as FunctionSpec;
  const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn('page', 'index.page'), fn('bytes', 'index.bytes', true)], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
  const runtime = new FunctionRuntime(spec, { envFor: () => ({}) });
  afterAll(async () => {
    await runtime.close();
    dir.cleanup();
  });

  it('an HTTP answer: the reply mapped, the record with the same keys in order and its payload the JSON FC makes of the answer', async () => {
    const heard: unknown[] = [];
    runtime.on('invocation', (r) => heard.push(r));
    const { record, reply } = await runtime.invokeHttp('page', request('req-shape-1'), { source: 'http', requestId: 'req-shape-1' });
    expect(reply).toEqual({ status: 201, headers: { 'content-type': 'application/json', 'x-path': '/items/7' }, body: JSON.stringify({ q: { a: '1,2' }, quote: 'say "hi"' }) });
    expect(Object.keys(record)).toEqual(RECORD_KEYS);
    expect(Reflect.ownKeys({ ...record })).toEqual(RECORD_KEYS);
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    const descriptor = Object.getOwnPropertyDescriptor(record, 'payload')!;
    expect(typeof descriptor.get).toBe('function');
    expect(descriptor).toMatchObject({ enumerable: true, configurable: true, set: undefined });
    const answer = { statusCode: 201, headers: { 'Content-Type': 'application/json', 'X-Path': '/items/7' }, body: JSON.stringify({ q: { a: '1,2' }, quote: 'say "hi"' }) };
    expect(record.payload.toString('utf8')).toBe(JSON.stringify(answer));
    // Made once: the console and the FC API read the same bytes.
    expect(record.payload).toBe(record.payload);
    expect(record).toMatchObject({ requestId: 'req-shape-1', source: 'http', status: 'succeeded', retryCount: 0, logs: '' });
    // As JSON (the console's API): the same fields in the same order, the payload as a Buffer's JSON.
    const json = JSON.parse(JSON.stringify(record)) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(RECORD_KEYS);
    expect(json.payload).toEqual({ type: 'Buffer', data: [...record.payload] });
    expect(heard).toContain(record);
    expect(runtime.recent({ functionName: 'page', limit: 1 })[0]).toBe(record);
  });

  it('an answer that is not FC\'s response shape, after an initializer: the same keys, the bytes as they were returned', async () => {
    const record = await runtime.invoke('bytes', Buffer.from('{}'), { source: 'test', requestId: 'req-shape-2' });
    expect(Object.keys(record)).toEqual(RECORD_KEYS);
    expect(record.payload.toString('utf8')).toBe('raw bytes');
    expect(record.status).toBe('succeeded');
    const again = await runtime.invoke('bytes', Buffer.from('{}'), { source: 'test', requestId: 'req-shape-3' });
    expect(again.payload.toString('utf8')).toBe('raw bytes');
    expect(again.coldStart).toBe(false);
  });
});
