import { cpSync } from 'node:fs';
import { join } from 'node:path';
import TableStore from 'tablestore';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { createStreamClient } from '../../scripts/local/emulators/tablestore/stream-client';
import { tempDir } from '../helpers/temp';

/**
 * A user's own script against the local cloud: it asks `GET /_local/api/endpoints` where TableStore is and as
 * whom to call it, then uses the `tablestore` SDK directly — no project adapter — to create a table, write, read
 * a range, batch-write with one bad row, search, and read the stream (the SDK has no stream methods: the
 * local cloud's `createStreamClient` adds them on top of an SDK client).
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'ledger');
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);

describe('the tablestore SDK, used directly against the local cloud', () => {
  const dir = tempDir('ots-sdk-');
  let cloud: LocalCloud;
  let endpoints: LocalEndpoints;
  let client: TableStore.Client;

  beforeAll(async () => {
    cpSync(FIXTURE, join(dir.path, 'app'), { recursive: true });
    cloud = await startLocalCloud({ root: join(dir.path, 'app'), port: 0, dataDir: join(dir.path, 'data'), prewarm: false, watch: false, env: { LEDGER_FILE: join(dir.path, 'ledger.txt') } });
    endpoints = (await (await fetch(`${cloud.url}/_local/api/endpoints`)).json()) as LocalEndpoints;
    const { endpoint, instance } = endpoints.tablestore!;
    client = new TableStore.Client({ endpoint, instancename: instance!, accessKeyId: endpoints.credentials.accessKeyId, secretAccessKey: endpoints.credentials.accessKeySecret, stsToken: endpoints.credentials.securityToken, maxRetries: 0 });
  });
  afterAll(async () => {
    await cloud?.stop();
    dir.cleanup();
  });

  it('lists every local endpoint with the account, region and credentials', () => {
    expect(endpoints).toEqual({
      accountId: expect.any(String),
      region: 'cn-hangzhou',
      credentials: { accessKeyId: expect.any(String), accessKeySecret: expect.any(String), securityToken: expect.any(String) },
      gateway: { url: cloud.url },
      fc: { endpoint: cloud.url, sdkConfig: { endpoint: new URL(cloud.url).host, protocol: 'http' } },
      oss: { endpoint: cloud.oss.endpoint, buckets: [] },
      tablestore: { endpoint: cloud.tablestore.endpoint, instance: 'fx-ledger', instances: ['fx-ledger'] },
      mns: { endpoint: cloud.mns.emulator.endpoint, queues: [], topics: [] },
      fnf: { endpoint: cloud.fnf.endpoint, flows: [] },
    });
    expect(endpoints.tablestore!.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('refuses the SDK’s JSON APIs (knowledge bases, memory stores) with a JSON error naming them', async () => {
    // They read errors as JSON: a protobuf Error reached the caller as code 400 and a message of protobuf bytes.
    type JsonApis = Record<'listKnowledgeBase' | 'createMemoryStore', (params: object) => Promise<unknown>>;
    const sdk = client as unknown as JsonApis;
    await expect(sdk.listKnowledgeBase({})).rejects.toMatchObject({ code: 'OTSParameterInvalid', message: 'The knowledge base API (ListKnowledgeBase) is not supported by the local TableStore emulator.' });
    await expect(sdk.createMemoryStore({ memoryStoreName: 'm1' })).rejects.toMatchObject({ code: 'OTSParameterInvalid', message: 'The memory store API (CreateMemoryStore) is not supported by the local TableStore emulator.' });
    // The protobuf APIs keep the protobuf Error (the SDK reads it as the cloud sends it).
    await expect(client.describeTable({ tableName: 'no_such_table' })).rejects.toMatchObject({ code: 404 });
  });

  it('creates a table, writes, reads a range, batch-writes with one bad row, searches and reads the stream', async () => {
    await client.createTable({
      tableMeta: { tableName: 'notes', primaryKey: [{ name: 'author', type: 'STRING' }, { name: 'n', type: 'INTEGER' }] },
      reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
      tableOptions: { timeToLive: -1, maxVersions: 1 },
      streamSpecification: { enableStream: true, expirationTime: 24 },
    });
    expect((await client.listTable({})).tableNames).toEqual(expect.arrayContaining(['entries', 'notes']));

    await client.putRow({ tableName: 'notes', condition: IGNORE(), primaryKey: [{ author: 'ann' }, { n: TableStore.Long.fromNumber(1) }], attributeColumns: [{ text: 'first light over the bay' }] });
    const range = await client.getRange({
      tableName: 'notes',
      direction: TableStore.Direction.FORWARD,
      inclusiveStartPrimaryKey: [{ author: 'ann' }, { n: TableStore.INF_MIN }],
      exclusiveEndPrimaryKey: [{ author: 'ann' }, { n: TableStore.INF_MAX }],
    });
    expect(range.rows.map((r) => r.attributes?.[0]?.columnValue)).toEqual(['first light over the bay']);

    const batch = await client.batchWriteRow({
      tables: [
        {
          tableName: 'notes',
          rows: [
            { type: 'PUT', condition: IGNORE(), primaryKey: [{ author: 'ann' }, { n: TableStore.Long.fromNumber(2) }], attributeColumns: [{ text: 'evening tide' }] },
            { type: 'UPDATE', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null), primaryKey: [{ author: 'bob' }, { n: TableStore.Long.fromNumber(9) }], attributeColumns: [{ PUT: [{ text: 'not there' }] }] },
            { type: 'PUT', condition: IGNORE(), primaryKey: [{ author: 'bob' }, { n: TableStore.Long.fromNumber(1) }], attributeColumns: [{ text: 'morning fog on the hills' }] },
          ],
        },
      ],
    });
    expect(batch.tables.map((r) => [r.isOk, r.errorCode])).toEqual([
      [true, null],
      [false, 'OTSConditionCheckFail'],
      [true, null],
    ]);

    await client.createSearchIndex({
      tableName: 'notes',
      indexName: 'notes_text',
      schema: { fieldSchemas: [{ fieldName: 'text', fieldType: TableStore.FieldType.TEXT, index: true, analyzer: 'single_word', analyzerParameter: { caseSensitive: false, delimitWord: false } }] },
    });
    const found = await client.search({
      tableName: 'notes',
      indexName: 'notes_text',
      searchQuery: { offset: 0, limit: 10, query: { queryType: TableStore.QueryType.MATCH_QUERY, query: { fieldName: 'text', text: 'bay' } }, getTotalCount: true },
      columnToGet: { returnType: TableStore.ColumnReturnType.RETURN_ALL },
    });
    expect(found.totalCounts).toBe('1');
    expect(found.rows[0]?.attributes?.[0]?.columnValue).toBe('first light over the bay');

    const streams = createStreamClient({ endpoint: endpoints.tablestore!.endpoint, instancename: endpoints.tablestore!.instance, accessKeyId: endpoints.credentials.accessKeyId, secretAccessKey: endpoints.credentials.accessKeySecret, stsToken: endpoints.credentials.securityToken, maxRetries: 0 });
    const [stream] = (await streams.listStream({ tableName: 'notes' })).streams;
    const { shards } = await streams.describeStream({ streamId: stream!.streamId });
    const { shardIterator } = await streams.getShardIterator({ streamId: stream!.streamId, shardId: shards[0]!.shardId });
    const { records, nextShardIterator } = await streams.getStreamRecord({ shardIterator, limit: 100 });
    expect(records.map((r) => [r.action, r.primaryKey.map((c) => String(c.value.value)).join('/')])).toEqual([
      ['PUT_ROW', 'ann/1'],
      ['PUT_ROW', 'ann/2'],
      ['PUT_ROW', 'bob/1'],
    ]);
    expect((await streams.getStreamRecord({ shardIterator: nextShardIterator! })).records).toEqual([]);
  });
});
