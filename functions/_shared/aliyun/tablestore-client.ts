import TableStore from 'tablestore';
import type { Credentials } from './credentials';

/** Where and as whom to reach a TableStore instance. */
export interface TableStoreConnection {
  /** `https://<instance>.<region>.ots.aliyuncs.com` (or the `.vpc.tablestore.aliyuncs.com` form inside a VPC). */
  endpoint: string;
  instance: string;
  credentials: Credentials;
  maxRetries?: number;
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
  });
}
