import { EVICTABLE_AFTER_IDLE_MS, InstanceBudget, type BudgetedPool } from '../../scripts/local/runtime/function-pool';

/** A function's pool as the budget sees it: instances (idle ones with their last use) and starts. */
class FakePool implements BudgetedPool {
  startingCount = 0;
  woken = 0;
  idle: { lastUsedAt: number; evicted: boolean }[] = [];
  busy = 0;
  /** Of the busy instances, those parked on I/O. */
  parked = 0;
  /** Of the parked instances, those parked on a timer. */
  onTimers = 0;
  constructor(readonly name: string) {}
  parkedCount(): number {
    return this.parked;
  }
  parkedOnTimersCount(): number {
    return this.onTimers;
  }
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

  it('leaves instances parked on I/O out of the extra room while the CPUs have room, up to the parked ceiling (D40)', () => {
    let cpuHasRoom = true;
    const b = new InstanceBudget(1, () => now, { parkedCeiling: 3, cpuHasRoom: () => cpuHasRoom });
    const [a, c] = [new FakePool('a'), new FakePool('c')];
    b.register(a);
    b.register(c);
    a.busy = 2; // a's first and the one extra, both computing
    c.busy = 1;
    expect(b.take(c)).toBe(false);
    a.parked = 1; // one of them waits on I/O: it no longer takes CPU room
    expect(b.take(c)).toBe(true);
    c.busy = 2;
    expect(b.take(c)).toBe(false); // c's extra computes: the room is taken again
    c.parked = 2; // both of c's park too
    expect(b.take(a)).toBe(true);
    cpuHasRoom = false; // a busy machine: parked or not, the room is the room
    expect(b.take(a)).toBe(false);
    cpuHasRoom = true;
    a.busy = 3;
    a.parked = 3;
    expect(b.extraInUse).toBe(3);
    expect(b.take(a)).toBe(false); // the parked ceiling bounds extra instances, parked or not
    expect(b.belowParkedCeiling()).toBe(false);
  });

  it('leaves instances parked on a timer out of the extra room however busy the CPUs are, up to the parked ceiling (D125)', () => {
    const b = new InstanceBudget(1, () => now, { parkedCeiling: 3, cpuHasRoom: () => false });
    const [a, c] = [new FakePool('a'), new FakePool('c')];
    b.register(a);
    b.register(c);
    a.busy = 2; // a's first and the one extra
    c.busy = 1;
    a.parked = 1; // parked on a call: a busy machine keeps it in the room (D40)
    expect(b.take(c)).toBe(false);
    a.onTimers = 1; // the same instance sleeping between two looks at an order: no CPU, no call
    expect(b.take(c)).toBe(true);
    c.busy = 2;
    expect(b.take(c)).toBe(false); // c's extra computes: the room is taken again
    c.parked = c.onTimers = 2;
    a.busy = 3;
    a.parked = a.onTimers = 3;
    expect(b.extraInUse).toBe(3);
    expect(b.take(a)).toBe(false); // the parked ceiling still bounds them
  });

  it('with no extra room at all, a function whose only instance is parked may still start a second (D40)', () => {
    const b = new InstanceBudget(0, () => now, { parkedCeiling: 2, cpuHasRoom: () => true });
    const a = new FakePool('a');
    b.register(a);
    a.busy = 1;
    expect(b.take(a)).toBe(false);
    a.parked = 1;
    expect(b.take(a)).toBe(true);
    a.busy = 2; // the second computes: no third
    expect(b.take(a)).toBe(false);
  });

  it('without a parked ceiling, parked instances change nothing (the default)', () => {
    const b = new InstanceBudget(1, () => now);
    const a = new FakePool('a');
    b.register(a);
    a.busy = 2;
    a.parked = 2;
    expect(b.take(a)).toBe(false);
  });
});
