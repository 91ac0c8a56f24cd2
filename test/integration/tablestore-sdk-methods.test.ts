import TableStore from 'tablestore';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { startTableStoreThread, type TableStoreThread } from '../../scripts/local/emulators/tablestore/thread';
import { EMULATED, INTERNALS, JSON_APIS, REFUSED } from '../helpers/tablestore-sdk-methods';
import { tempDir } from '../helpers/temp';

/**
 * Every method of the installed `tablestore` SDK's client, called the way a user's script calls it — the SDK
 * directly, default client options, the emulator as the local cloud runs it (its own thread, a TCP port, the
 * local account) — answers either the emulated result or a TableStore error naming the operation or the field
 * it does not emulate (D95). Never a wrong success, never a hang, never a 500. The common read and write
 * options are exercised with the values they must change, so an option silently ignored shows up here.
 * A client method this file does not know (a newer SDK) fails the first test until it is classified.
 */
const INSTANCE = 'methods-test';
/** Parts of the SDK its bundled typings leave out. */
const SDK = TableStore as unknown as {
  DefinedColumnType: Record<'DCT_STRING', number>;
  ColumnPaginationFilter: new (limit: number, offset: number) => TableStore.ColumnCondition;
  SortMode: Record<'SORT_MODE_MIN' | 'SORT_MODE_MAX' | 'SORT_MODE_AVG', number>;
  GroupByType: Record<'GROUP_BY_FIELD' | 'GROUP_BY_RANGE', number>;
};
const { Long } = TableStore;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const Q = TableStore.QueryType;
type Row = { primaryKey?: { name: string; value: unknown }[]; attributes?: { columnName: string; columnValue: unknown; timestamp?: unknown }[] };
type Sdk = TableStore.Client & Record<string, (params?: unknown) => Promise<Record<string, unknown>>>;

/** A protobuf API's refusal as the SDK reports it: the HTTP status as `code`, the TableStore code and message in `message`. */
const refusedNaming = (name: string) => expect.objectContaining({ code: 400, message: expect.stringMatching(new RegExp(`OTSParameterInvalid[\\s\\S]*${name.replace(/[()[\]]/g, '\\$&')}[\\s\\S]*not supported by the local TableStore emulator`)) });

describe('every tablestore SDK method, as a user script calls it', () => {
  const dir = tempDir('ots-methods-');
  let ots: TableStoreThread;
  let client: Sdk;

  /** INTEGER cells arrive as the SDK's Int64 objects. */
  const plain = (value: unknown) => (typeof value === 'object' && value !== null && 'toNumber' in value ? (value as { toNumber(): number }).toNumber() : value);
  const attributes = (row: Row | undefined) => Object.fromEntries((row?.attributes ?? []).map((a) => [a.columnName, plain(a.columnValue)]));
  const versions = (row: Row | undefined, column: string) => (row?.attributes ?? []).filter((a) => a.columnName === column).map((a) => plain(a.columnValue));
  const getRow = async (params: Record<string, unknown>) => ((await client.getRow({ tableName: 'items', ...params } as never)) as { row: Row }).row;

  beforeAll(async () => {
    ots = await startTableStoreThread({ dataDir: dir.path, instances: [INSTANCE], port: 0 });
    // Default client options (the SDK's own retries, no timeout): what a user's script makes.
    client = new TableStore.Client({ endpoint: ots.endpoint, instancename: INSTANCE, accessKeyId: LOCAL_CREDENTIALS.accessKeyId, secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret, stsToken: LOCAL_CREDENTIALS.securityToken }) as Sdk;
  });
  afterAll(async () => {
    const log = await ots.requestLog();
    await ots.close();
    dir.cleanup();
    // No request hit a bug of the emulator (answered 500).
    expect(log.internalErrors).toEqual([]);
  });

  it('knows every client method of the installed SDK, each emulated or refused by name', () => {
    const methods: string[] = [];
    for (const name in TableStore.Client.prototype) if (typeof (TableStore.Client.prototype as unknown as Record<string, unknown>)[name] === 'function' && !INTERNALS.has(name)) methods.push(name);
    const classified = [...EMULATED, ...REFUSED.map(([m]) => m), ...JSON_APIS.map(([m]) => m)];
    expect(methods.sort()).toEqual([...classified].sort());
  });

  describe('tables', () => {
    it('creates, lists, describes, updates and deletes a table', async () => {
      await client.createTable({
        tableMeta: { tableName: 'items', primaryKey: [{ name: 'id', type: 'STRING' }], definedColumn: [{ name: 'owner', type: SDK.DefinedColumnType.DCT_STRING }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
        streamSpecification: { enableStream: true, expirationTime: 24 },
      });
      await client.createTable({ tableMeta: { tableName: 'scratch', primaryKey: [{ name: 'id', type: 'INTEGER' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      expect(((await client.listTable({})) as { tableNames: string[] }).tableNames.sort()).toEqual(['items', 'scratch']);
      await client.updateTable({ tableName: 'items', tableOptions: { maxVersions: 3 } });
      const described = (await client.describeTable({ tableName: 'items' })) as { tableMeta: { tableName: string }; tableOptions: { maxVersions: number }; streamDetails: { enableStream: boolean } };
      expect(described).toMatchObject({ tableMeta: { tableName: 'items' }, tableOptions: { maxVersions: 3 }, streamDetails: { enableStream: true } });
      await client.deleteTable({ tableName: 'scratch' });
      await expect(client.describeTable({ tableName: 'scratch' })).rejects.toMatchObject({ code: 404, message: expect.stringContaining('OTSObjectNotExist') });
    });

    it('creates a table with a secondary index, adds one with createIndex, reads both and drops them (D158)', async () => {
      await client.createTable({
        tableMeta: { tableName: 'indexed', primaryKey: [{ name: 'id', type: 'STRING' }], definedColumn: [{ name: 'owner', type: SDK.DefinedColumnType.DCT_STRING }] },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: -1, maxVersions: 1 },
        indexMetas: [{ name: 'indexed_by_owner', primaryKey: ['owner'], definedColumn: [] }],
      } as never);
      await client.putRow({ tableName: 'indexed', condition: IGNORE(), primaryKey: [{ id: 'a' }], attributeColumns: [{ owner: 'ann' }] });
      await client.createIndex({ mainTableName: 'indexed', indexMeta: { name: 'indexed_by_owner_too', primaryKey: ['owner'], definedColumn: [] }, includeBaseData: true } as never);
      for (const index of ['indexed_by_owner', 'indexed_by_owner_too']) {
        const got = (await client.getRow({ tableName: index, primaryKey: [{ owner: 'ann' }, { id: 'a' }] })) as { row: Row };
        expect(got.row.primaryKey!.map((c) => c.value)).toEqual(['ann', 'a']);
      }
      const described = (await client.describeTable({ tableName: 'indexed' })) as { indexMetas: { name: string }[] };
      expect(described.indexMetas.map((i) => i.name)).toEqual(['indexed_by_owner', 'indexed_by_owner_too']);
      await client.dropIndex({ mainTableName: 'indexed', indexName: 'indexed_by_owner_too' } as never);
      await client.deleteTable({ tableName: 'indexed' });
      await expect(client.getRow({ tableName: 'indexed_by_owner', primaryKey: [{ owner: 'ann' }, { id: 'a' }] })).rejects.toMatchObject({ code: 404 });
    });
  });

  describe('rows', () => {
    it('puts and updates with conditions and returns the key; reads versions, columns and time ranges', async () => {
      const t1 = Date.now() - 3000;
      const t2 = t1 + 1000;
      const t3 = t1 + 2000;
      await client.putRow({ tableName: 'items', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ n: Long.fromNumber(1), timestamp: t1 }, { owner: 'ann', timestamp: t1 }, { note: 'first', timestamp: t1 }] });
      // PutRow replaces the whole row; more versions of a cell come from UpdateRow.
      await client.updateRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(2), timestamp: t2 }] }] });
      const put = (await client.updateRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(3), timestamp: t3 }] }], returnContent: { returnType: TableStore.ReturnType.Primarykey } })) as { row: Row };
      expect(put.row.primaryKey).toEqual([{ name: 'id', value: 'a' }]);
      await expect(client.putRow({ tableName: 'items', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'a' }], attributeColumns: [{ n: Long.fromNumber(9) }] })).rejects.toMatchObject({ code: 403, message: expect.stringContaining('OTSConditionCheckFail') });

      expect(versions(await getRow({ primaryKey: [{ id: 'a' }] }), 'n')).toEqual([3]);
      expect(versions(await getRow({ primaryKey: [{ id: 'a' }], maxVersions: 3 }), 'n')).toEqual([3, 2, 1]);
      expect(versions(await getRow({ primaryKey: [{ id: 'a' }], maxVersions: 3, timeRange: { startTime: t1, endTime: t3 } }), 'n')).toEqual([2, 1]);
      expect(versions(await getRow({ primaryKey: [{ id: 'a' }], timeRange: { specificTime: t2 } }), 'n')).toEqual([2]);
      expect(attributes(await getRow({ primaryKey: [{ id: 'a' }], columnsToGet: ['owner'] }))).toEqual({ owner: 'ann' });
      expect(Object.keys(attributes(await getRow({ primaryKey: [{ id: 'a' }], startColumn: 'n', endColumn: 'owner' })))).toEqual(['n', 'note']);
      expect(attributes(await getRow({ primaryKey: [{ id: 'a' }], columnFilter: new SDK.ColumnPaginationFilter(1, 1) }))).toEqual({ note: 'first' });
    });

    it('applies single and composite column filters on reads', async () => {
      const gt2 = new TableStore.SingleColumnCondition('n', Long.fromNumber(2), TableStore.ComparatorType.GREATER_THAN, true, true);
      const lt2 = new TableStore.SingleColumnCondition('n', Long.fromNumber(2), TableStore.ComparatorType.LESS_THAN, true, true);
      expect(await getRow({ primaryKey: [{ id: 'a' }], columnFilter: gt2 })).toMatchObject({ primaryKey: [{ name: 'id', value: 'a' }] });
      expect((await getRow({ primaryKey: [{ id: 'a' }], columnFilter: lt2 })).primaryKey ?? []).toEqual([]);
      const either = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
      either.addSubCondition(lt2);
      either.addSubCondition(new TableStore.SingleColumnCondition('owner', 'ann', TableStore.ComparatorType.EQUAL, true, true));
      expect(await getRow({ primaryKey: [{ id: 'a' }], columnFilter: either })).toMatchObject({ primaryKey: [{ name: 'id', value: 'a' }] });
      const both = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
      both.addSubCondition(gt2);
      both.addSubCondition(new TableStore.SingleColumnCondition('owner', 'bob', TableStore.ComparatorType.EQUAL, true, true));
      expect((await getRow({ primaryKey: [{ id: 'a' }], columnFilter: both })).primaryKey ?? []).toEqual([]);
      // A filter on a column that is missing: passIfMissing decides.
      const missing = (pass: boolean) => new TableStore.SingleColumnCondition('absent', 'x', TableStore.ComparatorType.EQUAL, pass, true);
      expect(await getRow({ primaryKey: [{ id: 'a' }], columnFilter: missing(true) })).toMatchObject({ primaryKey: [{ name: 'id', value: 'a' }] });
      expect((await getRow({ primaryKey: [{ id: 'a' }], columnFilter: missing(false) })).primaryKey ?? []).toEqual([]);
    });

    it('updates with PUT, DELETE, DELETE_ALL and INCREMENT under a column condition, returning what changed', async () => {
      const ownerIsAnn = new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, new TableStore.SingleColumnCondition('owner', 'ann', TableStore.ComparatorType.EQUAL, false, true));
      const updated = (await client.updateRow({
        tableName: 'items',
        condition: ownerIsAnn,
        primaryKey: [{ id: 'a' }],
        updateOfAttributeColumns: [{ PUT: [{ colour: 'teal' }] }, { DELETE_ALL: ['note'] }, { INCREMENT: [{ n: Long.fromNumber(10) }] }],
        returnContent: { returnType: TableStore.ReturnType.AfterModify, returnColumns: ['n'] },
      })) as { row: Row };
      expect(attributes(updated.row)).toEqual({ n: 13 });
      expect(attributes(await getRow({ primaryKey: [{ id: 'a' }] }))).toEqual({ colour: 'teal', n: 13, owner: 'ann' });
      const [oldest] = (await getRow({ primaryKey: [{ id: 'a' }], maxVersions: 5, columnsToGet: ['n'] })).attributes!.slice(-1);
      await client.updateRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ DELETE: [{ n: oldest!.timestamp }] }] });
      expect(versions(await getRow({ primaryKey: [{ id: 'a' }], maxVersions: 5 }), 'n')).not.toContain(1);
      const ownerIsBob = new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, new TableStore.SingleColumnCondition('owner', 'bob', TableStore.ComparatorType.EQUAL, false, true));
      await expect(client.updateRow({ tableName: 'items', condition: ownerIsBob, primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ INCREMENT: [{ n: Long.fromNumber(1) }] }] })).rejects.toMatchObject({ code: 403, message: expect.stringContaining('OTSConditionCheckFail') });
      await expect(client.updateRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'a' }], updateOfAttributeColumns: [{ INCREMENT: [{ owner: Long.fromNumber(1) }] }] })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('OTSParameterInvalid') });
      expect(attributes(await getRow({ primaryKey: [{ id: 'a' }], columnsToGet: ['n'] }))).toEqual({ n: 13 });
    });

    it('deletes under a composite column condition', async () => {
      await client.putRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'gone' }], attributeColumns: [{ owner: 'bob' }, { n: Long.fromNumber(5) }] });
      const notThis = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
      notThis.addSubCondition(new TableStore.SingleColumnCondition('owner', 'bob', TableStore.ComparatorType.EQUAL, false, true));
      notThis.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(6), TableStore.ComparatorType.GREATER_EQUAL, false, true));
      await expect(client.deleteRow({ tableName: 'items', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, notThis), primaryKey: [{ id: 'gone' }] })).rejects.toMatchObject({ code: 403 });
      const this_ = new TableStore.CompositeCondition(TableStore.LogicalOperator.NOT);
      this_.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(6), TableStore.ComparatorType.GREATER_EQUAL, false, true));
      await client.deleteRow({ tableName: 'items', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, this_), primaryKey: [{ id: 'gone' }] });
      expect((await getRow({ primaryKey: [{ id: 'gone' }] })).primaryKey ?? []).toEqual([]);
    });

    it('reads a range forward and backward with columnsToGet, columnFilter, maxVersions, timeRange and limit', async () => {
      const rows = (await client.batchWriteRow({
        tables: [{ tableName: 'items', rows: ['r1', 'r2', 'r3', 'r4'].map((id, i) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id }], attributeColumns: [{ n: Long.fromNumber(i + 1) }, { owner: i % 2 ? 'bob' : 'ann' }] })) }],
      })) as { tables: { isOk: boolean }[] };
      expect(rows.tables.every((r) => r.isOk)).toBe(true);
      const range = async (params: Record<string, unknown>) =>
        ((await client.getRange({ tableName: 'items', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: 'r' }], exclusiveEndPrimaryKey: [{ id: 's' }], ...params } as never)) as { rows: Row[]; nextStartPrimaryKey?: unknown }) ;
      expect((await range({})).rows.map((r) => r.primaryKey![0]!.value)).toEqual(['r1', 'r2', 'r3', 'r4']);
      const back = await range({ direction: TableStore.Direction.BACKWARD, inclusiveStartPrimaryKey: [{ id: 's' }], exclusiveEndPrimaryKey: [{ id: 'r' }], limit: 2 });
      expect(back.rows.map((r) => r.primaryKey![0]!.value)).toEqual(['r4', 'r3']);
      expect(back.nextStartPrimaryKey).toBeTruthy();
      expect((await range({ columnsToGet: ['owner'] })).rows.map(attributes)).toEqual([{ owner: 'ann' }, { owner: 'bob' }, { owner: 'ann' }, { owner: 'bob' }]);
      const bobs = await range({ columnFilter: new TableStore.SingleColumnCondition('owner', 'bob', TableStore.ComparatorType.EQUAL, true, true) });
      expect(bobs.rows.map((r) => r.primaryKey![0]!.value)).toEqual(['r2', 'r4']);
      await client.updateRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'r1' }], updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(100) }] }] });
      expect((await range({ maxVersions: 2, columnsToGet: ['n'], limit: 1 })).rows.map((r) => versions(r, 'n'))).toEqual([[100, 1]]);
      expect((await range({ timeRange: { startTime: 0, endTime: 1 } })).rows).toEqual([]);
    });

    it('gets a batch with columnsToGet and a filter; writes a batch of PUT, UPDATE and DELETE where one bad row fails alone', async () => {
      const got = (await client.batchGetRow({ tables: [{ tableName: 'items', primaryKey: [[{ id: 'r1' }], [{ id: 'r2' }], [{ id: 'none' }]], columnsToGet: ['owner'] }] })) as { tables: { isOk: boolean; primaryKey?: unknown; attributes?: Row['attributes'] }[][] };
      expect(got.tables[0]!.map((r) => r.isOk)).toEqual([true, true, true]);
      expect(got.tables[0]!.map((r) => attributes(r as Row))).toEqual([{ owner: 'ann' }, { owner: 'bob' }, {}]);
      const written = (await client.batchWriteRow({
        tables: [
          {
            tableName: 'items',
            rows: [
              { type: 'UPDATE', condition: IGNORE(), primaryKey: [{ id: 'r1' }], attributeColumns: [{ INCREMENT: [{ n: Long.fromNumber(1) }] }] },
              { type: 'PUT', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'r2' }], attributeColumns: [{ n: Long.fromNumber(0) }] },
              { type: 'DELETE', condition: IGNORE(), primaryKey: [{ id: 'r3' }] },
            ],
          },
        ],
      })) as { tables: { isOk: boolean; errorCode?: string }[] };
      expect(written.tables.map((r) => [r.isOk, r.errorCode ?? null])).toEqual([
        [true, null],
        [false, 'OTSConditionCheckFail'],
        [true, null],
      ]);
      expect(attributes(await getRow({ primaryKey: [{ id: 'r1' }], columnsToGet: ['n'] }))).toEqual({ n: 101 });
      expect(attributes(await getRow({ primaryKey: [{ id: 'r2' }], columnsToGet: ['n'] }))).toEqual({ n: 2 });
      expect((await getRow({ primaryKey: [{ id: 'r3' }] })).primaryKey ?? []).toEqual([]);
    });

    it('refuses a write or read inside a local transaction by name, and writes nothing', async () => {
      await expect(client.putRow({ tableName: 'items', condition: IGNORE(), primaryKey: [{ id: 'tx' }], attributeColumns: [{ n: Long.fromNumber(1) }], transactionId: 'tx-1' } as never)).rejects.toEqual(refusedNaming('Local transactions (transaction_id)'));
      await expect(getRow({ primaryKey: [{ id: 'a' }], transactionId: 'tx-1' })).rejects.toEqual(refusedNaming('Local transactions (transaction_id)'));
      expect((await getRow({ primaryKey: [{ id: 'tx' }] })).primaryKey ?? []).toEqual([]);
    });
  });

  describe('search', () => {
    const search = (searchQuery: Record<string, unknown>, columnToGet: object = { returnType: TableStore.ColumnReturnType.RETURN_NONE }) =>
      client.search({ tableName: 'items', indexName: 'items_index', searchQuery: { offset: 0, limit: 10, getTotalCount: true, ...searchQuery }, columnToGet } as never) as Promise<{ rows: Row[]; totalCounts: unknown; aggs?: unknown; groupBys?: unknown }>;
    const ids = async (searchQuery: Record<string, unknown>) => (await search(searchQuery)).rows.map((r) => r.primaryKey![0]!.value);

    beforeAll(async () => {
      // TableStore indexes only tables that keep one version.
      await client.updateTable({ tableName: 'items', tableOptions: { maxVersions: 1 } });
      await client.batchWriteRow({
        tables: [
          {
            tableName: 'items',
            rows: [
              ['s1', 'red kettle', 'ann', 30, '[5, 40]'],
              ['s2', 'blue kettle', 'bob', 10, '[20]'],
              ['s3', 'red teapot', 'bob', 20, '[1, 2, 3]'],
            ].map(([id, title, owner, price, sizes]) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id }], attributeColumns: [{ title }, { owner }, { price: Long.fromNumber(price as number) }, { sizes }] })),
          },
        ],
      });
    });

    it('creates, lists, describes and updates an index, and searches with sort, columns and total count', async () => {
      await client.createSearchIndex({
        tableName: 'items',
        indexName: 'items_index',
        schema: {
          fieldSchemas: [
            { fieldName: 'title', fieldType: TableStore.FieldType.TEXT, index: true, analyzer: 'single_word', analyzerParameter: { caseSensitive: false, delimitWord: false } },
            { fieldName: 'owner', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true },
            { fieldName: 'price', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true },
            { fieldName: 'sizes', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true, isAnArray: true },
          ],
        },
      });
      expect(((await client.listSearchIndex({ tableName: 'items' })) as { indices: { indexName: string }[] }).indices.map((i) => i.indexName)).toEqual(['items_index']);
      expect(((await client.describeSearchIndex({ tableName: 'items', indexName: 'items_index' })) as { schema: { fieldSchemas: unknown[] } }).schema.fieldSchemas).toHaveLength(4);
      await client.updateSearchIndex({ tableName: 'items', indexName: 'items_index', timeToLive: -1 });
      await expect(client.updateSearchIndex({ tableName: 'items', indexName: 'items_index', timeToLive: 86_400 })).rejects.toEqual(refusedNaming('Search index TTL'));

      const red = await search({ query: { queryType: Q.MATCH_QUERY, query: { fieldName: 'title', text: 'red' } }, sort: { sorters: [{ fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] } }, { returnType: TableStore.ColumnReturnType.RETURN_SPECIFIED, returnNames: ['owner'] });
      expect(red.rows.map((r) => [r.primaryKey![0]!.value, attributes(r)])).toEqual([
        ['s1', { owner: 'ann' }],
        ['s3', { owner: 'bob' }],
      ]);
      expect(String(red.totalCounts)).toBe('2');
      const bool = { queryType: Q.BOOL_QUERY, query: { mustQueries: [{ queryType: Q.TERM_QUERY, query: { fieldName: 'owner', term: 'bob' } }], filterQueries: [{ queryType: Q.RANGE_QUERY, query: { fieldName: 'price', rangeFrom: Long.fromNumber(15), includeLower: true } }] } };
      expect(await ids({ query: bool })).toEqual(['s3']);
    });

    it('sorts an array field by its smallest, largest or average value as the sort mode says', async () => {
      const bySizes = (order: number, mode?: number) => ids({ query: { queryType: Q.EXISTS_QUERY, query: { fieldName: 'sizes' } }, sort: { sorters: [{ fieldSort: { fieldName: 'sizes', order, ...(mode !== undefined ? { mode } : {}) } }] } });
      const { SORT_ORDER_ASC: ASC, SORT_ORDER_DESC: DESC } = TableStore.SortOrder;
      const { SORT_MODE_MIN: MIN, SORT_MODE_MAX: MAX, SORT_MODE_AVG: AVG } = SDK.SortMode;
      // sizes: s1 [5, 40] (min 5, max 40, avg 22.5), s2 [20], s3 [1, 2, 3] (min 1, max 3, avg 2).
      expect(await bySizes(ASC, MIN)).toEqual(['s3', 's1', 's2']);
      expect(await bySizes(ASC, MAX)).toEqual(['s3', 's2', 's1']);
      expect(await bySizes(DESC, AVG)).toEqual(['s1', 's2', 's3']);
      // Without a mode: the smallest value ascending, the largest descending.
      expect(await bySizes(ASC)).toEqual(['s3', 's1', 's2']);
      expect(await bySizes(DESC)).toEqual(['s1', 's2', 's3']);
    });

    it('aggregates over every hit, not only the page: avg, max, min, sum, count, distinct count, with missing', async () => {
      const A = TableStore.AggregationType;
      const agg = (name: string, type: number, body: object) => ({ name, type, body });
      const answer = (await search({
        query: { queryType: Q.EXISTS_QUERY, query: { fieldName: 'price' } },
        limit: 1,
        aggs: {
          aggs: [
            agg('avg', A.AGG_AVG, { fieldName: 'price' }),
            agg('max', A.AGG_MAX, { fieldName: 'price' }),
            agg('min', A.AGG_MIN, { fieldName: 'price' }),
            agg('sum', A.AGG_SUM, { fieldName: 'price' }),
            agg('count', A.AGG_COUNT, { fieldName: 'sizes' }),
            agg('owners', A.AGG_DISTINCT_COUNT, { fieldName: 'owner' }),
          ],
        },
      })) as unknown as { rows: Row[]; aggs: { aggResults: { name: string; aggResult: { value: unknown } }[] } };
      expect(answer.rows).toHaveLength(1);
      const values = Object.fromEntries(answer.aggs.aggResults.map((r) => [r.name, Number(String(r.aggResult.value))]));
      expect(values).toEqual({ avg: 20, max: 30, min: 10, sum: 60, count: 6, owners: 2 });
      // A row without the field counts with `missing`; none without it.
      const everything = { queryType: Q.MATCH_ALL_QUERY };
      const withMissing = (await search({ query: everything, limit: 0, aggs: { aggs: [agg('min', A.AGG_MIN, { fieldName: 'price', missing: Long.fromNumber(-1) }), agg('min_plain', A.AGG_MIN, { fieldName: 'price' })] } })) as unknown as { aggs: { aggResults: { aggResult: { value: number } }[] } };
      expect(withMissing.aggs.aggResults.map((r) => r.aggResult.value)).toEqual([-1, 10]);
      await expect(search({ query: everything, aggs: { aggs: [agg('t', A.AGG_AVG, { fieldName: 'title' })] } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('field [title] does not enable sort and agg') });
      await expect(search({ query: everything, aggs: { aggs: [agg('o', A.AGG_SUM, { fieldName: 'owner' })] } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('field [owner] is KEYWORD') });
      await expect(search({ query: everything, aggs: { aggs: [agg('top', A.AGG_TOP_ROWS, { limit: 1 })] } })).rejects.toEqual(refusedNaming('Search aggregation AGG_TOP_ROWS'));
    });

    it('groups by field value with a size, sorters and sub-aggregations', async () => {
      const A = TableStore.AggregationType;
      type Groups = { groupBys: { groupByResults: { name: string; groupByResult: { items: { key: string; rowCount: unknown; subAggsResult?: { aggResults: { aggResult: { value: unknown } }[] } }[] } }[] } };
      const groups = async (body: object) => {
        const answer = (await search({ query: { queryType: Q.EXISTS_QUERY, query: { fieldName: 'price' } }, limit: 0, groupBys: { groupBys: [{ name: 'by_owner', type: SDK.GroupByType.GROUP_BY_FIELD, body: { fieldName: 'owner', ...body } }] } })) as unknown as Groups;
        return answer.groupBys.groupByResults[0]!.groupByResult.items.map((i) => [i.key, Number(String(i.rowCount)), ...(i.subAggsResult ? i.subAggsResult.aggResults.map((r) => Number(String(r.aggResult.value))) : [])]);
      };
      // owners: ann s1 (30); bob s2 (10), s3 (20).
      expect(await groups({})).toEqual([
        ['bob', 2],
        ['ann', 1],
      ]);
      expect(await groups({ size: 1 })).toEqual([['bob', 2]]);
      expect(await groups({ sort: { sorters: [{ groupKeySort: { order: TableStore.SortOrder.SORT_ORDER_ASC } }] } })).toEqual([
        ['ann', 1],
        ['bob', 2],
      ]);
      const total = { aggs: [{ name: 'total', type: A.AGG_SUM, body: { fieldName: 'price' } }] };
      expect(await groups({ subAggs: total, sort: { sorters: [{ subAggSort: { subAggName: 'total', order: TableStore.SortOrder.SORT_ORDER_DESC } }] } })).toEqual([
        ['ann', 1, 30],
        ['bob', 2, 30],
      ]);
      expect(await groups({ minDocCount: 2 })).toEqual([['bob', 2]]);
    });

    it('refuses other group-bys, collapse, highlight and routing values by name', async () => {
      const all = { queryType: Q.MATCH_ALL_QUERY };
      await expect(search({ query: all, groupBys: { groupBys: [{ name: 'by_price', type: SDK.GroupByType.GROUP_BY_RANGE, body: { fieldName: 'price', ranges: [{ from: 0, to: 10 }] } }] } })).rejects.toEqual(refusedNaming('Search group-by GROUP_BY_RANGE'));
      await expect(search({ query: all, collapse: { fieldName: 'owner' } })).rejects.toEqual(refusedNaming('Collapse'));
      await expect(search({ query: all, highlight: { highlightParameters: [{ fieldName: 'title' }] } })).rejects.toEqual(refusedNaming('Highlight'));
      await expect(client.search({ tableName: 'items', indexName: 'items_index', searchQuery: { limit: 1, query: all }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE }, routingValues: [[{ id: 's1' }]] } as never)).rejects.toEqual(refusedNaming('Search routing_values'));
    });

    it('leaves a row out of the index when a value does not have its field\'s type, as TableStore drops dirty rows', async () => {
      // The commonest slip in a script: a JS number is written as DOUBLE, so `{ qty: 5 }` in a LONG field makes the
      // row dirty data. TableStore's data-type mapping is one to one, and a row that does not match is not synced to
      // the index at all, though the table has it — locally too, so a search that works here works there.
      const tableName = 'typed_rows';
      await client.createTable({ tableMeta: { tableName, primaryKey: [{ name: 'id', type: 'STRING' }] }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 } });
      const F = TableStore.FieldType;
      await client.createSearchIndex({
        tableName,
        indexName: 'typed_index',
        schema: {
          fieldSchemas: [
            { fieldName: 'kind', fieldType: F.KEYWORD, index: true, enableSortAndAgg: true },
            { fieldName: 'qty', fieldType: F.LONG, index: true, enableSortAndAgg: true },
            { fieldName: 'ratio', fieldType: F.DOUBLE, index: true, enableSortAndAgg: true },
            { fieldName: 'sizes', fieldType: F.LONG, index: true, isAnArray: true },
          ],
        },
      });
      const rows: [id: string, columns: object[]][] = [
        ['ok', [{ kind: 'k' }, { qty: Long.fromNumber(5) }, { ratio: 0.5 }, { sizes: '[1, 2]' }]],
        ['no-fields', [{ kind: 'k' }]],
        ['js-number-in-long', [{ kind: 'k' }, { qty: 5 }]],
        ['long-in-keyword', [{ kind: Long.fromNumber(1) }]],
        ['long-in-double', [{ kind: 'k' }, { ratio: Long.fromNumber(2) }]],
        ['array-not-json', [{ kind: 'k' }, { sizes: '[1, 2' }]],
        ['array-of-strings', [{ kind: 'k' }, { sizes: '["a"]' }]],
      ];
      const written = (await client.batchWriteRow({ tables: [{ tableName, rows: rows.map(([id, attributeColumns]) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id }], attributeColumns })) }] })) as { tables: { isOk: boolean }[] };
      expect(written.tables.map((t) => t.isOk)).toEqual(rows.map(() => true));
      const found = async (query: object) => {
        const answer = (await client.search({ tableName, indexName: 'typed_index', searchQuery: { offset: 0, limit: 100, getTotalCount: true, query }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } } as never)) as { rows: Row[]; totalCounts: unknown };
        return { ids: answer.rows.map((r) => r.primaryKey![0]!.value).sort(), total: String(answer.totalCounts) };
      };
      expect(await found({ queryType: Q.MATCH_ALL_QUERY })).toEqual({ ids: ['no-fields', 'ok'], total: '2' });
      expect(await found({ queryType: Q.TERM_QUERY, query: { fieldName: 'kind', term: 'k' } })).toEqual({ ids: ['no-fields', 'ok'], total: '2' });
      // The table still has every row.
      expect(attributes(await getRow({ tableName, primaryKey: [{ id: 'js-number-in-long' }] }))).toEqual({ kind: 'k', qty: 5 });
      // Written again with the right type, the row is searchable.
      await client.putRow({ tableName, condition: IGNORE(), primaryKey: [{ id: 'js-number-in-long' }], attributeColumns: [{ kind: 'k' }, { qty: Long.fromNumber(5) }] });
      expect(await found({ queryType: Q.TERM_QUERY, query: { fieldName: 'qty', term: Long.fromNumber(5) } })).toEqual({ ids: ['js-number-in-long', 'ok'], total: '2' });
      await client.deleteSearchIndex({ tableName, indexName: 'typed_index' });
      await client.deleteTable({ tableName });
    });

    it('pages up to 1 000 rows when every column returned is in the index, 100 otherwise, and offset + limit up to 100 000', async () => {
      // TableStore reads rows back from the table only for columns the index does not hold; without that, a page
      // may be ten times larger. Deeper than 100 000 rows, offset paging is refused: next_token pages on.
      const all = { queryType: Q.MATCH_ALL_QUERY };
      const { RETURN_NONE, RETURN_SPECIFIED, RETURN_ALL_FROM_INDEX, RETURN_ALL } = TableStore.ColumnReturnType;
      for (const columnToGet of [{ returnType: RETURN_NONE }, { returnType: RETURN_ALL_FROM_INDEX }, { returnType: RETURN_SPECIFIED, returnNames: ['owner', 'price'] }]) {
        const page = await search({ query: all, limit: 1000 }, columnToGet);
        expect(page.rows.length).toBeGreaterThan(1);
        expect(page.rows).toHaveLength(Number(page.totalCounts));
      }
      const tooMany = (max: number) => expect.objectContaining({ code: 400, message: expect.stringMatching(new RegExp(`OTSParameterInvalid[\\s\\S]*Invalid limit: ${max + 1}, the limit must be in \\[0, ${max}\\]`)) });
      await expect(search({ query: all, limit: 1001 }, { returnType: RETURN_NONE })).rejects.toEqual(tooMany(1000));
      await expect(search({ query: all, limit: 101 }, { returnType: RETURN_ALL })).rejects.toEqual(tooMany(100));
      await expect(search({ query: all, limit: 101 }, { returnType: RETURN_SPECIFIED, returnNames: ['owner', 'not_in_index'] })).rejects.toEqual(tooMany(100));
      expect((await search({ query: all, offset: 99_990, limit: 10 })).rows).toEqual([]);
      await expect(search({ query: all, offset: 99_991, limit: 10 })).rejects.toEqual(expect.objectContaining({ code: 400, message: expect.stringMatching(/OTSParameterInvalid[\s\S]*offset \+ limit/) }));
    });

    it('deletes the index', async () => {
      await client.deleteSearchIndex({ tableName: 'items', indexName: 'items_index' });
      expect(((await client.listSearchIndex({ tableName: 'items' })) as { indices: unknown[] }).indices).toEqual([]);
    });
  });

  it.each(REFUSED)('refuses %s by name', async (method, params, named) => {
    await expect(client[method]!(params)).rejects.toEqual(refusedNaming(named));
  });

  it.each(JSON_APIS)('refuses the JSON API %s by name, as a JSON error', async (method, params, named) => {
    await expect(client[method]!(params)).rejects.toMatchObject({ code: 'OTSParameterInvalid', message: expect.stringContaining(`(${named}) is not supported by the local TableStore emulator`) });
  });
});
