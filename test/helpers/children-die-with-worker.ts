import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/**
 * A jest worker's child processes end with it (D111).
 *
 * Jest ends a worker with SIGTERM, and SIGKILL 500 ms later: when the worker is over `workerIdleMemoryLimit`
 * (a moment into its next file, D104), or when it does not exit in time at the end of the run. A process killed
 * so leaves its children to PID 1: an idle `esbuild --service` (one per test file that built, in that file's
 * module registry) exits when its stdin closes, but one with a build in flight runs on until its next ping finds
 * the parent gone (about a second, measured), possibly after jest has exited; where PID 1 does not reap (a
 * container whose PID 1 is no init) each stays a zombie; and a process a test spawned (a local cloud,
 * test/helpers/local-cloud-process.ts) runs on under PID 1 until it ends by itself.
 *
 * So the worker answers SIGTERM by killing everything it started (its whole process tree, found before any of it
 * is killed) and then dies of the SIGTERM as before, which jest expects (exit code 143). Nothing of value is lost:
 * over the memory limit, jest runs the interrupted file again on a new worker; at the end of the run, every file
 * is done.
 */
export function killChildrenOnSigterm(): void {
  if (installed) return;
  installed = true;
  process.once('SIGTERM', () => {
    const { children, descendants } = processTree(process.pid);
    for (const pid of descendants) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    void reaped(children, REAP_WAIT_MS).then(() => process.kill(process.pid, 'SIGTERM'));
  });
}

let installed = false;

/**
 * How long the worker waits for its own killed children to be reaped (by Node, on its event loop) before it dies:
 * a child still unreaped then would be left a zombie to PID 1, which not every container's PID 1 reaps. Well
 * inside jest's 500 ms before SIGKILL.
 */
const REAP_WAIT_MS = 300;

/** The processes below `root`: its own children, and every one below them. Read once, before anything is killed. */
export function processTree(root: number): { children: number[]; descendants: number[] } {
  const byParent = new Map<number, number[]>();
  for (const [pid, ppid] of processParents()) {
    const siblings = byParent.get(ppid);
    if (siblings) siblings.push(pid);
    else byParent.set(ppid, [pid]);
  }
  const descendants: number[] = [];
  const queue = [root];
  while (queue.length > 0) {
    for (const child of byParent.get(queue.shift()!) ?? []) {
      descendants.push(child);
      queue.push(child);
    }
  }
  return { children: byParent.get(root) ?? [], descendants };
}

/** Resolves once none of `pids` is left, not even as a zombie, or after `withinMs`. */
async function reaped(pids: number[], withinMs: number): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (pids.some(exists) && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
}

function exists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** [pid, parent pid] of every process: from /proc on Linux, from `ps` elsewhere (a developer's Mac). */
function processParents(): [number, number][] {
  try {
    const pairs: [number, number][] = [];
    for (const name of readdirSync('/proc')) {
      if (!/^\d+$/.test(name)) continue;
      try {
        const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
        // The command name (2nd field) may hold spaces and parentheses: the fields after its last ')' are fixed.
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        pairs.push([Number(name), ppid]);
      } catch {
        // gone meanwhile
      }
    }
    return pairs;
  } catch {
    return execFileSync('ps', ['-A', '-o', 'pid=,ppid='], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((line) => line.trim().split(/\s+/).map(Number) as [number, number]);
  }
}
