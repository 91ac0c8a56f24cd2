import TableStore from 'tablestore';
import { ConditionFailedError, ValidationError } from '../errors';
import {
  BATCH_GET_LIMIT,
  BATCH_WRITE_LIMIT,
  INF_MAX,
  INF_MIN,
  type Attributes,
  type AttrValue,
  type BatchWriteOp,
  type BatchWriteResult,
  type ColumnCondition,
  type PrimaryKey,
  type RangeBound,
  type RangePage,
  type RangeQuery,
  type Row,
  type RowUpdate,
  type Table,
  type TableSchema,
  type WriteCondition,
} from '../ports/table';
import type { Credentials } from './credentials';

/**
 * The Table port on TableStore (wide-column model) through the `tablestore` SDK.
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/ — INTEGER values travel as the
 * SDK's Int64 (`Long.fromNumber`), other numbers as DOUBLE; a failed condition is `OTSConditionCheckFail`.
 */
export interface TableStoreTableOptions {
  endpoint: string;
  instance: string;
  credentials: Credentials;
  schemas: readonly TableSchema[];
  maxRetries?: number;
}

const COMPARATORS: Record<string, number> = {
  EQ: TableStore.ComparatorType.EQUAL,
  NE: TableStore.ComparatorType.NOT_EQUAL,
  GT: TableStore.ComparatorType.GREATER_THAN,
  GE: TableStore.ComparatorType.GREATER_EQUAL,
  LT: TableStore.ComparatorType.LESS_THAN,
  LE: TableStore.ComparatorType.LESS_EQUAL,
};

function isInt64(value: unknown): value is TableStore.Int64 {
  return !!value && typeof value === 'object' && typeof (value as TableStore.Int64).toNumber === 'function' && !Buffer.isBuffer(value);
}

function toWire(value: AttrValue): string | number | boolean | TableStore.Int64 | Buffer {
  if (typeof value === 'number') return Number.isInteger(value) ? TableStore.Long.fromNumber(value) : value;
  if (value instanceof Uint8Array) return Buffer.from(value);
  return value;
}

function fromWire(value: string | number | boolean | TableStore.Int64 | Buffer): AttrValue {
  if (isInt64(value)) {
    const n = value.toNumber();
    if (!Number.isSafeInteger(n)) throw new ValidationError(`integer ${value.toString()} does not fit a JS number`);
    return n;
  }
  return value as AttrValue;
}

function conditionOf(condition: WriteCondition | undefined): TableStore.Condition {
  const existence = TableStore.RowExistenceExpectation[condition?.row ?? 'IGNORE'];
  return new TableStore.Condition(existence, condition?.columns ? columnConditionOf(condition.columns) : null);
}

function columnConditionOf(condition: ColumnCondition): TableStore.ColumnCondition {
  if ('and' in condition || 'or' in condition || 'not' in condition) {
    const [op, parts] = 'and' in condition ? [TableStore.LogicalOperator.AND, condition.and] : 'or' in condition ? [TableStore.LogicalOperator.OR, condition.or] : [TableStore.LogicalOperator.NOT, [condition.not]];
    const composite = new TableStore.CompositeCondition(op);
    for (const part of parts) composite.addSubCondition(columnConditionOf(part));
    return composite;
  }
  return new TableStore.SingleColumnCondition(condition.column, toWire(condition.value), COMPARATORS[condition.op]!, condition.passIfMissing ?? true, true);
}

export class TableStoreTable implements Table {
  private readonly client: TableStore.Client;
  private readonly schemas = new Map<string, TableSchema>();

  constructor(options: TableStoreTableOptions) {
    this.client = new TableStore.Client({
      accessKeyId: options.credentials.accessKeyId,
      secretAccessKey: options.credentials.accessKeySecret,
      ...(options.credentials.securityToken ? { stsToken: options.credentials.securityToken } : {}),
      endpoint: options.endpoint,
      instancename: options.instance,
      maxRetries: options.maxRetries ?? 3,
    });
    for (const schema of options.schemas) this.schemas.set(schema.name, schema);
  }

  private schema(table: string): TableSchema {
    const schema = this.schemas.get(table);
    if (!schema) throw new ValidationError(`table ${table} does not exist`, [{ path: 'table', message: `unknown table ${table}` }]);
    return schema;
  }

  /** PK as the SDK wants it: an ordered array of one-key objects, in schema order. */
  private pk(table: string, pk: PrimaryKey | RangeBound): TableStore.PkCell[] {
    const schema = this.schema(table);
    const extra = Object.keys(pk).filter((name) => !schema.primaryKey.some((c) => c.name === name));
    if (extra.length) throw new ValidationError(`${table} has no primary key column ${extra.join(', ')}`);
    return schema.primaryKey.map((column) => {
      const value = pk[column.name];
      if (value === undefined) throw new ValidationError(`primary key of ${table} needs ${column.name}`, [{ path: `primaryKey.${column.name}`, message: 'required' }]);
      if (value === INF_MIN) return { [column.name]: TableStore.INF_MIN };
      if (value === INF_MAX) return { [column.name]: TableStore.INF_MAX };
      if (column.type === 'INTEGER') {
        if (typeof value !== 'number' || !Number.isSafeInteger(value)) throw new ValidationError(`primary key column ${column.name} must be a safe integer`);
        return { [column.name]: TableStore.Long.fromNumber(value) };
      }
      if (column.type === 'BINARY') return { [column.name]: Buffer.from(value as Uint8Array) };
      if (typeof value !== 'string') throw new ValidationError(`primary key column ${column.name} must be a string`);
      return { [column.name]: value };
    });
  }

  private attrs(attributes: Attributes): TableStore.AttrCell[] {
    return Object.entries(attributes).map(([name, value]) => ({ [name]: toWire(value) }));
  }

  private row(decoded: TableStore.DecodedRow): Row | undefined {
    if (!decoded.primaryKey || decoded.primaryKey.length === 0) return undefined;
    const primaryKey: Record<string, string | number | Uint8Array> = {};
    for (const cell of decoded.primaryKey) primaryKey[cell.name] = fromWire(cell.value) as string | number | Uint8Array;
    const attributes: Attributes = {};
    for (const cell of decoded.attributes ?? []) attributes[cell.columnName] = fromWire(cell.columnValue);
    return { primaryKey, attributes };
  }

  private async call<T>(work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      throw translate(err);
    }
  }

  async getRow(table: string, primaryKey: PrimaryKey, options: { columns?: string[] } = {}): Promise<Row | undefined> {
    const data = await this.call(() =>
      this.client.getRow({ tableName: table, primaryKey: this.pk(table, primaryKey), maxVersions: 1, ...(options.columns ? { columnsToGet: options.columns } : {}) }),
    );
    return this.row(data.row);
  }

  async putRow(table: string, primaryKey: PrimaryKey, attributes: Attributes, options: { condition?: WriteCondition } = {}): Promise<void> {
    await this.call(() => this.client.putRow({ tableName: table, condition: conditionOf(options.condition), primaryKey: this.pk(table, primaryKey), attributeColumns: this.attrs(attributes) }));
  }

  async updateRow(table: string, primaryKey: PrimaryKey, update: RowUpdate, options: { condition?: WriteCondition; returnColumns?: string[] } = {}): Promise<Attributes> {
    const data = await this.call(() =>
      this.client.updateRow({
        tableName: table,
        condition: conditionOf(options.condition),
        primaryKey: this.pk(table, primaryKey),
        updateOfAttributeColumns: updateColumns(update),
        ...(options.returnColumns?.length ? { returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: options.returnColumns } } : {}),
      }),
    );
    return this.row(data.row)?.attributes ?? {};
  }

  async deleteRow(table: string, primaryKey: PrimaryKey, options: { condition?: WriteCondition } = {}): Promise<void> {
    await this.call(() => this.client.deleteRow({ tableName: table, condition: conditionOf(options.condition), primaryKey: this.pk(table, primaryKey) }));
  }

  async getRange(table: string, query: RangeQuery): Promise<RangePage> {
    const data = await this.call(() =>
      this.client.getRange({
        tableName: table,
        direction: query.direction === 'BACKWARD' ? TableStore.Direction.BACKWARD : TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: this.pk(table, query.start),
        exclusiveEndPrimaryKey: this.pk(table, query.end),
        maxVersions: 1,
        ...(query.limit ? { limit: query.limit } : {}),
        ...(query.columns ? { columnsToGet: query.columns } : {}),
        ...(query.filter ? { columnFilter: columnConditionOf(query.filter) } : {}),
      }),
    );
    const rows = data.rows.map((r) => this.row(r)).filter((r): r is Row => !!r);
    const next = data.nextStartPrimaryKey ? this.row({ primaryKey: data.nextStartPrimaryKey })?.primaryKey : undefined;
    return { rows, ...(next ? { nextStartPrimaryKey: next } : {}) };
  }

  async batchGetRow(table: string, primaryKeys: PrimaryKey[], options: { columns?: string[] } = {}): Promise<(Row | undefined)[]> {
    if (primaryKeys.length > BATCH_GET_LIMIT) throw new ValidationError(`batchGetRow takes at most ${BATCH_GET_LIMIT} keys (got ${primaryKeys.length})`);
    if (primaryKeys.length === 0) return [];
    const data = await this.call(() =>
      this.client.batchGetRow({ tables: [{ tableName: table, primaryKey: primaryKeys.map((pk) => this.pk(table, pk)), maxVersions: 1, ...(options.columns ? { columnsToGet: options.columns } : {}) }] }),
    );
    const results = data.tables[0] ?? [];
    return results.map((item) => {
      if (!item.isOk) throw translate(Object.assign(new Error(item.errorMessage ?? 'batchGetRow row failed'), { code: item.errorCode }));
      return this.row(item);
    });
  }

  async batchWriteRow(ops: BatchWriteOp[]): Promise<BatchWriteResult[]> {
    if (ops.length > BATCH_WRITE_LIMIT) throw new ValidationError(`batchWriteRow takes at most ${BATCH_WRITE_LIMIT} rows (got ${ops.length})`, [{ path: 'rows', message: `more than ${BATCH_WRITE_LIMIT}` }]);
    if (ops.length === 0) return [];
    // The SDK groups rows by table; remember each op's place to answer in the caller's order.
    const byTable = new Map<string, { index: number; op: BatchWriteOp }[]>();
    ops.forEach((op, index) => byTable.set(op.table, [...(byTable.get(op.table) ?? []), { index, op }]));
    const seen = new Set<string>();
    for (const op of ops) {
      const key = `${op.table}|${JSON.stringify(op.primaryKey, (_k, v: unknown) => (v instanceof Uint8Array ? Buffer.from(v).toString('hex') : v))}`;
      if (seen.has(key)) throw new ValidationError(`batchWriteRow has the same primary key twice in ${op.table}`, [{ path: 'rows', message: 'duplicate primary key' }]);
      seen.add(key);
    }
    const groups = [...byTable.entries()];
    const data = await this.call(() =>
      this.client.batchWriteRow({
        tables: groups.map(([tableName, items]) => ({
          tableName,
          rows: items.map(({ op }) => ({
            type: op.type,
            condition: conditionOf(op.condition),
            primaryKey: this.pk(op.table, op.primaryKey),
            ...(op.type === 'PUT' ? { attributeColumns: this.attrs(op.attributes) } : {}),
            ...(op.type === 'UPDATE' ? { attributeColumns: updateColumns(op.update) } : {}),
          })),
        })),
      }),
    );
    const results: BatchWriteResult[] = new Array<BatchWriteResult>(ops.length);
    let cursor = 0;
    for (const [, items] of groups) {
      for (const { index } of items) {
        const item = data.tables[cursor++];
        results[index] = item?.isOk ? { ok: true } : { ok: false, code: item?.errorCode ?? 'Unknown', message: item?.errorMessage ?? 'row failed' };
      }
    }
    return results;
  }
}

function updateColumns(update: RowUpdate): object[] {
  const columns: object[] = [];
  const put = Object.entries(update.put ?? {}).map(([name, value]) => ({ [name]: toWire(value) }));
  if (put.length) columns.push({ PUT: put });
  if (update.delete?.length) columns.push({ DELETE_ALL: update.delete });
  const increment = Object.entries(update.increment ?? {}).map(([name, delta]) => ({ [name]: TableStore.Long.fromNumber(delta) }));
  if (increment.length) columns.push({ INCREMENT: increment });
  return columns;
}

/** SDK errors → the port's typed errors; the SDK puts the OTS code in `code` or, for some bodies, in `message`. */
function translate(err: unknown): Error {
  const e = err as { code?: unknown; message?: string };
  const text = `${String(e.code ?? '')} ${e.message ?? ''}`;
  if (text.includes('OTSConditionCheckFail')) return new ConditionFailedError(e.message ?? 'condition check failed');
  if (/OTSParameterInvalid|OTSInvalidPK|OTSObjectNotExist/.test(text)) return new ValidationError(e.message ?? 'invalid request');
  return err instanceof Error ? err : new Error(String(err));
}
