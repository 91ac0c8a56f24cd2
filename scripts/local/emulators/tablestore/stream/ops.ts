/**
 * The Stream API: ListStream, DescribeStream, GetShardIterator, GetStreamRecord
 * (https://www.alibabacloud.com/help/en/tablestore/developer-reference/stream-api). Each table with a stream has
 * one shard that never splits; its records are the PlainBuffer row changes `mutations.ts` appends in the same
 * transaction as the write, kept for the stream's expiration time. An iterator is a position in that shard;
 * one pointing before records that already expired is answered OTSTrimmedDataAccess.
 */
import { OtsError, parameterInvalid, trimmedDataAccess } from '../errors';
import { decodeRequest, encodeResponse, has, requireTable, type OperationContext, type OperationHandler } from '../handler';
import { protos } from '../sdk';
import type { TableHandle } from '../table';

/** GetStreamRecord answers at most this many records (default 100, as documented for the SDKs). */
export const STREAM_RECORD_LIMIT = { default: 100, max: 1000 } as const;
const STREAM_ACTIVE = 2;

/** The one shard of a stream. */
export function shardIdOf(streamId: string): string {
  return `${streamId}.0`;
}

interface Iterator {
  streamId: string;
  position: number;
}

function encodeIterator(iterator: Iterator): string {
  return Buffer.from(JSON.stringify([iterator.streamId, iterator.position])).toString('base64url');
}

function decodeIterator(text: string): Iterator {
  try {
    const [streamId, position] = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as [unknown, unknown];
    if (typeof streamId !== 'string' || typeof position !== 'number' || !Number.isSafeInteger(position)) throw new Error('shape');
    return { streamId, position };
  } catch {
    throw parameterInvalid('Invalid shard iterator.');
  }
}

function streamNotFound(streamId: string): OtsError {
  return new OtsError(404, 'OTSObjectNotExist', `Requested stream does not exist: ${streamId}.`);
}

/** The table whose current stream has this id. */
function tableOfStream(context: OperationContext, streamId: string): TableHandle | undefined {
  return context.storage.tables(context.instance).find((t) => t.meta.stream?.streamId === streamId);
}

export const listStream: OperationHandler = (context) => {
  const request = decodeRequest<{ tableName?: string }>(protos.main.ListStreamRequest!, context.body);
  const tables = has(request, 'tableName') && request.tableName ? [requireTable(context, request.tableName)] : context.storage.tables(context.instance);
  const streams = tables.flatMap((t) => (t.meta.stream ? [{ streamId: t.meta.stream.streamId, tableName: t.meta.name, creationTime: t.meta.stream.enabledAt * 1000 }] : []));
  return encodeResponse(protos.main.ListStreamResponse!, { streams });
};

export const describeStream: OperationHandler = (context) => {
  const request = decodeRequest<{ streamId: string; inclusiveStartShardId?: string; shardLimit?: number }>(protos.main.DescribeStreamRequest!, context.body);
  const table = tableOfStream(context, request.streamId);
  if (!table) throw streamNotFound(request.streamId);
  const stream = table.meta.stream!;
  const shardId = shardIdOf(stream.streamId);
  const skip = has(request, 'inclusiveStartShardId') && request.inclusiveStartShardId && request.inclusiveStartShardId > shardId;
  return encodeResponse(protos.main.DescribeStreamResponse!, {
    streamId: stream.streamId,
    expirationTime: stream.expirationHours,
    tableName: table.meta.name,
    creationTime: stream.enabledAt * 1000,
    streamStatus: STREAM_ACTIVE,
    shards: skip ? [] : [{ shardId }],
  });
};

export const getShardIterator: OperationHandler = (context) => {
  const request = decodeRequest<{ streamId: string; shardId: string }>(protos.main.GetShardIteratorRequest!, context.body);
  const table = tableOfStream(context, request.streamId);
  if (!table) throw streamNotFound(request.streamId);
  if (request.shardId !== shardIdOf(request.streamId)) throw new OtsError(404, 'OTSObjectNotExist', `Requested shard does not exist: ${request.shardId}.`);
  // The oldest record still kept (TRIM_HORIZON): right after what expired.
  const position = context.storage.streamTrimmedUpTo(request.streamId);
  return encodeResponse(protos.main.GetShardIteratorResponse!, { shardIterator: encodeIterator({ streamId: request.streamId, position }) });
};

export const getStreamRecord: OperationHandler = (context) => {
  const request = decodeRequest<{ shardIterator: string; limit?: number }>(protos.main.GetStreamRecordRequest!, context.body);
  const iterator = decodeIterator(request.shardIterator);
  const limit = has(request, 'limit') ? Number(request.limit) : STREAM_RECORD_LIMIT.default;
  if (!Number.isInteger(limit) || limit <= 0 || limit > STREAM_RECORD_LIMIT.max) throw parameterInvalid(`Invalid limit: ${limit}, it must be in [1, ${STREAM_RECORD_LIMIT.max}].`);
  if (!tableOfStream(context, iterator.streamId)) throw trimmedDataAccess();
  if (iterator.position < context.storage.streamTrimmedUpTo(iterator.streamId)) throw trimmedDataAccess();
  const records = context.storage.readStream(iterator.streamId, iterator.position, limit);
  const last = records[records.length - 1];
  return encodeResponse(protos.main.GetStreamRecordResponse!, {
    streamRecords: records.map((r) => ({ actionType: r.action, record: r.record })),
    nextShardIterator: encodeIterator({ streamId: iterator.streamId, position: last ? last.seq : iterator.position }),
  });
};
