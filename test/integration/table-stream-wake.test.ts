import Database from 'better-sqlite3';
import { join } from 'node:path';
import { SqliteTable } from '#shared/adapters/sqlite-table';
import { openControlDb } from '../../scripts/local/control-db';
import { TableStreamTriggers, wakeOnTableWrites } from '../../scripts/local/runtime/table-stream';
import type { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * A row written to a table reaches its stream trigger as soon as it is written, not at the next poll
 * (issue 12 part 4): the local cloud watches the tables' write-ahead log. The poll here is a minute, so only
 * the wake-up can deliver within the test; the writer is a second connection, as a function instance is.
 */
describe('stream triggers wake on table writes', () => {
  const dir = tempDir('stream-wake-');
  const file = join(dir.path, 'tables.sqlite');
  const schemas = [{ name: 'notes', primaryKey: [{ name: 'id', type: 'STRING' as const }], stream: true }];
  const delivered: string[] = [];
  const runtime = {
    invoke: async (name: string) => {
      delivered.push(name);
      return { status: 'succeeded' };
    },
  } as unknown as FunctionRuntime;
  const fn = { name: 'on-note', triggers: [{ type: 'tablestore', name: 'notes-stream', table: 'notes' }] } as unknown as FunctionSpec;
  let log: SqliteTable;
  let writer: SqliteTable;
  let triggers: TableStreamTriggers;
  let stopWatching: () => void;
  let control: ReturnType<typeof openControlDb>;

  beforeAll(() => {
    log = new SqliteTable(Database, file, schemas);
    writer = new SqliteTable(Database, file, schemas);
    control = openControlDb(dir.path);
    triggers = new TableStreamTriggers([fn], log, runtime, control, { pollMs: 60_000 });
    triggers.start();
    stopWatching = wakeOnTableWrites(triggers, file);
  });
  afterAll(async () => {
    stopWatching();
    await triggers.close();
    writer.close();
    log.close();
    control.close();
    dir.cleanup();
  });

  it('delivers a new row without waiting for the poll', async () => {
    await eventually(() => expect(delivered).toEqual([])); // the first pass at start found nothing
    await writer.putRow('notes', { id: 'n-1' }, { text: 'hello' });
    await eventually(() => expect(delivered).toEqual(['on-note']), { timeoutMs: 5000 });
    await writer.putRow('notes', { id: 'n-2' }, { text: 'again' });
    await eventually(() => expect(delivered).toEqual(['on-note', 'on-note']), { timeoutMs: 5000 });
  });
});
