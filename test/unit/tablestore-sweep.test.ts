import { encodeKey } from '../../scripts/local/emulators/tablestore/keys';
import { Storage } from '../../scripts/local/emulators/tablestore/storage';
import { BackgroundSweeper, SWEEP_CHUNK_ROWS, sweepNow, sweepSteps } from '../../scripts/local/emulators/tablestore/sweep';
import { encodeColumns, liveRow, storedRowExpired, type CellVersion, type TableMeta } from '../../scripts/local/emulators/tablestore/table';

/**
 * The TableStore emulator's sweep of expired rows: judged from the stored JSON alone, it must agree with what
 * reads see (`liveRow`), and the background sweep must remove every expired row of a large table while letting
 * the event loop run between its chunks.
 */
const DAY = 86_400_000;

function meta(overrides: Partial<TableMeta> = {}): TableMeta {
  return {
    name: 't',
    primaryKey: [{ name: 'id', type: 'STRING' }],
    definedColumns: [],
    ttlSeconds: DAY / 1000,
    maxVersions: 1,
    deviationSeconds: 86_400,
    allowUpdate: true,
    reserved: { read: 0, write: 0, lastIncreaseTime: 0 },
    createdAt: 0,
    ...overrides,
  };
}

const v = (timestamp: number): CellVersion => ({ timestamp, value: { type: 'INTEGER', value: 1n } });

describe('TableStore emulator sweep', () => {
  const now = 10 * DAY;
  const cases: [string, Map<string, CellVersion[]>, number, Partial<TableMeta>][] = [
    ['no columns, written long ago', new Map(), now - 2 * DAY, {}],
    ['no columns, written recently', new Map(), now - 1000, {}],
    ['one expired cell', new Map([['a', [v(now - DAY)]]]), now, {}],
    ['one cell a millisecond from expiry', new Map([['a', [v(now - DAY + 1)]]]), now, {}],
    ['an expired and a live column', new Map([['a', [v(now - 2 * DAY)]], ['b', [v(now - 5)]]]), now, {}],
    ['a live version beyond max versions', new Map([['a', [v(now - 2 * DAY), v(now - 1)]]]), now, { maxVersions: 1 }],
    ['a live version within max versions', new Map([['a', [v(now - 2 * DAY), v(now - 1)]]]), now, { maxVersions: 2 }],
    ['a cell in the future', new Map([['a', [v(now + 60_000)]]]), now - 2 * DAY, {}],
    ['no TTL', new Map([['a', [v(0)]]]), 0, { ttlSeconds: -1 }],
    ['a column named __proto__', new Map([['__proto__', [v(now - 2 * DAY)]]]), now, {}],
  ];

  it.each(cases)('judges a row as reads do: %s', (_, columns, writtenAt, overrides) => {
    const table = meta(overrides);
    const read = liveRow(table, { primaryKey: [{ name: 'id', value: { type: 'STRING', value: 'x' } }], columns, writtenAt }, now);
    expect(storedRowExpired(table, encodeColumns(columns), writtenAt, now)).toBe(read === undefined);
  });

  function tableWithRows(count: number): { storage: Storage; expired: Set<string> } {
    const storage = new Storage(':memory:');
    const handle = storage.insertTable('i', meta());
    const expired = new Set<string>();
    storage.transaction(() => {
      for (let i = 0; i < count; i++) {
        const id = `row-${String(i).padStart(6, '0')}`;
        const old = i % 3 === 0;
        if (old) expired.add(id);
        storage.putRow(handle, encodeKey([{ name: 'id', value: { type: 'STRING', value: id } }]), new Map([['a', [v(old ? now - 2 * DAY : now - 1)]]]), now);
      }
    });
    return { storage, expired };
  }

  it('removes every expired row of a table larger than a chunk, and nothing else', () => {
    const count = SWEEP_CHUNK_ROWS * 2 + 17;
    const { storage, expired } = tableWithRows(count);
    const handle = storage.table('i', 't')!;
    sweepNow(storage, ['i'], now);
    expect(storage.countRows(handle)).toBe(count - expired.size);
    for (const row of storage.allRows(handle)) expect(expired.has(row.primaryKey[0]!.value.value as string)).toBe(false);
    storage.close();
  });

  it('runs in the background a chunk at a time, serving the event loop between chunks', async () => {
    const count = SWEEP_CHUNK_ROWS * 3 + 1;
    const { storage, expired } = tableWithRows(count);
    const handle = storage.table('i', 't')!;
    const sweeper = new BackgroundSweeper(() => sweepSteps(storage, ['i'], now));
    let turns = 0;
    const ticking = setInterval(() => turns++, 0);
    sweeper.kick();
    sweeper.kick(); // a sweep already running is not started twice
    // Right after the kick only the first chunk is done.
    expect(storage.countRows(handle)).toBeGreaterThan(count - expired.size);
    while (storage.countRows(handle) > count - expired.size) await new Promise((resolve) => setImmediate(resolve));
    clearInterval(ticking);
    expect(turns).toBeGreaterThan(0);
    sweeper.stop();
    storage.close();
  });
});
