/**
 * Fake TableStore: an HTTP server on 127.0.0.1 that speaks TableStore's wire protocol (POST /<Operation>,
 * protobuf bodies with PlainBuffer rows, `x-ots-*` signed headers) well enough for the `tablestore` SDK, with
 * the wide-column semantics held in memory. Requests are decoded and responses encoded with the SDK's own
 * protobuf roots and PlainBuffer streams, so what passes here passes the SDK's real codec.
 *
 * Operations: PutRow, GetRow, UpdateRow (PUT, DELETE, DELETE_ALL, INCREMENT; ReturnContent), DeleteRow, GetRange
 * (direction, limit, columns_to_get, filter, next_start_primary_key), BatchGetRow, BatchWriteRow (per-row
 * results). Add more with `registerOperation` (e.g. `Search`).
 *
 * Adding an operation (e.g. Search): write an `OperationHandler` in its own file that decodes the body with
 * `decodeRequest(protos.search.SearchRequest, body)` (`protos.search.SearchQuery.decode(request.searchQuery)` for
 * the query), reads rows with `store.table(name).rows` and `table.live(row, now)` (TTL applied), encodes each
 * returned row with `writeRows([row])`, answers `encodeResponse(protos.search.SearchResponse, …)` and throws
 * `OtsError` (or `parameterInvalid`, `objectNotExist`) for errors; then `fake.registerOperation('Search', handler)`.
 * `fake.call(operation, bytes)` sends a signed request without the SDK. See test/contract/table-wire.test.ts.
 *
 * LIMITATIONS (what is not emulated; requests that need it fail loudly with OTSParameterInvalid or
 * "Unsupported operation"):
 * - Table DDL (CreateTable, ListTable, DescribeTable, UpdateTable, DeleteTable), secondary and search indexes,
 *   Stream, SQL, local transactions, ComputeSplits/ParallelScan, and AUTO_INCREMENT primary keys. Tables come
 *   from `startFakeTableStore({ tables })` or `store.createTable`.
 * - One version per cell (max_versions 1): `max_versions` other than 1, `time_range`, `start_column`/`end_column`
 *   and `token` are refused. DELETE_ONE_VERSION deletes the cell only when its timestamp matches.
 * - No capacity metering, throttling or partitions. Size limits: 1 KiB primary key values and 2 MiB attribute
 *   values are enforced; request size, row size and column counts are not, and GetRange pages stop at
 *   5 000 rows only (not at 4 MB).
 * - Assumptions where TableStore does not document the behaviour: column conditions compare INTEGER with DOUBLE
 *   numerically and treat other type mismatches as "not equal"; RT_AFTER_MODIFY returns the named columns that
 *   the write put or incremented; BatchWriteRow and BatchGetRow refuse a primary key named twice in one table;
 *   an unknown table inside a batch fails that row with OTSObjectNotExist; x-ots-date may be 15 minutes off.
 * - Authentication: the signature, content MD5, instance name, access key and STS token are checked; RAM
 *   policies are not. Responses are not signed (the SDK does not check response signatures).
 * - TTL expires cells by their timestamp against the fake's own clock (`clock.advance`); expired data is hidden,
 *   never swept in the background. A row whose cells all expired is gone.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { signedCall, type RawResponse } from './client';
import type { OperationHandler } from './handler';
import { defaultHandlers } from './ops';
import { createRequestListener, type RequestRecord, type ServerState } from './server';
import type { FakeCredential } from './signature';
import { FakeStore, type FakeTableSchema } from './store';

export { CONSUMED, decodeRequest, encodeResponse, has, notEmulated, type OperationHandler, type OperationRequest } from './handler';
export { OtsError, conditionCheckFail, objectNotExist, parameterInvalid } from './errors';
export { readRequestRow, readVariant, writePrimaryKey, writeRows, type RequestRow, type ResponseRow } from './plain-buffer';
export { int64, protos, type ProtoMessage } from './sdk';
export { decodeFilter, filterMatches, type ColumnFilter } from './conditions';
export { FakeStore, FakeTable, NAME_PATTERN, type FakeTableSchema, type LiveRow, type StoredRow } from './store';
export { compareCell, compareKeys, comparePkValue, type CellValue, type PkCell, type PkValue } from './values';
export type { FakeCredential } from './signature';
export type { RequestRecord } from './server';
export type { RawResponse } from './client';

/** The fake's clock: wall time plus an offset tests move forward (TTL). */
export class FakeClock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

export interface FakeTableStoreOptions {
  /** Instance name requests must carry in `x-ots-instancename`. Default `fake-instance`. */
  instance?: string;
  /** Accepted credentials. Default: one generated key pair. */
  credentials?: FakeCredential[];
  tables?: FakeTableSchema[];
}

export interface FakeTableStore {
  /** `http://127.0.0.1:<port>` — pass it as the SDK's `endpoint`. */
  endpoint: string;
  instance: string;
  /** The first accepted credential, ready for the SDK. */
  credentials: FakeCredential;
  store: FakeStore;
  clock: FakeClock;
  /** Every request, in arrival order (operation, status, error code). */
  requests: RequestRecord[];
  /** Exceptions handlers threw unexpectedly (answered 500); tests should expect this to stay empty. */
  internalErrors: Error[];
  /** Add or replace the handler of an operation (wire name, e.g. `Search`). */
  registerOperation(operation: string, handler: OperationHandler): void;
  /**
   * Send a signed request without the SDK (for what the SDK cannot send, or a handler under test).
   * @example const res = await ots.call('GetRange', protos.main.GetRangeRequest.encode(request).finish());
   */
  call(operation: string, body: Uint8Array): Promise<RawResponse>;
  close(): Promise<void>;
}

/**
 * Start a fake TableStore instance on an ephemeral loopback port.
 * @example
 * const ots = await startFakeTableStore({ tables: [{ name: 'images', primaryKey: [{ name: 'id', type: 'STRING' }] }] });
 * const client = new TableStore.Client({ endpoint: ots.endpoint, instancename: ots.instance,
 *   accessKeyId: ots.credentials.accessKeyId, secretAccessKey: ots.credentials.accessKeySecret, maxRetries: 0 });
 * // … ots.store.table('images').rows …
 * await ots.close();
 */
export async function startFakeTableStore(options: FakeTableStoreOptions = {}): Promise<FakeTableStore> {
  const credentials = options.credentials ?? [{ accessKeyId: 'LTAIfake' + Math.random().toString(36).slice(2, 10), accessKeySecret: Math.random().toString(36).slice(2) }];
  const first = credentials[0];
  if (!first) throw new Error('startFakeTableStore needs at least one credential');
  const store = new FakeStore();
  for (const table of options.tables ?? []) store.createTable(table);
  const clock = new FakeClock();
  const handlers = new Map(Object.entries(defaultHandlers()));
  const state: ServerState = { instance: options.instance ?? 'fake-instance', credentials, store, handlers, now: () => clock.now(), requests: [], internalErrors: [] };
  const listener = createRequestListener(state);
  const server = createServer((req, res) => void listener(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    instance: state.instance,
    credentials: first,
    store,
    clock,
    requests: state.requests,
    internalErrors: state.internalErrors,
    registerOperation: (operation, handler) => void handlers.set(operation, handler),
    call: (operation, body) => signedCall(`http://127.0.0.1:${port}`, state.instance, first, operation, body),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
