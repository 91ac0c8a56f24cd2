import type BetterSqlite3 from 'better-sqlite3';
import { SqliteConnection } from './sqlite-connection';
import { z } from 'zod';
import { ValidationError } from '../errors';
import type { SearchDocument, SearchHit, SearchIndex, SearchPage, SearchQuery } from '../ports/search-index';
import { decodeCursor, encodeCursor, isPrefixWord, keywordWords, normalizeQuery, searchWords, validDocument, validId, type NormalizedQuery } from './search-query';

/**
 * The SearchIndex port on SQLite FTS5 (better-sqlite3), for the local cloud. It lives in the same database
 * file as the `SqliteTable` (`TABLESTORE_ENDPOINT=sqlite:///<path>`), in two tables per index:
 * - `s_<index>_docs`: the documents as given (tags and fields as JSON), keyed by an integer `rid`;
 * - `s_<index>_fts`: an FTS5 table with rowid = `rid` and two columns, `title` and `keywords` (tag and
 *   product id words), filled with words already split by `searchWords` and joined by spaces. The `ascii`
 *   tokenizer then splits on exactly those spaces, so SQLite and TableStore agree on what a word is.
 *
 * Queries never carry user syntax into FTS5: each word becomes a quoted string (`"head"*` for prefixes), and
 * words can only contain letters, digits and marks. Ranking is FTS5's bm25 with the title weighted
 * {@link TITLE_WEIGHT}× over keywords. Pages are keyset-paginated: the cursor holds the last hit's
 * (bm25, createdAt, id) — (createdAt, id) without text — so a page starts strictly after it.
 *
 * Concurrency: WAL, `busy_timeout`, and every write (and the schema creation) in an IMMEDIATE transaction,
 * so function instances (worker threads with their own connection) can write at the same time.
 */
const TITLE_WEIGHT = 10;
const KEYWORD_WEIGHT = 1;

interface DocRow {
  id: string;
  title: string;
  tags: string;
  productId: string | null;
  createdAt: number;
  fields: string | null;
  rank?: number;
}

const textPosition = z.tuple([z.number(), z.number().int(), z.string()]);
const listPosition = z.tuple([z.number().int(), z.string()]);

export class SqliteSearchIndex implements SearchIndex {
  private readonly db: BetterSqlite3.Database;
  private readonly docs: string;
  private readonly fts: string;
  private readonly connection: SqliteConnection;

  /**
   * @param openDatabase `require('better-sqlite3')`, passed in so the cloud bundle never loads it.
   * @param indexName names the SQLite tables (`s_<indexName>_docs`, `s_<indexName>_fts`).
   * @example const index = new SqliteSearchIndex(require('better-sqlite3'), '.data/tables.sqlite', 'image_search');
   *          await index.upsert({ id: 'img-1', title: 'Aurora headphones', tags: ['audio'], createdAt: Date.now() });
   *          (await index.search({ text: 'head' })).hits[0]?.document.id // 'img-1'
   */
  constructor(openDatabase: new (path: string) => BetterSqlite3.Database, path: string, indexName: string) {
    if (!/^[a-z][a-z0-9_]{0,62}$/.test(indexName)) throw new Error(`search index name ${indexName} must match [a-z][a-z0-9_]*`);
    this.docs = `s_${indexName}_docs`;
    this.fts = `s_${indexName}_fts`;
    this.connection = new SqliteConnection(openDatabase, path);
    this.db = this.connection.db;
    this.db
      .transaction(() => {
        this.db.exec(`CREATE TABLE IF NOT EXISTS "${this.docs}" (rid INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, title TEXT NOT NULL, tags TEXT NOT NULL, productId TEXT, createdAt INTEGER NOT NULL, fields TEXT)`);
        this.db.exec(`CREATE INDEX IF NOT EXISTS "${this.docs}_newest" ON "${this.docs}" (createdAt DESC, id)`);
        this.db.exec(`CREATE INDEX IF NOT EXISTS "${this.docs}_product" ON "${this.docs}" (productId, createdAt DESC, id)`);
        // `prefix` keeps 2- and 3-character prefix queries (the common case while typing) off a full scan.
        this.db.exec(`CREATE VIRTUAL TABLE IF NOT EXISTS "${this.fts}" USING fts5(title, keywords, tokenize = 'ascii', prefix = '2 3')`);
      })
      .immediate();
  }

  close(): void {
    this.db.close();
  }

  private stmt(sql: string): BetterSqlite3.Statement {
    return this.connection.stmt(sql);
  }

  async upsert(input: SearchDocument): Promise<void> {
    const doc = validDocument(input);
    const values = {
      id: doc.id,
      title: doc.title,
      tags: JSON.stringify(doc.tags),
      productId: doc.productId ?? null,
      createdAt: doc.createdAt,
      fields: doc.fields ? JSON.stringify(doc.fields) : null,
    };
    const words = { title: searchWords(doc.title).join(' '), keywords: keywordWords(doc).join(' ') };
    this.db
      .transaction(() => {
        const existing = this.stmt(`SELECT rid FROM "${this.docs}" WHERE id = ?`).get(doc.id) as { rid: number } | undefined;
        let rid: number | bigint;
        if (existing) {
          rid = existing.rid;
          this.stmt(`UPDATE "${this.docs}" SET title = @title, tags = @tags, productId = @productId, createdAt = @createdAt, fields = @fields WHERE rid = @rid`).run({ ...values, rid });
          this.stmt(`DELETE FROM "${this.fts}" WHERE rowid = ?`).run(rid);
        } else {
          rid = this.stmt(`INSERT INTO "${this.docs}" (id, title, tags, productId, createdAt, fields) VALUES (@id, @title, @tags, @productId, @createdAt, @fields)`).run(values).lastInsertRowid;
        }
        this.stmt(`INSERT INTO "${this.fts}" (rowid, title, keywords) VALUES (?, ?, ?)`).run(rid, words.title, words.keywords);
      })
      .immediate();
  }

  async remove(id: string): Promise<void> {
    validId(id);
    this.db
      .transaction(() => {
        const existing = this.stmt(`SELECT rid FROM "${this.docs}" WHERE id = ?`).get(id) as { rid: number } | undefined;
        if (!existing) return;
        this.stmt(`DELETE FROM "${this.fts}" WHERE rowid = ?`).run(existing.rid);
        this.stmt(`DELETE FROM "${this.docs}" WHERE rid = ?`).run(existing.rid);
      })
      .immediate();
  }

  async search(input: SearchQuery): Promise<SearchPage> {
    const query = normalizeQuery(input);
    return query.words.length > 0 ? this.searchText(query) : this.list(query);
  }

  /** Filters as SQL over the docs table aliased `d`, with their named parameters. */
  private filters(query: NormalizedQuery): { sql: string; params: Record<string, string> } {
    const sql: string[] = [];
    const params: Record<string, string> = {};
    if (query.productId !== undefined) {
      sql.push('d.productId = @productId');
      params.productId = query.productId;
    }
    if (query.tag !== undefined) {
      sql.push('EXISTS (SELECT 1 FROM json_each(d.tags) WHERE json_each.value = @tag)');
      params.tag = query.tag;
    }
    return { sql: sql.map((s) => ` AND ${s}`).join(''), params };
  }

  private searchText(query: NormalizedQuery): SearchPage {
    const after = decodeCursor(query, textPosition);
    const filters = this.filters(query);
    // MATERIALIZED keeps bm25() inside the FTS query: SQLite must not flatten it into the keyset WHERE.
    const sql =
      `WITH hits AS MATERIALIZED (SELECT d.id, d.title, d.tags, d.productId, d.createdAt, d.fields, bm25("${this.fts}", ${TITLE_WEIGHT}, ${KEYWORD_WEIGHT}) AS rank ` +
      `FROM "${this.fts}" JOIN "${this.docs}" d ON d.rid = "${this.fts}".rowid WHERE "${this.fts}" MATCH @match${filters.sql}) ` +
      `SELECT * FROM hits${after ? ' WHERE rank > @rank OR (rank = @rank AND (createdAt < @createdAt OR (createdAt = @createdAt AND id > @id)))' : ''} ` +
      'ORDER BY rank ASC, createdAt DESC, id ASC LIMIT @take';
    const rows = this.stmt(sql).all({
      match: ftsMatch(query.words),
      ...filters.params,
      ...(after ? { rank: after[0], createdAt: after[1], id: after[2] } : {}),
      take: query.limit + 1,
    }) as DocRow[];
    return this.page(query, rows, (row) => [row.rank!, row.createdAt, row.id]);
  }

  private list(query: NormalizedQuery): SearchPage {
    const after = decodeCursor(query, listPosition);
    const filters = this.filters(query);
    const sql =
      `SELECT d.id, d.title, d.tags, d.productId, d.createdAt, d.fields FROM "${this.docs}" d WHERE 1 = 1${filters.sql}` +
      `${after ? ' AND (d.createdAt < @createdAt OR (d.createdAt = @createdAt AND d.id > @id))' : ''} ORDER BY d.createdAt DESC, d.id ASC LIMIT @take`;
    const rows = this.stmt(sql).all({ ...filters.params, ...(after ? { createdAt: after[0], id: after[1] } : {}), take: query.limit + 1 }) as DocRow[];
    return this.page(query, rows, (row) => [row.createdAt, row.id]);
  }

  /** Rows were fetched with one extra: its presence is what says that more hits follow. */
  private page(query: NormalizedQuery, rows: DocRow[], position: (row: DocRow) => unknown[]): SearchPage {
    const more = rows.length > query.limit;
    const shown = more ? rows.slice(0, query.limit) : rows;
    const hits: SearchHit[] = shown.map((row) => ({ document: toDocument(row), score: row.rank === undefined ? 0 : -row.rank }));
    const last = shown[shown.length - 1];
    return { hits, ...(more && last ? { nextCursor: encodeCursor(query, position(last)) } : {}) };
  }
}

/**
 * The FTS5 MATCH expression: every word quoted (so nothing in it is FTS5 syntax), prefix words starred,
 * all of them required. Words never contain a quote (`searchWords` keeps letters, digits and marks only);
 * doubling quotes anyway keeps this function safe on its own.
 */
export function ftsMatch(words: readonly string[]): string {
  if (words.length === 0) throw new ValidationError('a text search needs at least one word');
  return words.map((word) => `"${word.replaceAll('"', '""')}"${isPrefixWord(word) ? '*' : ''}`).join(' AND ');
}

function toDocument(row: DocRow): SearchDocument {
  return {
    id: row.id,
    title: row.title,
    tags: JSON.parse(row.tags) as string[],
    ...(row.productId !== null ? { productId: row.productId } : {}),
    createdAt: row.createdAt,
    ...(row.fields !== null ? { fields: JSON.parse(row.fields) as Record<string, string | number | boolean> } : {}),
  };
}
