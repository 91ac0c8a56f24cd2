import * as z from 'zod';
import { decodeCbor, encodeCbor } from '../cbor';
import { ValidationError } from '../errors';
import type { AttrValue, PrimaryKey } from '../ports/table';
import { parseWith } from '../validation';

/**
 * One change captured from a table with Stream on, in the shape of a TableStore Stream record as FC's
 * tablestore trigger delivers it (`Sync-v1`): https://www.alibabacloud.com/help/doc-detail/169673.htm
 */
export interface TableChangeColumn {
  type: 'Put' | 'DeleteOneVersion' | 'DeleteAllVersions';
  name: string;
  value?: AttrValue;
  /** Write time of the cell, ms. */
  timestamp: number;
}

export interface TableChangeRecord {
  /** Position in the local change log (not part of TableStore's record). */
  seq: number;
  table: string;
  type: 'PutRow' | 'UpdateRow' | 'DeleteRow';
  primaryKey: PrimaryKey;
  columns: TableChangeColumn[];
  /** Time of the change, ms. */
  timestamp: number;
}

/**
 * The event FC's tablestore trigger passes to a function: CBOR of
 * `{Version: 'Sync-v1', Records: [{Type, Info: {Timestamp}, PrimaryKey: [{ColumnName, Value}],
 * Columns: [{Type, ColumnName, Value?, Timestamp}]}]}` (https://www.alibabacloud.com/help/doc-detail/169673.htm).
 * `Info.Timestamp` is in microseconds in the documented sample; column timestamps are in milliseconds.
 */
export interface TableStreamEvent {
  Version: 'Sync-v1';
  Records: {
    Type: TableChangeRecord['type'];
    Info: { Timestamp: number };
    PrimaryKey: { ColumnName: string; Value: AttrValue }[];
    Columns: { Type: TableChangeColumn['type']; ColumnName: string; Value?: AttrValue; Timestamp: number }[];
  }[];
}

/** A decoded stream record, in the Table port's terms. */
export interface TableStreamRecord {
  type: TableChangeRecord['type'];
  primaryKey: PrimaryKey;
  columns: TableChangeColumn[];
  /** Time of the change, ms. */
  timestamp: number;
}

/** Change records → the CBOR event FC delivers (the local cloud's side of the trigger). */
export function encodeTableStreamEvent(records: readonly Omit<TableChangeRecord, 'seq' | 'table'>[]): Buffer {
  const event: TableStreamEvent = {
    Version: 'Sync-v1',
    Records: records.map((r) => ({
      Type: r.type,
      Info: { Timestamp: r.timestamp * 1000 },
      PrimaryKey: Object.entries(r.primaryKey).map(([ColumnName, Value]) => ({ ColumnName, Value })),
      Columns: r.columns.map((c) => ({ Type: c.type, ColumnName: c.name, ...(c.value !== undefined ? { Value: c.value } : {}), Timestamp: c.timestamp })),
    })),
  };
  return encodeCbor(event);
}

const Value = z.union([z.string(), z.number(), z.boolean(), z.instanceof(Uint8Array)]);
const StreamEventSchema = z.object({
  Version: z.literal('Sync-v1'),
  Records: z.array(
    z.object({
      Type: z.enum(['PutRow', 'UpdateRow', 'DeleteRow']),
      Info: z.object({ Timestamp: z.union([z.number(), z.bigint()]) }),
      PrimaryKey: z.array(z.object({ ColumnName: z.string(), Value: z.union([z.string(), z.number(), z.instanceof(Uint8Array)]) })),
      Columns: z
        .array(z.object({ Type: z.enum(['Put', 'DeleteOneVersion', 'DeleteAllVersions']), ColumnName: z.string(), Value: Value.optional(), Timestamp: z.union([z.number(), z.bigint()]) }))
        .default([]),
    }),
  ),
});

/**
 * The function's side: a tablestore trigger event (CBOR Buffer) → records. A malformed event is a
 * `ValidationError`: retrying it cannot help.
 * @example for (const r of parseTableStreamEvent(event)) if (r.type !== 'DeleteRow') await index(r.primaryKey);
 */
export function parseTableStreamEvent(event: Buffer): TableStreamRecord[] {
  let decoded: unknown;
  try {
    decoded = decodeCbor(event);
  } catch (err) {
    throw new ValidationError(`tablestore trigger event is not valid CBOR: ${(err as Error).message}`, [{ path: 'event', message: 'not CBOR' }]);
  }
  const parsed = parseWith(StreamEventSchema, decoded, 'event');
  return parsed.Records.map((r) => ({
    type: r.Type,
    primaryKey: Object.fromEntries(r.PrimaryKey.map((k) => [k.ColumnName, k.Value])),
    columns: r.Columns.map((c) => ({ type: c.Type, name: c.ColumnName, ...(c.Value !== undefined ? { value: c.Value } : {}), timestamp: Number(c.Timestamp) })),
    timestamp: Math.floor(Number(r.Info.Timestamp) / 1000),
  }));
}
