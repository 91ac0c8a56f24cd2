import type { ReadingsMessage } from '#shared/contracts/iot';
import { parseReadingsMessage } from '#shared/contracts/iot-fast';
import { checkReading, type ReadingProblem } from '#shared/iot/catalog';
import { floorTo, lateMinuteMarkKey, MINUTE_MS, T } from '#shared/iot/rows';
import type { Clock } from '#shared/ports/clock';
import { writeRows, type BatchWriteOptions, type RowOutcome } from '#shared/iot/batch-write';
import type { BatchWriteOp, Table } from '#shared/ports/table';

/**
 * iot-etl: the MNS queue `iot-readings` → time series (PRODUCT.md §4 IoT ETL step 2), one batch of queue
 * messages per invocation (D35).
 *
 * - Transform: each reading's unit is converted to its metric's canonical unit and checked against the
 *   metric's range for the device type; readings that fail are dropped and counted (the ingest ran the
 *   same check, so this only catches messages from elsewhere). Age is judged against the message's
 *   `receivedAt`, so a message that waited (or was redriven from the DLQ) loses nothing.
 * - Dedupe: by `(deviceId, metric, ts)` inside the batch, and across batches by a conditional put
 *   (EXPECT_NOT_EXIST): a redelivered message or a device's duplicate request writes nothing twice, and
 *   the first value of a reading is the one kept.
 * - Load: `telemetry` rows and one `device_latest` update per series (only moving forward: a condition
 *   `ts < new ts`) share `BatchWriteRow` calls of up to 200 rows, several in flight: about 5 write calls per
 *   1 000 readings. Rows fail one by one; failed rows are retried, good rows are never held back by bad ones.
 * - A reading stored after its minute may already have been rolled up (see `LATE_MARK_MS`) marks that
 *   minute in `rollup_work`, and `iot-rollup` recomputes it.
 * - A message that cannot be fully processed (a body that is not a readings message, a row the table
 *   refuses even after retries) is reported in `failed` once everything else is stored; the handler then
 *   fails the invocation, so the batch is delivered again (its stored readings are duplicates by then)
 *   and a message that keeps failing ends in the dead-letter queue after its receive count.
 */
export interface EtlDeps {
  table: Table;
  clock: Clock;
  /** BatchWriteRow calls in flight, retry backoff. */
  write?: Omit<BatchWriteOptions, 'onCall'>;
}

export interface QueueRecord {
  messageId: string;
  body: string;
}

export interface EtlResult {
  messages: number;
  readings: number;
  stored: number;
  /** Already stored (redelivery, or a device sending the same reading twice) or twice in this batch. */
  duplicates: number;
  dropped: Partial<Record<ReadingProblem, number>>;
  latestUpdates: number;
  lateMinutes: number;
  writeCalls: number;
    /** Messages not fully processed: not a readings message, or a row that could not be written. */
  failed: { messageId: string; reason: string }[];
}

/**
 * A reading written this long after its minute ended may have missed that minute's rollup: `iot-rollup`
 * only rolls minutes that ended `ROLLUP_DELAY_MS` (60 s) before it starts, so any write it did not see ended
 * at least 60 s after the minute, and 30 s leaves room for clock differences between instances.
 */
export const LATE_MARK_MS = 30_000;

interface PendingOp {
  op: BatchWriteOp;
  kind: 'telemetry' | 'latest' | 'mark';
  messageId: string;
}

export async function processReadings(records: QueueRecord[], deps: EtlDeps): Promise<EtlResult> {
  const result: EtlResult = { messages: records.length, readings: 0, stored: 0, duplicates: 0, dropped: {}, latestUpdates: 0, lateMinutes: 0, writeCalls: 0, failed: [] };
  const now = deps.clock.now();
  const ops: PendingOp[] = [];
  // Timestamps seen per series (`deviceId NUL metric`): one key per group of a message, not one string per reading.
  const seen = new Map<string, Set<number>>();
  const latest = new Map<string, { deviceId: string; metric: string; ts: number; value: number; messageId: string }>();

  for (const record of records) {
    const message = decodeMessage(record.body);
    if (!message.ok) {
      result.failed.push({ messageId: record.messageId, reason: message.reason });
      continue;
    }
    const { deviceId, deviceType, receivedAt } = message.value;
    for (const group of message.value.groups) {
      const series = `${deviceId}\u0000${group.metric}`;
      let seenTs = seen.get(series);
      if (!seenTs) seen.set(series, (seenTs = new Set()));
      for (const [ts, value, seq] of group.points) {
        result.readings += 1;
        const check = checkReading(deviceType, { ts, metric: group.metric, value, unit: group.unit }, receivedAt);
        if (!check.ok) {
          result.dropped[check.problem] = (result.dropped[check.problem] ?? 0) + 1;
          continue;
        }
        if (seenTs.has(ts)) {
          result.duplicates += 1;
          continue;
        }
        seenTs.add(ts);
        ops.push({
          kind: 'telemetry',
          messageId: record.messageId,
          op: {
            type: 'PUT',
            table: T.telemetry,
            primaryKey: { deviceId, metric: group.metric, ts },
            attributes: { value: check.value, receivedAt, ...(seq !== undefined ? { seq } : {}) },
            condition: { row: 'EXPECT_NOT_EXIST' },
          },
        });
        const newest = latest.get(series);
        if (!newest || ts > newest.ts) latest.set(series, { deviceId, metric: group.metric, ts, value: check.value, messageId: record.messageId });
      }
    }
  }
  for (const l of latest.values()) {
    ops.push({
      kind: 'latest',
      messageId: l.messageId,
      op: {
        type: 'UPDATE',
        table: T.latest,
        primaryKey: { deviceId: l.deviceId, metric: l.metric },
        update: { put: { ts: l.ts, value: l.value, updatedAt: now } },
        condition: { row: 'IGNORE', columns: { column: 'ts', op: 'LT', value: l.ts, passIfMissing: true } },
      },
    });
  }

  const write = (list: PendingOp[]) => writeRows(deps.table, list.map((p) => p.op), { ...deps.write, onCall: () => (result.writeCalls += 1) });
  const outcomes: RowOutcome[] = await write(ops);
  const writtenAt = deps.clock.now();
  const late = new Map<string, PendingOp>();
  outcomes.forEach((outcome, i) => {
    const { op, kind, messageId } = ops[i]!;
    if (kind === 'latest') {
      if (outcome === 'ok') result.latestUpdates += 1;
      else if (outcome !== 'condition') result.failed.push({ messageId, reason: `device_latest refused the update: ${outcome}` });
      return;
    }
    if (outcome === 'ok') result.stored += 1;
    else if (outcome === 'condition') result.duplicates += 1;
    else {
      result.failed.push({ messageId, reason: `telemetry refused reading ${JSON.stringify(op.primaryKey)}: ${outcome}` });
      return;
    }
    const { deviceId, metric, ts } = op.primaryKey as { deviceId: string; metric: string; ts: number };
    const minute = floorTo(ts, MINUTE_MS);
    if (writtenAt - (minute + MINUTE_MS) < LATE_MARK_MS) return;
    const primaryKey = lateMinuteMarkKey(deviceId, metric, minute);
    if (!late.has(primaryKey.key)) {
      late.set(primaryKey.key, {
        kind: 'mark',
        messageId,
        op: { type: 'PUT', table: T.work, primaryKey, attributes: { deviceId, metric, minute, markedAt: writtenAt } },
      });
    }
  });
  // Marks are written after the readings they describe, so a rollup that sees a mark also sees the readings.
  const marks = [...late.values()];
  const markOutcomes = await write(marks);
  markOutcomes.forEach((outcome, i) => {
    if (outcome === 'ok') result.lateMinutes += 1;
    else result.failed.push({ messageId: marks[i]!.messageId, reason: `rollup_work refused a late-minute mark: ${outcome}` });
  });
  // One entry per message is enough for the log and the error.
  result.failed = [...new Map(result.failed.map((p) => [p.messageId, p])).values()];
  return result;
}

type Decoded = { ok: true; value: ReadingsMessage } | { ok: false; reason: string };

/** The body as the ingest wrote it; a base64 body (a trigger without `IsBase64Decode`) is decoded first. */
export function decodeMessage(body: string): Decoded {
  let text = body.trim();
  if (!text.startsWith('{')) {
    const decoded = Buffer.from(text, 'base64').toString('utf8');
    if (decoded.trim().startsWith('{')) text = decoded;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { ok: false, reason: 'body is not JSON' };
  }
  const parsed = parseReadingsMessage(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    return { ok: false, reason: `not a readings message: ${issue.path.join('.') || '(root)'}: ${issue.message}` };
  }
  return { ok: true, value: parsed.data };
}
