/**
 * One call per key at a time: a request that needs what another request in this instance is already
 * fetching waits for that call's outcome instead of making its own. Under a burst of pages for one product,
 * the services then see one call per part and instance, not one per request (the cache only helps once the
 * first answer is in). Outcomes are shared as they are, failures included, and the key is free again as
 * soon as the call settles, so the next miss calls afresh.
 * @example const flight = new SingleFlight(); await Promise.all([flight.run('a', load), flight.run('a', load)]); // load ran once
 */
export class SingleFlight {
  private readonly running = new Map<string, Promise<unknown>>();

  run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const existing = this.running.get(key);
    if (existing) return existing as Promise<T>;
    const call = work().finally(() => this.running.delete(key));
    this.running.set(key, call);
    return call;
  }

  /** Keys with a call in progress. */
  get size(): number {
    return this.running.size;
  }
}
