import { floorTo } from './rows';

/**
 * Bucket statistics for rollups: count, min, max, sum and sum of squares. Sums rather than averages are
 * kept so buckets combine exactly (a 1-hour bucket from its minutes, the last hour's mean and variance for
 * the z-score rule) without going back to raw readings.
 */
export interface Stats {
  count: number;
  min: number;
  max: number;
  sum: number;
  sumSq: number;
}

export const emptyStats = (): Stats => ({ count: 0, min: Number.POSITIVE_INFINITY, max: Number.NEGATIVE_INFINITY, sum: 0, sumSq: 0 });

export function addValue(stats: Stats, value: number): void {
  stats.count += 1;
  if (value < stats.min) stats.min = value;
  if (value > stats.max) stats.max = value;
  stats.sum += value;
  stats.sumSq += value * value;
}

export function addStats(into: Stats, other: Stats): void {
  if (other.count === 0) return;
  into.count += other.count;
  into.min = Math.min(into.min, other.min);
  into.max = Math.max(into.max, other.max);
  into.sum += other.sum;
  into.sumSq += other.sumSq;
}

/** Readings → one `Stats` per bucket of `step` ms, keyed by bucket start, in time order. */
export function bucketize(points: Iterable<{ ts: number; value: number }>, step: number): Map<number, Stats> {
  const buckets = new Map<number, Stats>();
  for (const { ts, value } of points) {
    const start = floorTo(ts, step);
    let stats = buckets.get(start);
    if (!stats) buckets.set(start, (stats = emptyStats()));
    addValue(stats, value);
  }
  return new Map([...buckets].sort((a, b) => a[0] - b[0]));
}

export function mean(stats: Stats): number {
  return stats.count ? stats.sum / stats.count : Number.NaN;
}

/** Population standard deviation. */
export function stdDev(stats: Stats): number {
  if (stats.count === 0) return Number.NaN;
  const m = stats.sum / stats.count;
  return Math.sqrt(Math.max(0, stats.sumSq / stats.count - m * m));
}

/** Rounds for display and storage of derived values (an average of 0.1s should not read 0.30000000000000004). */
export function round(value: number, decimals = 6): number {
  const f = 10 ** decimals;
  return Math.round(value * f) / f;
}
