import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * A request that finds every instance busy starts another one, but is served by whichever instance is free
 * first: on a loaded machine a cold start takes seconds while a busy instance frees in milliseconds, and a
 * caller waiting for "its own" new instance timed out behind a free one (docs/decisions.md D39).
 *
 * The function's gates are files the test creates, so nothing here depends on timing: every instance after
 * the first blocks in its start-up until `release-boot` exists (or fails at once with BOOT_FAILS), and an
 * invocation with `{gate}` runs until that file exists.
 */
const FUNCTION_CODE = `
const fs = require('fs');
const path = require('path');
const booted = fs.readdirSync(__dirname).filter((f) => f.startsWith('booted-')).length;
fs.writeFileSync(path.join(__dirname, 'booted-' + booted), '');
if (booted > 0) {
  if (process.env.BOOT_FAILS) throw new Error('this instance cannot start');
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!fs.existsSync(path.join(__dirname, 'release-boot'))) Atomics.wait(cell, 0, 0, 20);
}
exports.handler = async (event) => {
  const { gate } = JSON.parse(event.toString());
  while (gate && !fs.existsSync(path.join(__dirname, gate))) await new Promise((resolve) => setTimeout(resolve, 20));
  return 'done';
};
`;

function setup(env: Record<string, string> = {}) {
  const dir = tempDir('instance-line-');
  dir.write('index.js', FUNCTION_CODE);
  const fn: FunctionSpec = { resource: 'gated', name: 'gated', runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', memorySize: 128, timeout: 120, environment: {}, triggers: [] };
  const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
  const runtime = new FunctionRuntime(spec, { envFor: () => env });
  const invoke = (gate?: string) => runtime.invoke('gated', Buffer.from(JSON.stringify(gate ? { gate } : {})), { source: 'test' });
  const open = (file: string) => dir.write(file, '');
  return { dir, runtime, invoke, open, booted: (n: number) => existsSync(join(dir.path, `booted-${n}`)) };
}

describe('instance pool: the line is served by the first free instance', () => {
  it('a request waiting for a new instance takes a busy one that frees first; the new one joins when ready', async () => {
    const { dir, runtime, invoke, open, booted } = setup();
    try {
      await runtime.prewarm(['gated']);
      const first = invoke('release-first');
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ instances: 1, busy: 1 }));
      let second: Awaited<ReturnType<typeof invoke>> | undefined;
      const secondDone = invoke().then((record) => (second = record));
      // The second request started another instance, whose start-up is still blocked…
      await eventually(() => expect(booted(1)).toBe(true));
      // …and the first instance frees: the second request runs there, without waiting for the start.
      open('release-first');
      const firstRecord = await first;
      await eventually(() => expect(second).toBeDefined(), { timeoutMs: 20_000 });
      expect(second).toMatchObject({ status: 'succeeded', instanceId: firstRecord.instanceId, coldStart: false });
      open('release-boot');
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ instances: 2, busy: 0 }), { timeoutMs: 30_000 });
      await secondDone;
    } finally {
      open('release-first');
      open('release-boot');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);

  it('a start that fails reaches a waiting request as its error (it does not wait forever)', async () => {
    const { dir, runtime, invoke, open } = setup({ BOOT_FAILS: '1' });
    try {
      await runtime.prewarm(['gated']);
      const first = invoke('release-first');
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ busy: 1 }));
      // As on FC, the request that met the failed start fails with its error (the local cloud does not).
      expect(await invoke()).toMatchObject({ status: 'failed', error: { errorMessage: expect.stringContaining('this instance cannot start') } });
      open('release-first');
      expect((await first).status).toBe('succeeded');
    } finally {
      open('release-first');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});

/**
 * A prewarmed instance runs its initializer before it serves (as on FC). A request arriving while it does waits
 * for it: it used to start a second instance beside it — at start-up a cold start, and an on-demand build, on
 * the first page's path (docs/decisions.md D97). The wait is bounded, so an initializer that never ends (or
 * calls its own function) does not hold the line. Only the first instance's initializer waits for the file
 * `release-init`; the others return at once.
 */
const INITIALIZED_CODE = `
const fs = require('fs');
const path = require('path');
const booted = fs.readdirSync(__dirname).filter((f) => f.startsWith('booted-')).length;
fs.writeFileSync(path.join(__dirname, 'booted-' + booted), '');
exports.initialize = async () => {
  fs.writeFileSync(path.join(__dirname, 'initializing-' + booted), '');
  while (booted === 0 && !fs.existsSync(path.join(__dirname, 'release-init'))) await new Promise((resolve) => setTimeout(resolve, 20));
};
exports.handler = async () => 'instance ' + booted;
`;

describe('instance pool: a request meets the prewarmed instance running its initializer', () => {
  function setupInitialized() {
    const dir = tempDir('instance-init-');
    dir.write('index.js', INITIALIZED_CODE);
    const fn: FunctionSpec = { resource: 'init', name: 'init', runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', initializer: { handler: 'index.initialize', timeout: 60 }, memorySize: 128, timeout: 60, environment: {}, triggers: [] };
    const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
    // Every instance start asks for its code first; one a request waits for asks with `demanded`.
    const demanded: string[] = [];
    const codeReady = async (f: FunctionSpec, forRequest: boolean) => void (forRequest && demanded.push(f.name));
    const runtime = new FunctionRuntime(spec, { envFor: () => ({}), codeReady });
    const invoke = () => runtime.invoke('init', Buffer.from('{}'), { source: 'test' });
    return { dir, runtime, demanded, invoke };
  }

  it('waits for it and is served by it; no second instance starts', async () => {
    const { dir, runtime, demanded, invoke } = setupInitialized();
    try {
      const warming = runtime.prewarm(['init']);
      await eventually(() => expect(existsSync(join(dir.path, 'initializing-0'))).toBe(true));
      const request = invoke();
      request.catch(() => undefined); // awaited below; a failed check closes the runtime under it
      // The pool looks at its line as the request joins it: a second instance would have asked for its code by now.
      await eventually(() => expect(runtime.poolStats()[0]).toMatchObject({ queued: 1 }));
      expect(demanded).toEqual([]);
      dir.write('release-init', '');
      await warming;
      const record = await request;
      expect(record).toMatchObject({ status: 'succeeded', coldStart: false });
      expect(record.payload.toString()).toBe('instance 0');
    } finally {
      dir.write('release-init', '');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);

  it('starts another instance when the initializer does not end soon', async () => {
    const { dir, runtime, demanded, invoke } = setupInitialized();
    try {
      void runtime.prewarm(['init']);
      await eventually(() => expect(existsSync(join(dir.path, 'initializing-0'))).toBe(true));
      const record = await invoke();
      expect(record).toMatchObject({ status: 'succeeded', coldStart: true });
      expect(record.payload.toString()).toBe('instance 1');
      expect(demanded).toEqual(['init']);
    } finally {
      dir.write('release-init', '');
      await runtime.close();
      dir.cleanup();
    }
  }, 60_000);
});
