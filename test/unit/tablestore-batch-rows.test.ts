import TableStore from 'tablestore';
import { protos } from '../../scripts/local/emulators/tablestore';
import { conditionCheckFail } from '../../scripts/local/emulators/tablestore/errors';
import { encodeKey } from '../../scripts/local/emulators/tablestore/keys';
import { SearchIndexes } from '../../scripts/local/emulators/tablestore/search/indexes';
import { Storage } from '../../scripts/local/emulators/tablestore/storage';
import { writeRows } from '../../scripts/local/emulators/tablestore/plain-buffer';
import { startTestTableStore, type TestTableStore } from '../helpers/tablestore';
import { signedCall } from '../helpers/tablestore-raw';

/**
 * BatchWriteRow rows written without a savepoint of their own (D94): a row whose write is one SQL statement
 * needs none, and `Storage.withoutSavepoint` turns any breach of that — a second write, or a failure after the
 * write — into a failure of the whole request instead of a row answered as refused with half of it kept.
 */
describe('TableStore emulator: batch rows without a savepoint', () => {
  describe('Storage.withoutSavepoint', () => {
    let storage: Storage;
    const table = () => storage.table('i', 't')!;
    const key = (id: string) => encodeKey([{ name: 'id', value: { type: 'STRING', value: id } }]);
    const columns = new Map([['v', [{ timestamp: 1, value: { type: 'INTEGER' as const, value: 1n } }]]]);

    beforeEach(() => {
      storage = new Storage(':memory:');
      storage.insertTable('i', { name: 't', primaryKey: [{ name: 'id', type: 'STRING' }], definedColumns: [], ttlSeconds: -1, maxVersions: 1, deviationSeconds: 86_400, allowUpdate: true, reserved: { read: 0, write: 0, lastIncreaseTime: 0 }, createdAt: 0 });
    });
    afterEach(() => storage.close());

    it('lets a row refused before its write fail alone, and keeps a written row', () => {
      storage.transaction(() => {
        const refused = () =>
          storage.withoutSavepoint(() => {
            storage.getRow(table(), key('a'));
            throw conditionCheckFail();
          });
        expect(refused).toThrow('Condition check failed.');
        storage.withoutSavepoint(() => storage.putRow(table(), key('b'), columns, 1));
      });
      expect(storage.getRow(table(), key('a'))).toBeUndefined();
      expect(storage.getRow(table(), key('b'))).toBeDefined();
    });

    it('fails the whole request when a row fails after its write', () => {
      const request = () =>
        storage.transaction(() => {
          storage.withoutSavepoint(() => storage.putRow(table(), key('kept?'), columns, 1));
          storage.withoutSavepoint(() => {
            storage.putRow(table(), key('half'), columns, 1);
            throw conditionCheckFail();
          });
        });
      expect(request).toThrow('a batch row failed after its write: Condition check failed.');
      // Not an OtsError: the server answers 500 and the request's transaction rolled everything back.
      expect(storage.getRow(table(), key('kept?'))).toBeUndefined();
      expect(storage.getRow(table(), key('half'))).toBeUndefined();
    });

    it('refuses a second write statement in one row, and use outside a request transaction', () => {
      expect(() =>
        storage.transaction(() =>
          storage.withoutSavepoint(() => {
            storage.putRow(table(), key('one'), columns, 1);
            storage.putRow(table(), key('two'), columns, 1);
          }),
        ),
      ).toThrow('second write statement');
      expect(storage.getRow(table(), key('one'))).toBeUndefined();
      expect(() => storage.withoutSavepoint(() => undefined)).toThrow('inside a request transaction');
    });
  });

  describe('through the SDK', () => {
    let ots: TestTableStore;
    const plain = 'rows_plain';
    const streamed = 'rows_streamed';
    const IGNORE = new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
    const NOT_EXIST = new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null);
    const put = (id: string, condition = IGNORE) => ({ type: 'PUT' as const, condition, primaryKey: [{ id }], attributeColumns: [{ v: TableStore.Long.fromNumber(1) }] });
    const stored = async (tableName: string, id: string) => (await ots.client.getRow({ tableName, primaryKey: [{ id }] })).row.primaryKey !== undefined;

    beforeAll(async () => {
      ots = await startTestTableStore({ tables: [{ name: plain, primaryKey: [{ name: 'id', type: 'STRING' }] }] });
      await ots.createTable({ name: streamed, primaryKey: [{ name: 'id', type: 'STRING' }] }, { stream: true });
      await ots.client.putRow({ tableName: plain, condition: IGNORE, primaryKey: [{ id: 'exists' }], attributeColumns: [{ v: 'old' }] });
      await ots.client.putRow({ tableName: streamed, condition: IGNORE, primaryKey: [{ id: 'exists' }], attributeColumns: [{ v: 'old' }] });
    });
    afterAll(async () => {
      await ots.close();
    });

    it.each([plain, streamed])('answers each row of %s on its own: a refused row between written ones', async (tableName) => {
      const result = await ots.client.batchWriteRow({ tables: [{ tableName, rows: [put(`${tableName}-1`), put('exists', NOT_EXIST), put(`${tableName}-2`, NOT_EXIST)] }] });
      expect(result.tables.map((r) => [r.isOk, r.errorCode])).toEqual([
        [true, null],
        [false, 'OTSConditionCheckFail'],
        [true, null],
      ]);
      expect([await stored(tableName, `${tableName}-1`), await stored(tableName, `${tableName}-2`)]).toEqual([true, true]);
      expect((await ots.client.getRow({ tableName, primaryKey: [{ id: 'exists' }] })).row.attributes).toEqual([expect.objectContaining({ columnName: 'v', columnValue: 'old' })]);
      expect(ots.emulator.internalErrors).toEqual([]);
    });

    it('refuses a row asking for an unknown return type before writing it', async () => {
      const row = (id: string) => writeRows([{ primaryKey: [{ name: 'id', value: { type: 'STRING', value: id } }], cells: [{ name: 'v', value: { type: 'INTEGER', value: 1n } }] }]);
      const rows = [
        { type: 1, rowChange: row('rt-ok-1'), condition: { rowExistence: 0 } },
        { type: 1, rowChange: row('rt-unknown'), condition: { rowExistence: 0 }, returnContent: { returnType: 3 } },
        { type: 1, rowChange: row('rt-ok-2'), condition: { rowExistence: 0 }, returnContent: { returnType: 1 } },
      ];
      const res = await signedCall(ots.endpoint, ots.instance, ots.credentials, 'BatchWriteRow', protos.main.BatchWriteRowRequest!.encode({ tables: [{ tableName: plain, rows }] } as never).finish());
      expect(res.status).toBe(200);
      const answer = protos.main.BatchWriteRowResponse!.decode(res.body) as unknown as { tables: { rows: { isOk: boolean; error?: { code: string; message: string } }[] }[] };
      expect(answer.tables[0]!.rows.map((r) => [r.isOk, r.error?.code, r.error?.message])).toEqual([
        [true, undefined, undefined],
        [false, 'OTSParameterInvalid', 'Invalid return type: 3.'],
        [true, undefined, undefined],
      ]);
      expect([await stored(plain, 'rt-ok-1'), await stored(plain, 'rt-unknown'), await stored(plain, 'rt-ok-2')]).toEqual([true, false, true]);
    });

    it('fails the whole request, writing nothing, when a row would fail after its write', async () => {
      const warning = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
      const spy = jest.spyOn(SearchIndexes.prototype, 'rowChanged').mockImplementation((_table, key) => {
        if (key.includes(Buffer.from('late'))) throw conditionCheckFail();
      });
      try {
        await expect(ots.client.batchWriteRow({ tables: [{ tableName: plain, rows: [put('before-late'), put('late'), put('after-late')] }] })).rejects.toMatchObject({ code: 500 });
      } finally {
        spy.mockRestore();
        warning.mockRestore();
      }
      expect(ots.emulator.internalErrors.splice(0).map((e) => e.message)).toEqual(['a batch row failed after its write: Condition check failed.']);
      expect([await stored(plain, 'before-late'), await stored(plain, 'late'), await stored(plain, 'after-late')]).toEqual([false, false, false]);
    });
  });
});
