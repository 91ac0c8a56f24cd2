/** Every operation the emulator answers, by wire name (the path `/<Operation>`), and those it refuses by name. */
import { notEmulated } from '../errors';
import type { OperationHandler } from '../handler';
import { computeSplits, createSearchIndex, deleteSearchIndex, describeSearchIndex, listSearchIndex, parallelScan, search, updateSearchIndex } from '../search/ops';
import { describeStream, getShardIterator, getStreamRecord, listStream } from '../stream/ops';
import { batchGetRow, batchWriteRow } from './batch';
import { computeSplitPointsBySize, createTable, deleteTable, describeTable, listTable, updateTable } from './ddl';
import { createIndex, dropIndex } from './indexes';
import { getRange } from './range';
import { deleteRowHandler, getRow, putRowHandler, updateRowHandler } from './rows';

const IMPLEMENTED: Record<string, OperationHandler> = {
  CreateTable: createTable,
  ListTable: listTable,
  DescribeTable: describeTable,
  UpdateTable: updateTable,
  DeleteTable: deleteTable,
  ComputeSplitPointsBySize: computeSplitPointsBySize,
  GetRow: getRow,
  PutRow: putRowHandler,
  UpdateRow: updateRowHandler,
  DeleteRow: deleteRowHandler,
  GetRange: getRange,
  BatchGetRow: batchGetRow,
  BatchWriteRow: batchWriteRow,
  CreateIndex: createIndex,
  DropIndex: dropIndex,
  CreateSearchIndex: createSearchIndex,
  DescribeSearchIndex: describeSearchIndex,
  ListSearchIndex: listSearchIndex,
  UpdateSearchIndex: updateSearchIndex,
  DeleteSearchIndex: deleteSearchIndex,
  Search: search,
  ComputeSplits: computeSplits,
  ParallelScan: parallelScan,
  ListStream: listStream,
  DescribeStream: describeStream,
  GetShardIterator: getShardIterator,
  GetStreamRecord: getStreamRecord,
};

/** TableStore operations the emulator knows of and does not implement: refused with their name. */
const NOT_EMULATED: Record<string, string> = {
  StartLocalTransaction: 'Local transactions (StartLocalTransaction)',
  CommitTransaction: 'Local transactions (CommitTransaction)',
  AbortTransaction: 'Local transactions (AbortTransaction)',
  SQLQuery: 'The SQL query interface (SQLQuery)',
  BulkImport: 'BulkImport',
  BulkExport: 'BulkExport',
  CreateTunnel: 'Tunnel Service (CreateTunnel)',
  ListTunnel: 'Tunnel Service (ListTunnel)',
  DescribeTunnel: 'Tunnel Service (DescribeTunnel)',
  DeleteTunnel: 'Tunnel Service (DeleteTunnel)',
  CreateTimeseriesTable: 'Time series tables (CreateTimeseriesTable)',
  PutTimeseriesData: 'Time series tables (PutTimeseriesData)',
  GetTimeseriesData: 'Time series tables (GetTimeseriesData)',
  // The SDK's JSON APIs (its `makeJsonRequest` calls): answered with JSON errors (server.ts).
  ...Object.fromEntries(
    ['CreateKnowledgeBase', 'DeleteKnowledgeBase', 'UpdateKnowledgeBase', 'DescribeKnowledgeBase', 'ListKnowledgeBase', 'AddDocuments', 'GetDocument', 'ListDocuments', 'DeleteDocuments', 'UpdateDocument', 'Retrieve', 'ListChunks', 'UpdateChunks'].map((op) => [op, `The knowledge base API (${op})`]),
  ),
  ...Object.fromEntries(
    ['CreateMemoryStore', 'GetMemoryStore', 'UpdateMemoryStore', 'DeleteMemoryStore', 'ListMemoryStores', 'AddMemories', 'SearchMemories', 'ListMemories', 'GetMemory', 'UpdateMemory', 'DeleteMemory', 'ListMemoryStoreMessages', 'ListMemoryStoreRequests'].map((op) => [op, `The memory store API (${op})`]),
  ),
};

const REFUSED: Record<string, OperationHandler> = Object.fromEntries(
  Object.entries(NOT_EMULATED).map(([name, feature]) => [
    name,
    () => {
      throw notEmulated(feature);
    },
  ]),
);

export const OPERATIONS: Readonly<Record<string, OperationHandler>> = { ...IMPLEMENTED, ...REFUSED };

/**
 * Operations that only read. The emulator serves requests one at a time on one SQLite connection (better-sqlite3
 * is synchronous), so a read sees one consistent state without a transaction; writes run in one (a single commit
 * per request, rolled back on error).
 */
export const READ_ONLY: ReadonlySet<string> = new Set([
  'ListTable',
  'DescribeTable',
  'ComputeSplitPointsBySize',
  'GetRow',
  'GetRange',
  'BatchGetRow',
  'DescribeSearchIndex',
  'ListSearchIndex',
  'Search',
  'ListStream',
  'DescribeStream',
  'GetShardIterator',
  'GetStreamRecord',
]);
