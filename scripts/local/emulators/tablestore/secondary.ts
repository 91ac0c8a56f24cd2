/**
 * Secondary indexes (global and local), D158: an index is a table of its own in `ots_tables` (its meta says
 * `indexOf` its data table), so GetRow, GetRange and BatchGetRow read it like any table; the data table's meta
 * lists its indexes, and every write to the data table rewrites the index rows it changes in the same
 * transaction (`maintainIndexes`). TableStore's rules
 * (https://www.alibabacloud.com/help/en/tablestore/secondary-index-limits and the secondary index overview):
 * - index columns: 1–4 of the data table's primary key and predefined columns (INTEGER, STRING or BINARY);
 *   the index's primary key is those followed by every data-table primary key column not among them;
 * - attribute columns: up to 32 predefined columns, not index columns; never a primary key column;
 * - at most 5 indexes per table; index names share the instance's table namespace;
 * - the data table keeps max versions 1, and a TTL only with UpdateRow disabled (the index expires alike);
 * - a local index starts with the data table's first primary key column and updates synchronously; a global
 *   index updates asynchronously in TableStore (within milliseconds) — here it is current at once, like a local one;
 * - sparse: a row lacking any index column is not in the index; a missing attribute column is just absent;
 * - index tables are read-only.
 */
import { notEmulated, OtsError, parameterInvalid } from './errors';
import { encodeKey, type PkType } from './keys';
import type { Storage } from './storage';
import { latestCells, liveRow, NAME_PATTERN, type CellVersion, type LiveRow, type TableHandle, type TableMeta } from './table';
import type { CellValue, PkCell, PkValue } from './values';

export type SecondaryIndexType = 'GLOBAL' | 'LOCAL';

/** An index as its data table's meta keeps it (DescribeTable answers from this). */
export interface SecondaryIndexMeta {
  name: string;
  type: SecondaryIndexType;
  /** The index columns as the request named them (the index table's key appends the data table's other key columns). */
  indexColumns: string[];
  /** Attribute columns: predefined columns of the data table copied into the index. */
  attributeColumns: string[];
}

/** TableStore's limits on secondary indexes. */
export const INDEX_LIMITS = { perTable: 5, indexColumns: 4, attributeColumns: 32, indexValueBytes: 1024 } as const;

/** tablestore.proto's enums. */
export const INDEX_TYPE = { IT_GLOBAL_INDEX: 0, IT_LOCAL_INDEX: 1 } as const;
export const INDEX_UPDATE_MODE = { IUM_ASYNC_INDEX: 0, IUM_SYNC_INDEX: 1 } as const;
export const INDEX_SYNC_PHASE_INCR = 2;

/** The `IndexMeta` message as the SDK's decoder gives it. */
export interface IndexMetaMessage {
  name: string;
  primaryKey?: string[];
  definedColumn?: string[];
  indexUpdateMode?: number;
  indexType?: number;
  indexSyncPhase?: number;
}

const INDEXABLE_TYPES = new Set<string>(['INTEGER', 'STRING', 'BINARY']);

export function isIndexTable(meta: TableMeta): boolean {
  return meta.indexOf !== undefined;
}

/**
 * What a data table must keep while it has a secondary index (CreateIndex's prerequisites, UpdateTable keeps
 * them): max versions 1, and a TTL only with UpdateRow disabled.
 */
export function checkIndexable(meta: TableMeta, operation: 'CreateTable' | 'CreateIndex' | 'UpdateTable'): void {
  const because = operation === 'UpdateTable' ? 'because the table has a secondary index' : 'to have a secondary index';
  if (meta.maxVersions !== 1) throw parameterInvalid(`${operation}: table [${meta.name}] must keep max_versions 1 ${because} (it would be ${meta.maxVersions}).`);
  if (meta.ttlSeconds !== -1 && meta.allowUpdate) {
    throw parameterInvalid(`${operation}: table [${meta.name}] has time_to_live ${meta.ttlSeconds}: allow_update must be false ${because}.`);
  }
}

/**
 * Checks one `IndexMeta` against its data table and answers the index (for the data table's meta) and the index
 * table's meta. `taken` tells whether a name is already a table or index of the instance.
 */
export function indexFrom(base: TableMeta, message: IndexMetaMessage, taken: (name: string) => boolean, now: number): { index: SecondaryIndexMeta; meta: TableMeta } {
  const name = message.name ?? '';
  if (!NAME_PATTERN.test(name)) throw parameterInvalid(`Invalid index name: '${name}'.`);
  if (taken(name)) throw new OtsError(409, 'OTSObjectAlreadyExist', `Requested table already exists: ${name} (index names share the instance's table names).`);
  const type = message.indexType ?? INDEX_TYPE.IT_GLOBAL_INDEX;
  if (type !== INDEX_TYPE.IT_GLOBAL_INDEX && type !== INDEX_TYPE.IT_LOCAL_INDEX) throw parameterInvalid(`Invalid index_type of index [${name}]: ${type}.`);
  const mode = message.indexUpdateMode ?? INDEX_UPDATE_MODE.IUM_ASYNC_INDEX;
  if (mode !== INDEX_UPDATE_MODE.IUM_ASYNC_INDEX && mode !== INDEX_UPDATE_MODE.IUM_SYNC_INDEX) throw parameterInvalid(`Invalid index_update_mode of index [${name}]: ${mode}.`);
  // TableStore pairs them: a global index is updated asynchronously, a local one synchronously.
  if (type === INDEX_TYPE.IT_LOCAL_INDEX && mode !== INDEX_UPDATE_MODE.IUM_SYNC_INDEX) throw parameterInvalid(`Index [${name}]: a local index (IT_LOCAL_INDEX) needs index_update_mode IUM_SYNC_INDEX.`);
  if (type === INDEX_TYPE.IT_GLOBAL_INDEX && mode !== INDEX_UPDATE_MODE.IUM_ASYNC_INDEX) throw parameterInvalid(`Index [${name}]: a global index (IT_GLOBAL_INDEX) needs index_update_mode IUM_ASYNC_INDEX.`);

  const pkTypes = new Map<string, PkType>(base.primaryKey.map((c) => [c.name, c.type]));
  const definedTypes = new Map(base.definedColumns.map((c) => [c.name, c.type]));
  const indexColumns = message.primaryKey ?? [];
  if (indexColumns.length < 1 || indexColumns.length > INDEX_LIMITS.indexColumns) {
    throw parameterInvalid(`Index [${name}]: the number of index columns (primary_key) must be in range [1, ${INDEX_LIMITS.indexColumns}], got ${indexColumns.length}.`);
  }
  const seen = new Set<string>();
  const key: TableMeta['primaryKey'] = [];
  for (const column of indexColumns) {
    if (seen.has(column)) throw parameterInvalid(`Index [${name}]: duplicated index column (primary_key) '${column}'.`);
    seen.add(column);
    const pkType = pkTypes.get(column);
    const definedType = definedTypes.get(column);
    if (pkType === undefined && definedType === undefined) throw parameterInvalid(`Index [${name}]: index column (primary_key) '${column}' is neither a primary key column nor a predefined column of table [${base.name}].`);
    if (definedType !== undefined && !INDEXABLE_TYPES.has(definedType)) throw parameterInvalid(`Index [${name}]: index column (primary_key) '${column}' is ${definedType}; index columns must be INTEGER, STRING or BINARY.`);
    key.push({ name: column, type: (pkType ?? definedType) as PkType });
  }
  const first = base.primaryKey[0]!;
  if (type === INDEX_TYPE.IT_LOCAL_INDEX && indexColumns[0] !== first.name) {
    throw parameterInvalid(`Index [${name}]: the first index column (primary_key) of a local index must be the table's first primary key column '${first.name}', got '${indexColumns[0]}'.`);
  }
  if (base.primaryKey.find((c) => c.name === indexColumns[0])?.autoIncrement) throw parameterInvalid(`Index [${name}]: the first index column (primary_key) cannot be the AUTO_INCREMENT column '${indexColumns[0]}'.`);
  // Autocomplete: the data table's key columns not named yet, in the table's order.
  for (const column of base.primaryKey) if (!seen.has(column.name)) key.push({ name: column.name, type: column.type });

  const attributeColumns = message.definedColumn ?? [];
  if (attributeColumns.length > INDEX_LIMITS.attributeColumns) throw parameterInvalid(`Index [${name}]: the number of attribute columns (defined_column) must be at most ${INDEX_LIMITS.attributeColumns}, got ${attributeColumns.length}.`);
  const attributes: TableMeta['definedColumns'] = [];
  for (const column of attributeColumns) {
    if (pkTypes.has(column)) throw parameterInvalid(`Index [${name}]: attribute column (defined_column) '${column}' is a primary key column; primary key columns can only be index columns.`);
    const definedType = definedTypes.get(column);
    if (definedType === undefined) throw parameterInvalid(`Index [${name}]: attribute column (defined_column) '${column}' is not a predefined column of table [${base.name}].`);
    if (seen.has(column)) throw parameterInvalid(`Index [${name}]: column '${column}' is both an index column and an attribute column (defined_column).`);
    seen.add(column);
    attributes.push({ name: column, type: definedType });
  }
  const index: SecondaryIndexMeta = { name, type: type === INDEX_TYPE.IT_LOCAL_INDEX ? 'LOCAL' : 'GLOBAL', indexColumns: [...indexColumns], attributeColumns: [...attributeColumns] };
  const meta: TableMeta = {
    name,
    primaryKey: key,
    definedColumns: attributes,
    // The index expires with its data table (TableStore keeps the two TTLs equal).
    ttlSeconds: base.ttlSeconds,
    maxVersions: 1,
    deviationSeconds: base.deviationSeconds,
    allowUpdate: base.allowUpdate,
    reserved: { read: 0, write: 0, lastIncreaseTime: Math.floor(now / 1000) },
    createdAt: now,
    indexOf: base.name,
  };
  return { index, meta };
}

/** The index table's meta following its data table's TTL and options (after UpdateTable). */
export function followBase(index: TableMeta, base: TableMeta): TableMeta {
  return { ...index, ttlSeconds: base.ttlSeconds, deviationSeconds: base.deviationSeconds, allowUpdate: base.allowUpdate };
}

/** The `IndexMeta` messages DescribeTable answers: the index table's whole primary key, its attribute columns. */
export function indexMetaMessages(storage: Storage, table: TableHandle): object[] {
  return (table.meta.secondaryIndexes ?? []).map((index) => {
    const indexTable = storage.table(table.instance, index.name);
    return {
      name: index.name,
      primaryKey: indexTable ? indexTable.meta.primaryKey.map((c) => c.name) : index.indexColumns,
      definedColumn: index.attributeColumns,
      indexUpdateMode: index.type === 'LOCAL' ? INDEX_UPDATE_MODE.IUM_SYNC_INDEX : INDEX_UPDATE_MODE.IUM_ASYNC_INDEX,
      indexType: index.type === 'LOCAL' ? INDEX_TYPE.IT_LOCAL_INDEX : INDEX_TYPE.IT_GLOBAL_INDEX,
      // Built at once (base data included): always in the incremental phase.
      indexSyncPhase: INDEX_SYNC_PHASE_INCR,
    };
  });
}

/** Index tables are read-only: every write names the data table to write instead. */
export function refuseIndexWrite(table: TableHandle): void {
  if (table.meta.indexOf !== undefined) throw parameterInvalid(`Table [${table.meta.name}] is an index table of [${table.meta.indexOf}] and is read-only: write to its data table.`);
}

/** DDL that does not apply to an index table, refused naming what to do instead. */
export function refuseIndexDdl(table: TableHandle, operation: string): void {
  if (table.meta.indexOf === undefined) return;
  if (operation === 'DeleteTable') throw parameterInvalid(`Table [${table.meta.name}] is an index table of [${table.meta.indexOf}]: drop it with DropIndex.`);
  throw notEmulated(`${operation} of an index table ([${table.meta.name}], an index of [${table.meta.indexOf}])`);
}

/**
 * When the data table has an index, a predefined column must be written with its declared type (the index's
 * key and attribute columns are typed by it).
 */
export function checkDefinedTypes(meta: TableMeta, cells: readonly { name: string; value?: CellValue | undefined }[]): void {
  for (const cell of cells) {
    if (!cell.value) continue;
    const defined = meta.definedColumns.find((c) => c.name === cell.name);
    if (defined && defined.type !== cell.value.type) throw parameterInvalid(`Column [${cell.name}] is a predefined column of type ${defined.type}; got ${cell.value.type} (table [${meta.name}] has a secondary index).`);
  }
}

interface IndexRow {
  key: Buffer;
  primaryKey: PkCell[];
  columns: Map<string, CellVersion[]>;
}

/** The index row of a data-table row, or undefined when the row lacks an index column (sparse index). */
function indexRow(indexMeta: TableMeta, row: LiveRow): IndexRow | undefined {
  const latest = new Map<string, { value: CellValue; timestamp: number }>();
  for (const cell of latestCells(row)) latest.set(cell.name, cell);
  for (const cell of row.primaryKey) latest.set(cell.name, { value: cell.value, timestamp: 0 });
  const primaryKey: PkCell[] = [];
  for (const column of indexMeta.primaryKey) {
    const found = latest.get(column.name);
    if (!found || found.value.type !== column.type) return undefined;
    const value = found.value as PkValue;
    const size = value.type === 'STRING' ? Buffer.byteLength(value.value) : value.type === 'BINARY' ? value.value.length : 0;
    if (size > INDEX_LIMITS.indexValueBytes) throw parameterInvalid(`The length of index column '${column.name}' of index [${indexMeta.name}] exceeds the MaxLength:${INDEX_LIMITS.indexValueBytes} with CurrentLength:${size}.`);
    primaryKey.push({ name: column.name, value });
  }
  const columns = new Map<string, CellVersion[]>();
  for (const column of indexMeta.definedColumns) {
    const found = latest.get(column.name);
    if (found && found.value.type === column.type) columns.set(column.name, [{ timestamp: found.timestamp, value: found.value }]);
  }
  return { key: encodeKey(primaryKey), primaryKey, columns };
}

function indexTable(storage: Storage, base: TableHandle, name: string): TableHandle {
  const table = storage.table(base.instance, name);
  if (!table) throw new Error(`index table ${base.instance}/${name} of ${base.meta.name} is missing`);
  return table;
}

/**
 * After a write to `base` changed one row from `before` to `after` (undefined: no row), rewrites that row's
 * entry in each index: the old entry goes when its key changed or the row left the index, the new one is put.
 * Runs inside the write's transaction or savepoint, so the data row and its index rows commit together.
 */
export function maintainIndexes(storage: Storage, base: TableHandle, before: LiveRow | undefined, after: LiveRow | undefined, now: number): void {
  for (const index of base.meta.secondaryIndexes ?? []) {
    const table = indexTable(storage, base, index.name);
    const next = after && indexRow(table.meta, after);
    const previous = before && indexRow(table.meta, before);
    if (previous && (!next || !previous.key.equals(next.key))) storage.deleteRow(table, previous.key);
    if (next) storage.putRow(table, next.key, next.columns, now);
  }
}

/** Fills a new index from the data table's live rows (CreateIndex with `include_base_data`). */
export function buildIndex(storage: Storage, base: TableHandle, index: TableHandle, now: number): void {
  // Read first: better-sqlite3 cannot write while a statement still iterates.
  for (const stored of [...storage.allRows(base)]) {
    const row = liveRow(base.meta, stored, now);
    const entry = row && indexRow(index.meta, row);
    if (entry) storage.putRow(index, entry.key, entry.columns, now);
  }
}

/** The named index of a data table, or OTSObjectNotExist naming it. */
export function requireIndex(base: TableHandle, name: string): SecondaryIndexMeta {
  const index = (base.meta.secondaryIndexes ?? []).find((i) => i.name === name);
  if (!index) throw new OtsError(404, 'OTSObjectNotExist', `Requested index does not exist: ${base.meta.name}/${name}.`);
  return index;
}
