import TableStore from 'tablestore';
import { openControlDb } from '../../scripts/local/control-db';
import { TableStreamTriggers } from '../../scripts/local/runtime/table-stream';
import type { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { FunctionSpec } from '../../scripts/local/spec/model';
import { eventually } from '../helpers/eventually';
import { startTestTableStore, type TestTableStore } from '../helpers/tablestore';
import { tempDir } from '../helpers/temp';

/**
 * A row written to a table reaches its stream trigger as soon as the emulator records it, not at the next
 * poll (issue 12 part 4): the local cloud wakes the triggers on the emulator's stream records. The poll here
 * is an hour, so only the wake-up can deliver within the test, however slow the machine (with a one-minute poll
 * and 5-s waits, a loaded machine could fail the waits, or let the poll deliver); the writer is the tablestore
 * SDK, as a function instance is.
 */
describe('stream triggers wake on table writes', () => {
  const dir = tempDir('stream-wake-');
  const delivered: string[] = [];
  /** GetStreamRecord calls per stream id. */
  const reads = new Map<string, number>();
  const runtime = {
    invoke: async (name: string) => {
      delivered.push(name);
      return { status: 'succeeded' };
    },
  } as unknown as FunctionRuntime;
  let ots: TestTableStore;
  let triggers: TableStreamTriggers;
  let unsubscribe: () => void;
  let control: ReturnType<typeof openControlDb>;

  beforeAll(async () => {
    ots = await startTestTableStore();
    await ots.createTable({ name: 'notes', primaryKey: [{ name: 'id', type: 'STRING' }] }, { stream: true });
    await ots.createTable({ name: 'quiet', primaryKey: [{ name: 'id', type: 'STRING' }] }, { stream: true });
    const fn = { name: 'on-note', triggers: [{ type: 'tablestore', name: 'notes-stream', instance: ots.instance, table: 'notes' }] } as unknown as FunctionSpec;
    const other = { name: 'on-quiet', triggers: [{ type: 'tablestore', name: 'quiet-stream', instance: ots.instance, table: 'quiet' }] } as unknown as FunctionSpec;
    control = openControlDb(dir.path);
    const streams = ots.streams;
    const counting = Object.assign(Object.create(streams) as typeof streams, {
      getStreamRecord: (request: Parameters<typeof streams.getStreamRecord>[0]) => {
        const [streamId] = JSON.parse(Buffer.from(request.shardIterator, 'base64url').toString('utf8')) as [string];
        reads.set(streamId, (reads.get(streamId) ?? 0) + 1);
        return streams.getStreamRecord(request);
      },
    });
    triggers = new TableStreamTriggers([fn, other], runtime, control, { client: () => counting, pollMs: 3_600_000 });
    unsubscribe = ots.emulator.onStreamRecords((ids) => triggers.wake(ids));
    triggers.start();
  });
  afterAll(async () => {
    unsubscribe?.();
    await triggers?.close();
    control?.close();
    await ots?.close();
    dir.cleanup();
  });

  const put = (id: string) =>
    ots.client.putRow({
      tableName: 'notes',
      condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null),
      primaryKey: [{ id }],
      attributeColumns: [{ text: `note ${id}` }],
    });

  it('delivers a new row without waiting for the poll', async () => {
    await eventually(() => expect(delivered).toEqual([])); // the first pass at start found nothing
    await put('n-1');
    await eventually(() => expect(delivered).toEqual(['on-note']), { timeoutMs: 20_000 });
    await put('n-2');
    await eventually(() => expect(delivered).toEqual(['on-note', 'on-note']), { timeoutMs: 20_000 });
  });

  it('reads only the stream that was written (a trigger of another table stays idle)', async () => {
    const before = new Map(reads);
    await put('n-3');
    await eventually(() => expect(delivered.filter((d) => d === 'on-note')).toHaveLength(3), { timeoutMs: 20_000 });
    const grew = [...reads].filter(([id, n]) => n > (before.get(id) ?? 0)).map(([id]) => id);
    expect(grew).toHaveLength(1);
    expect(delivered).not.toContain('on-quiet');
  });
});
