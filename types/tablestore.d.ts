/**
 * Hand-written types for the parts of `tablestore` (5.x, ships no .d.ts) the adapters, the local cloud and
 * the tests use. Shapes read from the SDK's lib/ (protocol/encoder.js, decoder.js) and samples/; responses of
 * DDL calls are the decoded protobuf messages (enums as numbers, int64 as numbers or Long-like objects).
 */
declare module 'tablestore' {
  namespace TableStore {
    interface Int64 {
      toNumber(): number;
      toString(radix?: number): string;
    }
    type PkCell = Record<string, string | Int64 | Buffer | object>;
    type AttrCell = Record<string, string | number | boolean | Int64 | Buffer>;
    /** `row = {}` when a row is missing; batch results carry `primaryKey: null, attributes: null` instead. */
    interface DecodedRow {
      primaryKey?: { name: string; value: string | Int64 | Buffer }[] | null;
      attributes?: { columnName: string; columnValue: string | number | boolean | Int64 | Buffer; timestamp?: Int64 | null }[] | null;
    }
    class Condition {
      constructor(rowExistence: number, columnCondition: ColumnCondition | null);
    }
    class ColumnCondition {}
    class SingleColumnCondition extends ColumnCondition {
      constructor(name: string, value: string | number | boolean | Int64 | Buffer, comparator: number, passIfMissing?: boolean, latestVersionOnly?: boolean);
    }
    class CompositeCondition extends ColumnCondition {
      constructor(combinator: number);
      addSubCondition(condition: ColumnCondition): void;
    }
    interface ClientOptions {
      accessKeyId: string;
      secretAccessKey: string;
      stsToken?: string;
      endpoint: string;
      instancename: string;
      maxRetries?: number;
      /** Merged into each http.request's options (e.g. `timeout`, `agent`, `socketPath`). */
      httpOptions?: Record<string, unknown>;
    }
    interface DescribeTableResult {
      tableMeta: { tableName: string; primaryKey: { name: string; type: number; option?: number }[]; definedColumn?: { name: string; type: number }[] };
      reservedThroughputDetails: { capacityUnit: { read: number; write: number } };
      tableOptions: { timeToLive: number; maxVersions: number; deviationCellVersionInSec?: unknown; allowUpdate?: boolean };
      tableStatus: number;
      streamDetails?: { enableStream: boolean; streamId?: string; expirationTime?: number; lastEnableTime?: unknown };
      /** Secondary indexes (D158); `indexSyncPhase` is decoded to the SDK's `SyncPhase` strings. */
      indexMetas: { name: string; primaryKey: string[]; definedColumn: string[]; indexUpdateMode: number; indexType: number; indexSyncPhase?: string }[];
    }
    interface SearchFieldSchemaResult {
      fieldName: string;
      fieldType: number;
      analyzer?: string;
      isArray?: boolean;
      docValues?: boolean;
      index?: boolean;
    }
    class Client {
      constructor(options: ClientOptions);
      getRow(params: object): Promise<{ row: DecodedRow }>;
      putRow(params: object): Promise<{ row: DecodedRow }>;
      updateRow(params: object): Promise<{ row: DecodedRow }>;
      deleteRow(params: object): Promise<unknown>;
      getRange(params: object): Promise<{ rows: DecodedRow[]; nextStartPrimaryKey: { name: string; value: string | Int64 | Buffer }[] | null }>;
      batchGetRow(params: object): Promise<{ tables: ({ isOk: boolean; errorCode: string | null; errorMessage: string | null } & DecodedRow)[][] }>;
      batchWriteRow(params: object): Promise<{ tables: { isOk: boolean; errorCode: string | null; errorMessage: string | null }[] }>;
      search(params: object): Promise<SearchResult>;
      createSearchIndex(params: object): Promise<unknown>;
      describeSearchIndex(params: object): Promise<{ schema: { fieldSchemas: SearchFieldSchemaResult[] }; indexStatus: { status: string; statusDescription?: string } }>;
      listSearchIndex(params: object): Promise<{ indices: { tableName: string; indexName: string }[] }>;
      deleteSearchIndex(params: object): Promise<unknown>;
      updateSearchIndex(params: object): Promise<unknown>;
      createTable(params: object): Promise<unknown>;
      listTable(params: object): Promise<{ tableNames: string[] }>;
      describeTable(params: object): Promise<DescribeTableResult>;
      updateTable(params: object): Promise<unknown>;
      deleteTable(params: object): Promise<unknown>;
      createIndex(params: object): Promise<unknown>;
      dropIndex(params: object): Promise<unknown>;
    }
    const Long: { fromNumber(n: number): Int64 };
    const INF_MIN: object;
    const INF_MAX: object;
    const RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
    const ComparatorType: { EQUAL: number; NOT_EQUAL: number; GREATER_THAN: number; GREATER_EQUAL: number; LESS_THAN: number; LESS_EQUAL: number };
    const LogicalOperator: { NOT: number; AND: number; OR: number };
    const Direction: { FORWARD: string; BACKWARD: string };
    const ReturnType: { NONE: number; Primarykey: number; AfterModify: number };

    // ---- search index (lib/search.js, lib/protocol/encoder.js encodeSearch, decoder.js decodeSearch) ----
    interface SearchHitResult {
      row: DecodedRow;
      /** Absent when the server sent 0 (the decoder copies only truthy scores). */
      score?: number;
    }
    interface SearchResult {
      /** Decimal string; absent unless `getTotalCount` was asked for. */
      totalCounts?: string;
      isAllSucceeded: boolean;
      /** Empty (length 0) when the server sent no token. */
      nextToken: Uint8Array | null;
      rows: DecodedRow[];
      searchHits: SearchHitResult[];
    }
    const QueryType: {
      MATCH_QUERY: number;
      MATCH_PHRASE_QUERY: number;
      TERM_QUERY: number;
      RANGE_QUERY: number;
      PREFIX_QUERY: number;
      BOOL_QUERY: number;
      CONST_SCORE_QUERY: number;
      WILDCARD_QUERY: number;
      MATCH_ALL_QUERY: number;
      GEO_DISTANCE_QUERY: number;
      TERMS_QUERY: number;
      EXISTS_QUERY: number;
    };
    const AggregationType: { AGG_AVG: number; AGG_MAX: number; AGG_MIN: number; AGG_SUM: number; AGG_COUNT: number; AGG_DISTINCT_COUNT: number; AGG_TOP_ROWS: number; AGG_PERCENTILES: number };
    /** Secondary indexes (D158). */
    const IndexType: { IT_GLOBAL_INDEX: number; IT_LOCAL_INDEX: number };
    const IndexUpdateMode: { IUM_ASYNC_INDEX: number; IUM_SYNC_INDEX: number };
    const SyncPhase: { FULL: string; INCR: string };
    const DefinedColumnType: { DCT_INTEGER: number; DCT_DOUBLE: number; DCT_BOOLEAN: number; DCT_STRING: number };
    const IndexStatus: { PENDING: string; FAILED: string; RUNNING: string; UNKNOWN: string };
    /** The value to put in an AUTO_INCREMENT primary key column (PutRow). */
    const PK_AUTO_INCR: object;
    const SortOrder: { SORT_ORDER_ASC: number; SORT_ORDER_DESC: number };
    const ColumnReturnType: { RETURN_ALL: number; RETURN_SPECIFIED: number; RETURN_NONE: number; RETURN_ALL_FROM_INDEX: number };
    const FieldType: { LONG: number; DOUBLE: number; BOOLEAN: number; KEYWORD: number; TEXT: number; NESTED: number; GEO_POINT: number; DATE: number };
  }
  export = TableStore;
}
