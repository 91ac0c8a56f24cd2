import { openTable } from '../../adapters/open-table';
import { ALL_TABLES } from '../../contracts/tables';
import type { FcContext } from '../../fc/types';
import type { Table } from '../../ports/table';
import { credentialsFrom } from '../credentials';

/**
 * Production wiring, one capability per module (`deps/*.ts`) so a function's bundle carries only the SDKs
 * it uses: adapters built from the invocation's STS credentials and the environment.
 */
export function tableFor(context: FcContext, env: NodeJS.ProcessEnv = process.env): Table {
  return openTable(env, credentialsFrom(context, env), ALL_TABLES);
}
