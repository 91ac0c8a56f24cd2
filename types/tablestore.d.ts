/**
 * Hand-written types for the parts of `tablestore` (5.x, ships no .d.ts) the Table adapter uses.
 * Shapes read from the SDK's lib/ and samples/.
 */
declare module 'tablestore' {
  namespace TableStore {
    interface Int64 {
      toNumber(): number;
      toString(radix?: number): string;
    }
    type PkCell = Record<string, string | Int64 | Buffer | object>;
    type AttrCell = Record<string, string | number | boolean | Int64 | Buffer>;
    interface DecodedRow {
      primaryKey?: { name: string; value: string | Int64 | Buffer }[];
      attributes?: { columnName: string; columnValue: string | number | boolean | Int64 | Buffer; timestamp?: Int64 }[];
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
    }
    const Long: { fromNumber(n: number): Int64 };
    const INF_MIN: object;
    const INF_MAX: object;
    const RowExistenceExpectation: { IGNORE: number; EXPECT_EXIST: number; EXPECT_NOT_EXIST: number };
    const ComparatorType: { EQUAL: number; NOT_EQUAL: number; GREATER_THAN: number; GREATER_EQUAL: number; LESS_THAN: number; LESS_EQUAL: number };
    const LogicalOperator: { NOT: number; AND: number; OR: number };
    const Direction: { FORWARD: string; BACKWARD: string };
    const ReturnType: { NONE: number; Primarykey: number; AfterModify: number };
  }
  export = TableStore;
}
