import type { Table } from '#shared/ports/table';

/**
 * A `Table` that counts what each read returned, by table name: rows (GetRow, GetRange pages, BatchGetRow) and
 * calls. Tests assert on it that a request's work is bounded by what it answers, not by what is stored (D109);
 * the IoT series bench reports it for the rollup's minute.
 */
export interface CountingTable {
  table: Table;
  rows: Record<string, number>;
  calls: Record<string, number>;
  reset(): void;
}

export function countingTable(inner: Table): CountingTable {
  const counts: Omit<CountingTable, 'table'> = {
    rows: {},
    calls: {},
    reset() {
      counts.rows = {};
      counts.calls = {};
    },
  };
  const count = (name: string, n: number) => {
    counts.rows[name] = (counts.rows[name] ?? 0) + n;
    counts.calls[name] = (counts.calls[name] ?? 0) + 1;
  };
  const table: Table = {
    getRow: async (name, primaryKey, options) => {
      const row = await inner.getRow(name, primaryKey, options);
      count(name, row ? 1 : 0);
      return row;
    },
    getRange: async (name, query) => {
      const page = await inner.getRange(name, query);
      count(name, page.rows.length);
      return page;
    },
    batchGetRow: async (name, keys, options) => {
      const found = await inner.batchGetRow(name, keys, options);
      count(name, found.filter(Boolean).length);
      return found;
    },
    putRow: (...args) => inner.putRow(...args),
    updateRow: (...args) => inner.updateRow(...args),
    deleteRow: (...args) => inner.deleteRow(...args),
    batchWriteRow: (ops) => inner.batchWriteRow(ops),
  };
  return Object.assign(counts, { table }) as CountingTable;
}
