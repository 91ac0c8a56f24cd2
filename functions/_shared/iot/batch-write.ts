import { ValidationError } from '../errors';
import { BATCH_WRITE_LIMIT, type BatchWriteOp, type BatchWriteResult, type Table } from '../ports/table';

/**
 * `BatchWriteRow` for many rows: calls of ≤ 200 rows, `concurrency` in flight, rows that fail with a
 * transient error retried with backoff. TableStore answers each row on its own (a batch can partly fail
 * with HTTP 200), so one bad row never holds back the others.
 */
export interface BatchWriteOptions {
  concurrency?: number;
  /** Backoff before each retry round; its length is the number of retries. */
  retryDelaysMs?: readonly number[];
  sleep?: (ms: number) => Promise<void>;
  /** Counts calls, for the "table write calls per 1 000 readings" figure. */
  onCall?: () => void;
}

/** `ok`, `condition` (the row's condition did not hold), or `<code>: <message>` for a row that could not be written. */
export type RowOutcome = 'ok' | 'condition' | `${string}: ${string}`;

/** Codes a retry cannot change: the condition, and a request TableStore refuses as invalid. */
const PERMANENT = new Set(['OTSConditionCheckFail', 'OTSParameterInvalid']);

export async function writeRows(table: Table, ops: readonly BatchWriteOp[], options: BatchWriteOptions = {}): Promise<RowOutcome[]> {
  const delays = options.retryDelaysMs ?? [50, 250, 1000];
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const outcomes: RowOutcome[] = new Array<RowOutcome>(ops.length);
  let pending = ops.map((_, i) => i);
  for (let attempt = 0; pending.length; attempt++) {
    const chunks: number[][] = [];
    for (let i = 0; i < pending.length; i += BATCH_WRITE_LIMIT) chunks.push(pending.slice(i, i + BATCH_WRITE_LIMIT));
    const retry: number[] = [];
    const write = async (chunk: number[]): Promise<void> => {
      options.onCall?.();
      let results: BatchWriteResult[];
      try {
        results = await table.batchWriteRow(chunk.map((i) => ops[i]!));
      } catch (err) {
        // The Table adapters throw ValidationError for what TableStore answers OTSParameterInvalid.
        const code = err instanceof ValidationError ? 'OTSParameterInvalid' : typeof (err as { code?: unknown }).code === 'string' ? (err as { code: string }).code : 'RequestFailed';
        // TableStore refuses a whole request for one invalid row: halve the call until the row is alone,
        // so its neighbours are still written.
        if (PERMANENT.has(code) && chunk.length > 1) {
          const half = Math.ceil(chunk.length / 2);
          await write(chunk.slice(0, half));
          await write(chunk.slice(half));
          return;
        }
        // Otherwise (network, throttling) each of its rows gets the call's answer.
        results = chunk.map(() => ({ ok: false, code, message: (err as Error).message }));
      }
      results.forEach((r, j) => {
        const index = chunk[j]!;
        if (r.ok) outcomes[index] = 'ok';
        else if (r.code === 'OTSConditionCheckFail') outcomes[index] = 'condition';
        else if (!PERMANENT.has(r.code) && attempt < delays.length) retry.push(index);
        else outcomes[index] = `${r.code}: ${r.message}`;
      });
    };
    await runLimited(chunks, options.concurrency ?? 4, write);
    pending = retry.sort((a, b) => a - b);
    if (pending.length) await sleep(delays[attempt]!);
  }
  return outcomes;
}

/** Runs `work` over `items`, at most `limit` at a time. */
export async function runLimited<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await work(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(Math.max(1, limit), items.length) }, worker));
}
