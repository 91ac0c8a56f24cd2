/** The operation handler contract: one function per TableStore operation, registered by name in `ops/index.ts`. */
import { objectNotExist, parameterInvalid } from './errors';
import type { ProtoMessage } from './sdk';
import type { SearchIndexes } from './search/indexes';
import type { Storage } from './storage';
import type { TableHandle } from './table';

export interface OperationContext {
  /** The operation, as in the path `/<Operation>` (e.g. `GetRow`, `Search`). */
  operation: string;
  /** The protobuf request body. */
  body: Buffer;
  /** The instance named by `x-ots-instancename` (already checked to exist). */
  instance: string;
  storage: Storage;
  search: SearchIndexes;
  /** The emulator's clock (ms): cell timestamps, TTL and stream expiry use it. */
  now: number;
  /** Called after a stream record was appended (the local cloud wakes its TableStore triggers). */
  onStreamRecord(streamId: string): void;
  /** RAM (D144): throws OTSNoPermissionAccess when the caller's role may not run this operation on `table`. */
  authorize?(table: string): void;
}

/**
 * Decode `body` with the operation's request message, act on storage, return the encoded response message.
 * Throw an `OtsError` to answer with a TableStore error. The server runs each call in one transaction.
 */
export type OperationHandler = (context: OperationContext) => Uint8Array;

/** The `consumed` every row response must carry (a required field; the emulator does not meter capacity). */
export const CONSUMED = { capacityUnit: { read: 0, write: 0 } };

/** Decode a request message; a malformed body is OTSParameterInvalid, as TableStore answers it. */
export function decodeRequest<T>(message: ProtoMessage, body: Uint8Array): T {
  try {
    return message.decode(body) as unknown as T;
  } catch (err) {
    throw parameterInvalid(`Cannot deserialize the request data: ${(err as Error).message}`);
  }
}

/** Encode a response message. */
export function encodeResponse(message: ProtoMessage, value: object): Uint8Array {
  return message.encode(value as never).finish();
}

/**
 * Was an optional field present on the wire? protobufjs's static decoders answer absent fields with the
 * prototype's default (0, '', empty bytes), so presence must be asked of the object itself.
 */
export function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}

/** The named table of the request's instance, or OTSObjectNotExist as TableStore answers for an unknown table. */
export function requireTable(context: Pick<OperationContext, 'storage' | 'instance' | 'authorize'>, name: string): TableHandle {
  context.authorize?.(name);
  const table = context.storage.table(context.instance, name);
  if (!table) throw objectNotExist(name);
  return table;
}
