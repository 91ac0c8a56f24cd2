import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getPriority } from 'node:os';
import { join } from 'node:path';
import { FunctionRuntime, classOf, type InvocationRecord } from '../../scripts/local/runtime/runtime';
import type { InstanceCaps } from '../../scripts/local/runtime/capacity';
import type { InvocationClass } from '../../scripts/local/runtime/priority';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * Interactive call trees before background work (D143), proved by order, never by time. The function notes each
 * invocation's tag in `order.log` as it starts, then runs until its `gate` file exists (if it names one), or
 * calls `url` and answers with what it got.
 */
const FUNCTION_CODE = `
const fs = require('fs');
const path = require('path');
const http = require('http');
exports.handler = async (event) => {
  const { tag, gate, url } = JSON.parse(event.toString());
  if (tag) fs.appendFileSync(path.join(__dirname, 'order.log'), tag + '\\n');
  while (gate && !fs.existsSync(path.join(__dirname, gate))) await new Promise((resolve) => setTimeout(resolve, 20));
  if (url) return await new Promise((resolve, reject) => http.get(url, (res) => { let body = ''; res.on('data', (c) => (body += c)); res.on('end', () => resolve(body)); }).on('error', reject));
  return tag || 'done';
};
`;

function setup(caps: Partial<InstanceCaps>) {
  const dir = tempDir('priority-');
  dir.write('index.js', FUNCTION_CODE);
  const fn: FunctionSpec = { resource: 'worker', name: 'worker', runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', memorySize: 128, timeout: 120, environment: {}, triggers: [] };
  const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
  // No bound on background work at once (the gate has tests of its own): these tests are about the line and the instances.
  const runtime = new FunctionRuntime(spec, { envFor: () => ({}), instanceCaps: caps, backgroundNice: 10, backgroundSlots: 0 });
  const invoke = (event: Record<string, string>, priority: InvocationClass) => runtime.invoke('worker', Buffer.from(JSON.stringify(event)), { source: 'test', priority });
  const order = () => readFileSync(join(dir.path, 'order.log'), 'utf8').trim().split('\n');
  return { dir, runtime, invoke, order, open: (file: string) => dir.write(file, '') };
}

describe('invocation priority: a function’s line (D143)', () => {
  // One instance, parked ones included: every invocation after the held one waits in the line.
  const oneInstance = { perFunction: 1, extra: 0, ceiling: 1 };

  it('serves a queued interactive request before the background requests queued ahead of it', async () => {
    const { dir, runtime, invoke, order, open } = setup(oneInstance);
    try {
      await runtime.prewarm(['worker']);
      const held = invoke({ tag: 'held', gate: 'go' }, 'interactive');
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ busy: 1 }));
      const rest: Promise<InvocationRecord>[] = [];
      for (const tag of ['b1', 'b2', 'b3']) rest.push(invoke({ tag }, 'background'));
      rest.push(invoke({ tag: 'i1' }, 'interactive'));
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ queued: 4 }));
      open('go');
      const records = await Promise.all([held, ...rest]);
      expect(records.map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
      expect(order()).toEqual(['held', 'i1', 'b1', 'b2', 'b3']);
    } finally {
      open('go');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);

  it('lets a background request be passed a bounded number of times: it is never starved', async () => {
    const { dir, runtime, invoke, order, open } = setup(oneInstance);
    try {
      await runtime.prewarm(['worker']);
      const held = invoke({ tag: 'held', gate: 'go' }, 'interactive');
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ busy: 1 }));
      const rest = [invoke({ tag: 'b' }, 'background')];
      const interactive = Array.from({ length: 18 }, (_, i) => `i${i + 1}`);
      for (const tag of interactive) rest.push(invoke({ tag }, 'interactive'));
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ queued: 19 }));
      open('go');
      await Promise.all([held, ...rest]);
      // MAX_PASSES (16) interactive requests go ahead of it, the later ones behind it.
      expect(order()).toEqual(['held', ...interactive.slice(0, 16), 'b', ...interactive.slice(16)]);
    } finally {
      open('go');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});

describe('invocation priority: background instances yield the CPU (D143, Linux)', () => {
  const linux = process.platform === 'linux' ? it : it.skip;

  linux('raises the nice value of an instance that serves background work, and keeps interactive requests on the others', async () => {
    const { dir, runtime, invoke, open } = setup({ perFunction: 2, extra: 2, ceiling: 2 });
    try {
      // Two instances: two requests held at once.
      const both = [invoke({ gate: 'go' }, 'interactive'), invoke({ gate: 'go' }, 'interactive')];
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ instances: 2, busy: 2 }), { timeoutMs: 30_000 });
      open('go');
      await Promise.all(both);
      const nices = () => runtime.instanceThreads().map((t) => getPriority(t.osThreadId)).sort((a, b) => a - b);
      expect(nices()).toEqual([0, 0]);

      const background = await invoke({ tag: 'event' }, 'background');
      expect(nices()).toEqual([0, 10]);
      // The yielded instance takes background work again; interactive requests go to the other one.
      expect((await invoke({}, 'interactive')).instanceId).not.toBe(background.instanceId);
      expect((await invoke({}, 'background')).instanceId).toBe(background.instanceId);
      expect((await invoke({}, 'interactive')).instanceId).not.toBe(background.instanceId);
      expect(nices()).toEqual([0, 10]);
    } finally {
      open('go');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});

describe('invocation priority: a call belongs to its caller’s call tree (D143)', () => {
  let server: Server;
  afterEach(async () => new Promise((resolve) => server.close(resolve)));

  it('a request an instance makes while serving background work is background; while serving interactive work, interactive', async () => {
    // Stands in for the gateway and the FC API: it classes each request by the connection it came on.
    server = createServer((req, res) => res.end(classOf({ source: 'invoke-api', callerPort: req.socket.remotePort })));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
    const { dir, runtime, invoke } = setup({ perFunction: 1, extra: 0, ceiling: 1 });
    try {
      const answer = async (priority: InvocationClass) => (await invoke({ url }, priority)).payload.toString();
      expect(await answer('background')).toBe('background');
      expect(await answer('interactive')).toBe('interactive');
      expect(await answer('background')).toBe('background');
      // Not from an instance: the source decides.
      expect(classOf({ source: 'invoke-api', callerPort: 1 })).toBe('interactive');
    } finally {
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});
