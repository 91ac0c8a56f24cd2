/**
 * The fake TableStore wire server, spoken to with the raw `tablestore` SDK: authentication, the TableStore
 * behaviours the TableStoreTable adapter has to work around (so the contract suite's passing proves the
 * workarounds, not a lenient fake), error encoding, and the operation registry a Search handler plugs into.
 */
import TableStore from 'tablestore';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { ValidationError } from '#shared/errors';
import { decodeRequest, encodeResponse, protos, startFakeTableStore, writeRows, type FakeTableStore, type LiveRow } from '../helpers/fake-tablestore';
import { CONTRACT_TABLES } from './table.contract';

const { Long } = TableStore;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

describe('fake TableStore semantics (raw SDK)', () => {
  let fake: FakeTableStore;
  let client: TableStore.Client;
  const kv = 'wire_kv';
  const ranged = 'wire_ranged';

  beforeAll(async () => {
    fake = await startFakeTableStore({
      tables: [
        { name: kv, primaryKey: [{ name: 'id', type: 'STRING' }] },
        { name: ranged, primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'k', type: 'INTEGER' }], ttlSeconds: 3600 },
      ],
    });
    client = new TableStore.Client({ endpoint: fake.endpoint, instancename: fake.instance, accessKeyId: fake.credentials.accessKeyId, secretAccessKey: fake.credentials.accessKeySecret, maxRetries: 0 });
  });

  afterAll(async () => {
    expect(fake.internalErrors).toEqual([]);
    await fake.close();
  });

  const lastError = () => fake.requests.at(-1);

  it('stores INTEGER, DOUBLE, BOOLEAN, STRING and BINARY cells with the type they were sent as', async () => {
    await client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'types' }], attributeColumns: [{ i: Long.fromNumber(2) }, { d: 2 }, { b: true }, { s: 'x' }, { x: Buffer.from([1]) }] });
    const cells = fake.store.table(kv).rows.find((r) => r.primaryKey[0]?.value.value === 'types')?.cells;
    expect(Object.fromEntries([...(cells ?? new Map())].map(([name, cell]) => [name, cell.value.type]))).toEqual({ i: 'INTEGER', d: 'DOUBLE', b: 'BOOLEAN', s: 'STRING', x: 'BINARY' });
  });

  it('refuses a key named twice in BatchGetRow (the adapter deduplicates)', async () => {
    await expect(client.batchGetRow({ tables: [{ tableName: kv, primaryKey: [[{ id: 'a' }], [{ id: 'a' }]], maxVersions: 1 }] })).rejects.toMatchObject({ code: 400 });
    expect(lastError()).toEqual({ operation: 'BatchGetRow', status: 400, code: 'OTSParameterInvalid' });
  });

  it('evaluates a filter on the columns read only (the adapter reads the filter columns too)', async () => {
    await client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 'f' }, { k: Long.fromNumber(1) }], attributeColumns: [{ label: 'one' }, { keep: 'yes' }] });
    const range = (columnsToGet?: string[]) =>
      client.getRange({
        tableName: ranged,
        direction: TableStore.Direction.FORWARD,
        inclusiveStartPrimaryKey: [{ p: 'f' }, { k: TableStore.INF_MIN }],
        exclusiveEndPrimaryKey: [{ p: 'f' }, { k: TableStore.INF_MAX }],
        columnFilter: new TableStore.SingleColumnCondition('keep', 'yes', TableStore.ComparatorType.EQUAL, false),
        ...(columnsToGet ? { columnsToGet } : {}),
      });
    expect((await range()).rows).toHaveLength(1);
    expect((await range(['label'])).rows).toHaveLength(0);
    expect((await range(['label', 'keep'])).rows).toHaveLength(1);
  });

  it('returns no row when none of columns_to_get exist', async () => {
    const { row } = await client.getRow({ tableName: ranged, primaryKey: [{ p: 'f' }, { k: Long.fromNumber(1) }], columnsToGet: ['nope'] });
    expect(row).toEqual({});
  });

  it('refuses empty updates, an empty or inverted range, a limit of 0, and EXPECT_NOT_EXIST on DeleteRow', async () => {
    const refused = async (call: Promise<unknown>, operation: string) => {
      await expect(call).rejects.toMatchObject({ code: 400 });
      expect(lastError()).toEqual({ operation, status: 400, code: 'OTSParameterInvalid' });
    };
    await refused(client.updateRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'u' }], updateOfAttributeColumns: [] }), 'UpdateRow');
    const bounds = (from: number, to: number) => ({ inclusiveStartPrimaryKey: [{ p: 'r' }, { k: Long.fromNumber(from) }], exclusiveEndPrimaryKey: [{ p: 'r' }, { k: Long.fromNumber(to) }] });
    await refused(client.getRange({ tableName: ranged, direction: TableStore.Direction.FORWARD, ...bounds(5, 5) }), 'GetRange');
    await refused(client.getRange({ tableName: ranged, direction: TableStore.Direction.BACKWARD, ...bounds(1, 5) }), 'GetRange');
    // The SDK drops a falsy limit, so send that message by hand.
    const pk = (k: number) => writeRows([{ primaryKey: [{ name: 'p', value: { type: 'STRING', value: 'r' } }, { name: 'k', value: { type: 'INTEGER', value: BigInt(k) } }], cells: [] }]);
    const zero = await fake.call('GetRange', protos.main.GetRangeRequest!.encode({ tableName: ranged, direction: 0, limit: 0, inclusiveStartPrimaryKey: pk(1), exclusiveEndPrimaryKey: pk(5) } as never).finish());
    expect(zero.status).toBe(400);
    expect(protos.main.Error!.decode(zero.body)).toMatchObject({ code: 'OTSParameterInvalid', message: 'The limit must be greater than 0.' });
    const one = await fake.call('GetRange', protos.main.GetRangeRequest!.encode({ tableName: ranged, direction: 0, limit: 1, inclusiveStartPrimaryKey: pk(1), exclusiveEndPrimaryKey: pk(5) } as never).finish());
    expect(one.status).toBe(200);
    await refused(client.deleteRow({ tableName: kv, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'd' }] }), 'DeleteRow');
  });

  it('treats an attribute named timestamp as the cell version, as the SDK sends it (the adapter reserves the name)', async () => {
    await expect(client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'ts' }], attributeColumns: [{ timestamp: Long.fromNumber(5) }] })).rejects.toMatchObject({ code: 400 });
    expect(lastError()).toEqual({ operation: 'PutRow', status: 400, code: 'OTSParameterInvalid' });
  });

  it('expires cells by their own timestamp and refuses versions outside the TTL window', async () => {
    const now = fake.clock.now();
    await client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 't' }, { k: Long.fromNumber(1) }], attributeColumns: [{ old: 'a', timestamp: now - 3_000_000 }, { fresh: 'b' }] });
    fake.clock.advance(700_000); // old is 3 700 s old: past the 3 600 s TTL
    const { row } = await client.getRow({ tableName: ranged, primaryKey: [{ p: 't' }, { k: Long.fromNumber(1) }] });
    expect(row.attributes?.map((a) => a.columnName)).toEqual(['fresh']);
    await expect(client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 't' }, { k: Long.fromNumber(2) }], attributeColumns: [{ ancient: 'a', timestamp: fake.clock.now() - 4_000_000 }] })).rejects.toMatchObject({ code: 400 });
  });

  it('encodes errors as TableStore does: HTTP status and a protobuf Error{code, message}', async () => {
    const res = await fetch(`${fake.endpoint}/GetRow`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(400);
    const error = protos.main.Error!.decode(new Uint8Array(await res.arrayBuffer())) as unknown as { code: string; message: string };
    expect(error).toEqual({ code: 'OTSParameterInvalid', message: 'Missing header: x-ots-date.' });
    expect(res.headers.get('x-ots-requestid')).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('fake TableStore wire server', () => {
  const schema = CONTRACT_TABLES.kv;
  let fake: FakeTableStore;

  beforeAll(async () => {
    fake = await startFakeTableStore({ tables: [schema], credentials: [{ accessKeyId: 'LTAIgood', accessKeySecret: 'right-secret' }, { accessKeyId: 'STS.temp', accessKeySecret: 'sts-secret', securityToken: 'token-1' }] });
  });

  afterAll(async () => {
    expect(fake.internalErrors).toEqual([]);
    await fake.close();
  });

  const adapter = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, instance = fake.instance) =>
    new TableStoreTable({ endpoint: fake.endpoint, instance, credentials, schemas: [schema], maxRetries: 0 });

  it('accepts a correctly signed request, including STS credentials with their token', async () => {
    await adapter({ accessKeyId: 'LTAIgood', accessKeySecret: 'right-secret' }).putRow(schema.name, { id: 'signed' }, { v: 1 });
    await adapter({ accessKeyId: 'STS.temp', accessKeySecret: 'sts-secret', securityToken: 'token-1' }).putRow(schema.name, { id: 'sts' }, { v: 1 });
    expect(fake.store.table(schema.name).rows.map((r) => r.primaryKey[0]?.value.value)).toEqual(['signed', 'sts']);
  });

  it.each([
    ['a wrong secret', { accessKeyId: 'LTAIgood', accessKeySecret: 'wrong' }, 'Signature mismatch.'],
    ['an unknown access key', { accessKeyId: 'LTAIother', accessKeySecret: 'right-secret' }, 'The AccessKeyID does not exist.'],
    ['a missing STS token', { accessKeyId: 'STS.temp', accessKeySecret: 'sts-secret' }, 'The security token is invalid.'],
  ])('refuses %s with 403 OTSAuthFailed', async (_label, credentials, message) => {
    const before = fake.requests.length;
    const error = await adapter(credentials)
      .getRow(schema.name, { id: 'signed' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect(error).not.toBeInstanceOf(ValidationError);
    expect((error as Error).message).toContain(message);
    expect(fake.requests.slice(before)).toEqual([{ operation: 'GetRow', status: 403, code: 'OTSAuthFailed' }]);
  });

  it('refuses another instance name', async () => {
    const error = await adapter({ accessKeyId: 'LTAIgood', accessKeySecret: 'right-secret' }, 'other-instance')
      .getRow(schema.name, { id: 'signed' })
      .catch((e: unknown) => e);
    expect((error as Error).message).toContain('The instance is not found.');
  });

  it('answers unknown tables and operations the way TableStore does', async () => {
    const client = new TableStore.Client({ endpoint: fake.endpoint, instancename: fake.instance, accessKeyId: 'LTAIgood', secretAccessKey: 'right-secret', maxRetries: 0 });
    await expect(client.getRow({ tableName: 'nope', primaryKey: [{ id: 'x' }] })).rejects.toMatchObject({ code: 404 });
    expect(fake.requests.at(-1)).toEqual({ operation: 'GetRow', status: 404, code: 'OTSObjectNotExist' });
    await expect(client.search({ tableName: schema.name, indexName: 'idx', searchQuery: { offset: 0, limit: 1, query: { queryType: TableStore.QueryType.MATCH_ALL_QUERY } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL } })).rejects.toMatchObject({ code: 400 });
    expect(fake.requests.at(-1)).toEqual({ operation: 'Search', status: 400, code: 'OTSParameterInvalid' });
  });

  it('takes new operations through registerOperation (how a Search handler plugs in)', async () => {
    const own = await startFakeTableStore({ tables: [schema] });
    try {
      const table = new TableStoreTable({ endpoint: own.endpoint, instance: own.instance, credentials: own.credentials, schemas: [schema], maxRetries: 0 });
      await table.putRow(schema.name, { id: 'hit' }, { title: 'a cat' });
      own.registerOperation('Search', ({ body, store, now }) => {
        const request = decodeRequest<{ tableName: string }>(protos.search.SearchRequest!, body);
        const t = store.table(request.tableName);
        const rows = t.rows.map((row) => t.live(row, now)).filter((row): row is LiveRow => !!row);
        return encodeResponse(protos.search.SearchResponse!, { totalHits: rows.length, rows: rows.map((row) => writeRows([row])), isAllSucceeded: true });
      });
      const client = new TableStore.Client({ endpoint: own.endpoint, instancename: own.instance, accessKeyId: own.credentials.accessKeyId, secretAccessKey: own.credentials.accessKeySecret, maxRetries: 0 });
      const result = await client.search({ tableName: schema.name, indexName: 'idx', searchQuery: { offset: 0, limit: 10, query: { queryType: TableStore.QueryType.MATCH_ALL_QUERY } }, columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL } });
      expect(result.totalCounts).toBe('1');
      expect(result.rows).toEqual([{ primaryKey: [{ name: 'id', value: 'hit' }], attributes: [expect.objectContaining({ columnName: 'title', columnValue: 'a cat' })] }]);
      expect(own.internalErrors).toEqual([]);
    } finally {
      await own.close();
    }
  });
});

