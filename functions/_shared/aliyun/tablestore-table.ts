import TableStore from 'tablestore';
import { encodePk } from '../adapters/pk-codec';
import { checkAttributes, checkRange, checkUpdate, checkWriteCondition, conditionColumns, isInteger } from '../adapters/table-rules';
import { ConditionFailedError, RetryableError, ValidationError } from '../errors';
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
import { tableStoreClient, type TableStoreConnection } from './tablestore-client';
import { EncodedPutRow, encodePortPutRow, fastPutRowInstalled } from './tablestore-plain-buffer';

/**
 * The Table port on TableStore (wide-column model) through the `tablestore` SDK.
 * https://www.alibabacloud.com/help/en/tablestore/developer-reference/ — safe integers travel as the SDK's
 * Int64 (`Long.fromNumber`), other numbers as DOUBLE; a failed condition is `OTSConditionCheckFail`.
 *
 * Where TableStore or the SDK would surprise a caller, the adapter keeps the port's semantics
 * (test/contract/table.contract.ts runs against it through the local TableStore emulator):
 * - requests are checked first by `table-rules.ts` (names, values, empty updates, range order);
 * - a filter may read columns the projection leaves out: TableStore evaluates filters on the columns read only,
 *   so those columns are fetched too and dropped from the result;
 * - a row with none of the projected columns reads as missing, whatever the server returns for it;
 * - BatchGetRow refuses a key named twice (OTSParameterInvalid): keys are deduplicated and the answers fanned out;
 * - the SDK cannot parse TableStore's protobuf error bodies (it expects XML and falls back to the raw bytes as
 *   the message, with the HTTP status as code): `translate` recovers code and message from those bytes.
 */
export interface TableStoreTableOptions extends TableStoreConnection {
  schemas: readonly TableSchema[];
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
  if (typeof value === 'number') return isInteger(value) ? TableStore.Long.fromNumber(value) : value;
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

/**
 * A condition without a column condition is one of three values, built once: the SDK only reads it (a batch
 * built one per row, D94).
 */
const ROW_CONDITIONS = new Map(Object.entries(TableStore.RowExistenceExpectation).map(([row, existence]) => [row, new TableStore.Condition(existence, null)]));

function conditionOf(condition: WriteCondition | undefined): TableStore.Condition {
  const row = condition?.row ?? 'IGNORE';
  if (!condition?.columns) return ROW_CONDITIONS.get(row)!;
  return new TableStore.Condition(TableStore.RowExistenceExpectation[row], columnConditionOf(condition.columns));
}

function columnConditionOf(condition: ColumnCondition): TableStore.ColumnCondition {
  // TableStore wants two or more sub-conditions under AND/OR: one alone is that condition itself.
  if ('and' in condition && condition.and.length === 1) return columnConditionOf(condition.and[0]!);
  if ('or' in condition && condition.or.length === 1) return columnConditionOf(condition.or[0]!);
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
    this.client = tableStoreClient(options);
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
      if (column.type === 'BINARY') {
        if (!(value instanceof Uint8Array)) throw new ValidationError(`primary key column ${column.name} must be BINARY (a Uint8Array)`);
        return { [column.name]: Buffer.from(value) };
      }
      if (typeof value !== 'string') throw new ValidationError(`primary key column ${column.name} must be a string`);
      return { [column.name]: value };
    });
  }

  /** Shape checks of one write (table-rules.ts), before anything is sent; returns the encoded primary key. */
  private checkWrite(op: BatchWriteOp): Buffer {
    const schema = this.schema(op.table);
    const key = encodePk(schema.primaryKey, op.primaryKey, op.table);
    if (op.type === 'PUT') checkAttributes(schema, op.attributes);
    if (op.type === 'UPDATE') checkUpdate(schema, op.update);
    checkWriteCondition(schema, op.condition, op.type === 'PUT' ? 'put' : op.type === 'UPDATE' ? 'update' : 'delete');
    return key;
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
    encodePk(this.schema(table).primaryKey, primaryKey, table);
    const key = this.pk(table, primaryKey);
    const data = await this.call(() => this.client.getRow({ tableName: table, primaryKey: key, maxVersions: 1, ...(options.columns?.length ? { columnsToGet: options.columns } : {}) }));
    return projected(this.row(data.row), options.columns);
  }

  async putRow(table: string, primaryKey: PrimaryKey, attributes: Attributes, options: { condition?: WriteCondition } = {}): Promise<void> {
    this.checkWrite({ type: 'PUT', table, primaryKey, attributes, ...(options.condition ? { condition: options.condition } : {}) });
    await this.call(() => this.client.putRow({ tableName: table, condition: conditionOf(options.condition), primaryKey: this.pk(table, primaryKey), attributeColumns: this.attrs(attributes) }));
  }

  async updateRow(table: string, primaryKey: PrimaryKey, update: RowUpdate, options: { condition?: WriteCondition; returnColumns?: string[] } = {}): Promise<Attributes> {
    this.checkWrite({ type: 'UPDATE', table, primaryKey, update, ...(options.condition ? { condition: options.condition } : {}) });
    const data = await this.call(() =>
      this.client.updateRow({
        tableName: table,
        condition: conditionOf(options.condition),
        primaryKey: this.pk(table, primaryKey),
        updateOfAttributeColumns: updateColumns(update),
        ...(options.returnColumns?.length ? { returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: options.returnColumns } } : {}),
      }),
    );
    const returned = this.row(data.row)?.attributes ?? {};
    return Object.fromEntries(Object.entries(returned).filter(([name]) => options.returnColumns?.includes(name)));
  }

  async deleteRow(table: string, primaryKey: PrimaryKey, options: { condition?: WriteCondition } = {}): Promise<void> {
    this.checkWrite({ type: 'DELETE', table, primaryKey, ...(options.condition ? { condition: options.condition } : {}) });
    await this.call(() => this.client.deleteRow({ tableName: table, condition: conditionOf(options.condition), primaryKey: this.pk(table, primaryKey) }));
  }

  async getRange(table: string, query: RangeQuery): Promise<RangePage> {
    checkRange(this.schema(table), query);
    const start = this.pk(table, query.start);
    const end = this.pk(table, query.end);
    // The filter only sees the columns read: read its columns too, drop them afterwards.
    const columns = query.columns?.length ? [...new Set([...query.columns, ...(query.filter ? conditionColumns(query.filter) : [])])] : undefined;
    const data = await this.call(() =>
      this.client.getRange({
        tableName: table,
        direction: query.direction === 'BACKWARD' ? TableStore.Direction.BACKWARD : TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: start,
        exclusiveEndPrimaryKey: end,
        maxVersions: 1,
        ...(query.limit !== undefined ? { limit: query.limit } : {}),
        ...(columns ? { columnsToGet: columns } : {}),
        ...(query.filter ? { columnFilter: columnConditionOf(query.filter) } : {}),
      }),
    );
    const rows = data.rows.map((r) => projected(this.row(r), query.columns)).filter((r): r is Row => !!r);
    const next = data.nextStartPrimaryKey ? this.row({ primaryKey: data.nextStartPrimaryKey })?.primaryKey : undefined;
    return { rows, ...(next ? { nextStartPrimaryKey: next } : {}) };
  }

  async batchGetRow(table: string, primaryKeys: PrimaryKey[], options: { columns?: string[] } = {}): Promise<(Row | undefined)[]> {
    if (primaryKeys.length > BATCH_GET_LIMIT) throw new ValidationError(`batchGetRow takes at most ${BATCH_GET_LIMIT} keys (got ${primaryKeys.length})`);
    if (primaryKeys.length === 0) return [];
    // TableStore refuses a key named twice: ask for each key once, answer every position.
    const schema = this.schema(table);
    const slots = new Map<string, number>();
    const unique: PrimaryKey[] = [];
    const slotOf = primaryKeys.map((pk) => {
      const id = encodePk(schema.primaryKey, pk, table).toString('hex');
      if (!slots.has(id)) {
        slots.set(id, unique.length);
        unique.push(pk);
      }
      return slots.get(id)!;
    });
    const keys = unique.map((pk) => this.pk(table, pk));
    const data = await this.call(() => this.client.batchGetRow({ tables: [{ tableName: table, primaryKey: keys, maxVersions: 1, ...(options.columns?.length ? { columnsToGet: options.columns } : {}) }] }));
    const results = (data.tables[0] ?? []).map((item) => {
      if (!item.isOk) throw translate(Object.assign(new Error(item.errorMessage ?? 'batchGetRow row failed'), { code: item.errorCode }));
      return projected(this.row(item), options.columns);
    });
    return slotOf.map((slot) => results[slot] && { primaryKey: { ...results[slot].primaryKey }, attributes: { ...results[slot].attributes } });
  }

  async batchWriteRow(ops: BatchWriteOp[]): Promise<BatchWriteResult[]> {
    if (ops.length > BATCH_WRITE_LIMIT) throw new ValidationError(`batchWriteRow takes at most ${BATCH_WRITE_LIMIT} rows (got ${ops.length})`, [{ path: 'rows', message: `more than ${BATCH_WRITE_LIMIT}` }]);
    if (ops.length === 0) return [];
    // The SDK groups rows by table; remember each op's place to answer in the caller's order.
    const byTable = new Map<string, { index: number; op: BatchWriteOp }[]>();
    ops.forEach((op, index) => {
      const items = byTable.get(op.table);
      if (items) items.push({ index, op });
      else byTable.set(op.table, [{ index, op }]);
    });
    const keys = ops.map((op) => this.checkWrite(op));
    const seen = new Set<string>();
    ops.forEach((op, i) => {
      // Encoded, so the order of the key's properties does not matter.
      const key = `${op.table}|${keys[i]!.toString('latin1')}`;
      if (seen.has(key)) throw new ValidationError(`batchWriteRow has the same primary key twice in ${op.table}`, [{ path: 'rows', message: 'duplicate primary key' }]);
      seen.add(key);
    });
    const groups = [...byTable.entries()];
    const fastPut = fastPutRowInstalled();
    const data = await this.call(() =>
      this.client.batchWriteRow({
        tables: groups.map(([tableName, items]) => ({
          tableName,
          rows: items.map(({ op }) => {
            const condition = conditionOf(op.condition);
            // A PUT row's bytes straight from the port's values where they can be (D91): the SDK's bytes, without
            // building its row objects (a `Long` per integer, an object per column) only to read them back.
            const encoded = op.type === 'PUT' && fastPut ? encodePortPutRow(this.schema(op.table).primaryKey, op.primaryKey, op.attributes) : undefined;
            if (encoded) return { type: op.type, condition, primaryKey: new EncodedPutRow(encoded), attributeColumns: [] };
            return {
              type: op.type,
              condition,
              primaryKey: this.pk(op.table, op.primaryKey),
              ...(op.type === 'PUT' ? { attributeColumns: this.attrs(op.attributes) } : {}),
              ...(op.type === 'UPDATE' ? { attributeColumns: updateColumns(op.update) } : {}),
            };
          }),
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

/** A row reduced to the projected columns; undefined when a projection leaves none (the port's rule). */
function projected(row: Row | undefined, columns: string[] | undefined): Row | undefined {
  if (!row || !columns?.length) return row;
  const attributes = Object.fromEntries(Object.entries(row.attributes).filter(([name]) => columns.includes(name)));
  return Object.keys(attributes).length > 0 ? { primaryKey: row.primaryKey, attributes } : undefined;
}

/** TableStore error codes worth retrying (TableStore's error code reference marks them "retry: yes"). */
const RETRYABLE = new Set(['OTSRowOperationConflict', 'OTSNotEnoughCapacityUnit', 'OTSTableNotReady', 'OTSPartitionUnavailable', 'OTSServerBusy', 'OTSOperationThrottled', 'OTSQuotaExhausted', 'OTSTimeout', 'OTSInternalServerError', 'OTSServerUnavailable', 'NetworkingError', 'TimeoutError']);

/**
 * The OTS code and message of an SDK error. The SDK tries to parse error bodies as XML, fails on TableStore's
 * protobuf `Error{code, message}`, and leaves `code` = HTTP status and `message` = the body as text +
 * " requestId:…"; the protobuf fields are read back from that text. Batch row errors arrive parsed.
 */
export function otsErrorOf(err: unknown): { code: string; message: string; status?: number } {
  const e = (err ?? {}) as { code?: unknown; message?: unknown };
  const code = typeof e.code === 'string' ? e.code : undefined;
  const text = typeof e.message === 'string' ? e.message : String(err);
  const status = typeof e.code === 'number' ? e.code : undefined;
  if (code && !/^\d+$/.test(code)) return { code, message: text };
  const body = Buffer.from(text.replace(/ requestId:[^ ]*$/, ''), 'utf8');
  // Error{ 1: code (string), 2: message (string) }: tag 0x0a, length, bytes, tag 0x12, length, bytes.
  const field = (at: number, tag: number): { value: string; next: number } | undefined => {
    if (body[at] !== tag) return undefined;
    let length = 0;
    let shift = 0;
    let i = at + 1;
    for (; i < body.length && shift < 35; i++, shift += 7) {
      length |= (body[i]! & 0x7f) << shift;
      if ((body[i]! & 0x80) === 0) break;
    }
    const start = i + 1;
    return start + length <= body.length ? { value: body.subarray(start, start + length).toString('utf8'), next: start + length } : undefined;
  };
  const codeField = field(0, 0x0a);
  if (codeField && /^OTS\w+$/.test(codeField.value)) {
    const messageField = field(codeField.next, 0x12);
    // A message of 128 bytes or more has a two-byte length, whose first byte did not survive the SDK's UTF-8
    // decoding: the message is then the text after the code, less the tag and what is left of its length.
    const rest = text.slice(text.indexOf(codeField.value) + codeField.value.length).replace(/ requestId:[^ ]*$/, '');
    const message = messageField?.value ?? (recoveredMessage(rest) || codeField.value);
    return { code: codeField.value, message, ...(status !== undefined ? { status } : {}) };
  }
  const found = /OTS[A-Za-z]+/.exec(text);
  return { code: found?.[0] ?? String(e.code ?? 'Unknown'), message: text, ...(status !== undefined ? { status } : {}) };
}

/** The message after its tag (0x12) and the replacement characters and control byte left of its length. */
function recoveredMessage(rest: string): string {
  if (rest.charCodeAt(0) !== 0x12) return '';
  let i = 1;
  while (rest[i] === '\uFFFD') i++;
  if (i > 1 && rest.charCodeAt(i) < 0x20) i++;
  return rest.slice(i);
}

/** SDK errors → the port's typed errors. */
function translate(err: unknown): Error {
  if (err instanceof ValidationError || err instanceof ConditionFailedError) return err;
  const { code, message } = otsErrorOf(err);
  if (code === 'OTSConditionCheckFail') return new ConditionFailedError(message);
  if (code === 'OTSParameterInvalid' || code === 'OTSInvalidPK' || code === 'OTSObjectNotExist') return new ValidationError(`${code}: ${message}`);
  if (RETRYABLE.has(code)) return new RetryableError(`TableStore ${code}: ${message}`, code);
  return Object.assign(new Error(`TableStore ${code}: ${message}`), { code, cause: err });
}
