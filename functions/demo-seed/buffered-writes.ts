import { BATCH_WRITE_LIMIT, type Attributes, type BatchWriteOp, type BatchWriteResult, type PrimaryKey, type Table } from '#shared/ports/table';

/**
 * A Table that keeps unconditional puts instead of sending them, so the seed can write the catalogue through each
 * service's own `put*` functions and still send it in a few `BatchWriteRow` requests (one per 200 rows) instead of
 * one request per row: a new data folder's first start seeded ~130 rows one at a time, each a signed request to
 * TableStore (docs/decisions.md D43). Anything else — reads, conditional or partial writes — is refused by name:
 * the seed would otherwise read what it has not written yet.
 */
export class BufferedWrites implements Table {
  private readonly rows = new Map<string, Extract<BatchWriteOp, { type: 'PUT' }>>();

  /** Rows kept so far. */
  get size(): number {
    return this.rows.size;
  }

  putRow(table: string, primaryKey: PrimaryKey, attributes: Attributes, options?: { condition?: unknown }): Promise<void> {
    if (options?.condition) return Promise.reject(refused('putRow with a condition'));
    this.keep(table, primaryKey, attributes);
    return Promise.resolve();
  }

  batchWriteRow(ops: BatchWriteOp[]): Promise<BatchWriteResult[]> {
    const unsupported = ops.find((op) => op.type !== 'PUT' || op.condition);
    if (unsupported) return Promise.reject(refused(`batchWriteRow with a ${unsupported.type}${unsupported.condition ? ' and a condition' : ''}`));
    for (const op of ops) if (op.type === 'PUT') this.keep(op.table, op.primaryKey, op.attributes);
    return Promise.resolve(ops.map(() => ({ ok: true }) as const));
  }

  /**
   * Writes every kept row to `table` in batches and forgets them; throws naming the first row TableStore refused
   * (the rows of other batches may be written: every put here is idempotent, so writing them again is harmless).
   */
  async flushTo(table: Table): Promise<void> {
    const ops = [...this.rows.values()];
    this.rows.clear();
    for (let i = 0; i < ops.length; i += BATCH_WRITE_LIMIT) {
      const batch = ops.slice(i, i + BATCH_WRITE_LIMIT);
      const results = await table.batchWriteRow(batch);
      const failed = results.findIndex((result) => !result.ok);
      if (failed >= 0) {
        const result = results[failed] as Extract<BatchWriteResult, { ok: false }>;
        throw new Error(`seeding ${batch[failed]!.table} ${JSON.stringify(batch[failed]!.primaryKey)} failed: ${result.code} ${result.message}`);
      }
    }
  }

  getRow(): never {
    throw refused('getRow');
  }
  updateRow(): never {
    throw refused('updateRow');
  }
  deleteRow(): never {
    throw refused('deleteRow');
  }
  getRange(): never {
    throw refused('getRange');
  }
  batchGetRow(): never {
    throw refused('batchGetRow');
  }

  /** A later put of the same row replaces the earlier one, as it would have in TableStore (a batch may not name a row twice). */
  private keep(table: string, primaryKey: PrimaryKey, attributes: Attributes): void {
    this.rows.set(`${table}\0${JSON.stringify(primaryKey)}`, { type: 'PUT', table, primaryKey, attributes });
  }
}

function refused(what: string): Error {
  return new Error(`BufferedWrites keeps unconditional puts only; ${what} is not buffered`);
}
