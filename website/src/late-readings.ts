/**
 * A live raw chart refreshes incrementally: each refresh re-reads only the last two minutes before its newest
 * point. A reading that arrives later than that — a device emptying its buffer after a dropout — lands in a part
 * of the window the refresh does not read. To show it at the next refresh (D136), the page also asks the
 * series' 1-minute counts for the whole minutes before the re-read part (`step=1m` is exact: late minutes are
 * read raw, D128) and compares them with the points it holds. Readings are only ever added to a minute (never
 * removed inside a chart's window), so equal counts mean the same readings; a minute out of step is read again.
 */
const MINUTE_MS = 60_000;

/** The whole minutes from the window's start to the minute holding `since` (the re-read's start), if any. */
export function lateCheckWindow(from: number, since: number): { from: number; to: number } | undefined {
  const start = Math.ceil(from / MINUTE_MS) * MINUTE_MS;
  const end = Math.floor(since / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  return start < end ? { from: start, to: end } : undefined;
}

/** Minutes of `window` whose number of points in `ts` differs from the server's count, in time order. */
export function minutesOutOfStep(ts: number[], minutes: Array<{ ts: number; count: number }>, window: { from: number; to: number }): number[] {
  const held = new Map<number, number>();
  for (const t of ts) {
    if (t < window.from || t >= window.to) continue;
    const minute = Math.floor(t / MINUTE_MS) * MINUTE_MS;
    held.set(minute, (held.get(minute) ?? 0) + 1);
  }
  const out = new Set<number>();
  for (const m of minutes) {
    if (m.ts < window.from || m.ts >= window.to) continue;
    if (held.get(m.ts) !== m.count) out.add(m.ts);
    held.delete(m.ts);
  }
  for (const minute of held.keys()) out.add(minute);
  return [...out].sort((a, b) => a - b);
}

/** `held` with its points in `span` replaced by `read` (the span's readings read again), in time order. */
export function withSpanReplaced(held: { ts: number[]; value: number[] }, span: { from: number; to: number }, read: { ts: number[]; value: number[] }): { ts: number[]; value: number[] } {
  const start = firstAtOrAfter(held.ts, span.from);
  const end = firstAtOrAfter(held.ts, span.to);
  return { ts: [...held.ts.slice(0, start), ...read.ts, ...held.ts.slice(end)], value: [...held.value.slice(0, start), ...read.value, ...held.value.slice(end)] };
}

function firstAtOrAfter(ts: number[], t: number): number {
  const i = ts.findIndex((x) => x >= t);
  return i < 0 ? ts.length : i;
}
