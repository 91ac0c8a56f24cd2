/**
 * The emulator's PlainBuffer row writer (responses, stream records): one scratch buffer since D92. The bytes
 * must be what the per-field writer before it produced (SHA-256 of its output recorded below), and every
 * answer must own its bytes although the scratch is reused.
 */
import { createHash } from 'node:crypto';
import TableStore from 'tablestore';
import { writeRows, type WriteRow } from '../../scripts/local/emulators/tablestore/plain-buffer';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const str = (value: string) => ({ type: 'STRING' as const, value });

const CASES: { name: string; rows: WriteRow[]; length: number; sha256: string }[] = [
  {
    name: 'a row of every cell type, timestamps, non-ASCII names and values',
    rows: [
      {
        primaryKey: [{ name: 'p', value: str('read') }, { name: 'k', value: { type: 'INTEGER', value: 42n } }],
        cells: [
          { name: 'title', value: str('Aurora noise-cancelling headphones'), timestamp: 1764240000123 },
          { name: 'price', value: { type: 'INTEGER', value: -899n }, timestamp: 1764240000123 },
          { name: 'rating', value: { type: 'DOUBLE', value: 4.6 }, timestamp: 1 },
          { name: 'inStock', value: { type: 'BOOLEAN', value: true } },
          { name: 'off', value: { type: 'BOOLEAN', value: false } },
          { name: 'blob', value: { type: 'BINARY', value: Buffer.from([0, 1, 2, 255]) } },
          { name: 'ümlaut✓', value: str('naïve 😀 \u0000 end') },
        ],
      },
    ],
    length: 304,
    sha256: '566e455b245b31f81f30a195ce5a1b1e2ca8347ce80f5bc8e3c2af719cc91af4',
  },
  { name: 'a primary key alone (an empty binary)', rows: [{ primaryKey: [{ name: 'id', value: { type: 'BINARY', value: Buffer.alloc(0) } }], cells: [] }], length: 27, sha256: '92821fae7a547078c0dbe8dd7f9ebaf435c26280d14b24c14decf26b1e7c60bd' },
  {
    name: 'stream-record rows (deletions, a delete marker) and a row larger than the first scratch',
    rows: [
      { primaryKey: [{ name: 'id', value: str('') }], cells: [{ name: 'gone', op: 'DELETE_ALL_VERSION' }, { name: 'one', op: 'DELETE_ONE_VERSION', timestamp: 99 }, { name: 'v', value: { type: 'INTEGER', value: 9223372036854775807n }, op: 'PUT', timestamp: 5 }] },
      { primaryKey: [{ name: 'id', value: str('x'.repeat(300)) }], cells: [], deleteMarker: true },
      { primaryKey: [{ name: 'id', value: str('y') }], cells: [{ name: 'big', value: str('z'.repeat(5000)) }, { name: 'neg', value: { type: 'DOUBLE', value: -0 } }] },
    ],
    length: 5491,
    sha256: '6c06420a715ce03bdfdf0f235350e15841a50fc14961cd192c05990d4149b5dd',
  },
];

describe('the emulator’s PlainBuffer row writer', () => {
  it.each(CASES)('writes $name byte for byte as before', ({ rows, length, sha256: expected }) => {
    const bytes = writeRows(rows);
    expect(bytes.length).toBe(length);
    expect(sha256(bytes)).toBe(expected);
  });

  it('hands every caller bytes of its own, although the scratch is reused', () => {
    const first = writeRows(CASES[0]!.rows);
    const copy = Buffer.from(first);
    writeRows(CASES[2]!.rows);
    writeRows(CASES[1]!.rows);
    expect(first.equals(copy)).toBe(true);
  });

  it('writes rows the SDK reads back', () => {
    const bytes = writeRows(CASES[0]!.rows);
    const sdk = TableStore as unknown as { PlainBufferInputStream: new (b: Buffer) => unknown; PlainBufferCodedInputStream: new (s: unknown) => { readRow(): { primaryKey: { name: string; value: unknown }[]; attributes: { columnName: string; columnValue: unknown }[] } } };
    const row = new sdk.PlainBufferCodedInputStream(new sdk.PlainBufferInputStream(bytes)).readRow();
    expect(row.primaryKey.map((c) => c.name)).toEqual(['p', 'k']);
    expect(row.attributes.map((c) => c.columnName)).toEqual(['title', 'price', 'rating', 'inStock', 'off', 'blob', 'ümlaut✓']);
    expect(row.attributes[0]!.columnValue).toBe('Aurora noise-cancelling headphones');
  });
});
