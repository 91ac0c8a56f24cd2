/**
 * Records of process instances under DATA_DIR (D151): a start after a crash kills a recorded process group only when
 * the pid still is the process recorded — same start time, same command — never a process that took the pid since.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InstancePids } from '../../scripts/local/runtime/instance-pids';
import { watchedCommand } from '../../scripts/local/runtime/process-instance';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('InstancePids', () => {
  const dir = tempDir('fx-instance-pids-');
  const children: ChildProcess[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    dir.cleanup();
  });

  /** A process in a group of its own, as an instance is, that runs until killed. */
  function sleeper(): ChildProcess & { pid: number } {
    const child = spawn('sleep', ['300'], { detached: true, stdio: 'ignore' });
    children.push(child);
    return child as ChildProcess & { pid: number };
  }
  const exited = (child: ChildProcess) => child.exitCode !== null || child.signalCode !== null;

  it('kills a recorded process that is still the one recorded, and forgets the record', async () => {
    const folder = join(dir.path, 'left');
    const pids = new InstancePids(folder, watchedCommand);
    const child = sleeper();
    pids.add(child.pid, ['sleep', '300']);
    expect(readdirSync(folder)).toEqual([`${child.pid}.json`]);
    expect(new InstancePids(folder, watchedCommand).reapLeftovers().map((r) => r.pid)).toEqual([child.pid]);
    await eventually(() => expect(child.signalCode).toBe('SIGKILL'));
    expect(readdirSync(folder)).toEqual([]);
  });

  it('leaves alone a process whose command or start time is not the recorded one', () => {
    const folder = join(dir.path, 'reused');
    const pids = new InstancePids(folder, watchedCommand);
    const other = sleeper();
    // The pid is taken by another command now…
    pids.add(other.pid, ['node', 'server.js']);
    const same = sleeper();
    pids.add(same.pid, ['sleep', '300']);
    // …or by the same command started later (a record from before a reboot, say).
    writeFileSync(join(folder, `${same.pid}.json`), JSON.stringify({ pid: same.pid, command: ['sleep', '300'], startTicks: 1 }));
    writeFileSync(join(folder, 'garbled.json'), '{"pid": 12');
    expect(new InstancePids(folder, watchedCommand).reapLeftovers()).toEqual([]);
    expect(exited(other) || exited(same)).toBe(false);
    expect(readdirSync(folder)).toEqual([]);
  });

  it('forgets the record of a process that ended', () => {
    const folder = join(dir.path, 'ended');
    const pids = new InstancePids(folder, watchedCommand);
    const child = sleeper();
    pids.add(child.pid, ['sleep', '300']);
    pids.remove(child.pid);
    expect(existsSync(join(folder, `${child.pid}.json`))).toBe(false);
    expect(new InstancePids(join(dir.path, 'never-made'), watchedCommand).reapLeftovers()).toEqual([]);
  });
});
