import { readFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import { traceMark } from '../trace';
import { writeFileAtomically } from '../write-file-atomically';
import { instanceExecArgv, workerScriptFor } from './worker-script';

/**
 * Standby instance threads (docs/decisions.md D87). On a later `npm start` the first page waits for the first
 * call tree's instances, and each start of one is about half the same work for every function — a Node thread
 * bootstrapping, the built-in modules an SDK needs, reading and compiling the bundle from its code cache — and
 * half the function's own: running the bundle's top level (which reads its environment) and the initializer.
 * The first half needs nothing the local cloud has to start first, so the launcher starts those threads at once,
 * on the core that is otherwise idle while it loads the start script and opens the emulators; FC too keeps
 * sandboxes ready before it knows which code goes into them.
 *
 * Which threads: the plan the previous start left (`writeStandbyPlan`: the first call tree's first part, each
 * bundle with its memory size). A thread stands by with its bundle compiled and nothing run; `Instance.start`
 * takes one for the same bundle and memory size and sends it the function's environment and boot data, from
 * where it goes on exactly as a new thread would (the thread compiles again if the file changed meanwhile).
 * A plan that no longer fits costs a few threads' start, ended once the cloud is ready.
 *
 * The registry lives on `globalThis`: the launcher's copy of this module starts the threads, the start script's
 * copy (a separate bundle) takes them.
 */

export interface StandbyPlan {
  instances: { bundleFile: string; memorySizeMb: number }[];
}

/** workerData of a standby thread (`instance-worker.ts`). */
export interface StandbyBoot {
  standby: { bundleFile: string; codeCacheDir?: string };
}

interface Standby {
  worker: Worker;
  bundleFile: string;
  memorySizeMb: number;
  execArgv: string[];
  alive: boolean;
  /** Its bundle is compiled: it only waits to be taken. */
  standingBy: boolean;
  forget(): void;
}

const REGISTRY = Symbol.for('fc-local:standby-instances');

/** The standby threads started and not taken yet, and the plan's instances still to start. */
interface Registry {
  started: Standby[];
  queued: StandbyPlan['instances'];
}

function state(): Registry {
  const holder = globalThis as unknown as Record<symbol, Registry | undefined>;
  return (holder[REGISTRY] ??= { started: [], queued: [] });
}

const registry = () => state().started;

/**
 * Starts the plan's standby threads one after the other (the next once the previous stands by): a single one
 * beside the main thread uses the idle core, while several at once would take the main thread's own core from
 * the start script it is loading. Never throws: a standby is an optimisation.
 */
export function startStandbyInstances(plan: StandbyPlan, workerFile: string, codeCacheDir: string): void {
  const execArgv = instanceExecArgv();
  const queue = state().queued;
  queue.push(...plan.instances);
  const startNext = (): void => {
    const next = queue.shift();
    if (!next) return;
    const { bundleFile, memorySizeMb } = next;
    let worker: Worker;
    try {
      worker = new Worker(workerScriptFor(workerFile), {
        eval: true,
        workerData: { standby: { bundleFile, codeCacheDir } } satisfies StandbyBoot,
        // The function's own environment replaces this one when the thread is taken (never the launcher's).
        env: {},
        execArgv,
        resourceLimits: { maxOldGenerationSizeMb: memorySizeMb },
        stdout: false,
        stderr: false,
      });
    } catch {
      // e.g. node options worker threads refuse: instances start as before, and say so themselves.
      return;
    }
    let chained = false;
    const chain = () => {
      if (chained) return;
      chained = true;
      startNext();
    };
    const onStandingBy = () => {
      standby.standingBy = true;
      chain();
    };
    const onEnd = () => {
      standby.alive = false;
      const all = registry();
      if (all.includes(standby)) all.splice(all.indexOf(standby), 1);
      chain();
    };
    const standby: Standby = {
      worker,
      bundleFile,
      memorySizeMb,
      execArgv,
      alive: true,
      standingBy: false,
      forget: () => {
        worker.off('error', onEnd);
        worker.off('exit', onEnd);
        worker.off('message', onStandingBy);
        // Taken before it stood by: the next one starts now rather than never.
        chain();
      },
    };
    worker.on('error', onEnd);
    worker.on('exit', onEnd);
    // Its first message says it stands by (`instance-worker.ts`).
    worker.once('message', onStandingBy);
    registry().push(standby);
  };
  startNext();
}

/**
 * A standby thread for this bundle and memory size, taken out of the registry (the caller sends it
 * `{ type: 'boot', boot, env }` and owns it from now on), or undefined.
 */
export function takeStandbyInstance(bundleFile: string, memorySizeMb: number, execArgv: string[]): Worker | undefined {
  // One not started yet would come too late for this instance: it is not started at all.
  const { queued } = state();
  const waiting = queued.findIndex((s) => s.bundleFile === bundleFile && s.memorySizeMb === memorySizeMb);
  if (waiting >= 0) queued.splice(waiting, 1);
  const all = registry();
  const index = all.findIndex((s) => s.alive && s.bundleFile === bundleFile && s.memorySizeMb === memorySizeMb && s.execArgv.join('\0') === execArgv.join('\0'));
  if (index < 0) return undefined;
  const [standby] = all.splice(index, 1);
  standby!.forget();
  traceMark(`standby thread taken for ${bundleFile}`);
  return standby!.worker;
}

/** Ends the standby threads nobody took (the cloud is ready: a later instance starts as it always did). */
export async function discardStandbyInstances(): Promise<void> {
  state().queued.splice(0);
  const left = registry().splice(0);
  if (left.length > 0) traceMark(`standby threads not taken: ${left.map((s) => s.bundleFile).join(', ')}`);
  await Promise.all(left.map((s) => (s.forget(), s.worker.terminate())));
}

/** The number of standby threads waiting to be taken or to start. */
export function standbyCount(): number {
  return registry().length + state().queued.length;
}

/** The number of standby threads whose bundle is compiled, waiting to be taken. */
export function standingBy(): number {
  return registry().filter((s) => s.standingBy).length;
}

export function readStandbyPlan(file: string): StandbyPlan | undefined {
  try {
    const plan = JSON.parse(readFileSync(file, 'utf8')) as StandbyPlan;
    return Array.isArray(plan.instances) ? plan : undefined;
  } catch {
    return undefined;
  }
}

/** Leaves the plan for the next start (only when it changed: a start writes nothing it does not have to). */
export function writeStandbyPlan(file: string, plan: StandbyPlan): void {
  const text = `${JSON.stringify(plan)}\n`;
  try {
    if (readFileSync(file, 'utf8') === text) return;
  } catch {
    // none yet
  }
  try {
    writeFileAtomically(file, text);
  } catch {
    // a cache: a read-only folder only costs the next start its standby threads
  }
}
