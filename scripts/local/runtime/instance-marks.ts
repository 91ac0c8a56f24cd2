import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';

/**
 * Processes a function instance started and that left its process group (D160). An instance that is a process
 * (custom runtime, Python) is stopped by its group (D151), but a process the function started in a session of its
 * own — `setsid`, a daemon's double fork, `nohup … &` under a tool that detaches — is in no group of the instance's
 * and outlived it, the local cloud and every restart. Each instance's processes inherit a mark in their environment
 * (FC_LOCAL_INSTANCE_MARK, one random value per instance), and stopping the instance kills every process whose
 * `/proc/<pid>/environ` carries it. The environment is the one a process was started with: a process started with
 * a cleared or rewritten environment (`env -i`) carries no mark and is not found. Linux only (/proc); elsewhere
 * nothing is scanned.
 */
export const INSTANCE_MARK_VARIABLE = 'FC_LOCAL_INSTANCE_MARK';

const canScan = existsSync('/proc/self/environ');

/** A mark no other instance, and no other run of the local cloud, has. */
export function newInstanceMark(instanceId: string): string {
  return `${process.pid}-${instanceId}-${randomBytes(6).toString('hex')}`;
}

/** Whether a process's environment (`/proc/<pid>/environ`: NUL-separated) holds one of `needles` as a whole entry. */
function carriesMark(environ: Buffer, needles: Buffer[]): boolean {
  return needles.some((needle) => {
    for (let at = environ.indexOf(needle); at !== -1; at = environ.indexOf(needle, at + 1)) {
      if (at === 0 || environ[at - 1] === 0) return true;
    }
    return false;
  });
}

/** `VAR=<mark>\0` for each mark: an entry, not a prefix of another mark. */
const needlesOf = (marks: Iterable<string>) => [...marks].map((mark) => Buffer.from(`${INSTANCE_MARK_VARIABLE}=${mark}\0`));

const isPid = (name: string) => /^\d+$/.test(name) && Number(name) !== process.pid;

function kill(pid: number): boolean {
  try {
    process.kill(pid, 'SIGKILL');
    return true;
  } catch {
    return false; // gone meanwhile, or not ours to signal
  }
}

/** A few passes: a process may start another between a scan and its kill. */
const PASSES = 3;

/**
 * SIGKILLs every process carrying one of `marks`, and answers their pids. Async: run when an instance stops, it
 * reads the environments of the user's processes without holding the event loop for the whole scan.
 */
export async function killMarked(marks: Iterable<string>): Promise<number[]> {
  const needles = needlesOf(marks);
  if (!canScan || needles.length === 0) return [];
  const killed: number[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const found = await Promise.all(
      (await readdir('/proc')).filter(isPid).map(async (name) => {
        // Another user's process (EACCES) or one gone meanwhile (ENOENT): not ours.
        const environ = await readFile(`/proc/${name}/environ`).catch(() => undefined);
        return environ && carriesMark(environ, needles) ? Number(name) : undefined;
      }),
    );
    const pids = found.filter((pid): pid is number => pid !== undefined).filter(kill);
    if (pids.length === 0) break;
    killed.push(...pids);
  }
  return killed;
}

/**
 * The same, synchronously, answering each process's command line as read before the kill: for the local cloud's
 * `exit` hook and its start, where nothing async runs and the start says what it stopped.
 */
export function killMarkedSync(marks: Iterable<string>): { pid: number; command: string[] }[] {
  const needles = needlesOf(marks);
  if (!canScan || needles.length === 0) return [];
  const killed: { pid: number; command: string[] }[] = [];
  for (let pass = 0; pass < PASSES; pass++) {
    const before = killed.length;
    for (const name of readdirSync('/proc').filter(isPid)) {
      let environ: Buffer;
      let command: string[];
      try {
        environ = readFileSync(`/proc/${name}/environ`);
        command = readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean);
      } catch {
        continue;
      }
      if (carriesMark(environ, needles) && kill(Number(name))) killed.push({ pid: Number(name), command });
    }
    if (killed.length === before) break;
  }
  return killed;
}
