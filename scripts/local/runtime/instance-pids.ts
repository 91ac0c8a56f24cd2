import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { killMarkedSync } from './instance-marks';

/**
 * The process instances a local cloud started (custom runtimes' servers and Python bootstraps, D123/D131), one file
 * per process under `<DATA_DIR>/instances/` (D151). A SIGKILLed local cloud stops nothing; its instances' watchdog
 * (process-instance.ts) ends them, and this is the second line: the next start on the same data folder kills the
 * process groups whose files are still there — only when the pid still is the process recorded (its start time and
 * its command line), never a process that took the pid since.
 */
export interface InstancePidRecord {
  pid: number;
  /** The command as started (the program and its arguments). */
  command: string[];
  /** The process's start time in clock ticks after boot (`/proc/<pid>/stat` field 22); absent without /proc. */
  startTicks?: number;
  /** The mark in the environment of every process the instance started (instance-marks.ts, D160). */
  mark?: string;
}

/** What `/proc/<pid>` says about a process now, or undefined when there is none (or no /proc). */
function procFacts(pid: number): { startTicks: number; zombie: boolean; argv: string[] } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command name, which may hold spaces and parentheses: state is field 3, start time field 22.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    if (argv.at(-1) === '') argv.pop();
    return { startTicks: Number(fields[19]), zombie: fields[0] === 'Z', argv };
  } catch {
    return undefined;
  }
}

/** A process's command line from `ps` (hosts without /proc: macOS), or undefined when it is gone. */
function psCommand(pid: number): string | undefined {
  try {
    return execFileSync('ps', ['-p', String(pid), '-o', 'command='], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim() || undefined;
  } catch {
    return undefined;
  }
}

const hasProc = existsSync('/proc/self/stat');

/** Whether `record.pid` is still the process that was recorded (`launcher`: the argv it had before it became the command). */
export function stillTheRecorded(record: InstancePidRecord, launcher: (command: string[]) => string[]): boolean {
  const forms = [record.command, launcher(record.command)];
  if (!hasProc) {
    const now = psCommand(record.pid);
    return now !== undefined && forms.some((argv) => argv.join(' ') === now);
  }
  const now = procFacts(record.pid);
  if (!now || now.zombie || now.startTicks !== record.startTicks) return false;
  return forms.some((argv) => argv.length === now.argv.length && argv.every((arg, i) => arg === now.argv[i]));
}

export class InstancePids {
  constructor(
    private readonly dir: string,
    /** The argv a process has while the watchdog starts it, before it becomes the command. */
    private readonly launcher: (command: string[]) => string[],
  ) {}

  /** Records a process just started (its own process group: `pid` is the group's id too). */
  add(pid: number, command: string[], mark?: string): void {
    mkdirSync(this.dir, { recursive: true });
    const record: InstancePidRecord = { pid, command, ...(hasProc ? { startTicks: procFacts(pid)?.startTicks ?? -1 } : {}), ...(mark ? { mark } : {}) };
    writeFileSync(join(this.dir, `${pid}.json`), JSON.stringify(record));
  }

  /** The process ended (or was stopped): nothing to reap. */
  remove(pid: number): void {
    rmSync(join(this.dir, `${pid}.json`), { force: true });
  }

  /**
   * At start, before any instance: kills the process group of every recorded process a previous run left that is
   * still the process recorded, then every process carrying a recorded instance's mark — those that left the group
   * (`setsid`) outlive its leader, so a mark is looked for even when the recorded pid is long gone; the mark is
   * random per instance, so what carries it is that instance's (D160). Forgets every record; answers what it killed.
   */
  reapLeftovers(): InstancePidRecord[] {
    let files: string[];
    try {
      files = readdirSync(this.dir).filter((name) => name.endsWith('.json'));
    } catch {
      return [];
    }
    const killed: InstancePidRecord[] = [];
    const marks: string[] = [];
    for (const file of files) {
      const path = join(this.dir, file);
      let record: InstancePidRecord | undefined;
      try {
        record = JSON.parse(readFileSync(path, 'utf8')) as InstancePidRecord;
      } catch {
        // A record cut off by the crash: nothing to identify a process by.
      }
      if (typeof record?.mark === 'string' && record.mark !== '') marks.push(record.mark);
      if (record && Number.isInteger(record.pid) && record.pid > 1 && Array.isArray(record.command) && stillTheRecorded(record, this.launcher)) {
        try {
          process.kill(-record.pid, 'SIGKILL');
          killed.push(record);
        } catch {
          // gone meanwhile
        }
      }
      rmSync(path, { force: true });
    }
    killed.push(...killMarkedSync(marks));
    return killed;
  }
}
