import { readdirSync, statSync, watch, type FSWatcher } from 'node:fs';
import { join, resolve } from 'node:path';
import type { AppSpec, FunctionSpec } from './spec/model';

/**
 * Hot reload of the functions whose code folder runs as it is, with nothing to bundle: a Python function's
 * `code: ./fn` with its `index.py` (D139), a nodejs folder of plain CommonJS (`index.js` with `exports.handler`) and a
 * custom runtime's server (D149). A file saved in the folder reloads every function that runs from it, as a saved
 * source reloads a bundled nodejs function (`watchFunctionsOnChange`): the pool retires the old instances (preStop,
 * then the process or thread ends) and the next invocation starts a new one on the new code — for a custom runtime, a
 * new server process. Each instance is a new thread or process, so nothing of the old code's `require` cache or
 * `sys.modules` is carried over; a request in flight finishes on the instance it began on.
 *
 * One `fs.watch` per folder, not a recursive one: Node 20's recursive watch on Linux stats and watches every file
 * (one inotify watch each), and a folder with `pip install -t .` in it has thousands. Skipped: `__pycache__` (the
 * bootstrap writes no bytecode for the user's code, but a user's own `python3` run does), hidden folders (`.venv`, `.git`)
 * and `node_modules`; editors' swap and backup files do not reload either. Nor do the files a server writes beside its
 * code — logs, pid files, SQLite databases and their journals: FC's `/code` is read-only, but locally a custom
 * runtime's server that writes there would otherwise restart itself at each write.
 */

/** Events within this long of each other are one save (editors write a temp file, then rename it over). */
const SETTLE_MS = 100;

const SKIPPED_FOLDERS = new Set(['__pycache__', 'node_modules']);

/**
 * Files whose change is not a change of the code: bytecode, editors' swap and backup files, and what a running
 * server writes (logs, pid files, SQLite files and their journals).
 */
function ignored(name: string): boolean {
  return name.startsWith('.') || name.endsWith('~') || /\.(pyc|pyo|swp|swx|tmp|log|pid|db|sqlite|sqlite3)$/.test(name) || /-(journal|wal|shm)$/.test(name) || SKIPPED_FOLDERS.has(name);
}

/** The functions of `spec` that run from their code folder as it is and reload when it changes: all but `bundled`. */
export function reloadedFromCodeFolder(spec: AppSpec, bundled: readonly FunctionSpec[]): FunctionSpec[] {
  const names = new Set(bundled.map((fn) => fn.name));
  return spec.functions.filter((fn) => !names.has(fn.name));
}

/**
 * Watches the code folders of `functions`; `onChanged` gets the resources (s.yaml keys) of the functions whose
 * folder changed, once per save. Folders created later (a new package) are watched from their first change on.
 */
export function watchCodeFolders(functions: FunctionSpec[], onChanged: (resources: string[]) => void): { close(): void } {
  const byFolder = new Map<string, string[]>();
  for (const fn of functions) {
    const folder = resolve(fn.codeDir);
    byFolder.set(folder, [...(byFolder.get(folder) ?? []), fn.resource]);
  }
  const watchers = new Map<string, FSWatcher>();
  const changed = new Set<string>();
  let timer: NodeJS.Timeout | undefined;
  let closed = false;
  const flush = () => {
    timer = undefined;
    const resources = [...new Set([...changed].flatMap((folder) => byFolder.get(folder) ?? []))];
    changed.clear();
    if (resources.length > 0 && !closed) onChanged(resources);
  };
  const forget = (dir: string) => {
    watchers.get(dir)?.close();
    watchers.delete(dir);
  };
  const watchTree = (root: string, dir: string) => {
    if (closed || watchers.has(dir)) return;
    let watcher: FSWatcher;
    try {
      watcher = watch(dir, (_event, name) => {
        if (name !== null && ignored(String(name))) return;
        if (name !== null) {
          const path = join(dir, String(name));
          // A folder just made (or moved in): watch it, and what it already holds; one removed: forget it.
          if (isFolder(path)) watchTree(root, path);
          else forget(path);
        }
        changed.add(root);
        timer ??= setTimeout(flush, SETTLE_MS);
      });
    } catch {
      return; // gone already, or not readable: nothing in it can be served either
    }
    // A folder removed takes its watcher with it.
    watcher.on('error', () => forget(dir));
    watchers.set(dir, watcher);
    for (const entry of entries(dir)) if (entry.isDirectory() && !ignored(entry.name)) watchTree(root, join(dir, entry.name));
  };
  for (const folder of byFolder.keys()) watchTree(folder, folder);
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      for (const watcher of watchers.values()) watcher.close();
      watchers.clear();
    },
  };
}

function isFolder(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function entries(dir: string) {
  try {
    return readdirSync(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}
