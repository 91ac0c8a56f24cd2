/**
 * The installed `tablestore` SDK's client methods, classified (D95): emulated, refused by name as protobuf
 * operations, refused as the JSON APIs' errors, or the client's own plumbing. Shared by
 * `test/integration/tablestore-sdk-methods.test.ts` (each exercised in depth) and `test/contract/sdk-surface.test.ts`
 * (each called once through a local cloud, D155).
 */
import TableStore from 'tablestore';

const Q = TableStore.QueryType;

/** The client's own plumbing, not operations a script calls. */
export const INTERNALS = new Set(['constructor', 'setupRequestListeners', 'populateURI', 'populateHeader', 'buildContent', 'computeContentMd5', 'extractData', 'extractError', 'makeRequest', 'addAllRequestListeners', 'buildJsonContent', 'extractJsonData', 'extractJsonError', 'setupJsonRequestListeners', 'makeJsonRequest']);

/** Methods answered by the emulator, each exercised by a test below. */
export const EMULATED = ['createTable', 'listTable', 'describeTable', 'updateTable', 'deleteTable', 'getRow', 'putRow', 'updateRow', 'deleteRow', 'getRange', 'batchGetRow', 'batchWriteRow', 'createIndex', 'dropIndex', 'createSearchIndex', 'describeSearchIndex', 'listSearchIndex', 'updateSearchIndex', 'deleteSearchIndex', 'search'];

/** Methods refused by name: the SDK method, a reasonable request, and the name the refusal must carry. */
export const REFUSED: [method: string, params: unknown, named: string][] = [
  ['computeSplits', { tableName: 'items', searchIndexSplitsOptions: { indexName: 'items_index' } }, 'ComputeSplits'],
  ['parallelScan', { tableName: 'items', indexName: 'items_index', columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL_FROM_INDEX }, scanQuery: { query: { queryType: Q.MATCH_ALL_QUERY }, limit: 10, maxParallel: 1, currentParallelId: 0, aliveTime: 30 } }, 'ParallelScan'],
  ['startLocalTransaction', { tableName: 'items', primaryKey: [{ id: 'a' }] }, 'StartLocalTransaction'],
  ['commitTransaction', { transactionId: 'tx-1' }, 'CommitTransaction'],
  ['abortTransaction', { transactionId: 'tx-1' }, 'AbortTransaction'],
  ['sqlQuery', { query: 'SELECT * FROM items' }, 'SQLQuery'],
];

/** The SDK's JSON APIs: refused as JSON errors (what these methods read), naming the API. */
export const JSON_APIS: [method: string, params: unknown, named: string][] = [
  ['createKnowledgeBase', { knowledgeBaseName: 'kb' }, 'CreateKnowledgeBase'],
  ['deleteKnowledgeBase', { knowledgeBaseName: 'kb' }, 'DeleteKnowledgeBase'],
  ['updateKnowledgeBase', { knowledgeBaseName: 'kb' }, 'UpdateKnowledgeBase'],
  ['describeKnowledgeBase', { knowledgeBaseName: 'kb' }, 'DescribeKnowledgeBase'],
  ['listKnowledgeBase', {}, 'ListKnowledgeBase'],
  ['addDocuments', { knowledgeBaseName: 'kb', documents: [] }, 'AddDocuments'],
  ['getDocument', { knowledgeBaseName: 'kb', docId: 'd' }, 'GetDocument'],
  ['listDocuments', { knowledgeBaseName: 'kb' }, 'ListDocuments'],
  ['deleteDocuments', { knowledgeBaseName: 'kb', docIds: ['d'] }, 'DeleteDocuments'],
  ['updateDocument', { knowledgeBaseName: 'kb', docId: 'd' }, 'UpdateDocument'],
  ['retrieve', { knowledgeBaseName: 'kb', query: 'q' }, 'Retrieve'],
  ['listChunks', { knowledgeBaseName: 'kb', docId: 'd' }, 'ListChunks'],
  ['updateChunks', { knowledgeBaseName: 'kb', chunks: [] }, 'UpdateChunks'],
  ['createMemoryStore', { memoryStoreName: 'm' }, 'CreateMemoryStore'],
  ['getMemoryStore', { memoryStoreName: 'm' }, 'GetMemoryStore'],
  ['updateMemoryStore', { memoryStoreName: 'm' }, 'UpdateMemoryStore'],
  ['deleteMemoryStore', { memoryStoreName: 'm' }, 'DeleteMemoryStore'],
  ['listMemoryStores', {}, 'ListMemoryStores'],
  ['addMemories', { memoryStoreName: 'm', messages: [] }, 'AddMemories'],
  ['searchMemories', { memoryStoreName: 'm', query: 'q' }, 'SearchMemories'],
  ['listMemories', { memoryStoreName: 'm' }, 'ListMemories'],
  ['getMemory', { memoryStoreName: 'm', memoryId: 'x' }, 'GetMemory'],
  ['updateMemory', { memoryStoreName: 'm', memoryId: 'x' }, 'UpdateMemory'],
  ['deleteMemory', { memoryStoreName: 'm', memoryId: 'x' }, 'DeleteMemory'],
  ['listMemoryStoreMessages', { memoryStoreName: 'm' }, 'ListMemoryStoreMessages'],
  ['listMemoryStoreRequests', { memoryStoreName: 'm' }, 'ListMemoryStoreRequests'],
];

