import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

/**
 * A function's timeout counts the function's time, not the time the local cloud's main thread — where the
 * gateway and every emulator run — could not run (docs/decisions.md D65). Under load that thread falls
 * behind, and product services timed out after 5 s of waiting for it while their own work took
 * milliseconds; the checkout calling them answered 503, which FC does not give.
 *
 * The stall is made, not hoped for: the test blocks its own thread (the local cloud's main thread) for
 * longer than the function's whole timeout, synchronously, at a chosen moment. No timing is asserted.
 */
const FUNCTION_CODE = `
const http = require('http');
exports.handler = async (event) => {
  const { call, workMs, spin } = JSON.parse(event.toString());
  if (spin) for (;;) {}
  let said = '';
  if (call) said = await new Promise((resolve, reject) => http.get(call, (res) => { let text = ''; res.on('data', (c) => (text += c)); res.on('end', () => resolve(text)); }).on('error', reject));
  if (workMs) await new Promise((resolve) => setTimeout(resolve, workMs));
  return said ? 'emulator said ' + said : 'done';
};
`;

/** Block this thread for `ms`, as a busy main thread (or a machine whose CPUs are taken) does. */
const blockMainThread = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

const TIMEOUT_S = 1;

describe('instance timeouts do not count the main thread stalling', () => {
  const dir = tempDir('instance-stall-');
  dir.write('index.js', FUNCTION_CODE);
  const fn: FunctionSpec = { resource: 'svc', name: 'svc', runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', memorySize: 128, timeout: TIMEOUT_S, environment: {}, triggers: [] };
  const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
  const runtime = new FunctionRuntime(spec, { envFor: () => ({}) });
  const invoke = (event: object) => runtime.invoke('svc', Buffer.from(JSON.stringify(event)), { source: 'test' });
  /** A stand-in for an emulator on the main thread: it answers after the main thread was stalled. */
  let emulator: Server;
  let url = '';

  beforeAll(async () => {
    emulator = createServer((req, res) => {
      // `/late`: the emulator itself answers only after the stall. `/early`: it answers at once, and the
      // main thread stalls right after, while the function finishes its work and answers.
      if (req.url === '/late') blockMainThread(TIMEOUT_S * 1000 * 2.5);
      res.end('ok');
      if (req.url === '/early') blockMainThread(TIMEOUT_S * 1000 * 2.5);
    });
    await new Promise<void>((resolve) => emulator.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(emulator.address() as AddressInfo).port}`;
    await runtime.prewarm(['svc']);
  });
  afterAll(async () => {
    await runtime.close();
    await new Promise((resolve) => emulator.close(resolve));
    dir.cleanup();
  });

  it('a call to an emulator that answers only after the main thread stalled past the timeout succeeds', async () => {
    const record = await invoke({ call: `${url}/late` });
    expect(record).toMatchObject({ status: 'succeeded' });
    expect(record.payload.toString()).toContain('emulator said ok');
  });

  it('an answer that arrived while the main thread was stalled is read, not thrown away for a timer that expired meanwhile', async () => {
    // The instance answers ~100 ms after the emulator did; this thread reads it only after 2.5 timeouts.
    const record = await invoke({ call: `${url}/early`, workMs: 100 });
    expect(record).toMatchObject({ status: 'succeeded' });
  });

  it('a function that really runs past its timeout still times out', async () => {
    const record = await invoke({ spin: true });
    expect(record).toMatchObject({ status: 'timeout', error: { errorType: 'FunctionTimeout' } });
    // And the next request gets a fresh instance that works.
    expect(await invoke({})).toMatchObject({ status: 'succeeded' });
  });
});
