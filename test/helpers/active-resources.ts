/**
 * What keeps this process alive, counted by kind (`process.getActiveResourcesInfo()`: ref'd sockets, servers,
 * timers, child processes, watchers). A test file that ends with more of them than it started with holds its
 * jest worker open — jest then kills the worker ("A worker process has failed to exit gracefully", D104).
 * @example const before = activeResources(); …; expect(resourcesBeyond(before)).toEqual([]);
 */
export type ResourceCounts = ReadonlyMap<string, number>;

/** Kinds that are in flight for an instant, never left behind: an fs call, a socket's shutdown. */
const TRANSIENT = new Set(['FSReqCallback', 'FSReqPromise', 'ShutdownWrap', 'SimpleShutdownWrap', 'WriteWrap']);

export function activeResources(): ResourceCounts {
  const counts = new Map<string, number>();
  for (const kind of process.getActiveResourcesInfo()) if (!TRANSIENT.has(kind)) counts.set(kind, (counts.get(kind) ?? 0) + 1);
  return counts;
}

/** Kinds of which there are more now than in `baseline`, e.g. `['PipeWrap×2', 'Timeout×1']` (empty: none). */
export function resourcesBeyond(baseline: ResourceCounts): string[] {
  const extra: string[] = [];
  for (const [kind, n] of activeResources()) {
    const more = n - (baseline.get(kind) ?? 0);
    if (more > 0) extra.push(`${kind}×${more}`);
  }
  return extra;
}
