/**
 * A custom runtime's server is the user's own program (D123), and a SIGKILLed local cloud runs no stop: its
 * watchdog ends the server's process group once the local cloud is gone, and if that too was lost, the next start
 * on the same data folder ends what is left (D151). Linux: the test reads process groups from /proc.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

interface Facts {
  pid: number;
  listenPort: number;
}

/** Running, and not a zombie left for a parent to reap. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** Live processes in process group `pgid`, with their command lines. */
function groupMembers(pgid: number): { pid: number; argv: string[] }[] {
  const members = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[2]) !== pgid || fields[0] === 'Z') continue;
      members.push({ pid: Number(name), argv: readFileSync(`/proc/${name}/cmdline`, 'utf8').split('\0').filter(Boolean) });
    } catch {
      // gone meanwhile
    }
  }
  return members;
}

function portIsFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('custom runtime servers end with a killed local cloud', () => {
  const dir = tempDir('fx-custom-kill-');
  const root = join(dir.path, 'app');
  const clouds: LocalCloudProcess[] = [];
  const servers: number[] = [];

  beforeAll(() => copyFixtureApp('custom', root));
  afterAll(async () => {
    for (const cloud of clouds) await cloud.stop();
    for (const pid of servers) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // already gone, as it should be
      }
    }
    dir.cleanup();
  });

  async function serverOf(cloud: LocalCloudProcess): Promise<Facts> {
    const res = await fetch(`${cloud.url}/_fc/fx-web/facts`);
    expect(res.status).toBe(200);
    const facts = (await res.json()) as Facts;
    servers.push(facts.pid);
    return facts;
  }

  it('the server process and its port are gone once the local cloud was SIGKILLed', async () => {
    const cloud = await startLocalCloudProcess({ root, dataDir: join(dir.path, 'watchdog') });
    clouds.push(cloud);
    const server = await serverOf(cloud);
    expect(running(server.pid)).toBe(true);
    // The server's group: the server itself (the pid FC's command has: `node server.js`) and its watchdog.
    expect(groupMembers(server.pid).map((m) => m.argv.join(' '))).toContain('node server.js');
    await cloud.kill('SIGKILL');
    await eventually(() => expect(running(server.pid)).toBe(false), { timeoutMs: 10_000 });
    expect(groupMembers(server.pid)).toEqual([]);
    // Waited for, not read once: a full run under load found it still taken just after the server was gone (its
    // sockets' teardown, or another program's connection given the same number a moment); a server that lives on
    // keeps it for good and fails this.
    await eventually(async () => expect(await portIsFree(server.listenPort)).toBe(true), { timeoutMs: 10_000 });
  }, 180_000);

  it('a start on the same data folder ends a server a killed run left when its watchdog was lost too', async () => {
    const cloud = await startLocalCloudProcess({ root, dataDir: join(dir.path, 'reap') });
    clouds.push(cloud);
    const server = await serverOf(cloud);
    // Without its watchdog, a SIGKILL of the local cloud leaves the server running, holding its port…
    const watchdogs = groupMembers(server.pid).filter((m) => m.pid !== server.pid);
    expect(watchdogs.map((m) => m.argv[0])).toEqual(['sh']);
    for (const w of watchdogs) process.kill(w.pid, 'SIGKILL');
    await cloud.kill('SIGKILL');
    expect(running(server.pid)).toBe(true);
    expect(await portIsFree(server.listenPort)).toBe(false);
    // …until the next start finds its record under DATA_DIR/instances, checks it is still that command, and ends it.
    await cloud.restart();
    await eventually(() => expect(running(server.pid)).toBe(false), { timeoutMs: 10_000 });
    await eventually(async () => expect(await portIsFree(server.listenPort)).toBe(true), { timeoutMs: 10_000 });
    expect(cloud.output()).toContain(`local cloud: stopped pid ${server.pid} (node server.js)`);
    // The restarted cloud serves as before, with a new server.
    expect((await serverOf(cloud)).pid).not.toBe(server.pid);
  }, 180_000);
});
