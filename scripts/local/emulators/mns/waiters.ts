/**
 * Long polling (`waitseconds`): a ReceiveMessage on an empty queue waits until a message can be received or
 * the wait is over. Writers call `wake(queue)` after anything that can make a message receivable (send,
 * publish to a subscribed queue, ChangeMessageVisibility, redrive); Inactive and Delayed messages becoming
 * Active on their own are caught by sleeping until the queue's next `visible_at`.
 */
export class QueueWaiters {
  private readonly waiting = new Map<string, Set<() => void>>();
  private closed = false;

  wake(queue: string): void {
    const set = this.waiting.get(queue);
    if (!set) return;
    this.waiting.delete(queue);
    for (const resolve of set) resolve();
  }

  /** Wakes every waiter (tests that move the emulator clock call this through `MnsEmulator.poke()`). */
  wakeAll(): void {
    for (const queue of [...this.waiting.keys()]) this.wake(queue);
  }

  /** Resolves on `wake(queue)` or after `ms`, whichever comes first. */
  wait(queue: string, ms: number): Promise<void> {
    if (this.closed || ms <= 0) return Promise.resolve();
    return new Promise((resolve) => {
      let set = this.waiting.get(queue);
      if (!set) this.waiting.set(queue, (set = new Set()));
      const done = () => {
        clearTimeout(timer);
        set.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      set.add(done);
    });
  }

  close(): void {
    this.closed = true;
    this.wakeAll();
  }

  get isClosed(): boolean {
    return this.closed;
  }
}

/**
 * Calls `attempt` until it answers something or `waitMs` (wall-clock) has passed (or `signal` aborts), sleeping
 * between tries until woken or until `nextVisibleMs()` says a message becomes Active.
 */
export async function longPoll<T>(
  waiters: QueueWaiters,
  queue: string,
  waitMs: number,
  attempt: () => T[],
  nextVisibleMs: () => number | undefined,
  signal?: AbortSignal,
): Promise<T[]> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const got = attempt();
    const remaining = deadline - Date.now();
    if (got.length > 0 || remaining <= 0 || waiters.isClosed || signal?.aborted) return got;
    const next = nextVisibleMs();
    await waiters.wait(queue, Math.min(remaining, next === undefined ? remaining : Math.max(next, 5)));
  }
}
