import type BetterSqlite3 from 'better-sqlite3';

/**
 * One SQLite connection as the local TableStore adapters use it: WAL (readers never block the writer),
 * `synchronous = NORMAL` (a killed process loses no committed write; only a power loss may lose the
 * last ones) and a busy timeout, because every function instance is a thread with its own connection to
 * the same file. Prepared statements are cached per SQL text.
 *
 * @example const conn = new SqliteConnection(require('better-sqlite3'), '.data/tables.sqlite');
 *          conn.stmt('SELECT 1').get();
 */
export class SqliteConnection {
  readonly db: BetterSqlite3.Database;
  private readonly statements = new Map<string, BetterSqlite3.Statement>();

  /** @param openDatabase `require('better-sqlite3')`, passed in so the cloud bundle never loads it. */
  constructor(openDatabase: new (path: string) => BetterSqlite3.Database, path: string) {
    this.db = new openDatabase(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
  }

  stmt(sql: string): BetterSqlite3.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }

  close(): void {
    this.db.close();
  }
}
