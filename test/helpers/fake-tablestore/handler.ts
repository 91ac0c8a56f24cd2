/** The operation handler contract: one function per TableStore operation, registered by name. */
import { parameterInvalid, type OtsError } from './errors';
import type { ProtoMessage } from './sdk';
import type { FakeStore } from './store';
import type { FakeCredential } from './signature';

export interface OperationRequest {
  /** The operation, as in the path `/<Operation>` (e.g. `GetRow`, `Search`). */
  operation: string;
  /** The protobuf request body. */
  body: Buffer;
  store: FakeStore;
  /** The fake's clock (ms): cell timestamps and TTL use it. */
  now: number;
  credential: FakeCredential;
}

/**
 * Decode `body` with the operation's request message, act on `store`, return the encoded response message.
 * Throw an `OtsError` to answer with a TableStore error.
 * @example const handler: OperationHandler = ({ body, store }) => protos.search.SearchResponse.encode(search(store, body)).finish();
 */
export type OperationHandler = (request: OperationRequest) => Uint8Array | Promise<Uint8Array>;

/** The `consumed` every row response must carry (a required field; the fake does not meter capacity). */
export const CONSUMED = { capacityUnit: { read: 0, write: 0 } };

/** Decode a request message; a malformed body is OTSParameterInvalid, as TableStore answers it. */
export function decodeRequest<T>(message: ProtoMessage, body: Uint8Array): T {
  try {
    return message.decode(body) as unknown as T;
  } catch (err) {
    throw parameterInvalid(`Invalid request body: ${(err as Error).message}`);
  }
}

/** Encode a response message. */
export function encodeResponse(message: ProtoMessage, value: object): Uint8Array {
  return message.encode(value as never).finish();
}

/** TableStore features the fake does not emulate fail loudly instead of being ignored. */
export function notEmulated(feature: string): OtsError {
  return parameterInvalid(`${feature} is not supported by this TableStore emulator.`);
}

/**
 * Was an optional field present on the wire? protobufjs's static decoders answer absent fields with the
 * prototype's default (0, '', empty bytes), so presence must be asked of the object itself.
 */
export function has(message: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(message, field);
}
