import type { Clock } from './ports/clock';

/**
 * Per-instance cache of service answers with a TTL per entry. FC reuses warm instances, so this absorbs
 * most repeated reads; entries past their TTL are still kept a while to answer when the service fails
 * (stale-if-error), and the oldest entries are dropped beyond `maxEntries`.
 */
interface Entry<T> {
  value: T;
  freshUntil: number;
  staleUntil: number;
}

export class TtlCache {
  private readonly entries = new Map<string, Entry<unknown>>();

  constructor(
    private readonly clock: Clock,
    private readonly maxEntries = 5000,
    private readonly staleMs = 10 * 60_000,
  ) {}

  /** A value still within its TTL. */
  fresh<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    return entry && entry.freshUntil > this.clock.now() ? (entry.value as T) : undefined;
  }

  /** A value past its TTL but within the stale window (for answering when the source fails). */
  stale<T>(key: string): T | undefined {
    const entry = this.entries.get(key);
    return entry && entry.staleUntil > this.clock.now() ? (entry.value as T) : undefined;
  }

  set<T>(key: string, value: T, ttlSeconds: number): void {
    const now = this.clock.now();
    this.entries.delete(key);
    this.entries.set(key, { value, freshUntil: now + ttlSeconds * 1000, staleUntil: now + ttlSeconds * 1000 + this.staleMs });
    if (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value as string);
  }

  clear(): void {
    this.entries.clear();
  }
}
