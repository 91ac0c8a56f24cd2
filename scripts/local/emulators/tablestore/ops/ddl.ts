/**
 * Table DDL: CreateTable, ListTable, DescribeTable, UpdateTable, DeleteTable and ComputeSplitPointsBySize
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/createtable and siblings). Tables are
 * created at once (status ACTIVE, no "table not ready" window). Secondary indexes given to CreateTable are created
 * with it (`secondary.ts`); partitions given at creation are accepted and have no effect (one local partition
 * holds every row).
 */
import { randomUUID } from 'node:crypto';
import { objectAlreadyExist, parameterInvalid, quotaExhausted } from '../errors';
import { CONSUMED, decodeRequest, encodeResponse, has, requireTable, type OperationHandler } from '../handler';
import { protos } from '../sdk';
import { NAME_PATTERN, type DefinedColumnType, type StreamSettings, type TableHandle, type TableMeta } from '../table';
import type { PkType } from '../keys';
import { checkIndexable, followBase, INDEX_LIMITS, indexFrom, indexMetaMessages, isIndexTable, refuseIndexDdl, type IndexMetaMessage, type SecondaryIndexMeta } from '../secondary';
import type { Storage } from '../storage';

/** TableStore's limits on tables (https://www.alibabacloud.com/help/en/tablestore/product-overview/general-limits). */
export const TABLE_LIMITS = {
  tablesPerInstance: 64,
  primaryKeyColumns: 4,
  definedColumns: 32,
  minTtlSeconds: 86400,
  streamExpirationHours: { min: 1, max: 168, default: 24 },
  defaultDeviationSeconds: 86400,
} as const;

const PK_TYPES: Record<number, PkType> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };
const PK_CODES: Record<PkType, number> = { INTEGER: 1, STRING: 2, BINARY: 3 };
const DEFINED_TYPES: Record<number, DefinedColumnType> = { 1: 'INTEGER', 2: 'DOUBLE', 3: 'BOOLEAN', 4: 'STRING', 7: 'BINARY' };
const DEFINED_CODES: Record<DefinedColumnType, number> = { INTEGER: 1, DOUBLE: 2, BOOLEAN: 3, STRING: 4, BINARY: 7 };
const AUTO_INCREMENT = 1;
const TABLE_STATUS_ACTIVE = 1;

interface TableOptionsMessage {
  timeToLive?: number;
  maxVersions?: number;
  bloomFilterType?: number;
  blockSize?: number;
  deviationCellVersionInSec?: number | { toNumber(): number };
  allowUpdate?: boolean;
}

interface StreamSpecMessage {
  enableStream: boolean;
  expirationTime?: number;
}

function number(value: number | { toNumber(): number }): number {
  return typeof value === 'number' ? value : value.toNumber();
}

export function checkTableName(name: string): void {
  if (!NAME_PATTERN.test(name)) throw parameterInvalid(`Invalid table name: '${name}'.`);
}

function checkTtl(ttl: number): void {
  if (ttl === 0 || ttl < -1) throw parameterInvalid('TimeToLive cannot be 0 or less than -1.');
  if (ttl !== -1 && ttl < TABLE_LIMITS.minTtlSeconds) throw parameterInvalid(`The time to live must be -1 or at least ${TABLE_LIMITS.minTtlSeconds} seconds, got ${ttl}.`);
}

function checkMaxVersions(versions: number): void {
  if (versions <= 0) throw parameterInvalid('The maximum versions cannot be less than or equal to 0.');
}

function checkDeviation(seconds: number): void {
  if (seconds <= 0 || seconds > Number.MAX_SAFE_INTEGER / 1_000_000) throw parameterInvalid('The maximum deviation must be in range [0, INT64_MAX/1000000].');
}

function newStream(table: string, expiration: number | undefined, now: number): StreamSettings {
  const hours = expiration ?? TABLE_LIMITS.streamExpirationHours.default;
  const { min, max } = TABLE_LIMITS.streamExpirationHours;
  if (!Number.isInteger(hours) || hours < min || hours > max) throw parameterInvalid(`Invalid stream expiration time: ${hours}. It must be in range [${min}, ${max}] hours.`);
  return { streamId: `${table}_${now}_${randomUUID().slice(0, 8)}`, expirationHours: hours, enabledAt: now };
}

function checkCapacity(unit: { read?: number; write?: number } | undefined): { read: number; write: number } {
  const read = unit?.read ?? 0;
  const write = unit?.write ?? 0;
  if (read < 0 || write < 0) throw parameterInvalid(`Invalid Capacity Unit:${read < 0 ? read : write} . Capacity Unit must be nonnegative.`);
  return { read, write };
}

interface CreateTableRequest {
  tableMeta: { tableName: string; primaryKey: { name: string; type: number; option?: number }[]; definedColumn?: { name: string; type: number }[] };
  reservedThroughput?: { capacityUnit?: { read?: number; write?: number } };
  tableOptions?: TableOptionsMessage | null;
  partitions?: unknown[];
  streamSpec?: StreamSpecMessage | null;
  indexMetas?: IndexMetaMessage[];
}

/** The checked metadata of a CreateTable request. */
export function tableMetaFrom(request: CreateTableRequest, now: number): TableMeta {
  const meta = request.tableMeta;
  checkTableName(meta.tableName);
  const pk = meta.primaryKey ?? [];
  if (pk.length < 1 || pk.length > TABLE_LIMITS.primaryKeyColumns) throw parameterInvalid(`The number of primary key columns must be in range: [1, ${TABLE_LIMITS.primaryKeyColumns}].`);
  const names = new Set<string>();
  const primaryKey = pk.map((column, i) => {
    if (!NAME_PATTERN.test(column.name)) throw parameterInvalid(`Invalid column name: '${column.name}'.`);
    if (names.has(column.name)) throw parameterInvalid(`Duplicated primary key name: '${column.name}'.`);
    names.add(column.name);
    const type = PK_TYPES[column.type];
    if (!type) throw parameterInvalid(`${column.type} is an invalid type for the primary key.`);
    const autoIncrement = has(column, 'option') && column.option === AUTO_INCREMENT;
    if (autoIncrement && type !== 'INTEGER') throw parameterInvalid(`Auto increment pk must be integer, name: ${column.name}.`);
    if (autoIncrement && i === 0) throw parameterInvalid(`First primary key can't be auto increment, table: ${meta.tableName}.`);
    return { name: column.name, type, ...(autoIncrement ? { autoIncrement: true } : {}) };
  });
  if (primaryKey.filter((c) => c.autoIncrement).length > 1) throw parameterInvalid('AUTO_INCREMENT primary key count must <= 1.');
  const defined = meta.definedColumn ?? [];
  if (defined.length > TABLE_LIMITS.definedColumns) throw parameterInvalid(`The number of defined columns must be in range: [0, ${TABLE_LIMITS.definedColumns}].`);
  const definedColumns = defined.map((column) => {
    if (!NAME_PATTERN.test(column.name)) throw parameterInvalid(`Invalid column name: '${column.name}'.`);
    if (names.has(column.name)) throw parameterInvalid(`Duplicated attribute column name with primary key column:${column.name}.`);
    const type = DEFINED_TYPES[column.type];
    if (!type) throw parameterInvalid(`${column.type} is an invalid type for the attribute column.`);
    return { name: column.name, type };
  });
  const options = request.tableOptions ?? {};
  if (!has(options, 'timeToLive')) throw parameterInvalid('Time-to-live is missing while creating table.');
  if (!has(options, 'maxVersions')) throw parameterInvalid('MaxVersions is missing while creating table.');
  checkTtl(options.timeToLive!);
  checkMaxVersions(options.maxVersions!);
  const deviation = has(options, 'deviationCellVersionInSec') ? number(options.deviationCellVersionInSec!) : TABLE_LIMITS.defaultDeviationSeconds;
  checkDeviation(deviation);
  const reserved = checkCapacity(request.reservedThroughput?.capacityUnit);
  const stream = request.streamSpec?.enableStream ? newStream(meta.tableName, request.streamSpec.expirationTime || undefined, now) : undefined;
  return {
    name: meta.tableName,
    primaryKey,
    definedColumns,
    ttlSeconds: options.timeToLive!,
    maxVersions: options.maxVersions!,
    deviationSeconds: deviation,
    allowUpdate: has(options, 'allowUpdate') ? options.allowUpdate! : true,
    reserved: { ...reserved, lastIncreaseTime: Math.floor(now / 1000) },
    ...(stream ? { stream } : {}),
    createdAt: now,
  };
}

/**
 * What a table must keep while it has a search index (CreateSearchIndex's usage notes; UpdateTable's docs repeat
 * them for each option): max versions 1, and a time to live only with UpdateRow disabled. `operation` says who asks,
 * so the refusal names the field that breaks it and why.
 */
export function checkSearchIndexable(meta: TableMeta, operation: 'UpdateTable' | 'CreateSearchIndex'): void {
  const because = operation === 'UpdateTable' ? 'because the table has a search index' : 'to have a search index';
  if (meta.maxVersions !== 1) throw parameterInvalid(`${operation}: table [${meta.name}] must keep max_versions 1 ${because} (it would be ${meta.maxVersions}).`);
  if (meta.ttlSeconds !== -1 && meta.allowUpdate) {
    throw parameterInvalid(`${operation}: table [${meta.name}] has time_to_live ${meta.ttlSeconds}: allow_update must be false ${because} (set both in one UpdateTable).`);
  }
}

/** Tables and index tables count alike against the instance's 64 (TableStore's global secondary index limits). */
function checkTableQuota(storage: Storage, instance: string, adding: number): void {
  if (storage.tables(instance).length + adding > TABLE_LIMITS.tablesPerInstance) throw quotaExhausted('Number of tables exceeded the quota.');
}

/** The checked indexes a CreateTable request declares, with their index tables' metas. */
function declaredIndexes(context: { storage: Storage; instance: string; now: number }, meta: TableMeta, messages: IndexMetaMessage[]): { index: SecondaryIndexMeta; meta: TableMeta }[] {
  if (messages.length === 0) return [];
  checkIndexable(meta, 'CreateTable');
  if (messages.length > INDEX_LIMITS.perTable) throw parameterInvalid(`The number of indexes (index_metas) must be at most ${INDEX_LIMITS.perTable}, got ${messages.length}.`);
  const names = new Set([meta.name]);
  return messages.map((message) => {
    const made = indexFrom(meta, message, (name) => names.has(name) || context.storage.table(context.instance, name) !== undefined, context.now);
    names.add(made.index.name);
    return made;
  });
}

export const createTable: OperationHandler = (context) => {
  const request = decodeRequest<CreateTableRequest>(protos.main.CreateTableRequest!, context.body);
  const meta = tableMetaFrom(request, context.now);
  if (context.storage.table(context.instance, meta.name)) throw objectAlreadyExist(meta.name);
  const indexes = declaredIndexes(context, meta, request.indexMetas ?? []);
  checkTableQuota(context.storage, context.instance, 1 + indexes.length);
  if (indexes.length > 0) meta.secondaryIndexes = indexes.map((i) => i.index);
  context.storage.insertTable(context.instance, meta);
  for (const index of indexes) context.storage.insertTable(context.instance, index.meta);
  return encodeResponse(protos.main.CreateTableResponse!, {});
};

export const listTable: OperationHandler = (context) => {
  decodeRequest(protos.main.ListTableRequest!, context.body);
  // Index tables are reached through their data table (DescribeTable's index_metas), not listed.
  return encodeResponse(protos.main.ListTableResponse!, { tableNames: context.storage.tables(context.instance).filter((t) => !isIndexTable(t.meta)).map((t) => t.meta.name) });
};

function optionsMessage(meta: TableMeta): object {
  return { timeToLive: meta.ttlSeconds, maxVersions: meta.maxVersions, deviationCellVersionInSec: meta.deviationSeconds, allowUpdate: meta.allowUpdate };
}

function throughputMessage(meta: TableMeta): object {
  return {
    capacityUnit: { read: meta.reserved.read, write: meta.reserved.write },
    lastIncreaseTime: meta.reserved.lastIncreaseTime,
    ...(meta.reserved.lastDecreaseTime !== undefined ? { lastDecreaseTime: meta.reserved.lastDecreaseTime } : {}),
  };
}

function streamMessage(meta: TableMeta): object {
  const stream = meta.stream;
  return stream ? { enableStream: true, streamId: stream.streamId, expirationTime: stream.expirationHours, lastEnableTime: stream.enabledAt } : { enableStream: false };
}

export const describeTable: OperationHandler = (context) => {
  const request = decodeRequest<{ tableName: string }>(protos.main.DescribeTableRequest!, context.body);
  const table = requireTable(context, request.tableName);
  refuseIndexDdl(table, 'DescribeTable');
  const { meta } = table;
  return encodeResponse(protos.main.DescribeTableResponse!, {
    tableMeta: {
      tableName: meta.name,
      primaryKey: meta.primaryKey.map((c) => ({ name: c.name, type: PK_CODES[c.type], ...(c.autoIncrement ? { option: AUTO_INCREMENT } : {}) })),
      definedColumn: meta.definedColumns.map((c) => ({ name: c.name, type: DEFINED_CODES[c.type] })),
    },
    reservedThroughputDetails: throughputMessage(meta),
    tableOptions: optionsMessage(meta),
    tableStatus: TABLE_STATUS_ACTIVE,
    streamDetails: streamMessage(meta),
    shardSplits: [],
    indexMetas: indexMetaMessages(context.storage, table),
  });
};

export const updateTable: OperationHandler = (context) => {
  const request = decodeRequest<{ tableName: string; reservedThroughput?: { capacityUnit?: { read?: number; write?: number } } | null; tableOptions?: TableOptionsMessage | null; streamSpec?: StreamSpecMessage | null }>(
    protos.main.UpdateTableRequest!,
    context.body,
  );
  const table = requireTable(context, request.tableName);
  refuseIndexDdl(table, 'UpdateTable');
  const meta: TableMeta = { ...table.meta, reserved: { ...table.meta.reserved } };
  const options = request.tableOptions ?? {};
  // The Node SDK always sends a TableOptions message, empty when only the stream or throughput changes.
  const changesOptions = ['timeToLive', 'maxVersions', 'deviationCellVersionInSec', 'allowUpdate'].some((f) => has(options, f));
  if (!changesOptions && !request.reservedThroughput && !request.streamSpec) throw parameterInvalid('No parameter is specified in table options.');
  if (has(options, 'timeToLive')) {
    checkTtl(options.timeToLive!);
    meta.ttlSeconds = options.timeToLive!;
  }
  if (has(options, 'maxVersions')) {
    checkMaxVersions(options.maxVersions!);
    meta.maxVersions = options.maxVersions!;
  }
  if (has(options, 'deviationCellVersionInSec')) {
    meta.deviationSeconds = number(options.deviationCellVersionInSec!);
    checkDeviation(meta.deviationSeconds);
  }
  if (has(options, 'allowUpdate')) meta.allowUpdate = options.allowUpdate!;
  if (request.reservedThroughput) {
    const next = checkCapacity(request.reservedThroughput.capacityUnit);
    const now = Math.floor(context.now / 1000);
    if (next.read > meta.reserved.read || next.write > meta.reserved.write) meta.reserved.lastIncreaseTime = now;
    if (next.read < meta.reserved.read || next.write < meta.reserved.write) meta.reserved.lastDecreaseTime = now;
    Object.assign(meta.reserved, next);
  }
  if (request.streamSpec) {
    if (!request.streamSpec.enableStream) delete meta.stream;
    else if (meta.stream) meta.stream = { ...meta.stream, expirationHours: newStream(meta.name, request.streamSpec.expirationTime || meta.stream.expirationHours, context.now).expirationHours };
    else meta.stream = newStream(meta.name, request.streamSpec.expirationTime || undefined, context.now);
  }
  if (context.storage.searchIndexes(table).length > 0) checkSearchIndexable(meta, 'UpdateTable');
  if (meta.secondaryIndexes) checkIndexable(meta, 'UpdateTable');
  const updated: TableHandle = { ...table, meta };
  context.storage.updateTable(updated);
  // Index tables expire with their data table.
  for (const index of meta.secondaryIndexes ?? []) {
    const indexTable = context.storage.table(context.instance, index.name);
    if (indexTable) context.storage.updateTable({ ...indexTable, meta: followBase(indexTable.meta, meta) });
  }
  context.search.tableChanged(updated);
  return encodeResponse(protos.main.UpdateTableResponse!, { reservedThroughputDetails: throughputMessage(meta), tableOptions: optionsMessage(meta), streamDetails: streamMessage(meta) });
};

export const deleteTable: OperationHandler = (context) => {
  const request = decodeRequest<{ tableName: string }>(protos.main.DeleteTableRequest!, context.body);
  const table = requireTable(context, request.tableName);
  refuseIndexDdl(table, 'DeleteTable');
  if (context.storage.searchIndexes(table).length > 0) throw parameterInvalid(`Table[${table.meta.name}] who has at least one search index cannot be deleted.`);
  // A data table's index tables go with it.
  for (const index of table.meta.secondaryIndexes ?? []) {
    const indexTable = context.storage.table(context.instance, index.name);
    if (indexTable) context.storage.dropTable(indexTable);
  }
  context.storage.dropTable(table);
  context.search.tableChanged(undefined, table.id);
  return encodeResponse(protos.main.DeleteTableResponse!, {});
};

/** One local partition: no split points, the whole table in one split. */
export const computeSplitPointsBySize: OperationHandler = (context) => {
  const request = decodeRequest<{ tableName: string; splitSize: number | { toNumber(): number } }>(protos.main.ComputeSplitPointsBySizeRequest!, context.body);
  const { meta } = requireTable(context, request.tableName);
  if (number(request.splitSize) <= 0) throw parameterInvalid('Invalid split size: it must be greater than 0.');
  return encodeResponse(protos.main.ComputeSplitPointsBySizeResponse!, {
    consumed: CONSUMED,
    schema: meta.primaryKey.map((c) => ({ name: c.name, type: PK_CODES[c.type], ...(c.autoIncrement ? { option: AUTO_INCREMENT } : {}) })),
    splitPoints: [],
    locations: [{ location: '', repeat: 1 }],
  });
};
