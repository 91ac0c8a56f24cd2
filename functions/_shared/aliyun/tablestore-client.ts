import TableStore from 'tablestore';
import type { Credentials } from './credentials';
import { useFastPutRowEncoding } from './tablestore-plain-buffer';

// Rows are encoded in one pass (same bytes as the SDK's own encoder, D67).
useFastPutRowEncoding();

/** Where and as whom to reach a TableStore instance. */
export interface TableStoreConnection {
  /**
   * `https://<instance>.<region>.ots.aliyuncs.com` (or the `.vpc.tablestore.aliyuncs.com` form inside a VPC);
   * locally the TableStore emulator's `http://127.0.0.1:<port>`.
   */
  endpoint: string;
  instance: string;
  credentials: Credentials;
  maxRetries?: number;
  /** Passed to the SDK's HTTP request (e.g. `{ timeout }`, `{ agent }`, or `{ socketPath }` for an emulator in a test). */
  httpOptions?: Record<string, unknown>;
}

/**
 * A `tablestore` SDK client from FC's STS credentials (note the SDK's `secretAccessKey` and `stsToken`
 * names). Shared by the Table and SearchIndex adapters so both sign and retry alike.
 */
export function tableStoreClient(options: TableStoreConnection): TableStore.Client {
  return new TableStore.Client({
    accessKeyId: options.credentials.accessKeyId,
    secretAccessKey: options.credentials.accessKeySecret,
    ...(options.credentials.securityToken ? { stsToken: options.credentials.securityToken } : {}),
    endpoint: options.endpoint,
    instancename: options.instance,
    maxRetries: options.maxRetries ?? 3,
    ...(options.httpOptions ? { httpOptions: options.httpOptions } : {}),
  });
}

/**
 * The connection s.yaml configures: `TABLESTORE_ENDPOINT` and `TABLESTORE_INSTANCE` (the local cloud points the
 * endpoint at its TableStore emulator, nothing else differs).
 */
export function tableStoreConnectionFromEnv(env: NodeJS.ProcessEnv, credentials: Credentials): TableStoreConnection {
  const endpoint = env.TABLESTORE_ENDPOINT;
  if (!endpoint) throw new Error('TABLESTORE_ENDPOINT is not set (s.yaml environmentVariables)');
  const instance = env.TABLESTORE_INSTANCE;
  if (!instance) throw new Error('TABLESTORE_INSTANCE is not set (s.yaml environmentVariables)');
  return { endpoint, instance, credentials };
}

/**
 * One adapter per endpoint, instance and access key per process: FC reuses instances across invocations, and a
 * rotated STS key builds a new client (the old one is dropped).
 */
export function cachedPerConnection<T>(build: (connection: TableStoreConnection) => T): (connection: TableStoreConnection) => T {
  let key: string | undefined;
  let value: T | undefined;
  return (connection) => {
    const next = `${connection.endpoint}|${connection.instance}|${connection.credentials.accessKeyId}`;
    if (key !== next || value === undefined) {
      value = build(connection);
      key = next;
    }
    return value;
  };
}
