/**
 * CreateIndex and DropIndex (https://www.alibabacloud.com/help/en/tablestore/developer-reference/createindex,
 * …/dropindex): a secondary index added to or removed from an existing data table (`secondary.ts`). With
 * `include_base_data` the new index is filled from the table's rows at once; without it, only rows written
 * from then on are in it, as in TableStore.
 */
import { quotaExhausted, parameterInvalid } from '../errors';
import { decodeRequest, encodeResponse, requireTable, type OperationHandler } from '../handler';
import { protos } from '../sdk';
import { buildIndex, checkIndexable, INDEX_LIMITS, indexFrom, refuseIndexDdl, requireIndex, type IndexMetaMessage } from '../secondary';
import type { TableMeta } from '../table';
import { TABLE_LIMITS } from './ddl';

interface CreateIndexRequest {
  mainTableName: string;
  indexMeta?: IndexMetaMessage | null;
  includeBaseData?: boolean;
}

export const createIndex: OperationHandler = (context) => {
  const request = decodeRequest<CreateIndexRequest>(protos.main.CreateIndexRequest!, context.body);
  const base = requireTable(context, request.mainTableName);
  refuseIndexDdl(base, 'CreateIndex');
  if (!request.indexMeta) throw parameterInvalid('CreateIndex: index_meta is missing.');
  checkIndexable(base.meta, 'CreateIndex');
  const { index, meta } = indexFrom(base.meta, request.indexMeta, (name) => context.storage.table(context.instance, name) !== undefined, context.now);
  const existing = base.meta.secondaryIndexes ?? [];
  if (existing.length >= INDEX_LIMITS.perTable) throw parameterInvalid(`Table [${base.meta.name}] already has ${existing.length} indexes, the most a table can have.`);
  if (context.storage.tables(context.instance).length >= TABLE_LIMITS.tablesPerInstance) throw quotaExhausted('Number of tables exceeded the quota.');
  const indexTable = context.storage.insertTable(context.instance, meta);
  const updated: TableMeta = { ...base.meta, secondaryIndexes: [...existing, index] };
  context.storage.updateTable({ ...base, meta: updated });
  if (request.includeBaseData) buildIndex(context.storage, base, indexTable, context.now);
  return encodeResponse(protos.main.CreateIndexResponse!, {});
};

export const dropIndex: OperationHandler = (context) => {
  const request = decodeRequest<{ mainTableName: string; indexName: string }>(protos.main.DropIndexRequest!, context.body);
  const base = requireTable(context, request.mainTableName);
  refuseIndexDdl(base, 'DropIndex');
  requireIndex(base, request.indexName);
  const left = (base.meta.secondaryIndexes ?? []).filter((i) => i.name !== request.indexName);
  const updated: TableMeta = { ...base.meta };
  // No field at all when none is left: writes test its presence (the hot path of a table without indexes).
  if (left.length > 0) updated.secondaryIndexes = left;
  else delete updated.secondaryIndexes;
  context.storage.updateTable({ ...base, meta: updated });
  const indexTable = context.storage.table(context.instance, request.indexName);
  if (indexTable) context.storage.dropTable(indexTable);
  return encodeResponse(protos.main.DropIndexResponse!, {});
};
