import { readdirSync, readFileSync } from 'node:fs';
import { setPriority } from 'node:os';
import type { StallSource } from './stall-clock';

/**
 * Who waits on an invocation (D143). On FC every instance has CPUs of its own, so a thumbnail backlog never slows
 * a product page; here every instance is a thread (or a process) on the developer's few cores, and the OS shares
 * them per runnable thread. So the local cloud arbitrates: work a person is waiting on right now comes first, work
 * that arrives as an event yields the CPU to it and drains a little slower.
 * - `interactive`: an HTTP trigger's request and every call it makes synchronously (the BFF's six parts), the FC
 *   API's synchronous InvokeFunction from outside the local cloud (a developer's script), the console, the CLI,
 *   and a flow's synchronous task steps — the order page shows a saga step by step while the shopper watches, and
 *   each step is a few milliseconds of CPU, so giving way to them costs a page little.
 * - `background`: everything that arrives as an event: asynchronous invocations (timers, OSS events, async
 *   InvokeFunction, destinations, a flow's async tasks), MNS queue triggers, TableStore stream triggers — and any
 *   synchronous call such work makes.
 */
export type InvocationClass = 'interactive' | 'background';

/** The class of an invocation from its source (`InvocationRecord.source`), when no caller decided it. */
export function classOfSource(source: string): InvocationClass {
  return source.startsWith('tablestore:') || source.startsWith('eventbridge:') ? 'background' : 'interactive';
}

/**
 * How far background instances yield: their threads' nice value. CFS weighs nice 0 against nice 10 about 1024 to
 * 110, so a background thread still gets ~10 % of a core beside each busy interactive one (never starved), and
 * all of it when nobody waits. `LOCAL_BACKGROUND_NICE=0` turns the arbitration of the CPU off.
 */
export const DEFAULT_BACKGROUND_NICE = 10;

export function backgroundNice(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_BACKGROUND_NICE;
  if (raw === undefined || raw === '') return DEFAULT_BACKGROUND_NICE;
  const nice = Number(raw);
  if (!Number.isInteger(nice) || nice < 0 || nice > 19) throw new Error(`LOCAL_BACKGROUND_NICE must be a whole number from 0 to 19, got ${raw}`);
  return nice;
}

/**
 * Raise the nice value of Linux threads (`setpriority(PRIO_PROCESS, tid)` applies to that one thread). Raising needs
 * no privilege; lowering it back does, so callers only ever raise. False where the OS refused or has no such thread
 * ids (then nothing changes: the instance runs at the process's priority, as before D143).
 */
export function yieldThreads(tids: readonly number[], nice: number): boolean {
  let all = tids.length > 0;
  for (const tid of tids) {
    try {
      setPriority(tid, nice);
    } catch {
      all = false;
    }
  }
  return all;
}

/** The thread ids of a process (Linux: its `/proc/<pid>/task` entries); just the pid elsewhere. */
export function threadsOfProcess(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).map(Number).filter((tid) => tid > 0);
  } catch {
    return [pid];
  }
}

/**
 * Milliseconds a thread of this process has waited on a run queue (the second field of Linux's
 * `/proc/self/task/<tid>/schedstat`, in ns); undefined where there is no such file.
 */
export function runQueueWaitMs(tid: number): number | undefined {
  try {
    const fields = readFileSync(`/proc/self/task/${tid}/schedstat`, 'latin1').split(' ');
    const ns = Number(fields[1]);
    return Number.isFinite(ns) ? ns / 1e6 : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The stalls a background instance's timeout does not count (D111's rule, D143's addition): the main thread's, as
 * for every invocation, plus the time the instance's own thread waited for a CPU — which, at a raised nice value,
 * is mostly the time the local cloud chose to give that CPU to a page. Without this a thumbnail niced behind a
 * page burst could time out where FC, whose instances do not share CPUs, would finish it. Read only when a timeout
 * is armed or comes due (a file read each), never per call; `MAX_STRETCH` still bounds the stretch.
 */
export class YieldedThreadStalls implements StallSource {
  constructor(
    private readonly mainThread: StallSource,
    private readonly tid: number,
  ) {}

  hold(): void {
    this.mainThread.hold();
  }

  release(): void {
    this.mainThread.release();
  }

  stalledMs(): number {
    return this.mainThread.stalledMs() + (runQueueWaitMs(this.tid) ?? 0);
  }
}
