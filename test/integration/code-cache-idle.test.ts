import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import { CODE_CACHE_DIR } from '../../scripts/local/runtime/worker-file';
import { eventually } from '../helpers/eventually';
import { tempDir } from '../helpers/temp';

/**
 * An instance saves its bundle's code cache once it is idle or after its first request, not between loading and
 * being warm (D73): an instance that is only warmed still leaves a cache for the next start, and one that served
 * a request leaves the cache of what it ran.
 */
describe('code cache of an instance', () => {
  const dir = tempDir('code-cache-idle-');
  afterAll(() => dir.cleanup());

  const runtimeFor = (name: string) => {
    dir.write(`${name}/index.js`, 'let n = 0; exports.handler = async () => String(++n);');
    const fn: FunctionSpec = { resource: name, name, runtime: 'nodejs20', codeDir: join(dir.path, name), handler: 'index.handler', memorySize: 128, timeout: 60, environment: {}, triggers: [] };
    const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
    const cacheFile = join(CODE_CACHE_DIR, `${createHash('sha1').update(join(fn.codeDir, 'index.js')).digest('hex').slice(0, 20)}.bin`);
    const phase = () => {
      if (!existsSync(cacheFile)) return undefined;
      const bytes = readFileSync(cacheFile);
      return (JSON.parse(bytes.subarray(4, 4 + bytes.readUInt32LE(0)).toString('utf8')) as { phase: string }).phase;
    };
    return { runtime: new FunctionRuntime(spec, { envFor: () => ({}) }), phase, cleanup: () => rmSync(cacheFile, { force: true }) };
  };

  it('a warmed instance that serves nothing saves the loaded code once idle', async () => {
    const { runtime, phase, cleanup } = runtimeFor('warmed');
    try {
      await runtime.prewarm(['warmed']);
      await eventually(() => expect(phase()).toBe('loaded'), { timeoutMs: 20000, intervalMs: 50 });
    } finally {
      await runtime.close();
      cleanup();
    }
  });

  it('an instance that serves a request saves the code the request ran', async () => {
    const { runtime, phase, cleanup } = runtimeFor('invoked');
    try {
      expect((await runtime.invoke('invoked', Buffer.from('{}'), { source: 'test' })).payload.toString()).toBe('1');
      await eventually(() => expect(phase()).toBe('invoked'), { timeoutMs: 20000, intervalMs: 50 });
    } finally {
      await runtime.close();
      cleanup();
    }
  });
});
