import { join } from 'node:path';
import { encodeKey } from '../../scripts/local/emulators/tablestore/keys';
import { Storage } from '../../scripts/local/emulators/tablestore/storage';
import { BackgroundSweeper, SWEEP_CHUNK_ROWS, sweepNow, sweepSteps } from '../../scripts/local/emulators/tablestore/sweep';
import { encodeColumns, liveRow, storedRowExpired, type CellVersion, type TableMeta } from '../../scripts/local/emulators/tablestore/table';
import { tempDir } from '../helpers/temp';

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

  describe('skipping tables where nothing can have expired yet (D86)', () => {
    const key = (id: string) => encodeKey([{ name: 'id', value: { type: 'STRING', value: id } }]);
    const put = (storage: Storage, id: string, timestamp: number, writtenAt = timestamp) => storage.transaction(() => storage.putRow(storage.table('i', 't')!, key(id), new Map([['a', [v(timestamp)]]]), writtenAt));
    /** Sweeps at `at`, answering how many chunks it read and which rows are left. */
    const sweepAt = (storage: Storage, at: number) => {
      const chunks = jest.spyOn(storage, 'sweepChunk');
      try {
        sweepNow(storage, ['i'], at);
        return { chunks: chunks.mock.calls.length, rows: [...storage.allRows(storage.table('i', 't')!)].map((r) => r.primaryKey[0]!.value.value) };
      } finally {
        chunks.mockRestore();
      }
    };

    it('walks a table once after opening, then not again until its oldest row can have expired', () => {
      const dir = tempDir('ots-sweep-');
      const file = join(dir.path, 'ots.sqlite');
      const created = new Storage(file);
      created.insertTable('i', meta());
      put(created, 'a', now);
      created.close();
      const storage = new Storage(file);
      expect(sweepAt(storage, now)).toEqual({ chunks: 1, rows: ['a'] }); // the bound is unknown after opening
      put(storage, 'b', now + 1000);
      expect(sweepAt(storage, now + 2000)).toEqual({ chunks: 0, rows: ['a', 'b'] });
      expect(sweepAt(storage, now + DAY - 1)).toEqual({ chunks: 0, rows: ['a', 'b'] });
      expect(sweepAt(storage, now + DAY)).toEqual({ chunks: 1, rows: ['b'] });
      // The walk left only b: nothing older than its timestamp is held any more.
      expect(sweepAt(storage, now + 1000 + DAY - 1)).toEqual({ chunks: 0, rows: ['b'] });
      expect(sweepAt(storage, now + 1000 + DAY)).toEqual({ chunks: 1, rows: [] });
      storage.close();
      dir.cleanup();
    });

    it('does not walk a table it created until its oldest write can have expired (D153)', () => {
      const storage = new Storage(':memory:');
      storage.insertTable('i', meta());
      // Created empty: known from the start, so a table filled since the start is not read by the first sweep.
      expect(sweepAt(storage, now)).toEqual({ chunks: 0, rows: [] });
      put(storage, 'a', now);
      put(storage, 'b', now + 1000);
      expect(sweepAt(storage, now + DAY - 1)).toEqual({ chunks: 0, rows: ['a', 'b'] });
      expect(sweepAt(storage, now + DAY)).toEqual({ chunks: 1, rows: ['b'] });
      // An old cell timestamp a client sets lowers the bound at once.
      put(storage, 'old', now + 500, now + DAY);
      expect(sweepAt(storage, now + DAY + 499)).toEqual({ chunks: 0, rows: ['b', 'old'] });
      expect(sweepAt(storage, now + DAY + 500)).toEqual({ chunks: 1, rows: ['b'] });
      storage.close();
    });

    it('forgets the bound of a dropped table; a table created again under its name starts empty', () => {
      const storage = new Storage(':memory:');
      const first = storage.insertTable('i', meta());
      put(storage, 'a', now - DAY + 5);
      storage.dropTable(first);
      expect(storage.oldestWrite(first)).toBeUndefined();
      const again = storage.insertTable('i', meta());
      expect(again.id).not.toBe(first.id);
      expect(sweepAt(storage, now + 10)).toEqual({ chunks: 0, rows: [] });
      storage.close();
    });

    it('walks again when a write brings an older cell timestamp (a client may set one)', () => {
      const storage = new Storage(':memory:');
      storage.insertTable('i', meta());
      put(storage, 'young', now);
      sweepAt(storage, now);
      put(storage, 'old', now - DAY + 10, now);
      expect(sweepAt(storage, now + 5)).toEqual({ chunks: 0, rows: ['old', 'young'] });
      expect(sweepAt(storage, now + 10)).toEqual({ chunks: 1, rows: ['young'] });
      storage.close();
    });

    it('keeps the bound of rows written while a background walk is under way, and forgets it if the walk fails', async () => {
      const storage = new Storage(':memory:');
      storage.insertTable('i', meta());
      const handle = storage.table('i', 't')!;
      storage.transaction(() => {
        for (let i = 0; i < SWEEP_CHUNK_ROWS * 2; i++) storage.putRow(handle, key(`row-${String(i).padStart(6, '0')}`), new Map([['a', [v(now)]]]), now);
      });
      // The bound unknown, as for a table found on opening, so the sweep walks it.
      storage.oldestWalk.forget(handle);
      const steps = sweepSteps(storage, ['i'], now);
      steps.next(); // the first chunk walked
      // A row behind the walk's cursor, written with an old timestamp while it runs.
      put(storage, 'row-000000', now - DAY + 10, now);
      for (const step of steps) void step;
      expect(storage.oldestWrite(handle)).toBe(now - DAY + 10);
      expect(sweepAt(storage, now + 10).rows).not.toContain('row-000000');

      const failing = sweepSteps(storage, ['i'], now + 2 * DAY);
      const chunk = jest.spyOn(storage, 'sweepChunk').mockImplementationOnce(() => {
        throw new Error('disk full');
      });
      expect(() => failing.next()).toThrow('disk full');
      chunk.mockRestore();
      expect(storage.oldestWrite(handle)).toBeUndefined();
      storage.close();
    });
  });
});
