/**
 * A function instance that is a process (custom runtime, Python; D123/D131) is stopped by its process group (D151).
 * A process the function started in a session of its own (`setsid`, a daemon's double fork) is not in that group:
 * it outlived the instance, the local cloud and every restart. Each instance's processes now carry a mark in their
 * environment (FC_LOCAL_INSTANCE_MARK), and stopping the instance kills whatever still carries it (D160). Linux only:
 * the mark is read from /proc/<pid>/environ.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { LOCAL_CREDENTIALS } from '../../scripts/local/credentials';
import { ProcessInstance } from '../../scripts/local/runtime/process-instance';
import type { FunctionContext } from '../../scripts/local/runtime/protocol';
import { REPO_ROOT } from '../../scripts/local/paths';
import { loadOneFunction } from '../helpers/one-function-spec';
import { eventually } from '../helpers/eventually';
import { copyFixtureApp } from '../helpers/fixture-app';
import { startLocalCloudProcess, type LocalCloudProcess } from '../helpers/local-cloud-process';
import { tempDir } from '../helpers/temp';

/** Running, and not a zombie left for an init that may never reap it. */
function running(pid: number): boolean {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.[0] !== 'Z';
  } catch {
    return false;
  }
}

/** The session a process leads or belongs to (`/proc/<pid>/stat` field 6). */
function sessionOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[3]);
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('processes a function instance started outside its process group', () => {
  const dir = tempDir('fx-escapes-');
  const root = join(dir.path, 'app');
  const clouds: LocalCloudProcess[] = [];
  const escaped: number[] = [];

  beforeAll(() => copyFixtureApp('escapes', root));
  afterAll(async () => {
    for (const cloud of clouds) await cloud.stop();
    for (const pid of escaped.filter(running)) process.kill(pid, 'SIGKILL');
    dir.cleanup();
  });

  /** `GET /escape` on a new instance: the pid of its `setsid sleep 300`, checked to be outside the server's session. */
  async function escape(cloud: LocalCloudProcess): Promise<{ escaped: number; server: number }> {
    const res = await fetch(`${cloud.url}/_fc/fx-escaper/escape`);
    expect(res.status).toBe(200);
    const pids = (await res.json()) as { escaped: number; server: number };
    escaped.push(pids.escaped);
    await eventually(() => expect(readFileSync(`/proc/${pids.escaped}/cmdline`, 'utf8')).toBe('sleep\u0000300\u0000'));
    expect(sessionOf(pids.escaped)).toBe(pids.escaped);
    expect(sessionOf(pids.escaped)).not.toBe(sessionOf(pids.server));
    return pids;
  }

  it('are gone once the local cloud stops', async () => {
    const cloud = await startLocalCloudProcess({ root, dataDir: join(dir.path, 'stop') });
    clouds.push(cloud);
    const pids = await escape(cloud);
    expect(running(pids.escaped)).toBe(true);
    await cloud.stop();
    await eventually(() => expect(running(pids.server)).toBe(false), { timeoutMs: 10_000 });
    await eventually(() => expect(running(pids.escaped)).toBe(false), { timeoutMs: 10_000 });
  }, 180_000);

  it('are gone after a SIGKILLed local cloud once the next start on its data folder has run', async () => {
    const cloud = await startLocalCloudProcess({ root, dataDir: join(dir.path, 'kill') });
    clouds.push(cloud);
    const pids = await escape(cloud);
    // The watchdog ends the server's group (D151); the escaped process is in no group of the instance's…
    await cloud.kill('SIGKILL');
    await eventually(() => expect(running(pids.server)).toBe(false), { timeoutMs: 10_000 });
    expect(running(pids.escaped)).toBe(true);
    // …and is found by its mark when the next start reaps what the killed run left.
    await cloud.restart();
    await eventually(() => expect(running(pids.escaped)).toBe(false), { timeoutMs: 10_000 });
    expect(cloud.output()).toContain(`local cloud: stopped pid ${pids.escaped} (sleep 300)`);
  }, 180_000);
});

onLinux('an instance recycled by its pool', () => {
  const context: FunctionContext = {
    credentials: { ...LOCAL_CREDENTIALS, securityToken: LOCAL_CREDENTIALS.securityToken ?? '' },
    function: { name: 't-web', handler: 'index.handler', memory: 128, timeout: 5 },
    service: { logProject: '', logStore: '', qualifier: 'LATEST' },
    region: 'cn-hangzhou',
    accountId: '1',
  };
  const escaped: number[] = [];
  afterAll(() => {
    for (const pid of escaped.filter(running)) process.kill(pid, 'SIGKILL');
  });

  /** An instance of the fixture's server, as the pool starts one (the code folder is the fixture's own). */
  async function startInstance(): Promise<ProcessInstance> {
    const { spec, errors } = loadOneFunction('runtime: custom.debian12\nhandler: index.handler\ncustomRuntimeConfig:\n  command: [node, server.js]', { 'code/server.js': '' });
    expect(errors).toEqual([]);
    const fn = { ...spec!.functions[0]!, codeDir: join(REPO_ROOT, 'test', 'fixtures', 'apps', 'escapes', 'code', 'escaper') };
    return ProcessInstance.start(fn, { PATH: process.env.PATH ?? '' }, context, () => undefined);
  }

  async function escapeFrom(instance: ProcessInstance): Promise<number> {
    const outcome = await instance.invoke({ event: Buffer.from('{}') }, { requestId: `r-${escaped.length}`, retryCount: 0 }, 5000);
    expect(outcome.ok).toBe(true);
    const pid = (JSON.parse((outcome as { payload: Buffer }).payload.toString()) as { escaped: number }).escaped;
    escaped.push(pid);
    await eventually(() => expect(readFileSync(`/proc/${pid}/cmdline`, 'utf8')).toBe('sleep\u0000300\u0000'));
    return pid;
  }

  it("kills the stopped instance's escaped processes, and no other instance's", async () => {
    const [stopped, kept] = [await startInstance(), await startInstance()];
    try {
      const [gone, stays] = [await escapeFrom(stopped), await escapeFrom(kept)];
      await stopped.terminate();
      // terminate() ends only once they are killed; a zombie waiting for its reaper counts as gone.
      await eventually(() => expect(running(gone)).toBe(false), { timeoutMs: 10_000 });
      expect(running(stays)).toBe(true);
      await kept.terminate();
      await eventually(() => expect(running(stays)).toBe(false), { timeoutMs: 10_000 });
    } finally {
      await Promise.all([stopped.terminate(), kept.terminate()]);
    }
  }, 60_000);
});
