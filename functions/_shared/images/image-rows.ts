import { IMAGE_JSON_COLUMNS, type ImageRecord } from '../contracts/images';
import { decodeRow, encodeRow } from '../contracts/row-codec';
import { ConditionFailedError } from '../errors';
import { TABLES } from '../contracts/tables';
import type { Attributes, Table, WriteCondition } from '../ports/table';

/**
 * The `images` table, as every hop of the pipeline reads and writes it. Status moves only forward:
 * `pending` → `ready` | `rejected`; each transition is a conditional update on `status = pending`, so a
 * redelivered event can never move a row twice or back.
 */
const T = TABLES.images.name;

export async function getImage(table: Table, imageId: string): Promise<ImageRecord | undefined> {
  const row = await table.getRow(T, { imageId });
  return row ? ({ imageId, ...decodeRow(row.attributes, IMAGE_JSON_COLUMNS) } as ImageRecord) : undefined;
}

/** Writes a new pending row; fails with ConditionFailedError if the id exists. */
export async function insertImage(table: Table, record: ImageRecord): Promise<void> {
  const { imageId, ...rest } = record;
  await table.putRow(T, { imageId }, encodeRow(rest, IMAGE_JSON_COLUMNS), { condition: { row: 'EXPECT_NOT_EXIST' } });
}

export const WHILE_PENDING: WriteCondition = { row: 'EXPECT_EXIST', columns: { column: 'status', op: 'EQ', value: 'pending', passIfMissing: false } };

/**
 * Moves a pending row on. Resolves `false` when the row is missing or no longer pending (the event was
 * already handled), so callers treat redelivery as done.
 */
export async function transitionImage(table: Table, imageId: string, changes: Partial<ImageRecord>): Promise<boolean> {
  const put = encodeRow(changes, IMAGE_JSON_COLUMNS) as Attributes;
  try {
    await table.updateRow(T, { imageId }, { put }, { condition: WHILE_PENDING });
    return true;
  } catch (err) {
    if (err instanceof ConditionFailedError) return false;
    throw err;
  }
}
