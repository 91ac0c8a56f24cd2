import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

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
    super(`the data folder ${dataDir} is in use by another local cloud (${owner.url ?? 'unknown address'}, pid ${owner.pid ?? '?'}): stop it, or start this one with another DATA_DIR`);
    this.name = 'DataFolderInUse';
  }
}

export interface DataLock {
  release(): void;
}

export function lockDataFolder(dataDir: string, owner: { url: string }): DataLock {
  mkdirSync(dataDir, { recursive: true });
  const ownerFile = join(dataDir, 'cloud.owner.json');
  const db = new Database(join(dataDir, 'cloud.lock'));
  try {
    db.pragma('busy_timeout = 0');
    db.exec('BEGIN EXCLUSIVE');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code !== 'SQLITE_BUSY') throw err;
    throw new DataFolderInUse(dataDir, readOwner(ownerFile));
  }
  writeFileSync(ownerFile, JSON.stringify({ url: owner.url, pid: process.pid }));
  let released = false;
  return {
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
