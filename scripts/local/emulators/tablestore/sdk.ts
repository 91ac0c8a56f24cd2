/**
 * The pieces of the `tablestore` SDK the emulator reuses, so requests are decoded and responses encoded by the
 * very code that encodes/decodes them on the client side: the precompiled protobuf roots
 * (`lib/protocol/tablestore_compiled_proto.js`, protobufjs static code), and its PlainBuffer constants (checked
 * against the table below). The SDK ships no types; the shapes below are read from those files.
 */
import TableStore from 'tablestore';

/** A protobufjs static message class (only what the emulator calls). */
export interface ProtoMessage<T = Record<string, unknown>> {
  decode(bytes: Uint8Array): T;
  encode(message: T): { finish(): Uint8Array };
  create(properties?: Partial<T>): T;
  toObject(message: T, options?: Record<string, unknown>): Record<string, unknown>;
}

/** A protobuf namespace: message classes and enums by name. */
export type ProtoNamespace = Record<string, ProtoMessage & Record<string, number>>;

interface CompiledRoots {
  main: { proto: ProtoNamespace };
  filter: { proto: ProtoNamespace };
  search: { proto: ProtoNamespace };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const roots = require('tablestore/lib/protocol/tablestore_compiled_proto.js') as CompiledRoots;

/**
 * The SDK's protobuf namespaces: `main` (tablestore.proto: rows, tables), `filter` (tablestore_filter.proto) and
 * `search` (tablestore_search.proto: Search, CreateSearchIndex…).
 * @example protos.main.GetRowRequest.decode(body)
 */
export const protos = { main: roots.main.proto, filter: roots.filter.proto, search: roots.search.proto } as const;

interface SdkInternals {
  plainBufferConsts: Record<string, number>;
}

const sdk = TableStore as unknown as SdkInternals;


/** PlainBuffer tags, cell operation types and variant types (`plain_buffer_consts.js`). */
export const PB = {
  HEADER: 0x75,
  TAG_ROW_PK: 0x1,
  TAG_ROW_DATA: 0x2,
  TAG_CELL: 0x3,
  TAG_CELL_NAME: 0x4,
  TAG_CELL_VALUE: 0x5,
  TAG_CELL_TYPE: 0x6,
  TAG_CELL_TIMESTAMP: 0x7,
  TAG_DELETE_ROW_MARKER: 0x8,
  TAG_ROW_CHECKSUM: 0x9,
  TAG_CELL_CHECKSUM: 0x0a,
  DELETE_ALL_VERSION: 0x1,
  DELETE_ONE_VERSION: 0x3,
  INCREMENT: 0x4,
  VT_INTEGER: 0x0,
  VT_DOUBLE: 0x1,
  VT_BOOLEAN: 0x2,
  VT_STRING: 0x3,
  VT_NULL: 0x6,
  VT_BLOB: 0x7,
  VT_INF_MIN: 0x9,
  VT_INF_MAX: 0xa,
  VT_AUTO_INCREMENT: 0xb,
} as const;

// The table above restates the SDK's constants for readable code; fail fast if a future SDK changes them.
for (const [name, value] of Object.entries(PB)) {
  if (sdk.plainBufferConsts[name] !== value) throw new Error(`tablestore SDK changed PlainBuffer constant ${name}`);
}
