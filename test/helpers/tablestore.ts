import TableStore from 'tablestore';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { ALL_TABLES } from '#shared/contracts/tables';
import { sdkFieldSchemas } from '#shared/aliyun/tablestore-search-index';
import type { TableSchema } from '#shared/ports/table';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import type { LocalEndpoints } from '../../scripts/local/endpoints';
import { startTableStoreEmulator, type TableStoreEmulator } from '../../scripts/local/emulators/tablestore';
import { createStreamClient, type StreamClient } from '../../scripts/local/emulators/tablestore/stream-client';
import { tempDir } from './temp';

/**
 * A TableStore emulator of its own for a test file: on a free TCP port, storage in a temp folder, a clock the
 * test can move (TTL), and an SDK client as the local account. Tables are created through the SDK's
 * CreateTable, as a user (or the local cloud) creates them.
 * @example const ots = await startTestTableStore({ tables: [schema] });
 *          await ots.client.putRow({ tableName: 'kv', … }); ots.advanceClock(86_400_000); await ots.close();
 */
export interface TestTableStore {
  emulator: TableStoreEmulator;
  endpoint: string;
  instance: string;
  credentials: typeof LOCAL_CREDENTIALS;
  /** The raw SDK (maxRetries 0, so an error surfaces at once). */
  client: TableStore.Client;
  streams: StreamClient;
  /** SDK client options for more clients (other credentials, other instances). */
  sdkOptions(overrides?: Record<string, unknown>): TableStore.ClientOptions;
  createTable(schema: TableSchema, options?: { maxVersions?: number; stream?: boolean }): Promise<void>;
  /** The image search index of infra/ros.yaml on `table`. */
  createImageSearchIndex(table: string, index: string): Promise<void>;
  advanceClock(ms: number): void;
  dataDir: string;
  close(): Promise<void>;
}

export async function startTestTableStore(options: { tables?: readonly TableSchema[]; instance?: string; dataDir?: string } = {}): Promise<TestTableStore> {
  const dir = options.dataDir ? undefined : tempDir('ots-');
  const dataDir = options.dataDir ?? dir!.path;
  const instance = options.instance ?? 'test-instance';
  let offset = 0;
  const emulator = await startTableStoreEmulator({ dataDir, instances: [instance], clock: () => Date.now() + offset });
  const sdkOptions = (overrides: Record<string, unknown> = {}) =>
    ({
      endpoint: emulator.endpoint,
      instancename: instance,
      accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
      secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret,
      stsToken: LOCAL_CREDENTIALS.securityToken,
      maxRetries: 0,
      ...overrides,
    }) as TableStore.ClientOptions;
  const client = new TableStore.Client(sdkOptions());
  const ots: TestTableStore = {
    emulator,
    endpoint: emulator.endpoint,
    instance,
    credentials: LOCAL_CREDENTIALS,
    client,
    streams: createStreamClient(sdkOptions() as unknown as Record<string, unknown>),
    sdkOptions,
    async createTable(schema, tableOptions = {}) {
      await client.createTable({
        tableMeta: { tableName: schema.name, primaryKey: schema.primaryKey.map((c) => ({ name: c.name, type: c.type })) },
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: schema.ttlSeconds ?? -1, maxVersions: tableOptions.maxVersions ?? 1 },
        ...(schema.stream || tableOptions.stream ? { streamSpecification: { enableStream: true, expirationTime: 24 } } : {}),
      });
    },
    async createImageSearchIndex(table, index) {
      await client.createSearchIndex({ tableName: table, indexName: index, schema: { fieldSchemas: sdkFieldSchemas() } });
    },
    advanceClock(ms) {
      offset += ms;
    },
    dataDir,
    async close() {
      await emulator.close();
      dir?.cleanup();
    },
  };
  for (const schema of options.tables ?? []) await ots.createTable(schema);
  return ots;
}

/**
 * One emulator for the enclosing describe block (or file): started before its tests; after them, checked for
 * internal errors (a handler that threw answered 500 — the test may still pass, but the emulator has a bug) and
 * closed. The returned object is filled in by that beforeAll, so read its fields inside tests and hooks only.
 * @example const ots = useTestTableStore({ tables: [schema] });
 *          it('…', async () => { await ots.client.putRow({ tableName: 'kv', … }); });
 */
export function useTestTableStore(options?: Parameters<typeof startTestTableStore>[0]): TestTableStore {
  const ots = {} as TestTableStore;
  beforeAll(async () => {
    Object.assign(ots, await startTestTableStore(options));
  });
  afterAll(async () => {
    // Not started (its beforeAll failed): that failure is the one to report.
    if (!ots.emulator) return;
    expect(ots.emulator.internalErrors).toEqual([]);
    await ots.close();
  });
  return ots;
}

/**
 * The Table port on a running local cloud's TableStore, found through `GET /_local/api/endpoints` (or its
 * answer), as a user's script finds it: the production adapter over the SDK, no file of the emulator opened.
 * @example const table = await localCloudTable(cloud.url); await table.getRow('orders', { owner, orderId });
 */
export async function localCloudTable(from: string | LocalEndpoints, schemas: readonly TableSchema[] = ALL_TABLES): Promise<TableStoreTable> {
  const endpoints = typeof from === 'string' ? ((await (await fetch(`${from}/_local/api/endpoints`)).json()) as LocalEndpoints) : from;
  if (!endpoints.tablestore?.instance) throw new Error('the local cloud lists no TableStore instance in /_local/api/endpoints');
  return new TableStoreTable({ endpoint: endpoints.tablestore.endpoint, instance: endpoints.tablestore.instance, credentials: endpoints.credentials, schemas: [...schemas] });
}
