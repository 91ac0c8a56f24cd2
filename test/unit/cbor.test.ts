import { CborError, decodeCbor, encodeCbor } from '#shared/cbor';
import { encodeTableStreamEvent, parseTableStreamEvent } from '#shared/contracts/table-stream';
import { ValidationError } from '#shared/errors';

const hex = (h: string) => Buffer.from(h, 'hex');

describe('CBOR codec (RFC 8949)', () => {
  it('decodes the RFC 8949 Appendix A examples', () => {
    const cases: [string, unknown][] = [
      ['00', 0],
      ['17', 23],
      ['1818', 24],
      ['1903e8', 1000],
      ['1a000f4240', 1000000],
      ['1b000000e8d4a51000', 1000000000000],
      ['1bffffffffffffffff', 18446744073709551615n],
      ['20', -1],
      ['3903e7', -1000],
      ['3bffffffffffffffff', -18446744073709551616n],
      ['f93c00', 1],
      ['f97bff', 65504],
      ['f90001', 5.960464477539063e-8],
      ['fa47c35000', 100000],
      ['fb3ff199999999999a', 1.1],
      ['f4', false],
      ['f5', true],
      ['f6', null],
      ['4401020304', Buffer.from([1, 2, 3, 4])],
      ['6449455446', 'IETF'],
      ['62c3bc', '\u00fc'],
      ['83010203', [1, 2, 3]],
      ['a201020304', { '1': 2, '3': 4 }],
      ['a26161016162820203', { a: 1, b: [2, 3] }],
      ['5f42010243030405ff', Buffer.from([1, 2, 3, 4, 5])],
      ['7f657374726561646d696e67ff', 'streaming'],
      ['9f018202039f0405ffff', [1, [2, 3], [4, 5]]],
      ['bf61610161629f0203ffff', { a: 1, b: [2, 3] }],
      ['c11a514b67b0', 1363896240],
    ];
    for (const [input, expected] of cases) expect([input, decodeCbor(hex(input))]).toEqual([input, expected]);
  });

  it('round-trips the values a stream event carries', () => {
    const value = { s: 'héllo', i: 1506416585740836, n: -42, d: 0.25, t: true, f: false, z: null, b: Buffer.from([0, 255]), a: [1, 'x', [2]], big: 2 ** 40 };
    expect(decodeCbor(encodeCbor(value))).toEqual(value);
    expect(encodeCbor(1000).toString('hex')).toBe('1903e8');
    expect(encodeCbor(-1000).toString('hex')).toBe('3903e7');
  });

  it('rejects truncated, padded and reserved encodings', () => {
    expect(() => decodeCbor(hex('1903'))).toThrow(CborError);
    expect(() => decodeCbor(hex('0000'))).toThrow(/trailing/);
    expect(() => decodeCbor(hex('1c'))).toThrow(/reserved/);
    expect(() => decodeCbor(hex('5f01ff'))).toThrow(CborError);
  });
});

describe('TableStore trigger events', () => {
  it('encode change records as FC’s Sync-v1 event and decode them back', () => {
    const bytes = encodeTableStreamEvent([
      { type: 'PutRow', primaryKey: { id: 'a', n: 7 }, columns: [{ type: 'Put', name: 'title', value: 'cat', timestamp: 1700000000123 }], timestamp: 1700000000123 },
      { type: 'DeleteRow', primaryKey: { id: 'b', n: 8 }, columns: [], timestamp: 1700000000456 },
    ]);
    expect(decodeCbor(bytes)).toEqual({
      Version: 'Sync-v1',
      Records: [
        { Type: 'PutRow', Info: { Timestamp: 1700000000123000 }, PrimaryKey: [{ ColumnName: 'id', Value: 'a' }, { ColumnName: 'n', Value: 7 }], Columns: [{ Type: 'Put', ColumnName: 'title', Value: 'cat', Timestamp: 1700000000123 }] },
        { Type: 'DeleteRow', Info: { Timestamp: 1700000000456000 }, PrimaryKey: [{ ColumnName: 'id', Value: 'b' }, { ColumnName: 'n', Value: 8 }], Columns: [] },
      ],
    });
    expect(parseTableStreamEvent(bytes)).toEqual([
      { type: 'PutRow', primaryKey: { id: 'a', n: 7 }, columns: [{ type: 'Put', name: 'title', value: 'cat', timestamp: 1700000000123 }], timestamp: 1700000000123 },
      { type: 'DeleteRow', primaryKey: { id: 'b', n: 8 }, columns: [], timestamp: 1700000000456 },
    ]);
  });

  it('refuses an event that is not CBOR or not Sync-v1 with a ValidationError', () => {
    expect(() => parseTableStreamEvent(Buffer.from('{"Version":"Sync-v1"}'))).toThrow(ValidationError);
    expect(() => parseTableStreamEvent(encodeCbor({ Version: 'Sync-v2', Records: [] }))).toThrow(ValidationError);
  });
});
