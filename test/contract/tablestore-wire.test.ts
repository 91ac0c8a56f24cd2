/**
 * The TableStore emulator on the wire, spoken to with the raw `tablestore` SDK (and raw signed requests where
 * the SDK cannot send what a test needs): authentication, TableStore's error answers and limits — each checked
 * to have written nothing — and the TableStore behaviours the TableStoreTable adapter works around (so the
 * contract suite's passing proves the workarounds, not a lenient emulator).
 */
import TableStore from 'tablestore';
import { TableStoreTable } from '#shared/aliyun/tablestore-table';
import { ValidationError } from '#shared/errors';
import { protos } from '../../scripts/local/emulators/tablestore';
import { writeRows } from '../../scripts/local/emulators/tablestore/plain-buffer';
import { signedCall } from '../helpers/tablestore-raw';
import { useTestTableStore } from '../helpers/tablestore';

const { Long } = TableStore;
const IGNORE = () => new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null);
const ERROR = protos.main.Error!;

describe('TableStore emulator on the wire', () => {
  const kv = 'wire_kv';
  const ranged = 'wire_ranged';
  const ots = useTestTableStore({
    tables: [
      { name: kv, primaryKey: [{ name: 'id', type: 'STRING' }] },
      { name: ranged, primaryKey: [{ name: 'p', type: 'STRING' }, { name: 'k', type: 'INTEGER' }], ttlSeconds: 86400 },
    ],
  });
  let client: TableStore.Client;
  beforeAll(() => {
    client = ots.client;
  });

  const lastRequest = () => ots.emulator.requests.at(-1);
  const raw = (operation: string, body: Uint8Array, overrides: Record<string, string> = {}) => signedCall(ots.endpoint, ots.instance, ots.credentials, operation, body, overrides);
  const stored = async (tableName: string, id: string) => (await client.getRow({ tableName, primaryKey: [{ id }] })).row.primaryKey !== undefined;
  const allRows = async (tableName: string) =>
    (await client.getRange({ tableName, direction: TableStore.Direction.FORWARD, inclusiveStartPrimaryKey: [{ id: TableStore.INF_MIN }], exclusiveEndPrimaryKey: [{ id: TableStore.INF_MAX }] })).rows;

  describe('authentication', () => {
    const adapter = (credentials: { accessKeyId: string; accessKeySecret: string; securityToken?: string }, instance = ots.instance) =>
      new TableStoreTable({ endpoint: ots.endpoint, instance, credentials, schemas: [{ name: kv, primaryKey: [{ name: 'id', type: 'STRING' }] }], maxRetries: 0 });

    it('accepts the local account with its STS token', async () => {
      await adapter(ots.credentials).putRow(kv, { id: 'signed' }, { v: 1 });
      expect(await stored(kv, 'signed')).toBe(true);
    });

    it.each([
      ['a wrong secret (wrong signature)', { accessKeySecret: 'wrong' }, undefined, 'Signature mismatch.'],
      ['an unknown access key', { accessKeyId: 'LTAIother' }, undefined, 'The AccessKeyID does not exist.'],
      ['a missing STS token', { securityToken: undefined }, undefined, 'The security token is invalid.'],
      ['an unknown instance', {}, 'other-instance', 'The instance is not found.'],
    ])('answers %s with 403 OTSAuthFailed and writes nothing', async (_label, change, instance, message) => {
      const credentials = { ...ots.credentials, ...change } as { accessKeyId: string; accessKeySecret: string; securityToken?: string };
      const id = `refused-${message.length}`;
      const error = await adapter(credentials, instance)
        .putRow(kv, { id }, { v: 1 })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(Error);
      expect(error).not.toBeInstanceOf(ValidationError);
      expect((error as Error).message).toContain(message);
      expect(lastRequest()).toEqual({ operation: 'PutRow', status: 403, code: 'OTSAuthFailed' });
      expect(await stored(kv, id)).toBe(false);
    });

    it('refuses a stale date, a body that does not match its MD5, and methods other than POST', async () => {
      const body = protos.main.ListTableRequest!.encode({} as never).finish();
      const stale = await raw('ListTable', body, { 'x-ots-date': new Date(Date.now() - 20 * 60_000).toISOString() });
      expect([stale.status, ERROR.decode(stale.body)]).toEqual([403, expect.objectContaining({ code: 'OTSAuthFailed', message: expect.stringContaining('Mismatch between system time') })]);
      const md5 = await raw('ListTable', body, { 'x-ots-contentmd5': 'AAAAAAAAAAAAAAAAAAAAAA==' });
      expect(ERROR.decode(md5.body)).toMatchObject({ code: 'OTSAuthFailed', message: 'Mismatch between MD5 value of request body and x-ots-contentmd5 in header.' });
      const get = await fetch(`${ots.endpoint}/ListTable`);
      expect(get.status).toBe(405);
      expect(ERROR.decode(new Uint8Array(await get.arrayBuffer()))).toMatchObject({ code: 'OTSMethodNotAllowed' });
    });

    it('encodes errors as TableStore does: HTTP status and a protobuf Error{code, message}, with a request id', async () => {
      const res = await fetch(`${ots.endpoint}/GetRow`, { method: 'POST', body: 'x' });
      expect(res.status).toBe(400);
      expect(ERROR.decode(new Uint8Array(await res.arrayBuffer()))).toEqual(expect.objectContaining({ code: 'OTSParameterInvalid', message: 'Missing header: x-ots-date.' }));
      expect(res.headers.get('x-ots-requestid')).toMatch(/^[0-9a-f]{32}$/);
    });
  });

  describe('TableStore errors, with nothing written', () => {
    it('answers an unknown table with 404 OTSObjectNotExist', async () => {
      await expect(client.putRow({ tableName: 'nope', condition: IGNORE(), primaryKey: [{ id: 'x' }], attributeColumns: [{ v: 1 }] })).rejects.toMatchObject({ code: 404 });
      expect(lastRequest()).toEqual({ operation: 'PutRow', status: 404, code: 'OTSObjectNotExist' });
      expect((await client.listTable({})).tableNames).not.toContain('nope');
    });

    it('refuses a primary key value over 1 KiB', async () => {
      const id = 'k'.repeat(1025);
      await expect(client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id }], attributeColumns: [{ v: 1 }] })).rejects.toMatchObject({ code: 400 });
      expect(lastRequest()).toEqual({ operation: 'PutRow', status: 400, code: 'OTSParameterInvalid' });
      const longest = 'k'.repeat(1024);
      await client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: longest }], attributeColumns: [{ v: 1 }] });
      expect((await allRows(kv)).map((r) => String(r.primaryKey?.[0]?.value))).not.toContain(id);
    });

    it('refuses an attribute value over 2 MiB', async () => {
      await expect(client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'huge' }], attributeColumns: [{ v: Buffer.alloc(2 * 1024 * 1024 + 1) }] })).rejects.toMatchObject({ code: 400 });
      expect(await stored(kv, 'huge')).toBe(false);
    });

    it('refuses a 201-row BatchWriteRow as a whole, and takes 200', async () => {
      const rows = (n: number, prefix: string) => Array.from({ length: n }, (_, i) => ({ type: 'PUT', condition: IGNORE(), primaryKey: [{ id: `${prefix}-${i}` }], attributeColumns: [{ v: i }] }));
      await expect(client.batchWriteRow({ tables: [{ tableName: kv, rows: rows(201, 'b201') }] })).rejects.toMatchObject({ code: 400, message: expect.stringContaining('Rows count exceeds the upper limit:200') });
      expect(lastRequest()).toEqual({ operation: 'BatchWriteRow', status: 400, code: 'OTSParameterInvalid' });
      expect((await allRows(kv)).some((r) => String(r.primaryKey?.[0]?.value).startsWith('b201-'))).toBe(false);
      const ok = await client.batchWriteRow({ tables: [{ tableName: kv, rows: rows(200, 'b200') }] });
      expect(ok.tables.every((r) => r.isOk)).toBe(true);
    });

    it('answers a BatchWriteRow row by row: one bad row fails alone', async () => {
      const result = await client.batchWriteRow({
        tables: [
          {
            tableName: kv,
            rows: [
              { type: 'PUT', condition: IGNORE(), primaryKey: [{ id: 'good-1' }], attributeColumns: [{ v: 1 }] },
              { type: 'PUT', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, null), primaryKey: [{ id: 'bad' }], attributeColumns: [{ v: 2 }] },
              { type: 'PUT', condition: IGNORE(), primaryKey: [{ id: 'good-2' }], attributeColumns: [{ v: 3 }] },
            ],
          },
        ],
      });
      expect(result.tables.map((r) => [r.isOk, r.errorCode])).toEqual([
        [true, null],
        [false, 'OTSConditionCheckFail'],
        [true, null],
      ]);
      expect([await stored(kv, 'good-1'), await stored(kv, 'bad'), await stored(kv, 'good-2')]).toEqual([true, false, true]);
    });

    it('refuses more than 100 keys in BatchGetRow, and a key named twice (the adapter deduplicates)', async () => {
      const keys = (n: number) => Array.from({ length: n }, (_, i) => [{ id: `g${i}` }]);
      await expect(client.batchGetRow({ tables: [{ tableName: kv, primaryKey: keys(101) }] })).rejects.toMatchObject({ code: 400 });
      await expect(client.batchGetRow({ tables: [{ tableName: kv, primaryKey: [[{ id: 'a' }], [{ id: 'a' }]] }] })).rejects.toMatchObject({ code: 400 });
      expect(lastRequest()).toEqual({ operation: 'BatchGetRow', status: 400, code: 'OTSParameterInvalid' });
      expect((await client.batchGetRow({ tables: [{ tableName: kv, primaryKey: keys(100) }] })).tables[0]).toHaveLength(100);
    });

    it('refuses a request body over 5 MB with 413 OTSRequestBodyTooLarge', async () => {
      const res = await raw('PutRow', Buffer.alloc(5 * 1024 * 1024 + 1));
      expect(res.status).toBe(413);
      expect(ERROR.decode(res.body)).toMatchObject({ code: 'OTSRequestBodyTooLarge' });
    });

    it('refuses a corrupted row (checksum) and an unknown operation, naming them', async () => {
      const row = writeRows([{ primaryKey: [{ name: 'id', value: { type: 'STRING', value: 'crc' } }], cells: [] }]);
      row[row.length - 1] = row[row.length - 1]! ^ 0xff;
      const corrupt = await raw('GetRow', protos.main.GetRowRequest!.encode({ tableName: kv, primaryKey: row, maxVersions: 1 } as never).finish());
      expect(ERROR.decode(corrupt.body)).toMatchObject({ code: 'OTSParameterInvalid', message: 'Checksum mismatch in row.' });
      const unknown = await raw('FrobnicateRow', new Uint8Array());
      expect([unknown.status, ERROR.decode(unknown.body).message]).toEqual([400, 'Unsupported operation: FrobnicateRow.']);
      const refused = await raw('StartLocalTransaction', new Uint8Array());
      expect(ERROR.decode(refused.body).message).toBe('Local transactions (StartLocalTransaction) is not supported by the local TableStore emulator.');
    });
  });

  describe('TableStore behaviours the adapter works around', () => {
    it('stores INTEGER, DOUBLE, BOOLEAN, STRING and BINARY cells with the type they were sent as', async () => {
      await client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'types' }], attributeColumns: [{ i: Long.fromNumber(2) }, { d: 2 }, { b: true }, { s: 'x' }, { x: Buffer.from([1]) }] });
      const { row } = await client.getRow({ tableName: kv, primaryKey: [{ id: 'types' }] });
      const kinds = Object.fromEntries((row.attributes ?? []).map((a) => [a.columnName, Buffer.isBuffer(a.columnValue) ? 'binary' : typeof a.columnValue === 'object' ? 'int64' : typeof a.columnValue]));
      expect(kinds).toEqual({ i: 'int64', d: 'number', b: 'boolean', s: 'string', x: 'binary' });
    });

    it('evaluates a filter on the columns read only (the adapter reads the filter columns too)', async () => {
      await client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 'f' }, { k: Long.fromNumber(1) }], attributeColumns: [{ label: 'one' }, { keep: 'yes' }] });
      const range = (columnsToGet?: string[]) =>
        client.getRange({
          tableName: ranged,
          direction: TableStore.Direction.FORWARD,
          inclusiveStartPrimaryKey: [{ p: 'f' }, { k: TableStore.INF_MIN }],
          exclusiveEndPrimaryKey: [{ p: 'f' }, { k: TableStore.INF_MAX }],
          columnFilter: new TableStore.SingleColumnCondition('keep', 'yes', TableStore.ComparatorType.EQUAL, false),
          ...(columnsToGet ? { columnsToGet } : {}),
        });
      expect((await range()).rows).toHaveLength(1);
      expect((await range(['label'])).rows).toHaveLength(0);
      expect((await range(['label', 'keep'])).rows).toHaveLength(1);
    });

    it('returns no row when none of columns_to_get exist', async () => {
      const { row } = await client.getRow({ tableName: ranged, primaryKey: [{ p: 'f' }, { k: Long.fromNumber(1) }], columnsToGet: ['nope'] });
      expect(row).toEqual({});
    });

    it('refuses empty updates, an empty or inverted range, a limit of 0, AND with one condition, and EXPECT_NOT_EXIST on DeleteRow', async () => {
      const refused = async (call: Promise<unknown>, operation: string) => {
        await expect(call).rejects.toMatchObject({ code: 400 });
        expect(lastRequest()).toEqual({ operation, status: 400, code: 'OTSParameterInvalid' });
      };
      await refused(client.updateRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'u' }], updateOfAttributeColumns: [] }), 'UpdateRow');
      const bounds = (from: number, to: number) => ({ inclusiveStartPrimaryKey: [{ p: 'r' }, { k: Long.fromNumber(from) }], exclusiveEndPrimaryKey: [{ p: 'r' }, { k: Long.fromNumber(to) }] });
      await refused(client.getRange({ tableName: ranged, direction: TableStore.Direction.FORWARD, ...bounds(5, 5) }), 'GetRange');
      await refused(client.getRange({ tableName: ranged, direction: TableStore.Direction.BACKWARD, ...bounds(1, 5) }), 'GetRange');
      // The SDK drops a falsy limit, so send that message by hand.
      const pk = (k: number) => writeRows([{ primaryKey: [{ name: 'p', value: { type: 'STRING', value: 'r' } }, { name: 'k', value: { type: 'INTEGER', value: BigInt(k) } }], cells: [] }]);
      const zero = await raw('GetRange', protos.main.GetRangeRequest!.encode({ tableName: ranged, direction: 0, limit: 0, maxVersions: 1, inclusiveStartPrimaryKey: pk(1), exclusiveEndPrimaryKey: pk(5) } as never).finish());
      expect([zero.status, ERROR.decode(zero.body)]).toEqual([400, expect.objectContaining({ code: 'OTSParameterInvalid', message: 'The limit must be greater than 0.' })]);
      const one = await raw('GetRange', protos.main.GetRangeRequest!.encode({ tableName: ranged, direction: 0, limit: 1, maxVersions: 1, inclusiveStartPrimaryKey: pk(1), exclusiveEndPrimaryKey: pk(5) } as never).finish());
      expect(one.status).toBe(200);
      const lonely = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
      lonely.addSubCondition(new TableStore.SingleColumnCondition('v', 1, TableStore.ComparatorType.EQUAL));
      await refused(client.putRow({ tableName: kv, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, lonely), primaryKey: [{ id: 'and1' }], attributeColumns: [{ v: 1 }] }), 'PutRow');
      await refused(client.deleteRow({ tableName: kv, condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_NOT_EXIST, null), primaryKey: [{ id: 'd' }] }), 'DeleteRow');
    });

    it('applies an UpdateRow and its AND of column conditions atomically: the stock hold the order app writes', async () => {
      // available = v AND hold column absent (LT 0 passing only when missing) → lower available, add the hold.
      await client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'stock' }], attributeColumns: [{ available: Long.fromNumber(3) }] });
      const hold = (order: string, seen: number, take: number) => {
        const both = new TableStore.CompositeCondition(TableStore.LogicalOperator.AND);
        both.addSubCondition(new TableStore.SingleColumnCondition('available', Long.fromNumber(seen), TableStore.ComparatorType.EQUAL, false));
        both.addSubCondition(new TableStore.SingleColumnCondition(`hold_${order}`, Long.fromNumber(0), TableStore.ComparatorType.LESS_THAN, true));
        return client.updateRow({
          tableName: kv,
          condition: new TableStore.Condition(TableStore.RowExistenceExpectation.EXPECT_EXIST, both),
          primaryKey: [{ id: 'stock' }],
          updateOfAttributeColumns: [{ PUT: [{ available: Long.fromNumber(seen - take) }, { [`hold_${order}`]: Long.fromNumber(take) }] }],
        });
      };
      const cells = async () => Object.fromEntries(((await client.getRow({ tableName: kv, primaryKey: [{ id: 'stock' }] })).row.attributes ?? []).map((a) => [a.columnName, Number(String(a.columnValue))]));
      await hold('a', 3, 2);
      expect(await cells()).toEqual({ available: 1, hold_a: 2 });
      // A stale read of available, and a second hold by the same order: 403 OTSConditionCheckFail, nothing changed.
      for (const [order, seen] of [['b', 3], ['a', 1]] as const) {
        await expect(hold(order, seen, 1)).rejects.toMatchObject({ code: 403 });
        expect(lastRequest()).toEqual({ operation: 'UpdateRow', status: 403, code: 'OTSConditionCheckFail' });
      }
      expect(await cells()).toEqual({ available: 1, hold_a: 2 });
    });

    it('treats an attribute named timestamp as the cell version, as the SDK sends it (the adapter reserves the name)', async () => {
      await expect(client.putRow({ tableName: kv, condition: IGNORE(), primaryKey: [{ id: 'ts' }], attributeColumns: [{ timestamp: Long.fromNumber(5) }] })).rejects.toMatchObject({ code: 400 });
      expect(lastRequest()).toEqual({ operation: 'PutRow', status: 400, code: 'OTSParameterInvalid' });
    });

    it('expires cells by their own timestamp and refuses versions outside the TTL window', async () => {
      const now = Date.now();
      await client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 't' }, { k: Long.fromNumber(1) }], attributeColumns: [{ old: 'a', timestamp: now - 80_000_000 }, { fresh: 'b' }] });
      ots.advanceClock(10_000_000); // old is 90 000 s old: past the 86 400 s TTL
      const { row } = await client.getRow({ tableName: ranged, primaryKey: [{ p: 't' }, { k: Long.fromNumber(1) }] });
      expect(row.attributes?.map((a) => a.columnName)).toEqual(['fresh']);
      await expect(client.putRow({ tableName: ranged, condition: IGNORE(), primaryKey: [{ p: 't' }, { k: Long.fromNumber(2) }], attributeColumns: [{ ancient: 'a', timestamp: Date.now() - 100_000_000 }] })).rejects.toMatchObject({ code: 400 });
    });
  });
});
