import Database from 'better-sqlite3';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { REPO_ROOT } from './paths';

/**
 * One local cloud per data folder. Two clouds on one DATA_DIR (another PORT in a second terminal) would run
 * every timer twice, consume the same queues, follow the same table streams and drive the same flow
 * executions from two engines; `npm run reset` under a running cloud would delete its databases.
 *
 * The lock is an exclusive SQLite transaction on `DATA_DIR/cloud.lock`, held open for the cloud's life: the
 * operating system drops it with the process, so a killed cloud (SIGKILL, a crash) leaves no stale lock, and
 * SQLite also refuses a second connection in the same process. `cloud.owner.json` beside it says who holds it,
 * for the message only.
 */
export class DataFolderInUse extends Error {
  constructor(
    readonly dataDir: string,
    readonly owner: { url?: string; pid?: number },
  ) {
    super(
      `the data folder ${dataDir} is in use by another local cloud (${owner.url ?? 'still starting'}, pid ${owner.pid ?? '?'}): use that one, or stop it ` +
        '(Ctrl-C in its terminal); a second local cloud needs a DATA_DIR and a PORT of its own (PORT=9100 DATA_DIR=.data-alt npm start)',
    );
    this.name = 'DataFolderInUse';
  }
}

/**
 * A data folder the local cloud cannot use: a file in its place, a read-only disk, no permission. Said with the
 * folder and what to do, before anything starts (node's own errors named a SQLite file or a `mkdir` of a parent).
 */
export class DataFolderUnusable extends Error {
  constructor(dataDir: string, why: string) {
    super(`the data folder ${dataDir} (DATA_DIR) cannot be used: ${why}. Give DATA_DIR a folder you can write to, e.g. DATA_DIR=/tmp/fcsuite-data npm start`);
    this.name = 'DataFolderUnusable';
  }
}

/** The data folder DATA_DIR names, or the repository's `.data`; an empty DATA_DIR counts as unset (never the current folder). */
export function dataDirFrom(env: NodeJS.ProcessEnv): string {
  return env.DATA_DIR ? resolve(env.DATA_DIR) : join(REPO_ROOT, '.data');
}

/**
 * Creates the data folder if needed and proves it writable, or throws `DataFolderUnusable` saying why. The probe
 * writes a page's worth of bytes, not an empty file: a full disk still creates an empty file (D149).
 */
export function ensureDataFolder(dataDir: string): void {
  if (existsSync(dataDir) && !statSync(dataDir).isDirectory()) throw new DataFolderUnusable(dataDir, 'it is a file, not a folder');
  const probe = join(dataDir, `.write-check-${process.pid}`);
  try {
    makeFolders(dataDir);
    writeFileSync(probe, PROBE_BYTES);
  } catch (err) {
    throw new DataFolderUnusable(dataDir, whyUnwritable(dataDir, err as NodeJS.ErrnoException));
  } finally {
    removeProbe(probe);
  }
}

function removeProbe(probe: string): void {
  try {
    rmSync(probe, { force: true });
  } catch {
    // never written: its folder is not one (ENOTDIR), which the error above says
  }
}

const PROBE_BYTES = Buffer.alloc(4096);

/**
 * `mkdir -p`, one folder at a time from the deepest one that exists. Not node's `mkdirSync(…, { recursive: true })`:
 * under /proc (whose folders refuse a new entry with ENOENT) that loops forever inside node, and `npm start` hung
 * without a word (D140 left it, D149).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  let existing = dir;
  while (!existsSync(existing)) {
    missing.unshift(existing);
    const parent = dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  for (const folder of missing) mkdirSync(folder);
}

function whyUnwritable(dataDir: string, err: NodeJS.ErrnoException): string {
  if (err.code === 'EACCES' || err.code === 'EPERM') return 'no permission to write there';
  if (err.code === 'EROFS') return 'it is on a read-only file system';
  if (err.code === 'ENOSPC') return 'the disk is full';
  if (err.code === 'ENOTDIR' || err.code === 'EEXIST') return 'a file stands where a folder of its path should be';
  // Node's recursive mkdir reports a read-only parent as ENOENT of the folder itself.
  if (err.code === 'ENOENT') return existsSync(dataDir) ? 'it could not be written' : 'it could not be created (a parent folder is read-only or missing)';
  return err.message;
}

/**
 * Why `npm run reset` must not delete `dataDir`, or undefined when it may. Only a folder a local cloud has used (it
 * holds `cloud.sqlite` or `cloud.lock`) is deleted, and never one holding the repository or the home folder: a
 * DATA_DIR set to `.`, `~` or a mistyped path would otherwise be emptied with everything in it.
 */
export function resetRefusal(dataDir: string): string | undefined {
  if (contains(dataDir, REPO_ROOT) || contains(dataDir, homedir())) return `${dataDir} holds the repository or your home folder, not only the local cloud's data: nothing deleted`;
  if (!['cloud.sqlite', 'cloud.lock'].some((file) => existsSync(join(dataDir, file)))) {
    return `${dataDir} is not a local cloud's data folder (no cloud.sqlite in it): nothing deleted. DATA_DIR names the folder npm start keeps its state in`;
  }
  return undefined;
}

/** `inner` is `outer` or somewhere below it. */
function contains(outer: string, inner: string): boolean {
  const path = relative(outer, inner);
  return path === '' || (path !== '..' && !path.startsWith(`..${sep}`) && !isAbsolute(path));
}

export interface DataLock {
  /** Records where the cloud holding the folder answers (`npm run invoke` goes there). */
  setUrl(url: string): void;
  release(): void;
}

/**
 * Takes the data folder (creating it, and proving it writable) for this process. `owner.url` may come later
 * (`setUrl`): `npm start` locks the folder before it binds its port, so a second start on the same folder is told
 * that a local cloud already runs there, rather than that its port is taken (which sent users to another PORT,
 * only to be refused for the folder next).
 */
export function lockDataFolder(dataDir: string, owner: { url?: string } = {}): DataLock {
  ensureDataFolder(dataDir);
  const ownerFile = join(dataDir, 'cloud.owner.json');
  let db: Database.Database;
  try {
    db = new Database(join(dataDir, 'cloud.lock'));
  } catch (err) {
    throw new DataFolderUnusable(dataDir, `its lock file could not be opened (${(err as Error).message})`);
  }
  try {
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new DataFolderInUse(dataDir, readOwner(ownerFile));
  }
  const writeOwner = (url: string | undefined) => writeFileSync(ownerFile, JSON.stringify({ ...(url ? { url } : {}), pid: process.pid }));
  writeOwner(owner.url);
  let released = false;
  return {
    setUrl: writeOwner,
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}

function readOwner(file: string): { url?: string; pid?: number } {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { url?: string; pid?: number };
  } catch {
    return {};
  }
}
