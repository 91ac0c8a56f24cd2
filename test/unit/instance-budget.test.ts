import { EVICTABLE_AFTER_IDLE_MS, InstanceBudget, type BudgetedPool } from '../../scripts/local/runtime/function-pool';

/** A function's pool as the budget sees it: instances (idle ones with their last use) and starts. */
class FakePool implements BudgetedPool {
  startingCount = 0;
  woken = 0;
  idle: { lastUsedAt: number; evicted: boolean }[] = [];
  busy = 0;
  constructor(readonly name: string) {}
  get size(): number {
    return this.busy + this.idle.filter((i) => !i.evicted).length;
  }
  idleInstances() {
    return this.idle.filter((i) => !i.evicted).map((i) => ({ lastUsedAt: i.lastUsedAt, evict: () => (i.evicted = true) }));
  }
  onSlotFree(): void {
    this.woken++;
  }
}

describe('InstanceBudget', () => {
  let now = 1_000_000;
  const budget = () => new InstanceBudget(1, () => now);

  it('always allows a function its first instance, and one more in all beyond first instances', () => {
    const b = budget();
    const [a, c] = [new FakePool('a'), new FakePool('c')];
    b.register(a);
    b.register(c);
    expect(b.take(a)).toBe(true);
    a.busy = 1;
    expect(b.take(c)).toBe(true);
    c.busy = 1;
    expect(b.take(a)).toBe(true); // the one extra
    a.busy = 2;
    expect(b.extraInUse).toBe(1);
    expect(b.take(c)).toBe(false); // no room, nothing idle
    const d = new FakePool('d');
    b.register(d);
    expect(b.take(d)).toBe(true); // first instances never wait
  });

  it('hands over the room of an extra instance idle for a while, never one just used, never a last instance', () => {
    const b = budget();
    const [a, c] = [new FakePool('a'), new FakePool('c')];
    b.register(a);
    b.register(c);
    a.busy = 1;
    a.idle = [{ lastUsedAt: now, evicted: false }]; // a's extra, used a moment ago
    c.busy = 1;
    expect(b.take(c)).toBe(false);
    now += EVICTABLE_AFTER_IDLE_MS;
    expect(b.take(c)).toBe(true);
    expect(a.idle[0]!.evicted).toBe(true);
    // a function's only instance is never taken, however long idle
    const e = new FakePool('e');
    e.idle = [{ lastUsedAt: 0, evicted: false }];
    b.register(e);
    c.busy = 2;
    expect(b.take(c)).toBe(false);
    expect(e.idle[0]!.evicted).toBe(false);
  });

  it('asks the functions waiting for room again, in the order they asked, when an instance goes', () => {
    const b = budget();
    const [a, c, d] = [new FakePool('a'), new FakePool('c'), new FakePool('d')];
    for (const p of [a, c, d]) {
      b.register(p);
      p.busy = 1;
    }
    a.busy = 2;
    const order: string[] = [];
    c.onSlotFree = () => order.push('c');
    d.onSlotFree = () => order.push('d');
    b.wait(d);
    b.wait(c);
    b.wait(d);
    b.freed();
    expect(order).toEqual(['d', 'c']);
    b.freed();
    expect(order).toEqual(['d', 'c']); // asked once per wait
  });
});
