import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { processAlive } from '../helpers/fc-sdk';
import { tempDir } from '../helpers/temp';

/**
 * Hot reload of the code folders nothing bundles, beyond Python's (D139, D149): a plain CommonJS nodejs folder
 * (`exports.handler` in `index.js`) and a custom-runtime server (`node server.js`). A saved file is served by a new
 * instance on the next invocation; a request in flight finishes on the code it started on.
 */
function edit(file: string, from: string, to: string): void {
  const text = readFileSync(file, 'utf8');
  expect(text).toContain(from);
  writeFileSync(file, text.replace(from, to));
}

describe('hot reload of a CommonJS code folder', () => {
  const dir = tempDir('fx-cjsreload-');
  let cloud: LocalCloud;
  const reloads: string[][] = [];

  beforeAll(async () => {
    copyFixtureApp('python', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: true, env: {}, onReload: (changed) => reloads.push(changed) });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('serves a saved index.js from a new instance on the next invocation', async () => {
    const invoke = async (event: string) => (await cloud.invoke('node-echo', Buffer.from(event))).payload.toString();
    expect(await invoke('hello')).toBe('hello');
    edit(join(dir.path, 'app', 'code', 'node-echo', 'index.js'), '  return event;\n', "  return event.toString() === 'version' ? 'two' : event;\n");
    await eventually(async () => expect(await invoke('version')).toBe('two'), { timeoutMs: 20000, intervalMs: 100 });
    expect(reloads).toContainEqual(['node-echo']);
  });
});

describe('hot reload of a custom-runtime code folder', () => {
  const dir = tempDir('fx-customreload-');
  let cloud: LocalCloud;
  const reloads: string[][] = [];
  const logs: string[] = [];
  const server = () => join(dir.path, 'app', 'code', 'web', 'server.js');
  const get = async (path: string) => (await (await fetch(`${cloud.url}/_fc/fx-web${path}`)).json()) as { pid: number; edited?: boolean };

  beforeAll(async () => {
    copyFixtureApp('custom', join(dir.path, 'app'));
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: true, env: {}, onReload: (changed) => reloads.push(changed), onLog: (_fn, text) => logs.push(text) });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('restarts the server on a saved file; a request in flight finishes on the old server', async () => {
    const before = await get('/');
    expect(before.edited).toBeUndefined();
    const inFlight = cloud.invoke('fx-web', Buffer.from(JSON.stringify({ sleepMs: 1500 })));
    // Saved once the old server has begun the request above.
    await eventually(() => expect(logs.join('')).toContain('FC Invoke Start'));
    edit(server(), '    cwd: process.cwd(),\n', '    cwd: process.cwd(),\n    edited: true,\n');
    await eventually(async () => expect((await get('/')).edited).toBe(true), { timeoutMs: 20000, intervalMs: 100 });
    const old = JSON.parse((await inFlight).payload.toString()) as { pid: number; edited?: boolean };
    expect(old.pid).toBe(before.pid);
    expect(old.edited).toBeUndefined();
    await eventually(() => expect(processAlive(before.pid)).toBe(false));
    expect(reloads.flat()).toEqual(expect.arrayContaining(['web', 'solo', 'broken']));
  });
});
