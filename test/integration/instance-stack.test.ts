import type { AppSpec, FunctionSpec } from '../../scripts/local/spec/model';
import { FunctionRuntime } from '../../scripts/local/runtime/runtime';
import { tempDir } from '../helpers/temp';

/**
 * An instance thread's stack holds no `node_modules` frame (D55): Node excuses `new Buffer()` (DEP0005) for code
 * called from `node_modules`, and finds out by searching the stack on each of a thread's first 10 000 calls —
 * CPU that FC's runtime (not in node_modules) does not pay, and that the `tablestore` SDK's ~15 calls per row
 * made visible in `iot-etl`. On FC the first call prints the warning and the later ones cost nothing.
 */
const FUNCTION_CODE = `
const files = () => {
  const limit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = Infinity;
  Error.prepareStackTrace = (_, frames) => frames.map((f) => f.getFileName() || '');
  const names = new Error().stack;
  Error.stackTraceLimit = limit;
  Error.prepareStackTrace = prepare;
  return names;
};
const warnings = [];
process.on('warning', (w) => warnings.push(w.code));
exports.handler = async () => {
  const sync = files();
  for (let i = 0; i < 3; i++) new Buffer(4);
  await new Promise((resolve) => setImmediate(resolve));
  return JSON.stringify({ sync, warnings });
};
`;

describe('instance threads run outside node_modules', () => {
  it('a handler sees no node_modules frame below it, and Buffer() warns once as on FC', async () => {
    const dir = tempDir('instance-stack-');
    dir.write('index.js', FUNCTION_CODE);
    const fn: FunctionSpec = { resource: 'stack', name: 'stack', runtime: 'nodejs20', codeDir: dir.path, handler: 'index.handler', memorySize: 128, timeout: 60, environment: {}, triggers: [] };
    const spec = { baseDir: dir.path, name: 't', region: 'cn-hangzhou', functions: [fn], routes: [], flows: [], rendered: {} } as unknown as AppSpec;
    const runtime = new FunctionRuntime(spec, { envFor: () => ({}) });
    try {
      const record = await runtime.invoke('stack', Buffer.from('{}'), { source: 'test' });
      expect(record.status).toBe('succeeded');
      const { sync, warnings } = JSON.parse(record.payload.toString()) as { sync: string[]; warnings: string[] };
      // The handler's own frame, then the runtime's (by its script name), never a node_modules path.
      expect(sync.length).toBeGreaterThan(1);
      expect(sync.some((file) => file.includes('instance-worker'))).toBe(true);
      expect(sync.filter((file) => /[\\/]node_modules[\\/]/.test(file))).toEqual([]);
      expect(warnings).toEqual(['DEP0005']);
    } finally {
      await runtime.close();
      dir.cleanup();
    }
  });
});
