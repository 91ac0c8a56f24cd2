/**
 * The Stream API for Node: `tablestore` 5.x has no stream methods (its encoder knows only table, row and search
 * operations), so this client adds ListStream, DescribeStream, GetShardIterator and GetStreamRecord to an SDK
 * client — the SDK's own signing, retries and HTTP, with the requests and responses encoded by the SDK's
 * protobuf roots — and decodes each record's PlainBuffer row change. It works against TableStore and against
 * the local emulator alike; the local cloud's TableStore triggers read the emulator's stream through it.
 *
 * @example
 * const streams = createStreamClient({ endpoint, instancename, accessKeyId, secretAccessKey, stsToken });
 * const [stream] = (await streams.listStream({ tableName: 'images' })).streams;
 * const { shards } = await streams.describeStream({ streamId: stream.streamId });
 * let { shardIterator } = await streams.getShardIterator({ streamId: stream.streamId, shardId: shards[0].shardId });
 * const { records, nextShardIterator } = await streams.getStreamRecord({ shardIterator, limit: 100 });
 */
import TableStore from 'tablestore';
import { readRequestRow } from './plain-buffer';
import { protos, type ProtoMessage } from './sdk';
import type { CellValue } from './values';

export interface StreamInfo {
  streamId: string;
  tableName: string;
  /** µs */
  creationTime: number;
}

export interface StreamDescription extends StreamInfo {
  /** Hours a record is kept. */
  expirationTime: number;
  status: 'ENABLING' | 'ACTIVE';
  shards: { shardId: string; parentId?: string; parentSiblingId?: string }[];
  nextShardId?: string;
}

export type StreamAction = 'PUT_ROW' | 'UPDATE_ROW' | 'DELETE_ROW';

/** One row change as the stream records it. */
export interface StreamRecord {
  action: StreamAction;
  primaryKey: { name: string; value: CellValue }[];
  /** For PUT_ROW the row's new cells; for UPDATE_ROW what changed; none for DELETE_ROW. */
  columns: { type: 'PUT' | 'DELETE_ONE_VERSION' | 'DELETE_ALL_VERSION'; name: string; value?: CellValue; timestamp?: number }[];
}

export interface StreamClient {
  listStream(params?: { tableName?: string }): Promise<{ streams: StreamInfo[] }>;
  describeStream(params: { streamId: string; inclusiveStartShardId?: string; shardLimit?: number }): Promise<StreamDescription>;
  getShardIterator(params: { streamId: string; shardId: string }): Promise<{ shardIterator: string }>;
  /** `nextShardIterator` is absent when the shard is closed (never, on the emulator). */
  getStreamRecord(params: { shardIterator: string; limit?: number }): Promise<{ records: StreamRecord[]; nextShardIterator?: string }>;
}

type Decoded = Record<string, unknown>;

interface Messages {
  request: ProtoMessage;
  response: ProtoMessage;
  decode(message: Decoded): unknown;
}

const ACTIONS: Record<number, StreamAction> = { 1: 'PUT_ROW', 2: 'UPDATE_ROW', 3: 'DELETE_ROW' };
const CELL_TYPES = { PUT: 'PUT', DELETE_ONE_VERSION: 'DELETE_ONE_VERSION', DELETE_ALL_VERSION: 'DELETE_ALL_VERSION' } as const;

function num(value: unknown): number {
  return typeof value === 'number' ? value : Number(String(value));
}

/** A record's PlainBuffer row change, in plain terms. */
export function decodeStreamRecord(actionType: number, record: Uint8Array): StreamRecord {
  const row = readRequestRow(record);
  return {
    action: ACTIONS[actionType] ?? 'PUT_ROW',
    primaryKey: row.primaryKey.map((c) => ({ name: c.name, value: c.value as CellValue })),
    columns: row.deleteMarker
      ? []
      : row.cells.map((c) => ({
          type: c.op === 'INCREMENT' ? CELL_TYPES.PUT : CELL_TYPES[c.op],
          name: c.name,
          ...(c.value ? { value: c.value } : {}),
          ...(c.timestamp !== undefined ? { timestamp: c.timestamp } : {}),
        })),
  };
}

const MESSAGES: Record<string, Messages> = {
  listStream: {
    request: protos.main.ListStreamRequest!,
    response: protos.main.ListStreamResponse!,
    decode: (m) => ({ streams: ((m.streams as Decoded[] | undefined) ?? []).map((s) => ({ streamId: String(s.streamId), tableName: String(s.tableName), creationTime: num(s.creationTime) })) }),
  },
  describeStream: {
    request: protos.main.DescribeStreamRequest!,
    response: protos.main.DescribeStreamResponse!,
    decode: (m) => ({
      streamId: String(m.streamId),
      tableName: String(m.tableName),
      creationTime: num(m.creationTime),
      expirationTime: num(m.expirationTime),
      status: num(m.streamStatus) === 1 ? 'ENABLING' : 'ACTIVE',
      shards: ((m.shards as Decoded[] | undefined) ?? []).map((s) => ({ shardId: String(s.shardId), ...(s.parentId ? { parentId: String(s.parentId) } : {}), ...(s.parentSiblingId ? { parentSiblingId: String(s.parentSiblingId) } : {}) })),
      ...(m.nextShardId ? { nextShardId: String(m.nextShardId) } : {}),
    }),
  },
  getShardIterator: {
    request: protos.main.GetShardIteratorRequest!,
    response: protos.main.GetShardIteratorResponse!,
    decode: (m) => ({ shardIterator: String(m.shardIterator) }),
  },
  getStreamRecord: {
    request: protos.main.GetStreamRecordRequest!,
    response: protos.main.GetStreamRecordResponse!,
    decode: (m) => ({
      records: ((m.streamRecords as Decoded[] | undefined) ?? []).map((r) => decodeStreamRecord(num(r.actionType), r.record as Uint8Array)),
      ...(m.nextShardIterator ? { nextShardIterator: String(m.nextShardIterator) } : {}),
    }),
  },
};

interface SdkRequest {
  operation: string;
  params: object;
  httpRequest: { body: Uint8Array };
}

interface SdkResponse {
  request: { operation: string };
  httpResponse: { body: Buffer; headers: Record<string, string | undefined> };
  data: unknown;
}

interface SdkInternals {
  util: { inherit(parent: unknown, features: object): new (options: object) => { makeRequest(operation: string, params: object): Promise<unknown> } };
  Client: { prototype: { buildContent(req: SdkRequest): void; extractData(resp: SdkResponse): void } };
}

const sdk = TableStore as unknown as SdkInternals;

/** An SDK client whose request builder and response parser also know the four stream messages. */
const SdkStreamClient = sdk.util.inherit(sdk.Client, {
  buildContent(this: unknown, req: SdkRequest) {
    const messages = MESSAGES[req.operation];
    if (!messages) return sdk.Client.prototype.buildContent.call(this, req);
    req.httpRequest.body = messages.request.encode(messages.request.create(req.params as never)).finish();
  },
  extractData(this: unknown, resp: SdkResponse) {
    const messages = MESSAGES[resp.request.operation];
    if (!messages) return sdk.Client.prototype.extractData.call(this, resp);
    resp.data = { ...(messages.decode(messages.response.decode(resp.httpResponse.body) as Decoded) as object), RequestId: resp.httpResponse.headers['x-ots-requestid'] };
  },
});

/** The SDK's client options: `endpoint`, `instancename`, `accessKeyId`, `secretAccessKey`, `stsToken`, `maxRetries`, `httpOptions`. */
export function createStreamClient(options: Record<string, unknown>): StreamClient {
  const client = new SdkStreamClient(options);
  return {
    listStream: (params = {}) => client.makeRequest('listStream', params) as Promise<{ streams: StreamInfo[] }>,
    describeStream: (params) => client.makeRequest('describeStream', params) as Promise<StreamDescription>,
    getShardIterator: (params) => client.makeRequest('getShardIterator', params) as Promise<{ shardIterator: string }>,
    getStreamRecord: (params) => client.makeRequest('getStreamRecord', params) as Promise<{ records: StreamRecord[]; nextShardIterator?: string }>,
  };
}
