/**
 * The one-pass PutRow encoding (D67) writes exactly the bytes of the `tablestore` SDK's own encoder, for every
 * kind of row the adapters build, and leaves every other row to the SDK.
 */
import TableStore from 'tablestore';
import { EncodedPutRow, encodePortPutRow, fastPutRowInstalled, serializePutRow, useFastPutRowEncoding } from '#shared/aliyun/tablestore-plain-buffer';
import { mulberry32 } from '../../scripts/iot/signals';

type Builder = { serializeForPutRow(pk: unknown, attrs: unknown): Buffer };
const builder = (TableStore as unknown as { PlainBufferBuilder: Builder }).PlainBufferBuilder;
// The SDK's own encoder, kept before anything replaced it.
const sdkEncode = builder.serializeForPutRow.bind(builder);
const long = (n: number) => TableStore.Long.fromNumber(n);

/** A deterministic pseudo-random sequence (mulberry32), so a failure names a reproducible case. */
const random = mulberry32;

function randomRow(next: () => number): { pk: object[]; attrs: object[] } {
  const text = () => {
    const alphabet = ['a', 'Z', '0', '_', '-', ' ', 'é', '温', '😀', '\u0000'];
    return Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  };
  const name = (i: number) => `${['c', 'value', 'receivedAt', 'x_1'][Math.floor(next() * 4)]}${i}`;
  const pkValue = () => [() => text(), () => long(Math.floor((next() - 0.5) * 2 ** 53)), () => Buffer.from(text())][Math.floor(next() * 3)]!();
  const attrValue = () =>
    [() => text(), () => long(Math.floor((next() - 0.5) * 2 ** 53)), () => (next() - 0.5) * 10 ** Math.floor(next() * 30), () => next() > 0.5, () => Buffer.from(text()), () => [0, -0, Number.MIN_VALUE, Number.MAX_VALUE, 1.5][Math.floor(next() * 5)]!][Math.floor(next() * 6)]!();
  return {
    pk: Array.from({ length: 1 + Math.floor(next() * 4) }, (_, i) => ({ [name(i)]: pkValue() })),
    attrs: Array.from({ length: Math.floor(next() * 6) }, (_, i) => ({ [name(i)]: attrValue() })),
  };
}

describe('the one-pass PutRow encoding', () => {
  it('writes the SDK encoder’s bytes for the rows the adapters write', () => {
    const next = random(67);
    for (let i = 0; i < 1000; i++) {
      const { pk, attrs } = randomRow(next);
      const fast = serializePutRow(pk, attrs);
      expect({ i, bytes: fast?.toString('hex') }).toEqual({ i, bytes: sdkEncode(pk, attrs).toString('hex') });
    }
  });

  it('writes an IoT telemetry row as the SDK does', () => {
    const pk = [{ deviceId: 'dev_3f9a' }, { metric: 'temperature' }, { ts: long(1764214411123) }];
    const attrs = [{ value: 21.375 }, { receivedAt: long(1764214411200) }, { seq: long(7) }];
    expect(serializePutRow(pk, attrs)!.equals(sdkEncode(pk, attrs))).toBe(true);
    expect(serializePutRow(pk, [])!.equals(sdkEncode(pk, []))).toBe(true);
  });

  it('leaves to the SDK what it does not write: INF_MIN/INF_MAX/AUTO_INCREMENT keys, timestamps, two columns in one object, other names', () => {
    const pk = [{ id: 'a' }];
    expect(serializePutRow([{ id: TableStore.INF_MIN }], [])).toBeUndefined();
    expect(serializePutRow([{ id: TableStore.INF_MAX }], [])).toBeUndefined();
    expect(serializePutRow([{ id: TableStore.PK_AUTO_INCR }], [])).toBeUndefined();
    expect(serializePutRow(pk, [{ v: 1, timestamp: 5 }])).toBeUndefined();
    expect(serializePutRow(pk, [{ a: 1, b: 2 }])).toBeUndefined();
    expect(serializePutRow(pk, [{ 'é': 1 }])).toBeUndefined();
    expect(serializePutRow(pk, [{ v: null }])).toBeUndefined();
    expect(serializePutRow(pk, undefined)).toBeUndefined();
  });

  it('stands in front of the SDK’s encoder, which still writes the rows it leaves', () => {
    useFastPutRowEncoding();
    useFastPutRowEncoding();
    expect(builder.serializeForPutRow).not.toBe(sdkEncode);
    const timed = [{ id: 'a' }];
    const attrs = [{ v: 1.5, timestamp: 1764214411123 }];
    expect(builder.serializeForPutRow(timed, attrs).equals(sdkEncode(timed, attrs))).toBe(true);
    const plain = [{ v: long(3) }, { s: 'text' }];
    expect(builder.serializeForPutRow(timed, plain).equals(sdkEncode(timed, plain))).toBe(true);
  });
});

/** The SDK's row objects as the Table adapter builds them from the port's values (`pk()`, `attrs()`, `toWire`). */
function sdkShaped(keyColumns: { name: string; type: string }[], pk: Record<string, unknown>, attributes: Record<string, unknown>) {
  const wire = (value: unknown) => (typeof value === 'number' && Number.isSafeInteger(value) ? long(value) : value instanceof Uint8Array ? Buffer.from(value) : value);
  return {
    pk: keyColumns.map((c) => ({ [c.name]: wire(pk[c.name]) })),
    attrs: Object.entries(attributes).map(([name, value]) => ({ [name]: wire(value) })),
  };
}

describe('PUT rows encoded from the port’s values (D91)', () => {
  const text = (next: () => number) => {
    const alphabet = ['a', 'Z', '0', '_', '-', ' ', 'é', '温', '😀', '\u0000'];
    return Array.from({ length: Math.floor(next() * 40) }, () => alphabet[Math.floor(next() * alphabet.length)]).join('');
  };
  const integer = (next: () => number) =>
    [() => Math.floor((next() - 0.5) * 2 ** 54), () => Math.floor((next() - 0.5) * 2 ** 33), () => [0, -0, -1, 1, 2 ** 32, -(2 ** 32), 2 ** 31, -(2 ** 31) - 1, Number.MAX_SAFE_INTEGER, Number.MIN_SAFE_INTEGER][Math.floor(next() * 10)]!][Math.floor(next() * 3)]!();

  it('writes the bytes the SDK’s own encoder writes for the objects the adapter would build', () => {
    const next = random(91);
    for (let i = 0; i < 2000; i++) {
      const types = ['STRING', 'INTEGER', 'BINARY'];
      const keyColumns = Array.from({ length: 1 + Math.floor(next() * 4) }, (_, k) => ({ name: `k${k}`, type: types[Math.floor(next() * 3)]! }));
      const pk: Record<string, unknown> = {};
      for (const c of keyColumns) pk[c.name] = c.type === 'STRING' ? text(next) : c.type === 'INTEGER' ? integer(next) : new Uint8Array(Buffer.from(text(next)));
      const attributes: Record<string, unknown> = {};
      const count = Math.floor(next() * 6);
      for (let a = 0; a < count; a++) {
        attributes[['value', 'receivedAt', 'seq', 'x_1'][Math.floor(next() * 4)]! + a] = [
          () => text(next),
          () => integer(next),
          () => (next() - 0.5) * 10 ** Math.floor(next() * 30),
          () => next() > 0.5,
          () => new Uint8Array(Buffer.from(text(next))),
          () => [0.5, -0.25, Number.MIN_VALUE, Number.MAX_VALUE, 2 ** 53, -(2 ** 60), Infinity, NaN][Math.floor(next() * 8)]!,
        ][Math.floor(next() * 6)]!();
      }
      const { pk: sdkPk, attrs } = sdkShaped(keyColumns, pk, attributes);
      expect({ i, bytes: encodePortPutRow(keyColumns, pk, attributes)?.toString('hex') }).toEqual({ i, bytes: sdkEncode(sdkPk, attrs).toString('hex') });
    }
  });

  it('writes an IoT telemetry row as the SDK does', () => {
    const keyColumns = [{ name: 'deviceId' }, { name: 'metric' }, { name: 'ts' }];
    const pk = { deviceId: 'dev_3f9a', metric: 'temperature', ts: 1764214411123 };
    const attrs = { value: 21.375, receivedAt: 1764214411200, seq: 7 };
    expect(encodePortPutRow(keyColumns, pk, attrs)!.equals(sdkEncode([{ deviceId: 'dev_3f9a' }, { metric: 'temperature' }, { ts: long(1764214411123) }], [{ value: 21.375 }, { receivedAt: long(1764214411200) }, { seq: long(7) }]))).toBe(true);
  });

  it('leaves to the adapter’s SDK objects what it does not write: INF bounds, a missing key column, a `timestamp` or non-ASCII name, other values', () => {
    const keyColumns = [{ name: 'id' }];
    expect(encodePortPutRow(keyColumns, { id: Symbol.for('table.INF_MIN') }, {})).toBeUndefined();
    expect(encodePortPutRow(keyColumns, {}, {})).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: 1.5 }, {})).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: true }, {})).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: 'a' }, { timestamp: 5 })).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: 'a' }, { é: 1 })).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: 'a' }, { v: null })).toBeUndefined();
    expect(encodePortPutRow(keyColumns, { id: 'a' }, { v: undefined })).toBeUndefined();
  });

  it('reaches the wire through the SDK’s BatchWriteRow encoder as the bytes it was given', () => {
    useFastPutRowEncoding();
    expect(fastPutRowInstalled()).toBe(true);
    const bytes = encodePortPutRow([{ name: 'id' }], { id: 'a' }, { v: 2 })!;
    const sdk = TableStore as unknown as { encoder: { encode(op: string, params: unknown): { tables: { rows: { rowChange: Uint8Array }[] }[] } } };
    const request = sdk.encoder.encode('batchWriteRow', {
      tables: [{ tableName: 't', rows: [{ type: 'PUT', condition: new TableStore.Condition(TableStore.RowExistenceExpectation.IGNORE, null), primaryKey: new EncodedPutRow(bytes), attributeColumns: [] }] }],
    });
    expect(Buffer.from(request.tables[0]!.rows[0]!.rowChange).equals(sdkEncode([{ id: 'a' }], [{ v: long(2) }]))).toBe(true);
  });
});
