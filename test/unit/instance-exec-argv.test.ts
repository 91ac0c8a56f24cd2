import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { REPO_ROOT } from '../../scripts/local/paths';
import { instanceExecArgv } from '../../scripts/local/runtime/worker-script';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { GC_FLAGS } = require(join(REPO_ROOT, 'scripts', 'local', 'launch.cjs')) as { GC_FLAGS: string[] };

/** Starts a worker that exits at once; resolves with its exit code, or rejects with what `new Worker` threw. */
const runWorker = (execArgv: string[]) => new Promise<number>((resolve) => new Worker('0', { eval: true, execArgv }).once('exit', resolve));

/**
 * The node options an instance thread inherits from the local cloud's process (D113): the launcher's V8 GC flags
 * are process-wide and refused by a worker, so an instance — and a standby thread (D87), which has no second try —
 * must start without them, and still collects its garbage as the process does.
 */
describe('instance threads and the launcher’s process-wide V8 flags', () => {
  it('a worker refuses the launcher’s GC flags in its execArgv, so instances leave them out', async () => {
    expect(() => new Worker('0', { eval: true, execArgv: GC_FLAGS })).toThrow(expect.objectContaining({ code: 'ERR_WORKER_INVALID_EXEC_ARGV' }));
    expect(instanceExecArgv(GC_FLAGS)).toEqual([]);
    await expect(runWorker(instanceExecArgv(GC_FLAGS))).resolves.toBe(0);
  });

  it('keeps every other option and still drops module loaders', () => {
    expect(instanceExecArgv(['--single-threaded-gc', '--enable-source-maps', '--import', 'tsx', '--inspect=0'])).toEqual(['--enable-source-maps', '--inspect=0']);
  });
});
