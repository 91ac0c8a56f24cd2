import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { processAlive } from '../helpers/fc-sdk';
import { tempDir } from '../helpers/temp';

/**
 * Hot reload of Python code folders under `npm start` (D139): a saved `.py` file is served by new instances on the
 * next invocation, as a saved TypeScript source is for a bundled nodejs function; the old processes are retired
 * (preStop, then ended). On the Python fixture (test/fixtures/apps/python), started with `watch` as `npm start` does.
 */
describe('python hot reload', () => {
  const dir = tempDir('fx-pyreload-');
  let cloud: LocalCloud;
  const reloads: string[][] = [];
  const logs: { fn: string; text: string }[] = [];
  const code = (...parts: string[]) => join(dir.path, 'app', 'code', ...parts);
  const invoke = async (fn: string, event: string) => (await cloud.invoke(fn, Buffer.from(event))).payload.toString();
  const edit = (file: string, from: string, to: string) => {
    const text = readFileSync(file, 'utf8');
    expect(text).toContain(from);
    writeFileSync(file, text.replace(from, to));
  };

  beforeAll(async () => {
    copyFixtureApp('python', join(dir.path, 'app'));
    cloud = await startLocalCloud({
      root: join(dir.path, 'app'),
      port: 0,
      dataDir: join(dir.path, 'data'),
      prewarm: false,
      watch: true,
      env: {},
      onReload: (changed, error) => reloads.push(error ? [`error: ${error.message}`] : changed),
      onLog: (fn, text) => logs.push({ fn: fn.name, text }),
    });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('serves a saved handler file from a new process on the next invocations, and ends the old one', async () => {
    const before = Number(await invoke('py-echo', 'pid'));
    expect(await invoke('py-echo', 'hello')).toBe('hello');
    edit(code('echo', 'index.py'), "if event == b'port':", "if event == b'version':\n        return 'two'\n    if event == b'port':");
    await eventually(async () => expect(await invoke('py-echo', 'version')).toBe('two'), { timeoutMs: 20000, intervalMs: 100 });
    expect(Number(await invoke('py-echo', 'pid'))).not.toBe(before);
    await eventually(() => expect(processAlive(before)).toBe(false));
    expect(reloads).toContainEqual(['echo']);
  });

  it('reloads every function of a code folder when a module they import changes, running preStop on the old instances', async () => {
    const web = JSON.parse(await invoke('py-web', '{}')) as { pid: number; context: Record<string, unknown> };
    expect(web.context).not.toHaveProperty('edited');
    edit(code('app', 'lib', 'shapes.py'), "    described = {\n", "    described = {\n        'edited': True,\n");
    await eventually(async () => expect(JSON.parse(await invoke('py-web', '{}')).context).toMatchObject({ edited: true }), { timeoutMs: 20000, intervalMs: 100 });
    await eventually(async () => expect(JSON.parse(await invoke('py-312', '{}')).context).toMatchObject({ edited: true }), { timeoutMs: 20000, intervalMs: 100 });
    expect(reloads.some((changed) => ['web', 'slow', 'newest', 'badinit', 'broken'].every((r) => changed.includes(r)))).toBe(true);
    await eventually(() => expect(logs.filter((l) => l.fn === 'py-web').map((l) => l.text).join('')).toContain('FC PreStop Start RequestId: hook-'));
    await eventually(() => expect(processAlive(web.pid)).toBe(false));
  });

  it('leaves the code folder without __pycache__ (FC\'s /code is read-only), so Python\'s own writes reload nothing', async () => {
    await invoke('py-echo', 'hello');
    expect(existsSync(code('echo', '__pycache__'))).toBe(false);
    expect(existsSync(code('app', 'lib', '__pycache__'))).toBe(false);
  });

  it('answers a saved syntax error with the file and line, keeps the rest running, and serves the fix', async () => {
    const file = code('echo', 'index.py');
    const good = readFileSync(file, 'utf8');
    writeFileSync(file, good.replace('def handler(event, context):', 'def handler(event, context)'));
    const broken = await eventually(
      async () => {
        const record = await cloud.invoke('py-echo', Buffer.from('hello'));
        expect(record.status).toBe('failed');
        return record;
      },
      { timeoutMs: 20000, intervalMs: 100 },
    );
    expect(broken.error?.errorType).toBe('SyntaxError');
    expect(broken.atLoad).toBe(true);
    expect(JSON.stringify(broken.error?.stackTrace)).toContain(file);
    expect(await invoke('node-echo', 'still here')).toContain('still here');
    writeFileSync(file, good);
    await eventually(async () => expect(await invoke('py-echo', 'hello')).toBe('hello'), { timeoutMs: 20000, intervalMs: 100 });
  });
});
