/**
 * Local TableStore emulator: an HTTP endpoint speaking TableStore's wire protocol (POST /<Operation>, protobuf
 * bodies with PlainBuffer rows, `x-ots-*` signed headers) for the `tablestore` SDK in its default settings and any
 * client that signs like it, with the wide-column semantics on SQLite (`storage.ts`). Requests are decoded with
 * the SDK's own protobuf roots, so what passes here passes the SDK's real codec.
 *
 * Operations: CreateTable, ListTable, DescribeTable, UpdateTable, DeleteTable, ComputeSplitPointsBySize; GetRow,
 * PutRow, UpdateRow (PUT, DELETE_ONE_VERSION, DELETE_ALL_VERSION, INCREMENT; ReturnContent), DeleteRow, GetRange,
 * BatchGetRow, BatchWriteRow (per-row results); CreateIndex, DropIndex (secondary indexes, read by their own
 * name and kept by every write in its transaction — `secondary.ts`); CreateSearchIndex, DescribeSearchIndex, ListSearchIndex,
 * UpdateSearchIndex, DeleteSearchIndex, Search (with value aggregations and field group-bys); ListStream,
 * DescribeStream, GetShardIterator, GetStreamRecord.
 *
 * LIMITATIONS (what is not emulated; requests that need it fail with OTSParameterInvalid naming the feature, or
 * "Unsupported operation"):
 * - Local transactions, the SQL interface, Tunnel Service, time series tables, BulkImport/
 *   BulkExport, ParallelScan/ComputeSplits, wide-row paging tokens, search top-rows and percentiles
 *   aggregations, group-bys other than by field, collapse, highlight, routing, search index TTL, the
 *   max_word/min_word/fuzzy analyzers and NESTED/GEO_POINT/DATE/VECTOR fields, and the query types geo, nested,
 *   function score and KNN.
 * - No capacity metering, throttling or partitions: reserved throughput is stored and described but never
 *   limits anything; partitions given to CreateTable have no effect; table operations are not rate-limited.
 * - A global secondary index is current at once (TableStore: asynchronous, within milliseconds).
 * - A search index is current at once (TableStore syncs within seconds); scores follow Lucene's formulas (BM25
 *   per MATCH term, constant weights) but not its exact numbers.
 * - A stream has one shard that never splits; records are kept for the stream's expiration time by the
 *   emulator's clock and trimmed by a sweep every minute.
 * - Assumptions where TableStore does not document the behaviour: column conditions compare INTEGER with DOUBLE
 *   numerically and treat other type mismatches as "not equal"; RT_AFTER_MODIFY returns the named columns the
 *   write put or incremented; BatchWriteRow and BatchGetRow refuse a primary key named twice in one table; an
 *   unknown table inside a batch fails that row with OTSObjectNotExist; x-ots-date may be 15 minutes off;
 *   AUTO_INCREMENT values are increasing (at least the clock in microseconds), not consecutive.
 * - Authentication: the signature, content MD5, instance name, access key and STS token are checked; RAM
 *   policies are not. Responses are not signed (the SDK does not check response signatures).
 * - Expired cells (TTL) are hidden on read and removed by the sweep; a row whose cells all expired is gone.
 */
import { mkdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { keepIdleConnections } from '../../keep-alive';
import { stderrAbortLog, type AbortInfo } from '../http-edge';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { secretFor, securityTokenFor } from '../../credentials';
import { AccessControl, type AccessSettings } from '../../ram/access';
import { protos } from './sdk';
import { SearchIndexes } from './search/indexes';
import { createRequestListener, runOperation, tableStoreClientErrorHandler, type RequestRecord, type ServerState } from './server';
import type { CredentialLookup } from './signature';
import { Storage } from './storage';
import { BackgroundSweeper, sweepNow, sweepSteps } from './sweep';

export { OtsError } from './errors';
export type { CredentialLookup } from './signature';
export type { RequestRecord } from './server';
export { Storage } from './storage';

/** How often expired cells and stream records are removed from storage. */
const SWEEP_MS = 60_000;

export interface TableStoreEmulatorOptions {
  /** Storage in `<dataDir>/tablestore.sqlite`; without it, a private in-memory database (unit tests). */
  dataDir?: string;
  /** Instances the emulator serves (`x-ots-instancename`); tables live in one of them. */
  instances: readonly string[];
  /** Interface to listen on (default 127.0.0.1: local only). */
  host?: string;
  /** 0 or absent: an ephemeral port. */
  port?: number;
  /** Listen on this Unix socket instead of a TCP port (in-process unit tests: no network). */
  socketPath?: string;
  /** Epoch-ms clock for cell timestamps, TTL and stream expiry (tests move it); signatures use the wall clock. */
  clock?: () => number;
  /** Access key resolution (default: the local account of `scripts/local/credentials.ts`). */
  credentials?: CredentialLookup;
  /** RAM roles whose keys are held to their policies (D144); absent: every verified key may do anything. */
  access?: AccessSettings;
  /** Told when a client hangs up mid-request (default: a JSON line on stderr). */
  onAbort?: (info: AbortInfo) => void;
  /** Told of every request answered over HTTP (`requests` keeps only the last ones). */
  onRequest?: (record: RequestRecord) => void;
  /**
   * Awaited after storage is open and before the port is bound (`startTableStoreEmulator` only): a restarted
   * thread binds the port only once the stand-in that held it is gone (D95).
   */
  beforeListen?: () => Promise<void>;
}

export interface TableStoreEmulator {
  /** `http://127.0.0.1:<port>`: the SDK's `endpoint` (with a socket path: `http://localhost`, pass `httpOptions`). */
  endpoint: string;
  port: number | undefined;
  /** For SDK clients over the Unix socket: `{ socketPath }`. */
  httpOptions: { socketPath?: string };
  instances: readonly string[];
  storage: Storage;
  /** The last requests (operation, status, error code), newest last. */
  requests: RequestRecord[];
  /** Exceptions handlers threw unexpectedly (answered 500); tests expect this to stay empty. */
  internalErrors: Error[];
  /** Requests a client abandoned mid-way (not errors of the emulator). */
  aborts: AbortInfo[];
  /** Called after every commit that appended stream records; returns an unsubscribe function. */
  onStreamRecords(listener: (streamIds: ReadonlySet<string>) => void): () => void;
  /**
   * Runs one operation directly (no HTTP, no signature), as the server would: for set-up that must happen
   * synchronously and for inspection. Throws the OtsError a client would receive.
   * @example emulator.call('fcsuite-dev', 'DescribeTable', protos.main.DescribeTableRequest.encode({ tableName: 'images' }).finish())
   */
  call(instance: string, operation: string, body: Uint8Array): Uint8Array;
  /** Removes expired cells and stream records now (also done every minute). */
  sweep(): void;
  close(): Promise<void>;
}

/** The local account: its STS-style key must come with its security token, like FC's role credentials. */
export const localCredentials: CredentialLookup = (accessKeyId) => {
  const secret = secretFor(accessKeyId);
  return secret === undefined ? undefined : { accessKeySecret: secret, securityToken: securityTokenFor(accessKeyId) };
};

/**
 * Opens storage and binds the server synchronously when `socketPath` is given (so a unit test helper can hand
 * out a client at once); `listening` resolves when the port is bound.
 */
export function openTableStoreEmulator(options: TableStoreEmulatorOptions & { deferListen?: boolean }): TableStoreEmulator & { listening: Promise<void>; listen(): void } {
  // Cell timestamps are whole milliseconds on the wire (int64): a test clock that moves by fractions is floored.
  const given = options.clock ?? Date.now;
  const clock = () => Math.floor(given());
  if (options.dataDir) mkdirSync(options.dataDir, { recursive: true });
  const storage = new Storage(options.dataDir ? join(options.dataDir, 'tablestore.sqlite') : ':memory:');
  const search = new SearchIndexes(storage);
  const listeners = new Set<(ids: ReadonlySet<string>) => void>();
  const state: ServerState = {
    instances: new Set(options.instances),
    credentials: options.credentials ?? localCredentials,
    ...(options.access ? { access: new AccessControl(options.access) } : {}),
    storage,
    search,
    now: clock,
    onStreamRecords: (ids) => {
      for (const listener of listeners) listener(ids);
    },
    requests: [],
    internalErrors: [],
    aborts: [],
    onAbort: options.onAbort ?? stderrAbortLog('tablestore'),
    ...(options.onRequest ? { onRequest: options.onRequest } : {}),
  };
  const listener = createRequestListener(state);
  const server: Server = keepIdleConnections(createServer((req, res) => void listener(req, res)));
  server.on('clientError', tableStoreClientErrorHandler(state));
  if (options.socketPath) rmSync(options.socketPath, { force: true });
  const listening = new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.once('listening', () => resolve());
  });
  const listen = () => (options.socketPath ? server.listen(options.socketPath) : server.listen(options.port ?? 0, options.host ?? '127.0.0.1'));
  if (!options.deferListen) listen();
  // In-process emulators must not keep a test process alive; the local cloud keeps itself alive. That holds for
  // the connections it accepts too: a client's idle keep-alive socket is unref'd by its agent, but the server's
  // end of it stayed ref'd for the whole keepAliveTimeout (65 s) and held a finished jest worker open (D104).
  if (options.socketPath) {
    server.unref();
    server.on('connection', (socket) => socket.unref());
  }
  sweepNow(storage, options.instances, clock());
  // Later sweeps run a chunk at a time between requests (sweep.ts).
  const sweeper = new BackgroundSweeper(() => sweepSteps(storage, options.instances, clock()));
  const timer = setInterval(() => sweeper.kick(), SWEEP_MS);
  timer.unref();

  const emulator: TableStoreEmulator & { listening: Promise<void>; listen(): void } = {
    get endpoint() {
      if (options.socketPath) return 'http://localhost';
      const address = server.address() as AddressInfo | null;
      return `http://${options.host ?? '127.0.0.1'}:${address?.port ?? options.port ?? 0}`;
    },
    get port() {
      return options.socketPath ? undefined : (server.address() as AddressInfo | null)?.port;
    },
    httpOptions: options.socketPath ? { socketPath: options.socketPath } : {},
    instances: options.instances,
    storage,
    requests: state.requests,
    internalErrors: state.internalErrors,
    aborts: state.aborts,
    listening,
    listen,
    onStreamRecords(fn) {
      listeners.add(fn);
      return () => listeners.delete(fn);
    },
    call: (instance, operation, body) => runOperation(state, operation, instance, Buffer.from(body)),
    sweep: () => sweepNow(storage, options.instances, clock()),
    async close() {
      clearInterval(timer);
      sweeper.stop();
      listeners.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Keep-alive connections (the SDK's agent) would hold close() open.
        server.closeAllConnections();
      });
      storage.close();
      if (options.socketPath) rmSync(options.socketPath, { force: true });
    },
  };
  return emulator;
}

/**
 * Starts the emulator on a TCP port (or a Unix socket) and resolves once it listens.
 * @example
 * const ots = await startTableStoreEmulator({ dataDir: '.data', instances: ['fcsuite-dev'], port: 9002 });
 * const client = new TableStore.Client({ endpoint: ots.endpoint, instancename: 'fcsuite-dev', accessKeyId, secretAccessKey, stsToken });
 */
export async function startTableStoreEmulator(options: TableStoreEmulatorOptions): Promise<TableStoreEmulator> {
  const emulator = openTableStoreEmulator({ ...options, deferListen: Boolean(options.beforeListen) });
  try {
    if (options.beforeListen) {
      await options.beforeListen();
      emulator.listen();
    }
    await emulator.listening;
  } catch (err) {
    await emulator.close().catch(() => undefined);
    throw err;
  }
  return emulator;
}

export { protos };
