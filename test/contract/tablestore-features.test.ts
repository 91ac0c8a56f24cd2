/**
 * What the TableStore emulator offers a user's own SDK code beyond the suite's adapter: table DDL (with its
 * checks), several versions per cell, AUTO_INCREMENT primary keys, the stream's expiry, the search query kinds
 * and sorters, and what it refuses by name. Also that its PlainBuffer checksums and stream records are the
 * SDK's own format.
 */
import TableStore from 'tablestore';
import { crc8 } from '../../scripts/local/emulators/tablestore/crc8';
import { readRequestRow, writeRows } from '../../scripts/local/emulators/tablestore/plain-buffer';
import { useTestTableStore } from '../helpers/tablestore';

const { Long } = TableStore;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
type Sdk = TableStore.Client & Record<string, (params: object) => Promise<Record<string, unknown>>>;

describe('TableStore emulator features', () => {
  const ots = useTestTableStore();
  let client: Sdk;
  beforeAll(() => {
    client = ots.client as Sdk;
  });

  const create = (tableName: string, extra: Record<string, unknown> = {}, primaryKey: object[] = [{ name: 'id', type: 'STRING' }]) =>
    client.createTable({ tableMeta: { tableName, primaryKey }, reservedThroughput: { capacityUnit: { read: 0, write: 0 } }, tableOptions: { timeToLive: -1, maxVersions: 1 }, ...extra });

  describe('table DDL', () => {
    it('creates, lists, describes, updates and deletes a table', async () => {
      await create('ddl_a', { tableOptions: { timeToLive: 86400, maxVersions: 2 }, streamSpecification: { enableStream: true, expirationTime: 12 } });
      expect((await client.listTable({})).tableNames).toContain('ddl_a');
      const described = (await client.describeTable({ tableName: 'ddl_a' })) as unknown as TableStore.DescribeTableResult;
      expect(described.tableMeta.primaryKey).toEqual([expect.objectContaining({ name: 'id', type: 2 })]);
      expect(described.tableOptions).toMatchObject({ timeToLive: 86400, maxVersions: 2 });
      expect(described.streamDetails).toMatchObject({ enableStream: true, expirationTime: 12 });
      await client.updateTable({ tableName: 'ddl_a', tableOptions: { timeToLive: -1, maxVersions: 1 }, streamSpecification: { enableStream: false } });
      const updated = (await client.describeTable({ tableName: 'ddl_a' })) as unknown as TableStore.DescribeTableResult;
      expect(updated.tableOptions).toMatchObject({ timeToLive: -1, maxVersions: 1 });
      expect(updated.streamDetails).toMatchObject({ enableStream: false });
      await client.deleteTable({ tableName: 'ddl_a' });
      expect((await client.listTable({})).tableNames).not.toContain('ddl_a');
      await expect(client.describeTable({ tableName: 'ddl_a' })).rejects.toMatchObject({ code: 404 });
    });

    it.each([
      ['a table that exists', 'ddl_dup', {}, 409, 'OTSObjectAlreadyExist'],
      ['a TTL below one day', 'ddl_ttl', { tableOptions: { timeToLive: 3600, maxVersions: 1 } }, 400, 'at least 86400 seconds'],
      ['max versions 0', 'ddl_versions', { tableOptions: { timeToLive: -1, maxVersions: 0 } }, 400, 'The maximum versions cannot be less than or equal to 0.'],
      ['a bad table name', '9table', {}, 400, "Invalid table name: '9table'."],
      ['a secondary index on a column that is not predefined', 'ddl_index', { indexMetas: [{ name: 'idx', primaryKey: ['owner'], definedColumn: [] }] }, 400, "index column (primary_key) 'owner' is neither"],
      ['a stream kept 200 hours', 'ddl_stream', { streamSpecification: { enableStream: true, expirationTime: 200 } }, 400, 'Invalid stream expiration time: 200'],
    ])('refuses %s', async (_label, name, extra, status, message) => {
      if (name === 'ddl_dup') await create(name);
      await expect(create(name, extra)).rejects.toMatchObject({ code: status, message: expect.stringContaining(message) });
      if (name !== 'ddl_dup') expect((await client.listTable({})).tableNames).not.toContain(name);
    });

    it('refuses five primary key columns and a first AUTO_INCREMENT column', async () => {
      const pk = (n: number) => Array.from({ length: n }, (_, i) => ({ name: `k${i}`, type: 'STRING' }));
      await expect(create('ddl_pk5', {}, pk(5))).rejects.toMatchObject({ code: 400, message: expect.stringContaining('[1, 4]') });
      await expect(create('ddl_auto', {}, [{ name: 'id', type: 'INTEGER', option: 'AUTO_INCREMENT' }])).rejects.toMatchObject({ code: 400, message: expect.stringContaining("First primary key can't be auto increment") });
    });

    it('keeps a table that has a search index until the index is deleted', async () => {
      await create('ddl_searched');
      await client.createSearchIndex({ tableName: 'ddl_searched', indexName: 'idx', schema: { fieldSchemas: [{ fieldName: 'name', fieldType: TableStore.FieldType.KEYWORD, index: true }] } });
      await expect(client.deleteTable({ tableName: 'ddl_searched' })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('at least one search index cannot be deleted') });
      expect((await client.listSearchIndex({ tableName: 'ddl_searched' })).indices).toEqual([expect.objectContaining({ tableName: 'ddl_searched', indexName: 'idx' })]);
      await client.deleteSearchIndex({ tableName: 'ddl_searched', indexName: 'idx' });
      await client.deleteTable({ tableName: 'ddl_searched' });
    });

    it('refuses an UpdateTable that would leave a search index on a table it cannot be on (max versions 1; a TTL only with updates off)', async () => {
      await create('ddl_indexed');
      await client.createSearchIndex({ tableName: 'ddl_indexed', indexName: 'idx', schema: { fieldSchemas: [{ fieldName: 'name', fieldType: TableStore.FieldType.KEYWORD, index: true }] } });
      const options = async () => ((await client.describeTable({ tableName: 'ddl_indexed' })) as unknown as TableStore.DescribeTableResult).tableOptions;
      await expect(client.updateTable({ tableName: 'ddl_indexed', tableOptions: { maxVersions: 2 } })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/max_versions[\s\S]*search index/) });
      await expect(client.updateTable({ tableName: 'ddl_indexed', tableOptions: { timeToLive: 86400 } })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/time_to_live[\s\S]*allow_update[\s\S]*search index/) });
      expect(await options()).toMatchObject({ timeToLive: -1, maxVersions: 1, allowUpdate: true });
      // Updates off and a TTL in one call, as the docs ask: accepted; turning updates back on is then refused.
      await client.updateTable({ tableName: 'ddl_indexed', tableOptions: { timeToLive: 86400, allowUpdate: false } });
      expect(await options()).toMatchObject({ timeToLive: 86400, allowUpdate: false });
      await expect(client.updateTable({ tableName: 'ddl_indexed', tableOptions: { allowUpdate: true } })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/allow_update[\s\S]*search index/) });
      expect(await options()).toMatchObject({ timeToLive: 86400, allowUpdate: false });
      // Without the index the same changes are the table's own business.
      await client.deleteSearchIndex({ tableName: 'ddl_indexed', indexName: 'idx' });
      await client.updateTable({ tableName: 'ddl_indexed', tableOptions: { maxVersions: 2, allowUpdate: true } });
      expect(await options()).toMatchObject({ timeToLive: 86400, maxVersions: 2, allowUpdate: true });
      await client.deleteTable({ tableName: 'ddl_indexed' });
    });
  });

  describe('rows', () => {
    it('returns the keys of rows when columns_to_get names primary key columns only (GetRow, GetRange, BatchGetRow)', async () => {
      // columns_to_get may name primary key and attribute columns; naming only a key column is how a script lists keys.
      await create('keys_only', {}, [{ name: 'id', type: 'STRING' }, { name: 'n', type: 'INTEGER' }]);
      for (const id of ['a', 'b']) await client.putRow({ tableName: 'keys_only', condition: IGNORE(), primaryKey: [{ id }, { n: Long.fromNumber(1) }], attributeColumns: [{ x: 'v' }] });
      const range = (columnsToGet: string[]) =>
        client.getRange({ tableName: 'keys_only', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }, { n: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }, { n: TableStore.INF_MAX }], maxVersions: 1, columnsToGet });
      const keys = (rows: TableStore.DecodedRow[]) => rows.map((r) => `${String(r.primaryKey?.[0]?.value)}:${r.attributes?.length ?? 0}`);
      expect(keys((await range(['id'])).rows)).toEqual(['a:0', 'b:0']);
      expect(keys((await range(['n', 'x'])).rows)).toEqual(['a:1', 'b:1']);
      // A column no row has still leaves the rows out, as before.
      expect((await range(['nope'])).rows).toEqual([]);
      const row = await client.getRow({ tableName: 'keys_only', primaryKey: [{ id: 'a' }, { n: Long.fromNumber(1) }], maxVersions: 1, columnsToGet: ['n'] });
      expect(row.row.primaryKey?.map((c) => String(c.value))).toEqual(['a', '1']);
      const batch = (await client.batchGetRow({ tables: [{ tableName: 'keys_only', primaryKey: [[{ id: 'b' }, { n: Long.fromNumber(1) }]], maxVersions: 1, columnsToGet: ['id'] }] })) as unknown as { tables: TableStore.DecodedRow[][] };
      expect(batch.tables[0]?.map((r) => String(r.primaryKey?.[0]?.value))).toEqual(['b']);
    });

    it('names what is wrong with a primary key, as TableStore words OTSInvalidPK (size, name, type)', async () => {
      await create('keyed', {}, [{ name: 'shop', type: 'STRING' }, { name: 'seq', type: 'INTEGER' }, { name: 'tag', type: 'BINARY' }]);
      const put = (primaryKey: object[]) => client.putRow({ tableName: 'keyed', condition: IGNORE(), primaryKey, attributeColumns: [{ a: 'x' }] });
      await expect(put([{ shop: 's' }, { seq: Long.fromNumber(1) }])).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/OTSInvalidPK[\s\S]*Validate PK size fail\. Input: 2, Meta: 3\./) });
      await expect(put([{ shop: 's' }, { sequence: Long.fromNumber(1) }, { tag: Buffer.from('t') }])).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/Validate PK name fail\. Input: sequence, Meta: seq\./) });
      await expect(put([{ shop: 's' }, { seq: '1' }, { tag: Buffer.from('t') }])).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/Validate PK type fail\. Input: VT_STRING, Meta: VT_INTEGER\./) });
      await expect(put([{ shop: 's' }, { seq: Long.fromNumber(1) }, { tag: 't' }])).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/Validate PK type fail\. Input: VT_STRING, Meta: VT_BLOB\./) });
      await put([{ shop: 's' }, { seq: Long.fromNumber(1) }, { tag: Buffer.from('t') }]);
    });

    it('takes at most 10 conditions in a column condition or a filter, and refuses the 11th naming the field', async () => {
      await create('conditions');
      await client.putRow({ tableName: 'conditions', condition: IGNORE(), primaryKey: [{ id: 'r' }], attributeColumns: [{ n: Long.fromNumber(1) }] });
      // n != 100, n != 101, … — every one holds, so only the count can refuse them.
      const all = (count: number) => {
        const and = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
        for (let i = 0; i < count; i++) and.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(100 + i), TableStore.ComparatorType.NOT_EQUAL));
        return and;
      };
      const update = (count: number, n: number) =>
        client.updateRow({ tableName: 'conditions', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, all(count)), primaryKey: [{ id: 'r' }], updateOfAttributeColumns: [{ PUT: [{ n: Long.fromNumber(n) }] }] });
      await expect(update(11, 2)).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/column_condition[\s\S]*10[\s\S]*11/) });
      const read = async () => String((await client.getRow({ tableName: 'conditions', primaryKey: [{ id: 'r' }], maxVersions: 1 })).row.attributes?.[0]?.columnValue);
      expect(await read()).toBe('1');
      await update(10, 3);
      expect(await read()).toBe('3');
      const range = (count: number) => client.getRange({ tableName: 'conditions', direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }], maxVersions: 1, columnFilter: all(count) });
      expect((await range(10)).rows).toHaveLength(1);
      await expect(range(11)).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/filter[\s\S]*10[\s\S]*11/) });
      // Nested composites count their leaves: NOT(AND of 10) and one more is 11.
      const nested = new TableStore.CompositeCondition(TableStore.LogicalOperator.OR);
      const not = new TableStore.CompositeCondition(TableStore.LogicalOperator.NOT);
      not.addSubCondition(all(10));
      nested.addSubCondition(not);
      nested.addSubCondition(new TableStore.SingleColumnCondition('n', Long.fromNumber(3), TableStore.ComparatorType.EQUAL));
      await expect(client.getRow({ tableName: 'conditions', primaryKey: [{ id: 'r' }], maxVersions: 1, columnFilter: nested })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/filter[\s\S]*11/) });
    });

    it('keeps up to max versions of a cell and reads them by count or time range', async () => {
      await create('versions', { tableOptions: { timeToLive: -1, maxVersions: 3 } });
      const t0 = Date.now() - 10_000;
      for (let i = 0; i < 4; i++) await client.putRow({ tableName: 'versions', condition: IGNORE(), primaryKey: [{ id: 'v' }], attributeColumns: [{ c: `v${i}`, timestamp: t0 + i }] });
      // PutRow replaces the row: only the last put's version is left.
      const put = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'v' }], maxVersions: 3 });
      expect(put.row.attributes?.map((a) => a.columnValue)).toEqual(['v3']);
      for (let i = 4; i < 8; i++) await client.updateRow({ tableName: 'versions', condition: IGNORE(), primaryKey: [{ id: 'v' }], updateOfAttributeColumns: [{ PUT: [{ c: `v${i}`, timestamp: t0 + i }] }] });
      const all = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'v' }], maxVersions: 5 });
      expect(all.row.attributes?.map((a) => a.columnValue)).toEqual(['v7', 'v6', 'v5']);
      const latest = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'v' }], maxVersions: 1 });
      expect(latest.row.attributes?.map((a) => a.columnValue)).toEqual(['v7']);
      const one = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'v' }], timeRange: { specificTime: t0 + 6 } } as object);
      expect(one.row.attributes?.map((a) => a.columnValue)).toEqual(['v6']);
      await client.updateRow({ tableName: 'versions', condition: IGNORE(), primaryKey: [{ id: 'v' }], updateOfAttributeColumns: [{ DELETE: [{ c: Long.fromNumber(t0 + 7) }] }] });
      const afterDelete = await client.getRow({ tableName: 'versions', primaryKey: [{ id: 'v' }], maxVersions: 3 });
      expect(afterDelete.row.attributes?.map((a) => a.columnValue)).toEqual(['v6', 'v5']);
    });

    it('fills an AUTO_INCREMENT column with increasing values and returns the key', async () => {
      await create('auto', {}, [
        { name: 'p', type: 'STRING' },
        { name: 'seq', type: 'INTEGER', option: 'AUTO_INCREMENT' },
      ]);
      const put = () =>
        client.putRow({ tableName: 'auto', condition: IGNORE(), primaryKey: [{ p: 'a' }, { seq: TableStore.PK_AUTO_INCR }], attributeColumns: [{ v: 1 }], returnContent: { returnType: TableStore.ReturnType.Primarykey } } as object);
      const first = (await put()) as unknown as { row: TableStore.DecodedRow };
      const second = (await put()) as unknown as { row: TableStore.DecodedRow };
      const seq = (r: { row: TableStore.DecodedRow }) => Number((r.row.primaryKey?.[1]?.value as TableStore.Int64).toString());
      expect(seq(second)).toBeGreaterThan(seq(first));
      await expect(client.getRow({ tableName: 'auto', primaryKey: [{ p: 'a' }, { seq: TableStore.PK_AUTO_INCR }] })).rejects.toMatchObject({ code: 400 });
    });

    it('stamps cells in whole milliseconds when its injected clock moves by fractions (a test clock with jitter)', async () => {
      await create('fraction_clock');
      ots.advanceClock(0.4312);
      await client.putRow({ tableName: 'fraction_clock', condition: IGNORE(), primaryKey: [{ id: 'f' }], attributeColumns: [{ c: 1 }] });
      const read = await client.getRow({ tableName: 'fraction_clock', primaryKey: [{ id: 'f' }] });
      const stamp = read.row.attributes?.[0]?.timestamp as TableStore.Int64;
      expect(Number.isInteger(Number(stamp.toString()))).toBe(true);
    });
  });

  describe('stream', () => {
    it('drops records after the expiration time; an iterator behind them is refused with OTSTrimmedDataAccess', async () => {
      await create('streamed', { streamSpecification: { enableStream: true, expirationTime: 1 } });
      await client.putRow({ tableName: 'streamed', condition: IGNORE(), primaryKey: [{ id: 'a' }], attributeColumns: [{ v: 1 }] });
      const [stream] = (await ots.streams.listStream({ tableName: 'streamed' })).streams;
      const description = await ots.streams.describeStream({ streamId: stream!.streamId });
      expect(description).toMatchObject({ tableName: 'streamed', expirationTime: 1, status: 'ACTIVE', shards: [expect.objectContaining({ shardId: expect.any(String) })] });
      const { shardIterator } = await ots.streams.getShardIterator({ streamId: stream!.streamId, shardId: description.shards[0]!.shardId });
      expect((await ots.streams.getStreamRecord({ shardIterator })).records).toHaveLength(1);
      ots.advanceClock(2 * 3_600_000);
      await client.putRow({ tableName: 'streamed', condition: IGNORE(), primaryKey: [{ id: 'b' }], attributeColumns: [{ v: 2 }] });
      ots.emulator.sweep();
      await expect(ots.streams.getStreamRecord({ shardIterator })).rejects.toMatchObject({ code: 404, message: expect.stringContaining('OTSTrimmedDataAccess') });
      const fresh = await ots.streams.getShardIterator({ streamId: stream!.streamId, shardId: description.shards[0]!.shardId });
      const { records } = await ots.streams.getStreamRecord({ shardIterator: fresh.shardIterator });
      expect(records.map((r) => r.primaryKey[0]!.value)).toEqual([{ type: 'STRING', value: 'b' }]);
    });

    it('writes records in the format the SDK builds row changes in', () => {
      const sdk = TableStore as unknown as { PlainBufferBuilder: { serializeForUpdateRow(pk: object[], columns: object[]): Buffer } };
      const built = sdk.PlainBufferBuilder.serializeForUpdateRow(
        [{ id: 'r1' }],
        [{ PUT: [{ s: 'x', timestamp: 1700000000000 }, { n: Long.fromNumber(7), timestamp: 1700000000001 }] }, { DELETE: [{ gone: Long.fromNumber(1700000000002) }] }, { DELETE_ALL: ['all'] }],
      );
      const ours = writeRows([
        {
          primaryKey: [{ name: 'id', value: { type: 'STRING', value: 'r1' } }],
          cells: [
            { name: 's', value: { type: 'STRING', value: 'x' }, timestamp: 1700000000000 },
            { name: 'n', value: { type: 'INTEGER', value: 7n }, timestamp: 1700000000001 },
            { name: 'gone', op: 'DELETE_ONE_VERSION', timestamp: 1700000000002 },
            { name: 'all', op: 'DELETE_ALL_VERSION' },
          ],
        },
      ]);
      expect(ours.toString('hex')).toBe(built.subarray(0, ours.length).toString('hex'));
      expect(readRequestRow(ours).cells.map((c) => c.op)).toEqual(['PUT', 'PUT', 'DELETE_ONE_VERSION', 'DELETE_ALL_VERSION']);
    });

    it('computes PlainBuffer checksums as the SDK does', () => {
      const sdk = (TableStore as unknown as { plainBufferCrc8: typeof crc8 }).plainBufferCrc8;
      const bytes = Buffer.from('héllo wörld', 'utf8');
      expect(crc8.crcString(7, bytes)).toBe(sdk.crcString(7, bytes));
      expect(crc8.crcInt32(3, 0x12345678)).toBe(sdk.crcInt32(3, 0x12345678));
      expect(crc8.crcInt64Buf(9, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8]))).toBe(sdk.crcInt64Buf(9, Buffer.from([1, 2, 3, 4, 5, 6, 7, 8])));
    });
  });

  describe('search', () => {
    beforeAll(async () => {
      await create('catalog');
      await client.createSearchIndex({
        tableName: 'catalog',
        indexName: 'catalog_index',
        schema: {
          fieldSchemas: [
            { fieldName: 'title', fieldType: TableStore.FieldType.TEXT, index: true, analyzer: 'single_word', analyzerParameter: { caseSensitive: false, delimitWord: false } },
            { fieldName: 'brand', fieldType: TableStore.FieldType.KEYWORD, index: true, enableSortAndAgg: true },
            { fieldName: 'price', fieldType: TableStore.FieldType.LONG, index: true, enableSortAndAgg: true },
            { fieldName: 'colours', fieldType: TableStore.FieldType.KEYWORD, index: true, isAnArray: true },
          ],
        },
      });
      const items = [
        ['p1', 'Noise cancelling headphones', 'aurora', 899, '["black","white"]'],
        ['p2', 'Headphones stand', 'lotus', 129, '["oak"]'],
        ['p3', 'Cancelling noise in a room', 'aurora', 59, '["white"]'],
        ['p4', 'Desk lamp', 'lotus', 249, undefined],
      ] as const;
      for (const [id, title, brand, price, colours] of items) {
        await client.putRow({ tableName: 'catalog', condition: IGNORE(), primaryKey: [{ id }], attributeColumns: [{ title }, { brand }, { price: Long.fromNumber(price) }, ...(colours ? [{ colours }] : [])] });
      }
    });

    const ids = async (query: object, sort?: object) => {
      const result = await client.search({
        tableName: 'catalog',
        indexName: 'catalog_index',
        searchQuery: { offset: 0, limit: 10, query, getTotalCount: true, ...(sort ? { sort } : {}) },
        columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE },
      });
      return result.rows.map((r) => String(r.primaryKey?.[0]?.value));
    };
    const Q = TableStore.QueryType;

    it('answers match, match phrase, term(s), range, prefix, wildcard, exists and bool queries', async () => {
      expect((await ids({ queryType: Q.MATCH_QUERY, query: { fieldName: 'title', text: 'headphones' } })).sort()).toEqual(['p1', 'p2']);
      expect(await ids({ queryType: Q.MATCH_PHRASE_QUERY, query: { fieldName: 'title', text: 'noise cancelling' } })).toEqual(['p1']);
      expect((await ids({ queryType: Q.TERMS_QUERY, query: { fieldName: 'colours', terms: ['oak', 'black'] } })).sort()).toEqual(['p1', 'p2']);
      expect((await ids({ queryType: Q.RANGE_QUERY, query: { fieldName: 'price', rangeFrom: Long.fromNumber(100), includeLower: true, rangeTo: Long.fromNumber(249), includeUpper: true } })).sort()).toEqual(['p2', 'p4']);
      expect((await ids({ queryType: Q.PREFIX_QUERY, query: { fieldName: 'brand', prefix: 'aur' } })).sort()).toEqual(['p1', 'p3']);
      expect((await ids({ queryType: Q.WILDCARD_QUERY, query: { fieldName: 'brand', value: 'l*s' } })).sort()).toEqual(['p2', 'p4']);
      expect((await ids({ queryType: Q.EXISTS_QUERY, query: { fieldName: 'colours' } })).sort()).toEqual(['p1', 'p2', 'p3']);
      const bool = { queryType: Q.BOOL_QUERY, query: { mustQueries: [{ queryType: Q.TERM_QUERY, query: { fieldName: 'brand', term: 'aurora' } }], mustNotQueries: [{ queryType: Q.MATCH_QUERY, query: { fieldName: 'title', text: 'room' } }] } };
      expect(await ids(bool)).toEqual(['p1']);
    });

    it('refuses prefix and wildcard queries on a field that is not KEYWORD or TEXT, naming the query and the field', async () => {
      // TableStore runs them on KEYWORD and TEXT fields only; on a LONG field they are an error there, not "no hits".
      await expect(ids({ queryType: Q.PREFIX_QUERY, query: { fieldName: 'price', prefix: '8' } })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/PrefixQuery[\s\S]*price[\s\S]*LONG/) });
      await expect(ids({ queryType: Q.WILDCARD_QUERY, query: { fieldName: 'price', value: '8*' } })).rejects.toMatchObject({ code: 400, message: expect.stringMatching(/WildcardQuery[\s\S]*price[\s\S]*LONG/) });
      const inBool = { queryType: Q.BOOL_QUERY, query: { shouldQueries: [{ queryType: Q.TERM_QUERY, query: { fieldName: 'brand', term: 'aurora' } }, { queryType: Q.PREFIX_QUERY, query: { fieldName: 'price', prefix: '1' } }], minimumShouldMatch: 1 } };
      await expect(ids(inBool)).rejects.toMatchObject({ code: 400, message: expect.stringContaining('PrefixQuery') });
      expect((await ids({ queryType: Q.PREFIX_QUERY, query: { fieldName: 'title', prefix: 'headph' } })).sort()).toEqual(['p1', 'p2']);
    });

    it('sorts by field and primary key, and pages with next_token', async () => {
      const byPrice = { sorters: [{ fieldSort: { fieldName: 'price', order: TableStore.SortOrder.SORT_ORDER_DESC } }] };
      expect(await ids({ queryType: Q.MATCH_ALL_QUERY }, byPrice)).toEqual(['p1', 'p4', 'p2', 'p3']);
      const first = await client.search({ tableName: 'catalog', indexName: 'catalog_index', searchQuery: { offset: 0, limit: 3, query: { queryType: Q.MATCH_ALL_QUERY }, sort: byPrice, getTotalCount: true }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL } });
      expect(first.totalCounts).toBe('4');
      expect(first.rows[0]?.attributes?.find((a) => a.columnName === 'brand')?.columnValue).toBe('aurora');
      const next = await client.search({ tableName: 'catalog', indexName: 'catalog_index', searchQuery: { limit: 3, query: { queryType: Q.MATCH_ALL_QUERY }, token: first.nextToken }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } });
      expect(next.rows.map((r) => String(r.primaryKey?.[0]?.value))).toEqual(['p3']);
    });

    it('describes the index, and refuses what it does not emulate by name', async () => {
      const described = await client.describeSearchIndex({ tableName: 'catalog', indexName: 'catalog_index' });
      expect(described.schema.fieldSchemas.map((f) => f.fieldName)).toEqual(['title', 'brand', 'price', 'colours']);
      expect(described.indexStatus).toMatchObject({ status: TableStore.IndexStatus.RUNNING });
      await expect(ids({ queryType: Q.GEO_DISTANCE_QUERY, query: { fieldName: 'brand', centerPoint: '0,0', distance: 1 } })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('Query type GEO_DISTANCE_QUERY is not supported') });
      await expect(
        client.search({ tableName: 'catalog', indexName: 'catalog_index', searchQuery: { offset: 0, limit: 1, query: { queryType: Q.MATCH_ALL_QUERY }, aggs: { aggs: [{ name: 'p', type: TableStore.AggregationType.AGG_PERCENTILES, body: { fieldName: 'price', percentiles: [50] } }] } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_NONE } }),
      ).rejects.toMatchObject({ code: 400, message: expect.stringContaining('Search aggregation AGG_PERCENTILES is not supported') });
      await expect(client.createSearchIndex({ tableName: 'catalog', indexName: 'words', schema: { fieldSchemas: [{ fieldName: 'title', fieldType: TableStore.FieldType.TEXT, index: true, analyzer: 'max_word' }] } })).rejects.toMatchObject({
        code: 400,
        message: expect.stringContaining('The max_word analyzer'),
      });
    });
  });
});
