import { execFileSync, spawn } from 'node:child_process';
import { constants, existsSync, readFileSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * When jest kills a worker (SIGTERM: over `workerIdleMemoryLimit`, or slow to exit at the end of the run), the
 * processes its test file started end with it (docs/decisions.md D111). Before, an `esbuild --service` in the
 * middle of a build was left to PID 1 and ran on until its next ping found its parent gone, about a second later,
 * often after jest had exited (D104).
 *
 * A real jest run, made to hit that moment on purpose: its one test file starts an esbuild build whose entry is a
 * FIFO that this test holds open, so esbuild waits in read() however long it takes; then the file sends its own
 * worker the SIGTERM that jest-worker sends. No timing is asserted.
 */
const REPO = join(__dirname, '..', '..');
const JEST = join(REPO, 'node_modules', 'jest', 'bin', 'jest.js');

/** The file jest runs: a build in flight, its esbuild child's pid written down, then jest's kill. */
const KILLED_FILE = (fifo: string, pidsFile: string) => `
const { readdirSync, readFileSync, readlinkSync, renameSync, writeFileSync } = require('node:fs');
const { build } = require(${JSON.stringify(join(REPO, 'node_modules', 'esbuild'))});

/** Children of this process whose open files include the FIFO: esbuild, blocked reading its entry. */
function esbuildReadingTheFifo() {
  const pids = [];
  for (const name of readdirSync('/proc').filter((n) => /^\\d+$/.test(n))) {
    try {
      const stat = readFileSync('/proc/' + name + '/stat', 'utf8');
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) !== process.pid) continue;
      if (readdirSync('/proc/' + name + '/fd').some((fd) => readlinkSync('/proc/' + name + '/fd/' + fd) === ${JSON.stringify(fifo)})) pids.push(Number(name));
    } catch {}
  }
  return pids;
}

test('a build in flight when jest kills this worker', async () => {
  const building = build({ entryPoints: [${JSON.stringify(fifo)}], bundle: true, write: false, logLevel: 'silent' }).catch(() => undefined);
  let esbuild = [];
  while (esbuild.length === 0) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    esbuild = esbuildReadingTheFifo();
  }
  writeFileSync(${JSON.stringify(pidsFile)} + '.part', JSON.stringify({ worker: process.pid, esbuild }));
  renameSync(${JSON.stringify(pidsFile)} + '.part', ${JSON.stringify(pidsFile)});
  process.kill(process.pid, 'SIGTERM'); // what jest-worker's killChild sends
  await building;
}, 30000);
`;

/** Running, i.e. neither gone nor a zombie waiting to be reaped. */
function running(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2)[0] !== 'Z';
  } catch {
    return false;
  }
}

const onLinux = process.platform === 'linux' ? describe : describe.skip;

onLinux('a jest worker killed by jest', () => {
  const dir = tempDir('jest-worker-kill-');
  afterAll(() => dir.cleanup());

  it('takes the esbuild service it was building with along', async () => {
    const fifo = join(dir.path, 'entry.js');
    const pidsFile = join(dir.path, 'pids.json');
    execFileSync('mkfifo', [fifo]);
    dir.write('killed.test.js', KILLED_FILE(fifo, pidsFile));
    dir.write(
      'jest.config.js',
      `module.exports = ${JSON.stringify({
        rootDir: dir.path,
        testMatch: ['**/killed.test.js'],
        // The suite's own environment (where the fix lives); its TypeScript needs the suite's transform.
        testEnvironment: join(REPO, 'test', 'helpers', 'leak-check-environment.ts'),
        transform: { '^.+\\.ts$': [require.resolve('@swc/jest'), { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }] },
        // As in the suite: with a memory limit jest always runs files in workers, never in its own process.
        workerIdleMemoryLimit: '300MB',
        maxWorkers: 1,
        cacheDirectory: join(dir.path, 'cache'),
      })};`,
    );
    // Esbuild's open() of the FIFO completes once this end is open too; then its read() waits for data.
    const writer = open(fifo, 'w');
    let writerHandle: FileHandle | undefined;
    let esbuild: number[] = [];
    let output = '';
    try {
      const run = spawn(process.execPath, [JEST, '--config', join(dir.path, 'jest.config.js')], { cwd: dir.path, stdio: ['ignore', 'pipe', 'pipe'] });
      run.stdout.on('data', (chunk: Buffer) => (output += chunk));
      run.stderr.on('data', (chunk: Buffer) => (output += chunk));
      const ended = new Promise((resolve) => run.on('close', resolve));
      const pids = await eventually(() => {
        expect(existsSync(pidsFile) || output.includes('Tests:')).toBe(true);
        return existsSync(pidsFile) ? (JSON.parse(readFileSync(pidsFile, 'utf8')) as { worker: number; esbuild: number[] }) : undefined;
      }, { timeoutMs: 50_000 });
      if (!pids) throw new Error(`the killed file did not run:\n${output}`);
      esbuild = pids.esbuild;
      expect(esbuild.length).toBeGreaterThan(0);
      // Looked at as soon as the worker is gone: before D111 the orphaned esbuild noticed its dead parent only at
      // its next ping, about a second later (972–980 ms measured), after this jest run had often ended.
      await eventually(() => expect(running(pids.worker)).toBe(false), { intervalMs: 5 });
      expect(esbuild.filter(running)).toEqual([]);
      await ended;
      writerHandle = await writer;
    } finally {
      // Unblock whatever still waits on the FIFO (our open() if esbuild never came; esbuild if it ran on).
      if (!writerHandle) {
        const reader = await open(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
        writerHandle = await writer;
        await reader.close();
      }
      await writerHandle.close();
      for (const pid of esbuild.filter(running)) process.kill(pid, 'SIGKILL');
    }
  }, 90_000);
});
