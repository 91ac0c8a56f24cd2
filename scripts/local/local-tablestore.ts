import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import TableStore from 'tablestore';
import { LOCAL_CREDENTIALS } from './credentials';
import { accessSettingsOf } from './ram/access';
import { createStreamClient, type StreamClient } from './emulators/tablestore/stream-client';
import { startTableStoreThread, type TableStoreThread, type TableSummary } from './emulators/tablestore/thread';
import type { ControlDb } from './control-db';
import { TableStreamTriggers } from './runtime/table-stream';
import type { OnBehalfAccess } from './ram/on-behalf';
import type { FunctionRuntime } from './runtime/runtime';
import type { AppSpec, InfraSpec, SearchIndexFieldSpec } from './spec/model';

/**
 * The local cloud's TableStore: the emulator in a thread of its own (D85) on its own port (`PORT+2` or
 * `TABLESTORE_PORT`) with its storage in `DATA_DIR/tablestore.sqlite`, the tables and search indexes of the ROS template created through its own
 * CreateTable/CreateSearchIndex (as a deploy creates them), Stream enabled on every table a `tablestore`
 * trigger reads (the runbook's manual step in the cloud), and the triggers reading that stream.
 */
export interface LocalTableStore {
  /** The emulator's thread: its endpoint, and set-up calls and inspection by message. */
  emulator: TableStoreThread;
  endpoint: string;
  /** The instance the functions are pointed at (`TABLESTORE_INSTANCE`). */
  instance: string | undefined;
  /** True when this start created the storage (a new data folder): nothing in it was seeded yet. */
  created: boolean;
  /** An SDK client on an instance, as the local account. */
  client(instance: string): TableStore.Client;
  /** The environment a function instance gets: the emulator's endpoint, and the instance unless s.yaml names one. */
  envFor(functionEnv: Readonly<Record<string, string>>): Record<string, string>;
  /** For the console: every table with its row count (stored rows, expired ones included until swept). */
  tables(): Promise<TableSummary[]>;
  /**
   * Starts the `tablestore` triggers of the spec's functions on this emulator's stream: they read once `begin`
   * settles (default: at once); what is written meanwhile waits in the stream.
   */
  startTriggers(runtime: FunctionRuntime, db: ControlDb, options?: { retryBaseMs?: number; onWarning?: (message: string) => void; begin?: Promise<unknown>; onBehalf?: OnBehalfAccess }): TableStreamTriggers;
  close(): Promise<void>;
}

export interface LocalTableStoreOptions {
  dataDir: string;
  host?: string;
  /** 0: a free port. */
  port: number;
}

/** tablestore.proto `PrimaryKeyType`, as DescribeTable answers it. */
const PK_TYPE_NAMES: Record<number, string> = { 1: 'INTEGER', 2: 'STRING', 3: 'BINARY' };

/** Stream records are kept a day, TableStore's usual setting (1–168 hours). */
const STREAM_EXPIRATION_HOURS = 24;

function sdkOptions(endpoint: string, instance: string): Record<string, unknown> {
  return {
    endpoint,
    instancename: instance,
    accessKeyId: LOCAL_CREDENTIALS.accessKeyId,
    secretAccessKey: LOCAL_CREDENTIALS.accessKeySecret,
    stsToken: LOCAL_CREDENTIALS.securityToken,
    maxRetries: 0,
  };
}

function code(err: unknown): string {
  return String((err as { message?: unknown }).message ?? err);
}

/** The field as `createSearchIndex` takes it (the SDK's spelling). */
function sdkField(f: SearchIndexFieldSpec): object {
  return {
    fieldName: f.name,
    fieldType: TableStore.FieldType[f.type as keyof typeof TableStore.FieldType],
    index: f.index,
    ...(f.analyzer ? { analyzer: f.analyzer } : {}),
    // The SDK's encoder reads analyzerParameter for single_word unconditionally; these are TableStore's defaults.
    ...(f.analyzer === 'single_word' ? { analyzerParameter: { caseSensitive: false, delimitWord: false } } : {}),
    ...(f.isArray ? { isAnArray: true } : {}),
    ...(f.enableSortAndAgg ? { enableSortAndAgg: true } : {}),
    ...(f.store ? { store: true } : {}),
  };
}

/**
 * Provisioning is ~50 SDK calls (create, describe, list for each table and index), ~75–170 ms on the start's
 * critical path even when nothing is missing. After it succeeds, the data folder keeps a fingerprint of what
 * the template declared and of what the emulator's storage then held for it (each table's storage id — a new
 * one when a table is dropped and created again — and its settings, each index's creation time and schema).
 * A later start with the same fingerprint skips the calls; any difference (a changed `infra/ros.yaml`, a table
 * or index dropped, recreated or updated through the API, a deleted fingerprint) provisions through the SDK.
 */
const PROVISIONED_FILE = 'tablestore.provisioned';

async function provisionFingerprint(infra: InfraSpec, streamTables: ReadonlySet<string>, emulator: TableStoreThread): Promise<string> {
  const named = [...infra.tables.map((t) => ({ instance: t.instance, name: t.name })), ...infra.searchIndexes.map((i) => ({ instance: i.instance, name: i.table }))];
  const tables = [...new Map(named.map((t) => [`${t.instance}/${t.name}`, t])).values()];
  const held = await emulator.held(tables);
  const declared = { tables: infra.tables, searchIndexes: infra.searchIndexes, streams: [...streamTables].sort() };
  return createHash('sha256').update(JSON.stringify({ declared, held })).digest('hex');
}

async function provisionedAsRecorded(record: string, infra: InfraSpec, streamTables: ReadonlySet<string>, emulator: TableStoreThread): Promise<boolean> {
  if (!existsSync(record)) return false;
  return readFileSync(record, 'utf8').trim() === (await provisionFingerprint(infra, streamTables, emulator));
}

/** The SDK's `DefinedColumnType` codes (DCT_INTEGER … DCT_STRING). */
const DEFINED_COLUMN_CODES = { INTEGER: 1, DOUBLE: 2, BOOLEAN: 3, STRING: 4 } as const;
type DeclaredTable = InfraSpec['tables'][number];
type DeclaredIndex = DeclaredTable['secondaryIndexes'][number];

/** A declared secondary index as the SDK's IndexMeta: a global index updates asynchronously, a local one synchronously. */
function sdkIndexMeta(index: DeclaredIndex) {
  const local = index.type === 'LOCAL';
  return {
    name: index.name,
    primaryKey: index.primaryKey,
    definedColumn: index.definedColumns,
    indexType: local ? TableStore.IndexType.IT_LOCAL_INDEX : TableStore.IndexType.IT_GLOBAL_INDEX,
    indexUpdateMode: local ? TableStore.IndexUpdateMode.IUM_SYNC_INDEX : TableStore.IndexUpdateMode.IUM_ASYNC_INDEX,
  };
}

const indexShape = (i: { primaryKey?: string[] | null; definedColumn?: string[] | null; indexType?: number | null }) =>
  `${(i.primaryKey ?? []).join(',')}|${(i.definedColumn ?? []).join(',')}|${i.indexType ?? 0}`;

/**
 * The secondary indexes of a table that already exists, brought to what the template declares (D158, Later):
 * predefined columns the template lists and the table lacks stop the start (ROS cannot edit `Columns` either);
 * a declared index that is missing is created from the table's rows (CreateIndex with include_base_data), one
 * whose key or columns changed is dropped and created again (its rows are derived from the table's); an index
 * the template no longer declares is left in place with a warning — ROS refuses to update `SecondaryIndices`,
 * so a deployed table would keep it too.
 */
async function provisionSecondaryIndexes(ots: TableStore.Client, table: DeclaredTable, described: TableStore.DescribeTableResult): Promise<void> {
  const defined = new Map((described.tableMeta.definedColumn ?? []).map((c) => [c.name, c.type]));
  const lacking = table.definedColumns.filter((c) => defined.get(c.name) !== DEFINED_COLUMN_CODES[c.type]);
  if (lacking.length > 0) {
    throw new Error(`table ${table.name} in the data folder lacks the predefined column(s) ${lacking.map((c) => `${c.name}:${c.type}`).join(', ')} that the ROS template declares in Columns: run \`npm run reset\` (or use another DATA_DIR)`);
  }
  const held = new Map((described.indexMetas ?? []).map((i) => [i.name, i]));
  for (const index of table.secondaryIndexes) {
    const want = sdkIndexMeta(index);
    const have = held.get(index.name);
    // TableStore appends the table's primary key columns the index does not name to the index's key.
    const fullKey = [...index.primaryKey, ...table.primaryKey.map((k) => k.name).filter((n) => !index.primaryKey.includes(n))];
    if (have && indexShape(have) === indexShape({ ...want, primaryKey: fullKey })) continue;
    if (have) await ots.dropIndex({ mainTableName: table.name, indexName: index.name });
    await ots.createIndex({ mainTableName: table.name, indexMeta: want, includeBaseData: true });
  }
  const declared = new Set(table.secondaryIndexes.map((i) => i.name));
  for (const name of held.keys()) {
    if (!declared.has(name)) console.warn(`TableStore: table ${table.name} has the secondary index ${name}, which the ROS template no longer declares; it is left in place (a ROS update cannot drop it either). Drop it through DropIndex, or \`npm run reset\`.`);
  }
}

/**
 * Creates what the template declares, like a deploy: missing tables and indexes are created; a table whose TTL
 * or max versions changed is updated; a table whose primary key changed stops the start (its rows cannot be
 * kept); an index whose fields changed is created again (its documents are derived from the rows).
 */
async function provision(infra: InfraSpec, streamTables: ReadonlySet<string>, client: (instance: string) => TableStore.Client): Promise<void> {
  for (const table of infra.tables) {
    const ots = client(table.instance);
    const exists = await ots
      .createTable({
        tableMeta: {
          tableName: table.name,
          primaryKey: table.primaryKey.map((k) => ({ name: k.name, type: k.type })),
          definedColumn: table.definedColumns.map((c) => ({ name: c.name, type: DEFINED_COLUMN_CODES[c.type] })),
        },
        indexMetas: table.secondaryIndexes.map(sdkIndexMeta),
        reservedThroughput: { capacityUnit: { read: 0, write: 0 } },
        tableOptions: { timeToLive: table.ttlSeconds, maxVersions: table.maxVersions, maxTimeDeviation: table.deviationSeconds },
      })
      .then(
        () => false,
        (err: unknown) => {
          if (code(err).includes('OTSObjectAlreadyExist')) return true;
          throw new Error(`creating table ${table.name} in the local TableStore failed: ${code(err)}`, { cause: err });
        },
      );
    if (exists) {
      const described = await ots.describeTable({ tableName: table.name });
      const have = described.tableMeta.primaryKey.map((k) => `${k.name}:${PK_TYPE_NAMES[k.type] ?? k.type}`).join(', ');
      const want = table.primaryKey.map((k) => `${k.name}:${k.type}`).join(', ');
      if (have !== want) throw new Error(`table ${table.name} in the data folder has the primary key [${have}], the ROS template declares [${want}]: run \`npm run reset\` (or use another DATA_DIR)`);
      await provisionSecondaryIndexes(ots, table, described);
      const options = described.tableOptions;
      if (options.timeToLive !== table.ttlSeconds || options.maxVersions !== table.maxVersions) {
        await ots.updateTable({ tableName: table.name, tableOptions: { timeToLive: table.ttlSeconds, maxVersions: table.maxVersions } });
      }
    }
    if (streamTables.has(`${table.instance}/${table.name}`)) {
      const described = await ots.describeTable({ tableName: table.name });
      if (!described.streamDetails?.enableStream) {
        await ots.updateTable({ tableName: table.name, tableOptions: {}, streamSpecification: { enableStream: true, expirationTime: STREAM_EXPIRATION_HOURS } });
      }
    }
  }
  for (const index of infra.searchIndexes) {
    const ots = client(index.instance);
    const schema = { fieldSchemas: index.fields.map(sdkField) };
    const { indices } = await ots.listSearchIndex({ tableName: index.table });
    if (indices.some((i) => i.indexName === index.index)) {
      const described = await ots.describeSearchIndex({ tableName: index.table, indexName: index.index });
      const have = described.schema.fieldSchemas.map((f) => `${f.fieldName}:${f.fieldType}:${f.analyzer ?? ''}:${Boolean(f.isArray)}:${Boolean(f.docValues)}`).join(',');
      const want = index.fields.map((f) => `${f.name}:${TableStore.FieldType[f.type as keyof typeof TableStore.FieldType]}:${f.analyzer ?? ''}:${f.isArray}:${f.enableSortAndAgg}`).join(',');
      if (have === want) continue;
      await ots.deleteSearchIndex({ tableName: index.table, indexName: index.index });
    }
    await ots.createSearchIndex({ tableName: index.table, indexName: index.index, schema });
  }
}

/**
 * Starts the emulator and creates the template's tables and indexes.
 * @example const ots = await startLocalTableStore(spec, { dataDir: '.data', port: 9002 });
 */
export async function startLocalTableStore(spec: AppSpec, options: LocalTableStoreOptions): Promise<LocalTableStore> {
  const { infra } = spec;
  const instances = [...new Set([...infra.otsInstances, ...infra.tables.map((t) => t.instance), ...infra.searchIndexes.map((i) => i.instance)])];
  const created = !existsSync(join(options.dataDir, 'tablestore.sqlite'));
  const emulator = await startTableStoreThread({ dataDir: options.dataDir, instances, port: options.port, access: accessSettingsOf(spec), ...(options.host ? { host: options.host } : {}) });
  const clients = new Map<string, TableStore.Client>();
  const client = (instance: string): TableStore.Client => {
    let found = clients.get(instance);
    if (!found) {
      found = new TableStore.Client(sdkOptions(emulator.endpoint, instance) as never) as TableStore.Client;
      clients.set(instance, found);
    }
    return found;
  };
  const streamTables = new Set(spec.functions.flatMap((fn) => fn.triggers.flatMap((t) => (t.type === 'tablestore' ? [`${t.instance}/${t.table}`] : []))));
  try {
    // A later start over a data folder that already holds what the template declares makes no calls at all.
    const record = join(options.dataDir, PROVISIONED_FILE);
    if (!(await provisionedAsRecorded(record, infra, streamTables, emulator))) {
      await provision(infra, streamTables, client);
      writeFileSync(record, `${await provisionFingerprint(infra, streamTables, emulator)}\n`);
    }
  } catch (err) {
    await emulator.close();
    throw err;
  }
  const instance = instances[0];
  const streamClients = new Map<string, StreamClient>();
  const stop: (() => void)[] = [];
  return {
    emulator,
    endpoint: emulator.endpoint,
    instance,
    created,
    client,
    envFor(functionEnv) {
      const named = functionEnv.TABLESTORE_INSTANCE;
      return { TABLESTORE_ENDPOINT: emulator.endpoint, ...(named && instances.includes(named) ? {} : instance ? { TABLESTORE_INSTANCE: instance } : {}) };
    },
    tables: () => emulator.tables(),
    startTriggers(runtime, db, { begin, ...triggerOptions } = {}) {
      const triggers = new TableStreamTriggers(spec.functions, runtime, db, {
        client: (name) => {
          let found = streamClients.get(name);
          if (!found) {
            found = createStreamClient(sdkOptions(emulator.endpoint, name));
            streamClients.set(name, found);
          }
          return found;
        },
        ...triggerOptions,
      });
      stop.push(emulator.onStreamRecords((streamIds) => triggers.wake(streamIds)));
      // After the emulator's thread was restarted (D95) the triggers go on from their saved cursors at once.
      stop.push(emulator.onRestart(() => triggers.resume()));
      if (begin) void begin.then(() => triggers.start());
      else triggers.start();
      return triggers;
    },
    async close() {
      for (const unsubscribe of stop.splice(0)) unsubscribe();
      await emulator.close();
    },
  };
}
