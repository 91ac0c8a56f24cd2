/**
 * The Table port contract: TableStore's wide-column semantics as `functions/_shared/ports/table.ts` states them,
 * checked the same way against every adapter and environment (`table.test.ts` runs it against TableStoreTable
 * talking to the local TableStore emulator over HTTP, and on the in-process emulator of `createMemoryTable`).
 *
 * Every test works in its own partition (a unique first primary key value), so tests never see each other's rows.
 */
import { randomUUID } from 'node:crypto';
import { ConditionFailedError, ValidationError } from '#shared/errors';
import { BATCH_WRITE_LIMIT, INF_MAX, INF_MIN, type BatchWriteOp, type PrimaryKey, type RangeBound, type RangeQuery, type Row, type Table, type TableSchema } from '#shared/ports/table';

/** The tables the contract uses; a factory must serve all of them. */
export const CONTRACT_TABLES = {
  kv: { name: 'contract_kv', primaryKey: [{ name: 'id', type: 'STRING' }] },
  other: { name: 'contract_other', primaryKey: [{ name: 'id', type: 'STRING' }] },
  /** TableStore's shortest TTL: one day. */
  ttl: { name: 'contract_ttl', primaryKey: [{ name: 'id', type: 'STRING' }], ttlSeconds: 86400 },
  byString: { name: 'contract_by_string', primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'k', type: 'STRING' }] },
  byInteger: { name: 'contract_by_integer', primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'k', type: 'INTEGER' }] },
  byBinary: { name: 'contract_by_binary', primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'k', type: 'BINARY' }] },
  multi: { name: 'contract_multi', primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'a', type: 'INTEGER' }, { name: 'b', type: 'STRING' }] },
} as const satisfies Record<string, TableSchema>;

export interface TableUnderTest {
  table: Table;
  /** Move the clock the adapter's TTL is measured with. */
  advanceClock(ms: number): void;
  close(): Promise<void>;
}

export type TableFactory = (schemas: readonly TableSchema[]) => Promise<TableUnderTest>;

const T = CONTRACT_TABLES;

/** Every row of one partition of a two-column-PK table, following nextStartPrimaryKey to the end. */
async function scanAll(table: Table, name: string, p: string, query: Partial<RangeQuery> & { direction?: 'FORWARD' | 'BACKWARD' } = {}): Promise<{ rows: Row[]; pages: number }> {
  const backward = query.direction === 'BACKWARD';
  const low: RangeBound = { p, k: INF_MIN };
  const high: RangeBound = { p, k: INF_MAX };
  let start: RangeQuery['start'] = backward ? high : low;
  const rows: Row[] = [];
  let pages = 0;
  for (;;) {
    const page = await table.getRange(name, { ...query, start, end: backward ? low : high });
    pages++;
    rows.push(...page.rows);
    if (!page.nextStartPrimaryKey) return { rows, pages };
    start = page.nextStartPrimaryKey;
    if (pages > 1000) throw new Error('paging does not end');
  }
}

export function describeTableContract(name: string, factory: TableFactory): void {
  describe(`Table contract: ${name}`, () => {
    let subject: TableUnderTest;
    let table: Table;
    const run = randomUUID().slice(0, 8);
    let seq = 0;
    /** An id (and partition) no other test uses. */
    const uid = (label = 'x') => `${label}-${run}-${++seq}`;

    beforeAll(async () => {
      subject = await factory(Object.values(CONTRACT_TABLES));
      table = subject.table;
    });

    afterAll(async () => {
      await subject.close();
    });

    describe('primary key order', () => {
      it('orders STRING keys byte-wise (UTF-8), not by UTF-16 code units', async () => {
        const p = uid('str');
        // UTF-16 puts '😀' (D83D…) before 'ｚ' (FF5A); UTF-8 bytes put 'ｚ' (EF…) before '😀' (F0…).
        const keys = ['b', 'ｚ', 'a', 'B', 'aa', '😀', 'é', 'a b', 'Z'];
        await Promise.all(keys.map((k) => table.putRow(T.byString.name, { p, k }, { v: k })));
        const expected = [...keys].sort((x, y) => Buffer.compare(Buffer.from(x), Buffer.from(y)));
        expect(expected.indexOf('ｚ')).toBeLessThan(expected.indexOf('😀'));
        const { rows } = await scanAll(table, T.byString.name, p);
        expect(rows.map((r) => r.primaryKey.k)).toEqual(expected);
        const back = await scanAll(table, T.byString.name, p, { direction: 'BACKWARD' });
        expect(back.rows.map((r) => r.primaryKey.k)).toEqual([...expected].reverse());
      });

      it('orders INTEGER keys as signed numbers, negatives first', async () => {
        const p = uid('int');
        const keys = [3, -1, 0, -5, 2 ** 40, -(2 ** 40), Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER, 10, 9];
        await Promise.all(keys.map((k) => table.putRow(T.byInteger.name, { p, k }, { v: k })));
        const { rows } = await scanAll(table, T.byInteger.name, p);
        expect(rows.map((r) => r.primaryKey.k)).toEqual([...keys].sort((a, b) => a - b));
        expect(rows.map((r) => r.attributes.v)).toEqual([...keys].sort((a, b) => a - b));
      });

      it('orders BINARY keys byte-wise, a prefix before its extensions', async () => {
        const p = uid('bin');
        const keys = [[0x01], [0x00, 0x00], [0xff], [0x00], [0x00, 0x01], [0x7f, 0xff], [0x80]].map((b) => Buffer.from(b));
        await Promise.all(keys.map((k, i) => table.putRow(T.byBinary.name, { p, k }, { i })));
        const { rows } = await scanAll(table, T.byBinary.name, p);
        const got = rows.map((r) => Buffer.from(r.primaryKey.k as Uint8Array).toString('hex'));
        expect(got).toEqual(['00', '0000', '0001', '01', '7fff', '80', 'ff']);
      });

      it('orders multi-column keys column by column', async () => {
        const p = uid('multi');
        const keys: [number, string][] = [
          [2, 'a'],
          [1, 'z'],
          [-3, 'm'],
          [1, 'b'],
          [2, ''],
          [-3, 'a'],
        ];
        // Key properties in any order name the same row; reads list them in schema order.
        await Promise.all(keys.map(([a, b], i) => table.putRow(T.multi.name, i % 2 ? { b, a, p } : { p, a, b }, { v: `${a}/${b}` })));
        const page = await table.getRange(T.multi.name, { start: { p, a: INF_MIN, b: INF_MIN }, end: { p, a: INF_MAX, b: INF_MAX } });
        expect(page.rows.map((r) => r.attributes.v)).toEqual(['-3/a', '-3/m', '1/b', '1/z', '2/', '2/a']);
        expect(page.rows.map((r) => Object.keys(r.primaryKey).join())).toEqual(Array(6).fill('p,a,b'));
        // A bound may fix a prefix and leave the rest open.
        const ones = await table.getRange(T.multi.name, { start: { p, a: 1, b: INF_MIN }, end: { p, a: 1, b: INF_MAX } });
        expect(ones.rows.map((r) => r.primaryKey)).toEqual([
          { p, a: 1, b: 'b' },
          { p, a: 1, b: 'z' },
        ]);
      });
    });

    describe('putRow / getRow / deleteRow', () => {
      it('reads back what was put, and undefined for a missing row', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { name: 'cat', size: 3, ratio: 0.5, ok: true, empty: '' });
        expect(await table.getRow(T.kv.name, { id })).toEqual({ primaryKey: { id }, attributes: { name: 'cat', size: 3, ratio: 0.5, ok: true, empty: '' } });
        expect(await table.getRow(T.kv.name, { id: uid('missing') })).toBeUndefined();
      });

      it('put replaces the whole row', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { a: 1, b: 'two' });
        await table.putRow(T.kv.name, { id }, { c: true });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ c: true });
      });

      it('a row with no attributes exists', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, {});
        expect(await table.getRow(T.kv.name, { id })).toEqual({ primaryKey: { id }, attributes: {} });
      });

      it('projects columns; a row with none of them reads as missing', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { a: 1, b: 2, c: 3 });
        expect((await table.getRow(T.kv.name, { id }, { columns: ['a', 'c', 'nope'] }))?.attributes).toEqual({ a: 1, c: 3 });
        expect(await table.getRow(T.kv.name, { id }, { columns: ['nope'] })).toBeUndefined();
      });

      it('deletes a row; deleting a missing row is fine', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { a: 1 });
        await table.deleteRow(T.kv.name, { id });
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
        await expect(table.deleteRow(T.kv.name, { id })).resolves.toBeUndefined();
      });
    });

    describe('values', () => {
      it('round-trips binary values with every byte value, from Buffer or Uint8Array', async () => {
        const id = uid();
        const all = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await table.putRow(T.kv.name, { id }, { buf: all, u8: new Uint8Array([0, 255, 0]), none: Buffer.alloc(0) });
        const row = await table.getRow(T.kv.name, { id });
        expect(row?.attributes.buf).toBeInstanceOf(Uint8Array);
        expect(Buffer.from(row?.attributes.buf as Uint8Array).equals(all)).toBe(true);
        expect([...(row?.attributes.u8 as Uint8Array)]).toEqual([0, 255, 0]);
        expect((row?.attributes.none as Uint8Array).length).toBe(0);
      });

      it('round-trips strings and booleans, including unicode and NUL', async () => {
        const id = uid();
        const attributes = { text: 'naïve café 😀 漢字', nul: 'a\u0000b', yes: true, no: false };
        await table.putRow(T.kv.name, { id }, attributes);
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual(attributes);
      });

      it('keeps integers as INTEGER and other numbers as DOUBLE', async () => {
        const id = uid();
        const attributes = { int: 42, neg: -7, zero: 0, big: Number.MAX_SAFE_INTEGER, small: Number.MIN_SAFE_INTEGER, dbl: 2.5, tiny: -1e-9, huge: 1.5e300 };
        await table.putRow(T.kv.name, { id }, attributes);
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual(attributes);
        // Only INTEGER cells can be incremented: proof of the stored type.
        await expect(table.updateRow(T.kv.name, { id }, { increment: { int: 1 } }, { returnColumns: ['int'] })).resolves.toEqual({ int: 43 });
        await expect(table.updateRow(T.kv.name, { id }, { increment: { dbl: 1 } })).rejects.toBeInstanceOf(ValidationError);
      });

      it('stores integers beyond the safe range as DOUBLE, exactly as JavaScript holds them', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { big: 2 ** 60, negative: -(2 ** 70) });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ big: 2 ** 60, negative: -(2 ** 70) });
        await expect(table.updateRow(T.kv.name, { id }, { increment: { big: 1 } })).rejects.toBeInstanceOf(ValidationError);
      });

      it('takes values up to 2 MiB and primary key values up to 1 KiB, and refuses longer ones', async () => {
        const id = uid();
        const limit = 2 * 1024 * 1024;
        await table.putRow(T.kv.name, { id }, { blob: Buffer.alloc(limit, 7) });
        // A second column of 2 MiB goes in its own write: one PutRow/UpdateRow carries at most 4 MB.
        await table.updateRow(T.kv.name, { id }, { put: { text: 'é'.repeat(limit / 2) } });
        const row = await table.getRow(T.kv.name, { id });
        expect((row?.attributes.blob as Uint8Array).length).toBe(limit);
        expect(Buffer.byteLength(row?.attributes.text as string)).toBe(limit);
        await expect(table.putRow(T.kv.name, { id }, { blob: Buffer.alloc(limit + 1) })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id }, { put: { text: 'x'.repeat(limit + 1) } })).rejects.toBeInstanceOf(ValidationError);
        const longest = `${id}-`.padEnd(1024, 'k');
        await table.putRow(T.kv.name, { id: longest }, { v: 1 });
        expect((await table.getRow(T.kv.name, { id: longest }))?.attributes).toEqual({ v: 1 });
        await expect(table.putRow(T.kv.name, { id: `${longest}k` }, { v: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.getRow(T.byBinary.name, { p: 'x', k: Buffer.alloc(1025) })).rejects.toBeInstanceOf(ValidationError);
      });

      it('refuses numbers that are not finite', async () => {
        const id = uid();
        await expect(table.putRow(T.kv.name, { id }, { n: Number.NaN })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id }, { put: { n: Number.POSITIVE_INFINITY } })).rejects.toBeInstanceOf(ValidationError);
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
      });
    });

    describe('updateRow', () => {
      it('creates a missing row', async () => {
        const id = uid();
        await table.updateRow(T.kv.name, { id }, { put: { a: 'x' } });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ a: 'x' });
      });

      it('changes only the named columns and deletes columns', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { a: 1, b: 2, c: 3 });
        await table.updateRow(T.kv.name, { id }, { put: { b: 'two', d: 4.5 }, delete: ['c', 'absent'] });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ a: 1, b: 'two', d: 4.5 });
      });

      it('refuses an update that changes nothing', async () => {
        await expect(table.updateRow(T.kv.name, { id: uid() }, {})).rejects.toBeInstanceOf(ValidationError);
      });

      it('refuses naming one column twice in an update', async () => {
        const id = uid();
        await expect(table.updateRow(T.kv.name, { id }, { put: { n: 1 }, increment: { n: 1 } })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id }, { put: { n: 1 }, delete: ['n'] })).rejects.toBeInstanceOf(ValidationError);
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
      });
    });

    describe('increments', () => {
      it('counts a missing column from 0, accepts negative deltas, returns the new value', async () => {
        const id = uid();
        expect(await table.updateRow(T.kv.name, { id }, { increment: { n: 5 } }, { returnColumns: ['n'] })).toEqual({ n: 5 });
        expect(await table.updateRow(T.kv.name, { id }, { increment: { n: -7 } }, { returnColumns: ['n'] })).toEqual({ n: -2 });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ n: -2 });
      });

      it('returns nothing unless asked, and only the columns the update changed', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { untouched: 'x', n: 1 });
        expect(await table.updateRow(T.kv.name, { id }, { increment: { n: 1 } })).toEqual({});
        expect(await table.updateRow(T.kv.name, { id }, { increment: { n: 1, m: 10 }, put: { label: 'y' } }, { returnColumns: ['n', 'm', 'label', 'untouched', 'absent'] })).toEqual({ n: 3, m: 10, label: 'y' });
      });

      it('is atomic: concurrent increments lose nothing', async () => {
        const id = uid();
        await Promise.all(Array.from({ length: 40 }, () => table.updateRow(T.kv.name, { id }, { increment: { hits: 1 } })));
        expect((await table.getRow(T.kv.name, { id }))?.attributes.hits).toBe(40);
      });

      it('refuses non-integer deltas and columns that are not INTEGER', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { s: 'text', d: 1.5 });
        await expect(table.updateRow(T.kv.name, { id }, { increment: { n: 1.5 } })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id }, { increment: { s: 1 } })).rejects.toBeInstanceOf(ValidationError);
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ s: 'text', d: 1.5 });
      });
    });

    describe('row existence conditions', () => {
      it('EXPECT_NOT_EXIST: put only when absent', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { v: 1 }, { condition: { row: 'EXPECT_NOT_EXIST' } });
        await expect(table.putRow(T.kv.name, { id }, { v: 2 }, { condition: { row: 'EXPECT_NOT_EXIST' } })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.updateRow(T.kv.name, { id }, { put: { v: 3 } }, { condition: { row: 'EXPECT_NOT_EXIST' } })).rejects.toBeInstanceOf(ConditionFailedError);
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ v: 1 });
      });

      it('EXPECT_EXIST: write only when present, and create nothing otherwise', async () => {
        const id = uid();
        await expect(table.putRow(T.kv.name, { id }, { v: 1 }, { condition: { row: 'EXPECT_EXIST' } })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.updateRow(T.kv.name, { id }, { increment: { n: 1 } }, { condition: { row: 'EXPECT_EXIST' } })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.deleteRow(T.kv.name, { id }, { condition: { row: 'EXPECT_EXIST' } })).rejects.toBeInstanceOf(ConditionFailedError);
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
        await table.putRow(T.kv.name, { id }, { v: 1 });
        await table.updateRow(T.kv.name, { id }, { put: { v: 2 } }, { condition: { row: 'EXPECT_EXIST' } });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ v: 2 });
        await table.deleteRow(T.kv.name, { id }, { condition: { row: 'EXPECT_EXIST' } });
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
      });

      it('IGNORE: always writes', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, { v: 1 }, { condition: { row: 'IGNORE' } });
        await table.putRow(T.kv.name, { id }, { v: 2 }, { condition: { row: 'IGNORE' } });
        await table.deleteRow(T.kv.name, { id }, { condition: { row: 'IGNORE' } });
        await table.deleteRow(T.kv.name, { id }, { condition: { row: 'IGNORE' } });
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
      });

      it('deleteRow refuses EXPECT_NOT_EXIST (TableStore allows IGNORE and EXPECT_EXIST only)', async () => {
        await expect(table.deleteRow(T.kv.name, { id: uid() }, { condition: { row: 'EXPECT_NOT_EXIST' } })).rejects.toBeInstanceOf(ValidationError);
      });

      it('throws ConditionFailedError with status 409', async () => {
        const id = uid();
        await table.putRow(T.kv.name, { id }, {});
        const error = await table.putRow(T.kv.name, { id }, {}, { condition: { row: 'EXPECT_NOT_EXIST' } }).catch((e: unknown) => e);
        expect(error).toBeInstanceOf(ConditionFailedError);
        expect(error).toMatchObject({ status: 409, code: 'ConditionCheckFail' });
      });
    });

    describe('column conditions', () => {
      const put = async (attributes: Record<string, string | number | boolean>) => {
        const id = uid('cond');
        await table.putRow(T.kv.name, { id }, attributes);
        return id;
      };
      const passes = async (id: string, columns: NonNullable<Parameters<Table['putRow']>[3]>['condition']) => {
        try {
          await table.updateRow(T.kv.name, { id }, { increment: { writes: 1 } }, { condition: columns ?? {} });
          return true;
        } catch (err) {
          if (err instanceof ConditionFailedError) return false;
          throw err;
        }
      };

      it('compares with EQ, NE, GT, GE, LT, LE', async () => {
        const id = await put({ n: 5, s: 'm' });
        const cases: [Parameters<typeof passes>[1], boolean][] = [
          [{ columns: { column: 'n', op: 'EQ', value: 5 } }, true],
          [{ columns: { column: 'n', op: 'EQ', value: 6 } }, false],
          [{ columns: { column: 'n', op: 'NE', value: 6 } }, true],
          [{ columns: { column: 'n', op: 'GT', value: 4 } }, true],
          [{ columns: { column: 'n', op: 'GT', value: 5 } }, false],
          [{ columns: { column: 'n', op: 'GE', value: 5 } }, true],
          [{ columns: { column: 'n', op: 'LT', value: 5 } }, false],
          [{ columns: { column: 'n', op: 'LE', value: 5 } }, true],
          [{ columns: { column: 's', op: 'LT', value: 'n' } }, true],
          [{ columns: { column: 's', op: 'GT', value: 'n' } }, false],
        ];
        for (const [condition, expected] of cases) expect([condition, await passes(id, condition)]).toEqual([condition, expected]);
        expect((await table.getRow(T.kv.name, { id }))?.attributes.writes).toBe(cases.filter(([, ok]) => ok).length);
      });

      it('passIfMissing: a missing column passes by default and fails when false', async () => {
        const id = await put({ n: 1 });
        expect(await passes(id, { columns: { column: 'absent', op: 'EQ', value: 'x' } })).toBe(true);
        expect(await passes(id, { columns: { column: 'absent', op: 'EQ', value: 'x', passIfMissing: false } })).toBe(false);
        expect(await passes(id, { columns: { column: 'n', op: 'EQ', value: 1, passIfMissing: false } })).toBe(true);
      });

      it('combines with AND, OR and NOT', async () => {
        const id = await put({ state: 'PENDING', attempts: 2 });
        const pending = { column: 'state', op: 'EQ', value: 'PENDING' } as const;
        const few = { column: 'attempts', op: 'LT', value: 2 } as const;
        expect(await passes(id, { columns: { and: [pending, few] } })).toBe(false);
        expect(await passes(id, { columns: { or: [pending, few] } })).toBe(true);
        expect(await passes(id, { columns: { not: few } })).toBe(true);
        expect(await passes(id, { columns: { not: { or: [pending, few] } } })).toBe(false);
        expect(await passes(id, { columns: { and: [pending, { not: few }, { or: [few, { column: 'attempts', op: 'EQ', value: 2 }] }] } })).toBe(true);
      });

      it('takes at most 10 conditions, counting the leaves of nested AND/OR/NOT, as TableStore does (D135, D149)', async () => {
        const id = await put({ n: 1 });
        const leaf = (i: number) => ({ column: `c${i}`, op: 'NE', value: i }) as const;
        const leaves = (count: number) => Array.from({ length: count }, (_, i) => leaf(i));
        expect(await passes(id, { columns: { and: leaves(10) } })).toBe(true);
        expect(await passes(id, { columns: { or: [{ not: { and: leaves(9) } }, leaf(9)] } })).toBe(true);
        const refused = await table.updateRow(T.kv.name, { id }, { put: { v: 1 } }, { condition: { columns: { or: [{ not: { and: leaves(10) } }, leaf(10)] } } }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ValidationError);
        expect((refused as ValidationError).message).toBe('condition.columns: 11 conditions; TableStore takes at most 10 in one condition or filter');
        expect((await table.getRow(T.kv.name, { id }))?.attributes).not.toHaveProperty('v');
      });

      it('combines a row existence expectation with a column condition', async () => {
        const id = await put({ state: 'PAID' });
        expect(await passes(id, { row: 'EXPECT_EXIST', columns: { column: 'state', op: 'EQ', value: 'PAID' } })).toBe(true);
        expect(await passes(id, { row: 'EXPECT_EXIST', columns: { column: 'state', op: 'EQ', value: 'PENDING' } })).toBe(false);
        // On a missing row every column is missing: passIfMissing decides.
        const missing = uid('missing');
        expect(await passes(missing, { row: 'IGNORE', columns: { column: 'state', op: 'EQ', value: 'PAID', passIfMissing: false } })).toBe(false);
        expect(await table.getRow(T.kv.name, { id: missing })).toBeUndefined();
      });

      it('a failed condition on putRow and deleteRow changes nothing', async () => {
        const id = await put({ version: 1 });
        const stale = { columns: { column: 'version', op: 'EQ', value: 0 } } as const;
        await expect(table.putRow(T.kv.name, { id }, { version: 2 }, { condition: stale })).rejects.toBeInstanceOf(ConditionFailedError);
        await expect(table.deleteRow(T.kv.name, { id }, { condition: stale })).rejects.toBeInstanceOf(ConditionFailedError);
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ version: 1 });
        await table.putRow(T.kv.name, { id }, { version: 2 }, { condition: { columns: { column: 'version', op: 'EQ', value: 1 } } });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ version: 2 });
      });
    });

    describe('getRange', () => {
      const seed = async (count: number, attributes: (k: number) => Record<string, string | number | boolean> = (k) => ({ v: k })) => {
        const p = uid('range');
        await table.batchWriteRow(Array.from({ length: count }, (_, k) => ({ type: 'PUT', table: T.byInteger.name, primaryKey: { p, k }, attributes: attributes(k) })));
        return p;
      };
      const ks = (rows: Row[]) => rows.map((r) => r.primaryKey.k);

      it('is start-inclusive and end-exclusive, FORWARD and BACKWARD', async () => {
        const p = await seed(10);
        const forward = await table.getRange(T.byInteger.name, { start: { p, k: 2 }, end: { p, k: 5 } });
        expect(ks(forward.rows)).toEqual([2, 3, 4]);
        expect(forward.nextStartPrimaryKey).toBeUndefined();
        const backward = await table.getRange(T.byInteger.name, { direction: 'BACKWARD', start: { p, k: 5 }, end: { p, k: 2 } });
        expect(ks(backward.rows)).toEqual([5, 4, 3]);
        const toEnd = await table.getRange(T.byInteger.name, { start: { p, k: 7 }, end: { p, k: INF_MAX } });
        expect(ks(toEnd.rows)).toEqual([7, 8, 9]);
        const fromTop = await table.getRange(T.byInteger.name, { direction: 'BACKWARD', start: { p, k: INF_MAX }, end: { p, k: 7 } });
        expect(ks(fromTop.rows)).toEqual([9, 8]);
      });

      it('returns the primary key and attributes of each row', async () => {
        const p = await seed(2, (k) => ({ label: `row ${k}`, k2: k * 2 }));
        const page = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX } });
        expect(page.rows).toEqual([
          { primaryKey: { p, k: 0 }, attributes: { label: 'row 0', k2: 0 } },
          { primaryKey: { p, k: 1 }, attributes: { label: 'row 1', k2: 2 } },
        ]);
      });

      it('pages with limit and nextStartPrimaryKey without repeats or gaps, both directions', async () => {
        const p = await seed(23);
        const forward = await scanAll(table, T.byInteger.name, p, { limit: 5 });
        expect(ks(forward.rows)).toEqual(Array.from({ length: 23 }, (_, k) => k));
        expect(forward.pages).toBeGreaterThanOrEqual(5);
        const backward = await scanAll(table, T.byInteger.name, p, { limit: 4, direction: 'BACKWARD' });
        expect(ks(backward.rows)).toEqual(Array.from({ length: 23 }, (_, k) => 22 - k));
        const first = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, limit: 5 });
        expect(ks(first.rows)).toEqual([0, 1, 2, 3, 4]);
        expect(first.nextStartPrimaryKey).toEqual({ p, k: 5 });
      });

      it('stops a page without limit at 5 000 rows and says where the next one starts', async () => {
        const p = uid('big');
        const total = 5_050;
        for (let from = 0; from < total; from += BATCH_WRITE_LIMIT) {
          const ops: BatchWriteOp[] = [];
          for (let k = from; k < Math.min(from + BATCH_WRITE_LIMIT, total); k++) ops.push({ type: 'PUT', table: T.byInteger.name, primaryKey: { p, k }, attributes: { v: k } });
          expect((await table.batchWriteRow(ops)).every((r) => r.ok)).toBe(true);
        }
        const first = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX } });
        expect(first.rows.length).toBeLessThanOrEqual(5_000);
        expect(first.nextStartPrimaryKey).toEqual({ p, k: first.rows.length });
        const all = await scanAll(table, T.byInteger.name, p);
        expect(ks(all.rows)).toEqual(Array.from({ length: total }, (_, k) => k));
      });

      it('projects columns', async () => {
        const p = await seed(3, (k) => ({ a: k, b: `b${k}`, c: true }));
        const page = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, columns: ['b', 'zzz'] });
        expect(page.rows.map((r) => r.attributes)).toEqual([{ b: 'b0' }, { b: 'b1' }, { b: 'b2' }]);
      });

      it('filters rows, also while paging', async () => {
        const p = await seed(30, (k) => ({ parity: k % 2 === 0 ? 'even' : 'odd', k3: k % 3 }));
        const even = { column: 'parity', op: 'EQ', value: 'even' } as const;
        const all = await scanAll(table, T.byInteger.name, p, { filter: even });
        expect(ks(all.rows)).toEqual(Array.from({ length: 15 }, (_, i) => i * 2));
        const paged = await scanAll(table, T.byInteger.name, p, { filter: { and: [even, { not: { column: 'k3', op: 'EQ', value: 0 } }] }, limit: 3 });
        expect(ks(paged.rows)).toEqual([2, 4, 8, 10, 14, 16, 20, 22, 26, 28]);
      });

      it('refuses a filter of more than 10 conditions by name, as TableStore does (D149)', async () => {
        const p = await seed(2);
        const leaves = Array.from({ length: 11 }, (_, i) => ({ column: 'v', op: 'NE', value: 100 + i }) as const);
        expect((await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, filter: { and: leaves.slice(0, 10) } })).rows).toHaveLength(2);
        const refused = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, filter: { and: leaves } }).catch((e: unknown) => e);
        expect(refused).toBeInstanceOf(ValidationError);
        expect((refused as ValidationError).message).toBe('filter: 11 conditions; TableStore takes at most 10 in one condition or filter');
      });

      it('filters on a column the projection leaves out', async () => {
        const p = await seed(6, (k) => ({ label: `r${k}`, big: k >= 3 ? 'yes' : 'no' }));
        const page = await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, columns: ['label'], filter: { column: 'big', op: 'EQ', value: 'yes', passIfMissing: false } });
        expect(page.rows.map((r) => r.attributes)).toEqual([{ label: 'r3' }, { label: 'r4' }, { label: 'r5' }]);
      });

      it('returns nothing for an empty partition', async () => {
        const p = uid('empty');
        expect(await table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX } })).toEqual({ rows: [] });
      });

      it('refuses a start that is not before the end (after it, BACKWARD) and a limit below 1', async () => {
        const p = uid('bad');
        await expect(table.getRange(T.byInteger.name, { start: { p, k: 5 }, end: { p, k: 5 } })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.getRange(T.byInteger.name, { start: { p, k: 6 }, end: { p, k: 5 } })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.getRange(T.byInteger.name, { direction: 'BACKWARD', start: { p, k: 5 }, end: { p, k: 6 } })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.getRange(T.byInteger.name, { start: { p, k: INF_MIN }, end: { p, k: INF_MAX }, limit: 0 })).rejects.toBeInstanceOf(ValidationError);
      });

      it('needs every primary key column in a bound', async () => {
        await expect(table.getRange(T.byInteger.name, { start: { p: 'x' }, end: { p: 'y' } })).rejects.toBeInstanceOf(ValidationError);
      });
    });

    describe('batchGetRow', () => {
      it('answers in the order asked, undefined for missing rows, the same row twice when asked twice', async () => {
        const [a, b, c] = [uid(), uid(), uid()];
        await table.putRow(T.kv.name, { id: a }, { v: 'a', w: 1 });
        await table.putRow(T.kv.name, { id: c }, { v: 'c', w: 3 });
        const rows = await table.batchGetRow(T.kv.name, [{ id: c }, { id: b }, { id: a }, { id: c }]);
        expect(rows.map((r) => r?.attributes.v)).toEqual(['c', undefined, 'a', 'c']);
        expect(rows[0]).toEqual({ primaryKey: { id: c }, attributes: { v: 'c', w: 3 } });
        const projected = await table.batchGetRow(T.kv.name, [{ id: a }], { columns: ['w'] });
        expect(projected).toEqual([{ primaryKey: { id: a }, attributes: { w: 1 } }]);
        expect(await table.batchGetRow(T.kv.name, [])).toEqual([]);
      });

      it('refuses more than 100 keys', async () => {
        const keys = Array.from({ length: 101 }, () => ({ id: uid() }));
        await expect(table.batchGetRow(T.kv.name, keys)).rejects.toBeInstanceOf(ValidationError);
        await expect(table.batchGetRow(T.kv.name, keys.slice(0, 100))).resolves.toHaveLength(100);
      });
    });

    describe('batchWriteRow', () => {
      it('applies PUT, UPDATE and DELETE across tables and answers per row in order', async () => {
        const [a, b, c, d] = [uid(), uid(), uid(), uid()];
        await table.putRow(T.kv.name, { id: b }, { n: 1 });
        await table.putRow(T.kv.name, { id: c }, { gone: true });
        const results = await table.batchWriteRow([
          { type: 'PUT', table: T.kv.name, primaryKey: { id: a }, attributes: { v: 'a' } },
          { type: 'PUT', table: T.other.name, primaryKey: { id: d }, attributes: { v: 'other' } },
          { type: 'UPDATE', table: T.kv.name, primaryKey: { id: b }, update: { increment: { n: 2 }, put: { tag: 'x' } } },
          { type: 'DELETE', table: T.kv.name, primaryKey: { id: c } },
        ]);
        expect(results).toEqual([{ ok: true }, { ok: true }, { ok: true }, { ok: true }]);
        expect((await table.getRow(T.kv.name, { id: a }))?.attributes).toEqual({ v: 'a' });
        expect((await table.getRow(T.other.name, { id: d }))?.attributes).toEqual({ v: 'other' });
        expect((await table.getRow(T.kv.name, { id: b }))?.attributes).toEqual({ n: 3, tag: 'x' });
        expect(await table.getRow(T.kv.name, { id: c })).toBeUndefined();
        expect(await table.getRow(T.other.name, { id: a })).toBeUndefined();
      });

      it('fails rows on their own: the others are applied', async () => {
        const [exists, fresh, other, counter] = [uid(), uid(), uid(), uid()];
        await table.putRow(T.kv.name, { id: exists }, { v: 'old' });
        await table.putRow(T.kv.name, { id: counter }, { n: 'not a number' });
        const results = await table.batchWriteRow([
          { type: 'PUT', table: T.kv.name, primaryKey: { id: exists }, attributes: { v: 'new' }, condition: { row: 'EXPECT_NOT_EXIST' } },
          { type: 'PUT', table: T.kv.name, primaryKey: { id: fresh }, attributes: { v: 'fresh' }, condition: { row: 'EXPECT_NOT_EXIST' } },
          { type: 'UPDATE', table: T.other.name, primaryKey: { id: other }, update: { put: { v: 1 } }, condition: { row: 'EXPECT_EXIST' } },
          { type: 'UPDATE', table: T.kv.name, primaryKey: { id: counter }, update: { increment: { n: 1 } } },
        ]);
        expect(results[0]).toMatchObject({ ok: false, code: 'OTSConditionCheckFail' });
        expect(results[1]).toEqual({ ok: true });
        expect(results[2]).toMatchObject({ ok: false, code: 'OTSConditionCheckFail' });
        expect(results[3]).toMatchObject({ ok: false, code: 'OTSParameterInvalid' });
        expect((await table.getRow(T.kv.name, { id: exists }))?.attributes).toEqual({ v: 'old' });
        expect((await table.getRow(T.kv.name, { id: fresh }))?.attributes).toEqual({ v: 'fresh' });
        expect(await table.getRow(T.other.name, { id: other })).toBeUndefined();
        expect((await table.getRow(T.kv.name, { id: counter }))?.attributes).toEqual({ n: 'not a number' });
      });

      it('takes 200 rows and refuses 201', async () => {
        const p = uid('limit');
        const ops = (n: number): BatchWriteOp[] => Array.from({ length: n }, (_, k) => ({ type: 'PUT', table: T.byInteger.name, primaryKey: { p, k }, attributes: { n: k } }));
        await expect(table.batchWriteRow(ops(BATCH_WRITE_LIMIT + 1))).rejects.toBeInstanceOf(ValidationError);
        expect(await table.getRow(T.byInteger.name, { p, k: 0 })).toBeUndefined();
        const results = await table.batchWriteRow(ops(BATCH_WRITE_LIMIT));
        expect(results.every((r) => r.ok)).toBe(true);
        expect((await scanAll(table, T.byInteger.name, p)).rows).toHaveLength(BATCH_WRITE_LIMIT);
      });

      it('refuses the same primary key twice (whatever the key order) and writes nothing', async () => {
        const p = uid('dup');
        const id = uid();
        await expect(
          table.batchWriteRow([
            { type: 'PUT', table: T.kv.name, primaryKey: { id }, attributes: { v: 1 } },
            { type: 'UPDATE', table: T.kv.name, primaryKey: { id }, update: { put: { v: 2 } } },
          ]),
        ).rejects.toBeInstanceOf(ValidationError);
        await expect(
          table.batchWriteRow([
            { type: 'PUT', table: T.multi.name, primaryKey: { p, a: 1, b: 'x' }, attributes: { v: 1 } },
            { type: 'DELETE', table: T.multi.name, primaryKey: { b: 'x', a: 1, p } as PrimaryKey },
          ]),
        ).rejects.toBeInstanceOf(ValidationError);
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
        expect(await table.getRow(T.multi.name, { p, a: 1, b: 'x' })).toBeUndefined();
        // The same key in two different tables is two rows.
        const both = await table.batchWriteRow([
          { type: 'PUT', table: T.kv.name, primaryKey: { id }, attributes: { v: 'kv' } },
          { type: 'PUT', table: T.other.name, primaryKey: { id }, attributes: { v: 'other' } },
        ]);
        expect(both).toEqual([{ ok: true }, { ok: true }]);
      });

      it('answers an empty batch with no results', async () => {
        expect(await table.batchWriteRow([])).toEqual([]);
      });
    });

    describe('TTL', () => {
      /** Moves the clock by sixtieths of the table's TTL (a day), so the steps read like seconds of a minute. */
      const advance = (sixtieths: number) => subject.advanceClock((sixtieths * T.ttl.ttlSeconds * 1000) / 60);

      it('expires each cell by its write time; a row whose cells all expired is gone', async () => {
        const id = uid();
        await table.putRow(T.ttl.name, { id }, { a: 1, b: 2 });
        advance(40);
        await table.updateRow(T.ttl.name, { id }, { put: { b: 3 } });
        advance(30); // a is 70/60 of the TTL old, b 30/60
        expect((await table.getRow(T.ttl.name, { id }))?.attributes).toEqual({ b: 3 });
        advance(31);
        expect(await table.getRow(T.ttl.name, { id })).toBeUndefined();
        expect(await table.batchGetRow(T.ttl.name, [{ id }])).toEqual([undefined]);
      });

      it('expires a row without attributes by its write time', async () => {
        const id = uid();
        await table.putRow(T.ttl.name, { id }, {});
        advance(59);
        expect(await table.getRow(T.ttl.name, { id })).toEqual({ primaryKey: { id }, attributes: {} });
        advance(2);
        expect(await table.getRow(T.ttl.name, { id })).toBeUndefined();
      });

      it('hides expired rows from ranges and conditions, and increments restart from 0', async () => {
        const [old, young] = [uid('old'), uid('young')];
        await table.putRow(T.ttl.name, { id: old }, { n: 10 });
        advance(50);
        await table.putRow(T.ttl.name, { id: young }, { n: 1 });
        advance(20);
        const page = await table.getRange(T.ttl.name, { start: { id: old }, end: { id: INF_MAX } });
        expect(page.rows.map((r) => r.primaryKey.id)).toEqual(expect.arrayContaining([young]));
        expect(page.rows.map((r) => r.primaryKey.id)).not.toContain(old);
        await table.putRow(T.ttl.name, { id: old }, { n: 0 }, { condition: { row: 'EXPECT_NOT_EXIST' } });
        const [expiredCounter] = [uid('counter')];
        await table.updateRow(T.ttl.name, { id: expiredCounter }, { increment: { n: 5 } });
        advance(61);
        expect(await table.updateRow(T.ttl.name, { id: expiredCounter }, { increment: { n: 1 } }, { returnColumns: ['n'] })).toEqual({ n: 1 });
      });
    });

    describe('validation', () => {
      it('refuses unknown tables and malformed primary keys', async () => {
        await expect(table.getRow('no_such_table', { id: 'x' })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.putRow(T.kv.name, {}, { v: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.putRow(T.kv.name, { id: 1 }, { v: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.putRow(T.kv.name, { id: 'x', extra: 'y' }, { v: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.putRow(T.byInteger.name, { p: 'x', k: 1.5 }, { v: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.getRow(T.byBinary.name, { p: 'x', k: 'not bytes' })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.batchGetRow(T.byInteger.name, [{ p: 'x', k: '1' }])).rejects.toBeInstanceOf(ValidationError);
      });

      it('refuses column names TableStore refuses, and attributes named like a primary key column', async () => {
        const id = uid();
        for (const name of ['has space', '1st', 'dash-ed', 'ünï', '']) {
          await expect(table.putRow(T.kv.name, { id }, { [name]: 1 })).rejects.toBeInstanceOf(ValidationError);
        }
        await expect(table.putRow(T.kv.name, { id }, { id: 'again' })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id }, { put: { id: 'again' } })).rejects.toBeInstanceOf(ValidationError);
        expect(await table.getRow(T.kv.name, { id })).toBeUndefined();
        await table.putRow(T.kv.name, { id }, { _ok: 1, Mixed_Case9: 2 });
        expect((await table.getRow(T.kv.name, { id }))?.attributes).toEqual({ _ok: 1, Mixed_Case9: 2 });
      });

      it('reserves the attribute name "timestamp" (the tablestore SDK reads it as the cell version)', async () => {
        await expect(table.putRow(T.kv.name, { id: uid() }, { timestamp: 1 })).rejects.toBeInstanceOf(ValidationError);
        await expect(table.updateRow(T.kv.name, { id: uid() }, { increment: { timestamp: 1 } })).rejects.toBeInstanceOf(ValidationError);
      });
    });
  });
}
