import Database from 'better-sqlite3';

/**
 * One SQLite connection as the local emulators use it: WAL (readers never block the writer),
 * `synchronous = NORMAL` (a killed process loses no committed write; only a power loss may lose the last
 * ones) and a busy timeout. Prepared statements are cached per SQL text.
 *
 * @example const conn = new SqliteConnection('.data/fnf.sqlite');
 *          conn.stmt('SELECT 1').get();
 */
export class SqliteConnection {
  readonly db: Database.Database;
  private readonly statements = new Map<string, Database.Statement>();

  /** @param path a file, or `:memory:` (a private database, e.g. for a unit test). */
  constructor(path: string) {
    this.db = new Database(path);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
  }

  stmt(sql: string): Database.Statement {
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
