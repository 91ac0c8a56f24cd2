/**
 * uPlot joins consecutive points with a line whatever lies between them, so a device that was silent for half
 * an hour would show a straight line across that half hour, as if it had reported along it. A `null` between
 * two points breaks the line (uPlot's `spanGaps` is off). A stretch counts as a gap when it is longer than five
 * of the series' usual (median) intervals and than a floor — 30 s for raw readings, two steps for rollups — so
 * jitter and a short dropout keep the line whole, and a device that reports every five minutes is still a line.
 */
export function withGaps(ts: number[], columns: (number | null)[][], resolution: 'raw' | '1m' | '1h'): { ts: number[]; columns: (number | null)[][] } {
  if (ts.length < 3) return { ts, columns };
  const intervals = ts.slice(1).map((t, i) => t - ts[i]!).sort((a, b) => a - b);
  const median = intervals[Math.floor(intervals.length / 2)]!;
  const floor = resolution === 'raw' ? 30_000 : 2 * (resolution === '1m' ? 60_000 : 3_600_000);
  const gap = Math.max(5 * median, floor);
  const outTs: number[] = [ts[0]!];
  const out = columns.map((c) => [c[0] ?? null]);
  for (let i = 1; i < ts.length; i++) {
    if (ts[i]! - ts[i - 1]! > gap) {
      outTs.push((ts[i]! + ts[i - 1]!) / 2);
      out.forEach((c) => c.push(null));
    }
    outTs.push(ts[i]!);
    out.forEach((c, k) => c.push(columns[k]![i] ?? null));
  }
  return { ts: outTs, columns: out };
}

/**
 * Indices of values with no value on either side (a gap's `null` or the data's end): a line through one point has
 * no length, so such a reading — a device back from a dropout with one reading, perhaps the one that raised an
 * alert — is invisible unless it gets a marker. The chart marks these even when it is too dense to mark every point.
 */
export function lonePoints(values: ArrayLike<number | null | undefined>): number[] {
  const lone: number[] = [];
  const has = (i: number) => values[i] !== null && values[i] !== undefined;
  for (let i = 0; i < values.length; i++) if (has(i) && !has(i - 1) && !has(i + 1)) lone.push(i);
  return lone;
}
