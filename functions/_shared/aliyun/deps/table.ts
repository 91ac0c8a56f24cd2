import { ALL_TABLES } from '../../contracts/tables';
import type { FcContext } from '../../fc/types';
import type { Table } from '../../ports/table';
import { credentialsFrom } from '../credentials';
import { cachedPerConnection, tableStoreConnectionFromEnv } from '../tablestore-client';
import { TableStoreTable } from '../tablestore-table';

const tables = cachedPerConnection((connection) => new TableStoreTable({ ...connection, schemas: ALL_TABLES }));

/**
 * Production wiring, one capability per module (`deps/*.ts`) so a function's bundle carries only the SDKs
 * it uses: the TableStore adapter built from the invocation's STS credentials and the environment.
 */
export function tableFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): Table {
  return tables(tableStoreConnectionFromEnv(env, credentialsFrom(context, env)));
}
