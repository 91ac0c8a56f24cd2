/**
 * Secondary indexes in the TableStore emulator (D158), through the official `tablestore` SDK: indexes declared
 * with CreateTable or added with CreateIndex (with or without the table's rows), read with GetRow, GetRange and
 * BatchGetRow under the index's name, kept current by every write to the data table (one transaction per write;
 * a savepoint per BatchWriteRow row), refused writes to the index, DescribeTable's index metas, DropIndex, and
 * TableStore's checks answered as its errors naming the field.
 */
import TableStore from 'tablestore';
import { useTestTableStore } from '../helpers/tablestore';

const { Long } = TableStore;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const EXPECT_NOT_EXIST = () => new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
type Sdk = TableStore.Client & Record<string, (params: object) => Promise<Record<string, unknown>>>;
interface Row {
  primaryKey?: { name: string; value: unknown }[];
  attributes?: { columnName: string; columnValue: unknown }[];
}

const GLOBAL = { indexType: TableStore.IndexType.IT_GLOBAL_INDEX, indexUpdateMode: TableStore.IndexUpdateMode.IUM_ASYNC_INDEX };
const LOCAL = { indexType: TableStore.IndexType.IT_LOCAL_INDEX, indexUpdateMode: TableStore.IndexUpdateMode.IUM_SYNC_INDEX };
const DEFINED = [
  { name: 'owner', type: TableStore.DefinedColumnType.DCT_STRING },
  { name: 'total', type: TableStore.DefinedColumnType.DCT_INTEGER },
  { name: 'note', type: TableStore.DefinedColumnType.DCT_STRING },
  { name: 'price', type: TableStore.DefinedColumnType.DCT_DOUBLE },
];

describe('TableStore secondary indexes', () => {
  const ots = useTestTableStore();
  let client: Sdk;
  let n = 0;
  /** A fresh table name per test (index names share the instance's namespace). */
  const unique = (prefix: string) => `${prefix}_${++n}`;

  beforeAll(() => {
    client = ots.client as Sdk;
  });

  const createOrders = (tableName: string, indexMetas: object[] = [], options: object = { timeToLive: -1, maxVersions: 1 }) =>
    client.createTable({
      tableMeta: { tableName, primaryKey: [{ name: 'shop', type: 'STRING' }, { name: 'id', type: 'INTEGER' }], definedColumn: DEFINED },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: options,
      indexMetas,
    });
  const put = (tableName: string, shop: string, id: number, columns: Record<string, unknown>) =>
    client.putRow({
      tableName,
      condition: IGNORE(),
      primaryKey: [{ shop }, { id: Long.fromNumber(id) }],
      attributeColumns: Object.entries(columns).map(([k, v]) => ({ [k]: typeof v === 'number' ? Long.fromNumber(v) : v })),
    });
  /** INTEGER values come back as the SDK's Int64: plain numbers for comparing. */
  const plain = (value: unknown) => (value && typeof value === 'object' && 'toNumber' in value ? (value as { toNumber(): number }).toNumber() : value);
  /** Every row of an index (or table), as [key values…, {attributes}]. */
  const scan = async (tableName: string, keyColumns: string[]) => {
    const answer = (await client.getRange({
      tableName,
      direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: keyColumns.map((c) => ({ [c]: TableStore.INF_MIN })),
      exclusiveEndPrimaryKey: keyColumns.map((c) => ({ [c]: TableStore.INF_MAX })),
      maxVersions: 1,
    })) as { rows: Row[] };
    return answer.rows.map((row) => [...row.primaryKey!.map((c) => plain(c.value)), Object.fromEntries((row.attributes ?? []).map((a) => [a.columnName, plain(a.columnValue)]))]);
  };
  const BY_OWNER = ['owner', 'shop', 'id'];

  it('creates a table with a global and a local index, described as TableStore describes them and not listed as tables', async () => {
    const table = unique('orders');
    await createOrders(table, [
      { name: `${table}_by_owner`, primaryKey: ['owner'], definedColumn: ['total'], ...GLOBAL },
      { name: `${table}_by_total`, primaryKey: ['shop', 'total'], definedColumn: [], ...LOCAL },
    ]);
    const described = (await client.describeTable({ tableName: table })) as unknown as { tableMeta: { definedColumn: object[] }; indexMetas: object[] };
    expect(described.tableMeta.definedColumn).toEqual(DEFINED.map((c) => expect.objectContaining(c)));
    expect(described.indexMetas).toEqual([
      expect.objectContaining({ name: `${table}_by_owner`, primaryKey: ['owner', 'shop', 'id'], definedColumn: ['total'], indexType: 0, indexUpdateMode: 0, indexSyncPhase: TableStore.SyncPhase.INCR }),
      expect.objectContaining({ name: `${table}_by_total`, primaryKey: ['shop', 'total', 'id'], definedColumn: [], indexType: 1, indexUpdateMode: 1 }),
    ]);
    const tables = ((await client.listTable({})) as { tableNames: string[] }).tableNames;
    expect(tables).toContain(table);
    expect(tables).not.toContain(`${table}_by_owner`);
  });

  it('reads an index with GetRange, GetRow and BatchGetRow; a row without an index column is not in it (sparse)', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: ['total', 'note'], ...GLOBAL }]);
    await put(table, 's1', 2, { owner: 'bob', total: 20, note: 'b' });
    await put(table, 's1', 1, { owner: 'ann', total: 10 });
    await put(table, 's2', 1, { owner: 'ann', total: 30, extra: 'not indexed' });
    await put(table, 's2', 2, { total: 99 }); // no owner: not in the index
    expect(await scan(index, BY_OWNER)).toEqual([
      ['ann', 's1', 1, { total: 10 }],
      ['ann', 's2', 1, { total: 30 }],
      ['bob', 's1', 2, { total: 20, note: 'b' }],
    ]);
    const row = (await client.getRow({ tableName: index, primaryKey: [{ owner: 'bob' }, { shop: 's1' }, { id: Long.fromNumber(2) }], maxVersions: 1 })) as { row: Row };
    expect(row.row.attributes!.map((a) => [a.columnName, plain(a.columnValue)])).toEqual([
      ['note', 'b'],
      ['total', 20],
    ]);
    const batch = (await client.batchGetRow({
      tables: [{ tableName: index, primaryKey: [[{ owner: 'ann' }, { shop: 's2' }, { id: Long.fromNumber(1) }], [{ owner: 'zed' }, { shop: 's1' }, { id: Long.fromNumber(1) }]], maxVersions: 1 }],
    })) as { tables: { isOk: boolean; primaryKey?: unknown[] | null }[][] };
    expect(batch.tables[0]!.map((r) => [r.isOk, Boolean(r.primaryKey)])).toEqual([
      [true, true],
      [true, false],
    ]);
    // The index's key is its index columns and then the table's: a key of the table alone is not one of the index.
    await expect(client.getRow({ tableName: index, primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(2) }], maxVersions: 1 })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('OTSInvalidPK') });
  });

  it('keeps the index current through UpdateRow, DeleteRow and PutRow', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: ['total'], ...GLOBAL }]);
    await put(table, 's1', 1, { owner: 'ann', total: 10 });
    await put(table, 's1', 2, { owner: 'bob', total: 20 });
    // The index column changes: the entry moves.
    await client.updateRow({ tableName: table, condition: IGNORE(), primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(1) }], updateOfAttributeColumns: [{ PUT: [{ owner: 'cat' }] }] });
    // An attribute column changes: the entry's copy follows.
    await client.updateRow({ tableName: table, condition: IGNORE(), primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(2) }], updateOfAttributeColumns: [{ INCREMENT: [{ total: Long.fromNumber(5) }] }] });
    expect(await scan(index, BY_OWNER)).toEqual([
      ['bob', 's1', 2, { total: 25 }],
      ['cat', 's1', 1, { total: 10 }],
    ]);
    // The index column deleted: the row leaves the index; an attribute deleted: the entry stays without it.
    await client.updateRow({ tableName: table, condition: IGNORE(), primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(1) }], updateOfAttributeColumns: [{ DELETE_ALL: ['owner'] }] });
    await client.updateRow({ tableName: table, condition: IGNORE(), primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(2) }], updateOfAttributeColumns: [{ DELETE_ALL: ['total'] }] });
    expect(await scan(index, BY_OWNER)).toEqual([['bob', 's1', 2, {}]]);
    // PutRow replaces the row, and with it the entry.
    await put(table, 's1', 2, { owner: 'dan', total: 1 });
    await put(table, 's1', 3, { owner: 'ann' });
    expect(await scan(index, BY_OWNER)).toEqual([
      ['ann', 's1', 3, {}],
      ['dan', 's1', 2, { total: 1 }],
    ]);
    await client.deleteRow({ tableName: table, condition: IGNORE(), primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(2) }] });
    expect(await scan(index, BY_OWNER)).toEqual([['ann', 's1', 3, {}]]);
  });

  it('keeps a local index whose key starts with the table key', async () => {
    const table = unique('orders');
    const index = `${table}_by_total`;
    await createOrders(table, [{ name: index, primaryKey: ['shop', 'total'], definedColumn: ['owner'], ...LOCAL }]);
    await put(table, 's1', 1, { owner: 'ann', total: 30 });
    await put(table, 's1', 2, { owner: 'bob', total: 10 });
    await put(table, 's2', 3, { owner: 'cat', total: 20 });
    expect(await scan(index, ['shop', 'total', 'id'])).toEqual([
      ['s1', 10, 2, { owner: 'bob' }],
      ['s1', 30, 1, { owner: 'ann' }],
      ['s2', 20, 3, { owner: 'cat' }],
    ]);
  });

  it('writes each BatchWriteRow row with its index entries or not at all: a bad row fails alone', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: ['total'], ...GLOBAL }]);
    await put(table, 's1', 2, { owner: 'old' });
    const row = (id: number, columns: object[], condition = IGNORE()) => ({ type: 'PUT', condition, primaryKey: [{ shop: 's1' }, { id: Long.fromNumber(id) }], attributeColumns: columns });
    const written = (await client.batchWriteRow({
      tables: [
        {
          tableName: table,
          rows: [
            row(1, [{ owner: 'ann' }, { total: Long.fromNumber(1) }]),
            // An index column written with another type than its predefined one.
            row(3, [{ owner: Long.fromNumber(7) }]),
            // A condition that fails: the row, and its index entry, stay as they were.
            row(2, [{ owner: 'new' }], EXPECT_NOT_EXIST()),
            // An index value over 1 KB: refused after the data row was written, so rolled back with it.
            row(4, [{ owner: 'x'.repeat(1025) }]),
            row(5, [{ owner: 'eve' }]),
          ],
        },
      ],
    })) as { tables: { isOk: boolean; errorCode?: string; errorMessage?: string }[] };
    expect(written.tables.map((t) => [t.isOk, t.errorCode ?? null])).toEqual([
      [true, null],
      [false, 'OTSParameterInvalid'],
      [false, 'OTSConditionCheckFail'],
      [false, 'OTSParameterInvalid'],
      [true, null],
    ]);
    expect(written.tables[1]!.errorMessage).toContain('owner');
    expect(written.tables[3]!.errorMessage).toContain("index column 'owner'");
    expect(await scan(index, BY_OWNER)).toEqual([
      ['ann', 's1', 1, { total: 1 }],
      ['eve', 's1', 5, {}],
      ['old', 's1', 2, {}],
    ]);
    expect((await scan(table, ['shop', 'id'])).map((r) => r[1])).toEqual([1, 2, 5]);
  });

  it('leaves nothing half-written when a PutRow is refused for its index entry', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }]);
    await put(table, 's1', 1, { owner: 'ann' });
    await expect(put(table, 's1', 1, { owner: 'y'.repeat(2000) })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('MaxLength:1024') });
    expect(await scan(table, ['shop', 'id'])).toEqual([['s1', 1, { owner: 'ann' }]]);
    expect(await scan(index, BY_OWNER)).toEqual([['ann', 's1', 1, {}]]);
  });

  it('adds an index with CreateIndex: from the existing rows with includeBaseData, from new writes only without', async () => {
    const table = unique('orders');
    await createOrders(table);
    await put(table, 's1', 1, { owner: 'ann', total: 10 });
    await put(table, 's1', 2, { owner: 'bob' });
    await put(table, 's1', 3, { total: 5 });
    await client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_full`, primaryKey: ['owner'], definedColumn: ['total'], ...GLOBAL }, includeBaseData: true });
    await client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_new`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL } });
    expect(await scan(`${table}_full`, BY_OWNER)).toEqual([
      ['ann', 's1', 1, { total: 10 }],
      ['bob', 's1', 2, {}],
    ]);
    expect(await scan(`${table}_new`, BY_OWNER)).toEqual([]);
    await put(table, 's1', 4, { owner: 'cat' });
    expect(await scan(`${table}_new`, BY_OWNER)).toEqual([['cat', 's1', 4, {}]]);
    const described = (await client.describeTable({ tableName: table })) as unknown as { indexMetas: { name: string }[] };
    expect(described.indexMetas.map((i) => i.name)).toEqual([`${table}_full`, `${table}_new`]);
  });

  it('refuses writes and table DDL on an index table, naming its data table', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }]);
    const key = [{ owner: 'ann' }, { shop: 's1' }, { id: Long.fromNumber(1) }];
    const readOnly = { code: 400, message: expect.stringContaining(`is an index table of [${table}] and is read-only`) };
    await expect(client.putRow({ tableName: index, condition: IGNORE(), primaryKey: key, attributeColumns: [{ x: 'y' }] })).rejects.toMatchObject(readOnly);
    await expect(client.updateRow({ tableName: index, condition: IGNORE(), primaryKey: key, updateOfAttributeColumns: [{ PUT: [{ x: 'y' }] }] })).rejects.toMatchObject(readOnly);
    await expect(client.deleteRow({ tableName: index, condition: IGNORE(), primaryKey: key })).rejects.toMatchObject(readOnly);
    const batch = (await client.batchWriteRow({ tables: [{ tableName: index, rows: [{ type: 'PUT', condition: IGNORE(), primaryKey: key, attributeColumns: [{ x: 'y' }] }] }] })) as { tables: { isOk: boolean; errorMessage?: string }[] };
    expect(batch.tables[0]).toMatchObject({ isOk: false, errorMessage: expect.stringContaining('read-only') });
    await expect(client.deleteTable({ tableName: index })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('drop it with DropIndex') });
    await expect(client.updateTable({ tableName: index, tableOptions: { maxVersions: 1 } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('not supported by the local TableStore emulator') });
    expect(await scan(index, BY_OWNER)).toEqual([]);
  });

  it('drops an index with DropIndex, and a data table with its indexes', async () => {
    const table = unique('orders');
    await createOrders(table, [
      { name: `${table}_a`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL },
      { name: `${table}_b`, primaryKey: ['total'], definedColumn: [], ...GLOBAL },
    ]);
    await put(table, 's1', 1, { owner: 'ann', total: 1 });
    await client.dropIndex({ mainTableName: table, indexName: `${table}_a` });
    await expect(client.getRow({ tableName: `${table}_a`, primaryKey: [{ owner: 'ann' }, { shop: 's1' }, { id: Long.fromNumber(1) }], maxVersions: 1 })).rejects.toMatchObject({ code: 404 });
    expect(((await client.describeTable({ tableName: table })) as unknown as { indexMetas: { name: string }[] }).indexMetas.map((i) => i.name)).toEqual([`${table}_b`]);
    await expect(client.dropIndex({ mainTableName: table, indexName: `${table}_a` })).rejects.toMatchObject({ code: 404, message: expect.stringContaining(`${table}/${table}_a`) });
    // The dropped name is free again; writes go on with the index left.
    await put(table, 's1', 2, { owner: 'bob', total: 2 });
    expect(await scan(`${table}_b`, ['total', 'shop', 'id'])).toEqual([
      [1, 's1', 1, {}],
      [2, 's1', 2, {}],
    ]);
    await client.deleteTable({ tableName: table });
    await expect(client.getRow({ tableName: `${table}_b`, primaryKey: [{ total: Long.fromNumber(1) }, { shop: 's1' }, { id: Long.fromNumber(1) }], maxVersions: 1 })).rejects.toMatchObject({ code: 404 });
    await createOrders(table, [{ name: `${table}_b`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }]);
    expect(await scan(`${table}_b`, BY_OWNER)).toEqual([]);
  });

  it('keeps max versions 1 (and a TTL only with updates off) on a table with an index', async () => {
    const table = unique('orders');
    await createOrders(table, [{ name: `${table}_i`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }]);
    await expect(client.updateTable({ tableName: table, tableOptions: { maxVersions: 2 } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('max_versions 1') });
    await expect(createOrders(unique('orders'), [{ name: unique('idx'), primaryKey: ['owner'], definedColumn: [], ...GLOBAL }], { timeToLive: 86400, maxVersions: 1 })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('allow_update must be false') });
    const plainTable = unique('orders');
    await createOrders(plainTable, [], { timeToLive: -1, maxVersions: 3 });
    await expect(client.createIndex({ mainTableName: plainTable, indexMeta: { name: unique('idx'), primaryKey: ['owner'], definedColumn: [], ...GLOBAL } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('max_versions 1') });
  });

  it('expires index entries with their data table, also after UpdateTable changes its TTL', async () => {
    const table = unique('orders');
    const index = `${table}_by_owner`;
    await createOrders(table, [{ name: index, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }], { timeToLive: 86400 * 2, maxVersions: 1, allowUpdate: false });
    await put(table, 's1', 1, { owner: 'ann' });
    await client.updateTable({ tableName: table, tableOptions: { timeToLive: 86400, maxVersions: 1, allowUpdate: false } });
    ots.advanceClock(86400 * 1000 + 60_000);
    await put(table, 's1', 2, { owner: 'bob' });
    expect(await scan(index, BY_OWNER)).toEqual([['bob', 's1', 2, {}]]);
    ots.emulator.sweep();
    const indexTable = ots.emulator.storage.table(ots.instance, index)!;
    expect(ots.emulator.storage.countRows(indexTable)).toBe(1);
  });

  it.each([
    ['an index column that is not a predefined column', { primaryKey: ['colour'], definedColumn: [] }, "index column (primary_key) 'colour' is neither"],
    ['a DOUBLE index column', { primaryKey: ['price'], definedColumn: [] }, "'price' is DOUBLE"],
    ['five index columns', { primaryKey: ['owner', 'total', 'note', 'shop', 'id'], definedColumn: [] }, 'must be in range [1, 4]'],
    ['no index column', { primaryKey: [], definedColumn: [] }, 'must be in range [1, 4]'],
    ['an index column named twice', { primaryKey: ['owner', 'owner'], definedColumn: [] }, "duplicated index column (primary_key) 'owner'"],
    ['a primary key column as attribute', { primaryKey: ['owner'], definedColumn: ['shop'] }, "attribute column (defined_column) 'shop' is a primary key column"],
    ['an attribute that is not predefined', { primaryKey: ['owner'], definedColumn: ['colour'] }, "attribute column (defined_column) 'colour' is not a predefined column"],
    ['a column as index and attribute', { primaryKey: ['owner'], definedColumn: ['owner'] }, 'both an index column and an attribute column'],
    ['a local index not starting with the table key', { primaryKey: ['owner'], definedColumn: [], ...LOCAL }, "must be the table's first primary key column 'shop'"],
    ['a local index updated asynchronously', { primaryKey: ['shop', 'owner'], definedColumn: [], indexType: TableStore.IndexType.IT_LOCAL_INDEX, indexUpdateMode: TableStore.IndexUpdateMode.IUM_ASYNC_INDEX }, 'needs index_update_mode IUM_SYNC_INDEX'],
    ['a global index updated synchronously', { primaryKey: ['owner'], definedColumn: [], indexType: TableStore.IndexType.IT_GLOBAL_INDEX, indexUpdateMode: TableStore.IndexUpdateMode.IUM_SYNC_INDEX }, 'needs index_update_mode IUM_ASYNC_INDEX'],
  ])('refuses %s, with CreateTable and with CreateIndex', async (_label, meta, message) => {
    const table = unique('orders');
    const index = unique('idx');
    await expect(createOrders(table, [{ name: index, ...GLOBAL, ...meta }])).rejects.toMatchObject({ code: 400, message: expect.stringContaining(message) });
    await expect(client.describeTable({ tableName: table })).rejects.toMatchObject({ code: 404 });
    await createOrders(table);
    await expect(client.createIndex({ mainTableName: table, indexMeta: { name: index, ...GLOBAL, ...meta } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining(message) });
    expect(((await client.describeTable({ tableName: table })) as unknown as { indexMetas: unknown[] }).indexMetas).toEqual([]);
  });

  it('refuses an index name already taken in the instance, a sixth index, and an index of an unknown table', async () => {
    const table = unique('orders');
    const other = unique('orders');
    await createOrders(other);
    await expect(createOrders(table, [{ name: other, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }])).rejects.toMatchObject({ code: 409, message: expect.stringContaining('OTSObjectAlreadyExist') });
    await expect(createOrders(table, [{ name: table, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }])).rejects.toMatchObject({ code: 409 });
    await createOrders(table);
    for (let i = 0; i < 5; i++) await client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_i${i}`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL } });
    await expect(client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_i5`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('already has 5 indexes') });
    await expect(client.createIndex({ mainTableName: table, indexMeta: { name: `${table}_i0`, primaryKey: ['total'], definedColumn: [], ...GLOBAL } })).rejects.toMatchObject({ code: 409 });
    await expect(client.createIndex({ mainTableName: unique('missing'), indexMeta: { name: unique('idx'), primaryKey: ['owner'], definedColumn: [], ...GLOBAL } })).rejects.toMatchObject({ code: 404 });
    for (let i = 0; i < 5; i++) await client.dropIndex({ mainTableName: table, indexName: `${table}_i${i}` });
  });

  it('refuses a predefined column written with another type than declared, on a table with an index only', async () => {
    const indexed = unique('orders');
    const plainTable = unique('orders');
    await createOrders(indexed, [{ name: `${indexed}_i`, primaryKey: ['owner'], definedColumn: [], ...GLOBAL }]);
    await createOrders(plainTable);
    await expect(put(indexed, 's1', 1, { total: 'ten' })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('Column [total] is a predefined column of type INTEGER; got STRING') });
    await put(plainTable, 's1', 1, { total: 'ten' });
  });
});
