import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLocalCloud, type LocalCloud } from '../../scripts/local/cloud';
import { tempDir } from '../helpers/temp';

/**
 * One local cloud per data folder. A second `npm start` with another PORT but the same DATA_DIR (a second
 * terminal, a forgotten background run) would otherwise run every timer twice, consume the same queues and
 * drive the same flow executions from two engines; `npm run reset` under a running cloud would delete its
 * databases from under it. Both are refused with a message naming the running cloud, and nothing is lost.
 */
const FIXTURE = join(__dirname, '..', 'fixtures', 'apps', 'ledger');
const REPO = join(__dirname, '..', '..');

function run(command: string, args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  const child = spawn(command, args, { cwd: REPO, env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((ok) => child.once('close', (status) => ok({ status, stdout, stderr })));
}

describe('one local cloud per data folder', () => {
  const dir = tempDir('data-lock-');
  const app = join(dir.path, 'app');
  const dataDir = join(dir.path, 'data');
  const start = () => startLocalCloud({ root: app, port: 0, dataDir, prewarm: false, watch: false, env: { LEDGER_FILE: join(dir.path, 'ledger.txt') } });
  let first: LocalCloud | undefined;

  beforeAll(() => cpSync(FIXTURE, app, { recursive: true }));
  afterAll(async () => {
    await first?.stop();
    dir.cleanup();
  });

  it('refuses a second local cloud on the same data folder, naming the running one, and the first keeps serving', async () => {
    first = await start();
    await expect(start()).rejects.toThrow(`the data folder ${dataDir} is in use by another local cloud (${first.url}`);
    expect((await fetch(`${first.url}/_local/api/endpoints`)).status).toBe(200);
  });

  it('tells a second start on the same folder and port that a cloud runs there, not that the port is taken (D140)', async () => {
    // Port first, a user was sent to another PORT, only to be refused for the folder there.
    await expect(startLocalCloud({ root: app, port: first!.port, dataDir, prewarm: false, watch: false })).rejects.toThrow(
      `the data folder ${dataDir} is in use by another local cloud (${first!.url}, pid ${process.pid}): use that one, or stop it (Ctrl-C in its terminal); a second local cloud needs a DATA_DIR and a PORT of its own`,
    );
    expect((await fetch(`${first!.url}/_local/api/endpoints`)).status).toBe(200);
  });

  it('npm run reset deletes nothing on an argument it does not take, nor in a folder no local cloud used (D140)', () => {
    const reset = (args: string[], folder: string) =>
      spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'reset.ts'), ...args], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DATA_DIR: folder }, timeout: 60_000 });
    const guessed = reset(['--data-dir', join(dir.path, 'elsewhere')], dataDir);
    expect(guessed.status).toBe(2);
    expect(guessed.stderr).toMatch(/^unknown argument --data-dir: nothing deleted\nusage: /);
    const photos = join(dir.path, 'photos');
    mkdirSync(photos);
    writeFileSync(join(photos, 'beach.jpg'), 'a photo');
    const notData = reset([], photos);
    expect(notData.status).toBe(1);
    expect(notData.stderr).toContain(`${photos} is not a local cloud's data folder (no cloud.sqlite in it): nothing deleted`);
    expect(notData.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(photos, 'beach.jpg'))).toBe(true);
    expect(existsSync(join(dataDir, 'tablestore.sqlite'))).toBe(true);
  });

  it('npm run reset refuses while that cloud runs, and deletes nothing', () => {
    const reset = spawnSync(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'reset.ts')], { cwd: REPO, encoding: 'utf8', env: { ...process.env, DATA_DIR: dataDir }, timeout: 60_000 });
    expect(reset.status).toBe(1);
    expect(reset.stderr).toContain(`a local cloud is running on ${dataDir} (${first!.url}`);
    expect(existsSync(join(dataDir, 'tablestore.sqlite'))).toBe(true);
  });

  it('npm run invoke runs the function in the cloud that holds the folder, instead of starting a second one', async () => {
    const before = first!.runtime.recent({ functionName: 'fx-ledger', limit: 100 }).length;
    // Not spawnSync: the cloud that answers runs in this process.
    const invoke = await run(process.execPath, ['--import', 'tsx', join(REPO, 'scripts', 'invoke.ts'), 'ledger', '--data', '{"hello":"ledger"}'], { DATA_DIR: dataDir });
    expect(invoke.stderr).toBe('');
    expect(invoke.stdout).toContain(`through the local cloud running at ${first!.url}`);
    expect(invoke.stdout).toMatch(/ledger .*\(fx-ledger\)\s+request \S+\s+succeeded/);
    expect(invoke.status).toBe(0);
    const records = first!.runtime.recent({ functionName: 'fx-ledger', limit: 100 });
    expect(records.length).toBe(before + 1);
  });

  it('takes the folder once the first has stopped, or once its process was killed', async () => {
    await first!.stop();
    first = undefined;
    const second = await start();
    await second.stop();

    // A killed process leaves no lock behind (the operating system drops it with the process).
    const holder = spawn(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(join(REPO, 'scripts', 'local', 'data-lock.ts'))}).lockDataFolder(${JSON.stringify(dataDir)}, { url: 'http://killed' }); console.log('locked'); setInterval(() => {}, 1000);`], { cwd: REPO, stdio: ['ignore', 'pipe', 'inherit'] });
    await new Promise<void>((ok) => holder.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && ok()));
    await expect(start()).rejects.toThrow('in use by another local cloud (http://killed');
    const exited = new Promise((ok) => holder.once('exit', ok));
    holder.kill('SIGKILL');
    await exited;
    const third = await start();
    await third.stop();
  }, 120_000);
});
