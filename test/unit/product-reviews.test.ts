import { ALL_TABLES, TABLES } from '#shared/contracts/tables';
import { NotFoundError } from '#shared/errors';
import type { Table } from '#shared/ports/table';
import { getReviews, LEGACY_SUMMARY_ID, putReviews, SUMMARY_ID } from '../../functions/product-reviews/core';
import { createMemoryTable, type MemoryTable } from '../helpers/memory-table';

/** The table, with a count of the TableStore calls each method made. */
function counting(table: MemoryTable): { table: Table; calls: Record<string, number> } {
  const calls: Record<string, number> = {};
  const wrapped = new Proxy(table, {
    get(target, name, receiver) {
      const value: unknown = Reflect.get(target, name, receiver);
      if (typeof value !== 'function' || typeof name !== 'string') return value;
      return (...args: unknown[]) => {
        calls[name] = (calls[name] ?? 0) + 1;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { table: wrapped, calls };
}

const review = (n: number, rating: number) => ({ reviewId: `rv_${String(n).padStart(4, '0')}`, author: `a${n}`, rating, title: `t${n}`, body: `b${n}`, createdAt: `2026-11-${String(n + 1).padStart(2, '0')}T00:00:00.000Z`, images: [] });

describe('product-reviews getReviews', () => {
  let memory: MemoryTable;
  beforeEach(() => {
    memory = createMemoryTable(ALL_TABLES);
  });
  afterEach(() => memory.close());

  it('reads the summary and the newest reviews in one range read (one TableStore call per page part)', async () => {
    await putReviews('p-1', [review(0, 5), review(1, 4), review(2, 3), review(3, 5)], { table: memory });
    await putReviews('p-2', [review(0, 1)], { table: memory });
    const { table, calls } = counting(memory);
    const result = await getReviews('p-1', 2, { table });
    expect(calls).toEqual({ getRange: 1 });
    expect(result.rating).toEqual({ average: 4.3, count: 4, histogram: [0, 0, 1, 1, 2] });
    expect(result.reviews.map((r) => r.reviewId)).toEqual(['rv_0003', 'rv_0002']);
    expect(result.reviews[0]).toMatchObject({ author: 'a3', rating: 5, images: [] });
  });

  it('answers every review when the product has fewer than the limit, and the summary sorts after them', async () => {
    await putReviews('p-1', [review(0, 5), review(1, 4)], { table: memory });
    const result = await getReviews('p-1', 10, { table: memory });
    expect(result.reviews.map((r) => r.reviewId)).toEqual(['rv_0001', 'rv_0000']);
    expect(SUMMARY_ID > 'rv_~').toBe(true);
  });

  it('still reads a summary stored before this layout (under #summary), with a second call', async () => {
    await memory.batchWriteRow([
      { type: 'PUT', table: TABLES.productReviews.name, primaryKey: { productId: 'p-old', reviewId: LEGACY_SUMMARY_ID }, attributes: { histogram: JSON.stringify([0, 0, 0, 1, 1]) } },
      ...[review(0, 4), review(1, 5), review(2, 5)].map(({ reviewId, ...rest }) => ({ type: 'PUT' as const, table: TABLES.productReviews.name, primaryKey: { productId: 'p-old', reviewId }, attributes: { ...rest, images: '[]' } })),
    ]);
    const { table, calls } = counting(memory);
    const result = await getReviews('p-old', 2, { table });
    expect(calls).toEqual({ getRange: 1, getRow: 1 });
    expect(result.rating.count).toBe(2);
    expect(result.reviews.map((r) => r.reviewId)).toEqual(['rv_0002', 'rv_0001']);
  });

  it('is NotFound for a product without reviews', async () => {
    await expect(getReviews('p-none', 5, { table: memory })).rejects.toBeInstanceOf(NotFoundError);
  });
});
