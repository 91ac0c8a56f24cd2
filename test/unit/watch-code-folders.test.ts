import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { FunctionSpec } from '../../scripts/local/spec/model';
import { watchCodeFolders } from '../../scripts/local/watch-code-folders';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * The hot-reload watcher of Python code folders (D139): which saves reload which functions. Python's own
 * `__pycache__` and editors' swap files reload nothing; a folder made after the watch began is watched too.
 */
describe('watchCodeFolders', () => {
  const dir = tempDir('fx-codewatch-');
  const fn = (resource: string, folder: string) => ({ resource, codeDir: join(dir.path, folder) }) as FunctionSpec;
  let watcher: { close(): void } | undefined;
  const calls: string[][] = [];

  beforeAll(() => {
    dir.write('a/index.py', 'def handler(event, context):\n    return event\n');
    dir.write('b/index.py', 'def handler(event, context):\n    return event\n');
    watcher = watchCodeFolders([fn('web', 'a'), fn('worker', 'a'), fn('other', 'b')], (resources) => calls.push(resources.sort()));
  });
  afterAll(() => {
    watcher?.close();
    dir.cleanup();
  });

  it('reloads every function of the folder a saved file is in, once per save', async () => {
    dir.write('a/index.py', 'def handler(event, context):\n    return b"two"\n');
    await eventually(() => expect(calls).toEqual([['web', 'worker']]));
    calls.length = 0;
  });

  it('leaves out __pycache__, bytecode and editors\' swap files', async () => {
    dir.write('a/__pycache__/index.cpython-311.pyc', 'bytecode');
    dir.write('a/.index.py.swp', 'swap');
    dir.write('a/index.pyc', 'bytecode');
    // Within the same settling window as the writes above: had any of them counted, `a`'s functions would be here.
    dir.write('b/index.py', 'def handler(event, context):\n    return b"b"\n');
    await eventually(() => expect(calls).toEqual([['other']]));
    calls.length = 0;
  });

  it('leaves out what a running server writes beside its code: logs, pid files, SQLite files and journals (D149)', async () => {
    dir.write('a/server.log', 'a line');
    dir.write('a/server.pid', '42');
    dir.write('a/cache.sqlite', 'pages');
    dir.write('a/cache.sqlite-journal', 'pages');
    dir.write('a/cache.db-wal', 'pages');
    dir.write('b/index.py', 'def handler(event, context):\n    return b"again"\n');
    await eventually(() => expect(calls).toEqual([['other']]));
    calls.length = 0;
  });

  it('watches a folder made after the watch began', async () => {
    mkdirSync(join(dir.path, 'b', 'lib'));
    await eventually(() => expect(calls).toEqual([['other']]));
    calls.length = 0;
    dir.write('b/lib/shapes.py', 'X = 1\n');
    await eventually(() => expect(calls).toEqual([['other']]));
  });
});
