import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The local cloud's own state (async invocation queue, OSS metadata, timers' last runs, …) in one SQLite
 * file, WAL mode. Each emulator keeps its service's data in a file of its own (`tablestore.sqlite`, `oss.sqlite`,
 * `mns.sqlite`, `fnf.sqlite`), as a separate service would.
 */
export type ControlDb = Database.Database;

export function openControlDb(dataDir: string): ControlDb {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, 'cloud.sqlite'));
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('busy_timeout = 5000');
  db.exec(`CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
  return db;
}

export function getFlag(db: ControlDb, key: string): string | undefined {
  return (db.prepare('SELECT value FROM kv WHERE key = ?').get(key) as { value: string } | undefined)?.value;
}

export function setFlag(db: ControlDb, key: string, value: string): void {
  db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
}
