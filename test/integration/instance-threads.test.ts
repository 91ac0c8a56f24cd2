import { readFileSync } from 'node:fs';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { tempDir } from '../helpers/temp';

/**
 * Each instance reports its worker's Linux thread id, so a benchmark can read that thread's CPU time in
 * `/proc/self/task/<id>/stat` and charge it to the function (bench/image-pipeline.bench.ts, D69). The function
 * here reads its own thread id from inside the instance, which the runtime's answer must match.
 */
const FUNCTION_CODE = `
exports.handler = async () => require('fs').readlinkSync('/proc/thread-self').split('/').pop();
`;

const linux = process.platform === 'linux';

(linux ? describe : describe.skip)('instance threads: each instance names its OS thread', () => {
  it('lists one thread per instance, by function, the same thread the handler runs on', async () => {
    const dir = tempDir('instance-threads-');
    dir.write('index.js', FUNCTION_CODE);
    const fn = (resource: string): FunctionSpec => ({ resource, name: `${resource}-fn`, runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', memorySize: 128, timeout: 30, environment: {}, triggers: [] });
    const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn('alpha'), fn('beta')], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
    const runtime = new FunctionRuntime(spec, { envFor: () => ({}) });
    try {
      const [alpha, beta] = await Promise.all([runtime.invoke('alpha', Buffer.from('{}'), { source: 'test' }), runtime.invoke('beta', Buffer.from('{}'), { source: 'test' })]);
      const threads = runtime.instanceThreads();
      expect(threads).toEqual(expect.arrayContaining([
        { resource: 'alpha', osThreadId: Number(alpha.payload.toString()) },
        { resource: 'beta', osThreadId: Number(beta.payload.toString()) },
      ]));
      expect(threads).toHaveLength(2);
      // A thread of this process, not the main one.
      for (const { osThreadId } of threads) {
        expect(osThreadId).not.toBe(process.pid);
        expect(readFileSync(`/proc/self/task/${osThreadId}/stat`, 'utf8')).toMatch(new RegExp(`^${osThreadId} `));
      }
    } finally {
      await runtime.close();
      dir.cleanup();
    }
  });
});
