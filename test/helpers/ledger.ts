import { existsSync, readFileSync } from 'node:fs';
import { parseTableStreamEvent } from '#shared/contracts/table-stream';

/**
 * What the ledger fixture app (test/fixtures/apps/ledger) was delivered by its `tablestore` trigger: the `n`
 * column of each change, in delivery order — a batch delivered twice appears twice.
 * @example expect(firstDeliveries(ledgerDeliveries(file))).toEqual([1, 2, 3]);
 */
export function ledgerDeliveries(ledgerFile: string): number[] {
  if (!existsSync(ledgerFile)) return [];
  return readFileSync(ledgerFile, 'utf8')
    .split('\n')
    .filter(Boolean)
    .flatMap((line) => parseTableStreamEvent(Buffer.from(line, 'base64')))
    .map((record) => Number(record.columns.find((c) => c.name === 'n')?.value));
}

/** Each change's first delivery, in order: at-least-once delivery is in order when this is the write order. */
export function firstDeliveries(delivered: readonly number[]): number[] {
  return delivered.filter((n, i) => delivered.indexOf(n) === i);
}
