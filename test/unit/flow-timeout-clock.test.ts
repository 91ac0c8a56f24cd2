import { RealtimeScheduler } from '../../scripts/local/emulators/fnf/realtime-scheduler';
import { FlowEngine } from '../../scripts/local/flow-engine/engine';
import { MemoryExecutionStore } from '../../scripts/local/flow-engine/memory-store';
import type { TimerPurpose } from '../../scripts/local/flow-engine/model';
import { VirtualClock } from '../../scripts/local/flow-engine/virtual-time';
import { MAX_STRETCH, type StallSource } from '../../scripts/local/runtime/stall-clock';

/**
 * The FnF emulator's timers (D107): a Task's Timeout goes through the one stall rule (D65, D111; its own tests
 * are test/unit/stall-clock.test.ts); Wait states and the flow's Timeout stay on the wall clock. Fake timers move
 * Date.now and the timers; the stalls are told, not measured.
 */
describe('RealtimeScheduler', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  /** Stalls the test declares; counts who holds the measurement. */
  const toldStalls = () => {
    const stalls = { stalled: 0, holders: 0, hold: () => void stalls.holders++, release: () => void stalls.holders--, stalledMs: () => stalls.stalled };
    return stalls satisfies StallSource;
  };
  const scheduler = (stalls: StallSource) => new RealtimeScheduler(() => Date.now(), 1000, stalls);

  it('a task timeout waits out the stalls, fires one turn after its timer, and stops holding the stall clock', () => {
    const stalls = toldStalls();
    const fired = jest.fn();
    scheduler(stalls).schedule(Date.now() + 1000, fired, 'task-timeout');
    expect(stalls.holders).toBe(1);
    jest.advanceTimersByTime(500);
    stalls.stalled = 2_500;
    jest.advanceTimersByTime(2_999);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    // Due now: the timeout itself waits for the next turn (setImmediate), so a callback already read wins.
    expect(fired).not.toHaveBeenCalled();
    jest.runOnlyPendingTimers();
    expect(fired).toHaveBeenCalledTimes(1);
    expect(stalls.holders).toBe(0);
  });

  it('a task timeout whose callback never comes fires by MAX_STRETCH times its span however much is stalled', () => {
    const stalls = toldStalls();
    const fired = jest.fn();
    scheduler(stalls).schedule(Date.now() + 1000, fired, 'task-timeout');
    stalls.stalled = 1e9;
    jest.advanceTimersByTime(MAX_STRETCH * 1000 - 1);
    expect(fired).not.toHaveBeenCalled();
    jest.advanceTimersByTime(1);
    jest.runOnlyPendingTimers();
    expect(fired).toHaveBeenCalledTimes(1);
  });

  it('a cancelled task timeout never fires, even between its timer and its turn, and releases the stall clock', () => {
    const stalls = toldStalls();
    const fired = jest.fn();
    const handle = scheduler(stalls).schedule(Date.now() + 1000, fired, 'task-timeout');
    jest.advanceTimersByTime(1000);
    handle.cancel();
    handle.cancel();
    jest.runAllTimers();
    expect(fired).not.toHaveBeenCalled();
    expect(stalls.holders).toBe(0);
  });

  it.each(['wake', 'flow-timeout'] as const)('a %s timer stays on the wall clock and never holds the stall clock', (purpose) => {
    const stalls = toldStalls();
    const fired = jest.fn();
    scheduler(stalls).schedule(Date.now() + 1000, fired, purpose);
    expect(stalls.holders).toBe(0);
    stalls.stalled = 5_000;
    jest.advanceTimersByTime(1000);
    expect(fired).toHaveBeenCalledTimes(1);
  });
});

describe('the engine says what each timer is for (the driver decides how its time counts)', () => {
  it('a Wait is a wake, a Task Timeout a task-timeout, the flow Timeout a flow-timeout', async () => {
    const clock = new VirtualClock();
    const armed: [TimerPurpose | undefined, number][] = [];
    const engine = new FlowEngine({
      store: new MemoryExecutionStore(),
      invoker: { invoke: async () => ({ ok: true, payload: Buffer.from('{}') }) },
      clock,
      scheduler: { schedule: (at, fn, purpose) => (armed.push([purpose, at - clock.now()]), clock.schedule(at, fn)) },
      compile: { resolveFunction: () => ({ functionName: 'pay' }) },
    });
    const definition = [
      'Type: StateMachine',
      'Name: purposes',
      'SpecVersion: v1',
      'StartAt: Pause',
      'Timeout: 600',
      'States:',
      '  - Type: Wait',
      '    Name: Pause',
      '    Seconds: 60',
      '    Next: Pay',
      '  - Type: Task',
      '    Name: Pay',
      '    Action: FC:InvokeFunction',
      '    TaskMode: WaitForCustomCallback',
      '    Parameters:',
      '      resourceArn: acs:fc:cn-hangzhou:1000000000000001:functions/pay',
      '      invocationType: Sync',
      '    Timeout: 30',
      '    End: true',
      '',
    ].join('\n');
    engine.putFlow({ name: 'purposes', definition });
    engine.startExecution('purposes', 'e1', {});
    clock.runNext(); // the Wait's 60 s pass; the Task starts
    expect(armed).toEqual([
      ['flow-timeout', 600_000],
      ['wake', 60_000],
      ['task-timeout', 30_000],
    ]);
    engine.close();
  });
});
